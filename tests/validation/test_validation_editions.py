"""The edition model and loader (sdi_common.editions), against real files in tmp dirs."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sdi_common.editions import EDITIONS_DIR, EditionError, load_edition, read_edition

PARIS = ZoneInfo("Europe/Paris")

BASE = """
name = "2030"
week_start = 2030-11-18
week_end = 2030-11-24
tolerance_days = 15
submissions_close_at = 2030-11-12T00:00:00+01:00
"""


def write(tmp_path, text, name="e.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_2024_edition():
    e = read_edition(EDITIONS_DIR / "2024.toml")
    assert e.name == "2024"
    assert (e.week_start, e.week_end, e.tolerance_days) == (date(2024, 11, 18), date(2024, 11, 24), 15)
    assert e.window() == (date(2024, 11, 3), date(2024, 12, 9))
    assert e.timezone == "Europe/Paris"
    # "avant le 12 novembre": closes at midnight Paris = 23:00 UTC on the 11th
    assert e.submissions_close_at == datetime(2024, 11, 11, 23, 0, tzinfo=UTC)
    assert not e.is_late(datetime(2024, 11, 11, 23, 59, 59, tzinfo=PARIS))
    assert e.is_late(datetime(2024, 11, 12, 0, 0, tzinfo=PARIS))


def test_edition_file_env_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("EDITION_FILE", str(write(tmp_path, BASE)))
    assert load_edition().name == "2030"
    # an explicit path wins over the environment
    assert load_edition(EDITIONS_DIR / "2024.toml").name == "2024"


def test_default_is_newest_shipped(monkeypatch):
    monkeypatch.delenv("EDITION_FILE", raising=False)
    newest = max((read_edition(p) for p in EDITIONS_DIR.glob("*.toml")), key=lambda e: e.week_start)
    assert load_edition() == newest


def test_default_picks_latest_week(tmp_path, monkeypatch):
    from sdi_common import editions

    write(tmp_path, BASE.replace("2030", "2031"), "a-old-name.toml")
    write(tmp_path, BASE, "z-new-name.toml")
    monkeypatch.setattr(editions, "EDITIONS_DIR", tmp_path)
    monkeypatch.delenv("EDITION_FILE", raising=False)
    assert load_edition().name == "2031"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2030-11-12T00:00:00+01:00", datetime(2030, 11, 11, 23, 0, tzinfo=UTC)),
        ("2030-11-12T18:00:00", datetime(2030, 11, 12, 17, 0, tzinfo=UTC)),  # local
        ("2030-11-12", datetime(2030, 11, 11, 23, 0, tzinfo=UTC)),  # date = 00:00 local
        ('"2030-11-12T00:00:00Z"', datetime(2030, 11, 12, 0, 0, tzinfo=UTC)),
        ('"2030-11-12"', datetime(2030, 11, 11, 23, 0, tzinfo=UTC)),
    ],
)
def test_close_at_forms(tmp_path, value, expected):
    text = BASE.replace("2030-11-12T00:00:00+01:00", value)
    e = read_edition(write(tmp_path, text))
    assert e.submissions_close_at == expected
    assert e.submissions_close_at.tzinfo is not None


def test_edition_table_and_timezone_alias(tmp_path):
    text = "[edition]\n" + BASE.replace('name = "2030"', 'name = 2030\ntime_zone = "America/Cayenne"')
    text = text.replace("2030-11-12T00:00:00+01:00", "2030-11-12T00:00:00")
    e = read_edition(write(tmp_path, text))
    assert e.name == "2030" and e.timezone == "America/Cayenne"
    assert e.submissions_close_at.utcoffset() == timedelta(hours=-3)


def test_name_defaults_to_file_stem(tmp_path):
    e = read_edition(write(tmp_path, BASE.replace('name = "2030"', ""), "special.toml"))
    assert e.name == "special"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (("tolerance_days = 15", ""), "missing key(s): tolerance_days"),
        (("tolerance_days = 15", 'tolerance_days = "15"'), "tolerance_days must be a whole number"),
        (("tolerance_days = 15", "tolerance_days = -1"), "tolerance_days"),
        (("week_end = 2030-11-24", "week_end = 2030-11-10"), "week_end (2030-11-10) is before week_start"),
        (("week_start = 2030-11-18", 'week_start = "18/11/2030"'), "week_start must be a date"),
        (("2030-11-12T00:00:00+01:00", '"bientôt"'), "submissions_close_at must be a date-time"),
        (('name = "2030"', 'name = "2030"\ntimezone = "Europe/Lutece"'), "unknown time zone 'Europe/Lutece'"),
        (("week_end = 2030-11-24", "week_end = 2030-11-24 ="), "not valid TOML"),
    ],
)
def test_malformed_files_give_clear_errors(tmp_path, change, fragment):
    path = write(tmp_path, BASE.replace(*change))
    with pytest.raises(EditionError) as info:
        read_edition(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(EditionError, match="cannot read edition file"):
        read_edition(tmp_path / "nope.toml")


def test_model_refuses_unknown_zone():
    from pydantic import ValidationError
    from sdi_common.editions import Edition

    with pytest.raises(ValidationError, match="unknown time zone"):
        Edition(name="x", week_start=date(2030, 1, 1), week_end=date(2030, 1, 2),
                tolerance_days=0, submissions_close_at=datetime(2030, 1, 1, tzinfo=UTC),
                timezone="Mars/Olympus")
