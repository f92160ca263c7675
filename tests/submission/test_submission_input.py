"""The intake body: every field error found, with a stable code and a French message."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from submission.field_errors import InvalidInput, parse_submission
from submission.intake_model import SubmissionIn
from submission.siret import siret_ok

from .submission_support import LEGACY_DATES, make_payload


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
        timings=[{"starts_at": "2026-11-18T09:00:00",  # no offset
                  "ends_at": "2026-11-18T12:00:00+01:00"}],
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
        "timings.0.starts_at": "offset_required",
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
    assert errors_of(make_payload(timings=[{"starts_at": "2026-11-18T09:00:00+01:00",
                                            "ends_at": "2026-11-18T08:00:00+01:00"}])) == {
        "timings.0.ends_at": "ends_before_start"
    }
    assert errors_of(make_payload(timings=..., **{**LEGACY_DATES,
                                                  "ends_at": "2026-11-18T08:00:00+01:00"})) == {
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
    for field in ("kind", "timings", "audiences", "is_free",
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


# --------------------------------------------------------------------------- the schema

SCHEMA = SubmissionIn.model_json_schema()
#: characters that matter to the rules: blanks (stripped), controls, separators, digits
TRICKY = list(" \t\n\r\x0b\x00\x1c\x1f\x7f\x85\x9f\xa0\u2003\u3000\ufeff.-()/+@;:'\"<>#?[]") + [
    "a", "Z", "é", "0", "7", "9", "٣", "http", "https", "://", "x.fr", "ü",
]


def piece(*parts):
    return st.lists(st.sampled_from(TRICKY + list(parts)), max_size=14).map("".join)


def documented(path: str) -> str:
    """The pattern OpenAPI gives a field (``organizer.email``), of its text when nullable."""
    schema = SCHEMA
    *parents, name = path.split(".")
    for parent in parents:
        prop = schema["properties"][parent]
        ref = next(s["$ref"] for s in prop.get("anyOf", [prop]) if "$ref" in s)
        schema = SCHEMA["$defs"][ref.rsplit("/", 1)[1]]
    field = schema["properties"][name]
    return next(s for s in field.get("anyOf", [field]) if s.get("type") == "string")["pattern"]


def codes_for(path: str, value: str) -> set[str]:
    parent, _, name = path.rpartition(".")
    body = make_payload()
    (body[parent] if parent else body)[name] = value
    try:
        parse_submission(body)
    except InvalidInput as exc:
        return {e["code"] for e in exc.errors if e["field"] == path}
    return set()


@pytest.mark.parametrize(("path", "alphabet"), [
    ("title", piece()),
    ("description", piece()),
    ("organizer.name", piece()),
    ("location.city", piece()),
    ("location.postcode", piece("69", "007", "00", "2A")),
    ("organizer.email", piece("contact", "@", "ex.fr", "a@b.fr")),
    ("organizer.phone", piece("04 72 00 00 00", "+33", "(0)1", "06", "12")),
    ("organizer.siret", piece("732 829 320 00074", "73282932000074", "3")),
    ("registration_url", piece("https://ex.org", "http://x.fr/a?b", "https://a b")),
    ("callback_url", piece("https://ex.org/hook", "http://ex.org", "https://u@x")),
])
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_the_documented_pattern_is_what_validation_accepts(path, alphabet, data):
    """OpenAPI says of each text field exactly what the API accepts (blanks, controls,
    lengths, formats), so that neither a client nor a fuzzer is misled either way."""
    value = data.draw(st.one_of(alphabet, alphabet.map(lambda v: v * 40)))
    accepted = not (codes_for(path, value) - {"siret_checksum"})  # a checksum: not a pattern
    assert (re.fullmatch(documented(path), value) is not None) == accepted, (path, value)


def test_lengths_are_counted_once_the_blanks_are_dropped():
    pattern = documented("title")
    for value, ok in [("ab", False), (" abc ", True), ("\u3000abc\t", True), ("a" * 200, True),
                      ("a" * 201, False), ("  " + "a" * 200 + "\n", True), ("a\x00b", False),
                      ("\x1cabc", False)]:
        assert (re.fullmatch(pattern, value) is not None) == ok == (not codes_for("title", value))
