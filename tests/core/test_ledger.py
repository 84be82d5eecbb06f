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


def reserved_agreement(rates: list[tuple[dt.date, int]], bill: bool = True) -> Agreement:
    data = agreement(rates).model_dump()
    data["fees"][0].update(bill_reserved_places=bill, bill_reserved_places_assumption=False)
    return Agreement.model_validate(data)


def held(holds: list[tuple[dt.date | None, dt.date | None]], month: str, *, bill: bool = True) -> L.Accrual:
    frame = L.stays_frame([("us-sv-2025", "cecot", a, b) for a, b in holds])
    rates = L.rate_table([reserved_agreement(RATE, bill)], reserved=True)
    return L.accrue_held(frame, rates, L.Month.parse(month))


def test_a_place_held_is_billed_per_day_until_it_is_occupied_or_given_back() -> None:
    # Held from the 3rd, occupied on the 10th: 7 place-days (the 10th is a person-day, never both).
    assert days(held([(D(2025, 3, 3), D(2025, 3, 10))], "2025-03")) == 7
    # Given back on the day it was held: nothing. Still held: to the end of the month.
    assert days(held([(D(2025, 3, 3), D(2025, 3, 3))], "2025-03")) == 0
    assert days(held([(D(2025, 3, 3), None)], "2025-03")) == 29
    # Across a month end: each month its own days.
    assert days(held([(D(2025, 3, 30), D(2025, 4, 2))], "2025-03")) == 2
    assert days(held([(D(2025, 3, 30), D(2025, 4, 2))], "2025-04")) == 1
    # A hold since an unknown day is never invented: counted as unknown.
    unknown = held([(None, None)], "2025-03")
    assert (days(unknown), unknown.unknown_stays) == (0, 1)
    # The amount is place-days x the fee's person-day rate.
    assert held([(D(2025, 3, 3), D(2025, 3, 10))], "2025-03").lines["amount_minor"].to_list() == [7 * 5500]


def test_a_fee_that_does_not_bill_reserved_places_has_no_reserved_rate() -> None:
    assert L.rate_table([reserved_agreement(RATE, bill=False)], reserved=True).height == 0
    assert days(held([(D(2025, 3, 3), None)], "2025-03", bill=False)) == 0
    assert L.rate_table(load_dataset().agreements.values(), reserved=True).height == 0  # us-sv-2025: false


def test_the_open_month_is_accrued_up_to_a_day_not_beyond() -> None:
    frame = L.stays_frame([("us-sv-2025", "cecot", D(2025, 3, 10), None)])
    rates = L.rate_table([agreement(RATE)])
    assert days(L.accrue(frame, rates, L.Month(2025, 3), through=D(2025, 3, 14))) == 5
    assert days(L.accrue(frame, rates, L.Month(2025, 3), through=D(2025, 3, 9))) == 0
    assert days(L.accrue(frame, rates, L.Month(2025, 3), through=D(2025, 5, 1))) == 22


def test_only_a_person_day_fee_bills_reserved_places() -> None:
    data = load_dataset().agreements["sv-transit-fee-2023"].model_dump()
    data["fees"][0]["bill_reserved_places"] = True
    with pytest.raises(ValueError, match="only a person-day fee bills reserved"):
        Agreement.model_validate(data)


def test_a_transit_fee_names_where_it_is_charged() -> None:
    data = load_dataset().agreements["sv-transit-fee-2023"].model_dump()
    data["fees"][0]["transit_airports"] = []
    with pytest.raises(ValueError, match="transit_airports"):
        Agreement.model_validate(data)
    data["fees"][0]["transit_airports"] = ["San Salvador"]
    with pytest.raises(ValueError, match="IATA"):
        Agreement.model_validate(data)


@settings(max_examples=60, deadline=None)
@given(holds=st.lists(st.tuples(day, st.one_of(st.none(), st.integers(0, 120))), max_size=20))
def test_months_of_held_places_add_up_to_each_hold(holds: list[tuple[dt.date, int | None]]) -> None:
    """Across the months, the place-days held equal each hold's half-open length (a hold ended on
    its first day costs nothing), and every line is place-days x rate."""
    periods = [(a, a + dt.timedelta(days=n) if n is not None else None) for a, n in holds]
    month, total = L.Month(2024, 11), 0
    while month.first <= D(2026, 12, 1):
        result = held(periods, str(month))
        assert L.reconcile(result.lines, result.lines) == []
        total += days(result)
        month = month.next()
    expected = 0
    for a, b in periods:
        first = max(a, D(2025, 1, 1))  # the rate starts in 2025
        end = b if b is not None else D(2027, 1, 1)
        expected += max((end - first).days, 0)
    assert total == expected


