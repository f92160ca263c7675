"""The offline commune gazetteer: postcode + city → the commune's reference point.

Every French commune (overseas 971–976 included), the municipal arrondissements of Paris,
Lyon and Marseille, the former communes of communes nouvelles (communes déléguées and
associées) and the départements, from the file that ``scripts/build_gazetteer.py`` builds
(``data/communes.tsv.gz``; sources and licences in the service's NOTICE).

Matching, from the most to the least certain, always among the communes that the postcode
serves (La Poste), so that a city name can only resolve inside its postcode:

1. the name with its article ("le mans"), accents/case/punctuation folded, St/Ste
   expanded, a trailing CEDEX dropped;
2. the name without its leading article ("mans");
3. the name without any article or linking word, spaces removed ("saintmartinmer");
4. one typo (a letter replaced, added, dropped, or two swapped) on any of those names,
   unless what was written is itself the name of a commune somewhere (then it is no typo)
   or the typo touches a number ("Paris 11" is not "Paris 1").

Two different communes matching at the same level is ambiguous: no answer (a wrong point is
worse than none). A city the postcode does not serve gives no answer either.

A postcode La Poste does not know (a CEDEX or BP postcode: "13233 Marseille Cedex 20") is
matched within its département (20xxx: 2A and 2B); when the name is not a commune there
and the input says CEDEX, the answer is the département (its préfecture's point, precision
"department", citycode None). Without a postcode, only a name unique in France resolves.
A postcode alone resolves when it serves one commune only.

Paris/Lyon/Marseille: "75011 Paris", "Paris 11e", "PARIS 11EME ARRONDISSEMENT" resolve to
the arrondissement (citycode 75111, city "Paris", the point of the arrondissement's mairie),
as BAN does; a CEDEX postcode ("75700 Paris Cedex 07") or no postcode resolves to the
whole city (75056).
"""

from __future__ import annotations

import gzip
import importlib.resources
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sdi_common.contracts import GeoResult, Point

from .normalize import CityQuery, normalize_postcode, parse_city, strip_parenthesized

__all__ = ["Gazetteer", "default_gazetteer"]

SOURCE = "gazetteer"
# scores by match level; an alias (former commune) match costs a little, an unknown
# (CEDEX) postcode costs more since the postcode confirmed nothing
SCORE = {"full": 1.0, "bare": 0.95, "loose": 0.9, "typo": 0.8}
ALIAS_PENALTY = 0.05
UNKNOWN_POSTCODE_FACTOR = 0.9
NO_POSTCODE_SCORE = 0.7
POSTCODE_ONLY_SCORE = 0.6
DEPARTMENT_SCORE = 0.3
MIN_TYPO_LENGTH = 3
OVERSEAS = ("971", "972", "973", "974", "976")
_POSTCODE_IN_TEXT = re.compile(r"(?<!\d)(\d{5})(?!\d)")


