"""What of a case each user is shown, as ``policy`` decides: protection and fear rules withheld
from those who may not see them (8 C.F.R. §208.6: even "barred" would tell that a claim exists),
and the receiving state's view of a case: the record it was sent and one neutral ``returned``."""

from __future__ import annotations

from typing import Any

from accord.accounts.models import Role, User
from accord.cases.models import Case, basis_label
from accord.cases.policy import seen_state, sees_legal_notes, sees_protection
from accord.core.screening import Explanation
from accord.core.workflow import RETURNED, RETURNED_LABEL
from accord.people.models import display_name as person_display_name

# Rules whose results or reasons reveal protection or fear claims.
PROTECTION_RULES = frozenset(
    {"us/asylee-refugee", "us/protection-pending", "us/withholding", "us/fear", "us/third-country-notice"}
)
WITHHELD = "Withheld (8 C.F.R. §208.6)"


def explanation(user: User, results: list[dict[str, object]]) -> list[dict[str, object]]:
    """A stored explanation as the user may see it."""
    if sees_protection(user):
        return results
    withheld = {
        "result": "withheld",
        "reason": "Withheld: protection and fear information is confidential (8 C.F.R. §208.6)",
        "quote": None,
    }
    return [{**r, **withheld} if r["rule_id"] in PROTECTION_RULES else r for r in results]


def failing_rules(user: User | None, rule_ids: list[str]) -> list[str]:
    """A list of failing rule ids as the user may see it (that us/fear failed is itself fear data)."""
    return rule_ids if sees_protection(user) else [r for r in rule_ids if r not in PROTECTION_RULES]


def audit_values(user: User, values: dict[str, object] | None) -> dict[str, object] | None:
    """A case's before or after values from the audit log, failing rules cut as for the user."""
    if not values or "failing_rules" not in values or sees_protection(user):
        return values
    kept = failing_rules(user, [r for r in str(values["failing_rules"]).split(";") if r])
    return {**values, "failing_rules": ";".join(kept)}


def refusal_rows(result: Explanation, user: User | None, rule_ids: set[str]) -> list[dict[str, str]]:
    """The rules that stopped a step, as the user may see them. ``user`` None: in full (for the
    sending state's own wording). Without protection access, a protection or fear rule is one
    withheld row: even its id would tell that a claim exists."""
    rows = []
    for r in result.results:
        if r.rule_id not in rule_ids:
            continue
        if r.rule_id in PROTECTION_RULES and user is not None and not sees_protection(user):
            rows.append({"rule_id": "withheld", "result": "withheld", "reason": WITHHELD, "citation": ""})
        else:
            rows.append({"rule_id": r.rule_id, "result": r.result.label, "reason": r.reason, "citation": r.citation})
    return rows


def seen_state_label(user: User, case: Case) -> str:
    state = seen_state(user, case)
    return RETURNED_LABEL if state == RETURNED else case.get_state_display()


def shown_reason(user: User, case: Case) -> str:
    """The reason of the case's last step as the user may read it: sending staff read every reason;
    a receiving officer reads only their own state's rejection."""
    if sees_legal_notes(user) or (case.state == "rejected" and user.role == Role.RECEIVING_OFFICER):
        return case.state_reason
    return ""


def referral_view(case: Case) -> dict[str, Any]:
    """The minimum record the receiving state was sent (empty before referral)."""
    return sent_record(case.referral, case.person.person_id)


def sent_record(referral: dict[str, Any] | None, person_id: str) -> dict[str, Any]:
    """``referral_view`` of a case whose referral and person id were read as columns."""
    sent = referral or {}
    return {
        "person_id": sent.get("person_id", person_id),
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
    return person_display_name(
        record.get("family_name") or "", record.get("given_names") or "", str(record.get("person_id", ""))
    )
