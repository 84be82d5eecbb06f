"""The workflow's use cases on a real database: the path of a case from screening to closure, and
every way a step is refused (role, four eyes, a bar found on the day, a hold, a full facility)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError

from accord.accounts.models import Role, User
from accord.accounts.services import set_role
from accord.audit.models import AuditEvent
from accord.audit.selectors import history
from accord.capacity.models import Reservation
from accord.capacity.selectors import live_reservation, waitlist_position
from accord.cases import errors, policy
from accord.cases import steps as case_steps
from accord.cases.errors import CaseError, Refused
from accord.cases.models import Case
from accord.cases.services import open_case, screen_person
from accord.facilities.models import Facility
from accord.holds.models import LegalHold
from accord.holds.services import file_hold, lift_hold
from accord.movements import services as moves
from accord.people.models import Person
from accord.people.services import update_person
from tests.web.conftest import options_for, use_up_quota
from tests.web.moving import entry_of, take

# A Venezuelan felon: El Salvador's agreement places him in CECOT (a prison place is reserved).
FELON = {"nationalities": "VE", "conviction": "felony"}


@pytest.fixture
def crew(users: dict[str, User], facilities: None) -> dict[str, User]:
    """The demo's people plus a second legal reviewer, so four eyes can be satisfied and tested."""
    second = User.objects.create_user(username="reviewer2", password="x" * 12, role=Role.LEGAL_REVIEWER)
    return {**users, "reviewer2": second}


def walk(case: Case, crew: dict[str, User], *steps: str) -> Case:
    actor = {
        "submit": "officer",
        "approve": "reviewer",
        "refer": "officer",
        "accept": "salvador",
        "reject": "salvador",
        "schedule": "officer",
        "depart": "officer",
        "hand_over": "salvador",
        "close": "officer",
    }
    for step in steps:
        case = take(case.pk, step, crew[actor[step]], **options_for(step))
    return case


def order() -> ContentFile[bytes]:
    return ContentFile(b"ORDER: removal stayed pending the habeas petition.", name="order.txt")


