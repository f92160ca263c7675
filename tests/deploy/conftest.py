"""Fixtures of the deployment tests: the project's images, built on the private engine.

What they cost and weigh, and how long the container skeleton took to put a first event
in the feed, are printed at the end of the run (section "deployment images").
"""

from __future__ import annotations

import pytest
from sdi_common.testing.pods import DEPLOY, REPORT, ROOT


@pytest.fixture(scope="session")
def images(docker_engine) -> dict[str, str]:
    """deploy/Dockerfile and deploy/addok/Dockerfile built on the local bases: name -> tag."""
    built = {}
    for name, dockerfile, context in (
        ("sdi", DEPLOY / "Dockerfile", ROOT),
        ("sdi-addok", DEPLOY / "addok" / "Dockerfile", DEPLOY / "addok"),
    ):
        tag = f"{name}:test"
        seconds = docker_engine.build(dockerfile, context, tag, docker_engine.base_args())
        size = docker_engine.image_size(tag)
        REPORT[f"image {name}"] = f"built in {seconds:.0f} s, {size / 1e6:.0f} MB"
        built[name] = tag
    return built


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("deployment images")
        for key, value in REPORT.items():
            terminalreporter.write_line(f"{key}: {value}")
