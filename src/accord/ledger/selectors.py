"""Reads of the ledger: invoices with their lines, statements, reconciliation, balances."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from django.contrib.auth.models import AnonymousUser
from django.db.models import Sum

from accord.accounts.models import User
from accord.capacity.selectors import occupancy_periods
from accord.core import ledger as core
from accord.core.screening import default_dataset
from accord.ledger.models import Invoice, InvoiceLine, Line, Posting, Transaction
from accord.ledger.policy import visible_invoices


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
