"""Reads of the ledger: invoices with their lines, statements, reconciliation, balances."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.contrib.auth.models import AnonymousUser
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.accounts.models import User
from accord.capacity.selectors import hold_periods, occupancy_periods
from accord.core import ledger as core
from accord.core.screening import default_dataset
from accord.ledger.models import Invoice, InvoiceLine, Line, Month, Posting, Transaction, TransitAssessment
from accord.ledger.policy import may_see_invoice, visible_invoices


def invoices(user: User | AnonymousUser | None, month: str | None = None) -> list[Invoice]:
    query = visible_invoices(user).select_related("month")
    if month:
        query = query.filter(month__month=month)
    return list(query)


def invoice(user: User | AnonymousUser | None, number: str) -> Invoice | None:
    return visible_invoices(user).select_related("month").filter(number=number).first()


def invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.select_related("corrects"))


def unbalanced_transactions() -> list[str]:
    """Ids of transactions whose postings do not sum to zero per currency (none, by construction)."""
    rows = Posting.objects.values("transaction_id", "currency").annotate(total=Sum("amount_minor")).exclude(total=0)
    return sorted({str(r["transaction_id"]) for r in rows})


STATEMENT_HEADER = [
    "invoice",
    "month",
    "agreement",
    "payer",
    "payee",
    "kind",
    "facility",
    "fee",
    "rate_from",
    "rate_minor",
    "person_days",
    "amount_minor",
    "currency",
    "amount",
    "assumption",
    "reference",
    "corrects",
    "passengers",
    "not_assessed",
    "status",  # issued, or draft (an open month's lines as they stand)
]


def statement_csv(user: User | AnonymousUser | None, month: str | None = None) -> str:
    """Every visible invoice line as CSV (of one month, or of every month): issued lines, and an
    open month's draft lines marked ``draft`` in ``status`` (they are issued as they stand when the
    month closes). Amounts in minor units and formatted; assumptions flagged; a transit line's
    passengers charged and not assessed as counts."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_HEADER)
    chosen = [month] if month else list(Month.objects.order_by("month").values_list("month", flat=True))
    for name in chosen:
        for inv in invoice_views(user, name):
            for line in inv.lines:
                writer.writerow(
                    [
                        inv.number,
                        inv.month,
                        inv.agreement_id,
                        inv.payer,
                        inv.payee,
                        line.kind,
                        line.facility,
                        line.fee_id,
                        line.rate_start.isoformat() if line.rate_start else "",
                        line.rate_minor,
                        line.person_days,
                        line.amount_minor,
                        inv.currency,
                        line.amount,
                        "assumption" if line.assumption else "",
                        line.reference,
                        line.corrects,
                        "" if line.passengers is None else line.passengers,
                        "" if line.not_assessed is None else line.not_assessed,
                        "issued" if inv.issued else "draft",
                    ]
                )
    return out.getvalue()


def _line_frame(rows: Sequence[Mapping[str, Any]], month: str) -> pl.DataFrame:
    schema = {
        "agreement_id": pl.String,
        "fee_id": pl.String,
        "payer": pl.String,
        "payee": pl.String,
        "facility": pl.String,
        "currency": pl.String,
        "rate_start": pl.Date,
        "rate_minor": pl.Int64,
        "person_days": pl.Int64,
        "amount_minor": pl.Int64,
        "assumption": pl.Boolean,
    }
    frame = pl.DataFrame(rows, schema=schema)
    return frame.with_columns(pl.lit(month).alias("month")).select(core.LINE_COLUMNS)


# Lines whose ``person_days`` are place-days: held but empty, or contracted per place-year.
PLACE_DAY_KINDS = (Transaction.Kind.RESERVED, Transaction.Kind.PLACE_YEAR)
# The kinds accrued from periods (person-days of occupancy, place-days held), reconciled alike.
ACCRUED_KINDS = (Transaction.Kind.ACCRUAL, Transaction.Kind.RESERVED, Transaction.Kind.PLACE_YEAR)


