"""Whether a case still stands as it was approved, referred or accepted: the decision, not the
act (see ``returns``)."""

from __future__ import annotations

from dataclasses import dataclass

from accord.cases.models import Case, State
from accord.cases.referral import referral_changes
from accord.core.screening import Explanation
from accord.core.workflow import SENT

# Review points that reservations answer (a full facility, a used-up quota): the waitlist, not a lawyer.
ANSWERED_BY_WAITLIST = frozenset({"capacity", "quota"})


@dataclass(frozen=True)
class Verdict:
    """Why a case can no longer stand as it is, and where it goes back to."""

    target: State
    cause: str  # "barred", "review" (unanswered review points after approval) or "record" (referral stale)
    rule_ids: frozenset[str] = frozenset()
    fields: tuple[str, ...] = ()


def verdict(case: Case, result: Explanation, *, referring: bool = False) -> Verdict | None:
    """Whether the case, with ``result`` applied to it, must go back: barred (blocked); past
    approval with a review point nobody answered (legal review); sent with a minimum record that is
    no longer the person's (approved, to be referred again). None when it stands."""
    if result.outcome == "barred":
        return Verdict(State.BLOCKED, "barred", barring_rules(result))
    if case.approved_by_id is not None and (new := unanswered(case, result)):
        return Verdict(State.LEGAL_REVIEW, "review", frozenset(new))
    if case.state in SENT and not referring and (changed := referral_changes(case)):
        return Verdict(State.APPROVED, "record", fields=tuple(changed))
    return None


def why(verdict: Verdict) -> str:
    """The verdict in the sending state's words (audit log, the sending side's pages)."""
    if verdict.cause == "barred":
        return "barred (" + ", ".join(sorted(verdict.rule_ids)) + ")"
    if verdict.cause == "review":
        return "review points since approval (" + ", ".join(sorted(verdict.rule_ids)) + ")"
    return "the record sent to the receiving state changed (" + ", ".join(verdict.fields) + ")"


def barring_rules(result: Explanation) -> frozenset[str]:
    return frozenset(r.rule_id for r in result.failing if r.result.label == "barred")


def review_points(result: Explanation) -> set[str]:
    """The review points a legal reviewer must answer (not those the waitlist answers)."""
    return {r.rule_id for r in result.failing if r.result.label == "review"} - ANSWERED_BY_WAITLIST


def unanswered(case: Case, result: Explanation) -> set[str]:
    """Review points of ``result`` that the approval did not acknowledge."""
    return review_points(result) - set(filter(None, case.acknowledged_reviews.split(";")))
