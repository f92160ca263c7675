"""The manifests' pods as containers on the tests' private Docker engine.

Used by tests/deploy/test_containers.py (the walking skeleton under the production security
context) and by bench/containers.py (what each container needs, for the requests and limits).
A workload of the rendered overlay becomes ``docker run`` options, field by field:

- ``securityContext`` (container's, else pod's): ``runAsUser:runAsGroup`` -> ``--user``,
  ``readOnlyRootFilesystem`` -> ``--read-only``, ``capabilities.drop`` -> ``--cap-drop``,
  ``allowPrivilegeEscalation: false`` -> ``no-new-privileges``; RuntimeDefault seccomp is
  the engine's default profile;
- ``emptyDir`` volumes -> tmpfs (mode 1777 like an emptyDir, ``sizeLimit`` as its size);
  ``configMap``/``secret`` volumes -> read-only bind mounts of directories the caller fills;
- ``resources.limits`` -> ``--memory`` and ``--cpus`` (the pod is OOM-killed or throttled
  as the kubelet would);
- ``command``/``args`` -> entrypoint/command; ``envFrom`` the ConfigMaps, then ``env``
  (``$(VAR)`` expanded, secrets from the caller, ``fieldRef`` metadata.name), then the
  caller's overrides (what differs on one machine: ports, the NATS and MongoDB URLs).

No bridge here: every container is on the host network, on ports the caller picks.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import httpx
import pytest
import yaml

from ..settings import REPO_ROOT as ROOT
from ..stack import free_port, wait_until
from . import ferretdb_server, nats_server
from .samples import SKELETON_EVENT

DEPLOY = ROOT / "deploy"

#: what the deployment tests measured, printed at the end of the run (tests/deploy/conftest.py)
REPORT: dict[str, str] = {}
KUBECTL = shutil.which("kubectl") or (
    "/usr/bin/kubectl" if Path("/usr/bin/kubectl").exists() else None
)


def kustomize(path: Path) -> list[dict]:
    if KUBECTL is None:
        pytest.skip(
            "kubectl not found: cannot render the kustomize overlays (install kubectl "
            ">= 1.27, which embeds kustomize v5, to run the deployment tests)"
        )
    out = subprocess.run(
        [KUBECTL, "kustomize", str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, f"kubectl kustomize {path} failed:\n{out.stderr}"
    return [o for o in yaml.safe_load_all(out.stdout) if o]


def quantity(value: str | float) -> float:
    """A Kubernetes quantity: "512Mi" -> bytes, "250m" -> 0.25, "2" -> 2."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9, "m": 1e-3}
    text = str(value)
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


