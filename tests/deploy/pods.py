"""The manifests' pods as containers on the tests' private Docker engine.

Used by test_containers.py (the walking skeleton under the production security context)
and by bench/containers.py (what each container needs, for the requests and limits).
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

import re
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
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
            extra_mounts: dict[Path, str] | None = None) -> Iterator[Running]:
    """``pod`` as a testcontainers container of ``image`` on ``engine``; removed on exit.
    ``extra_mounts``: read-only host directories beyond the pod's own volumes."""
    from testcontainers.core.container import DockerContainer

    engine.activate()
    options = pod.docker_options(mounts)
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
