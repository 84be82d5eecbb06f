"""Who sees which money. Finance and legal reviewers read every invoice; a receiving officer reads
only the invoices of their own state (as payer or payee); nobody else reads any. Only finance
posts, closes and corrects (``Can.POST_LEDGER``, checked in every service)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from accord.accounts.models import Role, User
from accord.accounts.permissions import Can, can
from accord.ledger.models import Invoice


def visible_invoices(user: User | AnonymousUser | None) -> QuerySet[Invoice]:
    if not can(user, Can.VIEW_LEDGER) or not isinstance(user, User):
        return Invoice.objects.none()
    if user.role == Role.RECEIVING_OFFICER:
        return Invoice.objects.filter(Q(payee=user.receiving_state) | Q(payer=user.receiving_state))
    return Invoice.objects.all()


def may_see_invoice(user: User | AnonymousUser | None, payer: str, payee: str) -> bool:
    """The same rule as ``visible_invoices``, for an invoice not issued yet (an open month's draft)."""
    if not can(user, Can.VIEW_LEDGER) or not isinstance(user, User):
        return False
    if user.role == Role.RECEIVING_OFFICER:
        return user.receiving_state in (payer, payee)
    return True


def sees_every_state(user: User | AnonymousUser | None) -> bool:
    """Finance and legal reviewers: the reconciliation and the month's totals cover every state."""
    return can(user, Can.VIEW_LEDGER) and isinstance(user, User) and user.role != Role.RECEIVING_OFFICER


def may_post(user: User | AnonymousUser | None) -> bool:
    return can(user, Can.POST_LEDGER)
