"""The case workflow of DESIGN.md §4 as data: states, the steps between them, and who may take each.

Pure: no database and no web framework. The Django use cases in ``accord.cases.steps`` carry
the steps out (locking, re-screening, reservations, the audit log); views, API and CLI only ask
this table what a role may do next. Roles are the strings of ``accounts.Role``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"  # never stored: a case is screened in the transaction that opens it
    SCREENED = "screened"
    LEGAL_REVIEW = "legal_review"
    APPROVED = "approved"
    REFERRED = "referred"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    IN_TRANSIT = "in_transit"
    HANDED_OVER = "handed_over"
    CLOSED = "closed"
    REJECTED = "rejected"
    BLOCKED = "blocked"
    ON_HOLD = "on_hold"
    WITHDRAWN = "withdrawn"


class Step(StrEnum):
    SUBMIT = "submit"
    SEND_BACK = "send_back"
    APPROVE = "approve"
    REFER = "refer"
    ACCEPT = "accept"
    REJECT = "reject"
    SCHEDULE = "schedule"
    DEPART = "depart"
    HAND_OVER = "hand_over"
    CLOSE = "close"
    RELEASE = "release"
    WITHDRAW = "withdraw"
    RESCREEN = "rescreen"


CASE_OFFICER, LEGAL_REVIEWER, RECEIVING_OFFICER = "case_officer", "legal_reviewer", "receiving_officer"

# A case in one of these states is over: it frees the person for a new case under the agreement.
ENDED = frozenset({State.CLOSED, State.REJECTED, State.WITHDRAWN})
# Before handover the person has not been moved: a hold or a new bar can still stop the move.
NOT_YET_MOVED = frozenset(
    {
        State.SCREENED,
        State.LEGAL_REVIEW,
        State.APPROVED,
        State.REFERRED,
        State.ACCEPTED,
        State.SCHEDULED,
        State.IN_TRANSIT,
    }
)
# States in which the receiving state has the case in front of it (and keeps seeing it after).
REFERRED = frozenset(
    {State.REFERRED, State.ACCEPTED, State.SCHEDULED, State.IN_TRANSIT, State.HANDED_OVER, State.CLOSED, State.REJECTED}
)
# A case sent to the receiving state, not yet handed over: the record it was sent must still hold.
SENT = frozenset({State.REFERRED, State.ACCEPTED, State.SCHEDULED, State.IN_TRANSIT})
# What a receiving-state officer sees of a case the sending state has taken back, whatever the
# reason (a bar, a hold, a protection claim, a pending order, a changed record, a withdrawal):
# one state and one sentence, so that no reason can be told from another (8 C.F.R. §208.6).
RETURNED = "returned"
RETURNED_LABEL = "returned to the sending state for review"
RETURNED_NOTICE = (
    "Case {case} has been returned to the sending state for review. "
    "Do not receive this person unless the case is referred again."
)


def seen_by_receiving_state(state: str) -> str:
    """The state a receiving-state officer is shown: their own part of the workflow as it is, and
    everything the sending state does on its side as the one neutral ``returned``."""
    return state if state in REFERRED else RETURNED


# States that mean an approved move: a barred person must never be in one.
PAST_APPROVAL = frozenset(
    {State.APPROVED, State.REFERRED, State.ACCEPTED, State.SCHEDULED, State.IN_TRANSIT, State.HANDED_OVER}
)


@dataclass(frozen=True)
class Transition:
    step: Step
    label: str
    sources: frozenset[State]
    target: State
    roles: frozenset[str]
    # Screen again on the day and refuse when the person is barred: every step that moves the
    # person nearer the border does; recording what already happened (close) does not.
    rescreens: bool
    needs_reason: bool = False
    help: str = ""


def _t(
    step: Step,
    label: str,
    sources: set[State],
    target: State,
    roles: set[str],
    *,
    rescreens: bool = True,
    needs_reason: bool = False,
    help: str = "",
) -> Transition:
    return Transition(step, label, frozenset(sources), target, frozenset(roles), rescreens, needs_reason, help)


TRANSITIONS: dict[Step, Transition] = {
    t.step: t
    for t in (
        _t(Step.SUBMIT, "Submit for legal review", {State.SCREENED}, State.LEGAL_REVIEW, {CASE_OFFICER}),
        _t(
            Step.SEND_BACK,
            "Send back to the case officer",
            {State.LEGAL_REVIEW},
            State.SCREENED,
            {LEGAL_REVIEWER},
            rescreens=False,
            needs_reason=True,
        ),
        _t(
            Step.APPROVE,
            "Approve",
            {State.LEGAL_REVIEW},
            State.APPROVED,
            {LEGAL_REVIEWER},
            help="By a legal reviewer who never opened, screened or submitted the case. A review point needs a "
            "written reason.",
        ),
        _t(
            Step.REFER,
            "Refer to the receiving state",
            {State.APPROVED},
            State.REFERRED,
            {CASE_OFFICER},
            help="Sends the minimum record (identity, nationality, placement, facility, clause; conviction for "
            "prison) to the receiving state. Any later change to it returns the case here.",
        ),
        _t(
            Step.ACCEPT,
            "Accept",
            {State.REFERRED},
            State.ACCEPTED,
            {RECEIVING_OFFICER},
            help="Reserves a place in the facility; a full facility or an exhausted quota gives a waitlist position.",
        ),
        _t(
            Step.REJECT,
            "Reject",
            {State.REFERRED, State.ACCEPTED},
            State.REJECTED,
            {RECEIVING_OFFICER},
            rescreens=False,
            needs_reason=True,
        ),
        _t(Step.SCHEDULE, "Schedule the move", {State.ACCEPTED}, State.SCHEDULED, {CASE_OFFICER}),
        _t(Step.DEPART, "Record departure", {State.SCHEDULED}, State.IN_TRANSIT, {CASE_OFFICER}),
        _t(Step.HAND_OVER, "Confirm handover", {State.IN_TRANSIT}, State.HANDED_OVER, {RECEIVING_OFFICER}),
        _t(Step.CLOSE, "Close", {State.HANDED_OVER}, State.CLOSED, {CASE_OFFICER}, rescreens=False),
        _t(
            Step.RELEASE,
            "Record release from the facility",
            {State.HANDED_OVER, State.CLOSED},
            State.CLOSED,
            {RECEIVING_OFFICER},
            rescreens=False,
            needs_reason=True,
            help="The person has left the facility (sentence served, released, transferred): the place is free "
            "again and goes to the first in line. Offered only while the case occupies a place.",
        ),
        _t(
            Step.WITHDRAW,
            "Withdraw",
            {
                State.SCREENED,
                State.LEGAL_REVIEW,
                State.APPROVED,
                State.REFERRED,
                State.ACCEPTED,
                State.SCHEDULED,
                State.BLOCKED,
                State.ON_HOLD,
            },
            State.WITHDRAWN,
            {CASE_OFFICER},
            rescreens=False,
            needs_reason=True,
        ),
        _t(
            Step.RESCREEN,
            "Screen again",
            {State.SCREENED, State.BLOCKED},
            State.SCREENED,
            {CASE_OFFICER},
            rescreens=False,  # it screens, and a bar sends the case to blocked instead of refusing
            help="Applies today's data and rules; a bar moves the case to blocked, its removal back to screened.",
        ),
    )
}


# Steps only a movement takes (issue #12, ``accord.movements``): putting a case on a movement
# schedules it, its departure (refused until the whole manifest validates) sends it in transit, a
# handover recorded person by person hands it over. No case takes them on its own, by any path
# (page, API, CLI, demo): what moves is a validated manifest, never one case's step.
VIA_MOVEMENT = frozenset({Step.SCHEDULE, Step.DEPART, Step.HAND_OVER})


class CaseStep(StrEnum):
    """The steps a user takes on one case by itself: every ``Step`` but those of ``VIA_MOVEMENT``
    (the API's step field, so that the OpenAPI document lists exactly these)."""

    SUBMIT = Step.SUBMIT.value
    SEND_BACK = Step.SEND_BACK.value
    APPROVE = Step.APPROVE.value
    REFER = Step.REFER.value
    ACCEPT = Step.ACCEPT.value
    REJECT = Step.REJECT.value
    CLOSE = Step.CLOSE.value
    RELEASE = Step.RELEASE.value
    WITHDRAW = Step.WITHDRAW.value
    RESCREEN = Step.RESCREEN.value


if {*CaseStep} != {*Step} - VIA_MOVEMENT:  # a new step must be placed on one side or the other
    raise AssertionError("CaseStep must list every Step not taken via a movement")

VIA_MOVEMENT_ONLY = (
    "{step} is taken with a movement, never on one case: put the accepted case on a movement, which "
    "schedules it; the movement departs once its manifest validates; the receiving officer hands "
    "over each person (pages under /movements/, /api/v1/movements, accord movement …)"
)


# What waits for each role: the states in which the case waits for that role's act (withdrawing,
# rejecting an accepted case or referring again can be done elsewhere too, but nothing waits for it).
QUEUES: dict[str, frozenset[State]] = {
    CASE_OFFICER: frozenset({State.SCREENED, State.APPROVED, State.ACCEPTED, State.SCHEDULED, State.HANDED_OVER}),
    LEGAL_REVIEWER: frozenset({State.LEGAL_REVIEW}),
    RECEIVING_OFFICER: frozenset({State.REFERRED, State.IN_TRANSIT}),
}


def steps_for(state: str, role: str) -> list[Transition]:
    """The steps a role may take from a state, in workflow order."""
    return [t for t in TRANSITIONS.values() if state in t.sources and role in t.roles]


def transition(step: str) -> Transition:
    try:
        return TRANSITIONS[Step(step)]
    except ValueError:
        raise ValueError(f"unknown step {step!r}; known: {', '.join(Step)}") from None
