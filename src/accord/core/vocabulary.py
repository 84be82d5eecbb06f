"""Closed vocabularies of the person record (interchange format v1, DESIGN.md §2).

An empty cell in a record means the fact is unknown; rules send unknown facts to review.
"""

from __future__ import annotations

import pycountry

STATUSES = (
    "citizen",
    "permanent_resident",
    "refugee",
    "asylee",
    "temporary_protected",
    "parolee",
    "nonimmigrant",
    "undocumented",
)
SEXES = ("M", "F", "X")
REMOVAL_ORDERS = ("none", "pending", "final")
PROTECTIONS = ("none", "pending", "asylum_granted", "withholding_granted", "cat_granted", "denied")
# Ordered from least to most serious: rules compare ranks.
CONVICTIONS = ("none", "misdemeanor", "felony", "violent_felony")
GANGS = ("none", "ms13", "barrio18", "tren_de_aragua", "other")
GANG_BASES = ("none", "conviction", "self_admission", "allegation")

CONVICTION_RANK = {name: rank for rank, name in enumerate(CONVICTIONS)}

# ISO 3166-1 alpha-2, plus XK (Kosovo), a user-assigned code in wide official use
# (the Denmark–Kosovo prison rental precedent of DESIGN.md §3 needs it).
COUNTRY_CODES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries) | {"XK"}


def country_name(code: str) -> str:
    """The English short name of a country code, or the code itself when unknown."""
    if code == "XK":
        return "Kosovo"
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code
