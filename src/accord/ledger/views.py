"""The ledger's pages (issue #13 §5): thin views over the same use cases (``services``) and reads
(``selectors``) as the API and the CLI. Finance and legal reviewers read money, a receiving
officer their own state's invoices; only finance accrues, closes and corrects. A refusal comes back
on the page, naming what was wrong, and changes nothing; an invoice the user may not see is a 404,
a page the role may not open a 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.accounts.models import User
from accord.accounts.permissions import Can, require, user_of
from accord.core import ledger as core
from accord.ledger import documents, policy, selectors, services
from accord.ledger.models import Invoice, Month


def _month(text: str) -> str:
    try:
        return str(core.Month.parse(text))
    except ValueError:
        raise Http404(f"no month {text[:20]!r}") from None


def _month_row(month: str) -> Month:
    row = Month.objects.filter(month=month).first()
    if row is None:
        raise Http404(f"no ledger month {month}")
    return row


@login_required
def ledger_home(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Can.VIEW_LEDGER)
    return render(
        request,
        "ledger/home.html",
        {
            "months": selectors.months(user),
            "may_post": policy.may_post(user),
            "every_state": policy.sees_every_state(user),
        },
    )


@login_required
def ledger_month(request: HttpRequest, month: str) -> HttpResponse:
    user = user_of(request)
    require(user, Can.VIEW_LEDGER)
    row = _month_row(_month(month))
    return render(
        request,
        "ledger/month.html",
        {
            "row": row,
            "invoices": selectors.invoice_views(user, row.month),
            "not_assessed": [
                r
                for r in selectors.transit_rows(row.month, user, every_state=policy.sees_every_state(user))
                if r.not_assessed
            ],
            "may_post": policy.may_post(user),
            "every_state": policy.sees_every_state(user),
        },
    )


def _invoice(request: HttpRequest) -> selectors.InvoiceView:
    user = user_of(request)
    require(user, Can.VIEW_LEDGER)
    number = request.GET.get("number", "")
    found = selectors.invoice_view(user, number)
    if found is None:  # also another state's: not revealed
        raise Http404(f"no invoice {number[:80]!r}")
    return found


@login_required
def invoice_detail(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    invoice = _invoice(request)
    corrections = Invoice.objects.filter(number=invoice.number).values_list("corrections__month__month", flat=True)
    return render(
        request,
        "ledger/invoice.html",
        {
            "invoice": invoice,
            "corrected_in": sorted({m for m in corrections if m}),
            "may_correct": policy.may_post(user) and invoice.issued,
        },
    )


@login_required
def invoice_pdf(request: HttpRequest) -> HttpResponse:
    invoice = _invoice(request)
    pdf = documents.statement_pdf(documents.Statement(title=invoice.number, invoices=(invoice,)))
    return _download(pdf, "application/pdf", f"invoice-{_file_name(invoice.number)}.pdf")


def _readable_month(request: HttpRequest, month: str) -> tuple[User, Month]:
    user = user_of(request)
    require(user, Can.VIEW_LEDGER)
    return user, _month_row(_month(month))


@login_required
def statement_pdf(request: HttpRequest, month: str) -> HttpResponse:
    user, row = _readable_month(request, month)
    invoices = tuple(selectors.invoice_views(user, row.month))
    pdf = documents.statement_pdf(documents.Statement(title=row.month, invoices=invoices))
    return _download(pdf, "application/pdf", f"statement-{row.month}.pdf")


@login_required
def statement_csv(request: HttpRequest, month: str) -> HttpResponse:
    """The month's invoice lines as CSV: issued, or an open month's draft lines marked draft."""
    user, row = _readable_month(request, month)
    text = selectors.statement_csv(user, row.month)
    return _download(text.encode("utf-8"), "text/csv; charset=utf-8", f"statement-{row.month}.csv")


def _file_name(number: str) -> str:
    return number.replace("/", "_")


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def reconciliation(request: HttpRequest, month: str) -> HttpResponse:
    """invoiced = accrued = person-days x rate, for every agreement (finance and legal reviewers)."""
    user = user_of(request)
    require(user, Can.VIEW_LEDGER)
    if not policy.sees_every_state(user):
        raise PermissionDenied(_("The reconciliation covers every state's invoices."))
    row = _month_row(_month(month))
    return render(
        request,
        "ledger/reconciliation.html",
        {
            "row": row,
            "rows": selectors.reconciliation_rows(row.month),
            "transit": selectors.transit_rows(row.month),
            "differences": selectors.reconciliation(row.month),
        },
    )


# --- acts (POST), each a use case that records itself in the audit log -------------------------------


def _back(request: HttpRequest, month: str | None) -> HttpResponse:
    if month and Month.objects.filter(month=month).exists():
        return redirect("ledger_month", month=month)
    return redirect("ledger")


def _posted_month(request: HttpRequest) -> str | None:
    text = request.POST.get("month", "").strip()
    try:
        return str(core.Month.parse(text))
    except ValueError:
        messages.error(request, _("Month: %(value)r is not a month (YYYY-MM).") % {"value": text[:20]})
        return None


@login_required
@require_POST
def accrue(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Can.POST_LEDGER)
    month = _posted_month(request)
    if month is None:
        return redirect("ledger")
    try:
        result = services.accrue_month(month, actor=user)
    except services.LedgerError as err:
        messages.error(request, _("Nothing was accrued: %(reason)s") % {"reason": err})
        return _back(request, month)
    messages.success(
        request,
        _(
            "%(month)s accrued: %(days)s person-days posted in %(n)s transaction(s) (only what changed since the last run)."
        )
        % {"month": month, "days": result.person_days, "n": result.transactions},
    )
    if result.unknown_stays:
        messages.warning(
            request,
            _("%(n)s stay(s) with an unknown handover day were not accrued.") % {"n": result.unknown_stays},
        )
    if result.unpriced_days:
        messages.warning(
            request, _("%(n)s person-day(s) had no rate in force and were not accrued.") % {"n": result.unpriced_days}
        )
    if result.unknown_holds:
        messages.warning(
            request,
            _("%(n)s place(s) held since an unknown day were not billed as reserved places.")
            % {"n": result.unknown_holds},
        )
    return _back(request, month)


@login_required
@require_POST
def close(request: HttpRequest) -> HttpResponse:
    """Close a month (idempotent), once the reader has confirmed that a closed month never changes."""
    user = user_of(request)
    require(user, Can.POST_LEDGER)
    month = _posted_month(request)
    if month is None:
        return redirect("ledger")
    if request.POST.get("confirm") != "yes":
        messages.error(
            request,
            _("%(month)s was not closed: tick the confirmation (a closed month never changes).") % {"month": month},
        )
        return _back(request, month)
    already = Month.objects.filter(month=month, status=Month.Status.CLOSED).exists()
    try:
        issued = services.close_month(month, actor=user)
    except services.LedgerError as err:
        messages.error(request, _("%(month)s was not closed: %(reason)s") % {"month": month, "reason": err})
        return _back(request, month)
    if already:
        messages.info(request, _("%(month)s was already closed: nothing changed.") % {"month": month})
    else:
        messages.success(
            request, _("%(month)s is closed; %(n)s invoice(s) issued.") % {"month": month, "n": len(issued)}
        )
    return _back(request, month)


CORRECTION_FIELDS = ("invoice", "amount", "person_days", "facility", "reason")


@login_required
def correction_new(request: HttpRequest) -> HttpResponse:
    """A correction (negative: a credit note) of a closed month's invoice, posted into the next
    open month with a reference to it. Bad input comes back on the form, naming the field."""
    user = user_of(request)
    require(user, Can.POST_LEDGER)
    closed = list(Invoice.objects.filter(month__status=Month.Status.CLOSED).select_related("month"))
    if request.method != "POST":
        values = {"invoice": request.GET.get("invoice", ""), "person_days": "0"}
        return _correction_form(request, closed, values, [])
    values = {name: request.POST.get(name, "").strip() for name in CORRECTION_FIELDS}
    errors = []
    try:
        amount_minor = core.parse_minor(values["amount"])
    except ValueError:
        amount_minor = 0
        errors.append(_("Amount: %(value)r is not an amount such as 55.00 or -110.00.") % {"value": values["amount"]})
    try:
        person_days = int(values["person_days"] or "0")
    except ValueError:
        person_days = 0
        errors.append(_("Person-days: %(value)r is not a whole number.") % {"value": values["person_days"]})
    if not errors:
        try:
            tx = services.post_correction(
                values["invoice"],
                amount_minor=amount_minor,
                person_days=person_days,
                facility=values["facility"],
                reason=values["reason"],
                actor=user,
            )
        except services.LedgerError as err:
            errors.append(str(err))
        else:
            messages.success(
                request,
                _("Correction of %(invoice)s posted into %(month)s.")
                % {"invoice": values["invoice"], "month": tx.month.month},
            )
            return redirect("ledger_month", month=tx.month.month)
    return _correction_form(request, closed, values, errors, status=400)


def _correction_form(
    request: HttpRequest, closed: list[Invoice], values: dict[str, str], errors: list[str], status: int = 200
) -> HttpResponse:
    return render(
        request,
        "ledger/correct.html",
        {"invoices": closed, "values": values, "errors": errors},
        status=status,
    )
