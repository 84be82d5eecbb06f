"""Who may see what of a case, and four eyes: one place, read by the use cases, pages, API and CLI.

Receiving-state officers see only cases sent to their own state, and of those only what the
receiving state holds: the minimum record it was sent, its own part of the workflow, and the
place. Never an outcome, a rule, a citation, a reason or a date of screening: whatever the sending
state's reason for taking a case back (a protection or fear claim, a pending order, a hold, a
changed record), they see the one neutral state ``returned`` (8 C.F.R. §208.6: not even that a
claim exists may be told to the state the person fears).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accord.accounts.models import Role, User
from accord.accounts.permissions import PROTECTION_RULES, Can, can
from accord.cases.models import REFERRED_STATES, Case, Participation, basis_label
from accord.core.screening import Explanation
from accord.core.workflow import RETURNED, RETURNED_LABEL, seen_by_receiving_state


def took_part(case: Case, user: User) -> bool:
    """Whether the user ever opened, screened or submitted the case (four eyes)."""
    return Participation.objects.filter(case_id=case.pk, user_id=user.pk).exists()


def sent_to(state: str) -> Q:
    """Cases ever referred to the receiving ``state``: they stay in front of it, as ``returned``
    when the sending state takes one back."""
    return Q(receiving_state=state) & (Q(referral__isnull=False) | Q(state__in=REFERRED_STATES))


def receiving_officer_may_see(user: User, case: Case) -> bool:
    return case.receiving_state == user.receiving_state and (case.referral is not None or case.state in REFERRED_STATES)


def seen_state(user: User, case: Case) -> str:
    """The state the user is shown: receiving officers see ``returned`` for the sending side's states."""
    return seen_by_receiving_state(case.state) if user.role == Role.RECEIVING_OFFICER else case.state


def seen_state_label(user: User, case: Case) -> str:
    state = seen_state(user, case)
    return RETURNED_LABEL if state == RETURNED else case.get_state_display()  # type: ignore[attr-defined]


def sees_screening(user: User) -> bool:
    """Outcome, rule results, reasons and citations: the sending state's own staff only."""
    return can(user, Can.VIEW_PROTECTION)


def sees_legal_notes(user: User) -> bool:
    """The reviewer's approval reason and the reasons of sending-side steps may discuss protection
    or fear claims (8 C.F.R. §208.6): only those who may see protection data read them."""
    return can(user, Can.VIEW_PROTECTION)


def shown_reason(user: User, case: Case) -> str:
    """The reason of the case's last step as the user may read it: sending staff read every reason;
    a receiving officer reads only their own state's rejection."""
    if sees_legal_notes(user) or (case.state == "rejected" and user.role == Role.RECEIVING_OFFICER):
        return case.state_reason
    return ""


def referral_view(case: Case) -> dict[str, Any]:
    """The minimum record the receiving state was sent (empty before referral)."""
    sent = case.referral or {}
    return {
        "person_id": sent.get("person_id", case.person.person_id),
        "family_name": sent.get("family_name", ""),
        "given_names": sent.get("given_names", ""),
        "date_of_birth": sent.get("date_of_birth"),
        "sex": sent.get("sex"),
        "nationalities": list(sent.get("nationalities", [])),
        "placement": sent.get("placement", ""),
        "clause": sent.get("clause") or "",
        "facility": sent.get("facility"),
        "conviction": sent.get("conviction"),
        "legal_basis": basis_label(sent.get("legal_basis")),
    }


def display_name(record: dict[str, Any]) -> str:
    return f"{(record.get('family_name') or '').upper()}, {record.get('given_names') or ''}".strip(", ") or str(
        record.get("person_id", "")
    )


def refusal_rows(result: Explanation, user: User | None, rule_ids: set[str]) -> list[dict[str, str]]:
    """The rules that stopped a step, as the user may see them. ``user`` None: in full (for the
    sending state's own wording). Without protection access, a protection or fear rule is one
    withheld row: even its id would tell that a claim exists."""
    rows = []
    for r in result.results:
        if r.rule_id not in rule_ids:
            continue
        if r.rule_id in PROTECTION_RULES and user is not None and not can(user, Can.VIEW_PROTECTION):
            withheld = "Withheld (8 C.F.R. §208.6)"
            rows.append({"rule_id": "withheld", "result": "withheld", "reason": withheld, "citation": ""})
        else:
            rows.append({"rule_id": r.rule_id, "result": r.result.label, "reason": r.reason, "citation": r.citation})
    return rows