@dataclass
class Pod:
    """One container of a workload, as the kubelet would run it."""

    name: str  # the workload's
    container: dict
    spec: dict  # the pod spec
    config_maps: dict[str, dict[str, str]]  # rendered ConfigMaps by name

    def _security(self, key: str):
        value = (self.container.get("securityContext") or {}).get(key)
        return value if value is not None else (self.spec.get("securityContext") or {}).get(key)

    @property
    def ports(self) -> dict[str, int]:
        return {p.get("name", str(p["containerPort"])): p["containerPort"]
                for p in self.container.get("ports", [])}

    def env(self, secret_values: dict[tuple[str, str], str], overrides: dict[str, str]) -> dict:
        env: dict[str, str] = {}
        for source in self.container.get("envFrom", []):
            ref = source.get("configMapRef")
            if ref:
                env.update(self.config_maps[ref["name"]])
        for item in self.container.get("env", []):
            if "value" in item:
                value = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)),
                               item["value"])
            else:
                ref = item["valueFrom"]
                if "secretKeyRef" in ref:
                    key = (ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"])
                    value = secret_values.setdefault(key, secrets.token_hex(16))
                else:
                    assert ref["fieldRef"]["fieldPath"] == "metadata.name", ref
                    value = f"{self.name}-0"
            env[item["name"]] = value
        return {**env, **overrides}

    def volumes(self) -> dict[str, dict]:
        return {v["name"]: v for v in self.spec.get("volumes", [])}

    def docker_options(self, mounts: dict[str, Path]) -> dict:
        """docker-py ``containers.create`` options; ``mounts``: a host directory for each
        configMap/secret volume the container mounts."""
        user, group = self._security("runAsUser"), self._security("runAsGroup")
        drop = ((self.container.get("securityContext") or {}).get("capabilities") or {}).get("drop")
        options: dict = {
            "network_mode": "host",
            "read_only": bool(self._security("readOnlyRootFilesystem")),
            "cap_drop": drop or [],
            "security_opt": ([] if self._security("allowPrivilegeEscalation") is not False
                             else ["no-new-privileges"]),
            "tmpfs": {},
            "volumes": {},
        }
        if user is not None:
            options["user"] = f"{user}:{group if group is not None else user}"
        if self.container.get("command"):
            options["entrypoint"] = self.container["command"]
        volumes = self.volumes()
        for mount in self.container.get("volumeMounts", []):
            volume = volumes[mount["name"]]
            if "emptyDir" in volume:
                size = volume["emptyDir"].get("sizeLimit")
                opts = "mode=1777" + (f",size={int(quantity(size))}" if size else "")
                options["tmpfs"][mount["mountPath"]] = opts
            else:
                options["volumes"][str(mounts[mount["name"]])] = {
                    "bind": mount["mountPath"], "mode": "ro"}
        limits = (self.container.get("resources") or {}).get("limits") or {}
        if "memory" in limits:
            options["mem_limit"] = int(quantity(limits["memory"]))
        if "cpu" in limits:
            options["nano_cpus"] = int(quantity(limits["cpu"]) * 1e9)
        return options

    def probe(self, kind: str, port: int) -> bool:
        """Whether the container's ``kind`` probe (startupProbe...) succeeds now, its named
        port being ``port`` here."""
        probe = self.container[kind]
        if "httpGet" in probe:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}{probe['httpGet']['path']}",
                              timeout=probe.get("timeoutSeconds", 1))
            except httpx.HTTPError:
                return False
            return 200 <= r.status_code < 400  # the kubelet's rule
        assert "tcpSocket" in probe, probe
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False


