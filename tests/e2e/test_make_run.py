"""`make run`'s launcher in the background: starts everything, restarts a crashed service,
and stops every process it started on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sdi_common.stack import SERVICES, free_port, http_ok

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
    try:
        deadline = time.monotonic() + 90
        while not all(http_ok(f"http://127.0.0.1:{p}/readyz") for p in ports.values()):
            assert proc.poll() is None, "sdi-run exited early"
            assert time.monotonic() < deadline, "services not ready in 90 s"
            time.sleep(0.3)
        children = _children(proc.pid)
        assert len(children) == len(SERVICES) + 1  # the services and nats-server

        # kill -9 one service: the launcher brings it back
        victim = next(iter(_children(proc.pid)))
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not (len(_children(proc.pid)) == len(SERVICES) + 1
                   and all(http_ok(f"http://127.0.0.1:{p}/readyz") for p in ports.values())):
            assert time.monotonic() < deadline, "crashed service not restarted"
            time.sleep(0.3)
        children = _children(proc.pid)

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        for pid in children:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
        assert (tmp_path / "nats").is_dir() and (tmp_path / "logs").is_dir()
    finally:
        if proc.poll() is None:
            proc.kill()
