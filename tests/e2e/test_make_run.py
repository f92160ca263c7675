"""`make run`'s launcher in the background: starts everything, restarts a crashed service,
and stops every process it started on SIGTERM."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sdi_common.stack import SERVICES, free_port, http_ok
from sdi_common.testing import wait_until

BIN = Path(sys.executable).parent


def _children(pid: int) -> set[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    return {int(x) for x in out.stdout.split()}


def test_launcher_runs_supervises_and_stops_cleanly(tmp_path):
    ports = {name: free_port() for name in SERVICES}
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        **{f"{n.upper().replace('-', '_')}_PORT": str(p) for n, p in ports.items()},
    }
    env.pop("NATS_URL", None)
    proc = subprocess.Popen([str(BIN / "sdi-run")], env=env, stdout=subprocess.PIPE, text=True)

    def all_ready() -> bool:
        if proc.poll() is not None:
            pytest.fail("sdi-run exited early")
        return all(http_ok(f"http://127.0.0.1:{p}/readyz") for p in ports.values())

    try:
        wait_until(all_ready, 90, "every service ready", interval=0.3)
        children = _children(proc.pid)
        assert len(children) == len(SERVICES) + 1  # the services and nats-server

        # kill -9 one service: the launcher brings it back
        victim = next(iter(_children(proc.pid)))
        os.kill(victim, signal.SIGKILL)
        # the same budget as the first start: a service starting on a loaded CI machine
        # took over 30 s (seen once)
        wait_until(lambda: len(_children(proc.pid)) == len(SERVICES) + 1 and all_ready(), 90,
                   "the crashed service restarted", interval=0.3)
        children = _children(proc.pid)

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        for pid in children:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
        assert (tmp_path / "nats").is_dir() and (tmp_path / "logs").is_dir()
    finally:
        if proc.poll() is None:
            proc.kill()
