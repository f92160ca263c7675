"""Test helpers: a real nats-server on a free port, the topology declared on it, waiting on
conditions (``eventually``, ``wait_until``); a real addok in ``sdi_common.testing.addok``.

    from sdi_common.testing import nats_server, bootstrapped

    @pytest.fixture
    def nats_url(tmp_path):
        with nats_server(tmp_path) as url:
            bootstrapped(url)
            yield url

Where a Docker engine exists, ``SDI_TEST_NATS=container`` runs the server in a
testcontainers NATS container instead of the local binary.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import subjects
from ..bootstrap import bootstrap
from ..stack import NatsServer, Stack
from ..waiting import eventually, wait_until

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "NatsServer", "Stack", "bootstrapped",
           "consumer_idle", "docker_available", "eventually", "nats_server", "wait_until"]

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


def docker_available() -> bool:
    try:
        import docker  # type: ignore[import-not-found]

        docker.from_env().ping()
        return True
    except Exception:  # noqa: BLE001 - no docker package, no engine, no permission
        return False


@contextmanager
def nats_server(tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a fresh JetStream server (local binary, or a container if asked)."""
    if os.environ.get("SDI_TEST_NATS") == "container" and docker_available():
        from testcontainers.nats import NatsContainer

        with NatsContainer(command="-js") as container:
            yield container.nats_uri()
        return
    server = NatsServer(Path(tmp_path) / "nats").start()
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
