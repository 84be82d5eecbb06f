"""A synthetic population of people held by the US facing possible removal (demos, benchmarks).

Nobody here is real and no share is a measured statistic: every proportion lives in the tables at
the top of this module, each with its basis. Generation is vectorised (numpy draws, Polars gathers),
so a million people take about a second, and it is deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from accord.core.records import PERSON_SCHEMA
from accord.core.vocabulary import (
    CONVICTIONS,
    COUNTRY_CODES,
    GANG_BASES,
    GANGS,
    PROTECTIONS,
    REMOVAL_ORDERS,
    SEXES,
    STATUSES,
)

# ---------------------------------------------------------------------------------------------
# Proportions: the one place. Shares of a table sum to 1.
# ---------------------------------------------------------------------------------------------

# Primary nationality. Shape after ICE FY2024 removals by citizenship (MX far ahead, then GT, HN,
# SV, EC, CO); SV and VE raised because the modelled agreements concern them; tail illustrative.
NATIONALITY_SHARES: Mapping[str, float] = {
    "MX": 0.305, "GT": 0.13, "HN": 0.12, "SV": 0.08, "VE": 0.08,
    "CO": 0.04, "EC": 0.04, "CU": 0.04, "NI": 0.03, "HT": 0.03,
    "DO": 0.02, "IN": 0.02, "PE": 0.015, "BR": 0.015, "CN": 0.015,
    "SN": 0.005, "GH": 0.004, "NG": 0.004, "CM": 0.004, "ER": 0.003,
}  # fmt: skip
# Illustrative assumption: ~3% of people whose nationality has a usual partner hold both.
DUAL_NATIONAL_SHARE = 0.03
# Usual second nationality (VE;CO is common through Colombian parents); the rest illustrative.
DUAL_PARTNERS: Mapping[str, str] = {
    "VE": "CO", "CO": "VE", "MX": "ES", "GT": "MX", "HN": "SV", "SV": "GT", "NI": "CR",
    "CU": "ES", "HT": "DO", "DO": "ES", "EC": "ES", "PE": "ES", "BR": "PT", "SN": "FR",
    "CM": "FR", "GH": "GB", "NG": "GB",
}  # fmt: skip
# Status in the US. Citizens are wrongly held people (a worry of the sources); LPRs are removable
# after convictions; the split is an illustrative assumption.
STATUS_SHARES: Mapping[str, float] = {
    "undocumented": 0.608, "permanent_resident": 0.12, "parolee": 0.10, "nonimmigrant": 0.06,
    "temporary_protected": 0.04, "asylee": 0.02, "refugee": 0.02, "deferred_action": 0.02,
    "u_visa": 0.003, "t_visa": 0.002, "sij": 0.002, "citizen": 0.005,
}  # fmt: skip
# TPS is drawn only for nationalities designated in early 2025; others fall back to undocumented.
TPS_NATIONALITIES = frozenset({"SV", "HN", "NI", "HT", "VE", "CM"})
# Illustrative: half the wrongly held citizens are US-born (US only), half naturalised/derived.
US_ONLY_SHARE_OF_CITIZENS = 0.5
# Removal order; illustrative assumption (most detainees are in or past proceedings).
REMOVAL_ORDER_SHARES: Mapping[str, float] = {"final": 0.50, "pending": 0.40, "none": 0.10}
# Protection claims; illustrative. asylum_granted is absent: it comes only with asylee status.
PROTECTION_SHARES: Mapping[str, float] = {
    "none": 0.62, "pending": 0.18, "denied": 0.12, "withholding_granted": 0.05, "cat_granted": 0.03,
}  # fmt: skip
# Fear-of-return screening for the country of (primary) nationality, and its positive share;
# illustrative (USCIS credible-fear positive rates have ranged widely, roughly a third to most).
FEAR_SCREENED_SHARE = 0.30
FEAR_FOUND_SHARE = 0.50
# Screening for a third country (the D.V.D. notice question); destinations after the sources
# (SV's offer, the Panama flight); shares illustrative.
THIRD_COUNTRY_SCREENED_SHARE = 0.04
THIRD_COUNTRY_FOUND_SHARE = 0.25
THIRD_COUNTRY_SHARES: Mapping[str, float] = {"SV": 0.5, "MX": 0.3, "PA": 0.1, "CR": 0.1}
# Stay of removal, court order or habeas petition; illustrative assumption within 2-5%.
LEGAL_HOLD_SHARE = 0.03
# Most serious final conviction. TRAC's early-2025 detention snapshots show most detainees
# without a criminal conviction; the split among the convicted is illustrative.
CONVICTION_SHARES: Mapping[str, float] = {
    "none": 0.60, "misdemeanor": 0.20, "felony": 0.13, "violent_felony": 0.07,
}  # fmt: skip
# TRAC also counts detainees with pending charges only; the share is illustrative.
PENDING_CHARGES_SHARE = 0.15
# Share of the convicted still serving a sentence, and the months left (inclusive); illustrative.
SERVING_SHARES: Mapping[str, float] = {"misdemeanor": 0.05, "felony": 0.35, "violent_felony": 0.60}
SENTENCE_MONTHS: Mapping[str, tuple[int, int]] = {
    "misdemeanor": (1, 12), "felony": (1, 120), "violent_felony": (6, 240),
}  # fmt: skip
# Gang recorded, by nationality ("*" = any other). MS-13 and Barrio 18 are rooted in SV/HN/GT,
# Tren de Aragua in VE (the sources name MS-13 and TdA); the rates are illustrative assumptions.
GANG_SHARES: Mapping[str, Mapping[str, float]] = {
    "ms13": {"SV": 0.06, "HN": 0.03, "GT": 0.02, "*": 0.001},
    "barrio18": {"SV": 0.03, "HN": 0.02, "GT": 0.02, "MX": 0.005, "*": 0.001},
    "tren_de_aragua": {"VE": 0.03, "CO": 0.003, "*": 0.0},
    "other": {"*": 0.01},
}
# Basis of a gang record. Allegation dominates: the sources report innocent people jailed on
# allegation alone; illustrative split.
GANG_BASIS_SHARES: Mapping[str, float] = {
    "allegation": 0.55,
    "conviction": 0.25,
    "self_admission": 0.20,
}
# Consent to a transfer of sentence, among people serving one; illustrative.
TRANSFER_CONSENT_SHARE = 0.30
# ICE detention is about nine in ten men; X is an illustrative small share.
SEX_SHARES: Mapping[str, float] = {"M": 0.88, "F": 0.115, "X": 0.005}
# Adult ages in years: triangular (min, mode, max); illustrative, ~1.4% over 60.
ADULT_AGE_YEARS = (18.0, 27.0, 65.0)
# Minors aged 14-17 (age-outs, misclassified youths); illustrative, the rules must keep them out
# of prison.
MINOR_SHARE = 0.02
MINOR_MIN_AGE = 14
# Born within NEAR_18_DAYS of their 18th birthday (either side): tests the age boundary.
NEAR_18_SHARE = 0.01
NEAR_18_DAYS = 3
# Spanish-style names: share with two given names (two family names are the norm); illustrative.
TWO_GIVEN_NAMES_SHARE = 0.30

# ---------------------------------------------------------------------------------------------
# Names by style: (male given, female given, family). Small lists; plausibility, not realism.
# ---------------------------------------------------------------------------------------------

_NAMES: Mapping[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "es": (
        ("José", "Juan", "Luis", "Carlos", "Jorge", "Miguel", "Jesús", "Francisco", "Pedro",
         "Wilmer", "Kevin", "Brayan", "Óscar", "Edwin", "Alexander", "Yeferson"),
        ("María", "Ana", "Rosa", "Carmen", "Guadalupe", "Yesenia", "Daniela", "Karla", "Marisol",
         "Gabriela", "Andrea", "Lucía", "Yuleisy", "Dayana"),
        ("García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Pérez", "Sánchez",
         "Ramírez", "Flores", "Cruz", "Reyes", "Morales", "Castillo", "Ortiz", "Mejía", "Rivera",
         "Gómez", "Díaz", "Torres", "Vásquez", "Aguilar"),
    ),
    "ht": (
        ("Jean", "Pierre", "Wilner", "Jacques", "Ronald", "Frantz", "Emmanuel", "Stanley",
         "Widlin"),
        ("Marie", "Roseline", "Nadège", "Fabienne", "Guerline", "Mirlande", "Judeline", "Sandra"),
        ("Joseph", "Pierre", "Jean-Baptiste", "Louis", "Charles", "Désir", "Étienne", "Saint-Fleur",
         "Dorval", "Augustin", "Fils-Aimé", "Toussaint"),
    ),
    "pt": (
        ("João", "Pedro", "Lucas", "Gabriel", "Rafael", "Thiago", "Marcos", "Wesley"),
        ("Ana", "Juliana", "Fernanda", "Mariana", "Camila", "Beatriz", "Larissa"),
        ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Ferreira", "Costa", "Almeida",
         "Rodrigues"),
    ),
    "zh": (
        ("Wei", "Jun", "Hao", "Lei", "Qiang", "Ming"),
        ("Fang", "Li Na", "Xiuying", "Jing", "Yan", "Hui"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Lin"),
    ),
    "in": (
        ("Rajesh", "Harpreet", "Gurpreet", "Amit", "Sandeep", "Vikram"),
        ("Priya", "Simran", "Anjali", "Pooja", "Kavita", "Manpreet"),
        ("Patel", "Singh", "Kumar", "Sharma", "Shah", "Gill", "Sandhu", "Desai"),
    ),
    "wa_en": (
        ("Kwame", "Kofi", "Emeka", "Chinedu", "Samuel", "Yaw", "Ibrahim"),
        ("Ama", "Akosua", "Ngozi", "Chiamaka", "Grace", "Abena", "Blessing"),
        ("Mensah", "Owusu", "Boateng", "Okafor", "Adeyemi", "Okonkwo", "Asante", "Eze"),
    ),
    "wa_fr": (
        ("Mamadou", "Cheikh", "Moussa", "Ousmane", "Jean-Paul", "Serge"),
        ("Fatou", "Aminata", "Awa", "Mariama", "Brigitte", "Clarisse"),
        ("Diop", "Ndiaye", "Fall", "Sow", "Ba", "Mbarga", "Nkoulou", "Fotso", "Diallo"),
    ),
    "er": (
        ("Yonas", "Dawit", "Semere", "Filmon", "Robel", "Merhawi"),
        ("Senait", "Helen", "Selam", "Saba", "Luwam", "Freweyni"),
        ("Tesfay", "Gebremedhin", "Haile", "Berhane", "Tekle", "Kidane", "Woldu"),
    ),
}  # fmt: skip
# Styles with two family names (paternal and maternal).
_TWO_FAMILY_NAMES = frozenset({"es", "pt"})
_NAME_STYLE: Mapping[str, str] = {
    "MX": "es", "GT": "es", "HN": "es", "SV": "es", "VE": "es", "CO": "es", "EC": "es",
    "CU": "es", "NI": "es", "DO": "es", "PE": "es", "HT": "ht", "BR": "pt", "CN": "zh",
    "IN": "in", "GH": "wa_en", "NG": "wa_en", "SN": "wa_fr", "CM": "wa_fr", "ER": "er",
}  # fmt: skip

# Fact cells that unknown_rate may blank (person_id, names and nationalities always stay known).
UNKNOWABLE_COLUMNS = (
    "status", "removal_order", "protection", "protection_countries", "fear_screened", "fear_found",
    "legal_hold", "conviction", "pending_charges", "sentence_remaining_months", "gang", "gang_basis",
    "transfer_consent", "date_of_birth",
)  # fmt: skip

Codes = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
_RESOLUTION = 1 << 16

# Every country code the generator can emit; a code is its index here, -1 is "no country".
_COUNTRIES: tuple[str, ...] = tuple(
    dict.fromkeys([*NATIONALITY_SHARES, *DUAL_PARTNERS.values(), *THIRD_COUNTRY_SHARES, "US"])
)
_US = _COUNTRIES.index("US")

# Name pools flattened over styles; a style's given names are its male then its female ones.
_STYLES = tuple(_NAMES)
_STYLE_OF_COUNTRY = np.array([_STYLES.index(_NAME_STYLE.get(c, "es")) for c in _COUNTRIES])
_STYLE_SIZES = tuple(np.array([len(_NAMES[s][i]) for s in _STYLES]) for i in range(3))
_GIVEN_POOL = [name for s in _STYLES for name in (*_NAMES[s][0], *_NAMES[s][1])]
_FAMILY_POOL = [name for s in _STYLES for name in _NAMES[s][2]]
_GIVEN_START = np.cumsum([0, *(_STYLE_SIZES[0] + _STYLE_SIZES[1])])[:-1]
_FAMILY_START = np.cumsum([0, *_STYLE_SIZES[2]])[:-1]


def _check_tables() -> None:
    """Fail at import, not in a demo, when a table does not add up or names an unknown value."""
    tables = (NATIONALITY_SHARES, STATUS_SHARES, REMOVAL_ORDER_SHARES, PROTECTION_SHARES,
              THIRD_COUNTRY_SHARES, CONVICTION_SHARES, GANG_BASIS_SHARES, SEX_SHARES)  # fmt: skip
    for table in tables:
        if abs(sum(table.values()) - 1.0) > 1e-9:
            raise ValueError(f"shares do not sum to 1: {table}")
    if missing := set(NATIONALITY_SHARES) - set(_NAME_STYLE):
        raise ValueError(f"no name style for {sorted(missing)}")
    for keys, allowed in (
        (set(SERVING_SHARES) | set(SENTENCE_MONTHS), CONVICTIONS),
        (set(GANG_SHARES), GANGS),
        (TPS_NATIONALITIES | set(_COUNTRIES), COUNTRY_CODES),
    ):
        if unknown := keys - set(allowed):
            raise ValueError(f"not in the vocabulary: {sorted(unknown)}")


_check_tables()


def generate_population(
    n: int,
    seed: int,
    *,
    reference_date: dt.date = dt.date(2025, 2, 5),
    unknown_rate: float = 0.0,
) -> pl.DataFrame:
    """n synthetic people held by the US as person records; same n and seed, same frame.

    unknown_rate blanks that share of each fact cell (UNKNOWABLE_COLUMNS) to null, so demos show
    unknown facts going to review; the blanking is drawn last, so the known facts do not change.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if not 0.0 <= unknown_rate <= 1.0:
        raise ValueError("unknown_rate must be within [0, 1]")
    rng = np.random.default_rng(seed)
    nat = _draw(rng, NATIONALITY_SHARES, _COUNTRIES, n)
    sex = _draw(rng, SEX_SHARES, SEXES, n)
    status = _statuses(rng, nat)
    primary, second, us = _nationalities(rng, nat, status)
    columns = {
        "person_id": _person_ids(n),
        **_names(rng, nat, sex),
        "date_of_birth": pl.Series(_birth_dates(rng, n, reference_date)),
        "sex": _strings(SEXES, sex),
        "nationalities": _country_lists(primary, second, us),
        "sending_state": pl.repeat("US", n, eager=True),
        "status": _strings(STATUSES, status),
        **_legal_facts(rng, nat, second, status),
        **_criminal_facts(rng, nat),
    }
    frame = pl.DataFrame(columns).select(list(PERSON_SCHEMA))
    return _blank_unknown(rng, frame, unknown_rate) if unknown_rate > 0 else frame


