"""Mail: the transports against a real SMTP server (aiosmtpd: plain, STARTTLS, smtps, with
login), the Maildir, and the outbox of a running service (receipt, dedupe on the event,
webhooks through the outbox)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from email.message import EmailMessage

import httpx
import nats
import pytest
import uvicorn
from fastapi import FastAPI, Request
from sdi_common import subjects
from sdi_common.contracts import parse_event
from sdi_common.stack import free_port
from sdi_common.testing import eventually
from submission.mail.transport import MaildirTransport, MailError, MailRefused, SmtpTransport

from .mail_support import Mailbox, link_of, parts, self_signed, server_context
from .submission_support import EMAIL, make_payload

pytestmark = pytest.mark.timeout(120)


def message(to: str = "anne@example.fr") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "ne-pas-repondre@example.fr"
    msg["To"] = to
    msg["Subject"] = "Essai"
    msg["Message-ID"] = "<essai@example.fr>"
    msg.set_content("Bonjour")
    return msg


@pytest.fixture
def cert(tmp_path):
    return self_signed(tmp_path)


async def test_starttls_with_login_and_a_ca_file(cert):
    box = Mailbox(starttls=server_context(*cert), login=("sdi", "p@ss word")).start()
    try:
        url = f"smtp://sdi:p%40ss%20word@127.0.0.1:{box.port}"
        await SmtpTransport(url, ca_file=str(cert[0]), timeout=10).send(message(), "x")
        assert [m["Subject"] for m in box.messages] == ["Essai"] and box.logins == ["sdi"]
        # the system's authorities do not know this certificate: refused, to be tried later
        with pytest.raises(MailError):
            await SmtpTransport(url, timeout=10).send(message(), "x")
    finally:
        box.stop()


async def test_smtps_from_the_start(cert):
    box = Mailbox(smtps=server_context(*cert)).start()
    try:
        await SmtpTransport(f"smtps://127.0.0.1:{box.port}", ca_file=str(cert[0]),
                            timeout=10).send(message(), "x")
        assert len(box.messages) == 1
    finally:
        box.stop()


async def test_credentials_never_go_in_clear_and_refusals_are_told_apart():
    box = Mailbox().start()  # no STARTTLS offered
    try:
        with pytest.raises(MailError, match="STARTTLS"):
            await SmtpTransport(f"smtp://u:p@127.0.0.1:{box.port}", timeout=10).send(
                message(), "x")
        assert box.messages == []
        plain = SmtpTransport(box.url, timeout=10)
        with pytest.raises(MailRefused):  # 5xx: not a valid recipient, for good
            await plain.send(message(to="absent@example.fr"), "x")
        await plain.send(message(), "x")
        assert len(box.messages) == 1
    finally:
        box.stop()
    with pytest.raises(MailError):  # nobody listening: later
        await SmtpTransport(f"smtp://127.0.0.1:{free_port()}", timeout=2).send(message(), "x")


async def test_a_maildir_write_is_idempotent(tmp_path):
    box = MaildirTransport(tmp_path / "mail")
    await box.send(message(), "1700000000.abc_receipt.sdi")
    await box.send(message(), "1700000000.abc_receipt.sdi")
    assert [p.name for p in (tmp_path / "mail" / "new").iterdir()] == ["1700000000.abc_receipt.sdi"]
    # a mail client moved it to cur/ (and flagged it seen): still not written again
    (tmp_path / "mail" / "new" / "1700000000.abc_receipt.sdi").rename(
        tmp_path / "mail" / "cur" / "1700000000.abc_receipt.sdi:2,S")
    await box.send(message(), "1700000000.abc_receipt.sdi")
    assert list((tmp_path / "mail" / "new").iterdir()) == []
    assert list((tmp_path / "mail" / "tmp").iterdir()) == []


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


async def _received_event(nats_url: str, submission_id: str):
    nc = await nats.connect(nats_url)
    try:
        msg = await nc.jetstream().get_last_msg(subjects.STREAM, subjects.RECEIVED)
        event = parse_event(msg.data)
        assert event.submission_id == submission_id
        return event
    finally:
        await nc.drain()


async def test_the_receipt_is_mailed_once_however_often_its_event_comes(
    start_service, mailbox, nats_server
):
    svc = await start_service(smtp_url=mailbox.url)
    async with httpx.AsyncClient(base_url=svc.url) as c:
        answer = (await c.post("/v1/submissions", json=make_payload())).json()
    receipt = await asyncio.to_thread(mailbox.wait_for, "receipt", EMAIL)
    text, html = parts(receipt)
    assert "Votre inscription est reçue" in html and "Bonjour" in text
    link = link_of(receipt)
    assert link.startswith(f"{svc.url}/organisateur/#id={answer['id']}&jeton=")
    assert link.endswith(answer["organizer_token"])
    # the event handled again (a redelivery, a replayed dead letter): no second mail
    event = await _received_event(nats_server.url, answer["id"])
    # derived from the event: a copy sent after a crash has the same Message-ID
    assert receipt["Message-ID"].strip() == f"<{event.event_id}.receipt@semaine-industrie.localhost>"
    await svc.app.state.outbox.handle(event)
    await svc.app.state.outbox.handle(event)
    assert len(mailbox.of_kind("receipt", EMAIL)) == 1


async def test_without_smtp_mails_go_to_the_maildir(start_service, tmp_path):
    svc = await start_service(data_dir=tmp_path / "md")
    async with httpx.AsyncClient(base_url=svc.url) as c:
        answer = (await c.post("/v1/submissions", json=make_payload())).json()
    new = tmp_path / "md" / "mail" / "new"

    def mails():
        return list(new.iterdir()) if new.exists() else []

    found = await eventually(mails, timeout=20, what="a mail in the Maildir")
    assert len(found) == 1 and found[0].name.endswith("_receipt.sdi")
    assert answer["organizer_token"] in found[0].read_text()


async def test_status_changes_are_called_back_signed_with_retries(start_service, publish):
    """The webhooks go through the outbox: signed, retried with backoff, X-Sdi-Delivery."""
    received: list[tuple[dict, bytes, dict]] = []
    failures = {"left": 2}
    hook = FastAPI()

    @hook.post("/hook")
    async def on_hook(request: Request):
        from fastapi.responses import Response

        body = await request.body()
        if failures["left"]:
            failures["left"] -= 1
            return Response(status_code=503)
        received.append((dict(request.headers), body, await request.json()))
        return {"ok": True}

    port = free_port()
    cert, key = self_signed(__import__("pathlib").Path(__import__("tempfile").mkdtemp()))
    server = uvicorn.Server(uvicorn.Config(hook, host="127.0.0.1", port=port, log_config=None,
                                           ssl_certfile=str(cert), ssl_keyfile=str(key)))
    task = asyncio.create_task(server.serve())
    mp = pytest.MonkeyPatch()
    mp.setenv("SSL_CERT_FILE", str(cert))  # httpx trusts the hook's certificate
    try:
        await eventually(lambda: server.started, timeout=10, what="the hook server")
        svc = await start_service()
        async with httpx.AsyncClient(base_url=svc.url) as c:
            answer = (await c.post("/v1/submissions", json=make_payload(
                callback_url=f"https://127.0.0.1:{port}/hook"))).json()
        await eventually(lambda: bool(received), timeout=20, what="the callback")
        headers, body, payload = received[0]
        expected = "sha256=" + hmac.new(b"callback-secret", body, hashlib.sha256).hexdigest()
        assert headers["x-signature-256"] == expected
        assert headers["x-sdi-attempt"] == "3"
        assert headers["x-sdi-delivery"] == f"{answer['id']}:1:received"
        assert payload["id"] == answer["id"] and payload["status"] == "received"
        assert EMAIL.encode() not in body
    finally:
        mp.undo()
        server.should_exit = True
        await task


async def test_a_new_link_survives_a_rebuild_and_the_old_one_stops(start_service, mailbox, bus):
    from submission.projector import rebuild
    from submission.tokens import token_hash

    svc = await start_service(smtp_url=mailbox.url)
    email = "rebuild-link@example.fr"
    async with httpx.AsyncClient(base_url=svc.url) as c:
        answer = (await c.post("/v1/submissions", json=make_payload(
            organizer={**make_payload()["organizer"], "email": email}))).json()
        assert (await c.post("/v1/organizer-links", json={"email": email})).status_code == 202
        link = link_of(await asyncio.to_thread(mailbox.wait_for, "link", email))
        new = link.rsplit("jeton=", 1)[1]
        store = svc.runtime.store
        await eventually(lambda: _hash(store, answer["id"]), timeout=10)
        await rebuild(bus, store)
        assert (await store.get(answer["id"])).token_sha256 == token_hash(new)
        url = f"/v1/submissions/{answer['id']}"
        assert (await c.get(url, headers={"Authorization": f"Bearer {new}"})).status_code == 200
        old = await c.get(url, headers={"Authorization": f"Bearer {answer['organizer_token']}"})
        assert old.status_code == 404


async def _hash(store, submission_id):
    record = await store.get(submission_id)
    return record.history[-1].event == "token_renewed"


async def test_the_importer_gets_one_summary_of_the_rows(start_service, mailbox, nats_server):
    """A bulk import mails its summary to the importer through the outbox: each row, what
    became of it; the event handled again sends no second one."""
    svc = await start_service(smtp_url=mailbox.url)
    good = [{**make_payload(title=f"Atelier {n}"), "external_id": f"REF-{n}"} for n in (1, 2)]
    bad = {**make_payload(), "kind": "barbecue", "external_id": "REF-3"}
    async with httpx.AsyncClient(base_url=svc.url) as c:
        answer = await c.post("/v1/submissions/import", json={
            "submissions": [*good, bad], "importer_email": "federation@exemple.fr"})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    summary = await asyncio.to_thread(mailbox.wait_for, "import", "federation@exemple.fr")
    text, html = parts(summary)
    assert "Votre import est traité" in html and summary["Subject"].startswith(
        "Import traité : 2 créé(s), 0 mis à jour, 1 refusé(s)")
    assert f"Ligne 1 (REF-1) : créé, n° {rows[0]['id']}" in text
    assert f"Ligne 2 (REF-2) : créé, n° {rows[1]['id']}" in text
    assert "Ligne 3 (REF-3) : refusée — kind:" in text
    assert f"{svc.url}/import" in text
    # the organisers got their own receipts; the importer's summary is not one of them
    assert not mailbox.of_kind("receipt", "federation@exemple.fr")
    nc = await nats.connect(nats_server.url)
    try:
        msg = await nc.jetstream().get_last_msg(subjects.STREAM, subjects.IMPORTED)
    finally:
        await nc.drain()
    event = parse_event(msg.data)
    await svc.app.state.outbox.handle(event)
    assert len(mailbox.of_kind("import", "federation@exemple.fr")) == 1
