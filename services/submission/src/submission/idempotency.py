"""Idempotency-Key records, in the ``IDEMPOTENCY`` bucket (TTL 30 days, survives restarts).

Key: SHA-256 of the client's key (the key itself is never stored). Value::

    {"body": sha256 of the canonical body, "id": submission id,
     "token": organiser token sealed with a key derived from the Idempotency-Key,
     "state": "pending" | "done"}

The first request creates the record atomically (``create``) before publishing, so two
concurrent requests with one key agree on the id and the token. The same answer must be
given again, token included; to avoid keeping usable tokens at rest, the token is sealed
under a key derived from the Idempotency-Key: only a client that presents the key can
recover it, and someone reading the bucket cannot (clients should use random keys, e.g.
UUIDs, as the IETF draft recommends).

The submission id is derived from the key too: a retry after a crash between publish and
"done" publishes the very same ``Nats-Msg-Id`` and JetStream drops the duplicate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue
from sdi_common import envelope as aead

MAX_KEY_LENGTH = 255


def body_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def record_key(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


def submission_id_for(key: str) -> str:
    return hashlib.sha256(f"sdi-submission-id\n{key}".encode()).hexdigest()[:32]


def _token_key(key: str) -> bytes:
    return aead.derive_key(key.encode(), info="sdi-organizer-token")


@dataclass(frozen=True)
class Record:
    body: str
    submission_id: str
    token: str
    state: str
    revision: int


class IdempotencyConflict(Exception):
    """The key was used with another body."""


class IdempotencyRecords:
    def __init__(self, kv: KeyValue, scope: str = "POST /v1/submissions"):
        self.kv = kv
        self.scope = scope

    def _encode(self, key: str, body: str, submission_id: str, token: str, state: str) -> bytes:
        nonce, ct = aead.seal(_token_key(key), token.encode(), submission_id.encode())
        sealed = nonce + ct
        return orjson.dumps(
            {"body": body, "id": submission_id, "token": sealed.hex(), "state": state}
        )

    def _decode(self, key: str, value: bytes, revision: int) -> Record:
        data = orjson.loads(value)
        sealed = bytes.fromhex(data["token"])
        nonce, ct = sealed[: aead.NONCE_BYTES], sealed[aead.NONCE_BYTES :]
        token = aead.unseal(_token_key(key), nonce, ct, data["id"].encode())
        if token is None:  # same record name, another key: cannot happen short of a hash collision
            raise IdempotencyConflict(key)
        return Record(data["body"], data["id"], token.decode(), data["state"], revision)

    async def get(self, key: str) -> Record | None:
        try:
            entry = await self.kv.get(record_key(self.scope, key))
        except KeyNotFoundError:
            return None
        return self._decode(key, entry.value, entry.revision)

    async def claim(self, key: str, body: str, token: str) -> Record:
        """The record for ``key``: the existing one (same body) or a new pending one.

        Raises ``IdempotencyConflict`` when the key was used with another body."""
        for _ in range(5):
            existing = await self.get(key)
            if existing is not None:
                if existing.body != body:
                    raise IdempotencyConflict(key)
                return existing
            submission_id = submission_id_for(key)
            value = self._encode(key, body, submission_id, token, "pending")
            try:
                revision = await self.kv.create(record_key(self.scope, key), value)
            except KeyWrongLastSequenceError:
                continue  # a concurrent request with the same key won: read its record
            return Record(body, submission_id, token, "pending", revision)
        raise RuntimeError("idempotency record keeps changing")  # pragma: no cover

    async def done(self, key: str, record: Record) -> None:
        value = self._encode(key, record.body, record.submission_id, record.token, "done")
        try:
            await self.kv.update(record_key(self.scope, key), value, last=record.revision)
        except KeyWrongLastSequenceError:
            pass  # a concurrent retry marked it first