def _draw(rng: np.random.Generator, shares: Mapping[str, float], values: Sequence[str], n: int) -> Codes:
    """Indices into values with the table's shares (keys must be among values).

    A 16-bit uniform draw looked up in a table of 2**16 codes: several times faster than
    Generator.choice, and quantising shares to 1/65536 is far below their precision.
    """
    codes = np.array([values.index(key) for key in shares], dtype=np.int64)
    bounds = np.rint(np.cumsum(list(shares.values())) * _RESOLUTION).astype(np.int64)
    table = np.repeat(codes, np.diff(bounds, prepend=0))
    return table[rng.integers(0, _RESOLUTION, n, dtype=np.uint16)]


def _chance(rng: np.random.Generator, share: float | npt.NDArray[np.float64], n: int) -> Mask:
    """True with probability share (a number, or one per person), at the same 16-bit resolution."""
    threshold = np.rint(np.asarray(share) * _RESOLUTION)
    hits: Mask = rng.integers(0, _RESOLUTION, n, dtype=np.uint16) < threshold
    return hits


def _flags(values: Sequence[str], *names: str) -> Mask:
    """A lookup array: flags[code] says whether values[code] is among names (faster than isin)."""
    return np.array([value in names for value in values])


def _strings(values: Sequence[str], codes: Codes) -> pl.Series:
    """Codes to strings by a gather (fast for millions); code -1 becomes null."""
    lookup = pl.Series([*values, None], dtype=pl.String)
    return lookup.gather(np.where(codes < 0, len(values), codes))


