"""The intake body: every field error found, with a stable code and a French message."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from submission.field_errors import InvalidInput, parse_submission
from submission.siret import siret_ok
from submission_support import make_payload


def errors_of(body) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_submission(body)
    errors = caught.value.errors
    for e in errors:
        assert set(e) == {"field", "code", "message"}
        assert e["message"] and e["message"][0].isupper() and e["message"].endswith((".", ")"))
    return {e["field"]: e["code"] for e in errors}


@pytest.mark.parametrize(
    ("siret", "ok"),
    [
        ("73282932000074", True),   # a real SIRET (Luhn)
        ("73282932000075", False),
        ("35600000000048", True),   # La Poste head office (Luhn, not the sum rule)
        ("35600000049837", True),   # a La Poste establishment: digit sum multiple of 5, not Luhn
        ("35600000049836", False),
        ("1234567890123", False),
        ("7328293200007A", False),
    ],
)
def test_siret_checksum_with_la_poste_exception(siret, ok):
    assert siret_ok(siret) is ok


def test_la_poste_establishment_is_not_luhn_valid():
    from submission.siret import luhn_ok

    assert not luhn_ok("35600000049837")  # so the exception is really exercised


def test_a_valid_body_becomes_a_submission_without_contact_data():
    model = parse_submission(make_payload())
    public = model.to_submission().model_dump_json()
    assert "contact.secret" not in public and "04 72" not in public
    assert model.contact() == {"email": "contact.secret@mecalyon.example", "phone": "04 72 00 00 00"}
    assert model.to_submission().organizer.siret == "73282932000074"


def test_every_error_is_reported_at_once():
    body = make_payload(
        title="x",
        kind="barbecue",
        starts_at="2026-11-18T09:00:00",  # no offset
        audiences=["martians"],
        price_eur=12,
        location={"postcode": "6900", "city": "Lyon"},
        organizer={"name": "ACME", "type": "company", "siret": "73282932000075",
                   "email": "not-an-email", "phone": "12"},
        callback_url="http://insecure.example/hook",
        surprise=True,
    )
    assert errors_of(body) == {
        "title": "too_short",
        "kind": "not_allowed",
        "starts_at": "offset_required",
        "audiences.0": "not_allowed",
        "location.postcode": "invalid_postcode",
        "organizer.siret": "siret_checksum",
        "organizer.email": "invalid_email",
        "organizer.phone": "invalid_phone",
        "callback_url": "https_required",
        "surprise": "unknown_field",
        "price_eur": "price_with_free",
    }


def test_cross_field_rules():
    assert errors_of(make_payload(online=True, location=..., online_url=None)) == {
        "online_url": "required_when_online"
    }
    assert errors_of(make_payload(location=...)) == {"location": "required_unless_online"}
    assert errors_of(make_payload(ends_at="2026-11-18T08:00:00+01:00")) == {
        "ends_at": "ends_before_start"
    }
    # an online event needs no location; a free event may say price 0
    parse_submission(make_payload(online=True, online_url="https://visio.example/x", location=...))
    parse_submission(make_payload(price_eur=0))
    # a paying event is a labelling matter (condition 4), not an input error
    parse_submission(make_payload(is_free=False, price_eur=5))


def test_messages_are_french_and_list_allowed_values():
    with pytest.raises(InvalidInput) as caught:
        parse_submission(make_payload(kind="barbecue", title=None))
    by_field = {e["field"]: e["message"] for e in caught.value.errors}
    assert "Valeurs possibles" in by_field["kind"] and "'company_visit'" in by_field["kind"]
    assert " ou 'other'" in by_field["kind"]
    assert by_field["title"] == "Un texte est attendu."


def test_missing_fields_and_control_characters():
    codes = errors_of({"title": "Bad\x00title", "organizer": {"email": "a@b.fr"}})
    assert codes["title"] == "control_characters"
    for field in ("kind", "starts_at", "ends_at", "audiences", "is_free",
                  "informs_about_industry", "organizer.name", "organizer.type"):
        assert codes[field] == "required", field


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b"null", b"\xff\xfe", b'"text"'])
async def test_bodies_that_are_not_json_objects(client, raw):
    r = await client.post("/v1/submissions", content=raw,
                          headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] in ("invalid_json", "not_an_object")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.fixed_dictionaries({}, optional={k: json_values for k in make_payload()})
    | st.dictionaries(st.text(max_size=12), json_values, max_size=6)
)
def test_any_json_object_is_either_accepted_or_explained(body):
    try:
        parse_submission(body)
    except InvalidInput as exc:
        assert exc.errors
        assert all(e["code"] and e["message"] for e in exc.errors)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(make_payload())), json_values)
def test_one_field_mutated_never_crashes(field, value):
    body = make_payload(**{field: value})
    try:
        parse_submission(body)
    except InvalidInput as exc:
        assert exc.errors