def test_a_case_goes_from_screening_to_closure_and_the_place_follows(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    person = make_person("W1", **FELON)
    case = open_case(person, "us-sv-2025", user=crew["officer"])
    assert (case.state, case.placement) == ("screened", "prison")
    case = walk(case, crew, "submit", "approve", "refer")
    assert case.referral is not None and "protection" not in case.referral and case.referral["facility"] == "cecot"
    case = walk(case, crew, "accept")
    assert (case.state, live_reservation(case.pk).status) == ("accepted", "held")  # type: ignore[union-attr]
    case = walk(case, crew, "schedule", "depart", "hand_over")
    assert (case.state, live_reservation(case.pk).status) == ("handed_over", "occupied")  # type: ignore[union-attr]
    case = walk(case, crew, "close")
    assert case.state == "closed"
    actions_logged = [e.action for e in history("case", str(case.pk))]
    assert actions_logged == [
        "case.open",
        "case.submit",
        "case.approve",
        "case.refer",
        "case.accept",
        "case.schedule",
        "case.depart",
        "case.hand_over",
        "case.close",
    ]


def test_four_eyes_hold_over_the_whole_history_of_the_case(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """An officer who once submitted the case, then was promoted to legal reviewer after it was
    sent back and submitted again by a colleague, still may not approve it: four eyes remember
    everyone who ever opened, screened or submitted the case, not the last submitter."""
    colleague = User.objects.create_user(username="colleague", role=Role.CASE_OFFICER)
    case = open_case(make_person("W2"), "us-sv-2025", user=crew["officer"])
    case_steps.submit(case.pk, user=colleague)
    case_steps.send_back(case.pk, user=crew["reviewer"], reason="missing the order")
    case_steps.submit(case.pk, user=crew["officer"])
    promoted = set_role(colleague, Role.LEGAL_REVIEWER, by=crew["admin"], reason="promoted")
    assert Case.objects.get(pk=case.pk).submitted_by_id == crew["officer"].pk  # the last submitter is someone else
    with pytest.raises(Refused, match="Four eyes"):
        case_steps.approve(case.pk, user=promoted)
    assert "approve" not in [t.step for t in policy.next_steps(Case.objects.get(pk=case.pk), promoted)]
    assert Case.objects.get(pk=case.pk).state == "legal_review"
    assert case_steps.approve(case.pk, user=crew["reviewer2"]).state == "approved"


@pytest.mark.parametrize(
    ("role_user", "step"),
    [
        ("officer", "approve"),
        ("reviewer", "submit"),
        ("salvador", "submit"),
        ("admin", "submit"),
        ("monitor", "submit"),
    ],
)
def test_a_role_may_take_only_its_own_steps(
    crew: dict[str, User], make_person: Callable[..., Person], role_user: str, step: str
) -> None:
    case = open_case(make_person("W3"), "us-sv-2025", user=crew["officer"])
    if step == "approve":
        walk(case, crew, "submit")
    before = Case.objects.get(pk=case.pk).state
    with pytest.raises(CaseError):
        case_steps.take_step(case.pk, step, user=crew[role_user])
    assert Case.objects.get(pk=case.pk).state == before


def test_only_the_receiving_state_accepts(crew: dict[str, User], make_person: Callable[..., Person]) -> None:
    caracas = User.objects.create_user(username="caracas", role=Role.RECEIVING_OFFICER, receiving_state="VE")
    case = walk(open_case(make_person("W4"), "us-sv-2025", user=crew["officer"]), crew, "submit", "approve", "refer")
    with pytest.raises(CaseError, match="no case"):
        case_steps.accept(case.pk, user=caracas)
    assert Case.objects.get(pk=case.pk).state == "referred"


def test_a_bar_found_at_a_later_step_refuses_it_and_blocks_the_case(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    person = make_person("W5")
    case = walk(open_case(person, "us-sv-2025", user=crew["officer"]), crew, "submit", "approve")
    # The record changes behind the workflow's back (a raw update, as a bad migration might do).
    Person.objects.filter(pk=person.pk).update(status="citizen")
    events = len(history("case", str(case.pk)))
    with pytest.raises(errors.Returned) as refused:
        case_steps.refer(case.pk, user=crew["officer"])
    assert "us/citizen" in str(refused.value) and any(r["rule_id"] == "us/citizen" for r in refused.value.rules)
    assert any("1101(a)(3)" in r["citation"] for r in refused.value.rules)
    assert "The case is now blocked" in str(refused.value)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.outcome, stored.approved_by, stored.referral) == ("blocked", "barred", None, None)
    logged = history("case", str(case.pk))
    assert len(logged) == events + 1  # the refer is not there; the system's block is
    assert (logged[-1].action, logged[-1].actor_role) == ("case.block", "system")
    assert "found when officer tried to refer" in logged[-1].reason


def test_an_edit_that_bars_blocks_the_case_at_once_and_frees_its_place(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    person = make_person("W6", **FELON)
    case = walk(open_case(person, "us-sv-2025", user=crew["officer"]), crew, "submit", "approve", "refer", "accept")
    update_person(
        person,
        {"date_of_birth": dt.date.today().replace(year=dt.date.today().year - 15).isoformat()},
        user=crew["officer"],
        reason="birth certificate",
    )
    stored = Case.objects.get(pk=case.pk)
    assert stored.state == "blocked" and "placement/minor" in stored.failing_rules
    assert live_reservation(case.pk) is None
    assert Reservation.objects.get(case=case).status == "cancelled"


def test_approving_a_review_point_needs_a_reason_and_a_new_one_later_refuses(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    person = make_person("W7", removal_order="")  # unknown order: review
    case = walk(open_case(person, "us-sv-2025", user=crew["officer"]), crew, "submit")
    assert case.outcome == "review"
    with pytest.raises(Refused, match="written reason"):
        case_steps.approve(case.pk, user=crew["reviewer"])
    case = case_steps.approve(case.pk, user=crew["reviewer"], reason="Order of 2025-03-01 seen in the file")
    assert case.state == "approved"
    update_person(person, {"protection": ""}, user=crew["officer"], reason="protection file lost")
    stored = Case.objects.get(pk=case.pk)
    # The approval did not answer the new points: the case is back with the legal reviewer at once.
    assert (stored.state, stored.outcome, stored.approved_by) == ("legal_review", "review", None)
    last = history("case", str(case.pk))[-1]
    assert last.action == "case.return" and "us/protection-pending" in last.reason
    with pytest.raises(Refused, match="Cannot refer"):
        case_steps.refer(case.pk, user=crew["officer"])
    with pytest.raises(Refused, match="written reason") as refused:
        case_steps.approve(case.pk, user=crew["reviewer"])
    assert {"us/asylee-refugee", "us/protection-pending", "us/withholding"} <= {
        r["rule_id"] for r in refused.value.rules
    }
    assert case_steps.approve(case.pk, user=crew["reviewer"], reason="Protection file found: none").state == "approved"


def test_a_hold_stops_every_open_case_and_lifting_it_restarts_screening(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    person = make_person("W8", **FELON)
    scheduled = walk(
        open_case(person, "us-sv-2025", user=crew["officer"]),
        crew,
        *("submit", "approve", "refer", "accept", "schedule"),
    )
    other = open_case(person, "us-ve-2025", user=crew["officer"])
    hold = file_hold(person, kind="stay_of_removal", reference="25-cv-123", document=order(), user=crew["officer"])
    for case in (scheduled, other):
        stored = Case.objects.get(pk=case.pk)
        assert stored.state == "on_hold", stored
    held = Case.objects.get(pk=scheduled.pk)
    assert held.held_from == "scheduled"
    assert "us/legal-hold" in held.failing_rules.split(";")  # its page says what holds it
    assert live_reservation(scheduled.pk) is None
    assert Person.objects.get(pk=person.pk).legal_hold is True
    assert entry_of(held).status == "removed"  # off its flight, which cannot leave with nobody
    with pytest.raises(CaseError, match="empty movement cannot depart"):
        moves.depart(entry_of(held).movement_id, user=crew["officer"])
    with pytest.raises(Exception, match="may not lift"):
        lift_hold(hold, user=crew["officer"], reason="order vacated")
    lift_hold(hold, user=crew["reviewer"], reason="Stay vacated on 2025-05-01")
    resumed = Case.objects.get(pk=scheduled.pk)
    assert (resumed.state, resumed.approved_by, resumed.held_from) == ("screened", None, "")
    assert Person.objects.get(pk=person.pk).legal_hold is False


def test_a_hold_needs_a_reference_and_a_document(crew: dict[str, User], make_person: Callable[..., Person]) -> None:
    person = make_person("W9")
    case = open_case(person, "us-sv-2025", user=crew["officer"])
    with pytest.raises(CaseError, match="reference"):
        file_hold(person, kind="court_order", reference=" ", document=order(), user=crew["officer"])
    with pytest.raises(CaseError, match="document"):
        file_hold(
            person, kind="court_order", reference="X-1", document=ContentFile(b"", name="e.txt"), user=crew["officer"]
        )
    with pytest.raises(CaseError, match="reference: a control character"):
        file_hold(person, kind="court_order", reference="X-1\x1f2", document=order(), user=crew["officer"])
    assert Case.objects.get(pk=case.pk).state == "screened"


def test_a_hold_whose_filing_fails_midway_leaves_no_trace_not_even_its_document(
    crew: dict[str, User], make_person: Callable[..., Person], database_refuses: Callable[[str, str, str], None]
) -> None:
    """The database refuses to put the case on hold after the hold row and its document were
    written: the hold, the document file, the audit events and the case are as before."""
    person = make_person("W10", **FELON)
    case = walk(open_case(person, "us-sv-2025", user=crew["officer"]), crew, "submit", "approve", "refer", "accept")
    events = AuditEvent.objects.count()
    database_refuses("cases_case", "UPDATE", "NEW.state = 'on_hold'")
    with pytest.raises(DatabaseError, match="refused by the database"):
        file_hold(person, kind="court_order", reference="25-cv-9", document=order(), user=crew["officer"])
    assert not LegalHold.objects.exists()
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.txt"))
    assert AuditEvent.objects.count() == events
    assert (Case.objects.get(pk=case.pk).state, live_reservation(case.pk).status) == ("accepted", "held")  # type: ignore[union-attr]
    assert Person.objects.get(pk=person.pk).legal_hold is False


def test_a_full_facility_gives_a_waitlist_position_and_a_freed_place_goes_to_the_first_in_line(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    Facility.objects.filter(code="cecot").update(capacity=1)
    cases = [
        walk(
            open_case(make_person(f"Q{i}", **FELON), "us-sv-2025", user=crew["officer"]),
            crew,
            "submit",
            "approve",
            "refer",
        )
        for i in range(3)
    ]
    first, second, third = (case_steps.accept(c.pk, user=crew["salvador"]) for c in cases)
    assert [c.state for c in (first, second, third)] == ["accepted", "referred", "referred"]
    assert [waitlist_position(live_reservation(c.pk)) for c in (second, third)] == [1, 2]  # type: ignore[arg-type]
    case_steps.reject(first.pk, user=crew["salvador"], reason="no longer wanted")
    assert Case.objects.get(pk=second.pk).state == "accepted"
    assert waitlist_position(live_reservation(third.pk)) == 1  # type: ignore[arg-type]


def test_the_admin_cannot_change_a_case(crew: dict[str, User], make_person: Callable[..., Person], client: Any) -> None:
    case = open_case(make_person("W10", status="citizen"), "us-sv-2025", user=crew["officer"])
    assert case.state == "blocked"
    client.force_login(crew["admin"])
    response = client.post(f"/admin/cases/case/{case.pk}/change/", {"state": "approved", "outcome": "eligible"})
    assert response.status_code == 404  # cases are not in the admin
    assert Case.objects.get(pk=case.pk).state == "blocked"
    assert client.get(f"/cases/{case.pk}/").status_code == 403  # nor for the administrator to read


def test_a_monthly_quota_is_never_exceeded_and_the_next_acceptance_waits(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    day = dt.date(2024, 6, 3)  # us-mx-chnv was in force: 30,000 CHNV nationals a month
    mexico = User.objects.create_user(username="mexico", role=Role.RECEIVING_OFFICER, receiving_state="MX")
    cases = []
    for i in range(3):
        case = open_case(make_person(f"MX{i}", nationalities="VE"), "us-mx-chnv", user=crew["officer"], day=day)
        for step, user in (("submit", "officer"), ("approve", "reviewer"), ("refer", "officer")):
            case = case_steps.take_step(
                case.pk, step, user=crew[user], reason="tested", day=day, **options_for(step)
            ).case
        cases.append(case)
    use_up_quota(make_person("MXF"), "2024-06", 29_999, crew["officer"])  # people admitted, since moved on
    last = case_steps.accept(cases[0].pk, user=mexico, day=day)
    waiting = case_steps.accept(cases[1].pk, user=mexico, day=day)
    assert (last.state, waiting.state) == ("accepted", "referred")
    assert waitlist_position(live_reservation(waiting.pk)) == 1  # type: ignore[arg-type]
    counted = Reservation.objects.filter(quota_month="2024-06").exclude(status__in=("waiting", "cancelled")).count()
    assert counted == 30_000

    def quota_reason(on: dt.date) -> str:  # what a re-screening on that day says of the quota
        return next(r.reason for r in screen_person(cases[2].person, "us-mx-chnv", on).results if r.rule_id == "quota")

    assert "quota exhausted: 30,000 of 30,000 used in 2024-06" in quota_reason(day)
    assert "quota: 0 of 30,000 used in 2024-07" in quota_reason(dt.date(2024, 7, 1))
    july = case_steps.accept(cases[1].pk, user=mexico, day=dt.date(2024, 7, 1))  # a new month, a new quota
    assert july.state == "accepted" and live_reservation(july.pk).quota_month == "2024-07"  # type: ignore[union-attr]


def test_release_frees_an_occupied_place_and_the_first_in_line_takes_it(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    Facility.objects.filter(code="cecot").update(capacity=1)
    inside = walk(
        open_case(make_person("R1", **FELON), "us-sv-2025", user=crew["officer"]),
        crew,
        *("submit", "approve", "refer", "accept", "schedule", "depart", "hand_over", "close"),
    )
    waiting = walk(open_case(make_person("R2", **FELON), "us-sv-2025", user=crew["officer"]), crew, "submit", "approve")
    waiting = walk(waiting, crew, "refer", "accept")
    assert (waiting.state, live_reservation(waiting.pk).status) == ("referred", "waiting")  # type: ignore[union-attr]
    assert [t.step for t in policy.next_steps(inside, crew["salvador"])] == ["release"]
    assert policy.next_steps(inside, crew["officer"]) == []  # the facility's act, not the sending state's
    with pytest.raises(Refused, match="needs a reason"):
        case_steps.release(inside.pk, user=crew["salvador"])
    with pytest.raises(CaseError):
        case_steps.release(inside.pk, user=crew["officer"], reason="sentence served")
    released = case_steps.release(inside.pk, user=crew["salvador"], reason="Sentence served on 2026-11-30")
    assert released.state == "closed" and live_reservation(inside.pk) is None
    assert Reservation.objects.get(case=inside).status == "released"
    assert (Case.objects.get(pk=waiting.pk).state, live_reservation(waiting.pk).status) == ("accepted", "held")  # type: ignore[union-attr]
    assert policy.next_steps(Case.objects.get(pk=inside.pk), crew["salvador"]) == []  # released once only
    with pytest.raises(Refused, match="no occupied place"):
        case_steps.release(inside.pk, user=crew["salvador"], reason="again")
    assert [e.action for e in history("case", str(inside.pk))][-1] == "case.release"


def test_release_from_handover_closes_the_case_and_a_reception_has_no_place_to_release(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    prison = walk(
        open_case(make_person("R3", **FELON), "us-sv-2025", user=crew["officer"]),
        crew,
        *("submit", "approve", "refer", "accept", "schedule", "depart", "hand_over"),
    )
    assert case_steps.release(prison.pk, user=crew["salvador"], reason="transferred").state == "closed"
    reception = walk(
        open_case(make_person("R4"), "us-sv-2025", user=crew["officer"]),
        crew,
        *("submit", "approve", "refer", "accept", "schedule", "depart", "hand_over"),
    )
    assert reception.placement == "reception"
    assert "release" not in [t.step for t in policy.next_steps(reception, crew["salvador"])]
    with pytest.raises(Refused, match="no occupied place"):
        case_steps.release(reception.pk, user=crew["salvador"], reason="left")
    assert Case.objects.get(pk=reception.pk).state == "handed_over"


def test_a_waiting_case_whose_record_changed_since_referral_is_returned_and_the_place_goes_to_the_next(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """The receiving state is waiting on the record it was sent: when that changes, the case leaves
    the line (its referral void), and a place that comes free goes to the next in line."""
    Facility.objects.filter(code="cecot").update(capacity=1)
    first, changed, third = (
        walk(
            open_case(make_person(f"S{i}", **FELON), "us-sv-2025", user=crew["officer"]),
            crew,
            *("submit", "approve", "refer", "accept"),
        )
        for i in range(3)
    )
    assert [c.state for c in (first, changed, third)] == ["accepted", "referred", "referred"]
    update_person(changed.person, {"conviction": "violent_felony"}, user=crew["officer"], reason="record corrected")
    stored = Case.objects.get(pk=changed.pk)  # still prison, still eligible: not blocked, but not what was sent
    assert (stored.state, stored.referral["conviction"]) == ("approved", "felony")  # type: ignore[index]
    assert live_reservation(changed.pk) is None
    assert waitlist_position(live_reservation(third.pk)) == 1  # type: ignore[arg-type]
    case_steps.reject(first.pk, user=crew["salvador"], reason="no longer wanted")
    assert Case.objects.get(pk=third.pk).state == "accepted"


def test_a_quota_acceptance_given_back_goes_to_the_first_waiting_in_that_month(
    crew: dict[str, User], make_person: Callable[..., Person], time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2024, 6, 3, 12, tzinfo=dt.UTC))
    mexico = User.objects.create_user(username="mexico", role=Role.RECEIVING_OFFICER, receiving_state="MX")
    cases = []
    for i in range(2):
        case = open_case(make_person(f"MQ{i}", nationalities="CU"), "us-mx-chnv", user=crew["officer"])
        for step, user in (("submit", "officer"), ("approve", "reviewer"), ("refer", "officer")):
            case = case_steps.take_step(case.pk, step, user=crew[user], reason="tested", **options_for(step)).case
        cases.append(case)
    use_up_quota(make_person("MQF"), "2024-06", 29_999, crew["officer"])
    accepted, waiting = (case_steps.accept(c.pk, user=mexico) for c in cases)
    assert (accepted.state, waiting.state) == ("accepted", "referred")
    case_steps.reject(accepted.pk, user=mexico, reason="duplicate")
    promoted = Case.objects.get(pk=waiting.pk)
    assert promoted.state == "accepted" and live_reservation(promoted.pk).status == "held"  # type: ignore[union-attr]
    counted = Reservation.objects.filter(quota_month="2024-06", status__in=("held", "occupied", "released")).count()
    assert counted == 30_000


def test_a_case_blocked_after_approval_starts_over_and_needs_a_new_approval(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    person = make_person("B1")
    case = walk(open_case(person, "us-sv-2025", user=crew["officer"]), crew, "submit", "approve")
    update_person(person, {"status": "citizen"}, user=crew["officer"], reason="naturalised")
    blocked = Case.objects.get(pk=case.pk)
    assert (blocked.state, blocked.approved_by) == ("blocked", None)  # a bar voids the approval
    update_person(
        person, {"status": "undocumented", "removal_order": ""}, user=crew["officer"], reason="error corrected"
    )
    case = case_steps.rescreen(case.pk, user=crew["officer"])
    assert (case.state, case.outcome) == ("screened", "review")
    case = case_steps.submit(case.pk, user=crew["officer"])  # the old approval does not stand in the way
    with pytest.raises(Refused, match="written reason"):
        case_steps.approve(case.pk, user=crew["reviewer"])
    assert case_steps.approve(case.pk, user=crew["reviewer"], reason="appeal decided").state == "approved"


def test_an_approver_made_a_case_officer_may_refer_but_four_eyes_still_names_the_screener(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    case = walk(open_case(make_person("B2"), "us-sv-2025", user=crew["officer"]), crew, "submit", "approve")
    turned = set_role(crew["reviewer"], Role.CASE_OFFICER, by=crew["admin"], reason="reassigned")
    case = case_steps.refer(case.pk, user=turned)
    assert (case.approved_by_id, case.screened_by_id) == (turned.pk, crew["officer"].pk)


def test_a_person_in_a_receiving_facility_gets_no_new_case_until_the_release_is_recorded(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    person = make_person("R5", **FELON)
    walk(
        open_case(person, "us-sv-2025", user=crew["officer"]),
        crew,
        *("submit", "approve", "refer", "accept", "schedule", "depart", "hand_over", "close"),
    )
    with pytest.raises(CaseError, match="is in Centro de Confinamiento del Terrorismo"):
        open_case(person, "us-sv-2025", user=crew["officer"])
    with pytest.raises(CaseError, match="record the release first"):
        open_case(person, "us-ve-2025", user=crew["officer"])
    assert Case.objects.filter(person=person).count() == 1
    case_steps.release(Case.objects.get(person=person).pk, user=crew["salvador"], reason="Sentence served")
    assert open_case(person, "us-ve-2025", user=crew["officer"]).state in ("screened", "blocked")
