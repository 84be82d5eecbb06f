"""What each role may do. One table, read by views, API and commands alike.

A receiving-state officer sees only cases referred to their own state and never protection or
fear data (8 C.F.R. §208.6); a monitor sees de-identified figures only.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.accounts.models import Role, User


class Can(StrEnum):
    VIEW_PEOPLE = "view_people"
    EDIT_PEOPLE = "edit_people"
    IMPORT_PEOPLE = "import_people"
    VIEW_PROTECTION = "view_protection"
    VIEW_CASES = "view_cases"
    OPEN_CASES = "open_cases"
    VIEW_FACILITIES = "view_facilities"
    VIEW_AGREEMENTS = "view_agreements"
    SCREEN = "screen"
    VIEW_STATISTICS = "view_statistics"
    VIEW_HOLDS = "view_holds"
    FILE_HOLDS = "file_holds"
    LIFT_HOLDS = "lift_holds"
    VIEW_AUDIT = "view_audit"
    MANAGE_ACCOUNTS = "manage_accounts"
    # Movements (issue #12): who sees which of them is in accord.movements.policy.
    VIEW_MOVEMENTS = "view_movements"
    MANAGE_MOVEMENTS = "manage_movements"
    RECEIVE_MOVEMENTS = "receive_movements"
    # Money (ledger): reading is scoped further in ledger.policy (a receiving officer: own state).
    VIEW_LEDGER = "view_ledger"
    POST_LEDGER = "post_ledger"


# What a refusal says the role may not do ("your role may not view ledger"), in the reader's language.
ACTION_LABELS = {
    Can.VIEW_PEOPLE: gettext_lazy("view people"),
    Can.EDIT_PEOPLE: gettext_lazy("edit people"),
    Can.IMPORT_PEOPLE: gettext_lazy("import people"),
    Can.VIEW_PROTECTION: gettext_lazy("view protection"),
    Can.VIEW_CASES: gettext_lazy("view cases"),
    Can.OPEN_CASES: gettext_lazy("open cases"),
    Can.VIEW_FACILITIES: gettext_lazy("view facilities"),
    Can.VIEW_AGREEMENTS: gettext_lazy("view agreements"),
    Can.SCREEN: gettext_lazy("screen"),
    Can.VIEW_STATISTICS: gettext_lazy("view statistics"),
    Can.VIEW_HOLDS: gettext_lazy("view holds"),
    Can.FILE_HOLDS: gettext_lazy("file holds"),
    Can.LIFT_HOLDS: gettext_lazy("lift holds"),
    Can.VIEW_AUDIT: gettext_lazy("view audit"),
    Can.MANAGE_ACCOUNTS: gettext_lazy("manage accounts"),
    Can.VIEW_MOVEMENTS: gettext_lazy("view movements"),
    Can.MANAGE_MOVEMENTS: gettext_lazy("manage movements"),
    Can.RECEIVE_MOVEMENTS: gettext_lazy("receive movements"),
    Can.VIEW_LEDGER: gettext_lazy("view ledger"),
    Can.POST_LEDGER: gettext_lazy("post ledger"),
}


_SENDING_STAFF = {
    Can.VIEW_PEOPLE,
    Can.VIEW_PROTECTION,
    Can.VIEW_CASES,
    Can.VIEW_FACILITIES,
    Can.VIEW_AGREEMENTS,
    Can.SCREEN,
    Can.VIEW_STATISTICS,
    Can.VIEW_HOLDS,
    Can.FILE_HOLDS,
    Can.VIEW_AUDIT,
    Can.VIEW_MOVEMENTS,
}

GRANTS: dict[str, frozenset[Can]] = {
    Role.CASE_OFFICER: frozenset(
        _SENDING_STAFF | {Can.EDIT_PEOPLE, Can.IMPORT_PEOPLE, Can.OPEN_CASES, Can.MANAGE_MOVEMENTS}
    ),
    # Lifting a hold ends a court's or a claim's protection: a lawyer's act.
    Role.LEGAL_REVIEWER: frozenset(_SENDING_STAFF | {Can.LIFT_HOLDS, Can.VIEW_LEDGER}),
    # Sees referred cases of its own state only; never protection or fear data (8 C.F.R. §208.6).
    Role.RECEIVING_OFFICER: frozenset(
        {
            Can.VIEW_CASES,
            Can.VIEW_FACILITIES,
            Can.VIEW_AGREEMENTS,
            Can.VIEW_MOVEMENTS,
            Can.RECEIVE_MOVEMENTS,
            Can.VIEW_LEDGER,
        }
    ),
    # Finance reads and posts money (accruals, closes, corrections); nobody else posts.
    Role.FINANCE: frozenset(
        {
            Can.VIEW_FACILITIES,
            Can.VIEW_AGREEMENTS,
            Can.VIEW_STATISTICS,
            Can.VIEW_MOVEMENTS,
            Can.VIEW_LEDGER,
            Can.POST_LEDGER,
        }
    ),
    # An inspector checks the audit chain and the occupancy; people and cases stay de-identified.
    Role.MONITOR: frozenset(
        {Can.VIEW_FACILITIES, Can.VIEW_AGREEMENTS, Can.VIEW_STATISTICS, Can.VIEW_AUDIT, Can.VIEW_MOVEMENTS}
    ),
    # Least privilege: the administrator manages accounts and roles and nothing else. No person
    # record, no case, no hold (filing or lifting one is a legal act), no workflow step (those
    # belong to the roles named in core.workflow); de-identified figures and the chain check only.
    Role.ADMIN: frozenset(
        {Can.MANAGE_ACCOUNTS, Can.VIEW_FACILITIES, Can.VIEW_AGREEMENTS, Can.VIEW_STATISTICS, Can.VIEW_AUDIT}
    ),
}


def can(user: User | AnonymousUser | None, action: Can) -> bool:
    """Whether the user's role grants the action: never to an anonymous visitor or an inactive account."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated or not user.is_active:
        return False
    return action in GRANTS.get(user.role, frozenset())


def require(user: User | AnonymousUser | None, action: Can) -> None:
    """Raise PermissionDenied unless the user's role grants the action."""
    if not can(user, action):
        raise PermissionDenied(_("your role may not %(action)s") % {"action": ACTION_LABELS[action]})


def user_of(request: HttpRequest) -> User:
    """The signed-in user of a request that passed ``login_required`` (or the admin site's door,
    ``AccordAdminSite.has_permission``). Nobody signed in is refused, never taken for a user."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied(_("sign in first"))
    return user
