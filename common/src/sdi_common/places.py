"""French administrative places: the département of a postcode or an INSEE code, its région.

One place for rules that several services need (the store's filters, the feed's properties,
the geocoders' checks, the operators' scopes):

- Corsica: INSEE codes say ``2A``/``2B``; postcodes say ``20`` and split at 20200
  (``200xx``–``201xx`` Corse-du-Sud, ``202xx``–``206xx`` Haute-Corse, CEDEX codes included);
- overseas: three digits (``971``–``976``; collectivities ``975``, ``977``, ``978``, ``984``–``988``);
- Monaco (postcodes ``980xx``) and military sector codes (``00xxx``) are in no département;
- a CEDEX postcode keeps its département's two digits ("75700 Paris CEDEX 07" → ``75``).
"""

from __future__ import annotations

#: INSEE région code → its départements (the 18 régions since 2016)
REGIONS: dict[str, tuple[str, ...]] = {
    "01": ("971",),
    "02": ("972",),
    "03": ("973",),
    "04": ("974",),
    "06": ("976",),
    "11": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "24": ("18", "28", "36", "37", "41", "45"),
    "27": ("21", "25", "39", "58", "70", "71", "89", "90"),
    "28": ("14", "27", "50", "61", "76"),
    "32": ("02", "59", "60", "62", "80"),
    "44": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    "52": ("44", "49", "53", "72", "85"),
    "53": ("22", "29", "35", "56"),
    "75": ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),
    "76": ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),
    "84": ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),
    "93": ("04", "05", "06", "13", "83", "84"),
    "94": ("2A", "2B"),
}

REGION_NAMES: dict[str, str] = {
    "01": "Guadeloupe",
    "02": "Martinique",
    "03": "Guyane",
    "04": "La Réunion",
    "06": "Mayotte",
    "11": "Île-de-France",
    "24": "Centre-Val de Loire",
    "27": "Bourgogne-Franche-Comté",
    "28": "Normandie",
    "32": "Hauts-de-France",
    "44": "Grand Est",
    "52": "Pays de la Loire",
    "53": "Bretagne",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur",
    "94": "Corse",
}

_REGION_OF: dict[str, str] = {d: r for r, ds in REGIONS.items() for d in ds}
DEPARTMENTS: frozenset[str] = frozenset(_REGION_OF)


def department_of(code: str | None) -> str | None:
    """The département of a postcode or an INSEE commune code, or None.

    ``"59000"`` → ``"59"``; ``"2A004"`` → ``"2A"``; ``"20090"`` → ``"2A"``; ``"20200"`` →
    ``"2B"``; ``"97105"`` → ``"971"``; ``"98000"`` (Monaco) → None; ``"75111"`` → ``"75"``.
    """
    if not code:
        return None
    code = code.strip().upper()
    if len(code) != 5:
        return None
    if code[:2] in ("2A", "2B") and code[2:].isdigit():
        return code[:2]
    if not code.isdigit() or code.startswith(("00", "980")):
        return None
    if code.startswith(("97", "98")):
        return code[:3]
    if code.startswith("20"):
        return "2A" if code < "20200" else "2B"
    return code[:2]


def region_of(department: str | None) -> str | None:
    """The INSEE région code of a département (``"69"`` → ``"84"``); None outside the 18."""
    return _REGION_OF.get(department) if department else None