def _country_lists(*codes: Codes) -> pl.Series:
    """One list of countries a person from several code columns, -1 (none) left out."""
    base = len(_COUNTRIES) + 1
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for column in codes:
        key = key * base + column + 1

    def countries(combo: int) -> list[str]:
        digits = (combo // base**i % base for i in reversed(range(len(codes))))
        return [_COUNTRIES[d - 1] for d in digits if d]

    return _gather_combos(key, countries, pl.List(pl.String()))


def _joined(pool: Sequence[str], first: Codes, second: Codes) -> pl.Series:
    """pool[first], then " " and pool[second] unless second is -1."""
    base = len(pool) + 1

    def join(combo: int) -> str:
        one, two = divmod(combo, base)
        return f"{pool[one]} {pool[two - 1]}" if two else pool[one]

    return _gather_combos(first * base + second + 1, join, pl.String())


def _gather_combos(key: Codes, build: Callable[[int], object], dtype: pl.DataType) -> pl.Series:
    """The value of each distinct key, built once and gathered per person.

    People share few combinations, so this beats per-row concat_str or concat_list on a million
    rows several times over.
    """
    counts = np.bincount(key)
    combos = np.flatnonzero(counts)
    lookup = np.zeros(len(counts), dtype=np.int64)
    lookup[combos] = np.arange(len(combos))
    return pl.Series([build(int(c)) for c in combos], dtype=dtype).gather(lookup[key])


def _by_country(table: Mapping[str, float]) -> npt.NDArray[np.float64]:
    """A per-country-code lookup array of a {country: share, "*": any other country} table."""
    default = table.get("*", 0.0)
    return np.array([table.get(c, default) for c in _COUNTRIES], dtype=np.float64)


def _person_ids(n: int) -> pl.Series:
    """P and the number zero-padded to the width of n (slicing off a leading 1 beats zfill)."""
    width = len(str(n))
    digits = (pl.int_range(1, n + 1) + 10**width).cast(pl.String).str.slice(1)
    return pl.select(pl.concat_str(pl.lit("P"), digits).alias("person_id")).to_series()


def _statuses(rng: np.random.Generator, nat: Codes) -> Codes:
    status = _draw(rng, STATUS_SHARES, STATUSES, len(nat))
    tps_nat = _flags(_COUNTRIES, *TPS_NATIONALITIES)[nat]
    undocumented = STATUSES.index("undocumented")
    return np.where((status == STATUSES.index("temporary_protected")) & ~tps_nat, undocumented, status)


def _nationalities(rng: np.random.Generator, nat: Codes, status: Codes) -> tuple[Codes, Codes, Codes]:
    """(primary, second, US) code columns; citizens carry US, US-born citizens only US."""
    partner = np.array([_COUNTRIES.index(DUAL_PARTNERS[c]) if c in DUAL_PARTNERS else -1 for c in _COUNTRIES])
    second = np.where(_chance(rng, DUAL_NATIONAL_SHARE, len(nat)), partner[nat], -1)
    citizen = status == STATUSES.index("citizen")
    us_only = citizen & _chance(rng, US_ONLY_SHARE_OF_CITIZENS, len(nat))
    return np.where(us_only, -1, nat), np.where(us_only, -1, second), np.where(citizen, _US, -1)


def _birth_dates(rng: np.random.Generator, n: int, on: dt.date) -> npt.NDArray[np.datetime64]:
    """Adults by a triangular age, MINOR_SHARE under 18, NEAR_18_SHARE within days of 18."""
    days_18 = (on - _years_before(on, 18)).days
    days_min = (on - _years_before(on, MINOR_MIN_AGE)).days
    adult = np.maximum((rng.triangular(*ADULT_AGE_YEARS, size=n) * 365.25).astype(np.int64), days_18)
    minor = rng.integers(days_min, days_18, size=n)  # strictly under 18
    near = days_18 + rng.integers(-NEAR_18_DAYS, NEAR_18_DAYS + 1, size=n)
    kind = rng.random(n)
    age_days = np.where(kind < MINOR_SHARE, minor, np.where(kind < MINOR_SHARE + NEAR_18_SHARE, near, adult))
    return np.datetime64(on, "D") - age_days.astype("timedelta64[D]")


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year - years, day=28)


