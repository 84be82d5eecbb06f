"""Property: for any valid people, date and agreement, the population path and the one-person
path give the same decision on every output field, and a missing fact never yields eligible."""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.dataset import Dataset, load_dataset
from accord.core.records import people_from_dicts
from accord.core.rules.engine import FacilityUsage, Result, Usage
from accord.core.screening import DECISION_SCHEMA, explain, screen_population
from accord.core.vocabulary import CONVICTIONS, GANG_BASES, GANGS, PROTECTIONS, REMOVAL_ORDERS, SEXES, STATUSES

FIXTURES = Path(__file__).resolve().parent.parent / "golden" / "fixtures" / "agreements"
# Countries the agreements and conditions name, plus a few others: random codes would rarely hit them.
COUNTRIES = ["US", "SV", "VE", "MX", "CO", "PA", "NI", "HT", "CU", "GT", "HN", "EC", "CN"]
FACTS_THAT_MAY_BE_UNKNOWN = (
    "status",
    "removal_order",
    "protection",
    "legal_hold",
    "conviction",
    "pending_charges",
    "gang",
    "gang_basis",
    "transfer_consent",
    "date_of_birth",
)


@cache
def dataset() -> Dataset:
    return load_dataset(extra_agreements=sorted(FIXTURES.glob("*.toml")))


def _maybe_unknown(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(values, st.just(""))


def _codes(min_size: int = 0) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(COUNTRIES), min_size=min_size, max_size=3).map(";".join)


booleans = _maybe_unknown(st.sampled_from(["true", "false"]))
dates = st.dates(min_value=dt.date(2022, 6, 1), max_value=dt.date(2026, 12, 31))


@st.composite
def person(draw: st.DrawFn, index: int = 0) -> dict[str, str]:
    birth = draw(st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2024, 12, 31)))
    months = draw(st.one_of(st.just(""), st.integers(0, 400).map(str)))
    return {
        "person_id": f"H{index}",
        "family_name": "Property",
        "given_names": "Test",
        "date_of_birth": draw(_maybe_unknown(st.just(birth.isoformat()))),
        "sex": draw(_maybe_unknown(st.sampled_from(SEXES))),
        "nationalities": draw(_codes(min_size=1)),
        "sending_state": draw(st.sampled_from(["US", "US", "US", "PA"])),
        "status": draw(_maybe_unknown(st.sampled_from(STATUSES))),
        "removal_order": draw(_maybe_unknown(st.sampled_from(REMOVAL_ORDERS))),
        "protection": draw(_maybe_unknown(st.sampled_from(PROTECTIONS))),
        "protection_countries": draw(_codes()),
        "fear_screened": draw(_codes()),
        "fear_found": draw(_codes()),
        "legal_hold": draw(booleans),
        "conviction": draw(_maybe_unknown(st.sampled_from(CONVICTIONS))),
        "pending_charges": draw(booleans),
        "sentence_remaining_months": months,
        "gang": draw(_maybe_unknown(st.sampled_from(GANGS))),
        "gang_basis": draw(_maybe_unknown(st.sampled_from(GANG_BASES))),
        "transfer_consent": draw(booleans),
    }


@st.composite
def people(draw: st.DrawFn) -> list[dict[str, str]]:
    size = draw(st.integers(1, 8))
    return [draw(person(index=i)) for i in range(size)]


usages = st.builds(
    lambda occupied, suspended, used: Usage(
        {
            "cecot": FacilityUsage(occupied=occupied, suspended=suspended),
            "mx-test-prison": FacilityUsage(occupied=occupied % 101),
        },
        {("us-mx-chnv", "quota", month): used for month in ("2023-06", "2024-01", "2025-01")},
    ),
    st.sampled_from([0, 39_999, 40_000]),
    st.booleans(),
    st.sampled_from([0, 29_999, 30_000]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=people(),
    day=dates,
    agreement=st.sampled_from(["us-sv-2025", "us-ve-2025", "us-mx-chnv", "pa-co-2025", "us-mx-transfer-test"]),
    usage=usages,
)
def test_population_and_one_person_paths_agree(
    records: list[dict[str, str]], day: dt.date, agreement: str, usage: Usage
) -> None:
    frame = people_from_dicts(records)
    together = screen_population(frame, day, [agreement], dataset=dataset(), usage=usage)
    assert together.height == len(records)
    assert dict(together.schema) == DECISION_SCHEMA
    for index, row in enumerate(together.iter_rows(named=True)):
        alone = explain(frame[index], agreement, day, dataset=dataset(), usage=usage)
        assert alone.decision_row() == row
        strongest = max((r.result for r in alone.results), default=Result.NOT_APPLICABLE)
        assert row["outcome"] == {Result.BARRED: "barred", Result.REVIEW: "review"}.get(strongest, "eligible")


@settings(max_examples=150, deadline=None)
@given(
    record=person(),
    day=dates,
    agreement=st.sampled_from(["us-sv-2025", "us-ve-2025", "us-mx-chnv", "us-mx-transfer-test"]),
    unknown=st.sampled_from(FACTS_THAT_MAY_BE_UNKNOWN),
)
def test_an_unknown_fact_a_rule_needs_never_yields_eligible(
    record: dict[str, str], day: dt.date, agreement: str, unknown: str
) -> None:
    """Blanking a fact can only keep or worsen a decision that depended on it, never make it eligible
    when the rules that read the fact did not all pass with it known."""
    known = people_from_dicts([record])
    blanked = people_from_dicts([{**record, unknown: ""}])
    before = explain(known, agreement, day, dataset=dataset())
    after = explain(blanked, agreement, day, dataset=dataset())
    if after.outcome == "eligible":
        # Eligible without the fact: then no rule may have needed it, so knowing it changes nothing.
        assert before.outcome == "eligible", (unknown, before.failing)


def test_a_frame_of_one_person_is_the_same_as_the_person_among_many() -> None:
    """Row order and neighbours never leak into a decision (no cross-row state)."""
    records = [
        {**_clean(i), "nationalities": nat, "conviction": conv}
        for i, (nat, conv) in enumerate([("SV", "felony"), ("VE", "violent_felony"), ("US", "felony"), ("GT", "none")])
    ]
    frame = people_from_dicts(records)
    forward = screen_population(frame, dt.date(2025, 3, 1), ["us-sv-2025"])
    backward = screen_population(frame.reverse(), dt.date(2025, 3, 1), ["us-sv-2025"]).reverse()
    assert forward.equals(backward)
    assert forward["outcome"].to_list() == ["eligible", "review", "barred", "barred"]
    assert forward.filter(pl.col("person_id") == "C0")["placement"].item() == "prison"


def _clean(index: int) -> dict[str, str]:
    base = tomllib.loads((Path(__file__).parent.parent / "golden" / "base.toml").read_text())
    return {**base, "person_id": f"C{index}"}
