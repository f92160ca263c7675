"""The import's spreadsheet: its template and the reading of a file people filled in.

One table, ``COLUMNS``, says each column's header, the intake field it fills, how its
cells are written and an example: the template is written from it and the parser reads by
it, so that the two cannot disagree. The file is what a French spreadsheet writes and
opens as it is: UTF-8 with a BOM (Excel's "CSV UTF-8"; Windows-1252, Excel's plain "CSV",
is read too), ``;`` between cells (``,`` and tabs are recognised), CRLF line ends (LF too),
one header row (headers in any order, case and accents aside); a row whose first cell
starts with ``#`` is a comment, an empty row is skipped. Rows are numbered as the
spreadsheet numbers them (the header is row 1), so that an error says where to look.

Cells are the organiser's words: French labels or the API's codes (``Atelier`` or
``workshop``), ``oui``/``non``, decimal commas, and sessions as
``19/11/2024 09:00-12:00 | 21/11/2024 14:00-17:00`` (or one per line of the cell) in the
row's ``fuseau_horaire`` (``Europe/Paris`` unless said), or ISO 8601 with their offset.

Formulas: a cell written as ``'=...`` (what our own exports write for text that a
spreadsheet would run, ``sdi_common.csv_safe``) is read as ``=...``: exported, edited and
imported again, the text is the same. Whatever a cell holds stays text, and every export
neutralises it again; the template itself is written through ``csv_safe``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sdi_common.csv_safe import cell, uncell
from sdi_common.text import fold

from .vocabulary import (
    ACCESSIBILITY_LABELS,
    AUDIENCE_LABELS,
    KIND_LABELS,
    ORGANIZER_TYPE_LABELS,
    reader,
)

BOM = "\ufeff"
DEFAULT_ZONE = "Europe/Paris"

FieldError = dict[str, str]


class CellError(ValueError):
    """A cell that cannot be read: its code and French message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------- cells


def _text(value: str) -> str:
    return value


def _choice(words: dict[str, str], what: str, labels: dict[str, str]) -> Callable[[str], str]:
    def read(value: str) -> str:
        code = words.get(fold(value))
        if code is None:
            raise CellError("not_allowed", f"Valeur non reconnue, « {value} » n'est pas {what} "
                            f"connu. Valeurs possibles : {', '.join(labels.values())}.")
        return code

    return read


def _choices(words: dict[str, str], what: str, labels: dict[str, str]) -> Callable[[str], list]:
    one = _choice(words, what, labels)

    def read(value: str) -> list[str]:
        return [one(part) for part in re.split(r"[,;|\n]", value) if part.strip()]

    return read


_YES = {"oui", "o", "yes", "y", "true", "vrai", "1", "x"}
_NO = {"non", "n", "no", "false", "faux", "0"}


def _boolean(value: str) -> bool:
    word = fold(value)
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise CellError("invalid_boolean", f"Indiquez oui ou non (et non « {value} »).")


def _number(value: str) -> float:
    text = value.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("€", "")
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise CellError("invalid_number", f"Un nombre est attendu (et non « {value} »).") from None


def _integer(value: str) -> int:
    number = _number(value)
    if not number.is_integer():
        raise CellError("invalid_number", f"Un nombre entier est attendu (et non « {value} »).")
    return int(number)


@dataclass(frozen=True)
class Column:
    header: str
    #: the intake field it fills (dotted for nested ones); None: read with another column
    path: str | None
    read: Callable[[str], Any]
    doc: str
    example: str


