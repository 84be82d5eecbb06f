"""Closed vocabularies of the person record (interchange format v2, DESIGN.md §2).

An empty cell in a record means the fact is unknown; rules send unknown facts to review.
"""

from __future__ import annotations

import pycountry

STATUSES = (
    "citizen",
    "national",  # a US national who is not a citizen (American Samoa, Swains Island): 8 U.S.C. §1408
    "permanent_resident",
    "refugee",
    "asylee",
    "temporary_protected",
    "deferred_action",  # DACA and other deferred action
    "u_visa",
    "t_visa",
    "sij",  # special immigrant juvenile
    "parolee",
    "nonimmigrant",
    "undocumented",
)
# Statuses of US nationality: a citizen or a non-citizen national is never removed.
US_NATIONAL_STATUSES = ("citizen", "national")
# Codes that mean US nationality: the US and its territories, whose people are US citizens or
# nationals (8 U.S.C. §1402 Puerto Rico, §1406 US Virgin Islands, §1407 Guam, §1408 and §1101(a)(29)
# American Samoa and Swains Island; Northern Mariana Islands by the Covenant, 48 U.S.C. §1801 note;
# UM, the Minor Outlying Islands, are US territory with no other nationality).
US_NATIONALITY_CODES = ("US", "PR", "GU", "VI", "MP", "AS", "UM")
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
