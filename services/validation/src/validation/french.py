"""French wording of dates, times and prices for the organisers' messages."""

from __future__ import annotations

from datetime import date, datetime

MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def day(d: date, *, year: bool = True) -> str:
    """``3 novembre 2024``; the first of the month is ``1er``."""
    text = f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month - 1]}"
    return f"{text} {d.year}" if year else text


def day_span(first: date, last: date) -> str:
    """``le 3 novembre et le 9 décembre 2024`` (the year once when both share it)."""
    if first.year == last.year:
        return f"le {day(first, year=False)} et le {day(last)}"
    return f"le {day(first)} et le {day(last)}"


def clock(moment: datetime) -> str:
    """``9 h 05`` (24-hour clock, French typography)."""
    return f"{moment.hour} h {moment.minute:02d}"


def moment(local: datetime) -> str:
    """``12 novembre 2024 à 9 h 05`` for a datetime already in local time."""
    return f"{day(local.date())} à {clock(local)}"


def euros(amount: float) -> str:
    """``5 €``, ``12,50 €``, ``1 200 €`` (narrow no-break spaces as in French typography)."""
    if float(amount).is_integer():
        text = f"{int(amount):,}".replace(",", "\u202f")
    else:
        text = f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text}\u00a0€"
