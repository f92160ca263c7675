"""The offline commune gazetteer: postcode + city → the commune's reference point.

Every French commune (overseas 971–976 included), the municipal arrondissements of Paris,
Lyon and Marseille, the former communes of communes nouvelles (communes déléguées and
associées) and the départements, from the file that ``scripts/build_gazetteer.py`` builds
(``data/communes.tsv.gz``; sources and licences in the service's NOTICE).

Matching, from the most to the least certain, always among the communes that the postcode
serves (La Poste), so that a city name can only resolve inside its postcode:

1. the name with its article ("le mans"), accents/case/punctuation folded, La Poste's
   abbreviations expanded (St, Ste, S/, lez), a trailing CEDEX or CIDEX dropped;
2. the name without its leading article ("mans");
3. the name without any article or linking word, spaces removed ("saintmartinmer");
4. one typo (a letter replaced, added, dropped, or two swapped) on any of those names,
   unless what was written is itself the name of a commune somewhere (then it is no typo)
   or the typo touches a number ("Paris 11" is not "Paris 1");
5. the usual form of a name (``usual_form``): the official name with words added after it
   ("Colmars-les-Alpes" for Colmars, "Bors-de-Montmoreau" for "Bors (Canton de
   Tude-et-Lavalette)"), or with words left out ("Levallois" for Levallois-Perret, La
   Poste's 32-letter "St-Rémy-Bouzemont-Genest-Isson"), under the same proviso as typos;
   words added must not fit another commune as well (``Gazetteer._usual``: "95000
   Cergy-Pontoise" names Pontoise too, "64350 Castillon-d'Arthez" is the other Castillon).

Two different communes matching at the same level is ambiguous: no answer (a wrong point is
worse than none), and ``candidates`` names them, for whoever places the event by hand. A
city the postcode does not serve gives no answer either. A postal town that is not the
commune ("16000 Angoulême" for the mairie of Soyaux) is taken at its word: the answer is the
postal town, as the national address API answers.

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

from .normalize import (
    ARTICLES,
    SAINTS,
    STOPWORDS,
    CityQuery,
    normalize_postcode,
    parse_city,
    strip_parenthesized,
)

__all__ = ["Gazetteer", "default_gazetteer", "one_edit_apart", "usual_form"]

SOURCE = "gazetteer"
# scores by match level; an alias (former commune) match costs a little, an unknown
# (CEDEX) postcode costs more since the postcode confirmed nothing
SCORE = {"full": 1.0, "bare": 0.95, "loose": 0.9, "typo": 0.8, "usual": 0.75}
ALIAS_PENALTY = 0.05
UNKNOWN_POSTCODE_FACTOR = 0.9
NO_POSTCODE_SCORE = 0.7
POSTCODE_ONLY_SCORE = 0.6
DEPARTMENT_SCORE = 0.3
MIN_TYPO_LENGTH = 3
OVERSEAS = ("971", "972", "973", "974", "976")
#: words that tie a name to the place it is near ("près": "Bussières-près-Pionsat")
_LINKS = STOPWORDS | {"pres"}
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


class _Name(NamedTuple):
    """One name an entry answers to, as the approximate levels (typo, usual form) see it."""

    q: CityQuery
    words: tuple[str, ...]  # q.words, without a parenthesized qualifier: "Bors (Canton…)"
    digits: str  # the numbers in it ("Paris 11e": "11"), which no typo may change
    entry: Entry


#: what matched at the first level that matched anything, and that level (a plain tuple:
#: this is on every lookup's path)
_Found = tuple[list[Entry], str]


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


def usual_form(written: tuple[str, ...], official: tuple[str, ...]) -> bool:
    """Are these words (``CityQuery.words``: no article, no linking word) a usual form of
    the official name's: the name with words added after it, or with some of its words
    left out, its first word kept (after Saint, the saint's name too)? A shortened form
    keeps at least half of the words, so that one common first word cannot stand for a
    long name."""
    if not written or not official or written[0] != official[0]:
        return False
    if len(written) >= len(official):
        # "Colmars-les-Alpes" for Colmars; equal words when the official name's
        # parenthesized qualifier was set aside ("Bors" for "Bors (Canton de …)")
        return written[: len(official)] == official and not SAINTS.issuperset(official)
    if 2 * len(written) < len(official):
        return False
    if written[0] in SAINTS and (len(written) < 2 or written[1] != official[1]):
        return False
    rest = iter(official[1:])
    return all(w in rest for w in written[1:])  # in order: a subsequence


def _anchor(words: tuple[str, ...]) -> str:
    """The first word of a name, with the saint's name after Saint: "saint loup"."""
    return " ".join(words[:2]) if words[0] in SAINTS else words[0]


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _name(q: CityQuery, e: Entry) -> _Name:
    words = q.words
    if "(" in e.name:  # "Bors (Canton de Tude-et-Lavalette)": the name without qualifier
        words = parse_city(strip_parenthesized(e.name)).words
    return _Name(q, words, _digits(q.loose), e)


def _is_postcode(pc: str) -> bool:
    return len(pc) == 5 and pc.isdigit()


def _postcode(postcode: str | None, city: str | None) -> str:
    """The input's postcode, normalized; else one written in the city field ("75011 Paris")."""
    pc = normalize_postcode(postcode)
    if not pc and city:
        m = _POSTCODE_IN_TEXT.search(city)
        pc = m.group(1) if m else ""
    return pc


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
        # the names the approximate levels (typo, usual form) are checked against
        self._by_postcode: dict[str, list[_Name]] = {}
        self._by_department: dict[str, list[_Name]] = {}
        self._departments: dict[str, _Department] = {}
        # each département's name as words ("loir", "cher"), for the qualifiers that name one
        self._department_words: list[tuple[tuple[str, ...], _Department]] = []
        self._all_names: set[str] = set()  # every name key of every commune
        # every name by its first words (``_anchor``), and by the first letter and length
        # of its loose key: where the communes a usual form may also name are looked for
        self._by_anchor: dict[str, list[_Name]] = {}
        self._by_initial: dict[tuple[str, int], list[_Name]] = {}
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
                d = _Department(code, name, region, float(lon), float(lat))
                self._departments[code] = d
                self._department_words.append((parse_city(name).words, d))
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
                    self._by_postcode.setdefault(pc, []).append(_name(qc, e))
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
        name = _name(q, e)
        for pc in e.postcodes:
            self._by_postcode.setdefault(pc, []).append(name)
        self._by_department.setdefault(e.department, []).append(name)
        self._by_anchor.setdefault(_anchor(name.words), []).append(name)
        if q.loose:
            self._by_initial.setdefault((q.loose[0], len(q.loose)), []).append(name)
        self._all_names.update((q.full, q.bare, q.loose))

    # ------------------------------------------------------------------ lookup

    def lookup(self, postcode: str | None, city: str | None) -> GeoResult | None:
        """The commune that postcode + city name, or None when unsure."""
        pc = _postcode(postcode, city)
        found = self._lookup(pc, parse_city(city or ""))
        if found is None and city and "(" in city:
            # "Saint-Denis (La Réunion)": the words in parentheses are a hint, not the name
            found = self._lookup(pc, parse_city(strip_parenthesized(city)))
        return found

    def candidates(self, postcode: str | None, city: str | None) -> list[GeoResult]:
        """The communes an input may mean, for whoever places it by hand when ``lookup``
        found none for sure: the communes that matched alike ("58120 Château-Chinon":
        Ville and Campagne), or the local commune whose name a typo or a usual form points
        to when what was written is a commune elsewhere ("50310 Saint-Cyr": Saint-Cyr-Bocage,
        while Saint-Cyr is in the Ardèche). Empty when nothing comes close."""
        pc = _postcode(postcode, city)
        if not city or (pc and not _is_postcode(pc)):
            return []
        found: dict[str, GeoResult] = {}
        for text in (city, strip_parenthesized(city)) if "(" in city else (city,):
            q = parse_city(text)
            if not q.tokens:
                continue
            for scope, pool in self._scopes(pc):
                entries, level = self._match(scope, q, pool, guard=False) or ([], "")
                for e in sorted(entries, key=lambda e: e.alias):
                    found.setdefault(e.target, self._result(e, pc, SCORE[level]))
            if found:
                break
        return list(found.values())

    def _scopes(self, pc: str) -> list[tuple[_Scope, list[_Name] | None]]:
        """Where a name may match, with the names the approximate levels try there: the
        communes of a postcode La Poste knows; for one it does not know (CEDEX, BP...),
        each département it may belong to; without a postcode, France (exact names only)."""
        if not pc:
            return [(_Scope(), None)]
        served = self._by_postcode.get(pc)
        if served is not None:
            return [(_Scope(postcode=pc), served)]
        return [
            (_Scope(department=dep), self._by_department.get(dep, []))
            for dep in self._departments_of(pc)
        ]

    def _lookup(self, pc: str, q: CityQuery) -> GeoResult | None:
        if pc and not (len(pc) == 5 and pc.isdigit()):
            return None
        if not q.tokens:
            # a postcode alone: fine when it serves one commune only
            served = self._by_postcode.get(pc, ()) if pc else ()
            targets = {n.entry.target: n.entry for n in served if not n.entry.alias}
            if len(targets) != 1:
                return None
            (e,) = targets.values()
            return self._result(e, pc, POSTCODE_ONLY_SCORE)

        served = self._by_postcode.get(pc) if pc else None
        if served is not None:  # the usual case, kept short
            one = self._pick(self._match(_Scope(postcode=pc), q, served))
            return self._result(one[0], pc, one[1]) if one else self._department_fallback(pc, q)
        picked = [
            one
            for scope, pool in self._scopes(pc)
            if (one := self._pick(self._match(scope, q, pool))) is not None
        ]
        if len(picked) != 1:
            if picked or not pc:
                return None  # e.g. the same name in 2A and 2B, or in two overseas départements
            return self._department_fallback(pc, q)
        e, score = picked[0]
        if pc:  # a CEDEX postcode: it confirmed nothing
            return self._result(e, pc, score * UNKNOWN_POSTCODE_FACTOR)
        return self._result(e, "", min(score, NO_POSTCODE_SCORE))

    def _match(
        self,
        scope: _Scope,
        q: CityQuery,
        pool: list[_Name] | None,
        *,
        guard: bool = True,
    ) -> _Found | None:
        """The entries of the scope that the name designates, at the first level where
        any does; the approximate levels try the names of ``pool`` (None: not at all),
        and only when what was written is no commune's name (unless ``guard`` is off)."""
        for level, table, key in (
            ("full", self._full, q.full),
            ("bare", self._bare, q.bare),
            ("loose", self._loose, q.loose),
        ):
            found = [e for e in table.get(key, ()) if scope.keeps(e)]
            if scope.postcode is not None:
                found += [e for e in self._plm_city.get(key, ()) if scope.keeps(e)]
            if found:
                return found, level
        if pool is None or len(q.loose) < MIN_TYPO_LENGTH or (guard and self._is_a_name(q)):
            return None
        # neither a typo nor a usual form may add, drop or change a number
        digits = _digits(q.loose)
        pool = [n for n in pool if n.digits == digits]
        found = [
            n.entry
            for n in pool
            if one_edit_apart(n.q.full, q.full)
            or one_edit_apart(n.q.bare, q.bare)
            or one_edit_apart(n.q.loose, q.loose)
        ]
        if found:
            return found, "typo"
        return self._usual(q, pool)

    def _usual(self, q: CityQuery, pool: list[_Name]) -> _Found | None:
        """The entries of which what was written is a usual form (``usual_form``). A form
        that adds words to a local name must not fit another commune as well: one of the
        same département set beside ("95000 Cergy-Pontoise" names Pontoise too), one
        elsewhere that it names more fully or within a typo ("64350 Castillon-d'Arthez"
        is the other Castillon, "(Canton d'Arthez-de-Béarn)"; "Mont-Bernenchon" is not
        Mont, but Mont-Bernanchon), or a homonym whose neighbour it names ("16190
        Bors-de-Baignes": the Bors of 16360, which serves Baignes); those are named as
        candidates instead."""
        forms = [q.words]
        if len(q.tokens) > 1 and q.tokens[0] in ARTICLES:
            # "La Chapelle sous Poix" for Lachapelle: the article glued to the name
            glued = q.tokens[0] + q.tokens[1]
            forms.append((glued, *(w for w in q.tokens[2:] if w not in STOPWORDS)))
        found: list[Entry] = []
        extended: list[tuple[_Name, tuple[str, ...]]] = []  # (name, the words added to it)
        for n in pool:
            form = next((w for w in forms if usual_form(w, n.words)), None)
            if form is None:
                continue
            added = form[len(n.words) :]
            if added and not self._in_named_region(n.entry, added):
                continue  # "Fleury-d'Aude" is no Fleury of the Aisne
            found.append(n.entry)
            if added:
                extended.append((n, added))
        if not found:
            return None
        if extended:
            local = {e.target for e in found}
            found += self._named_beside(q.tokens, {e.department for e in found})
            found += [e for e in self._named_elsewhere(q) if e.target not in local]
            for n, added in extended:
                found += self._homonyms_near(n, added)
        return found, "usual"

    def _in_named_region(self, e: Entry, added: tuple[str, ...]) -> bool:
        """Is e in the région of every département the added words name ("d'Aude",
        "du-Gers", "sur-Cher")? A river keeps a département's name beyond it ("Saint-Maurice-
        ès-Allier" is in the Puy-de-Dôme), hence the région rather than the département."""
        return all(
            d.region == e.region
            for words, d in self._department_words
            if any(added[i : i + len(words)] == words for i in range(len(added)))
        )

    def _named_beside(self, tokens: tuple[str, ...], departments: set[str]) -> list[Entry]:
        """The communes of these départements whose name is set beside the first words of
        what was written, not after a linking word ("Cergy-Pontoise" names Pontoise;
        "Bors-de-Montmoreau" is Bors, near Montmoreau; so is "Bussières-près-Pionsat")."""
        named = []
        for i in range(1, len(tokens)):
            if tokens[i - 1] in _LINKS or tokens[i] in _LINKS:
                continue
            rest = tuple(w for w in tokens[i:] if w not in STOPWORDS)
            named += [
                n.entry
                for n in self._by_anchor.get(_anchor(rest), ())
                if n.entry.department in departments and rest[: len(n.words)] == n.words
            ]
        return named

    def _named_elsewhere(self, q: CityQuery) -> list[Entry]:
        """The communes of France whose full name (qualifier included) has every word
        written, in order, or is one typo away."""
        covering = [
            n.entry
            for n in self._by_anchor.get(_anchor(q.words), ())
            if len(n.q.words) >= len(q.words) and usual_form(q.words, n.q.words)
        ]
        k = q.loose
        return covering + [
            n.entry
            for size in (len(k) - 1, len(k), len(k) + 1)
            for n in self._by_initial.get((k[0], size), ())
            if one_edit_apart(n.q.loose, k)
        ]

    def _homonyms_near(self, n: _Name, added: tuple[str, ...]) -> list[Entry]:
        """The communes of the same name as n's whose postcodes serve a commune that the
        added words name, when n's postcodes serve none."""
        homonyms = [
            m
            for m in self._by_anchor.get(_anchor(n.words), ())
            if m.words == n.words and m.entry.target != n.entry.target
        ]
        if not homonyms or self._serves(n.entry, added):
            return []
        return [m.entry for m in homonyms if self._serves(m.entry, added)]

    def _serves(self, e: Entry, words: tuple[str, ...]) -> bool:
        """Do e's postcodes serve a commune whose name starts with these words?"""
        return any(
            m.words[: len(words)] == words
            for pc in e.postcodes
            for m in self._by_postcode.get(pc, ())
        )

    def _is_a_name(self, q: CityQuery) -> bool:
        """Is what was written the name of some commune (so, not a typo)?"""
        names = self._all_names
        return q.full in names or q.bare in names or q.loose in names

    @staticmethod
    def _pick(found: _Found | None) -> tuple[Entry, float] | None:
        """One commune among the matches, with its score; None when they name different
        communes. A commune's own name outranks a former commune's elsewhere ("Cherbourg"
        is no longer a commune), except for a usual form, which must fit one commune."""
        if found is None:
            return None
        pool, level = found
        if level == "usual":
            e = next((e for e in pool if not e.alias), pool[0])
        else:
            pool = [e for e in pool if not e.alias] or pool
            e = pool[0]
        if len({e.target for e in pool}) != 1:
            return None
        return e, SCORE[level] - (ALIAS_PENALTY if e.alias else 0.0)

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