def _names(rng: np.random.Generator, nat: Codes, sex: Codes) -> dict[str, pl.Series]:
    """Family and given names in the style of the primary nationality (X: any given name)."""
    n = len(nat)
    style = _STYLE_OF_COUNTRY[nat]
    n_male, n_female, n_family = (_STYLE_SIZES[i][style] for i in range(3))
    female, male = sex == SEXES.index("F"), sex == SEXES.index("M")
    lo = _GIVEN_START[style] + np.where(female, n_male, 0)
    size = np.where(male, n_male, np.where(female, n_female, n_male + n_female))
    first = (rng.random(n) * size).astype(np.int64)
    # A second given name differs from the first.
    other = (first + 1 + (rng.random(n) * (size - 1)).astype(np.int64)) % size
    two_given = (style == _STYLES.index("es")) & _chance(rng, TWO_GIVEN_NAMES_SHARE, n)
    two_family = _flags(_STYLES, *_TWO_FAMILY_NAMES)[style]
    family1, family2 = (_FAMILY_START[style] + (rng.random(n) * n_family).astype(np.int64) for _ in range(2))
    return {
        "family_name": _joined(_FAMILY_POOL, family1, np.where(two_family, family2, -1)),
        "given_names": _joined(_GIVEN_POOL, lo + first, np.where(two_given, lo + other, -1)),
    }


