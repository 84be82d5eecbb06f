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
from django.utils.translation import gettext as _

from accord.accounts.models import User
from accord.capacity.selectors import occupancy_periods
from accord.core import ledger as core
from accord.core.screening import default_dataset
from accord.ledger.models import Invoice, InvoiceLine, Line, Month, Posting, Transaction
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
]


def statement_csv(user: User | AnonymousUser | None, month: str | None = None) -> str:
    """Every visible invoice line as CSV; amounts in minor units and formatted; assumptions flagged."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_HEADER)
    for inv in invoices(user, month):
        for line in invoice_lines(inv):
            writer.writerow(
                [
                    inv.number,
                    inv.month.month,
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
                    core.format_minor(line.amount_minor, inv.currency),
                    "assumption" if line.assumption else "",
                    line.reference,
                    line.corrects.number if line.corrects else "",
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


def reconciliation(month: str) -> list[core.Difference]:
    """invoiced = accrued (ledger) = person-days × rate (recomputed now from the occupancy), per
    facility and rate; every difference named. Corrections and transport are outside it."""
    parsed = core.Month.parse(month)
    stays = core.stays_frame(occupancy_periods(parsed.first, parsed.last))
    expected = core.accrue(stays, core.rate_table(default_dataset().agreements.values()), parsed).lines
    keys = [
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
    ledger_rows = [
        {**{k: r[k] for k in keys}, "person_days": int(r["d"]), "amount_minor": int(r["a"])}
        for r in Line.objects.filter(month__month=month, transaction__kind=Transaction.Kind.ACCRUAL)
        .values(*keys)
        .annotate(d=Sum("person_days"), a=Sum("amount_minor"))
        .order_by()
    ]
    accrued = _line_frame(ledger_rows, month)
    differences = [
        core.Difference(d.key, d.what.replace("invoiced", "ledger"), d.expected, d.found)
        for d in core.reconcile(expected, accrued)
    ]
    invoiced_rows = [
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
        for line in InvoiceLine.objects.filter(
            invoice__month__month=month, kind=Transaction.Kind.ACCRUAL
        ).select_related("invoice")
    ]
    if invoiced_rows or Invoice.objects.filter(month__month=month).exists():
        differences += core.reconcile(accrued, _line_frame(invoiced_rows, month))
    return differences


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
            )
        else:
            item.person_days += line.person_days
            item.amount_minor += line.amount_minor
            item.assumption = item.assumption or line.assumption
    return {
        group: [i for i in merged.values() if i.amount_minor != 0 or i.person_days != 0]
        for group, merged in sorted(groups.items())
    }


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
        return sum(line.person_days for line in self.lines)  # corrections' too; transport has none

    @property
    def notes(self) -> list[str]:
        """Every assumption note of the invoice's lines, once each."""
        return list(dict.fromkeys(note for line in self.lines for note in line.notes))


def assumption_notes(agreement_id: str, line: InvoiceLine) -> tuple[str, ...]:
    """Why an assumed line is assumed: the notes of its rate and fee term in the agreement data."""
    if not line.assumption:
        return ()
    if line.kind != Transaction.Kind.ACCRUAL:
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
        if term.bill_reserved_places_assumption and term.note:
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
    """The person-day lines of a month side by side: recomputed, accrued in the ledger, invoiced."""
    parsed = core.Month.parse(month)
    stays = core.stays_frame(occupancy_periods(parsed.first, parsed.last))
    expected = core.accrue(stays, core.rate_table(default_dataset().agreements.values()), parsed).lines
    Key = tuple[str, str, str, dt.date | None, int]
    table: dict[Key, dict[str, int]] = {}

    def add(key: Key, what: str, days: int, amount: int) -> None:
        cell = table.setdefault(key, {})
        cell[f"{what}_days"] = cell.get(f"{what}_days", 0) + days
        cell[f"{what}_minor"] = cell.get(f"{what}_minor", 0) + amount

    for r in expected.iter_rows(named=True):
        key = (r["agreement_id"], r["facility"], r["currency"], r["rate_start"], r["rate_minor"])
        add(key, "expected", r["person_days"], r["amount_minor"])
    for line in Line.objects.filter(month__month=month, transaction__kind=Transaction.Kind.ACCRUAL):
        key = (line.agreement_id, line.facility, line.currency, line.rate_start, line.rate_minor)
        add(key, "accrued", line.person_days, line.amount_minor)
    issued = Invoice.objects.filter(month__month=month).exists()
    for item in InvoiceLine.objects.filter(invoice__month__month=month, kind=Transaction.Kind.ACCRUAL).select_related(
        "invoice"
    ):
        key = (item.invoice.agreement_id, item.facility, item.invoice.currency, item.rate_start, item.rate_minor)
        add(key, "invoiced", item.person_days, item.amount_minor)
    closed = Month.objects.filter(month=month, status=Month.Status.CLOSED).exists()
    rows = []
    for (agreement_id, facility, currency, rate_start, rate_minor), cell in sorted(
        table.items(), key=lambda item: (item[0][0], item[0][1], item[0][3] or dt.date.min)
    ):
        invoiced = issued or closed
        rows.append(
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
            )
        )
    return rows