def pods(objs: list[dict]) -> dict[str, Pod]:
    """Every container of every workload, by workload name (and ``name:container`` when
    a pod has several)."""
    config_maps = {o["metadata"]["name"]: o.get("data", {})
                   for o in objs if o["kind"] == "ConfigMap"}
    # envFrom names the ConfigMap before kustomize's hash suffix is added; keep both
    for name, data in list(config_maps.items()):
        config_maps[re.sub(r"-[a-z0-9]{10}$", "", name)] = data
    found: dict[str, Pod] = {}
    for o in objs:
        if o["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        spec = o["spec"]["template"]["spec"]
        for c in spec["containers"]:
            key = o["metadata"]["name"] if c is spec["containers"][0] else f"{o['metadata']['name']}:{c['name']}"
            found[key] = Pod(o["metadata"]["name"], c, spec, config_maps)
    return found


@dataclass
class Running:
    pod: Pod
    container: object  # testcontainers DockerContainer
    port: int | None = None
    options: dict = field(default_factory=dict)

    @property
    def wrapped(self):
        return self.container.get_wrapped_container()


@contextmanager
def run_pod(engine, pod: Pod, image: str, *, env: dict[str, str], mounts: dict[str, Path],
            args: list[str] | None = None, port: int | None = None,
            extra_mounts: dict[Path, str] | None = None,
            unlimited: bool = False) -> Iterator[Running]:
    """``pod`` as a testcontainers container of ``image`` on ``engine``; removed on exit.
    ``extra_mounts``: read-only host directories beyond the pod's own volumes;
    ``unlimited``: without the memory and CPU limits (to measure what it would take)."""
    from testcontainers.core.container import DockerContainer

    engine.activate()
    options = pod.docker_options(mounts)
    if unlimited:
        options.pop("mem_limit", None)
        options.pop("nano_cpus", None)
    tmpfs, volumes = options.pop("tmpfs"), options.pop("volumes")
    container = DockerContainer(image, command=args if args is not None else pod.container.get("args"),
                                env=env)
    for path, opts in tmpfs.items():
        container.with_tmpfs_mount(path, opts)
    for host, bind in volumes.items():
        container.with_volume_mapping(host, bind["bind"], bind["mode"])
    for host, path in (extra_mounts or {}).items():
        container.with_volume_mapping(str(host), path, "ro")
    container.with_kwargs(**options)
    with container:
        yield Running(pod, container, port, {**options, "tmpfs": tmpfs, "volumes": volumes})


TRIAL_EDITION = ROOT / "config" / "trial" / "2024-open.toml"
SERVICES = ["submission", "validation", "geocoding", "map-feed"]
OPERATOR_TOKEN = secrets.token_urlsafe(24)
#: the address of the event below, as addok's index holds it (a mairie of tests/data)
ADDRESS = {"street": "10 place de l'Hôtel-de-Ville", "postcode": "01100", "city": "Bellignat",
           "citycode": "01031", "lon": 5.62868, "lat": 46.2421}
#: the walking skeleton's event, at that address (addok places it at the housenumber)
EVENT = {
    **SKELETON_EVENT,
    "title": "Visite de l'atelier de plasturgie",
    "description": "Découvrez nos lignes d'injection plastique, l'atelier de maintenance et "
    "les métiers de l'industrie : opérateurs, régleurs, techniciens, ingénieurs.",
    "location": {"venue": "Plasturgie de l'Ain", "street": ADDRESS["street"],
                 "postcode": ADDRESS["postcode"], "city": ADDRESS["city"]},
    "organizer": {"name": "Plasturgie de l'Ain", "type": "company", "email": "contact@example.fr"},
}


def addok_documents() -> str:
    street = {"id": "01031_0001", "type": "street", "name": "Place de l'Hôtel-de-Ville",
              "postcode": ADDRESS["postcode"], "citycode": ADDRESS["citycode"],
              "city": ADDRESS["city"], "lon": ADDRESS["lon"], "lat": ADDRESS["lat"],
              "importance": 0.3, "context": "01",
              "housenumbers": {"10": {"lon": ADDRESS["lon"], "lat": ADDRESS["lat"],
                                      "id": "01031_0001_10"}}}
    town = {"id": ADDRESS["citycode"], "type": "municipality", "name": ADDRESS["city"],
            "postcode": ADDRESS["postcode"], "citycode": ADDRESS["citycode"],
            "city": ADDRESS["city"], "lon": ADDRESS["lon"], "lat": ADDRESS["lat"],
            "importance": 0.5, "context": "01"}
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in (street, town))


def volumes(tmp: Path) -> dict[str, Path]:
    """A directory for each configMap/secret volume the pods mount."""
    dirs = {name: tmp / name for name in
            ("edition", "operator-tokens", "nats-ca", "mongodb-ca", "config")}
    for d in dirs.values():
        d.mkdir(parents=True)
    shutil.copy(TRIAL_EDITION, dirs["edition"] / "edition.toml")  # its window is still open
    digest = hashlib.sha256(OPERATOR_TOKEN.encode()).hexdigest()
    (dirs["operator-tokens"] / "tokens").write_text(f"ops:{digest}\n")
    shutil.copy(DEPLOY / "components" / "addok" / "addok.conf", dirs["config"] / "addok.conf")
    for path in tmp.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # uid 10001 reads them
    return dirs


def redis_server(stack: ExitStack, tmp: Path) -> int:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        pytest.skip("redis-server not installed (addok's store; `make test-deps`)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(lambda: (proc.terminate(), proc.wait(10)))
    wait_until(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                                      check=False).returncode == 0, 10, "redis-server")
    return port