def _legal_facts(rng: np.random.Generator, nat: Codes, second: Codes, status: Codes) -> dict[str, pl.Series]:
    """Removal order, protection, fear screenings and legal hold, consistent with each other."""
    n = len(nat)
    citizen = status == STATUSES.index("citizen")
    protection = _draw(rng, PROTECTION_SHARES, PROTECTIONS, n)
    protection = np.where(status == STATUSES.index("asylee"), PROTECTIONS.index("asylum_granted"), protection)
    protection = np.where(citizen, PROTECTIONS.index("none"), protection)  # citizens claim none
    granted = _flags(PROTECTIONS, "withholding_granted", "cat_granted")[protection]
    # Withholding and CAT are granted inside a removal order, so the order is final.
    order = np.where(granted, REMOVAL_ORDERS.index("final"), _draw(rng, REMOVAL_ORDER_SHARES, REMOVAL_ORDERS, n))
    # A grant presupposes a fear finding for the country of nationality.
    screened = ~citizen & (granted | _chance(rng, FEAR_SCREENED_SHARE, n))
    found = screened & (granted | _chance(rng, FEAR_FOUND_SHARE, n))
    third = _draw(rng, THIRD_COUNTRY_SHARES, _COUNTRIES, n)
    third_country = (third != nat) & (third != second)
    third_screened = ~citizen & third_country & _chance(rng, THIRD_COUNTRY_SCREENED_SHARE, n)
    third_found = third_screened & _chance(rng, THIRD_COUNTRY_FOUND_SHARE, n)
    return {
        "removal_order": _strings(REMOVAL_ORDERS, order),
        "protection": _strings(PROTECTIONS, protection),
        "protection_countries": _country_lists(np.where(granted, nat, -1)),
        "fear_screened": _country_lists(np.where(screened, nat, -1), np.where(third_screened, third, -1)),
        "fear_found": _country_lists(np.where(found, nat, -1), np.where(third_found, third, -1)),
        "legal_hold": pl.Series(_chance(rng, LEGAL_HOLD_SHARE, n)),
    }


