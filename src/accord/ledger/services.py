"""The ledger's use cases: accrue a month, issue its invoices, close it, post a correction into the
next open month, charge a movement's transport. One function per use case; each runs in one
transaction, records its change in the audit log, and refuses what would change a closed month
(the database refuses it too: ``ledger.triggers``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import polars as pl
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.accounts.models import User
from accord.accounts.permissions import Can, require
from accord.audit.services import record
from accord.core import ledger as core
from accord.core.screening import default_dataset
from accord.ledger import selectors
from accord.ledger.models import Account, Invoice, InvoiceLine, Line, Month, Posting, Transaction, TransitAssessment


class LedgerError(ValueError):
    """A refused ledger action (closed month, unbalanced entry, bad input): nothing was changed."""


@dataclass(frozen=True)
class Entry:
    """One leg of a transaction to post: account code and kind, signed amount, currency."""

    account: str
    kind: str
    amount_minor: int
    currency: str


def post(
    month: Month,
    kind: str,
    description: str,
    entries: list[Entry],
    lines: list[Line],
    *,
    actor: User | None,
    reference: str = "",
    corrects: Invoice | None = None,
) -> Transaction:
    """Write one balanced transaction with its lines. Refused (LedgerError) when unbalanced or
    when the month is closed; the database refuses both as well."""
    if month.status == Month.Status.CLOSED:
        raise LedgerError(_("month %(month)s is closed: nothing is posted into it") % {"month": month.month})
    if len(entries) < 2:
        raise LedgerError("a transaction needs at least two postings")
    for currency in {e.currency for e in entries}:
        total = sum(e.amount_minor for e in entries if e.currency == currency)
        if total != 0:
            raise LedgerError(f"transaction does not balance: {currency} postings sum to {total}")
    if any(e.amount_minor == 0 or not isinstance(e.amount_minor, int) for e in entries):
        raise LedgerError("every posting is a non-zero integer amount of minor units")
    tx_id = uuid.uuid4()
    accounts = {e.account: _account(e.account, e.kind, e.currency) for e in entries}
    Posting.objects.bulk_create(
        Posting(transaction_id=tx_id, account=accounts[e.account], amount_minor=e.amount_minor, currency=e.currency)
        for e in entries
    )
    tx = Transaction.objects.create(
        id=tx_id,
        month=month,
        kind=kind,
        description=description,
        reference=reference,
        corrects=corrects,
        created_by=actor,
    )
    for line in lines:
        line.transaction = tx
        line.month = month
    Line.objects.bulk_create(lines)
    return tx


def _account(code: str, kind: str, currency: str) -> Account:
    account, _ = Account.objects.get_or_create(code=code, defaults={"kind": kind, "currency": currency})
    if account.currency != currency:
        raise LedgerError(f"account {code} is in {account.currency}, not {currency}")
    return account


def _receivable(payer: str, payee: str, currency: str) -> str:
    return f"receivable:{payer}->{payee}:{currency}"


def _income(payee: str, agreement_id: str, what: str, currency: str) -> str:
    return f"income:{payee}:{agreement_id}:{what}:{currency}"


def open_month(month: str) -> Month:
    core.Month.parse(month)
    row, _ = Month.objects.get_or_create(month=month)
    return row


@dataclass(frozen=True)
class AccrualResult:
    month: str
    transactions: int
    person_days: int  # person-days of occupancy, and place-days held where a fee bills them
    amount_minor: int
    unknown_stays: int
    unpriced_days: int
    unknown_holds: int = 0  # places held whose hold day is unknown: not billed


# What each accrual kind bills, and the income account it credits.
ACCRUED_KINDS: dict[str, str] = {
    Transaction.Kind.ACCRUAL: "person-days",
    Transaction.Kind.RESERVED: "reserved-places",
    Transaction.Kind.PLACE_YEAR: "contracted-places",
}
assert set(ACCRUED_KINDS) == set(selectors.ACCRUED_KINDS)


def accrue_month(month: str, *, actor: User | None) -> AccrualResult:
    """Accrue the month's person-day fees from the occupancy periods (and, where a fee bills them,
    the place-days held but not occupied), up to today when the month has not ended (days not yet
    happened are not billed; a later run adds them). Idempotent: what was accrued before is
    subtracted, so a second run posts only the difference (none when nothing changed); a
    late-recorded release posts the difference as a new entry, never an edit."""
    require(actor, Can.POST_LEDGER)
    parsed = core.Month.parse(month)
    with transaction.atomic():
        row = open_month(month)
        if row.status == Month.Status.CLOSED:
            raise LedgerError(_("month %(month)s is closed: it is not accrued again") % {"month": month})
        accruals = selectors.accrual_lines(parsed, timezone.localdate())
        count, days, amount = 0, 0, 0
        for kind, accrual in accruals.items():
            delta = _difference(accrual.lines, _posted(row, kind))
            count += _post_accrual(row, kind, delta, actor)
            days += int(delta["person_days"].sum()) if delta.height else 0
            amount += int(delta["amount_minor"].sum()) if delta.height else 0
        held = accruals.get(Transaction.Kind.RESERVED)
        summary = AccrualResult(
            month,
            count,
            days,
            amount,
            accruals[Transaction.Kind.ACCRUAL].unknown_stays,
            sum(a.unpriced_days for a in accruals.values()),
            held.unknown_stays if held else 0,
        )
        after = {k: v for k, v in summary.__dict__.items() if k != "month"}
        record(actor, "ledger.accrue", "ledger_month", month, after=after)
    return summary


def _post_accrual(row: Month, kind: str, delta: pl.DataFrame, actor: User | None) -> int:
    """One transaction per agreement, payer, payee and currency of the difference; how many posted."""
    count = 0
    what = ACCRUED_KINDS[kind]
    for (agreement_id, payer, payee, currency), group in delta.group_by(
        ["agreement_id", "payer", "payee", "currency"], maintain_order=True
    ):
        total = int(group["amount_minor"].sum())
        if total == 0:
            continue
        lines = [
            Line(
                agreement_id=r["agreement_id"],
                fee_id=r["fee_id"],
                payer=r["payer"],
                payee=r["payee"],
                facility=r["facility"],
                currency=r["currency"],
                rate_start=r["rate_start"],
                rate_minor=r["rate_minor"],
                person_days=r["person_days"],
                amount_minor=r["amount_minor"],
                assumption=r["assumption"],
            )
            for r in group.iter_rows(named=True)
        ]
        receivable = _receivable(str(payer), str(payee), str(currency))
        post(
            row,
            kind,
            f"{what} fees {row.month} ({agreement_id}, {payer} to {payee})",
            [
                Entry(receivable, Account.Kind.RECEIVABLE, total, str(currency)),
                Entry(
                    _income(str(payee), str(agreement_id), what, str(currency)),
                    Account.Kind.INCOME,
                    -total,
                    str(currency),
                ),
            ],
            lines,
            actor=actor,
        )
        count += 1
    return count


def _posted(row: Month, kind: str = Transaction.Kind.ACCRUAL) -> pl.DataFrame:
    """Lines of one accrual kind already posted for the month, summed per key (LINE_COLUMNS)."""
    rows = list(
        Line.objects.filter(month=row, transaction__kind=kind)
        .values(*selectors.LINE_KEYS)
        .annotate(person_days_sum=Sum("person_days"), amount_sum=Sum("amount_minor"))
        .order_by()
    )
    frame = pl.DataFrame(
        [
            {
                **{k: r[k] for k in selectors.LINE_KEYS},
                "person_days": int(r["person_days_sum"]),
                "amount_minor": int(r["amount_sum"]),
            }
            for r in rows
        ],
        schema={
            "agreement_id": pl.String,
            "fee_id": pl.String,
            "payer": pl.String,
            "payee": pl.String,
            "facility": pl.String,
            "currency": pl.String,
            "rate_start": pl.Date,
            "rate_minor": pl.Int64,
            "assumption": pl.Boolean,
            "person_days": pl.Int64,
            "amount_minor": pl.Int64,
        },
    )
    return frame.with_columns(pl.lit(row.month).alias("month")).select(core.LINE_COLUMNS)


def _difference(accrued: pl.DataFrame, posted: pl.DataFrame) -> pl.DataFrame:
    keys = [*selectors.LINE_KEYS, "month"]
    joined = accrued.join(posted, on=keys, how="full", coalesce=True, suffix="_posted").with_columns(
        (pl.col("person_days").fill_null(0) - pl.col("person_days_posted").fill_null(0)).alias("person_days"),
        (pl.col("amount_minor").fill_null(0) - pl.col("amount_minor_posted").fill_null(0)).alias("amount_minor"),
    )
    return joined.filter((pl.col("amount_minor") != 0) | (pl.col("person_days") != 0)).select(core.LINE_COLUMNS)


def close_month(month: str, *, actor: User | None) -> list[Invoice]:
    """Accrue what is left, issue the month's invoices (one per agreement, payer, payee and
    currency, from every line of the month) and close it. Idempotent: closing a closed month
    changes nothing and returns its invoices."""
    require(actor, Can.POST_LEDGER)
    parsed = core.Month.parse(month)
    with transaction.atomic():
        existing = Month.objects.select_for_update().filter(month=month).first()
        if existing is not None and existing.status == Month.Status.CLOSED:
            return list(existing.invoices.all())
        if parsed.last > timezone.localdate():
            # Its remaining days would never be billed: a closed month never changes.
            raise LedgerError(
                _("month %(month)s has not ended: it can be closed from %(day)s on")
                % {"month": month, "day": parsed.last.isoformat()}
            )
        accrue_month(month, actor=actor)
        row = Month.objects.select_for_update().get(month=month)
        invoices = _issue(row)
        row.status = Month.Status.CLOSED
        row.closed_at = timezone.now()
        row.closed_by = actor
        row.save(update_fields=["status", "closed_at", "closed_by"])
        record(
            actor,
            "ledger.close",
            "ledger_month",
            month,
            before={"status": "open"},
            after={"status": "closed", "invoices": [i.number for i in invoices]},
        )
    return invoices


def _issue(row: Month) -> list[Invoice]:
    issued: list[Invoice] = []
    for invoice, items in selectors.draft_invoices(row):
        invoice.save()
        for item in items:
            item.invoice = invoice
        InvoiceLine.objects.bulk_create(items)
        issued.append(invoice)
    return issued


def next_open_month(after: str) -> Month:
    """The first month after ``after`` that is not closed (created open when missing)."""
    candidate = core.Month.parse(after).next()
    while Month.objects.filter(month=str(candidate), status=Month.Status.CLOSED).exists():
        candidate = candidate.next()
    return open_month(str(candidate))


def post_correction(
    invoice_number: str,
    *,
    amount_minor: int,
    person_days: int,
    facility: str,
    reason: str,
    actor: User | None,
) -> Transaction:
    """A correction (a credit note when negative) of a closed month's invoice, posted into the next
    open month with a reference to the invoice it corrects. The closed month is not touched."""
    require(actor, Can.POST_LEDGER)
    if not reason.strip():
        raise LedgerError(_("a correction needs a reason"))
    if amount_minor == 0:
        raise LedgerError(_("a correction of 0 changes nothing"))
    with transaction.atomic():
        invoice = Invoice.objects.select_related("month").filter(number=invoice_number).first()
        if invoice is None:
            raise LedgerError(_("no invoice %(number)s") % {"number": invoice_number})
        target = next_open_month(invoice.month.month)
        tx = post(
            target,
            Transaction.Kind.CORRECTION,
            f"correction of {invoice.number}: {reason}",
            [
                Entry(
                    _receivable(invoice.payer, invoice.payee, invoice.currency),
                    Account.Kind.RECEIVABLE,
                    amount_minor,
                    invoice.currency,
                ),
                Entry(
                    _income(invoice.payee, invoice.agreement_id, "corrections", invoice.currency),
                    Account.Kind.INCOME,
                    -amount_minor,
                    invoice.currency,
                ),
            ],
            [
                Line(
                    agreement_id=invoice.agreement_id,
                    payer=invoice.payer,
                    payee=invoice.payee,
                    facility=facility,
                    currency=invoice.currency,
                    person_days=person_days,
                    amount_minor=amount_minor,
                    assumption=invoice.assumption,
                    reference=invoice.number,
                )
            ],
            actor=actor,
            reference=invoice.number,
            corrects=invoice,
        )
        record(
            actor,
            "ledger.correct",
            "ledger_transaction",
            str(tx.pk),
            after={"corrects": invoice.number, "month": target.month, "amount_minor": amount_minor},
            reason=reason,
        )
    return tx


def charge_transport(
    movement_ref: str,
    agreement_id: str,
    payer: str,
    amount_minor: int,
    currency: str,
    day: dt.date,
    *,
    actor: User | None = None,
    payee: str = "",
    assumption: bool = True,
) -> Transaction:
    """The transport cost of one movement, charged to the payer the agreement names, in the month
    of ``day`` (or the next open month when that one is closed). For the movements app to call;
    idempotent per movement (a second call returns the first charge)."""
    if not movement_ref:
        raise LedgerError("a transport charge names its movement")
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise LedgerError(f"transport amount {amount_minor!r} is not a positive integer of minor units")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise LedgerError(f"currency {currency!r} is not an ISO 4217 code (three capital letters)")
    try:
        agreement = default_dataset().agreement(agreement_id)
    except KeyError as err:  # UnknownAgreementError
        raise LedgerError(str(err.args[0] if err.args else err)) from None
    to = payee or agreement.receiving_state
    for name, state in (("payer", payer), ("payee", to)):
        if len(state) != 2 or not state.isalpha() or not state.isupper():
            raise LedgerError(f"{name} {state!r} is not a two-letter country code")
    if payer == to:
        raise LedgerError(f"payer and payee are both {payer}")
    with transaction.atomic():
        done = Transaction.objects.filter(kind=Transaction.Kind.TRANSPORT, reference=movement_ref).first()
        if done is not None:
            # Idempotent for the same charge; a different one for the same movement is refused,
            # never silently dropped (a correction is the way to change it).
            first = done.lines.get()
            asked = (agreement_id, payer, to, amount_minor, currency)
            found = (first.agreement_id, first.payer, first.payee, first.amount_minor, first.currency)
            if asked != found:
                raise LedgerError(
                    f"movement {movement_ref} was already charged {found}; this charge {asked} differs: post a "
                    "correction instead"
                )
            return done
        month = day.strftime("%Y-%m")
        row = open_month(month)
        if row.status == Month.Status.CLOSED:
            row = next_open_month(month)
        tx = post(
            row,
            Transaction.Kind.TRANSPORT,
            f"transport of movement {movement_ref}",
            [
                Entry(_receivable(payer, to, currency), Account.Kind.RECEIVABLE, amount_minor, currency),
                Entry(_income(to, agreement_id, "transport", currency), Account.Kind.INCOME, -amount_minor, currency),
            ],
            [
                Line(
                    agreement_id=agreement_id,
                    payer=payer,
                    payee=to,
                    currency=currency,
                    amount_minor=amount_minor,
                    assumption=assumption,
                    reference=movement_ref,
                )
            ],
            actor=actor,
            reference=movement_ref,
        )
        record(
            actor,
            "ledger.transport",
            "ledger_transaction",
            str(tx.pk),
            after={"movement": movement_ref, "month": row.month, "amount_minor": amount_minor, "currency": currency},
        )
    return tx


def charge_transit(
    movement_ref: str, charges: list[core.TransitCharge], day: dt.date, *, actor: User | None = None
) -> Transaction | None:
    """A movement's per-passenger transit fees (``core.assess_transit``): every assessment is
    recorded (``TransitAssessment``, charged or not, with the passengers not assessed because
    their nationality is unknown), and what is due is posted as one transaction with a line per
    fee term, in the month of ``day`` (or the next open month). None when nothing is due.
    Idempotent per movement: a second call changes nothing and returns the first charge."""
    if not movement_ref:
        raise LedgerError("a transit charge names its movement")
    with transaction.atomic():
        if TransitAssessment.objects.filter(reference=movement_ref).exists():
            return Transaction.objects.filter(kind=Transaction.Kind.TRANSIT, reference=movement_ref).first()
        if not charges:
            return None
        month = day.strftime("%Y-%m")
        row = open_month(month)
        if row.status == Month.Status.CLOSED:
            row = next_open_month(month)
        TransitAssessment.objects.bulk_create(
            TransitAssessment(
                month=row,
                reference=movement_ref,
                day=day,
                agreement_id=c.agreement_id,
                fee_id=c.fee_id,
                payer=c.payer,
                payee=c.payee,
                airport=c.airport,
                currency=c.currency,
                rate_start=c.rate_start,
                rate_minor=c.rate_minor,
                passengers=c.passengers,
                not_assessed=c.not_assessed,
                assumption=c.assumption,
            )
            for c in charges
        )
        due = [c for c in charges if c.amount_minor > 0]
        tx = _post_transit(row, movement_ref, due, actor) if due else None
        record(
            actor,
            "ledger.transit",
            "ledger_month",
            row.month,
            after={
                "movement": movement_ref,
                "transaction": str(tx.pk) if tx else None,
                "fees": [
                    {
                        "fee": f"{c.agreement_id}.{c.fee_id}",
                        "passengers": c.passengers,
                        "not_assessed": c.not_assessed,
                        "amount_minor": c.amount_minor,
                    }
                    for c in charges
                ],
            },
        )
    return tx


def _post_transit(row: Month, movement_ref: str, due: list[core.TransitCharge], actor: User | None) -> Transaction:
    entries: list[Entry] = []
    for c in due:
        entries += [
            Entry(_receivable(c.payer, c.payee, c.currency), Account.Kind.RECEIVABLE, c.amount_minor, c.currency),
            Entry(
                _income(c.payee, c.agreement_id, "transit", c.currency),
                Account.Kind.INCOME,
                -c.amount_minor,
                c.currency,
            ),
        ]
    lines = [
        Line(
            agreement_id=c.agreement_id,
            fee_id=c.fee_id,
            payer=c.payer,
            payee=c.payee,
            facility=c.airport,
            currency=c.currency,
            rate_start=c.rate_start,
            rate_minor=c.rate_minor,
            amount_minor=c.amount_minor,
            assumption=c.assumption,
            reference=movement_ref,
            passengers=c.passengers,
            not_assessed=c.not_assessed,
        )
        for c in due
    ]
    return post(
        row,
        Transaction.Kind.TRANSIT,
        f"transit fees of movement {movement_ref}",
        entries,
        lines,
        actor=actor,
        reference=movement_ref,
    )
