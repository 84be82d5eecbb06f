"""The money core: fee terms as dated rates, person-day accrual, invoice lines, reconciliation.

Pure (no Django). Money is integer minor units with an ISO currency; every Polars column holding
money or days is Int64, never a float.

Counting a person-day (decision 0007): occupancy is the half-open interval
``[occupied_on, released_on)``: the day of handover counts, the day of release does not, so a
person moved from one facility to another on day D is counted once, in the second facility. A
release on the day of handover counts one day (the facility took the person in that day). A stay
with no release yet runs to the end of the month accrued, or to today in the current month. A stay whose handover day is unknown is
never accrued (an unknown fact invents no money); it is counted in ``unknown_stays``.

A rate is in force from its ``start`` until the day before the next rate's start; a month that
holds a change is prorated day by day (set-based: one interval overlap per stay and rate).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from accord.core.dataset import Agreement, FeeTerm

STAY_SCHEMA = {
    "agreement_id": pl.String,
    "facility": pl.String,
    "occupied_on": pl.Date,
    "released_on": pl.Date,
    "person": pl.Int64,  # who held the place, an internal key (null: unknown, never merged with another)
}
LINE_SCHEMA = {
    "agreement_id": pl.String,
    "fee_id": pl.String,
    "payer": pl.String,
    "payee": pl.String,
    "facility": pl.String,
    "month": pl.String,
    "currency": pl.String,
    "rate_start": pl.Date,
    "rate_minor": pl.Int64,
    "person_days": pl.Int64,
    "amount_minor": pl.Int64,
    "assumption": pl.Boolean,
}
LINE_COLUMNS = [
    "agreement_id",
    "fee_id",
    "payer",
    "payee",
    "facility",
    "month",
    "currency",
    "rate_start",
    "rate_minor",
    "person_days",
    "amount_minor",
    "assumption",
]


@dataclass(frozen=True)
class Month:
    """A calendar month, ``YYYY-MM``."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        try:
            year, month = (int(part) for part in text.split("-"))
            dt.date(year, month, 1)
        except ValueError as error:
            raise ValueError(f"month {text!r} is not YYYY-MM") from error
        if len(text) != 7:
            raise ValueError(f"month {text!r} is not YYYY-MM")
        return cls(year, month)

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return self.next().first - dt.timedelta(days=1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def rate_table(agreements: Iterable[Agreement], *, reserved: bool = False) -> pl.DataFrame:
    """Every person-day rate of every agreement as rows with their validity
    ``[rate_start, rate_end]`` (inclusive; open-ended rates end on 9999-12-31). ``reserved``: only
    the terms that also bill reserved-but-empty places, whose place-days are billed at the same rate."""
    rows: list[dict[str, object]] = []
    for agreement in agreements:
        for term in agreement.fees:
            if term.kind != "person_day" or (reserved and not term.bill_reserved_places):
                continue
            for i, rate in enumerate(term.rates):
                end = term.rates[i + 1].start - dt.timedelta(days=1) if i + 1 < len(term.rates) else dt.date.max
                rows.append(
                    {
                        "agreement_id": agreement.id,
                        "fee_id": term.id,
                        "payer": term.payer,
                        "payee": term.payee,
                        "facility": term.facility,
                        "currency": term.currency,
                        "rate_start": rate.start,
                        "rate_end": end,
                        "rate_minor": rate.amount_minor,
                        "assumption": rate.assumption or term.bill_reserved_places_assumption,
                    }
                )
    schema = {
        "agreement_id": pl.String,
        "fee_id": pl.String,
        "payer": pl.String,
        "payee": pl.String,
        "facility": pl.String,
        "currency": pl.String,
        "rate_start": pl.Date,
        "rate_end": pl.Date,
        "rate_minor": pl.Int64,
        "assumption": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema)


Stay = tuple[str, str, dt.date | None, dt.date | None] | tuple[str, str, dt.date | None, dt.date | None, int | None]


def stays_frame(rows: Iterable[Stay]) -> pl.DataFrame:
    """Occupancy periods as a frame: (agreement id, facility code, occupied_on, released_on[, person])."""
    return pl.DataFrame([row if len(row) == 5 else (*row, None) for row in rows], schema=STAY_SCHEMA, orient="row")


def _without_same_day_moves(known: pl.DataFrame) -> pl.DataFrame:
    """A person handed over and moved on the same day D has a same-day stay ([D, D], one day) and
    another starting on D: the day is billed once, where the person stayed. Same-day stays of one
    person on one day with no stay after them count once."""
    same_day = (pl.col("released_on") == pl.col("occupied_on")).fill_null(False) & pl.col("person").is_not_null()
    onward = (
        known.filter(~same_day & pl.col("person").is_not_null())
        .select("person", pl.col("occupied_on").alias("day"))
        .unique()
    )
    moved_on = (
        known.filter(same_day)
        .join(onward, left_on=["person", "occupied_on"], right_on=["person", "day"], how="anti")
        .unique(subset=["person", "occupied_on"], keep="first", maintain_order=True)
    )
    return pl.concat([known.filter(~same_day), moved_on])


@dataclass(frozen=True)
class Accrual:
    lines: pl.DataFrame  # LINE_COLUMNS, one row per agreement, fee, facility, month and rate
    unknown_stays: int  # stays in the month's reach whose handover day is unknown: not accrued
    unpriced_days: int  # person-days with no rate in force (before the first rate, or no fee term)


def accrue(stays: pl.DataFrame, rates: pl.DataFrame, month: Month, through: dt.date | None = None) -> Accrual:
    """Person-days and amounts of one month, per agreement, fee, facility and rate in force,
    counting days up to ``through`` (inclusive; the month's last day when not given): the open
    month is accrued up to today, never for days that have not happened yet."""
    first, last = month.first, month.last if through is None else min(month.last, through)
    one = pl.duration(days=1)
    known = _without_same_day_moves(stays.filter(pl.col("occupied_on").is_not_null()))
    unknown = stays.filter(
        pl.col("occupied_on").is_null() & (pl.col("released_on").is_null() | (pl.col("released_on") > first))
    ).height
    clipped = (
        known.with_columns(
            # Last day counted: the day before release, or the handover day for a same-day release.
            pl.when(pl.col("released_on").is_null())
            .then(pl.lit(last))
            .when(pl.col("released_on") > pl.col("occupied_on"))
            .then(pl.col("released_on") - one)
            .otherwise(pl.col("occupied_on"))
            .alias("last_day")
        )
        .with_columns(
            pl.max_horizontal(pl.col("occupied_on"), pl.lit(first)).alias("from_day"),
            pl.min_horizontal(pl.col("last_day"), pl.lit(last)).alias("to_day"),
        )
        .filter(pl.col("from_day") <= pl.col("to_day"))
        .group_by("agreement_id", "facility", "from_day", "to_day")
        .agg(pl.len().cast(pl.Int64).alias("stays"))
    )
    total_days = clipped.select(
        ((pl.col("to_day") - pl.col("from_day")).dt.total_days().cast(pl.Int64) + 1) * pl.col("stays")
    ).sum()
    total = int(total_days.item()) if clipped.height else 0
    joined = (
        clipped.join(rates, on=["agreement_id", "facility"], how="inner")
        .with_columns(
            pl.max_horizontal("from_day", "rate_start").alias("a"),
            pl.min_horizontal("to_day", "rate_end").alias("b"),
        )
        .filter(pl.col("a") <= pl.col("b"))
        .with_columns(
            (((pl.col("b") - pl.col("a")).dt.total_days().cast(pl.Int64) + 1) * pl.col("stays")).alias("person_days")
        )
    )
    lines = (
        joined.group_by(
            "agreement_id", "fee_id", "payer", "payee", "facility", "currency", "rate_start", "rate_minor", "assumption"
        )
        .agg(pl.col("person_days").sum().cast(pl.Int64))
        .with_columns(
            pl.lit(str(month)).alias("month"),
            (pl.col("person_days") * pl.col("rate_minor")).cast(pl.Int64).alias("amount_minor"),
        )
        .select(LINE_COLUMNS)
        .sort("agreement_id", "fee_id", "facility", "rate_start")
    )
    priced = int(lines["person_days"].sum()) if lines.height else 0
    return Accrual(lines=lines, unknown_stays=unknown, unpriced_days=total - priced)


def accrue_held(holds: pl.DataFrame, rates: pl.DataFrame, month: Month, through: dt.date | None = None) -> Accrual:
    """Place-days held but not occupied, for the terms that bill reserved places (``rate_table(...,
    reserved=True)``): a hold is the half-open interval ``[held_on, held_until)``, from the day
    the place was held to the day it was occupied (a person-day from then on, never both) or
    given back; a hold ended on the day it began costs nothing. One still held runs to the end of
    the period accrued. ``holds`` has STAY_SCHEMA (``occupied_on`` = held_on, ``released_on`` =
    held_until, no person); a hold whose day is unknown is counted in ``unknown_stays``."""
    billable = holds.filter(
        pl.col("released_on").is_null()
        | pl.col("occupied_on").is_null()
        | (pl.col("released_on") > pl.col("occupied_on"))
    ).with_columns(pl.lit(None, dtype=pl.Int64).alias("person"))
    return accrue(billable, rates, month, through)


def place_year_lines(agreements: Iterable[Agreement], month: Month, through: dt.date | None = None) -> pl.DataFrame:
    """The month's lines of every place-year fee (LINE_COLUMNS): one per rate in force in the month,
    ``person_days`` holding its place-days (places x days), ``rate_minor`` the amount per place
    and year.

    Rounding, so that months add up to the year to the cent: within calendar year Y (N = 365 or
    366 days), let C(d) be the exact sum, over the days from 1 January to d, of places x the
    yearly amount in force that day (an integer). What is due through day d is floor(C(d) / N)
    minor units, and a line covering days [a, b] bills floor(C(b) / N) - floor(C(a - 1) / N), with
    C = 0 before 1 January. Lines and months therefore telescope: a year bills floor(C(31 Dec) / N),
    which is exactly places x amount when neither changed that year (a leap year just divides by
    366), and never more than one minor unit below the exact sum otherwise. Every figure is a
    function of the data alone, so invoice, ledger and reconciliation agree. The open month is
    billed up to ``through``; later runs add the rest."""
    last = month.last if through is None else min(month.last, through)
    rows: list[dict[str, object]] = []
    for agreement in agreements:
        for term in agreement.fees:
            if term.kind != "place_year":
                continue
            for i, rate in enumerate(term.rates):
                end = term.rates[i + 1].start - dt.timedelta(days=1) if i + 1 < len(term.rates) else dt.date.max
                a, b = max(rate.start, month.first), min(end, last)
                if a > b:
                    continue
                year_days = 366 if calendar.isleap(a.year) else 365
                billed = (
                    _place_year_sum(term, b) // year_days
                    - _place_year_sum(term, a - dt.timedelta(days=1), a.year) // year_days
                )
                rows.append(
                    {
                        "agreement_id": agreement.id,
                        "fee_id": term.id,
                        "payer": term.payer,
                        "payee": term.payee,
                        "facility": term.facility,
                        "month": str(month),
                        "currency": term.currency,
                        "rate_start": rate.start,
                        "rate_minor": rate.amount_minor,
                        "person_days": (rate.places or 0) * ((b - a).days + 1),
                        "amount_minor": billed,
                        "assumption": rate.assumption,
                    }
                )
    return pl.DataFrame(rows, schema=LINE_SCHEMA).select(LINE_COLUMNS)


def _place_year_sum(term: FeeTerm, day: dt.date, year: int | None = None) -> int:
    """C(day): the sum over the days of ``year`` (day's own by default) up to ``day`` of places x
    the yearly amount in force; 0 when ``day`` is before that year."""
    year = day.year if year is None else year
    first = dt.date(year, 1, 1)
    total = 0
    for i, rate in enumerate(term.rates):
        end = term.rates[i + 1].start - dt.timedelta(days=1) if i + 1 < len(term.rates) else dt.date.max
        a, b = max(rate.start, first), min(end, day)
        if a <= b:
            total += ((b - a).days + 1) * (rate.places or 0) * rate.amount_minor
    return total


def invoice_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """One invoice per agreement, payer, payee, currency and month; its lines per facility and rate."""
    return lines.sort("agreement_id", "payer", "month", "facility", "rate_start")


@dataclass(frozen=True)
class Difference:
    key: str
    what: str
    expected: int
    found: int


def reconcile(accrued: pl.DataFrame, invoiced: pl.DataFrame, *, per_day: bool = True) -> list[Difference]:
    """invoiced = accrued = person-days × rate, per agreement, facility, month and rate; every
    difference named. Both frames have LINE_COLUMNS (``invoiced`` as read back from the ledger).
    ``per_day=False`` (place-year lines, prorated from a yearly amount) skips the days × rate check:
    their amounts are checked against the recomputation instead."""
    differences: list[Difference] = []
    keys = ["agreement_id", "fee_id", "facility", "month", "currency", "rate_start", "rate_minor"]
    for name, frame in (("accrued", accrued), ("invoiced", invoiced)) if per_day else ():
        for row in frame.filter(pl.col("person_days") * pl.col("rate_minor") != pl.col("amount_minor")).iter_rows(
            named=True
        ):
            differences.append(
                Difference(
                    _key(row, keys),
                    f"{name} amount is not person-days × rate",
                    row["person_days"] * row["rate_minor"],
                    row["amount_minor"],
                )
            )
    both = accrued.select([*keys, "person_days", "amount_minor"]).join(
        invoiced.select([*keys, "person_days", "amount_minor"]),
        on=keys,
        how="full",
        coalesce=True,
        suffix="_invoiced",
    )
    for row in both.iter_rows(named=True):
        for column in ("person_days", "amount_minor"):
            expected, found = row[column] or 0, row[f"{column}_invoiced"] or 0
            if expected != found:
                differences.append(
                    Difference(_key(row, keys), f"invoiced {column} differs from accrued", expected, found)
                )
    return differences


def _key(row: dict[str, object], keys: list[str]) -> str:
    return "/".join(str(row[k]) for k in keys)


def transit_fee(term: FeeTerm, nationality: str | None, day: dt.date) -> tuple[int, bool] | None:
    """The transit fee (minor units, assumption flag) for one passenger, or None when none is due.
    An unknown nationality is never charged (an unknown fact invents no money)."""
    if term.kind != "per_passenger" or not nationality or nationality not in term.nationalities:
        return None
    rate = term.rate_on(day)
    if rate is None:
        return None
    return rate.amount_minor, rate.assumption or term.nationalities_assumption


@dataclass(frozen=True)
class TransitCharge:
    """One per-passenger fee term applied to one movement: how many passengers aboard were
    charged, and how many were not assessed because their nationality is not recorded."""

    agreement_id: str
    fee_id: str
    payer: str
    payee: str
    currency: str
    airport: str  # the transit airport the term names that the movement transits
    rate_start: dt.date
    rate_minor: int
    passengers: int  # charged: a recorded nationality is listed
    not_assessed: int  # nationality unknown: neither charged nor assumed free, named on the invoice
    assumption: bool

    @property
    def amount_minor(self) -> int:
        return self.passengers * self.rate_minor


def assess_transit(
    agreements: Iterable[Agreement],
    transit_airports: Iterable[str],
    nationalities: Iterable[Iterable[str]],
    day: dt.date,
) -> list[TransitCharge]:
    """The per-passenger fees due on a movement transiting ``transit_airports`` that departs on
    ``day``, one per fee term with a rate in force that day. ``nationalities`` holds each passenger
    aboard's recorded nationalities (empty: unknown). A passenger is charged once per term when any
    recorded nationality is listed; a passenger with none recorded is counted as not assessed."""
    airports = set(transit_airports)
    passengers = [frozenset(n) for n in nationalities]
    unknown = sum(1 for n in passengers if not n)
    charges: list[TransitCharge] = []
    for agreement in agreements:
        for term in agreement.fees:
            where = [a for a in term.transit_airports if a in airports] if term.kind == "per_passenger" else []
            rate = term.rate_on(day) if where else None
            if rate is None:
                continue
            listed = frozenset(term.nationalities)
            charged = sum(1 for n in passengers if n & listed)
            if charged or unknown:
                charges.append(
                    TransitCharge(
                        agreement_id=agreement.id,
                        fee_id=term.id,
                        payer=term.payer,
                        payee=term.payee,
                        currency=term.currency,
                        airport=where[0],
                        rate_start=rate.start,
                        rate_minor=rate.amount_minor,
                        passengers=charged,
                        not_assessed=unknown,
                        assumption=rate.assumption or term.nationalities_assumption,
                    )
                )
    return charges


def format_amount(amount_minor: int) -> str:
    """12345 -> '123.45', -1100000 -> '-11,000.00' (two decimals for every currency we know;
    integer arithmetic)."""
    sign = "-" if amount_minor < 0 else ""
    units, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{units:,}.{cents:02d}"


def format_minor(amount_minor: int, currency: str) -> str:
    """12345 USD -> '123.45 USD'."""
    return f"{format_amount(amount_minor)} {currency}"


def parse_minor(text: str) -> int:
    """'-55.00' -> -5500: an amount typed in major units with at most two decimals, read as integer
    minor units (no float on the way). ValueError names what is wrong."""
    cleaned = text.strip().replace(",", "")
    sign = -1 if cleaned.startswith("-") else 1
    digits = cleaned[1:] if cleaned[:1] in ("+", "-") else cleaned
    units, _, cents = digits.partition(".")
    if not units.isdigit() or (cents and (not cents.isdigit() or len(cents) > 2)):
        raise ValueError(f"{text!r} is not an amount such as 55.00 or -110.00 (at most two decimals)")
    return sign * (int(units) * 100 + int(cents.ljust(2, "0") or "0"))
