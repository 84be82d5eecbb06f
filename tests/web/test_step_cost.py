"""What a workflow step reads and writes (issue #11 §8): an API step answers with the case as it
saved it, read neither twice nor stale; the steps' bookkeeping takes one statement where it took
several; and each step still screens the person with the data, the usage and the record of now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.accounts.models import User
from accord.capacity.models import Reservation
from accord.capacity.selectors import current_usage
from accord.cases.errors import Refused
from accord.cases.models import Case, Participation
from accord.cases.services import explanation_json, open_case
from accord.cases.steps import take_step
from accord.core.screening import explain
from accord.facilities.models import Facility
from accord.people.models import Person
from accord.people.records import people_frame
from tests.web.conftest import options_for, use_up_quota

pytestmark = pytest.mark.django_db

# A Venezuelan felon already screened for fear of El Salvador: eligible for a CECOT place.
FELON = {"nationalities": "VE", "conviction": "felony", "fear_screened": "SV"}
ROLE_OF = {"submit": "officer", "approve": "reviewer", "refer": "officer", "accept": "salvador"}


def post_step(client: Client, token: str, case_id: int, step: str) -> dict[str, Any]:
    body = {"step": step, "reason": "The receiving state's order is on file", **options_for(step)}
    response = client.post(
        f"/api/v1/cases/{case_id}/steps", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def _get_case(client: Client, token: str, case_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/cases/{case_id}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def test_an_api_step_answers_the_case_as_stored_reading_its_reservation_once(
    users: dict[str, User], tokens: dict[str, str], facilities: None, make_person: Callable[..., Person]
) -> None:
    Facility.objects.filter(code="cecot").update(capacity=1)  # the second acceptance waits in line
    client = Client()
    cases = [open_case(make_person(pid, **FELON), "us-sv-2025", user=users["officer"]).pk for pid in ("S1", "S2")]
    for case_id in cases:
        for step, role in ROLE_OF.items():
            with CaptureQueriesContext(connection) as queries:
                answered = post_step(client, tokens[role], case_id, step)
            reservation_reads = [
                q for q in queries if 'FROM "capacity_reservation"' in q["sql"] and "COUNT" not in q["sql"]
            ]
            # accept looks for a waiting reservation of its own (claim) before the answer's one read
            assert len(reservation_reads) == (2 if step == "accept" else 1), [q["sql"] for q in reservation_reads]
            assert answered == _get_case(client, tokens[role], case_id), step  # nothing stale, nothing missing
    held, waiting = (_get_case(client, tokens["salvador"], c)["reservation"] for c in cases)
    assert (held["status"], waiting["status"], waiting["waitlist_position"]) == ("held", "waiting", 1)


def test_a_step_over_the_api_reads_the_case_once_before_its_locks_and_the_audit_head_once(
    users: dict[str, User], tokens: dict[str, str], facilities: None, make_person: Callable[..., Person]
) -> None:
    """#11 §8: the case the API reads to check that the caller may see it is the one screened
    ahead of the lock; the person is locked through the case; an acceptance, which appends two
    events and claims a place, locks the audit head once."""
    client = Client()
    case_id = open_case(make_person("S7", **FELON), "us-sv-2025", user=users["officer"]).pk
    for step, role in ROLE_OF.items():
        with CaptureQueriesContext(connection) as queries:
            post_step(client, tokens[role], case_id, step)
        selects = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
        # The case with its person: read once (the API's lookup); under the lock each on its own.
        with_person = [s for s in selects if s.startswith('SELECT "cases_case"."id"') and '"people_person"' in s]
        assert len(with_person) == 1, (step, with_person)
        # At most once (none when the test's own transaction already holds it).
        assert len([s for s in selects if 'FROM "audit_head"' in s]) <= 1, step
        statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))]
        statements = [s for s in statements if not s.startswith('UPDATE "accounts_apitoken"')]  # once a minute
        assert len(statements) <= (18 if step == "accept" else 12), (step, statements)


def test_a_receiving_officer_is_answered_the_case_as_the_receiving_state_holds_it(
    users: dict[str, User], tokens: dict[str, str], facilities: None, make_person: Callable[..., Person]
) -> None:
    client = Client()
    case_id = open_case(make_person("S3", **FELON), "us-sv-2025", user=users["officer"]).pk
    for step in ("submit", "approve", "refer"):
        post_step(client, tokens[ROLE_OF[step]], case_id, step)
    answered = post_step(client, tokens["salvador"], case_id, "accept")
    assert answered == _get_case(client, tokens["salvador"], case_id)
    assert answered["outcome"] is None and answered["failing_rules"] == [] and answered["explanation"] == []


def test_whoever_took_part_is_recorded_once_with_their_first_act(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person]
) -> None:
    officer = users["officer"]
    case = open_case(make_person("S4", **FELON), "us-sv-2025", user=officer)
    take_step(case.pk, "submit", user=officer, reason="")  # screens (a part) and submits (a part)
    take_step(case.pk, "approve", user=users["reviewer"], reason="order on file", **options_for("approve"))
    parts = list(Participation.objects.filter(case=case).values_list("user__username", "first_act"))
    assert parts == [("officer", "open")]  # the approver prepared nothing: four eyes still hold


def test_the_usage_of_the_agreements_screened_is_the_usage_the_rules_read(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person]
) -> None:
    day = timezone.localdate()
    use_up_quota(make_person("Q1", nationalities="CU"), day.strftime("%Y-%m"), 3, users["officer"])
    everything = current_usage(day)
    with CaptureQueriesContext(connection) as queries:
        sv = current_usage(day, ["us-sv-2025"])
    assert len(queries) == 1  # no clause of us-sv-2025 sets a quota: no quota month is read
    assert sv.facilities == everything.facilities and sv.quota_used == {}
    chnv = current_usage(day, ["us-mx-chnv"])
    assert chnv.quota_used == everything.quota_used == {("us-mx-chnv", "quota", day.strftime("%Y-%m")): 3}
    for agreement_id in ("us-sv-2025", "us-mx-chnv", "us-ve-2025"):
        person = people_frame([make_person(f"U-{agreement_id}", nationalities="CU")])
        partial = explain(person, agreement_id, day, usage=current_usage(day, [agreement_id]))
        assert partial == explain(person, agreement_id, day, usage=everything)


def test_each_step_screens_with_the_record_and_the_places_of_now(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person]
) -> None:
    """Nothing a step screens with is reused stale: a place taken since the last step is counted,
    and a record changed since is the one screened."""
    officer = users["officer"]
    first = open_case(make_person("S5", **FELON), "us-sv-2025", user=officer)
    second = open_case(make_person("S6", **FELON), "us-sv-2025", user=officer)
    for case in (first, second):
        take_step(case.pk, "submit", user=officer)
    take_step(first.pk, "approve", user=users["reviewer"], reason="order on file", **options_for("approve"))
    take_step(first.pk, "refer", user=officer)
    take_step(first.pk, "accept", user=users["salvador"])
    assert Reservation.objects.filter(case=first, status="held").exists()
    # The second case's next screening counts the place the first now holds.
    approved = take_step(second.pk, "approve", user=users["reviewer"], reason="order on file", **options_for("approve"))
    capacity = {r["rule_id"]: r for r in approved.case.explanation}["capacity"]
    assert "reserved 1" in capacity["reason"], capacity
    # A record changed since (behind the services' back, so nothing but the step screens it) is
    # screened as it is now: a grant of protection bars the move and the case is returned.
    Person.objects.filter(person_id="S6").update(protection="asylum_granted", protection_countries=["SV"])
    with pytest.raises(Refused):
        take_step(second.pk, "refer", user=officer)
    assert Case.objects.values_list("state", "outcome").get(pk=second.pk) == ("blocked", "barred")


def test_the_stored_explanation_keeps_every_field_of_each_rule_result(make_person: Callable[..., Person]) -> None:
    person = people_frame([make_person("E1", **FELON)])
    result = explain(person, "us-sv-2025", dt.date(2025, 3, 1))
    assert explanation_json(result) == [{**asdict(r), "result": r.result.label} for r in result.results]
