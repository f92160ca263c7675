"""deploy/release.py for real: the images pushed to a registry, the overlay pinned to the
digests the registry answered, and those digests pulled back.

The registry is Debian's docker-registry (the CNCF distribution registry) on a free port
of this machine; the engine pushes to 127.0.0.1 over plain HTTP (loopback registries are
trusted by default). The overlay written is a copy of deploy/, not the committed one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import httpx
import pytest
from sdi_common.stack import free_port, wait_until
from sdi_common.testing.pods import DEPLOY, kustomize

#: the first test builds both images (1-2 minutes each on a loaded 2-core machine)
pytestmark = pytest.mark.timeout(900)

REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.index.v1+json"
)


@pytest.fixture
def registry(tmp_path):
    if not os.path.exists(REGISTRY):
        pytest.skip("docker-registry not installed (Debian's package; `make test-deps`)")
    port = free_port()
    config = tmp_path / "registry.yml"
    config.write_text(
        "version: 0.1\nlog: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {tmp_path / 'blobs'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n"
    )
    proc = subprocess.Popen([REGISTRY, "serve", str(config)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/v2/"), 20, "docker-registry")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_release_pins_what_the_registry_serves(docker_engine, images, registry, tmp_path):
    deploy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, deploy)
    env = {**os.environ, "DOCKER": docker_engine.cli_path, "DOCKER_HOST": docker_engine.host}
    out = subprocess.run(
        [sys.executable, str(deploy / "release.py"), "--registry", f"{registry}/sdi",
         "--version", "9.9.9", "--overlay", str(deploy / "overlays" / "prod"),
         "--image", f"sdi={images['sdi']}", "--image", f"sdi-addok={images['sdi-addok']}"],
        env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    rendered = {c["image"] for o in kustomize(deploy / "overlays" / "prod")
                if o["kind"] in ("Deployment", "Job")
                for c in o["spec"]["template"]["spec"]["containers"]}
    ours = {i for i in rendered if i.startswith(registry)}
    assert len(ours) == 2, rendered
    for image in ours:
        name_tag, digest = image.split("@")
        repository, tag = name_tag[len(registry) + 1:].rsplit(":", 1)
        # the registry's own answer for that tag is the pinned digest
        head = httpx.head(f"http://{registry}/v2/{repository}/manifests/{tag}",
                          headers={"Accept": MANIFEST_TYPES}, timeout=10)
        assert head.headers["Docker-Content-Digest"] == digest, image
        # and the digest alone brings the image back, identical
        local = images["sdi" if repository.endswith("/sdi") else "sdi-addok"]
        wanted = docker_engine.cli("image", "inspect", "--format", "{{.Id}}", local).stdout
        docker_engine.cli("image", "rm", name_tag)
        docker_engine.cli("pull", f"{registry}/{repository}@{digest}")
        pulled = docker_engine.cli("image", "inspect", "--format", "{{.Id}}",
                                   f"{registry}/{repository}@{digest}").stdout
        assert pulled == wanted, image
    # only the release block changed
    committed = (DEPLOY / "overlays" / "prod" / "kustomization.yaml").read_text()
    written = (deploy / "overlays" / "prod" / "kustomization.yaml").read_text()
    assert committed.split("# release: begin")[0] == written.split("# release: begin")[0]
    assert committed.split("# release: end")[1] == written.split("# release: end")[1]
