"""The NATS configuration of deploy/ run for real: three nats-servers started from
deploy/base/nats/nats.conf and auth.conf (only addresses and file paths rewritten for one
machine) form a TLS JetStream cluster; `sdi-bootstrap` declares the topology at 3 replicas
as the Job does; the four services, each connected as its own NATS user, carry a
submission to the public feed; and each user is refused what is not its business.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import httpx
import nats
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sdi_common import subjects, topology
from sdi_common.natsconn import connect_options
from sdi_common.settings import ServiceSettings
from sdi_common.stack import (
    BIN,
    SERVICES,
    Stack,
    free_port,
    http_ok,
    nats_server_binary,
)
from sdi_common.testing import eventually, wait_until

ROOT = Path(__file__).resolve().parents[2]
NATS_DIR = ROOT / "deploy" / "base" / "nats"
USERS = ["bootstrap", *SERVICES]
REPLICAS = 3
TRIAL_EDITION = ROOT / "config" / "trial" / "2024-open.toml"

EVENT = {
    "title": "Visite de l'atelier de découpe laser",
    "description": "Démonstration de découpe laser et de pliage, présentation des métiers de "
    "la chaudronnerie industrielle et des formations en alternance.",
    "kind": "company_visit",
    "starts_at": "2024-11-21T14:00:00+01:00",
    "ends_at": "2024-11-21T17:00:00+01:00",
    "audiences": ["students", "job_seekers"],
    "is_free": True,
    "informs_about_industry": True,
    "online": False,
    "location": {
        "venue": "Atelier Sud",
        "street": "1 place de la Mairie",
        "postcode": "31000",
        "city": "Toulouse",
    },
    "organizer": {"name": "Tôlerie d'Occitanie", "type": "company", "email": "rh@example.fr"},
}


# --------------------------------------------------------------------------- TLS material


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_tls(directory: Path) -> None:
    """A CA and one certificate for the servers (server and client auth, as the routes
    verify each other), with the SANs the README asks for plus this machine's."""
    directory.mkdir(parents=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("sdi test CA"))
        .issuer_name(_name("sdi test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(n) for n in ("nats", "*.nats-headless", "localhost")]
    sans.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("nats"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.crt").write_bytes(ca.public_bytes(pem))
    (directory / "tls.crt").write_bytes(cert.public_bytes(pem))
    (directory / "tls.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


# --------------------------------------------------------------------------- the cluster


def local_conf(conf: str, i: int, ports: list[dict], node_dir: Path, tls_dir: Path) -> str:
    """deploy's nats.conf for node i on this machine: only addresses and paths change."""

    def sub(pattern: str, repl: str, text: str, count: int = 1) -> str:
        new, n = re.subn(pattern, repl, text, flags=re.MULTILINE)
        assert n == count, f"nats.conf changed: {pattern!r} matched {n} times, expected {count}"
        return new

    p = ports[i]
    conf = sub(r"^listen: 0\.0\.0\.0:4222$", f"listen: 127.0.0.1:{p['client']}", conf)
    conf = sub(r"^http: 0\.0\.0\.0:8222$", f"http: 127.0.0.1:{p['monitor']}", conf)
    conf = sub(r"^pid_file: \S+$", f"pid_file: {node_dir}/nats.pid", conf)
    conf = sub(r"^  store_dir: /data$", f"  store_dir: {node_dir}/data", conf)
    conf = sub(r"^  listen: 0\.0\.0\.0:6222$", f"  listen: 127.0.0.1:{p['route']}", conf)
    conf = sub(r"/etc/nats-tls/", f"{tls_dir}/", conf, count=6)
    for k in range(REPLICAS):
        conf = sub(
            rf"nats://nats-{k}\.nats-headless:6222", f"nats://127.0.0.1:{ports[k]['route']}", conf
        )
    return conf


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    base = tmp_path_factory.mktemp("nats-cluster")
    tls_dir = base / "tls"
    make_tls(tls_dir)
    passwords = {u: secrets.token_hex(16) for u in USERS}
    env = {f"{u.upper().replace('-', '_')}_PASSWORD": pw for u, pw in passwords.items()}
    ports = [
        {"client": free_port(), "route": free_port(), "monitor": free_port()}
        for _ in range(REPLICAS)
    ]
    conf = (NATS_DIR / "nats.conf").read_text()
    procs = []
    try:
        for i in range(REPLICAS):
            node = base / f"nats-{i}"
            node.mkdir()
            (node / "nats.conf").write_text(local_conf(conf, i, ports, node, tls_dir))
            (node / "auth.conf").write_text((NATS_DIR / "auth.conf").read_text())  # unchanged
            with open(node / "server.log", "wb") as log:  # the child keeps its own descriptor
                procs.append(
                    subprocess.Popen(
                        [nats_server_binary(), "--config", str(node / "nats.conf")],
                        env={"SERVER_NAME": f"nats-{i}", **env},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        for i, (proc, p) in enumerate(zip(procs, ports, strict=True)):
            wait_until(
                lambda proc=proc, p=p: (
                    proc.poll() is None
                    and http_ok(f"http://127.0.0.1:{p['monitor']}/healthz?js-enabled-only=true")
                ),
                60,
                f"nats-{i} (log: {base}/nats-{i}/server.log)",
            )
        wait_until(
            lambda: all(_meta_leader(p["monitor"]) for p in ports), 60, "a JetStream meta leader"
        )
        yield {"dir": base, "ca": str(tls_dir / "ca.crt"), "passwords": passwords, "ports": ports}
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _meta_leader(monitor_port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{monitor_port}/jsz", timeout=1) as r:
            return (json.load(r).get("meta_cluster") or {}).get("leader")
    except OSError:
        return None


def url_for(cluster, user: str) -> str:
    pw = cluster["passwords"][user]
    return ",".join(f"tls://{user}:{pw}@127.0.0.1:{p['client']}" for p in cluster["ports"])


@pytest.fixture(scope="module")
def bootstrapped(cluster):
    """`sdi-bootstrap` as the Job runs it: user bootstrap, TLS, STREAM_REPLICAS=3."""
    env = {
        **os.environ,
        "NATS_URL": url_for(cluster, "bootstrap"),
        "NATS_TLS_CA": cluster["ca"],
        "STREAM_REPLICAS": str(REPLICAS),
        "SERVICE_NAME": "bootstrap",
    }

    def bootstrap_ran() -> bool:
        out = subprocess.run(
            [str(BIN / "sdi-bootstrap")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        return True

    # the Job retries too (restartPolicy OnFailure, backoffLimit) while the cluster forms
    wait_until(bootstrap_ran, 60, "sdi-bootstrap", interval=2)
    asyncio.run(_wait_for_leaders(cluster))
    return cluster


async def _wait_for_leaders(cluster, timeout: float = 60) -> None:
    """R3 streams elect their leaders a moment after creation."""
    nc = await _connect(cluster, "bootstrap")
    js = nc.jetstream()
    names = [
        subjects.STREAM,
        subjects.DEADLETTER_STREAM,
        *(f"KV_{b.name}" for b in topology.BUCKETS),
    ]

    async def elected() -> bool:
        infos = [await js.stream_info(n) for n in names]
        assert all(i.cluster and i.cluster.leader for i in infos), "streams without a leader"
        return True

    try:
        await eventually(elected, timeout, interval=0.2)
    finally:
        await nc.close()


@pytest.fixture(scope="module")
def stack(bootstrapped):
    """The four services, configured as in the pods (their own NATS user, TLS with the CA);
    SQLite and the offline gazetteer stand in for MongoDB and the national API, which this
    machine does not have."""
    cluster = bootstrapped
    service_env = {u: {"NATS_URL": url_for(cluster, u)} for u in SERVICES}
    env = {"NATS_TLS_CA": cluster["ca"], "STORE": "sqlite", "GEOCODER_CHAIN": "gazetteer"}
    if TRIAL_EDITION.exists():  # the 2024 week, with its submission window still open
        env["EDITION_FILE"] = str(TRIAL_EDITION)
    s = Stack(
        data_dir=cluster["dir"] / "stack",
        nats_url=url_for(cluster, "bootstrap"),
        env=env,
        service_env=service_env,
    )
    try:
        for name in SERVICES:
            s.start(name, wait=False)
        for name in SERVICES:
            s.wait_ready(name)
        yield s
    finally:
        s.stop_all()


async def _connect(cluster, user: str, errors: list | None = None) -> nats.NATS:
    settings = ServiceSettings(nats_url=url_for(cluster, user), nats_tls_ca=cluster["ca"])
    options = connect_options(settings, f"test-{user}")
    if errors is not None:

        async def on_error(exc):
            errors.append(str(exc))

        options["error_cb"] = on_error
    return await nats.connect(**options)


# --------------------------------------------------------------------------- tests


def test_the_topology_is_replicated_on_three_servers(bootstrapped):
    cluster = bootstrapped

    async def check():
        nc = await _connect(cluster, "bootstrap")
        js = nc.jetstream()
        try:
            for stream in [
                subjects.STREAM,
                subjects.DEADLETTER_STREAM,
                *(f"KV_{b.name}" for b in topology.BUCKETS),
            ]:
                info = await js.stream_info(stream)
                assert info.config.num_replicas == REPLICAS, stream
                assert info.cluster.leader and len(info.cluster.replicas or []) == REPLICAS - 1, (
                    stream
                )
            for consumer in topology.CONSUMERS:
                await js.consumer_info(subjects.STREAM, consumer.durable)
        finally:
            await nc.close()

    asyncio.run(check())


def test_each_user_can_do_its_job(bootstrapped):
    """The JetStream calls each service makes (nats-py, as FastStream and the services use
    it), in pipeline order, each as its own user: everything it needs is allowed."""
    cluster = bootstrapped

    async def pull_one(js, subject: str, durable: str) -> None:
        sub = await js.pull_subscribe(subject, durable=durable, stream=subjects.STREAM)
        msgs = await sub.fetch(1, timeout=10)
        await msgs[0].ack()

    async def publish(js, subject: str, n: str, stream: str = subjects.STREAM) -> None:
        ack = await js.publish(
            subject,
            b'{"probe": true}',
            stream=stream,
            headers={"Nats-Msg-Id": f"probe-{subject}-{n}"},
        )
        assert ack.stream == stream

    async def kv_roundtrip(js, bucket: str) -> None:
        kv = await js.key_value(bucket)
        await kv.put("probe", b"1")
        assert (await kv.get("probe")).value == b"1"
        await kv.delete("probe")

    async def run() -> None:
        conns = {u: await _connect(cluster, u) for u in SERVICES}
        try:
            n = secrets.token_hex(4)
            js = {u: nc.jetstream() for u, nc in conns.items()}
            # submission: intake, idempotency answers, sealing keys
            await publish(js["submission"], subjects.RECEIVED, n)
            await publish(js["submission"], subjects.DECIDED, n)
            await kv_roundtrip(js["submission"], topology.IDEMPOTENCY_BUCKET.name)
            await kv_roundtrip(js["submission"], topology.CONTACT_KEYS_BUCKET.name)
            # validation judges it
            await pull_one(js["validation"], subjects.RECEIVED, topology.VALIDATION.durable)
            await publish(js["validation"], subjects.LABELLED, n)
            await publish(
                js["validation"], subjects.deadletter("validation"), n, subjects.DEADLETTER_STREAM
            )
            # geocoding places it (its consumer filters two subjects: FastStream binds with a wildcard)
            await pull_one(js["geocoding"], f"{subjects.PREFIX}.*", topology.GEOCODING.durable)
            await kv_roundtrip(js["geocoding"], topology.GEOCACHE_BUCKET.name)
            await publish(js["geocoding"], subjects.GEOCODED, n)
            # map-feed indexes it, and every replica watches FEED
            await pull_one(js["map-feed"], f"{subjects.PREFIX}.*", topology.FEED_INDEXER.durable)
            feed = await js["map-feed"].key_value(topology.FEED_BUCKET.name)
            await feed.put("probe", b"{}")
            watcher = await feed.watchall()
            seen = await watcher.updates(timeout=5)
            assert seen is not None and seen.key == "probe"
            await watcher.stop()
            await feed.delete("probe")
            await publish(js["map-feed"], subjects.PUBLISHED, n)
            # submission projects everything, and can replay the stream (rebuild)
            await pull_one(js["submission"], subjects.ALL, topology.SUBMISSION_PROJECTOR.durable)
            replay = await js["submission"].subscribe(
                subjects.ALL, stream=subjects.STREAM, ordered_consumer=True
            )
            first = await replay.next_msg(timeout=5)
            assert first.subject == subjects.RECEIVED
            await replay.unsubscribe()
        finally:
            for nc in conns.values():
                await nc.close()

    asyncio.run(run())


# after the probes above: the services' consumers would take their messages
def test_a_submission_reaches_the_feed_with_one_user_per_service(stack):
    for _attempt in range(5):  # a client retries a 503 after Retry-After, as documented
        r = httpx.post(stack.url("submission") + "/v1/submissions", json=EVENT, timeout=10)
        if r.status_code != 503:
            break
        time.sleep(float(r.headers.get("Retry-After", 1)))
    assert r.status_code == 202, r.text
    sid, token = r.json()["id"], r.json()["organizer_token"]

    def published() -> bool:
        got = httpx.get(
            f"{stack.url('submission')}/v1/submissions/{sid}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        status = got.json()["status"] if got.status_code == 200 else got.status_code
        assert status == "published"
        return True

    wait_until(published, 30, interval=0.2)
    feed = httpx.get(stack.url("map-feed") + "/v1/feed", timeout=5).json()
    assert sid in {f["id"] for f in feed["features"]}


def test_keda_reads_the_consumers_lag_in_the_global_account(bootstrapped):
    cluster = bootstrapped
    """What KEDA's nats-jetstream scaler asks the monitoring port (account $G)."""
    port = cluster["ports"][0]["monitor"]
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}/jsz?acc=%24G&consumers=true&config=true", timeout=5
    ) as r:
        jsz = json.load(r)
    [account] = [a for a in jsz["account_details"] if a["name"] == "$G"]
    [stream] = [s for s in account["stream_detail"] if s["name"] == subjects.STREAM]
    assert {"validation", "geocoding"} <= {c["name"] for c in stream["consumer_detail"]}
    # the scaler finds the leader by server name and asks <server name>.<endpoint>
    assert stream["cluster"]["leader"] in {f"nats-{i}" for i in range(REPLICAS)}


def refused(errors: list[str]) -> list[str]:
    return [e for e in errors if "permissions violation" in e.lower()]


def test_each_user_is_refused_what_is_not_its_business(bootstrapped):
    cluster = bootstrapped
    forbidden_publish = {
        "validation": [
            "submissions.received",
            "submissions.published",
            "$KV.FEED.x",
            "$JS.API.STREAM.DELETE.SUBMISSIONS",
            "$JS.API.CONSUMER.MSG.NEXT.SUBMISSIONS.geocoding",
        ],
        "geocoding": [
            "submissions.labelled",
            "$KV.FEED.x",
            "$KV.IDEMPOTENCY.x",
            "$JS.API.CONSUMER.DURABLE.CREATE.SUBMISSIONS.rogue",
        ],
        "map-feed": [
            "submissions.geocoded",
            "$KV.GEOCACHE.x",
            "$KV.CONTACT_KEYS.x",
            "$JS.API.STREAM.PURGE.SUBMISSIONS",
            "$JS.API.CONSUMER.MSG.NEXT.SUBMISSIONS.validation",
        ],
        "submission": [
            "submissions.labelled",
            "submissions.published",
            "$KV.FEED.x",
            "$JS.API.STREAM.UPDATE.SUBMISSIONS",
            "$JS.API.CONSUMER.DELETE.SUBMISSIONS.validation",
        ],
    }

    async def errors_of(user: str, subjects_: list[str]) -> list[str]:
        errors: list[str] = []
        nc = await _connect(cluster, user, errors)
        try:
            for subject in subjects_:
                await nc.publish(subject, b"{}")
            # and nobody reads another one's traffic
            sub = await nc.subscribe("submissions.>")
            await nc.flush()
            # the server's -ERR lines arrive asynchronously: wait for all (or time out: the
            # caller's assertion then shows what came)
            with contextlib.suppress(TimeoutError):
                await eventually(lambda: len(refused(errors)) > len(subjects_))
            # and nothing more than expected: the server answers in order, so once this
            # ping's pong is back, any -ERR of what came before has arrived
            await nc.flush()
            await sub.unsubscribe()
        finally:
            await nc.close()
        return errors

    async def check():
        for user, subjects_ in forbidden_publish.items():
            errors = await errors_of(user, subjects_)
            assert len(refused(errors)) == len(subjects_) + 1, (user, errors)

    asyncio.run(check())


def test_wrong_password_is_refused(cluster):
    async def check():
        settings = ServiceSettings(
            nats_url=f"tls://validation:nope@127.0.0.1:{cluster['ports'][0]['client']}",
            nats_tls_ca=cluster["ca"],
        )
        options = {
            **connect_options(settings, "intruder"),
            "max_reconnect_attempts": 0,
            "allow_reconnect": False,
            "connect_timeout": 3,
        }
        with pytest.raises((OSError, nats.errors.Error)):
            nc = await nats.connect(**options)
            await nc.close()

    asyncio.run(check())
