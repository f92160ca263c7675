"""Sealing the organiser's contact data (crypto-shredding).

Each submission has its own 256-bit key in the ``CONTACT_KEYS`` bucket, under a random key
id (``kid``, kept in the envelope; the versions of one submission share it). The contact
(e-mail, phone) is encrypted with AES-GCM under that key, the submission id being the
associated data, and travels only sealed: in ``Received.contact_sealed`` on the stream and
in the store. Keys are created ahead, in batches, by a small pool (``ContactKeys``): the
intake takes one that JetStream has already stored instead of waiting for a round trip. Erasing = purging the key: every copy, in the stream, in its
backups and in every store, becomes unreadable at once, and a rebuild of the store still
works (it just finds no key).

``contact_sealed`` is this service's private envelope, a JSON object::

    {"v": 1, "alg": "A256GCM", "kid": str, "nonce": b64, "ct": b64,
     "token_sha256": hex, "callback_url": str | null, "email_lookup": hex | null,
     "token": b64 | null, "external_id": str | null}

The organiser-token hash and the callback URL sit beside the ciphertext, in clear: they
must survive an erasure (the organiser keeps access to the status) and a rebuild, and the
contracts have no field for them. Neither is personal contact data; the hash does not
reveal the token.

``email_lookup`` finds the submissions of one address (the organiser's lost link, an
import's upsert) without opening every envelope: an HMAC of the normalised address under
one service-wide key, itself kept in ``CONTACT_KEYS`` (``LOOKUP_KEY_NAME``), so that it
cannot be reversed by hashing a list of addresses. An erasure drops it with the
ciphertext: an erased address is found no more.

``token`` is the organiser's token itself, sealed under the same key (nonce and ciphertext
in one base64 text, the submission id and ``:token`` as associated data): the outbox puts
it in the links it mails (a receipt sent after a crash still carries it), and nobody who
reads the stream or the store without the key can. An erasure shreds it with the contact
(no address is left to mail anyway). A lost link replaces it: ``TokenRenewed`` carries a
small envelope of its own (``renewal``), ``{"v": 1, "kid", "token_sha256", "token"}``.
``external_id`` is a bulk import's own identifier of the event (not personal data); with
the lookup it makes the ``import_key`` that finds the event again when the same address
imports it again (the import's upsert).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue
from sdi_common import envelope as aead

log = structlog.get_logger(__name__)

#: the name, in ``CONTACT_KEYS``, of the key of the e-mail lookups (a kid is 32 hex digits)
LOOKUP_KEY_NAME = "email-lookup"


def email_lookup(key: bytes, email: str) -> str:
    """The lookup of an address: the same for "Anne@Exemple.fr " and "anne@exemple.fr"."""
    return hmac.new(key, email.strip().casefold().encode(), hashlib.sha256).hexdigest()


def import_key(lookup: str | None, external_id: str | None) -> str | None:
    """What finds an imported event again: one per (e-mail address, ``external_id``)."""
    if lookup is None or external_id is None:
        return None
    return hashlib.sha256(f"{lookup}\n{external_id}".encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token_aad(submission_id: str) -> bytes:
    return f"{submission_id}:token".encode()


def seal_token(key: bytes, token: str, submission_id: str) -> str:
    nonce, ct = aead.seal(key, token.encode(), _token_aad(submission_id))
    return _b64(nonce + ct)


def unseal_token(key: bytes, sealed: str | None, submission_id: str) -> str | None:
    """The organiser's token, or None (no sealed token, or not under this key)."""
    if not sealed:
        return None
    raw = _unb64(sealed)
    plain = aead.unseal(key, raw[:aead.NONCE_BYTES], raw[aead.NONCE_BYTES:],
                        _token_aad(submission_id))
    return None if plain is None else plain.decode()


def renewal(key: bytes, *, kid: str, submission_id: str, token: str, token_sha256: str) -> str:
    """What ``TokenRenewed.token_sealed`` carries: the new token's hash, and the token sealed."""
    return orjson.dumps({"v": 1, "kid": kid, "token_sha256": token_sha256,
                         "token": seal_token(key, token, submission_id)}).decode()


def read_renewal(sealed: str) -> tuple[str, str]:
    """(token_sha256, sealed token) of a ``TokenRenewed``."""
    data = orjson.loads(sealed)
    return data["token_sha256"], data["token"]


@dataclass(frozen=True)
class Envelope:
    kid: str | None
    token_sha256: str | None
    callback_url: str | None
    nonce: bytes | None
    ct: bytes | None
    email_lookup: str | None = None
    token_sealed: str | None = None
    external_id: str | None = None

    @property
    def has_contact(self) -> bool:
        return self.ct is not None


