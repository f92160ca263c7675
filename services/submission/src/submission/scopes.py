"""An operator's scope: the régions and départements whose submissions they see and act on.

In an ``OPERATOR_TOKENS`` entry the scope follows the hash (and expiry), each code after a
slash, so that an entry needs no quoting in a shell and never contains the comma that
separates entries:

    alice:<sha256>                              national (no scope)
    bruno:<sha256>/region=84                    Auvergne-Rhône-Alpes
    chloe:<sha256>@2026-12-31/region=84/department=21   that région plus the Côte-d'Or

A submission is in scope when its région *or* its département is listed. Without either
(an online event, an address outside the départements) it belongs to national operators
only: it has no territory a regional team answers for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sdi_common.places import DEPARTMENTS, REGION_NAMES, REGIONS


class ScopeError(ValueError):
    pass


@dataclass(frozen=True)
class Scope:
    regions: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()

    @classmethod
    def of(cls, regions: Iterable[str] = (), departments: Iterable[str] = ()) -> Scope:
        """A scope from codes as people write them (``84``, ``2a``); ScopeError if unknown."""
        regions = frozenset(r.strip() for r in regions)
        departments = frozenset(d.strip().upper() for d in departments)
        if unknown := sorted(regions - REGIONS.keys()):
            raise ScopeError(f"unknown région code(s) {', '.join(unknown)}: expected one of "
                             f"{', '.join(sorted(REGIONS))}")
        if unknown := sorted(departments - DEPARTMENTS):
            raise ScopeError(f"unknown département code(s) {', '.join(unknown)}")
        return cls(regions, departments)

    @classmethod
    def parse(cls, parts: Iterable[str]) -> Scope:
        """The ``region=CODE`` and ``department=CODE`` parts of an entry."""
        regions, departments = [], []
        for part in parts:
            key, sep, code = part.partition("=")
            if not sep or key.strip() not in ("region", "department") or not code.strip():
                raise ScopeError(f"bad scope {part!r}: expected region=CODE or department=CODE")
            (regions if key.strip() == "region" else departments).append(code)
        return cls.of(regions, departments)

    def entry_suffix(self) -> str:
        """What follows the hash in an ``OPERATOR_TOKENS`` entry ("" when national)."""
        return "".join([*(f"/region={r}" for r in sorted(self.regions)),
                        *(f"/department={d}" for d in sorted(self.departments))])

    @property
    def national(self) -> bool:
        return not (self.regions or self.departments)

    def covers(self, region: str | None, department: str | None) -> bool:
        return self.national or region in self.regions or department in self.departments

    def label(self) -> str:
        """In French, for the pages: "national", or the régions and départements."""
        if self.national:
            return "national"
        names = [f"{REGION_NAMES[r]} ({r})" for r in sorted(self.regions)]
        names += [f"département {d}" for d in sorted(self.departments)]
        return ", ".join(names)


NATIONAL = Scope()
