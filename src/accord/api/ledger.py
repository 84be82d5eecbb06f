"""The ledger: invoices with their lines, statements (CSV) and reconciliation to read; accruing,
closing and corrections for finance. Reads follow ``ledger.policy``; money is integer minor units."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.errors import ValidationError

from accord.accounts.models import Role
from accord.accounts.permissions import Can, require
from accord.api.common import ERRORS, caller
from accord.api.errors import error
from accord.api.schemas import Id, LedgerInteger, Reason, Text
from accord.core.ledger import Month
from accord.ledger import selectors, services
from accord.ledger.models import Invoice, InvoiceLine

router = Router(tags=["ledger"])


class InvoiceOut(Schema):
    number: str
    month: str
    agreement_id: str
    payer: str
    payee: str
    currency: str
    total_minor: int
    assumption: bool

    @staticmethod
    def resolve_month(invoice: Invoice) -> str:
        return invoice.month.month


class InvoiceLineOut(Schema):
    kind: str
    fee_id: str
    facility: str
    rate_start: dt.date | None
    rate_minor: int
    person_days: int
    amount_minor: int
    assumption: bool
    reference: str
    corrects: str | None
    passengers: int | None = Field(None, description="A transit fee: passengers charged (a count, never identities).")
    not_assessed: int | None = Field(
        None, description="A transit fee: passengers aboard whose nationality is not recorded, so not assessed."
    )

    @staticmethod
    def resolve_corrects(line: InvoiceLine) -> str | None:
        return line.corrects.number if line.corrects else None


class InvoiceDetailOut(InvoiceOut):
    lines: list[InvoiceLineOut]

    @staticmethod
    def resolve_lines(invoice: Invoice) -> list[InvoiceLine]:
        return selectors.invoice_lines(invoice)


class AccrualOut(Schema):
    month: str
    transactions: int
    person_days: int
    amount_minor: int
    unknown_stays: int
    unpriced_days: int
    unknown_holds: int = Field(0, description="Places held since an unknown day: not billed as reserved places.")


class DifferenceOut(Schema):
    key: str
    what: str
    expected: int
    found: int


class CorrectionIn(Schema):
    invoice: Id
    amount_minor: LedgerInteger
    person_days: LedgerInteger = 0
    facility: Text = ""
    reason: Reason


class CorrectionOut(Schema):
    transaction: str
    month: str
    corrects: str


def _month(text: str, field: str = "month") -> str:
    try:
        return str(Month.parse(text))
    except ValueError as err:
        raise ValidationError([{"loc": (field,), "msg": str(err)}]) from None


@router.get("/ledger/invoices", response={200: list[InvoiceOut], **ERRORS})
def list_invoices(request: HttpRequest, month: str = "") -> Any:
    user = caller(request)
    require(user, Can.VIEW_LEDGER)
    return selectors.invoices(user, _month(month) if month else None)


@router.get("/ledger/invoice", response={200: InvoiceDetailOut, **ERRORS})
def invoice_detail(request: HttpRequest, number: str) -> Any:
    """One invoice with its lines: person-days by facility and rate, movements by reference."""
    user = caller(request)
    require(user, Can.VIEW_LEDGER)
    found = selectors.invoice(user, number)
    if found is None:
        raise Http404(f"no invoice {number[:80]!r}")
    return found


@router.get("/ledger/statement.csv", response={200: None, **ERRORS})
def statement(request: HttpRequest, month: str = "") -> HttpResponse:
    user = caller(request)
    require(user, Can.VIEW_LEDGER)
    text = selectors.statement_csv(user, _month(month) if month else None)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement-{month or "all"}.csv"'
    return response


@router.get("/ledger/reconciliation", response={200: list[DifferenceOut], **ERRORS})
def reconciliation(request: HttpRequest, month: str) -> Any:
    """invoiced = accrued = person-days × rate for every agreement (finance and legal reviewers)."""
    user = caller(request)
    require(user, Can.VIEW_LEDGER)
    if user.role == Role.RECEIVING_OFFICER:
        raise PermissionDenied("the reconciliation covers every state's invoices")
    return [d.__dict__ for d in selectors.reconciliation(_month(month))]


@router.post("/ledger/months/{month}/accrue", response={200: AccrualOut, **ERRORS})
def accrue(request: HttpRequest, month: str) -> Any:
    user = caller(request)
    require(user, Can.POST_LEDGER)
    try:
        return services.accrue_month(_month(month), actor=user).__dict__
    except services.LedgerError as err:
        return error(request, 400, str(err), "month")


@router.post("/ledger/months/{month}/close", response={200: list[InvoiceOut], **ERRORS})
def close(request: HttpRequest, month: str) -> Any:
    """Close the month (idempotent): its invoices are issued and it never changes again."""
    user = caller(request)
    require(user, Can.POST_LEDGER)
    try:
        return services.close_month(_month(month), actor=user)
    except services.LedgerError as err:
        return error(request, 400, str(err), "month")


@router.post("/ledger/corrections", response={201: CorrectionOut, **ERRORS})
def correct(request: HttpRequest, body: CorrectionIn) -> Any:
    """A correction or credit note (negative) of a closed month's invoice, into the next open month."""
    user = caller(request)
    require(user, Can.POST_LEDGER)
    try:
        tx = services.post_correction(
            body.invoice,
            amount_minor=body.amount_minor,
            person_days=body.person_days,
            facility=body.facility,
            reason=body.reason,
            actor=user,
        )
    except services.LedgerError as err:
        return error(request, 400, str(err), "invoice")
    return Status(201, {"transaction": str(tx.pk), "month": tx.month.month, "corrects": body.invoice})