def accrual_lines(parsed: core.Month, through: dt.date) -> dict[str, core.Accrual]:
    """The month's accrual per kind, recomputed up to ``through`` from the occupancy and hold
    periods, and from the contracted places of place-year fees."""
    agreements = list(default_dataset().agreements.values())
    found: dict[str, core.Accrual] = {
        Transaction.Kind.ACCRUAL: core.accrue(
            core.stays_frame(occupancy_periods(parsed.first, parsed.last)),
            core.rate_table(agreements),
            parsed,
            through=through,
        )
    }
    reserved = core.rate_table(agreements, reserved=True)
    if reserved.height:  # no hold is read unless a fee bills reserved places
        holds = core.stays_frame(hold_periods(parsed.first, parsed.last))
        found[Transaction.Kind.RESERVED] = core.accrue_held(holds, reserved, parsed, through=through)
    if any(term.kind == "place_year" for a in agreements for term in a.fees):
        lines = core.place_year_lines(agreements, parsed, through=through)
        found[Transaction.Kind.PLACE_YEAR] = core.Accrual(lines=lines, unknown_stays=0, unpriced_days=0)
    return found


def reconciliation(month: str) -> list[core.Difference]:
    """invoiced = accrued (ledger) = person-days × rate (recomputed now from the occupancy, and the
    holds where a fee bills reserved places), per kind, facility and rate; transit lines against
    their assessments; every difference named. Corrections and transport are outside it."""
    parsed = core.Month.parse(month)
    differences: list[core.Difference] = []
    issued = Invoice.objects.filter(month__month=month).exists()
    for kind, accrual in accrual_lines(parsed, timezone.localdate()).items():
        accrued = _line_frame(_ledger_rows(month, kind), month)
        per_day = kind != Transaction.Kind.PLACE_YEAR
        differences += [
            core.Difference(_kind_key(kind, d.key), d.what.replace("invoiced", "ledger"), d.expected, d.found)
            for d in core.reconcile(accrual.lines, accrued, per_day=per_day)
        ]
        invoiced_rows = _invoiced_rows(month, kind)
        if invoiced_rows or issued:
            differences += [
                core.Difference(_kind_key(kind, d.key), d.what, d.expected, d.found)
                for d in core.reconcile(accrued, _line_frame(invoiced_rows, month), per_day=per_day)
            ]
    return differences + transit_differences(month)


def _kind_key(kind: str, key: str) -> str:
    return key if kind == Transaction.Kind.ACCRUAL else f"{kind}:{key}"


# What tells one accrual line from another (the facility's rate on its day): what accruing sums
# person-days by and what the reconciliation compares.
LINE_KEYS = [
    "agreement_id",
    "fee_id",
    "payer",
    "payee",
    "facility",
    "currency",
    "rate_start",
    "rate_minor",
    "assumption",
]


def _ledger_rows(month: str, kind: str) -> list[dict[str, Any]]:
    return [
        {**{k: r[k] for k in LINE_KEYS}, "person_days": int(r["d"]), "amount_minor": int(r["a"])}
        for r in Line.objects.filter(month__month=month, transaction__kind=kind)
        .values(*LINE_KEYS)
        .annotate(d=Sum("person_days"), a=Sum("amount_minor"))
        .order_by()
    ]


def _invoiced_rows(month: str, kind: str) -> list[dict[str, Any]]:
    return [
        {
            "agreement_id": line.invoice.agreement_id,
            "fee_id": line.fee_id,
            "payer": line.invoice.payer,
            "payee": line.invoice.payee,
            "facility": line.facility,
            "currency": line.invoice.currency,
            "rate_start": line.rate_start,
            "rate_minor": line.rate_minor,
            "person_days": line.person_days,
            "amount_minor": line.amount_minor,
            "assumption": line.assumption,
        }
        for line in InvoiceLine.objects.filter(invoice__month__month=month, kind=kind).select_related("invoice")
    ]


# --- invoices as pages and documents show them: issued, or an open month's draft ---------------------


def invoice_number(month: str, agreement_id: str, payer: str, payee: str, currency: str) -> str:
    return f"{month}/{agreement_id}/{payer}-{payee}/{currency}"