class Entry(NamedTuple):
    code: str  # INSEE code of this row (commune, arrondissement or former commune)
    name: str  # its official name, with article
    target: str  # the citycode it resolves to (itself, or the commune nouvelle)
    city: str  # the commune's name as results carry it ("Paris" for 75111)
    department: str
    region: str
    lon: float
    lat: float
    postcodes: tuple[str, ...]  # La Poste postcodes of the target
    alias: bool  # a former commune (commune déléguée/associée)


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where a name may match: the communes a postcode serves, a département, or France."""

    postcode: str | None = None
    department: str | None = None

    def keeps(self, e: Entry) -> bool:
        if self.postcode is not None:
            return self.postcode in e.postcodes
        if self.department is not None:
            return e.department == self.department
        return True


@dataclass(frozen=True, slots=True)
class _Department:
    code: str
    name: str
    region: str
    lon: float
    lat: float


def one_edit_apart(a: str, b: str) -> bool:
    """True when b is a with one letter replaced, inserted, deleted, or two adjacent
    letters swapped (a != b)."""
    la, lb = len(a), len(b)
    if la > lb:
        a, b, la, lb = b, a, lb, la
    if lb - la > 1:
        return False
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        if i == la:
            return False
        return a[i + 1 :] == b[i + 1 :] or (
            i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
        )
    return a[i:] == b[i + 1 :]


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


class Gazetteer:
    """Load once (``Gazetteer.load()`` or ``default_gazetteer()``), then ``lookup``."""

    def __init__(self) -> None:
        # name key → entries, one table per match level, for the whole of France; a scope
        # (postcode, département) filters the few entries a key yields
        self._full: dict[str, list[Entry]] = {}
        self._bare: dict[str, list[Entry]] = {}
        self._loose: dict[str, list[Entry]] = {}
        # "Paris", "Lyon", "Marseille" as names of their arrondissements: postcode scope only
        self._plm_city: dict[str, list[Entry]] = {}
        # the candidates a typo is checked against
        self._typo_by_postcode: dict[str, list[tuple[CityQuery, Entry]]] = {}
        self._typo_by_department: dict[str, list[tuple[CityQuery, Entry]]] = {}
        self._departments: dict[str, _Department] = {}
        self._all_names: set[str] = set()  # every name key of every commune
        self.entries: list[Entry] = []

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: str | Path | None = None) -> Gazetteer:
        if path is None:
            res = importlib.resources.files("geocoding").joinpath("data", "communes.tsv.gz")
            data = res.read_bytes()
        else:
            data = Path(path).read_bytes()
        g = cls()
        g._parse(gzip.decompress(data).decode("utf-8"))
        return g

    def _parse(self, text: str) -> None:
        communes: dict[str, list[str]] = {}
        aliases: list[list[str]] = []
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            f = line.split("\t")
            if f[0] == "D":
                code, name, region, lon, lat = f[1:6]
                self._departments[code] = _Department(code, name, region, float(lon), float(lat))
            elif f[0] == "C":
                communes[f[1]] = f
            elif f[0] == "A":
                aliases.append(f)
            else:
                raise ValueError(f"gazetteer: unknown row type {f[0]!r}")

        by_code: dict[str, Entry] = {}
        for f in communes.values():
            _, code, name, dep, region, postcodes, lon, lat, parent = f
            # an arrondissement carries its city's name, as BAN does ("Paris", 75111)
            city = communes[parent][2] if parent else name
            e = Entry(
                code, name, code, city, dep, region, float(lon), float(lat),
                tuple(postcodes.split()), False,
            )  # fmt: skip
            by_code[code] = e
            q = parse_city(e.name)
            self.entries.append(e)
            self._index_everywhere(q, e)
            if e.city != e.name:
                # "75011 Paris": the arrondissement answers to its city's name too, but
                # only inside its own postcodes
                qc = parse_city(e.city)
                self._plm_city.setdefault(qc.full, []).append(e)
                for pc in e.postcodes:
                    self._typo_by_postcode.setdefault(pc, []).append((qc, e))
        for _, code, name, target, lon, lat in aliases:
            t = by_code[target]
            e = Entry(
                code, name, t.code, t.city, t.department, t.region, float(lon), float(lat),
                t.postcodes, True,
            )  # fmt: skip
            self.entries.append(e)
            self._index_everywhere(parse_city(name), e)

    def _index_everywhere(self, q: CityQuery, e: Entry) -> None:
        for table, key in ((self._full, q.full), (self._bare, q.bare), (self._loose, q.loose)):
            table.setdefault(key, []).append(e)
        for pc in e.postcodes:
            self._typo_by_postcode.setdefault(pc, []).append((q, e))
        self._typo_by_department.setdefault(e.department, []).append((q, e))
        self._all_names.update((q.full, q.bare, q.loose))

    # ------------------------------------------------------------------ lookup

    def lookup(self, postcode: str | None, city: str | None) -> GeoResult | None:
        """The commune that postcode + city name, or None when unsure."""
        pc = normalize_postcode(postcode)
        if not pc and city:
            # "75011 Paris" all in the city field
            m = _POSTCODE_IN_TEXT.search(city)
            pc = m.group(1) if m else ""
        found = self._lookup(pc, parse_city(city or ""))
        if found is None and city and "(" in city:
            # "Saint-Denis (La Réunion)": the words in parentheses are a hint, not the name
            found = self._lookup(pc, parse_city(strip_parenthesized(city)))
        return found

    def _lookup(self, pc: str, q: CityQuery) -> GeoResult | None:
        if pc and not (len(pc) == 5 and pc.isdigit()):
            return None
        served = self._typo_by_postcode.get(pc) if pc else None  # the postcode's communes

        if not q.tokens:
            # a postcode alone: fine when it serves one commune only
            if served is None:
                return None
            targets = {e.target: e for _, e in served if not e.alias}
            if len(targets) != 1:
                return None
            (e,) = targets.values()
            return self._result(e, pc, POSTCODE_ONLY_SCORE)

        if served is not None:
            found = self._match(_Scope(postcode=pc), q, served)
            if found is not None:
                e, score = found
                return self._result(e, pc, score)
            return self._department_fallback(pc, q)

        if not pc:
            found = self._match(_Scope(), q, None)
            if found is None:
                return None
            e, score = found
            return self._result(e, "", min(score, NO_POSTCODE_SCORE))

        # a postcode La Poste does not know (CEDEX, BP...): the name within the département
        matches = []
        for dep in self._departments_of(pc):
            found = self._match(_Scope(department=dep), q, self._typo_by_department.get(dep, []))
            if found is not None:
                matches.append(found)
        if len(matches) == 1:
            e, score = matches[0]
            return self._result(e, pc, score * UNKNOWN_POSTCODE_FACTOR)
        if matches:
            return None  # the same name in 2A and 2B, or in two overseas départements
        return self._department_fallback(pc, q)

    def _match(
        self,
        scope: _Scope,
        q: CityQuery,
        typo_pool: list[tuple[CityQuery, Entry]] | None,
    ) -> tuple[Entry, float] | None:
        """The one entry of the scope that the name designates, with its score."""
        for level, table, key in (
            ("full", self._full, q.full),
            ("bare", self._bare, q.bare),
            ("loose", self._loose, q.loose),
        ):
            found = [e for e in table.get(key, ()) if scope.keeps(e)]
            if scope.postcode is not None:
                found += [e for e in self._plm_city.get(key, ()) if scope.keeps(e)]
            if found:
                return self._pick(found, SCORE[level])
        if typo_pool is None or len(q.loose) < MIN_TYPO_LENGTH or self._is_a_name(q):
            return None
        digits = _digits(q.loose)
        found = [
            e
            for k, e in typo_pool
            if _digits(k.loose) == digits
            and (
                one_edit_apart(k.full, q.full)
                or one_edit_apart(k.bare, q.bare)
                or one_edit_apart(k.loose, q.loose)
            )
        ]
        return self._pick(found, SCORE["typo"]) if found else None

    def _is_a_name(self, q: CityQuery) -> bool:
        """Is what was written the name of some commune (so, not a typo)?"""
        names = self._all_names
        return q.full in names or q.bare in names or q.loose in names

    @staticmethod
    def _pick(found: list[Entry], score: float) -> tuple[Entry, float] | None:
        """One commune among the matches, or None when they name different communes."""
        primary = [e for e in found if not e.alias]
        pool = primary or found
        if len({e.target for e in pool}) != 1:
            return None
        e = pool[0]
        return e, score - (ALIAS_PENALTY if e.alias else 0.0)

    def _departments_of(self, pc: str) -> list[str]:
        if pc.startswith("97"):
            # overseas CEDEX postcodes may leave the département's prefix (Saint-Denis de
            # La Réunion: 97717): search every overseas département then
            deps = [pc[:3]] if pc[:3] in self._departments else list(OVERSEAS)
        elif pc.startswith("20"):
            deps = ["2A", "2B"]
        else:
            deps = [pc[:2]]
        return [d for d in deps if d in self._departments]

    def _department_fallback(self, pc: str, q: CityQuery) -> GeoResult | None:
        """A CEDEX address whose city is not a commune of the département: the département,
        unless the name is a commune elsewhere (then the input contradicts itself)."""
        if not q.cedex or self._is_a_name(q):
            return None
        deps = self._departments_of(pc)
        if deps == ["2A", "2B"]:  # Corsica: 200xx–201xx is Corse-du-Sud, the rest Haute-Corse
            deps = ["2A"] if pc[2] in "01" else ["2B"]
        if len(deps) != 1:
            return None
        d = self._departments[deps[0]]
        return GeoResult(
            point=Point(lon=d.lon, lat=d.lat),
            precision="department",
            score=DEPARTMENT_SCORE,
            citycode=None,
            city=None,
            postcode=pc,
            department=d.code,
            region=d.region,
            label=f"{d.name} ({d.code})",
            source=SOURCE,
        )

    @staticmethod
    def _result(e: Entry, pc: str, score: float) -> GeoResult:
        postcode = pc if pc in e.postcodes else (e.postcodes[0] if e.postcodes else None)
        name = e.name if not e.alias else f"{e.name}, {e.city}"
        return GeoResult(
            point=Point(lon=e.lon, lat=e.lat),
            precision="municipality",
            score=round(score, 3),
            citycode=e.target,
            city=e.city,
            postcode=postcode,
            department=e.department,
            region=e.region,
            label=f"{postcode} {name}" if postcode else name,
            source=SOURCE,
        )

    def __len__(self) -> int:
        return len(self.entries)


_default: Gazetteer | None = None


def default_gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once per process."""
    global _default
    if _default is None:
        _default = Gazetteer.load()
    return _default
