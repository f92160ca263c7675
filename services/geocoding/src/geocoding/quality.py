"""What a geocoder is asked, and whether its answer is in the right commune.

A wrong point is worse than none: a remote result is accepted only when its commune
agrees with the input. The reference is the commune the offline gazetteer recognises from
the input's postcode and city (``AddressQuery.commune``); without it, the result's
postcode and normalized city must both equal the input's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sdi_common.contracts import GeoResult, Location
from sdi_common.places import department_of

from .normalize import normalize_city

#: Municipal arrondissements of Paris, Lyon and Marseille -> their commune's INSEE code.
_PLM = (
    (75101, 75120, "75056"),
    (69381, 69389, "69123"),
    (13201, 13216, "13055"),
)
_CEDEX = re.compile(r"\s+cedex(\s*\d*)?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AddressQuery:
    street: str | None
    postcode: str
    city: str
    #: the commune the gazetteer recognises (precision municipality, or department for a
    #: CEDEX address it could only place in its département); None when it knows none
    commune: GeoResult | None = None

    @classmethod
    def from_location(cls, location: Location, commune: GeoResult | None = None) -> AddressQuery:
        street = (location.street or "").strip() or None
        return cls(street, location.postcode, location.city.strip(), commune)

    @property
    def city_for_search(self) -> str:
        """The commune's official name when known, else the input without its CEDEX."""
        if self.commune and self.commune.city and self.commune.citycode:
            return self.commune.city
        return _CEDEX.sub("", self.city).strip() or self.city

    @property
    def postcode_for_search(self) -> str:
        if self.commune and self.commune.postcode and self.commune.citycode:
            return self.commune.postcode
        return self.postcode


def commune_code(citycode: str) -> str:
    """The INSEE code of the commune, mapping a PLM arrondissement to its commune."""
    if citycode.isdigit():
        n = int(citycode)
        for first, last, commune in _PLM:
            if first <= n <= last:
                return commune
    return citycode


def is_plm(citycode: str | None) -> bool:
    return bool(citycode) and commune_code(citycode) in {c for _, _, c in _PLM}


def same_commune(a: str, b: str) -> bool:
    return commune_code(a) == commune_code(b)


def commune_agrees(
    query: AddressQuery, *, citycode: str | None, postcode: str | None, city: str | None
) -> bool:
    """Is a result with this citycode/postcode/city in the commune the input names?"""
    ref = query.commune
    if ref is not None and ref.citycode:
        return bool(citycode) and same_commune(citycode, ref.citycode)
    same_city = bool(city) and normalize_city(city) == normalize_city(query.city)
    if ref is not None and ref.department:
        # a CEDEX address the gazetteer placed in its département only: the city name
        # must match within that département
        return same_city and bool(citycode) and department_of(citycode) == ref.department
    return same_city and postcode == query.postcode
