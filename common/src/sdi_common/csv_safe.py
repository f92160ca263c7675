"""CSV cells that a spreadsheet cannot turn into formulas (CSV injection, as OWASP lists it).

Excel and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one of them) as a formula: ``=HYPERLINK("http://evil.example";"x")``
in an event's title becomes a live link in whoever opens the export. Such text gets a
leading apostrophe, which spreadsheets show as text and do not display. Numbers are left
alone: the services write them themselves (a negative longitude stays a number).
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def uncell(text: str) -> str:
    """What ``cell`` neutralised, as it was (``'=...`` -> ``=...``): a file exported, edited
    in a spreadsheet and imported again keeps its text."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def cell(value: Any) -> str:
    """The text of one CSV cell: empty for None, text that starts a formula quoted with ``'``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)
