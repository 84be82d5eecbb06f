"""The money core: person-day accrual by facility and month, dated rates, reconciliation."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core import ledger as L
from accord.core.dataset import Agreement, load_dataset

D = dt.date


def agreement(rates: list[tuple[dt.date, int]], facility: str = "cecot") -> Agreement:
    base = load_dataset().agreement("us-sv-2025").model_dump()
    base["fees"] = [
        {
            "id": "fee",
            "kind": "person_day",
            "facility": facility,
            "payer": "US",
            "payee": "SV",
            "currency": "USD",
            "rates": [{"start": s, "amount_minor": a} for s, a in rates],
        }
    ]
    return Agreement.model_validate(base)


def accrue(
    stays: list[tuple[dt.date | None, dt.date | None]], month: str, rates: list[tuple[dt.date, int]]
) -> L.Accrual:
    frame = L.stays_frame([("us-sv-2025", "cecot", a, b) for a, b in stays])
    return L.accrue(frame, L.rate_table([agreement(rates)]), L.Month.parse(month))


RATE = [(D(2025, 1, 1), 5500)]


def days(result: L.Accrual) -> int:
    return int(result.lines["person_days"].sum()) if result.lines.height else 0


def test_handover_day_counts_release_day_does_not() -> None:
    assert days(accrue([(D(2025, 3, 10), D(2025, 3, 12))], "2025-03", RATE)) == 2


def test_release_on_the_day_of_handover_counts_one_day() -> None:
    result = accrue([(D(2025, 3, 10), D(2025, 3, 10))], "2025-03", RATE)
    assert days(result) == 1
    assert result.lines["amount_minor"].to_list() == [5500]


def test_an_open_stay_runs_to_the_end_of_the_month_and_leap_day_counts() -> None:
    assert days(accrue([(D(2024, 1, 15), None)], "2024-02", RATE)) == 0  # rates start in 2025
    assert days(accrue([(D(2028, 1, 15), None)], "2028-02", RATE)) == 29
    assert days(accrue([(D(2027, 1, 15), None)], "2027-02", RATE)) == 28
    # A stay from 31 January to 1 March of a leap year: 29 days in February, 31 Jan in January.
    assert days(accrue([(D(2028, 1, 31), D(2028, 3, 1))], "2028-01", RATE)) == 1
    assert days(accrue([(D(2028, 1, 31), D(2028, 3, 1))], "2028-02", RATE)) == 29
    assert days(accrue([(D(2028, 1, 31), D(2028, 3, 1))], "2028-03", RATE)) == 0


def test_december_to_january() -> None:
    assert L.Month.parse("2025-12").next() == L.Month(2026, 1)
    assert L.Month.parse("2025-12").last == D(2025, 12, 31)
    assert days(accrue([(D(2025, 12, 30), D(2026, 1, 2))], "2025-12", RATE)) == 2
    assert days(accrue([(D(2025, 12, 30), D(2026, 1, 2))], "2026-01", RATE)) == 1


def test_a_rate_change_mid_month_prorates() -> None:
    rates = [(D(2025, 1, 1), 5500), (D(2025, 3, 16), 6000)]
    result = accrue([(D(2025, 3, 1), None)], "2025-03", rates)
    by_rate = {r["rate_minor"]: (r["person_days"], r["amount_minor"]) for r in result.lines.iter_rows(named=True)}
    assert by_rate == {5500: (15, 15 * 5500), 6000: (16, 16 * 6000)}
    assert result.lines.schema["amount_minor"] == pl.Int64


def test_a_person_moved_between_facilities_mid_month_is_two_periods_counted_once() -> None:
    base = agreement(RATE)
    data = base.model_dump()
    data["facilities"].append({**data["facilities"][0], "id": "other"})
    data["fees"].append(
        {
            **data["fees"][0],
            "id": "fee-other",
            "facility": "other",
            "rates": [{"start": D(2025, 1, 1), "amount_minor": 4000}],
        }
    )
    two = Agreement.model_validate(data)
    stays = L.stays_frame(
        [("us-sv-2025", "cecot", D(2025, 3, 1), D(2025, 3, 11)), ("us-sv-2025", "other", D(2025, 3, 11), None)]
    )
    result = L.accrue(stays, L.rate_table([two]), L.Month.parse("2025-03"))
    per = {r["facility"]: r["person_days"] for r in result.lines.iter_rows(named=True)}
    assert per == {"cecot": 10, "other": 21}
    assert sum(per.values()) == 31


def two_facilities() -> Agreement:
    data = agreement(RATE).model_dump()
    data["facilities"].append({**data["facilities"][0], "id": "other"})
    data["fees"].append({**data["fees"][0], "id": "fee-other", "facility": "other"})
    return Agreement.model_validate(data)


def test_a_person_handed_over_and_moved_on_the_same_day_is_billed_that_day_once() -> None:
    """Handed over to CECOT on 10 March and moved to another facility that same day: the day is
    billed once, in the facility that kept the person (not once per facility)."""
    stays = L.stays_frame(
        [
            ("us-sv-2025", "cecot", D(2025, 3, 10), D(2025, 3, 10), 1),
            ("us-sv-2025", "other", D(2025, 3, 10), None, 1),
        ]
    )
    result = L.accrue(stays, L.rate_table([two_facilities()]), L.Month.parse("2025-03"))
    per = {r["facility"]: r["person_days"] for r in result.lines.iter_rows(named=True)}
    assert per == {"other": 22}
    # Two people, one a same-day release: two stays, both days billed.
    stays = L.stays_frame(
        [
            ("us-sv-2025", "cecot", D(2025, 3, 10), D(2025, 3, 10), 1),
            ("us-sv-2025", "other", D(2025, 3, 10), None, 2),
        ]
    )
    result = L.accrue(stays, L.rate_table([two_facilities()]), L.Month.parse("2025-03"))
    assert {r["facility"]: r["person_days"] for r in result.lines.iter_rows(named=True)} == {"cecot": 1, "other": 22}


def test_a_person_moved_twice_on_the_day_of_handover_is_billed_one_day() -> None:
    stays = L.stays_frame(
        [
            ("us-sv-2025", "cecot", D(2025, 3, 10), D(2025, 3, 10), 1),
            ("us-sv-2025", "other", D(2025, 3, 10), D(2025, 3, 10), 1),
        ]
    )
    result = L.accrue(stays, L.rate_table([two_facilities()]), L.Month.parse("2025-03"))
    assert days(result) == 1


def test_unknown_handover_is_not_invented_and_days_before_the_first_rate_are_named() -> None:
    result = accrue([(None, None), (D(2024, 12, 30), D(2025, 1, 3))], "2025-01", [(D(2025, 1, 2), 5500)])
    assert result.unknown_stays == 1
    assert days(result) == 1
    assert result.unpriced_days == 1


def test_reconciliation_names_each_difference() -> None:
    accrued = accrue([(D(2025, 3, 1), None)], "2025-03", RATE).lines
    assert L.reconcile(accrued, accrued) == []
    short = accrued.with_columns(pl.col("amount_minor") - 100)
    found = L.reconcile(accrued, short)
    assert {d.what for d in found} == {
        "invoiced amount is not person-days × rate",
        "invoiced amount_minor differs from accrued",
    }
    assert all("cecot" in d.key and "2025-03" in d.key for d in found)


def test_transit_fee_by_nationality() -> None:
    term = load_dataset().agreements["sv-transit-fee-2023"].fees[0]
    assert L.transit_fee(term, "NG", D(2024, 1, 1)) == (113000, True)
    assert L.transit_fee(term, "MX", D(2024, 1, 1)) is None
    assert L.transit_fee(term, None, D(2024, 1, 1)) is None  # unknown nationality: never charged
    assert L.transit_fee(term, "NG", D(2023, 1, 1)) is None  # before the fee


def test_money_is_never_a_float_in_data() -> None:
    data = agreement(RATE).model_dump()
    data["fees"][0]["rates"][0]["amount_minor"] = 55.0
    with pytest.raises(ValueError, match="amount_minor"):
        Agreement.model_validate(data)


def test_bad_month_is_named() -> None:
    for text in ("2025-13", "2025-3", "march"):
        with pytest.raises(ValueError, match=text):
            L.Month.parse(text)


day = st.dates(min_value=D(2024, 11, 1), max_value=D(2026, 3, 1))


@settings(max_examples=60, deadline=None)
@given(
    stays=st.lists(st.tuples(day, st.one_of(st.none(), st.integers(0, 200))), max_size=30),
    change=st.dates(min_value=D(2025, 1, 2), max_value=D(2025, 12, 31)),
)
def test_months_add_up_to_the_whole_stay_and_amounts_are_days_times_rate(
    stays: list[tuple[dt.date, int | None]], change: dt.date
) -> None:
    """Across a year, the months' person-days equal each stay's days (half-open, same-day = 1),
    and every line's amount is person-days × rate."""
    rates = [(D(2024, 1, 1), 5500), (change, 6100)]
    periods = [(a, a + dt.timedelta(days=n) if n is not None else None) for a, n in stays]
    month, total = L.Month(2024, 11), 0
    while month.first <= D(2026, 12, 1):
        result = accrue(periods, str(month), rates)
        assert L.reconcile(result.lines, result.lines) == []
        total += days(result)
        month = month.next()
    expected = 0
    for a, b in periods:
        end = (
            min(b - dt.timedelta(days=1), D(2026, 12, 31))
            if b is not None and b > a
            else (a if b is not None else D(2026, 12, 31))
        )
        expected += (end - a).days + 1
    assert total == expected