COLUMNS: tuple[Column, ...] = (
    Column("identifiant_externe", "external_id", _text,
           "Votre référence de l'événement (unique pour une même adresse e-mail) : importer "
           "le fichier de nouveau met à jour l'événement au lieu d'en créer un second.",
           "FED-2026-0042"),
    Column("titre", "title", _text, "3 à 200 caractères.", "Visite de l'usine de moteurs"),
    Column("description", "description", _text, "Jusqu'à 5 000 caractères.",
           "Lignes de production, atelier d'usinage, métiers de l'industrie."),
    Column("type", "kind", _choice(reader(KIND_LABELS), "un type", KIND_LABELS),
           "Un de : " + ", ".join(KIND_LABELS.values()) + ".", "Visite d'entreprise"),
    Column("seances", "timings", _text,
           "Une ou plusieurs séances (jusqu'à 100), séparées par | ou un retour à la ligne : "
           "JJ/MM/AAAA HH:MM-HH:MM (ou JJ/MM/AAAA HH:MM-JJ/MM/AAAA HH:MM sur deux jours), "
           "heure du fuseau horaire de la ligne.",
           "19/11/2026 09:00-12:00 | 19/11/2026 14:00-17:00 | 21/11/2026 09:00-12:00"),
    Column("fuseau_horaire", None, _text,
           f"Fuseau horaire des séances (par défaut {DEFAULT_ZONE} ; Indian/Reunion, "
           "America/Martinique…).", DEFAULT_ZONE),
    Column("publics", "audiences",
           _choices(reader(AUDIENCE_LABELS, ("scolaires", "pupils")), "un public",
                    AUDIENCE_LABELS),
           "Un ou plusieurs, séparés par des virgules : " + ", ".join(AUDIENCE_LABELS.values())
           + ".", "Élèves, Demandeurs d'emploi"),
    Column("gratuit", "is_free", _boolean, "oui ou non (le label exige la gratuité).", "oui"),
    Column("prix_eur", "price_eur", _number, "Seulement s'il est payant.", ""),
    Column("informe_sur_industrie", "informs_about_industry", _boolean,
           "oui si l'événement fait découvrir l'industrie, ses métiers et ses formations.",
           "oui"),
    Column("en_ligne", "online", _boolean, "oui ou non (par défaut non).", "non"),
    Column("url_en_ligne", "online_url", _text, "Pour un événement en ligne.", ""),
    Column("lieu", "location.venue", _text, "Nom du lieu.", "Usine Nord"),
    Column("adresse", "location.street", _text, "Numéro et voie.", "1 place de la Comédie"),
    Column("code_postal", "location.postcode", _text, "5 chiffres.", "69001"),
    Column("commune", "location.city", _text, "", "Lyon"),
    Column("url_inscription", "registration_url", _text, "Lien d'inscription des participants.",
           "https://example.fr/inscription"),
    Column("capacite", "capacity", _integer, "Nombre de places (publié sur la carte).", "30"),
    Column("accessibilite", "accessibility", _text, "Ce que le lieu propose, en clair.",
           "Accès en fauteuil par l'entrée sud"),
    Column("codes_accessibilite", "accessibility_codes",
           _choices(reader(ACCESSIBILITY_LABELS, ("moteur", "motor"), ("auditif", "hearing"),
                           ("visuel", "visual"), ("intellectuel", "intellectual"),
                           ("mental", "intellectual"), ("psychique", "psychic")),
                    "un handicap", ACCESSIBILITY_LABELS),
           "Handicaps pour lesquels l'événement est accessible, séparés par des virgules : "
           "moteur, auditif, visuel, intellectuel, psychique.", "moteur, auditif"),
    Column("organisateur", "organizer.name", _text, "Le nom affiché sur la carte.",
           "Moteurs de France"),
    Column("type_organisateur", "organizer.type",
           _choice(reader(ORGANIZER_TYPE_LABELS), "un type d'organisateur",
                   ORGANIZER_TYPE_LABELS),
           "Un de : " + ", ".join(ORGANIZER_TYPE_LABELS.values()) + ".", "Entreprise"),
    Column("siret", "organizer.siret", _text, "14 chiffres.", "732 829 320 00074"),
    Column("email", "organizer.email", _text,
           "L'adresse de l'organisateur (jamais publiée) : elle reçoit le suivi.",
           "contact@example.fr"),
    Column("telephone", "organizer.phone", _text, "Jamais publié.", "+33 4 72 00 00 00"),
)
BY_HEADER = {fold(c.header): c for c in COLUMNS}
#: an intake field's path -> the column people see (the errors name the column)
COLUMN_OF = {c.path: c.header for c in COLUMNS if c.path}
REQUIRED = ("titre", "type", "seances", "publics", "gratuit", "informe_sur_industrie",
            "organisateur", "type_organisateur", "email")


def template() -> bytes:
    """The template: the header, then comment rows (``#``) saying how to fill each column
    and an example row, all through ``csv_safe`` (nothing a spreadsheet would run)."""
    lines = [[c.header for c in COLUMNS],
             ["# " + c.doc if i == 0 else c.doc for i, c in enumerate(COLUMNS)],
             ["# exemple : " + c.example if i == 0 else c.example for i, c in enumerate(COLUMNS)]]
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for line in lines:
        writer.writerow([cell(v) for v in line])
    return (BOM + out.getvalue()).encode("utf-8")


# --------------------------------------------------------------------------- sessions

_DAY = r"(?:(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4})-(\d{2})-(\d{2}))"
_CLOCK = r"(\d{1,2})(?:[:hH](\d{2})?)"
_SESSION = re.compile(rf"^{_DAY}[ T]+{_CLOCK}\s*[-–]\s*(?:{_DAY}[ T]+)?{_CLOCK}$")


def _day(groups: tuple) -> date:
    d, m, y, iy, im, iday = groups
    return date(int(y), int(m), int(d)) if y else date(int(iy), int(im), int(iday))


def _clock(hour: str, minute: str | None) -> time:
    return time(int(hour), int(minute or 0))


def _local(day: date, clock: time, zone: ZoneInfo) -> str:
    return datetime.combine(day, clock, zone).isoformat()


