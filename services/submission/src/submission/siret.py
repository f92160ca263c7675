"""SIRET check: 14 digits and the Luhn checksum.

La Poste's establishments (SIREN 356 000 000) do not follow Luhn: INSEE numbers them so
that the sum of the 14 digits is a multiple of 5. The head office, 356 000 000 00048, is
the exception to the exception (it follows Luhn), so for that SIREN either rule passes.
"""

from __future__ import annotations

LA_POSTE_SIREN = "356000000"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def normalize(value: str) -> str:
    """Drop the spaces people type in ("732 829 320 00074")."""
    return "".join(value.split())


def siret_ok(value: str) -> bool:
    """True for a well-formed SIRET (already normalized)."""
    if len(value) != 14 or not value.isascii() or not value.isdigit():
        return False
    if value[:9] == LA_POSTE_SIREN:
        return sum(int(c) for c in value) % 5 == 0 or luhn_ok(value)
    return luhn_ok(value)
