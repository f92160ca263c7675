"""The real ``sdi-submission`` process: serve, SIGTERM, restart, the rebuild command."""

from __future__ import annotations

import json
import os
import subprocess

import httpx
from sdi_common.stack import BIN, Stack
from submission.tokens import token_hash

from .submission_support import OPERATOR_TOKEN, make_payload, operator_headers


def test_process_restart_keeps_idempotency_and_rebuild_restores_the_store(nats_server, tmp_path,
                                                                          edition_file):
    env = {"OPERATOR_TOKENS": f"alice:{token_hash(OPERATOR_TOKEN)}", "RATE_LIMIT_PER_MINUTE": "0",
           "EDITION_FILE": str(edition_file), "LOG_LEVEL": "WARNING"}
    stack = Stack(data_dir=tmp_path, nats_url=nats_server.url, env=env)
    key = {"Idempotency-Key": "process-restart-key-1"}
    try:
        p = stack.start("submission")
        first = httpx.post(p.url + "/v1/submissions", json=make_payload(), headers=key, timeout=10)
        assert first.status_code == 202
        assert stack.stop("submission") == 0  # SIGTERM: graceful, exit 0

        # wipe the projection and rebuild it from the stream
        (tmp_path / "submissions.sqlite3").unlink()
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"submissions.sqlite3{suffix}").unlink(missing_ok=True)
        out = subprocess.run([str(BIN / "sdi-submission"), "rebuild"], capture_output=True,
                             text=True, timeout=60, check=False,
                             env={**os.environ, **env, "NATS_URL": nats_server.url,
                                  "DATA_DIR": str(tmp_path)})
        assert out.returncode == 0, out.stderr
        counts = json.loads(out.stdout.strip().splitlines()[-1])
        assert counts["events"] >= 1 and counts["applied"] >= 1

        p = stack.start("submission")
        again = httpx.post(p.url + "/v1/submissions", json=make_payload(), headers=key, timeout=10)
        assert again.status_code == 202 and again.json() == first.json()
        sid = first.json()["id"]
        doc = httpx.get(f"{p.url}/v1/submissions/{sid}", headers=operator_headers(), timeout=10)
        assert doc.status_code == 200 and doc.json()["status"] == "received"
        mine = httpx.get(f"{p.url}/v1/submissions/{sid}", timeout=10,
                         headers={"Authorization": f"Bearer {first.json()['organizer_token']}"})
        assert mine.status_code == 200
    finally:
        stack.stop_all()


def test_operator_token_command_prints_a_usable_entry():
    out = subprocess.run([str(BIN / "sdi-submission"), "operator-token", "bob"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0
    token = out.stdout.split("once): ")[1].split()[0]
    assert f"bob:{token_hash(token)}" in out.stdout
