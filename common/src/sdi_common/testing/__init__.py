"""Test helpers: real servers on free ports (nats-server, FerretDB: in containers of a
private Docker engine where one runs, else the local binaries), the topology declared on
them, waiting on conditions (``eventually``, ``wait_until``); a real addok in
``sdi_common.testing.addok``; the private engine and its local bases in
``sdi_common.testing.docker``.

    with nats_server(tmp_path, engine) as url: ...      # NATS in a container, else the binary
    with ferretdb_server(tmp_path, engine) as url: ...  # FerretDB likewise (cached binary)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import subjects
from ..bootstrap import bootstrap
from ..stack import (
    FerretDB,
    NatsServer,
    Stack,
    ferretdb_args,
    ferretdb_url,
    free_port,
    http_ok,
    mongodb_answers,
)
from ..waiting import eventually, wait_until
from .docker import DockerEngine, base_images, prepare_bases

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "DockerEngine", "NatsServer", "Stack", "base_images",
           "bootstrapped", "consumer_idle", "eventually", "ferretdb_server", "nats_server",
           "prepare_bases", "wait_until"]

#: Debian's Chromium, driven by Playwright with ``executable_path`` (never a downloaded one)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Hermetic: nothing but the local services resolves (the tile server is unreachable).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


# --------------------------------------------------------------------------- servers


@contextmanager
def nats_server(tmp_path: Path, engine: DockerEngine | None = None) -> Iterator[str]:
    """Yield the URL of a fresh JetStream server: a testcontainers container of the local
    NATS image when ``engine`` is given, the nats-server binary otherwise."""
    if engine is not None:
        port, monitor = free_port(), free_port()
        args = ["-a", "127.0.0.1", "-p", str(port), "-m", str(monitor), "-js", "-sd", "/data",
                "--server_name", "sdi-test"]
        url = f"nats://127.0.0.1:{port}"
        with engine.container(engine.base("nats"), args, tmpfs=["/data"]) as container:
            engine.wait(container, lambda: http_ok(
                f"http://127.0.0.1:{monitor}/healthz?js-enabled-only=true"), "nats-server")
            yield url
        return
    server = NatsServer(Path(tmp_path) / "nats").start()
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def ferretdb_server(tmp_path: Path, engine: DockerEngine | None = None) -> Iterator[str]:
    """Yield the URL of a fresh FerretDB (MongoDB wire protocol, SQLite backend): a
    testcontainers container of the local image when ``engine`` is given, the cached
    binary otherwise (FileNotFoundError when it was never built)."""
    if engine is not None:
        port = free_port()
        url = ferretdb_url(port)
        args = ferretdb_args("/state", f"127.0.0.1:{port}")
        # /tmp too: the image is FROM scratch, and SQLite needs a temporary directory for
        # the sorts of a write that updates several indexes ("disk I/O error (6410)",
        # SQLITE_IOERR_GETTEMPPATH, without one)
        with engine.container(engine.base("ferretdb"), args, tmpfs=["/state", "/tmp"]) as c:
            engine.wait(c, lambda: mongodb_answers(url), "ferretdb")
            yield url
        return
    server = FerretDB(Path(tmp_path) / "ferretdb").start()
    try:
        yield server.url
    finally:
        server.stop()


def bootstrapped(url: str) -> str:
    """Declare streams, consumers and buckets on the server (what ``sdi-bootstrap`` does)."""
    asyncio.run(bootstrap(url))
    return url


async def consumer_idle(js, durable: str) -> bool:
    """Whether a durable consumer has nothing pending and nothing unacknowledged."""
    info = await js.consumer_info(subjects.STREAM, durable)
    return info.num_pending == 0 and info.num_ack_pending == 0
