"""The committed AsyncAPI document is the one FastStream generates from the code."""

import os
import subprocess
from pathlib import Path

import yaml
from sdi_common import subjects, topology
from sdi_common.asyncapi import EVENTS, document, render
from sdi_common.stack import BIN

DOC = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


def test_committed_asyncapi_is_up_to_date():
    generated = yaml.safe_load(document().to_specification().to_yaml())
    assert yaml.safe_load(DOC.read_text()) == generated, "run `make docs` and commit it"
    # and in the generator's order, to the byte: `make docs` leaves no diff behind
    assert DOC.read_text() == render("yaml"), "run `make docs` and commit it"


def test_the_generator_writes_the_same_document_in_every_process():
    """FastStream keeps channels in sets: their order followed the process's hash seed."""
    outputs = {
        subprocess.run(
            [str(BIN / "sdi-asyncapi")],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert outputs == {DOC.read_text()}


def test_every_subject_and_consumer_is_documented():
    text = DOC.read_text()
    for kind in EVENTS:
        assert f"address: {subjects.for_type(kind)}" in text
    for consumer in topology.CONSUMERS:
        assert f"{consumer.durable}:consume" in text
