"""The walking skeleton from the images, as containers under the production manifests.

deploy/Dockerfile and deploy/addok/Dockerfile are built on the local bases; every service,
the bootstrap Job and addok then run from them as the prod overlay declares (pods.py:
user, read-only root, capabilities, no-new-privileges, tmpfs for each emptyDir, memory and
CPU limits). What differs on one machine, and why:

- one plain NATS container (the local image) for the three-node TLS cluster
  (test_nats_cluster.py runs that configuration), so NATS_URL and NATS_TLS_CA are ours;
- FerretDB (the local image) for the MongoDB replica set: MONGODB_URL is its;
- addok's Redis is the host's redis-server; addok is indexed with one mairie address, and
  geocoding asks it (GEOCODER_CHAIN=addok,gazetteer: no Internet here);
- host network (no bridge): ports are free ones, HOST=127.0.0.1 (not the machine's
  interfaces), STREAM_REPLICAS=1.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from pods import DEPLOY, REPORT, ROOT, kustomize, pods, run_pod
from sdi_common.stack import free_port, wait_until
from sdi_common.testing import ferretdb_server, nats_server

TRIAL_EDITION = ROOT / "config" / "trial" / "2024-open.toml"
SERVICES = ["submission", "validation", "geocoding", "map-feed"]
OPERATOR_TOKEN = secrets.token_urlsafe(24)
#: the address of the event below, as addok's index holds it (a mairie of tests/data)
ADDRESS = {"street": "10 place de l'Hôtel-de-Ville", "postcode": "01100", "city": "Bellignat",
           "citycode": "01031", "lon": 5.62868, "lat": 46.2421}
EVENT = {
    "title": "Visite de l'atelier de plasturgie",
    "description": "Découvrez nos lignes d'injection plastique, l'atelier de maintenance et "
    "les métiers de l'industrie : opérateurs, régleurs, techniciens, ingénieurs.",
    "kind": "company_visit",
    "starts_at": "2024-11-20T09:00:00+01:00",
    "ends_at": "2024-11-20T12:00:00+01:00",
    "audiences": ["pupils", "job_seekers"],
    "is_free": True,
    "informs_about_industry": True,
    "online": False,
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
        d.mkdir()
        d.chmod(0o755)
    shutil.copy(TRIAL_EDITION, dirs["edition"] / "edition.toml")  # its window is still open
    digest = hashlib.sha256(OPERATOR_TOKEN.encode()).hexdigest()
    (dirs["operator-tokens"] / "tokens").write_text(f"ops:{digest}\n")
    shutil.copy(DEPLOY / "components" / "addok" / "addok.conf", dirs["config"] / "addok.conf")
    for path in tmp.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # uid 10001 reads them
    return dirs


class Platform:
    def __init__(self):
        self.running = {}
        self.job_exit = None
        self.nats_url = ""

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.running[name].port}"


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


@pytest.fixture(scope="module")
def platform(docker_engine, images, tmp_path_factory):
    by_name = pods(kustomize(DEPLOY / "overlays" / "prod"))
    tmp = tmp_path_factory.mktemp("pods")
    mounts = volumes(tmp)
    p = Platform()
    secret_values: dict = {}
    with ExitStack() as stack:
        p.nats_url = stack.enter_context(nats_server(tmp, docker_engine))
        mongodb_url = stack.enter_context(ferretdb_server(tmp, docker_engine))
        redis_port = redis_server(stack, tmp)

        # addok: indexed by a pod of its own image (deploy/README.md, section 6), then served
        addok = by_name["addok"]
        addok_env = addok.env(secret_values, {"REDIS_HOST": "127.0.0.1",
                                              "REDIS_PORT": str(redis_port)})
        data = tmp / "addok-data"
        data.mkdir()
        (data / "addresses.jsonl").write_text(addok_documents())
        for path in (data, data / "addresses.jsonl"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        with run_pod(docker_engine, addok, images["sdi-addok"], env=addok_env, mounts=mounts,
                     args=["sh", "-c", "addok batch /data/addresses.jsonl && addok ngrams"],
                     extra_mounts={data: "/data"}) as loader:
            assert loader.wrapped.wait(timeout=120)["StatusCode"] == 0, loader.wrapped.logs()
        addok_port = free_port()
        image_cmd = docker_engine.cli("image", "inspect", "--format", "{{json .Config.Cmd}}",
                                      images["sdi-addok"]).stdout
        cmd = json.loads(image_cmd)
        cmd[cmd.index("--bind") + 1] = f"127.0.0.1:{addok_port}"  # host network: a free port
        p.running["addok"] = stack.enter_context(run_pod(
            docker_engine, addok, images["sdi-addok"], env=addok_env, mounts=mounts, args=cmd,
            port=addok_port))

        # the same differences for every service of ours (module docstring)
        shared = {"HOST": "127.0.0.1", "NATS_URL": p.nats_url, "NATS_TLS_CA": "",
                  "STREAM_REPLICAS": "1", "MONGODB_URL": mongodb_url,
                  "GEOCODER_CHAIN": "addok,gazetteer", "ADDOK_URL": f"http://127.0.0.1:{addok_port}"}
        job = by_name["sdi-bootstrap"]
        with run_pod(docker_engine, job, images["sdi"], env=job.env(secret_values, shared),
                     mounts=mounts) as bootstrap:
            p.job_exit = bootstrap.wrapped.wait(timeout=120)["StatusCode"]
            assert p.job_exit == 0, bootstrap.wrapped.logs().decode()[-3000:]
        for name in SERVICES:
            port = free_port()
            env = by_name[name].env(secret_values, {**shared, "PORT": str(port)})
            p.running[name] = stack.enter_context(run_pod(
                docker_engine, by_name[name], images["sdi"], env=env, mounts=mounts, port=port))
        for name, running in p.running.items():
            probe = running.pod.container["startupProbe"]
            budget = probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)
            docker_engine.wait(running.container, lambda r=running: r.pod.probe(
                "startupProbe", r.port), f"{name}'s startup probe", timeout=budget)
        yield p


def test_every_container_runs_as_the_manifests_say(platform):
    for name, running in platform.running.items():
        pod, wrapped = running.pod, running.wrapped
        wrapped.reload()
        host, config = wrapped.attrs["HostConfig"], wrapped.attrs["Config"]
        assert host["ReadonlyRootfs"] is True, name
        assert host["CapDrop"] == ["ALL"], name
        assert "no-new-privileges" in host["SecurityOpt"], name
        assert config["User"] == "10001:10001", name
        assert host["NetworkMode"] == "host", name
        limits = pod.container["resources"]["limits"]
        assert host["Memory"] == running.options["mem_limit"] > 0, (name, limits)
        empty_dirs = {m["mountPath"] for m in pod.container["volumeMounts"]
                      if "emptyDir" in pod.volumes()[m["name"]]}
        assert set(host["Tmpfs"]) == empty_dirs, name
        # and inside: the uid, a read-only root, the emptyDirs writable
        assert wrapped.exec_run(["id", "-u"]).output.decode().strip() == "10001", name
        assert wrapped.exec_run(["sh", "-c", "echo x > /app-write-test"]).exit_code != 0, name
        for path in empty_dirs:
            assert wrapped.exec_run(["sh", "-c", f"echo x > {path}/w && rm {path}/w"]).exit_code == 0, (name, path)


def test_the_probes_the_manifests_declare_answer(platform):
    for name, running in platform.running.items():
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            if kind in running.pod.container:
                assert running.pod.probe(kind, running.port), (name, kind)


def test_the_bootstrap_job_completed(platform):
    assert platform.job_exit == 0


def test_a_submission_reaches_the_feed_from_the_containers(platform):
    t0 = time.monotonic()
    r = httpx.post(platform.url("submission") + "/v1/submissions", json=EVENT, timeout=10)
    assert r.status_code == 202, r.text
    sid, token = r.json()["id"], r.json()["organizer_token"]

    def in_feed():
        feed = httpx.get(platform.url("map-feed") + "/v1/feed", timeout=5).json()
        return next((f for f in feed["features"] if f["id"] == sid), None)

    feature = wait_until(in_feed, 30, "the event in the feed")
    REPORT["container skeleton"] = f"first event in the feed {time.monotonic() - t0:.2f} s after its POST"
    # placed by the addok container at the housenumber, not by the gazetteer's town centre
    assert feature["properties"]["precision"] == "housenumber", feature["properties"]
    assert feature["geometry"]["coordinates"] == pytest.approx([ADDRESS["lon"], ADDRESS["lat"]], abs=1e-4)
    assert "contact@example.fr" not in json.dumps(feature)

    def published():
        got = httpx.get(f"{platform.url('submission')}/v1/submissions/{sid}",
                        headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
        return got if got["status"] == "published" else None

    wait_until(published, 20, "status published")
    # the operators' list, from the MongoDB adapter on FerretDB, finds it by a folded word
    found = httpx.get(platform.url("submission") + "/v1/submissions",
                      params={"q": "PLASTURGIE", "status": "published"},
                      headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}, timeout=5)
    assert found.status_code == 200, found.text
    assert [i["id"] for i in found.json()["items"]] == [sid]


def test_sigterm_stops_each_service_within_its_grace_period(platform):
    """Last: what the kubelet does on a rollout (the preStop sleep aside)."""
    for name in reversed(SERVICES):
        running = platform.running[name]
        grace = running.pod.spec.get("terminationGracePeriodSeconds", 30)
        t0 = time.monotonic()
        running.wrapped.stop(timeout=grace)
        running.wrapped.reload()
        assert running.wrapped.attrs["State"]["ExitCode"] == 0, (name, running.wrapped.logs()[-2000:])
        assert time.monotonic() - t0 < grace, name
