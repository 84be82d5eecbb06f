"""Who may see and do what with a case: one place, read by the use cases, pages, API and CLI
(``redaction`` applies it to what is shown).

Receiving-state officers see only cases sent to their own state, and of those only what the
receiving state holds: the minimum record it was sent, its own part of the workflow, and the
place. Never an outcome, a rule, a citation, a reason or a date of screening: whatever the sending
state's reason for taking a case back (a protection or fear claim, a pending order, a hold, a
changed record), they see the one neutral state ``returned`` (8 C.F.R. §208.6: not even that a
claim exists may be told to the state the person fears).

Four eyes: the legal reviewer who approves a case never opened, screened or submitted it, at any
time and in any role (``Participation`` remembers everyone who did). Carrying out an approval (referring it,
say) is not preparing it: an approver later made a case officer may refer the case.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accord import db
from accord.accounts.models import Role, User
from accord.accounts.permissions import Can, can
from accord.capacity.selectors import occupies_place
from accord.cases.models import REFERRED_STATES, Case, Participation, State
from accord.core.workflow import (
    RETURNED,
    RETURNED_NOTICE,
    VIA_MOVEMENT,
    VIA_MOVEMENT_ONLY,
    Step,
    Transition,
    seen_by_receiving_state,
    steps_for,
)

# Refusals are worded in the reader's language (a page's; the API and the CLI answer in English).
FOUR_EYES = gettext_noop(
    "Four eyes: a legal reviewer who never opened, screened or submitted this case must approve it"
)
NOTHING_TO_RELEASE = gettext_noop("Nothing to release: case %(case)s holds no occupied place")


# --- four eyes ----------------------------------------------------------------------------------


def took_part(case: Case, user: User) -> bool:
    """Whether the user ever opened, screened or submitted the case."""
    return bool(db.rows(_part_of, case.pk, user.pk))  # compiled once: every approval asks


def _part_of(case_id: int, user_id: int) -> QuerySet[Participation, tuple[int]]:
    return Participation.objects.filter(case_id=case_id, user_id=user_id).values_list("pk")[:1]


def took_part_in(user: User) -> Exists:
    """``took_part`` for a queryset of cases (the reviewer's queue leaves out their own cases)."""
    return Exists(Participation.objects.filter(case=OuterRef("pk"), user=user))


# --- receiving-state scoping ----------------------------------------------------------------------


def sent_to(state: str) -> Q:
    """Cases ever referred to the receiving ``state``: they stay in front of it, as ``returned``
    when the sending state takes one back."""
    return Q(receiving_state=state) & (Q(referral__isnull=False) | Q(state__in=REFERRED_STATES))


def receiving_officer_may_see(user: User, case: Case) -> bool:
    return case.receiving_state == user.receiving_state and (case.referral is not None or case.state in REFERRED_STATES)


def seen_state(user: User, case: Case) -> str:
    """The state the user is shown: receiving officers see ``returned`` for the sending side's states."""
    return seen_by_receiving_state(case.state) if user.role == Role.RECEIVING_OFFICER else case.state


# --- who reads what -----------------------------------------------------------------------------


def sees_screening(user: User) -> bool:
    """Outcome, rule results, reasons and citations: the sending state's own staff only."""
    return can(user, Can.VIEW_PROTECTION)


def sees_legal_notes(user: User) -> bool:
    """The reviewer's approval reason and the reasons of sending-side steps may discuss protection
    or fear claims (8 C.F.R. §208.6): only those who may see protection data read them."""
    return can(user, Can.VIEW_PROTECTION)


def sees_protection(user: User | None) -> bool:
    """Protection and fear rules' results and reasons: withheld from everyone else."""
    return can(user, Can.VIEW_PROTECTION)


# --- who may take which step ------------------------------------------------------------------------


def role_refusal(user: User, chosen: Transition) -> str | None:
    """Why the user's role may not take the step at all (checked before the case is looked up,
    so that a refusal never tells whether a case exists)."""
    if not user.is_active or user.role not in chosen.roles:
        return _("Your role (%(role)s) may not %(step)s") % {
            "role": user.get_role_display(),
            "step": step_words(chosen),
        }
    return None


def step_refusal(user: User, case: Case, chosen: Transition) -> str | None:
    """Why the user may not take the step on this case now, or None: the one check behind both
    the refusal of a step and the steps a page or the API offers. A case a receiving officer may
    not see at all is the caller's business (it is not found, not refused)."""
    if refusal := role_refusal(user, chosen):
        return refusal
    if chosen.step in VIA_MOVEMENT:
        return VIA_MOVEMENT_ONLY.format(step=chosen.step.value)
    if seen_state(user, case) == RETURNED:
        return _(RETURNED_NOTICE).format(case=case.pk)  # never which of the sending side's states
    if case.state not in chosen.sources:
        allowed = ", ".join(str(State(s).label) for s in sorted(chosen.sources))
        return _("Cannot %(step)s: the case is %(state)s, not %(allowed)s") % {
            "step": step_words(chosen),
            "state": case.get_state_display(),
            "allowed": allowed,
        }
    if chosen.step == Step.APPROVE and took_part(case, user):
        return _(FOUR_EYES)
    if chosen.step == Step.RELEASE and not occupies_place(case.pk):
        return _(NOTHING_TO_RELEASE) % {"case": case.pk}
    return None


def step_words(chosen: Transition) -> str:
    """The step as a refusal reads it inside a sentence: "may not approve"."""
    return _(chosen.label).lower()


def next_steps(case: Case, user: User) -> list[Transition]:
    """The steps this user may take on this case now: exactly those ``step_refusal`` lets through."""
    if user.role == Role.RECEIVING_OFFICER and not receiving_officer_may_see(user, case):
        return []
    return [t for t in steps_for(case.state, user.role) if step_refusal(user, case, t) is None]
