"""`STORE=mongodb make run` without MONGODB_URL: the launcher starts a local FerretDB (the
binary `make test-deps` caches), the submissions land in it, and SIGTERM stops it with the
rest."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient
from pymongo.errors import ServerSelectionTimeoutError
from sdi_common.settings import REPO_ROOT
from sdi_common.stack import SERVICES, ferretdb_binary, free_port, http_ok, wait_until
from sdi_common.testing.samples import SKELETON_EVENT as EVENT

BIN = Path(sys.executable).parent


def test_make_run_with_the_mongodb_store_starts_and_stops_a_local_ferretdb(tmp_path):
    try:
        ferretdb_binary()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    ports = {name: free_port() for name in SERVICES}
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "STORE": "mongodb",
        "EDITION_FILE": str(REPO_ROOT / "config" / "trial" / "2024-open.toml"),
        **{f"{n.upper().replace('-', '_')}_PORT": str(p) for n, p in ports.items()},
    }
    for key in ("NATS_URL", "MONGODB_URL"):
        env.pop(key, None)
    proc = subprocess.Popen([str(BIN / "sdi-run")], env=env, stdout=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: proc.poll() is not None or all(
            http_ok(f"http://127.0.0.1:{p}/readyz") for p in ports.values()), 90, "the services")
        assert proc.poll() is None, "sdi-run exited early"
        banner = ""
        while "edition" not in banner:
            banner += proc.stdout.readline()
        [store] = [line for line in banner.splitlines() if "submission store" in line]
        assert "local FerretDB" in store, banner
        url = store.split()[3]  # "submission store    mongodb <url> (local FerretDB, ...)"

        r = httpx.post(f"http://127.0.0.1:{ports['submission']}/v1/submissions", json=EVENT,
                       timeout=10)
        assert r.status_code == 202, r.text
        client = MongoClient(url, serverSelectionTimeoutMS=5000)
        try:
            assert client["sdi_submission"]["submissions"].find_one({"_id": r.json()["id"]})
        finally:
            client.close()
        assert not (tmp_path / "submissions.sqlite3").exists()

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        assert not http_ok(f"http://127.0.0.1:{ports['submission']}/readyz")
        client = MongoClient(url, serverSelectionTimeoutMS=500)
        try:
            with pytest.raises(ServerSelectionTimeoutError):  # nothing listens any more
                client.admin.command("ping")
        finally:
            client.close()
        assert (tmp_path / "ferretdb" / "ferretdb.log").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
