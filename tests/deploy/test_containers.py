"""The walking skeleton from the images, as containers under the production manifests.

deploy/Dockerfile and deploy/addok/Dockerfile are built on the local bases; every service,
the bootstrap Job and addok then run from them as the prod overlay declares (sdi_common.testing.pods:
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

import json
import time

import httpx
import pytest
from sdi_common.stack import wait_until
from sdi_common.testing.pods import ADDRESS, EVENT, OPERATOR_TOKEN, REPORT, SERVICES, Skeleton

#: the first test builds both images (1-2 minutes each on a loaded 2-core machine)
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def platform(docker_engine, images, tmp_path_factory):
    with Skeleton(docker_engine, images, tmp_path_factory.mktemp("pods")) as skeleton:
        yield skeleton


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
