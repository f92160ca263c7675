"""A real SMTP server for the tests (aiosmtpd on a free port, in its own thread), a
self-signed certificate for its TLS, and what the tests read in the mails."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import ipaddress
import re
import ssl
import threading
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sdi_common.stack import free_port
from sdi_common.testing import wait_until

LINK = re.compile(r"(https?://\S+/organisateur/#\S+)")


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sdi test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


class Mailbox:
    """An SMTP server that keeps every message it accepted (``messages``).

    ``hold()``: the next message is received but not answered until ``release()``; it is
    then refused (451) and not kept, as a server would whose client died mid-message."""

    def __init__(self, *, smtps: ssl.SSLContext | None = None,
                 starttls: ssl.SSLContext | None = None, login: tuple[str, str] | None = None):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.port = free_port()
        self._held = threading.Event()
        self.entered = threading.Event()
        self._release = threading.Event()
        self.logins: list[str] = []
        kwargs = {}
        if login is not None:
            def authenticate(server, session, envelope, mechanism, data):
                ok = isinstance(data, LoginPassword) and (
                    data.login.decode(), data.password.decode()) == login
                if ok:
                    self.logins.append(data.login.decode())
                return AuthResult(success=ok)
            kwargs.update(authenticator=authenticate, auth_required=True,
                          auth_require_tls=True)
        if starttls is not None:
            kwargs.update(tls_context=starttls, require_starttls=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     server_hostname="localhost", ssl_context=smtps,
                                     ready_timeout=10, **kwargs)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.controller.stop()

    def hold(self) -> None:
        self._held.set()

    def release(self) -> None:
        self._release.set()

    #: recipients this server refuses for good (550)
    refused: frozenset[str] = frozenset({"absent@example.fr"})

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook
        if self._held.is_set():
            self._held.clear()
            self.entered.set()
            await asyncio.to_thread(self._release.wait)
            return "451 4.3.0 try again later"
        msg = email.message_from_bytes(envelope.content, policy=default)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(msg)
        return "250 OK"

    def of_kind(self, kind: str, to: str | None = None) -> list[EmailMessage]:
        return [m for m in self.messages
                if m["X-Sdi-Mail"] == kind and (to is None or m["To"] == to)]

    def wait_for(self, kind: str, to: str | None = None, count: int = 1,
                 timeout: float = 30) -> EmailMessage:
        """The ``count``-th mail of ``kind`` (to ``to``), once it has arrived."""
        def arrived():
            found = self.of_kind(kind, to)
            return found[count - 1] if len(found) >= count else None

        return wait_until(arrived, timeout, f"mail {kind!r} #{count} to {to}")


def parts(msg: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML of a mail."""
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return text, html


def link_of(msg: EmailMessage) -> str:
    found = LINK.search(parts(msg)[0])
    assert found, parts(msg)[0]
    return found.group(1)