def _criminal_facts(rng: np.random.Generator, nat: Codes) -> dict[str, pl.Series]:
    """Gang record and basis, conviction, pending charges, sentence and transfer consent."""
    n = len(nat)
    gang = _gangs(rng, nat)
    no_gang = gang == GANGS.index("none")
    basis = np.where(no_gang, GANG_BASES.index("none"), _draw(rng, GANG_BASIS_SHARES, GANG_BASES, n))
    conviction = _draw(rng, CONVICTION_SHARES, CONVICTIONS, n)
    # A gang record based on a conviction needs one; without a drawn one it is a felony.
    unconvicted = (basis == GANG_BASES.index("conviction")) & (conviction == CONVICTIONS.index("none"))
    conviction = np.where(unconvicted, CONVICTIONS.index("felony"), conviction)
    serving_share = np.array([SERVING_SHARES.get(c, 0.0) for c in CONVICTIONS])[conviction]
    serving = _chance(rng, serving_share, n)
    low, high = (np.array([SENTENCE_MONTHS.get(c, (0, 0))[i] for c in CONVICTIONS]) for i in (0, 1))
    months = rng.integers(low[conviction], high[conviction] + 1).astype(np.int32)
    return {
        "conviction": _strings(CONVICTIONS, conviction),
        "pending_charges": pl.Series(_chance(rng, PENDING_CHARGES_SHARE, n)),
        # Format v2: 0 months is "not serving", written out; an empty cell would be unknown.
        "sentence_remaining_months": pl.Series(np.where(serving, months, 0).astype(np.int32)),
        "gang": _strings(GANGS, gang),
        "gang_basis": _strings(GANG_BASES, basis),
        "transfer_consent": pl.Series(serving & _chance(rng, TRANSFER_CONSENT_SHARE, n)),
    }


def _gangs(rng: np.random.Generator, nat: Codes) -> Codes:
    """One uniform draw cut into consecutive per-nationality gang bands; beyond them, none."""
    u = rng.random(len(nat))
    gang = np.full(len(nat), GANGS.index("none"), dtype=np.int64)
    floor = np.zeros(len(nat))
    for name, table in GANG_SHARES.items():  # a handful of gangs, not a loop per person
        ceiling = floor + _by_country(table)[nat]
        gang[(u >= floor) & (u < ceiling)] = GANGS.index(name)
        floor = ceiling
    return gang


def _blank_unknown(rng: np.random.Generator, frame: pl.DataFrame, rate: float) -> pl.DataFrame:
    """Blank each UNKNOWABLE_COLUMNS cell independently with probability rate.

    A full-precision draw, unlike _chance: a rate below 1/65536 must still blank something.
    """
    masks = {name: pl.Series(rng.random(frame.height) < rate) for name in UNKNOWABLE_COLUMNS}
    # when/then, not scatter: Polars cannot scatter into list columns.
    return frame.with_columns(
        pl.when(masks[name]).then(pl.lit(None, frame.schema[name])).otherwise(pl.col(name)).alias(name)
        for name in UNKNOWABLE_COLUMNS
    )