def place_year_agreement(rates: list[tuple[dt.date, int, int]]) -> Agreement:
    """us-sv-2025 with one place-year fee: (start, amount per place and year, contracted places)."""
    data = agreement(RATE).model_dump()
    data["fees"] = [
        {
            "id": "contract",
            "kind": "place_year",
            "facility": "cecot",
            "payer": "US",
            "payee": "SV",
            "currency": "USD",
            "rates": [{"start": s, "amount_minor": a, "places": p} for s, a, p in rates],
        }
    ]
    return Agreement.model_validate(data)


def year_lines(rates: list[tuple[dt.date, int, int]], month: str) -> list[tuple[dt.date, int, int]]:
    frame = L.place_year_lines([place_year_agreement(rates)], L.Month.parse(month))
    return [(r["rate_start"], r["person_days"], r["amount_minor"]) for r in frame.iter_rows(named=True)]


def test_place_year_golden_cases_leap_year_and_a_rate_change_mid_month() -> None:
    """3 places at 1,000.00 a place-year (300,000 cents a year). Through day d of year Y, what is
    due is floor(places x amount x days so far / days in Y); a month bills the difference."""
    flat = [(D(2024, 1, 1), 100_000, 3)]
    # 2024 is a leap year: January = floor(31 x 300,000 / 366) = floor(25,409.8) = 25,409.
    assert year_lines(flat, "2024-01") == [(D(2024, 1, 1), 93, 25_409)]
    # February to the 29th: floor(60 x 300,000 / 366) = 49,180, less January's 25,409.
    assert year_lines(flat, "2024-02") == [(D(2024, 1, 1), 87, 23_771)]
    # 2025 has 365 days: January = floor(31 x 300,000 / 365) = floor(25,479.45) = 25,479.
    assert year_lines(flat, "2025-01") == [(D(2024, 1, 1), 93, 25_479)]
    # From 16 March 2025 the amount is 1,200.00: March splits in two lines that telescope.
    changed = [*flat, (D(2025, 3, 16), 120_000, 3)]
    # C(28 Feb) = 59 x 300,000 -> 48,493; C(15 Mar) = 74 x 300,000 -> 60,821;
    # C(31 Mar) = 22,200,000 + 16 x 360,000 = 27,960,000 -> 76,602.
    assert year_lines(changed, "2025-03") == [(D(2024, 1, 1), 45, 12_328), (D(2025, 3, 16), 48, 15_781)]


@settings(max_examples=40, deadline=None)
@given(
    years=st.sampled_from([2024, 2025, 2027, 2028]),
    amount=st.integers(1, 10_000_000),
    places=st.integers(1, 5000),
    change=st.one_of(st.none(), st.tuples(st.integers(1, 364), st.integers(0, 10_000_000), st.integers(0, 5000))),
)
def test_place_year_months_add_up_to_the_year_to_the_cent(
    years: int, amount: int, places: int, change: tuple[int, int, int] | None
) -> None:
    """The twelve months of a year bill floor(exact yearly sum), exactly places x amount when
    nothing changed (leap years included)."""
    start = D(years, 1, 1)
    rates = [(start, amount, places)]
    if change is not None:
        offset, later_amount, later_places = change
        rates.append((start + dt.timedelta(days=offset), later_amount, later_places))
    agreement_ = place_year_agreement(rates)
    month, total = L.Month(years, 1), 0
    while month.year == years:
        frame = L.place_year_lines([agreement_], month)
        assert frame.schema["amount_minor"] == pl.Int64
        assert L.reconcile(frame, frame, per_day=False) == []
        total += int(frame["amount_minor"].sum())
        month = month.next()
    year_days = 366 if years % 4 == 0 else 365
    exact = sum(
        (places if change is None or d < change[0] else change[2])
        * (amount if change is None or d < change[0] else change[1])
        for d in range(year_days)
    )
    assert total == exact // year_days
    if change is None:
        assert total == places * amount


def test_a_place_year_fee_gives_its_places() -> None:
    with pytest.raises(ValueError, match="gives its number of places"):
        Agreement.model_validate(
            place_year_agreement([(D(2025, 1, 1), 100, 1)]).model_dump()
            | {
                "fees": [
                    {
                        "id": "c",
                        "kind": "place_year",
                        "facility": "cecot",
                        "payer": "US",
                        "payee": "SV",
                        "currency": "USD",
                        "rates": [{"start": D(2025, 1, 1), "amount_minor": 100}],
                    }
                ]
            }
        )
