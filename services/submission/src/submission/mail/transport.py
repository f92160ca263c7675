"""Where mails go: an SMTP server (``SMTP_URL``), or a Maildir under ``DATA_DIR/mail/``.

``SMTP_URL``: ``smtp://[user:password@]host[:port]`` (port 25 by default; STARTTLS whenever
the server offers it) or ``smtps://…`` (TLS from the start, port 465). User and password are
URL-encoded. Credentials are never sent over a connection that is not encrypted: a server
that offers no STARTTLS gets none, and the mail waits (``MailError``, transient). The
server's certificate is checked against the system's authorities, or ``SMTP_CA_FILE``.

smtplib (the standard library) runs in a thread: one connection per mail, which is what a
mail per lifecycle event needs (a few a second in the rush).

Errors: ``MailRefused`` when the server answers 5xx (the address or the message is refused
for good: retrying changes nothing), ``MailError`` for the rest (connection, timeout, 4xx:
try later).

The Maildir (``new/``, ``cur/``, ``tmp/``, readable by any mail client, or by hand) is for
one machine without a mail server (``make run``). A mail's file name is given by the outbox
(derived from the event), so that writing it again is a no-op: exactly once.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import ssl
import time
from email.message import Message
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit


class MailError(Exception):
    """Not sent this time; may succeed later."""


class MailRefused(Exception):
    """Refused for good by the server (5xx)."""


class Transport(Protocol):
    description: str

    async def send(self, msg: Message, name: str) -> None:
        """Send ``msg``; ``name`` identifies it (the Maildir's file name)."""


class SmtpTransport:
    def __init__(self, url: str, *, timeout: float = 20.0, ca_file: str | None = None):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must be smtp://[user:password@]host[:port] or smtps://…")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=ca_file)
        self.description = f"{parts.scheme}://{self.host}:{self.port}"

    async def send(self, msg: Message, name: str) -> None:
        await asyncio.to_thread(self._send, msg)

    def _send(self, msg: Message) -> None:
        try:
            if self.tls:
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=self.context)
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with conn:
                conn.ehlo()
                if not self.tls and conn.has_extn("starttls"):
                    conn.starttls(context=self.context)
                    conn.ehlo()
                    encrypted = True
                else:
                    encrypted = self.tls
                if self.user:
                    if not encrypted:
                        raise MailError(f"{self.description} offers no STARTTLS: "
                                        "credentials are not sent in clear")
                    conn.login(self.user, self.password or "")
                conn.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise MailRefused(f"recipient refused ({codes})") from None
            raise MailError(f"recipient deferred ({codes})") from None
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPAuthenticationError):
                raise MailRefused(f"{exc.smtp_code} {exc.smtp_error!r}") from None
            raise MailError(f"{exc.smtp_code} {exc.smtp_error!r}") from None
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timeout, TLS
            raise MailError(repr(exc)) from None


class MaildirTransport:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.description = f"Maildir {self.path}"
        self._made = False

    async def send(self, msg: Message, name: str) -> None:
        await asyncio.to_thread(self._write, msg.as_bytes(), name)

    def _delivered(self, name: str) -> bool:
        """In ``new/``, or moved to ``cur/`` by a reader (``name:2,<flags>``)."""
        if os.path.exists(self.path / "new" / name):
            return True
        with os.scandir(self.path / "cur") as read:
            return any(e.name == name or e.name.startswith(name + ":") for e in read)

    def _write(self, data: bytes, name: str) -> None:
        if not self._made:  # once per process (a reader may create them too: exist_ok)
            for sub in ("tmp", "new", "cur"):
                (self.path / sub).mkdir(parents=True, exist_ok=True)
            self._made = True
        if self._delivered(name):
            return
        tmp = self.path / "tmp" / f"{name}.{os.getpid()}.{time.monotonic_ns()}"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, self.path / "new" / name)  # fails if it is there: never two copies
        except FileExistsError:
            pass
        finally:
            tmp.unlink()


def make_transport(smtp_url: str, maildir: Path, *, timeout: float,
                   ca_file: str | None) -> Transport:
    if smtp_url:
        return SmtpTransport(smtp_url, timeout=timeout, ca_file=ca_file)
    return MaildirTransport(maildir)
