"""Editions of the Semaine de l'industrie: the week, its tolerance and the submission deadline.

One TOML file per edition, under ``config/editions/`` (see ``2024.toml``)::

    name = "2024"
    timezone = "Europe/Paris"          # optional, this is the default
    week_start = 2024-11-18
    week_end = 2024-11-24
    tolerance_days = 15
    submissions_close_at = 2024-11-12T00:00:00+01:00
    communication_kit_url = "https://…"  # optional: the kit mailed to labelled organisers

The keys may also sit in an ``[edition]`` table. ``submissions_close_at`` is the instant the
submission window *closes*: a submission received at or after it is late. It may be an
offset date-time, a local date-time (read in the edition's time zone), or a bare date
(``2024-11-12`` = "avant le 12 novembre", i.e. closing at 00:00 local time that day).

The active edition is the file named by ``EDITION_FILE``, else the newest file (latest
``week_start``) in ``config/editions/``. Both the validation and the submission services
read it through ``load_edition()``.
"""

from __future__ import annotations

import os
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .settings import REPO_ROOT

EDITIONS_DIR = REPO_ROOT / "config" / "editions"
DEFAULT_TIMEZONE = "Europe/Paris"


class EditionError(ValueError):
    """An edition file is missing or malformed; the message names the file and the field."""


class Edition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    week_start: date
    week_end: date
    tolerance_days: int = Field(ge=0, le=366)
    #: first instant at which submissions are refused (aware; in the edition's time zone)
    submissions_close_at: AwareDatetime
    timezone: str = DEFAULT_TIMEZONE
    #: the communication kit (logos, posters) the labelled organisers are mailed a link to
    communication_kit_url: str | None = Field(default=None, pattern=r"^https?://\S+$")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Edition:
        if self.week_end < self.week_start:
            raise ValueError(
                f"week_end ({self.week_end}) is before week_start ({self.week_start})"
            )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def window(self) -> tuple[date, date]:
        """First and last local day (both included) on which an event may take place."""
        tolerance = timedelta(days=self.tolerance_days)
        return self.week_start - tolerance, self.week_end + tolerance

    def local_date(self, moment: datetime) -> date:
        """The calendar date of an aware instant in the edition's time zone."""
        return moment.astimezone(self.tz).date()

    def is_late(self, received_at: datetime) -> bool:
        """True when a submission received at ``received_at`` missed the deadline."""
        # compare in UTC: same-zone comparison of aware datetimes ignores ``fold``, which
        # would misjudge the repeated hour when the clocks go back
        return received_at.astimezone(UTC) >= self.submissions_close_at.astimezone(UTC)


# --------------------------------------------------------------------------- loading

_TZ_KEYS = ("timezone", "time_zone", "tz")


def _as_date(value: Any, key: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{key} must be a date such as 2024-11-18, got {value!r}")


def _as_close_at(value: Any, tz: ZoneInfo) -> datetime:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if "T" in text or " " in text else (
                date.fromisoformat(text)
            )
        except ValueError:
            raise ValueError(
                "submissions_close_at must be a date-time such as "
                f"2024-11-12T00:00:00+01:00 or a date, got {value!r}"
            ) from None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    if isinstance(value, date):  # "avant le 12 novembre": closes at 00:00 local that day
        return datetime.combine(value, time(0, 0), tzinfo=tz)
    raise ValueError(
        f"submissions_close_at must be a date-time or a date, got {value!r}"
    )


def parse_edition(data: dict[str, Any], *, source: str = "<edition>", default_name: str = "") -> Edition:
    """Build an ``Edition`` from the decoded TOML; raises ``EditionError`` with the source."""
    if isinstance(data.get("edition"), dict):
        data = data["edition"]
    try:
        tz_name = next((str(data[k]) for k in _TZ_KEYS if k in data), DEFAULT_TIMEZONE)
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {tz_name!r}") from None
        missing = [
            k
            for k in ("week_start", "week_end", "tolerance_days", "submissions_close_at")
            if k not in data
        ]
        if missing:
            raise ValueError(f"missing key(s): {', '.join(missing)}")
        tolerance = data["tolerance_days"]
        if isinstance(tolerance, bool) or not isinstance(tolerance, int):
            raise ValueError(  # noqa: TRY004 (turned into an EditionError below)
                f"tolerance_days must be a whole number of days, got {tolerance!r}"
            )
        return Edition(
            name=str(data.get("name") or default_name),
            week_start=_as_date(data["week_start"], "week_start"),
            week_end=_as_date(data["week_end"], "week_end"),
            tolerance_days=tolerance,
            submissions_close_at=_as_close_at(data["submissions_close_at"], tz),
            timezone=tz_name,
            communication_kit_url=data.get("communication_kit_url"),
        )
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'edition'}: {e['msg']}" for e in exc.errors()
        )
        raise EditionError(f"invalid edition file {source}: {details}") from None
    except ValueError as exc:
        raise EditionError(f"invalid edition file {source}: {exc}") from None


def read_edition(path: str | os.PathLike[str]) -> Edition:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EditionError(f"cannot read edition file {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise EditionError(f"invalid edition file {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise EditionError(f"invalid edition file {path}: not valid TOML ({exc})") from None
    return parse_edition(data, source=str(path), default_name=path.stem)


def load_edition(path: str | os.PathLike[str] | None = None) -> Edition:
    """The active edition: ``path``, else ``$EDITION_FILE``, else the newest shipped file."""
    chosen = path or os.environ.get("EDITION_FILE") or None
    if chosen:
        return read_edition(chosen)
    files = sorted(EDITIONS_DIR.glob("*.toml"))
    if not files:
        raise EditionError(f"no edition file: set EDITION_FILE or add one to {EDITIONS_DIR}")
    editions = [read_edition(f) for f in files]
    # newest = latest week; files are sorted so a tie goes to the last file name
    return max(reversed(editions), key=lambda e: e.week_start)


def previous_edition(active: Edition, directory: str | os.PathLike[str] = EDITIONS_DIR
                     ) -> Edition | None:
    """The edition before ``active`` among the files of ``directory`` (the latest whose week
    starts before its week), or None. Files that cannot be read are left out."""
    older = []
    for file in sorted(Path(directory).glob("*.toml")):
        try:
            edition = read_edition(file)
        except EditionError:
            continue
        if edition.week_start < active.week_start:
            older.append(edition)
    return max(reversed(older), key=lambda e: e.week_start) if older else None