def merged_invoice_lines(lines: Iterable[Line]) -> dict[tuple[str, str, str, str], list[InvoiceLine]]:
    """A month's ledger lines as invoice lines (unsaved), per agreement, payer, payee and currency:
    one line per kind, fee, facility, rate, reference and corrected invoice. Closing issues exactly
    these; an open month's page shows them as a draft."""
    groups: dict[tuple[str, str, str, str], dict[tuple[object, ...], InvoiceLine]] = {}
    for line in lines:
        tx = line.transaction
        merged = groups.setdefault((line.agreement_id, line.payer, line.payee, line.currency), {})
        key = (tx.kind, line.fee_id, line.facility, line.rate_start, line.rate_minor, line.reference, tx.corrects_id)
        item = merged.get(key)
        if item is None:
            merged[key] = InvoiceLine(
                kind=tx.kind,
                fee_id=line.fee_id,
                facility=line.facility,
                rate_start=line.rate_start,
                rate_minor=line.rate_minor,
                person_days=line.person_days,
                amount_minor=line.amount_minor,
                assumption=line.assumption,
                reference=line.reference,
                corrects_id=tx.corrects_id,
                passengers=line.passengers,
                not_assessed=line.not_assessed,
            )
        else:
            item.person_days += line.person_days
            item.amount_minor += line.amount_minor
            item.assumption = item.assumption or line.assumption
            item.passengers = _plus(item.passengers, line.passengers)
            item.not_assessed = _plus(item.not_assessed, line.not_assessed)
    return {
        group: [i for i in merged.values() if i.amount_minor != 0 or i.person_days != 0]
        for group, merged in sorted(groups.items())
    }


