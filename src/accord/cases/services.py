"""Use cases that change cases. Each screens with the rules core and runs in one transaction."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from accord.accounts.models import User
from accord.accounts.permissions import Can, require
from accord.audit.services import record
from accord.capacity.selectors import current_usage, occupied_place_of
from accord.cases.errors import CaseError
from accord.cases.models import Case, Participation, State
from accord.core.screening import Explanation, default_dataset, explain
from accord.core.version import rules_version
from accord.people.models import Person
from accord.people.records import people_frame


def screen_person(person: Person, agreement_id: str, day: dt.date | None = None) -> Explanation:
    """Screen one stored person against one agreement with the current data and usage."""
    return screen_person_against(person, [agreement_id], day)[0]


def screen_person_against(person: Person, agreement_ids: list[str], day: dt.date | None = None) -> list[Explanation]:
    """Screen one stored person against several agreements: the record and the usage read once."""
    on = day or timezone.localdate()
    frame, usage = people_frame([person]), current_usage(on, agreement_ids)
    return [explain(frame, agreement_id, on, usage=usage) for agreement_id in agreement_ids]


def explanation_json(explanation: Explanation) -> list[dict[str, object]]:
    # Field by field: ``dataclasses.asdict`` deep-copies every value, a millisecond a step.
    return [
        {
            "rule_id": r.rule_id,
            "title": r.title,
            "result": r.result.label,
            "reason": r.reason,
            "citation": r.citation,
            "quote": r.quote,
        }
        for r in explanation.results
    ]


def open_case(person: Person, agreement_id: str, *, user: User, day: dt.date | None = None) -> Case:
    """Propose a person for an agreement: the case is screened at once (``blocked`` when barred,
    else ``screened``) and the result kept with the date and the versions of the rules and data."""
    require(user, Can.OPEN_CASES)
    dataset = default_dataset()
    try:
        agreement = dataset.transfer_agreement(agreement_id)
    except (KeyError, ValueError) as err:
        raise CaseError(str(err)) from None
    inside = occupied_place_of(person.pk)
    if inside is not None:
        raise CaseError(
            f"{person.person_id} is in {inside.facility.name if inside.facility else 'a receiving facility'} "
            f"since case {inside.case_id} was handed over: a new case needs that facility to record the release first"
        )
    result = screen_person(person, agreement.id, day)
    try:
        with transaction.atomic():
            case = Case.objects.create(
                person=person,
                agreement_id=agreement.id,
                receiving_state=agreement.receiving_state,
                state=State.BLOCKED if result.outcome == "barred" else State.SCREENED,
                outcome=result.outcome,
                placement=result.reported_placement or "",
                clause_id=result.clause_id or "",
                failing_rules=";".join(r.rule_id for r in result.failing),
                explanation=explanation_json(result),
                screened_on=result.date,
                screened_at=timezone.now(),
                data_version=result.data_version,
                rules_version=rules_version(),
                created_by=user,
                screened_by=user,
                state_changed_at=timezone.now(),
            )
            Participation.objects.create(case=case, user=user, first_act="open")
            after = {"state": case.state, "outcome": case.outcome, "failing_rules": case.failing_rules}
            record(user, "case.open", "case", str(case.pk), after={**after, "person": person.person_id}, reason="")
            return case
    except IntegrityError:
        raise CaseError(f"{person.person_id} already has an open case under {agreement.id}") from None
