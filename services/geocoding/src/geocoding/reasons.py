"""Why an address was not placed, in French, for the organiser and the committee (the reason
of ``location_unresolved``, and of the lookup route's 404)."""

from __future__ import annotations

from collections.abc import Sequence

from sdi_common.contracts import GeoResult, Location, Reason

#: at most this many candidate communes are named in a reason
MAX_CANDIDATES = 5


def address_not_found(location: Location, candidates: Sequence[GeoResult] = ()) -> Reason:
    """Why an address was not placed, naming the communes it may mean (``candidates``):
    ``address_ambiguous`` when several answer alike, for the committee to choose."""
    street = f"{location.street}, " if location.street else ""
    written = f"« {street}{location.postcode} {location.city} »"
    names = ", ".join(f"{c.label} (INSEE {c.citycode})" for c in candidates[:MAX_CANDIDATES])
    if len(candidates) > MAX_CANDIDATES:
        names += "…"
    advice = "l'équipe d'animation peut aussi placer l'événement sur la carte."
    if len(candidates) > 1:
        return Reason(
            code="address_ambiguous",
            message=(
                f"Adresse ambiguë : {written} peut désigner plusieurs communes : {names}. "
                f"Précisez la commune ; {advice}"
            ),
        )
    maybe = f" (s'agit-il de {names} ?)" if candidates else ""
    return Reason(
        code="address_not_found",
        message=(
            f"Adresse introuvable : nous n'avons pas pu situer {written} avec certitude"
            f"{maybe}. Vérifiez le code postal et le nom de la commune, ou précisez "
            f"l'adresse ; {advice}"
        ),
    )


ADDRESS_MISSING = Reason(
    code="address_missing",
    message="L'événement n'est pas en ligne mais n'a pas d'adresse : indiquez le lieu.",
)