def seal(
    key: bytes,
    contact: dict[str, Any],
    *,
    kid: str,
    submission_id: str,
    token_sha256: str | None,
    callback_url: str | None,
    email_lookup: str | None = None,
    token_sealed: str | None = None,
    external_id: str | None = None,
) -> str:
    nonce, ct = aead.seal(key, orjson.dumps(contact), submission_id.encode())
    return orjson.dumps(
        {
            "v": 1,
            "alg": "A256GCM",
            "kid": kid,
            "nonce": _b64(nonce),
            "ct": _b64(ct),
            "token_sha256": token_sha256,
            "callback_url": callback_url,
            "email_lookup": email_lookup,
            "token": token_sealed,
            **({"external_id": external_id} if external_id is not None else {}),
        }
    ).decode()


def read_envelope(sealed: str | None) -> Envelope:
    if not sealed:
        return Envelope(None, None, None, None, None)
    data = orjson.loads(sealed)
    return Envelope(
        kid=data.get("kid"),
        token_sha256=data.get("token_sha256"),
        callback_url=data.get("callback_url"),
        nonce=_unb64(data["nonce"]) if data.get("nonce") else None,
        ct=_unb64(data["ct"]) if data.get("ct") else None,
        email_lookup=data.get("email_lookup"),
        token_sealed=data.get("token"),
        external_id=data.get("external_id"),
    )


def strip_contact(sealed: str | None) -> str | None:
    """The envelope without its ciphertext, its lookup nor its sealed token (what is kept
    after an erasure)."""
    if not sealed:
        return sealed
    data = orjson.loads(sealed)
    data["nonce"] = data["ct"] = data["email_lookup"] = data["token"] = None
    return orjson.dumps(data).decode()


def unseal(key: bytes, envelope: Envelope, *, submission_id: str) -> dict[str, Any] | None:
    if envelope.ct is None or envelope.nonce is None:
        return None
    plain = aead.unseal(key, envelope.nonce, envelope.ct, submission_id.encode())
    return None if plain is None else orjson.loads(plain)


class ContactKeys:
    """The per-submission keys, in the ``CONTACT_KEYS`` bucket, with a pool of fresh ones.

    A pooled key was stored (JetStream acknowledged it) before it is handed out, so an
    event is never published sealed under a key that is not stored. Keys left in the pool
    at shutdown are purged; a crash leaves at most ``pool_size`` unused keys behind (random
    bytes that seal nothing).
    """

    def __init__(self, kv: KeyValue, pool_size: int = 256, batch: int = 64):
        self.kv = kv
        self.pool_size = pool_size
        self.batch = batch
        self._pool: list[tuple[str, bytes]] = []
        self._wanted = asyncio.Event()
        self._filler: asyncio.Task | None = None
        self._lookup_key: bytes | None = None

    def start(self) -> None:
        if self.pool_size > 0:
            self._filler = asyncio.create_task(self._fill())
            self._wanted.set()

    async def stop(self) -> None:
        if self._filler is not None:
            self._filler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._filler
        unused, self._pool = self._pool, []
        with contextlib.suppress(Exception):
            await asyncio.gather(*(self.kv.purge(kid) for kid, _ in unused))

    async def _fill(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            while len(self._pool) < self.pool_size:
                try:
                    made = await asyncio.gather(*(self._create() for _ in range(self.batch)))
                except Exception as exc:  # noqa: BLE001 - NATS away: intake creates keys inline
                    log.warning("contact_keys.pool_fill_failed", error=repr(exc))
                    await asyncio.sleep(1)
                    continue
                self._pool.extend(made)

    async def _create(self) -> tuple[str, bytes]:
        kid, key = secrets.token_hex(16), aead.new_key()
        await self.kv.create(kid, key)
        return kid, key

    async def new(self) -> tuple[str, bytes]:
        """A stored key and its id: from the pool, else created now."""
        if len(self._pool) < self.pool_size // 2:
            self._wanted.set()
        if self._pool:
            return self._pool.pop()
        return await self._create()

    async def get(self, kid: str) -> bytes | None:
        try:
            entry = await self.kv.get(kid)
        except KeyNotFoundError:
            return None
        return entry.value or None

    async def lookup_key(self) -> bytes:
        """The service-wide key of the e-mail lookups: created once, by whichever replica
        comes first (an atomic ``create``), then read by every other."""
        if self._lookup_key is None:
            try:
                await self.kv.create(LOOKUP_KEY_NAME, aead.new_key())
            except KeyWrongLastSequenceError:
                pass  # it exists
            entry = await self.kv.get(LOOKUP_KEY_NAME)
            self._lookup_key = entry.value
        return self._lookup_key

    async def shred(self, kid: str) -> None:
        """Purge the key and all its revisions: the sealed copies become noise."""
        await self.kv.purge(kid)
