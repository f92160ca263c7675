"""Fixtures of the geocoding tests: a real addok over its own redis-server, a real
nats-server with the topology declared."""

from __future__ import annotations

from pathlib import Path

import pytest
from sdi_common.testing.addok import REDIS_SERVER, read_mairies, running_addok


@pytest.fixture(scope="session")
def mairies() -> list[dict[str, str]]:
    return read_mairies()


@pytest.fixture(scope="session")
def addok_url(tmp_path_factory, mairies) -> str:
    """A real addok (addok-fr, addok-france) indexing the ~3,000 mairie addresses."""
    if not Path(REDIS_SERVER).exists():
        pytest.skip(f"{REDIS_SERVER} is missing (`make test-deps` installs it where root and apt exist)")
    with running_addok(tmp_path_factory.mktemp("addok"), mairies) as url:
        yield url