def _plus(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


@dataclass(frozen=True)
class LineView:
    kind: str
    fee_id: str
    facility: str
    rate_start: dt.date | None
    rate_minor: int
    person_days: int
    amount_minor: int
    currency: str
    assumption: bool
    notes: tuple[str, ...]  # why each assumed figure is assumed (from the agreement's data)
    reference: str  # a movement's reference, or the invoice a correction corrects
    corrects: str
    passengers: int | None = None  # a transit fee: passengers charged
    not_assessed: int | None = None  # a transit fee: passengers aboard of unknown nationality

    @property
    def amount(self) -> str:
        return core.format_minor(self.amount_minor, self.currency)

    @property
    def rate(self) -> str:
        return core.format_minor(self.rate_minor, self.currency) if self.rate_minor else ""


@dataclass(frozen=True)
class InvoiceView:
    number: str
    month: str
    agreement_id: str
    payer: str
    payee: str
    currency: str
    total_minor: int
    assumption: bool
    issued: bool  # False: a draft of an open month, issued as it stands when the month closes
    lines: tuple[LineView, ...]

    @property
    def total(self) -> str:
        return core.format_minor(self.total_minor, self.currency)

    @property
    def person_days(self) -> int:
        """Person-days of occupancy (corrections' too); place-days are counted apart."""
        return sum(line.person_days for line in self.lines if line.kind not in PLACE_DAY_KINDS)

    @property
    def place_days(self) -> int:
        """Place-days held but not occupied, or contracted (reserved places, place-years)."""
        return sum(line.person_days for line in self.lines if line.kind in PLACE_DAY_KINDS)

    @property
    def not_assessed(self) -> int:
        """Passengers aboard its transit lines' movements whose nationality is unknown: not charged,
        named on the invoice (an unknown fact never changes a figure quietly)."""
        return sum(line.not_assessed or 0 for line in self.lines)

    @property
    def notes(self) -> list[str]:
        """Every assumption note of the invoice's lines, once each."""
        return list(dict.fromkeys(note for line in self.lines for note in line.notes))


def assumption_notes(agreement_id: str, line: InvoiceLine) -> tuple[str, ...]:
    """Why an assumed line is assumed: the notes of its rate and fee term in the agreement data."""
    if not line.assumption:
        return ()
    if line.kind not in (*ACCRUED_KINDS, Transaction.Kind.PLACE_YEAR, Transaction.Kind.TRANSIT):
        if line.kind == Transaction.Kind.CORRECTION:
            return (str(_("It corrects an invoice that includes assumed figures.")),)
        return (str(_("The transport cost is an operator parameter, not a figure from the sources.")),)
    try:
        agreement = default_dataset().agreement(agreement_id)
    except KeyError:
        return ()
    notes: list[str] = []
    for term in agreement.fees:
        if term.id != line.fee_id:
            continue
        notes += [r.note for r in term.rates if r.start == line.rate_start and r.assumption and r.note]
        if term.note and (
            (term.kind == "person_day" and term.bill_reserved_places_assumption)
            or (term.kind == "per_passenger" and term.nationalities_assumption)
        ):
            notes.append(term.note)
    return tuple(" ".join(note.split()) for note in notes)


def _line_view(agreement_id: str, currency: str, line: InvoiceLine) -> LineView:
    return LineView(
        kind=line.kind,
        fee_id=line.fee_id,
        facility=line.facility,
        rate_start=line.rate_start,
        rate_minor=line.rate_minor,
        person_days=line.person_days,
        amount_minor=line.amount_minor,
        currency=currency,
        assumption=line.assumption,
        notes=assumption_notes(agreement_id, line),
        reference=line.reference,
        corrects=line.corrects.number if line.corrects_id and line.corrects else "",
        passengers=line.passengers,
        not_assessed=line.not_assessed,
    )


def draft_invoices(row: Month) -> list[tuple[Invoice, list[InvoiceLine]]]:
    """The invoices the month's lines make as they stand, unsaved, each with its lines: closing
    the month issues exactly these, and an open month's pages show them as drafts."""
    lines = Line.objects.filter(month=row).select_related("transaction").order_by("id")
    return [
        (
            Invoice(
                number=invoice_number(row.month, agreement_id, payer, payee, currency),
                month=row,
                agreement_id=agreement_id,
                payer=payer,
                payee=payee,
                currency=currency,
                total_minor=sum(i.amount_minor for i in items),
                assumption=any(i.assumption for i in items),
            ),
            items,
        )
        for (agreement_id, payer, payee, currency), items in merged_invoice_lines(lines).items()
    ]


def _view(invoice: Invoice, lines: Iterable[InvoiceLine], *, issued: bool) -> InvoiceView:
    return InvoiceView(
        number=invoice.number,
        month=invoice.month.month,
        agreement_id=invoice.agreement_id,
        payer=invoice.payer,
        payee=invoice.payee,
        currency=invoice.currency,
        total_minor=invoice.total_minor,
        assumption=invoice.assumption,
        issued=issued,
        lines=tuple(_line_view(invoice.agreement_id, invoice.currency, line) for line in lines),
    )


def invoice_views(user: User | AnonymousUser | None, month: str) -> list[InvoiceView]:
    """The month's invoices ``user`` may read: those issued when it closed, or while it is open the
    drafts its lines make now."""
    row = Month.objects.filter(month=month).first()
    if row is None:
        return []
    if row.status == Month.Status.CLOSED:
        return [_view(i, invoice_lines(i), issued=True) for i in invoices(user, month)]
    return [
        _view(invoice, items, issued=False)
        for invoice, items in draft_invoices(row)
        if may_see_invoice(user, invoice.payer, invoice.payee)
    ]


def invoice_view(user: User | AnonymousUser | None, number: str) -> InvoiceView | None:
    """One invoice (issued or draft) by number, or None when it does not exist or ``user`` may not see it."""
    month = number[:7]
    try:
        core.Month.parse(month)
    except ValueError:
        return None
    return next((v for v in invoice_views(user, month) if v.number == number), None)


@dataclass(frozen=True)
class MonthView:
    month: str
    status: str
    closed_at: dt.datetime | None
    closed_by: str
    invoices: int
    person_days: int
    totals: tuple[str, ...]  # formatted, one per currency
    assumption: bool


def months(user: User | AnonymousUser | None) -> list[MonthView]:
    """Every ledger month, newest first, with what ``user`` may read of it."""
    shown = []
    for row in Month.objects.select_related("closed_by").order_by("-month"):
        views = invoice_views(user, row.month)
        by_currency: dict[str, int] = {}
        for view in views:
            by_currency[view.currency] = by_currency.get(view.currency, 0) + view.total_minor
        shown.append(
            MonthView(
                month=row.month,
                status=row.status,
                closed_at=row.closed_at,
                closed_by=row.closed_by.username if row.closed_by else "",
                invoices=len(views),
                person_days=sum(v.person_days for v in views),
                totals=tuple(core.format_minor(total, c) for c, total in sorted(by_currency.items())),
                assumption=any(v.assumption for v in views),
            )
        )
    return shown


@dataclass(frozen=True)
class ReconciliationRow:
    """One agreement, facility and rate of a month: person-days and amounts three ways."""

    agreement_id: str
    facility: str
    currency: str
    rate_start: dt.date | None
    rate_minor: int
    expected_days: int  # recomputed now from the occupancy periods
    expected_minor: int  # person-days x rate
    accrued_days: int
    accrued_minor: int
    invoiced_days: int | None  # None while the month is open (nothing issued yet)
    invoiced_minor: int | None
    kind: str = "accrual"  # or reserved_places: place-days held, not occupied

    @property
    def agrees(self) -> bool:
        same = self.expected_days == self.accrued_days and self.expected_minor == self.accrued_minor
        if self.invoiced_days is None:
            return same
        return same and self.accrued_days == self.invoiced_days and self.accrued_minor == self.invoiced_minor

    def shown(self, amount: int | None) -> str:
        return "–" if amount is None else core.format_minor(amount, self.currency)

    @property
    def rate(self) -> str:
        return self.shown(self.rate_minor)

    @property
    def expected(self) -> str:
        return self.shown(self.expected_minor)

    @property
    def accrued(self) -> str:
        return self.shown(self.accrued_minor)

    @property
    def invoiced(self) -> str:
        return self.shown(self.invoiced_minor)


def reconciliation_rows(month: str) -> list[ReconciliationRow]:
    """The person-day lines of a month side by side (and the reserved place-days where a fee bills
    them): recomputed, accrued in the ledger, invoiced."""
    parsed = core.Month.parse(month)
    Key = tuple[str, str, str, str, dt.date | None, int]
    table: dict[Key, dict[str, int]] = {}

    def add(key: Key, what: str, days: int, amount: int) -> None:
        cell = table.setdefault(key, {})
        cell[f"{what}_days"] = cell.get(f"{what}_days", 0) + days
        cell[f"{what}_minor"] = cell.get(f"{what}_minor", 0) + amount

    for kind, accrual in accrual_lines(parsed, timezone.localdate()).items():
        for r in accrual.lines.iter_rows(named=True):
            key = (kind, r["agreement_id"], r["facility"], r["currency"], r["rate_start"], r["rate_minor"])
            add(key, "expected", r["person_days"], r["amount_minor"])
    for line in Line.objects.filter(month__month=month, transaction__kind__in=ACCRUED_KINDS).select_related(
        "transaction"
    ):
        key = (line.transaction.kind, line.agreement_id, line.facility, line.currency, line.rate_start, line.rate_minor)
        add(key, "accrued", line.person_days, line.amount_minor)
    issued = Invoice.objects.filter(month__month=month).exists()
    for item in InvoiceLine.objects.filter(invoice__month__month=month, kind__in=ACCRUED_KINDS).select_related(
        "invoice"
    ):
        key = (
            item.kind,
            item.invoice.agreement_id,
            item.facility,
            item.invoice.currency,
            item.rate_start,
            item.rate_minor,
        )
        add(key, "invoiced", item.person_days, item.amount_minor)
    invoiced = issued or Month.objects.filter(month=month, status=Month.Status.CLOSED).exists()
    return [
        ReconciliationRow(
            agreement_id=agreement_id,
            facility=facility,
            currency=currency,
            rate_start=rate_start,
            rate_minor=rate_minor,
            expected_days=cell.get("expected_days", 0),
            expected_minor=cell.get("expected_minor", 0),
            accrued_days=cell.get("accrued_days", 0),
            accrued_minor=cell.get("accrued_minor", 0),
            invoiced_days=cell.get("invoiced_days", 0) if invoiced else None,
            invoiced_minor=cell.get("invoiced_minor", 0) if invoiced else None,
            kind=kind,
        )
        for (kind, agreement_id, facility, currency, rate_start, rate_minor), cell in sorted(
            table.items(), key=lambda item: (item[0][1], item[0][2], item[0][0], item[0][4] or dt.date.min)
        )
    ]


# --- transit fees: what each movement's assessment found, posted and invoiced ------------------------


@dataclass(frozen=True)
class TransitRow:
    """One movement and per-passenger fee term of a month: counts only, never identities."""

    reference: str  # the movement
    agreement_id: str
    fee_id: str
    payer: str
    payee: str
    airport: str
    currency: str
    rate_minor: int
    assumption: bool
    passengers: int  # charged at departure (a listed nationality recorded)
    not_assessed: int  # nationality not recorded: neither charged nor taken as exempt
    ledger_minor: int  # the transit lines posted for it
    invoiced_minor: int | None  # None while the month is open

    @property
    def expected_minor(self) -> int:
        return self.passengers * self.rate_minor

    @property
    def agrees(self) -> bool:
        same = self.ledger_minor == self.expected_minor
        return same if self.invoiced_minor is None else same and self.invoiced_minor == self.ledger_minor

    @property
    def rate(self) -> str:
        return core.format_minor(self.rate_minor, self.currency)

    @property
    def expected(self) -> str:
        return core.format_minor(self.expected_minor, self.currency)

    @property
    def ledger(self) -> str:
        return core.format_minor(self.ledger_minor, self.currency)

    @property
    def invoiced(self) -> str:
        return "–" if self.invoiced_minor is None else core.format_minor(self.invoiced_minor, self.currency)


def transit_rows(month: str, user: User | AnonymousUser | None = None, *, every_state: bool = True) -> list[TransitRow]:
    """The month's transit assessments beside the transit lines posted and invoiced for them."""
    key = tuple[str, str, str]
    posted: dict[key, int] = {}
    for line in Line.objects.filter(month__month=month, transaction__kind=Transaction.Kind.TRANSIT):
        k = (line.reference, line.agreement_id, line.fee_id)
        posted[k] = posted.get(k, 0) + line.amount_minor
    issued = Month.objects.filter(month=month, status=Month.Status.CLOSED).exists()
    invoiced: dict[key, int] = {}
    for item in InvoiceLine.objects.filter(invoice__month__month=month, kind=Transaction.Kind.TRANSIT).select_related(
        "invoice"
    ):
        k = (item.reference, item.invoice.agreement_id, item.fee_id)
        invoiced[k] = invoiced.get(k, 0) + item.amount_minor
    rows = []
    for a in TransitAssessment.objects.filter(month__month=month).order_by("reference", "agreement_id", "fee_id"):
        if not every_state and not may_see_invoice(user, a.payer, a.payee):
            continue
        k = (a.reference, a.agreement_id, a.fee_id)
        rows.append(
            TransitRow(
                reference=a.reference,
                agreement_id=a.agreement_id,
                fee_id=a.fee_id,
                payer=a.payer,
                payee=a.payee,
                airport=a.airport,
                currency=a.currency,
                rate_minor=a.rate_minor,
                assumption=a.assumption,
                passengers=a.passengers,
                not_assessed=a.not_assessed,
                ledger_minor=posted.pop(k, 0),
                invoiced_minor=invoiced.get(k, 0) if issued else None,
            )
        )
    return rows


def transit_differences(month: str) -> list[core.Difference]:
    """Every transit line that does not match its assessment (passengers × rate), and every
    invoiced transit amount that differs from the ledger's, named by movement and fee."""
    differences = []
    for r in transit_rows(month):
        key = f"{r.reference}/{r.agreement_id}/{r.fee_id}/{r.airport}"
        if r.ledger_minor != r.expected_minor:
            differences.append(
                core.Difference(key, "ledger transit amount is not passengers × rate", r.expected_minor, r.ledger_minor)
            )
        if r.invoiced_minor is not None and r.invoiced_minor != r.ledger_minor:
            differences.append(
                core.Difference(
                    key, "invoiced transit amount differs from the ledger", r.ledger_minor, r.invoiced_minor
                )
            )
    assessed = {
        (a, g, f)
        for a, g, f in TransitAssessment.objects.filter(month__month=month).values_list(
            "reference", "agreement_id", "fee_id"
        )
    }
    for line in Line.objects.filter(month__month=month, transaction__kind=Transaction.Kind.TRANSIT):
        if (line.reference, line.agreement_id, line.fee_id) not in assessed:
            key = f"{line.reference}/{line.agreement_id}/{line.fee_id}/{line.facility}"
            differences.append(core.Difference(key, "transit line without an assessment", 0, line.amount_minor))
    return differences