def read_sessions(value: str, zone: ZoneInfo) -> list[dict[str, str]]:
    """``19/11/2026 09:00-12:00 | …`` (local times in ``zone``) or ISO 8601 intervals with
    their offsets (``2026-11-19T09:00:00+01:00/2026-11-19T12:00:00+01:00``)."""
    out = []
    for n, part in enumerate((p.strip() for p in re.split(r"[|\n]", value)), 1):
        if not part:
            continue
        if "/" in part and "T" in part and part.count("/") == 1:
            start, _, end = part.partition("/")
            out.append({"starts_at": start.strip(), "ends_at": end.strip()})
            continue
        found = _SESSION.match(part)
        if found is None:
            raise CellError("invalid_session",
                            f"Séance n° {n} « {part} » : écrivez JJ/MM/AAAA HH:MM-HH:MM, par "
                            "exemple 19/11/2026 09:00-12:00.")
        g = found.groups()
        try:
            first = _day(g[0:6])
            start = _clock(g[6], g[7])
            last = _day(g[8:14]) if any(g[8:14]) else first
            end = _clock(g[14], g[15])
        except ValueError:
            raise CellError("invalid_session",
                            f"Séance n° {n} « {part} » : cette date ou cette heure n'existe "
                            "pas.") from None
        if not any(g[8:14]) and end < start and end.hour < 6:
            last = first + timedelta(days=1)  # an evening session past midnight: 22:00-01:00
        out.append({"starts_at": _local(first, start, zone), "ends_at": _local(last, end, zone)})
    if not out:
        raise CellError("required", "Indiquez au moins une séance.")
    return out


# --------------------------------------------------------------------------- the file


@dataclass
class CsvRow:
    """One data row: its number in the spreadsheet, the intake body it makes, the cells
    that could not be read."""

    line: int
    body: dict[str, Any]
    errors: list[FieldError]


class CsvFileError(ValueError):
    """The file as a whole cannot be read (encoding, headers): field errors of its own."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


def decode(data: bytes) -> str:
    """UTF-8 (with or without its BOM), else Windows-1252 (Excel's plain CSV in France)."""
    if data.startswith(BOM.encode()):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ";"


def read_file(data: bytes) -> list[CsvRow]:
    """Every data row of a filled-in template, in order (``CsvFileError``: the headers)."""
    try:
        text = decode(data)
    except UnicodeDecodeError:
        raise CsvFileError([{"field": "", "code": "invalid_encoding",
                             "message": "Le fichier n'est pas un texte UTF-8 valide."}]) from None
    first_line = text.split("\n", 1)[0]
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line)))
    if not rows or not any(c.strip() for c in rows[0]):
        raise CsvFileError([{"field": "", "code": "empty_file",
                             "message": "Le fichier est vide : il faut au moins la ligne "
                             "d'en-tête du modèle."}])
    columns = _columns(rows[0])
    out = []
    for number, cells in enumerate(rows[1:], 2):
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        out.append(_row(number, columns, cells))
    return out


def _columns(header: list[str]) -> list[Column | None]:
    columns, errors = [], []
    for position, name in enumerate(header, 1):
        name = uncell(name.strip().lstrip(BOM))
        column = BY_HEADER.get(fold(name))
        if column is None and name:
            errors.append({"field": name, "code": "unknown_column",
                           "message": f"Colonne {position} « {name} » inconnue : reprenez les "
                           "en-têtes du modèle (GET /v1/submissions/import/template.csv)."})
        columns.append(column)
    present = {c.header for c in columns if c}
    errors += [{"field": h, "code": "missing_column",
                "message": f"La colonne « {h} » manque (elle est obligatoire)."}
               for h in REQUIRED if h not in present]
    if errors:
        raise CsvFileError(errors)
    return columns


def _put(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, name = path.split(".")
    for parent in parents:
        body = body.setdefault(parent, {})
    body[name] = value


def _row(number: int, columns: list[Column | None], cells: list[str]) -> CsvRow:
    body: dict[str, Any] = {}
    errors: list[FieldError] = []
    values = {c.header: uncell(v.strip()) for c, v in zip(columns, cells, strict=False) if c}
    try:
        zone = ZoneInfo(values.get("fuseau_horaire") or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append({"field": "fuseau_horaire", "code": "unknown_time_zone",
                       "message": f"Fuseau horaire « {values['fuseau_horaire']} » inconnu : "
                       "par exemple Europe/Paris ou Indian/Reunion."})
        zone = ZoneInfo(DEFAULT_ZONE)
    for column in COLUMNS:
        value = values.get(column.header, "")
        if column.path is None or not value:
            continue
        try:
            read = (lambda v: read_sessions(v, zone)) if column.path == "timings" else column.read
            _put(body, column.path, read(value))
        except CellError as exc:
            errors.append({"field": column.header, "code": exc.code, "message": exc.message})
    body.setdefault("online", False)
    body.setdefault("organizer", {})
    return CsvRow(number, body, errors)


def column_errors(errors: list[FieldError]) -> list[FieldError]:
    """The intake's field errors on a row, named by the spreadsheet's columns (a session's
    error says which session)."""
    out = []
    for e in errors:
        path = e["field"]
        parts = path.split(".")
        if parts[0] == "timings":
            message = e["message"]
            if len(parts) > 1 and parts[1].isdigit():
                message = f"Séance n° {int(parts[1]) + 1} : {message[0].lower()}{message[1:]}"
            out.append({**e, "field": "seances", "message": message})
            continue
        column = COLUMN_OF.get(path) or COLUMN_OF.get(parts[0]) or COLUMN_OF.get(
            ".".join(parts[:2]))
        if column is None and path == "location":
            column = "code_postal"
        out.append({**e, "field": column or path})
    return out