class Skeleton:
    """The walking skeleton from our images, under the prod overlay (module docstring of
    test_containers.py says what differs on one machine, and why): NATS and FerretDB
    containers, the host's redis-server, addok indexed then served, the bootstrap Job run
    to completion, the four services; ready once every startup probe has passed.
    ``unlimited``: services run without their limits (bench/containers.py measures them);
    ``env``: per service, variables over all the others."""

    def __init__(self, engine, images: dict[str, str], tmp: Path, unlimited: tuple[str, ...] = (),
                 env: dict[str, dict[str, str]] | None = None):
        self.engine, self.images, self.tmp, self.unlimited = engine, images, tmp, unlimited
        self.env = env or {}  # per service, over the manifests' and the shared differences
        self.pods = pods(kustomize(DEPLOY / "overlays" / "prod"))
        self.running: dict[str, Running] = {}
        self.job_exit: int | None = None
        self.nats_url = self.mongodb_url = ""
        self.shared: dict[str, str] = {}
        self._stack = ExitStack()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.running[name].port}"

    def __enter__(self) -> Self:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def _start(self) -> None:
        engine, images, tmp, stack = self.engine, self.images, self.tmp, self._stack
        self.mounts = volumes(tmp)
        self.secret_values: dict = {}
        self.nats_url = stack.enter_context(nats_server(tmp, engine))
        self.mongodb_url = stack.enter_context(ferretdb_server(tmp, engine))
        redis_port = redis_server(stack, tmp)

        # addok: indexed by a pod of its own image (deploy/README.md, section 6), then served
        addok = self.pods["addok"]
        addok_env = addok.env(self.secret_values, {"REDIS_HOST": "127.0.0.1",
                                                   "REDIS_PORT": str(redis_port)})
        data = tmp / "addok-data"
        data.mkdir()
        (data / "addresses.jsonl").write_text(addok_documents())
        for path in (data, data / "addresses.jsonl"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        with run_pod(engine, addok, images["sdi-addok"], env=addok_env, mounts=self.mounts,
                     args=["sh", "-c", "addok batch /data/addresses.jsonl && addok ngrams"],
                     extra_mounts={data: "/data"}) as loader:
            assert loader.wrapped.wait(timeout=120)["StatusCode"] == 0, loader.wrapped.logs()
        addok_port = free_port()
        cmd = json.loads(engine.cli("image", "inspect", "--format", "{{json .Config.Cmd}}",
                                    images["sdi-addok"]).stdout)
        cmd[cmd.index("--bind") + 1] = f"127.0.0.1:{addok_port}"  # host network: a free port
        self.running["addok"] = stack.enter_context(run_pod(
            engine, addok, images["sdi-addok"], env=addok_env, mounts=self.mounts, args=cmd,
            port=addok_port))

        # the same differences for every service of ours
        self.shared = {"HOST": "127.0.0.1", "NATS_URL": self.nats_url, "NATS_TLS_CA": "",
                       "STREAM_REPLICAS": "1", "MONGODB_URL": self.mongodb_url,
                       "GEOCODER_CHAIN": "addok,gazetteer",
                       "ADDOK_URL": f"http://127.0.0.1:{addok_port}"}
        job = self.pods["sdi-bootstrap"]
        with run_pod(engine, job, images["sdi"], env=job.env(self.secret_values, self.shared),
                     mounts=self.mounts) as bootstrap:
            self.job_exit = bootstrap.wrapped.wait(timeout=120)["StatusCode"]
            assert self.job_exit == 0, bootstrap.wrapped.logs().decode()[-3000:]
        for name in SERVICES:
            self.start(name)
        for name, running in self.running.items():
            self.wait_started(running)

    def start(self, name: str, replica: int = 1, unlimited: bool | None = None,
              **env: str) -> Running:
        """One more container of service ``name`` (another replica, or a variant)."""
        port = free_port()
        pod = self.pods[name]
        running = self._stack.enter_context(run_pod(
            self.engine, pod, self.images["sdi"], mounts=self.mounts, port=port,
            env=pod.env(self.secret_values, {**self.shared, "PORT": str(port),
                                             **self.env.get(name, {}), **env}),
            unlimited=name in self.unlimited if unlimited is None else unlimited))
        self.running[name if replica == 1 else f"{name}-{replica}"] = running
        return running

    def wait_started(self, running: Running) -> None:
        probe = running.pod.container["startupProbe"]
        budget = probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)
        self.engine.wait(running.container, lambda: running.pod.probe("startupProbe", running.port),
                         f"{running.pod.name}'s startup probe", timeout=budget)
