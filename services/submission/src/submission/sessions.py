"""Back-office sessions: the operator token exchanged once for a signed cookie.

The cookie holds no secret: the SHA-256 of the operator's token (what OPERATOR_TOKENS holds
anyway), the name, a CSRF token and the end of the session, signed with HMAC-SHA256 under
``SESSION_SECRET``. Nothing is kept in memory, so every replica that shares the secret reads
every session; and since the operator's entry is looked up again on each request (by that
hash), removing the entry or its expiry ends the session at once, and so does a new token
for the same name.

Changes made with the cookie must carry the CSRF token (``X-CSRF-Token``), which the page
learns from the sign-in answer or ``GET /v1/session``; a cross-site page can read neither.
The cookie is ``HttpOnly``, ``SameSite=Strict``, and ``Secure`` when the request came over
HTTPS (directly, or per ``X-Forwarded-Proto`` from a trusted proxy).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from .tokens import Operator, Operators

COOKIE = "sdi_session"
CSRF_HEADER = "X-CSRF-Token"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    operator: Operator
    csrf: str
    expires_at: datetime

    def csrf_ok(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(sent.encode(), self.csrf.encode())


class Sessions:
    def __init__(self, secret: str, max_age: float) -> None:
        self._key = hashlib.sha256(b"sdi-back-office-session\0" + secret.encode()).digest()
        self.max_age = timedelta(seconds=max_age)

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue(self, operator: Operator, now: datetime | None = None) -> tuple[str, Session]:
        """A new session: the cookie's value and what it says. It ends after ``max_age``,
        or when the operator's entry expires if that comes first."""
        now = now or datetime.now(UTC)
        ends = now + self.max_age
        if operator.expires_at is not None:
            ends = min(ends, operator.expires_at)
        session = Session(operator, secrets.token_urlsafe(32), ends)
        body = _b64(orjson.dumps({"h": operator.sha256, "n": operator.name, "c": session.csrf,
                                  "x": int(ends.timestamp())}))
        return f"{body}.{self._sign(body)}", session

    def read(self, value: str, operators: Operators,
             now: datetime | None = None) -> Session | None:
        """The session a cookie holds, if it is ours, not over, and its operator's entry is
        still configured and valid; else None."""
        body, _, signature = value.partition(".")
        if not signature or not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            claims = orjson.loads(_unb64(body))
            ends = datetime.fromtimestamp(claims["x"], UTC)
            sha256, name, csrf = claims["h"], claims["n"], claims["c"]
        except (ValueError, KeyError, TypeError):
            return None
        now = now or datetime.now(UTC)
        if now >= ends:
            return None
        operator = operators.by_hash(sha256, now)
        if operator is None or operator.name != name:
            return None
        return Session(operator, csrf, ends)
