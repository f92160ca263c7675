"""Sealing the organiser's contact data (crypto-shredding).

Each submission has its own 256-bit key in the ``CONTACT_KEYS`` bucket (key = submission
id). The contact (e-mail, phone) is encrypted with AES-GCM under that key, the submission
id being the associated data, and travels only sealed: in ``Received.contact_sealed`` on
the stream and in the store. Erasing = purging the key: every copy, in the stream, in its
backups and in every store, becomes unreadable at once, and a rebuild of the store still
works (it just finds no key).

``contact_sealed`` is this service's private envelope, a JSON object::

    {"v": 1, "alg": "A256GCM", "nonce": b64, "ct": b64,
     "token_sha256": hex, "callback_url": str | null}

The organiser-token hash and the callback URL sit beside the ciphertext, in clear: they
must survive an erasure (the organiser keeps access to the status) and a rebuild, and the
contracts have no field for them (see the report). Neither is personal contact data; the
hash does not reveal the token.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Envelope:
    token_sha256: str | None
    callback_url: str | None
    nonce: bytes | None
    ct: bytes | None

    @property
    def has_contact(self) -> bool:
        return self.ct is not None


def seal(
    key: bytes,
    contact: dict[str, Any],
    *,
    submission_id: str,
    token_sha256: str,
    callback_url: str | None,
) -> str:
    nonce = os.urandom(12)
    ct = AESGCM(key).encrypt(nonce, orjson.dumps(contact), submission_id.encode())
    return orjson.dumps(
        {
            "v": 1,
            "alg": "A256GCM",
            "nonce": _b64(nonce),
            "ct": _b64(ct),
            "token_sha256": token_sha256,
            "callback_url": callback_url,
        }
    ).decode()


def read_envelope(sealed: str | None) -> Envelope:
    if not sealed:
        return Envelope(None, None, None, None)
    data = orjson.loads(sealed)
    return Envelope(
        token_sha256=data.get("token_sha256"),
        callback_url=data.get("callback_url"),
        nonce=_unb64(data["nonce"]) if data.get("nonce") else None,
        ct=_unb64(data["ct"]) if data.get("ct") else None,
    )


def strip_contact(sealed: str | None) -> str | None:
    """The envelope without its ciphertext (what the store keeps after an erasure)."""
    if not sealed:
        return sealed
    data = orjson.loads(sealed)
    data["nonce"] = data["ct"] = None
    return orjson.dumps(data).decode()


def unseal(key: bytes, envelope: Envelope, *, submission_id: str) -> dict[str, Any] | None:
    if envelope.ct is None or envelope.nonce is None:
        return None
    try:
        return orjson.loads(AESGCM(key).decrypt(envelope.nonce, envelope.ct, submission_id.encode()))
    except InvalidTag:
        return None


class ContactKeys:
    """The per-submission keys, in the ``CONTACT_KEYS`` bucket."""

    def __init__(self, kv: KeyValue):
        self.kv = kv

    async def get_or_create(self, submission_id: str) -> bytes:
        key = AESGCM.generate_key(bit_length=256)
        try:
            await self.kv.create(submission_id, key)
            return key
        except KeyWrongLastSequenceError:
            # a retry of the same submission (same id from the same Idempotency-Key)
            existing = await self.get(submission_id)
            if existing is None:  # pragma: no cover - created then shredded in between
                raise
            return existing

    async def get(self, submission_id: str) -> bytes | None:
        try:
            entry = await self.kv.get(submission_id)
        except KeyNotFoundError:
            return None
        return entry.value or None

    async def shred(self, submission_id: str) -> None:
        """Purge the key and all its revisions: the sealed copies become noise."""
        await self.kv.purge(submission_id)
