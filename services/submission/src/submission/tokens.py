"""Bearer tokens: the organiser's (one per submission) and the operators' (configured).

Only SHA-256 hashes are ever stored. Tokens are 256-bit random strings, so a plain hash is
enough (no salt or slow hash needed: nothing to brute-force).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .scopes import NATIONAL, Scope, ScopeError


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_hash(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a, b)


@dataclass(frozen=True)
class Operator:
    name: str
    sha256: str
    expires_at: datetime | None = None
    #: the régions and départements this operator answers for (none: national)
    scope: Scope = NATIONAL

    def valid(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


class OperatorTokenError(ValueError):
    pass


def format_entry(name: str, sha256: str, scope: Scope = NATIONAL) -> str:
    """The ``OPERATOR_TOKENS`` entry of an operator (``scopes`` documents the syntax)."""
    return f"{name}:{sha256}{scope.entry_suffix()}"


def _parse_entry(entry: str) -> Operator:
    """``name:sha256hex[@expiry][/region=CODE]...[/department=CODE]...``; the expiry is an
    ISO date or date-time (UTC if naive); ``scopes`` says what the scope means."""
    name, sep, rest = entry.partition(":")
    credential, *scope_parts = rest.split("/")
    digest, _, expiry = credential.partition("@")
    name, digest = name.strip(), digest.strip().lower()
    if not sep or not name or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise OperatorTokenError(
            f"operator token entry {entry[:40]!r}: expected "
            "name:sha256hex[@expiry][/region=CODE][/department=CODE]"
        )
    try:
        scope = Scope.parse(scope_parts)
    except ScopeError as exc:
        raise OperatorTokenError(f"operator {name}: {exc}") from None
    expires = None
    if expiry.strip():
        try:
            expires = datetime.fromisoformat(expiry.strip())
        except ValueError:
            raise OperatorTokenError(f"operator {name}: bad expiry {expiry!r}") from None
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
    return Operator(name=name, sha256=digest, expires_at=expires, scope=scope)


class Operators:
    def __init__(self, operators: list[Operator]):
        self._by_hash = {op.sha256: op for op in operators}

    @classmethod
    def from_config(cls, inline: str, file: Path | None) -> Operators:
        entries = [e for e in inline.replace("\n", ",").split(",") if e.strip()]
        if file is not None:
            for line in Path(file).read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip()
                if line:
                    entries.append(line)
        return cls([_parse_entry(e) for e in entries])

    def __len__(self) -> int:
        return len(self._by_hash)

    def authenticate(self, token: str, now: datetime | None = None) -> Operator | None:
        return self.by_hash(token_hash(token), now)

    def entry(self, token: str) -> Operator | None:
        """The configured entry of this token, expired or not (to say which it is)."""
        return self._by_hash.get(token_hash(token))

    def by_hash(self, sha256: str, now: datetime | None = None) -> Operator | None:
        """The operator of this token hash while its entry is configured and not expired
        (a session checks it again on each request)."""
        op = self._by_hash.get(sha256)
        if op is None or not op.valid(now or datetime.now(UTC)):
            return None
        return op
