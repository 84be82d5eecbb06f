"""The minimum record a receiving state is sent, and whether it still holds: what was accepted
is what moves."""

from __future__ import annotations

from typing import Any

from accord.cases.models import Case
from accord.core.screening import default_dataset
from accord.people.models import Person


def minimum_record(case: Case) -> dict[str, Any]:
    """What the receiving state needs to identify and place the person, and nothing more:
    no protection, fear, status or removal-order facts."""
    return _minimum_record(case.person, case.agreement_id, case.placement, case.clause_id, case.legal_basis)


def referral_changes(case: Case, *, placement: str | None = None, clause_id: str | None = None) -> list[str]:
    """The fields of the minimum record that differ from what the receiving state was sent (with
    the case's placement and clause, or those given)."""
    now = _minimum_record(
        case.person,
        case.agreement_id,
        case.placement if placement is None else placement,
        case.clause_id if clause_id is None else clause_id,
        case.legal_basis,
    )
    sent = case.referral or {}
    return [k for k in now if sent.get(k) != now[k]]


def facility_code(agreement_id: str, placement: str, clause_id: str) -> str | None:
    """The receiving facility of a prison placement under the clause; None for any other placement."""
    if placement != "prison" or not clause_id:
        return None
    return default_dataset().agreement(agreement_id).clause(clause_id).facility


def _minimum_record(
    person: Person, agreement_id: str, placement: str, clause_id: str, legal_basis: dict[str, str] | None
) -> dict[str, Any]:
    return {
        "person_id": person.person_id,
        "family_name": person.family_name,
        "given_names": person.given_names,
        "date_of_birth": str(person.date_of_birth) if person.date_of_birth else None,
        "sex": person.sex,
        "nationalities": list(person.nationalities),
        "placement": placement,
        "clause": clause_id or None,
        "facility": facility_code(agreement_id, placement, clause_id),
        "conviction": person.conviction if placement == "prison" else None,
        # The ground the receiving state holds a person in prison on, in its own law.
        "legal_basis": legal_basis if placement == "prison" else None,
    }
