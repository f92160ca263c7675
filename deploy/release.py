#!/usr/bin/env python3
"""Build, push and pin a release: the production overlay names our images by digest.

    python3 deploy/release.py --registry registry.example.org/sdi --version 0.2.0
    python3 deploy/release.py ... --build-arg PYTHON_IMAGE=mirror/python:3.11.14-slim-bookworm@sha256:...
    python3 deploy/release.py ... --image sdi=sdi:built-by-ci --image sdi-addok=...  # no build

Builds deploy/Dockerfile and deploy/addok/Dockerfile (or takes images already built),
tags them REGISTRY/sdi:VERSION and REGISTRY/addok:<addok's pinned version>, pushes them,
reads the digest the registry answered for each, and writes name, tag and digest into the
``images:`` entries of the overlay (deploy/overlays/prod by default), between the
``# release: begin`` and ``# release: end`` lines; the rest of the file is left as it is.
Commit the overlay change with the release. Needs only the docker CLI and Python 3.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
BEGIN, END = "# release: begin", "# release: end"


def addok_version() -> str:
    pinned = re.search(r"^addok==(\S+)$", (DEPLOY / "addok" / "requirements.in").read_text(),
                       re.MULTILINE)
    return pinned.group(1)


#: kustomize image name -> (repository under the registry, Dockerfile, build context, tag)
IMAGES = {
    "sdi": ("sdi", DEPLOY / "Dockerfile", ROOT, None),
    "sdi-addok": ("addok", DEPLOY / "addok" / "Dockerfile", DEPLOY / "addok", addok_version()),
}


def docker(*args: str, capture: bool = False) -> str:
    out = subprocess.run([os.environ.get("DOCKER", "docker"), *args], check=True, text=True,
                         capture_output=capture)
    return out.stdout.strip() if capture else ""


def release(registry: str, version: str, built: dict[str, str], build_args: list[str],
            network: str | None = None) -> dict:
    """Push every image; returns kustomize name -> (newName, newTag, digest)."""
    pinned = {}
    for name, (repository, dockerfile, context, tag) in IMAGES.items():
        ref = f"{registry}/{repository}:{tag or version}"
        if name in built:
            docker("tag", built[name], ref)
        else:
            docker("build", "-f", str(dockerfile), "-t", ref,
                   *(["--network", network] if network else []),
                   *[a for arg in build_args for a in ("--build-arg", arg)], str(context))
        docker("push", ref)
        digests = docker("image", "inspect", "--format", "{{json .RepoDigests}}", ref, capture=True)
        repo = ref.rsplit(":", 1)[0]
        [digest] = [d.split("@", 1)[1] for d in re.findall(r'"([^"]+)"', digests)
                    if d.split("@", 1)[0] == repo]
        pinned[name] = (repo, tag or version, digest)
    return pinned


def pin(kustomization: Path, pinned: dict[str, tuple[str, str, str]]) -> None:
    """Rewrite the release block of the overlay's ``images:`` list."""
    text = kustomization.read_text()
    start, end = text.index(BEGIN), text.index(END)
    indent = text[text.rindex("\n", 0, start) + 1 : start]
    block = "".join(
        f"{indent}- name: {name}\n{indent}  newName: {repo}\n{indent}  newTag: \"{tag}\"\n"
        f"{indent}  digest: {digest}\n"
        for name, (repo, tag, digest) in pinned.items()
    )
    kustomization.write_text(text[: start + len(BEGIN)] + "\n" + block + indent + text[end:])


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--registry", required=True, help="e.g. registry.example.org/sdi")
    p.add_argument("--version", required=True, help="the release, e.g. 0.2.0")
    p.add_argument("--overlay", type=Path, default=DEPLOY / "overlays" / "prod")
    p.add_argument("--image", action="append", default=[], metavar="NAME=LOCAL",
                   help="an image already built (sdi, sdi-addok) instead of building it")
    p.add_argument("--build-arg", action="append", default=[], metavar="ARG=VALUE")
    p.add_argument("--network", help="for the builds' RUN steps (host, on an engine without a bridge)")
    args = p.parse_args(argv)
    built = dict(i.split("=", 1) for i in args.image)
    unknown = set(built) - set(IMAGES)
    if unknown:
        p.error(f"unknown image {unknown}: one of {sorted(IMAGES)}")
    pinned = release(args.registry.rstrip("/"), args.version, built, args.build_arg, args.network)
    pin(args.overlay / "kustomization.yaml", pinned)
    for name, (repo, tag, digest) in pinned.items():
        print(f"{name}: {repo}:{tag}@{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
