"""Commune completion for forms: ``GET /v1/communes?postcode=&q=``, from the gazetteer.

The reference form completes the commune from what the organiser typed (a postcode, the
start of a name) through the submission service, which calls this route: no browser ever
calls a third party. Answers come from the offline gazetteer (every commune, its La Poste
postcodes), so they cost no call to the national API and work offline.

- ``postcode`` (5 digits): the communes that postcode serves;
- ``q`` (2 characters or more): communes whose name starts with it (accents, case,
  hyphens and "St"/"Ste" folded), within the postcode's communes when both are given;
- former communes (communes déléguées) are left out: the form asks for the commune; an
  arrondissement of Paris, Lyon or Marseille is named by its city ("Lyon", 69003), as
  organisers write it (the gazetteer resolves it to the arrondissement by its postcode).

At most ``limit`` answers, the exact name first, then by name.
"""

from __future__ import annotations

import bisect
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sdi_common.contracts import Commune, Communes

from .gazetteer import Entry, Gazetteer
from .normalize import parse_city


def _key(text: str) -> str:
    return " ".join(parse_city(text).tokens)


class CommuneIndex:
    """The gazetteer's communes by postcode and by folded name, for prefix searches."""

    def __init__(self, gazetteer: Gazetteer):
        # (name, postcode) -> the commune; an arrondissement under its city's name
        places: dict[tuple[str, str], Entry] = {}
        for e in gazetteer.entries:
            if not e.alias:
                for pc in e.postcodes:
                    places.setdefault((e.city, pc), e)
        self._by_postcode: dict[str, list[tuple[str, Entry]]] = {}
        by_name: dict[str, list[tuple[str, Entry]]] = {}
        for (name, pc), e in places.items():
            self._by_postcode.setdefault(pc, []).append((name, e))
            by_name.setdefault(name, []).append((pc, e))
        self._names = sorted((_key(name), name, sorted(pcs)) for name, pcs in by_name.items())
        self._keys = [k for k, _, _ in self._names]

    def search(self, postcode: str | None, q: str | None, limit: int = 10) -> list[Commune]:
        key = _key(q) if q else ""
        if postcode:
            pool = [(name, postcode, e) for name, e in self._by_postcode.get(postcode, [])
                    if _key(name).startswith(key)]
        elif len(key) >= 2:
            pool = []
            for k, name, pcs in self._names[bisect.bisect_left(self._keys, key):]:
                if not k.startswith(key) or len(pool) >= 10 * limit:
                    break
                pool.extend((name, pc, e) for pc, e in pcs)
        else:
            return []
        pool.sort(key=lambda t: (_key(t[0]) != key, t[0], t[1]))
        return [Commune(name=name, postcode=pc, citycode=e.target, department=e.department)
                for name, pc, e in pool[:limit]]


router = APIRouter(tags=["communes"])


@router.get("/v1/communes", summary="Communes for a postcode or the start of a name",
            response_model=Communes)
async def communes(
    request: Request,
    postcode: Annotated[str | None, Query(pattern=r"^[0-9]{5}$")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Communes:
    index: CommuneIndex = request.app.state.communes
    return Communes(communes=index.search(postcode, q, limit))
