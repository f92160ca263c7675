"""Normalisation of French postcodes, commune names and addresses.

Shared by the offline gazetteer (matching) and the geocoding cache (keys): two inputs that
name the same place the way people write it ("ST-ETIENNE CEDEX 2", "Saint Étienne") get
the same key.

- ``fold``: accents, case and punctuation away, one space between words;
- ``city_tokens``: ``fold`` plus La Poste's abbreviations (St → saint, Ste → sainte,
  s/ → sur, lez → les), a trailing CEDEX or CIDEX (with its number) dropped and the ordinal
  of a Paris/Lyon/Marseille arrondissement reduced to its number ("11e", "11ème arrdt" →
  "11"); text that went through Windows-1252 read as Latin-1 ("Cricqueb\x9cuf") is
  repaired first;
- ``normalize_city``: those tokens without a leading article (Le/La/Les/L'), as one string;
- ``address_key``: street, postcode and city as one cache key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sdi_common.text import fold

__all__ = [
    "CityQuery",
    "address_key",
    "city_tokens",
    "normalize_city",
    "normalize_postcode",
    "normalize_street",
    "parse_city",
    "strip_parenthesized",
]

ARTICLES = frozenset({"le", "la", "les", "l", "aux", "las", "los"})
#: words dropped for the loose match ("Saint Martin de la Mer" ≈ "St Martin la Mer"); "ès"
#: is "en les" ("Saint-Maurice-ès-Allier")
STOPWORDS = ARTICLES | frozenset(
    {"de", "du", "des", "d", "en", "es", "sur", "sous", "et", "a", "au"}
)
#: "Saint" and its forms: a name's first word that says little on its own
SAINTS = frozenset({"saint", "sainte", "saints", "saintes"})
_ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "mt": "mont",
    "lez": "les",  # the old spelling of "lès" (near), still La Poste's in some names
}
_ARRONDISSEMENT_WORDS = frozenset({"arrondissement", "arrondissements", "arrdt", "arrt", "arr"})
_ORDINAL = re.compile(r"^(\d{1,2})(?:e|eme|er|ere|em|ieme|me)$")
_SLASH_ABBR = re.compile(r"\b(ss|s)\s*/\s*", re.IGNORECASE)
_PARENS = re.compile(r"\([^)]*\)")


def strip_parenthesized(s: str) -> str:
    """'Saint-Denis (La Réunion)' → 'Saint-Denis ' (a name may need its parentheses:
    'Château-Chinon (Ville)', so callers try with them first)."""
    return _PARENS.sub(" ", s)


#: CEDEX (business mail) and CIDEX (rural group boxes): La Poste's distribution words
_CEDEX_TAIL = re.compile(r"\bc[ei]dex(?:\s+\d{1,3})?\s*$")
_COUNTRY_TAIL = re.compile(r",\s*france\s*$", re.IGNORECASE)
#: a postcode repeated in the city field: "75011 Paris", "Paris 75011"
_POSTCODE_IN_CITY = re.compile(r"^\s*\d{5}\s+|\s+\d{5}\s*$")
_PLM_CITIES = frozenset({"paris", "lyon", "marseille"})
_ROMAN_NUMERALS = "i ii iii iv v vi vii viii ix x xi xii xiii xiv xv xvi xvii xviii xix xx"
_ROMAN = {r: str(i) for i, r in enumerate(_ROMAN_NUMERALS.split(" "), 1)}
_ROMAN_ORDINAL = re.compile(r"^([ivx]+)(?:e|eme|er|em|ieme|me)?$")
#: C1 control characters are never text: they are Windows-1252 bytes (œ, Œ, ’...) that
#: were decoded as Latin-1 somewhere upstream
_C1 = {cp: bytes([cp]).decode("cp1252", "replace") for cp in range(0x80, 0xA0)}
_HAS_C1 = re.compile("[\x80-\x9f]")


@dataclass(frozen=True, slots=True)
class CityQuery:
    """A city as written, parsed for matching."""

    tokens: tuple[str, ...]  # folded, abbreviations expanded, CEDEX removed
    cedex: bool  # the input ended with CEDEX (and maybe its number)
    full: str  # key with the article: "le mans"
    bare: str  # key without a leading article: "mans"
    loose: str  # without any article or linking word, nor spaces: "saintmartinmer"
    words: tuple[str, ...]  # the words of loose, apart: ("saint", "martin", "mer")

    @classmethod
    def of(cls, tokens: tuple[str, ...], cedex: bool) -> CityQuery:
        bare = tokens[1:] if len(tokens) > 1 and tokens[0] in ARTICLES else tokens
        words = tuple([w for w in tokens if w not in STOPWORDS]) or tokens
        return cls(tokens, cedex, " ".join(tokens), " ".join(bare), "".join(words), words)


def parse_city(city: str) -> CityQuery:
    s = city.translate(_C1) if not city.isascii() and _HAS_C1.search(city) else city
    s = _COUNTRY_TAIL.sub("", s)
    s = _POSTCODE_IN_CITY.sub(" ", s)
    s = _SLASH_ABBR.sub(lambda m: " sous " if m.group(1).lower() == "ss" else " sur ", s)
    s = fold(s)
    cedex = False
    m = _CEDEX_TAIL.search(s)
    if m:
        cedex = True
        s = s[: m.start()]
    tokens = []
    for w in s.split():
        w = _ABBREVIATIONS.get(w, w)
        if w in _ARRONDISSEMENT_WORDS:
            continue
        m = _ORDINAL.match(w)
        if m:
            w = str(int(m.group(1)))
        elif w.isdigit() and len(w) <= 2:
            w = str(int(w))  # "Lyon 07" is "Lyon 7"
        elif tokens and tokens[-1] in _PLM_CITIES:
            # "Paris XIe", "Lyon IIIème": a Roman arrondissement number (only there, so
            # that a real word is never read as a number)
            r = _ROMAN_ORDINAL.match(w)
            if r and r.group(1) in _ROMAN:
                w = _ROMAN[r.group(1)]
        tokens.append(w)
    # "Paris 11e" may also come as "Paris 11 e" → the lone "e"/"er"/"eme" after a number
    if len(tokens) >= 2 and tokens[-1] in ("e", "er", "eme") and tokens[-2].isdigit():
        tokens.pop()
    return CityQuery.of(tuple(tokens), cedex)


def city_tokens(city: str) -> tuple[str, ...]:
    return parse_city(city).tokens


def normalize_city(city: str) -> str:
    """Commune name as a comparison/cache key: 'L'Haÿ-les-Roses CEDEX' → 'hay les roses',
    'ST-ETIENNE' → 'saint etienne', 'Paris 11ème' → 'paris 11'."""
    return parse_city(city).bare


_POSTCODE_PREFIX = re.compile(r"^(?:FRANCE|FR|F)\s*-?\s*", re.IGNORECASE)


def normalize_postcode(postcode: str | None) -> str:
    """'75 011' → '75011', 'F-75011' → '75011', '1400' → '01400' (a postcode that lost its
    leading zero in a spreadsheet); anything else is returned upper-cased, without spaces,
    so that it never matches a real one."""
    if not postcode:
        return ""
    digits = "".join(_POSTCODE_PREFIX.sub("", postcode.strip()).split())
    if digits.isdigit() and len(digits) == 4:
        return "0" + digits
    return digits.upper()


_STREET_ABBREVIATIONS = {
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "bvd": "boulevard",
    "boul": "boulevard",
    "pl": "place",
    "r": "rue",
    "rte": "route",
    "che": "chemin",
    "ch": "chemin",
    "chem": "chemin",
    "imp": "impasse",
    "all": "allee",
    "sq": "square",
    "fg": "faubourg",
    "fbg": "faubourg",
    "qu": "quai",
    "crs": "cours",
    "pte": "porte",
    "prom": "promenade",
    "res": "residence",
    "lot": "lotissement",
    "za": "zone artisanale",
    "zi": "zone industrielle",
    "zac": "zone d amenagement concerte",
    "st": "saint",
    "ste": "sainte",
    "gal": "general",
    "mal": "marechal",
    "pdt": "president",
}


def normalize_street(street: str | None) -> str:
    """'12, Bd St-Michel' → '12 boulevard saint michel'."""
    if not street:
        return ""
    return " ".join(_STREET_ABBREVIATIONS.get(w, w) for w in fold(street).split())


def address_key(street: str | None, postcode: str | None, city: str | None) -> str:
    """One key per address as people write it, for the geocoding cache."""
    return "|".join(
        (normalize_street(street), normalize_postcode(postcode), normalize_city(city or ""))
    )
