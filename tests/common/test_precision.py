"""A point placed by hand has the precision ``manual``; events written before the rename
said ``operator`` and stay in the stream as they are: they are read as ``manual``."""

import orjson
import pytest
from pydantic import ValidationError
from sdi_common.contracts import GeoResult, Point, Relocated, encode, parse_event

from .samples import SUBMISSION


def test_an_old_relocation_in_the_stream_reads_as_manual():
    new = Relocated(submission_id="s", version=1, by="operator:alice", submission=SUBMISSION,
                    location=GeoResult(point=Point(lon=5.0, lat=45.0), precision="manual",
                                       source="operator"))
    old = orjson.loads(encode(new))
    old["location"]["precision"] = "operator"  # as the stream kept it
    event = parse_event(orjson.dumps(old))
    assert event.location.precision == "manual"
    assert orjson.loads(encode(event))["location"]["precision"] == "manual"


def test_other_precisions_are_still_checked():
    with pytest.raises(ValidationError):
        GeoResult(point=Point(lon=5.0, lat=45.0), precision="exact", source="ban")
    assert "manual" in GeoResult.model_json_schema()["properties"]["precision"]["enum"]
