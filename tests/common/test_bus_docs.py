"""The committed AsyncAPI document is the one FastStream generates from the code."""

from pathlib import Path

import yaml
from sdi_common import subjects, topology
from sdi_common.asyncapi import EVENTS, document

DOC = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


def test_committed_asyncapi_is_up_to_date():
    generated = yaml.safe_load(document().to_specification().to_yaml())
    # FastStream's channel order varies from run to run: compare the structures.
    assert yaml.safe_load(DOC.read_text()) == generated, "run `make docs` and commit it"


def test_every_subject_and_consumer_is_documented():
    text = DOC.read_text()
    for kind in EVENTS:
        assert f"address: {subjects.for_type(kind)}" in text
    for consumer in topology.CONSUMERS:
        assert f"{consumer.durable}:consume" in text
