"""Random sequences of workflow steps, holds and record edits, by every kind of user, with the
safeguards' invariants checked after each one (Hypothesis stateful testing, on a real database).

Two worlds: today, with El Salvador's CECOT shrunk to one place so that acceptances compete
for it; and June 2024, when Mexico's CHNV quota was in force, with all but one of the month's
30,000 acceptances already used. After every step of either:

- no person whom the law bars today is in a case approved but not yet handed over;
- no facility holds more people than its capacity, no quota month more acceptances than its quota;
- a case holds a place exactly while it is accepted, scheduled or in transit, and occupies it from
  handover until the facility records the person's release;
- every prison placement sent to the receiving state holds (or, handed over, occupies) exactly one
  place in the facility of its clause, and no reception holds any;
- a case handed over was handed over as the person, placement and facility the receiving state
  accepted (checked at the moment of handover, against a record the test builds itself);
- a case on its way carries a referral that is still the person's record;
- a person under a legal hold has no case still on its way;
- every approval was given by someone who never opened, screened or submitted the case, read
  from the audit log over the case's whole history;
- each case's last audit event shows its current state, and the audit chain verifies;
- a refused step, hold or edit changed nothing at all; a step refused because its screening found
  that the case no longer stands changed only that case, which went back to the sending side with
  no place.

Record edits include changes to the minimum record that bar nothing (conviction, name, birth
date, nationality); the administrator tries steps, holds and token reassignment; steps are also
taken through ``accord case step`` with the actor's token.

``ACCORD_MACHINE_EXAMPLES=500`` runs many more sequences than CI's 50 per world.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import hypothesis.strategies as st
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, event, note, settings
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from typer.testing import CliRunner

from accord.accounts.models import ApiToken, Role, User
from accord.accounts.services import set_role
from accord.audit.models import AuditEvent, AuditHead
from accord.audit.selectors import verify_chain
from accord.capacity.models import PLACE_TAKEN, QUOTA_COUNTED, Reservation
from accord.cases import errors, policy
from accord.cases import steps as case_steps
from accord.cases.errors import CaseError
from accord.cases.models import Case
from accord.cases.services import open_case, screen_person
from accord.cli import app
from accord.core.records import RecordError
from accord.core.screening import default_dataset
from accord.core.workflow import NOT_YET_MOVED, PAST_APPROVAL, SENT, VIA_MOVEMENT, State, Step, transition
from accord.facilities.models import Facility
from accord.holds.models import LegalHold
from accord.holds.services import file_hold, lift_hold
from accord.movements.models import ManifestEntry
from accord.people.models import Person
from accord.people.services import update_person
from tests.web.conftest import options_for, use_up_quota
from tests.web.moving import flight_for, via_movement

pytestmark = pytest.mark.django_db

# What the sequences reached (printed at the end, with -s): proof that the search gets past referral.
REACHED: Counter[str] = Counter()


def seen(label: str) -> None:
    event(label)
    REACHED[label] += 1


# Sequences per world: 50 in CI; ACCORD_MACHINE_EXAMPLES=500 for a deeper search.
MACHINE = settings(
    max_examples=int(os.environ.get("ACCORD_MACHINE_EXAMPLES", "50")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Every way a workflow step can be refused: the wrong role, the wrong state, four eyes, a bar.
REFUSALS = (CaseError, RecordError, PermissionDenied)
HOLDING_A_PLACE = frozenset({State.ACCEPTED, State.SCHEDULED, State.IN_TRANSIT})
MOVED = frozenset({State.HANDED_OVER, State.CLOSED})
FORWARD = frozenset(
    {
        Step.SUBMIT,
        Step.APPROVE,
        Step.REFER,
        Step.ACCEPT,
        Step.SCHEDULE,
        Step.DEPART,
        Step.HAND_OVER,
        Step.CLOSE,
        Step.RELEASE,
        Step.RESCREEN,
    }
)
ACTORS = (
    "officer",
    "switcher",
    "reviewer",
    "reviewer2",
    "salvador",
    "venezuela",
    "mexico",
    "finance",
    "monitor",
    "admin",
)


def edits() -> list[dict[str, str]]:
    """Record changes that bar a move (citizen, minor, protected, allegation only, hold) or undo it."""
    minor = timezone.localdate().replace(year=timezone.localdate().year - 15).isoformat()
    return [
        {"status": "citizen"},
        {"status": "undocumented"},
        {"conviction": "none"},
        {"conviction": "felony", "gang": "none", "gang_basis": "none"},
        {"date_of_birth": minor},
        {"date_of_birth": "1990-06-15"},
        {"protection": "withholding_granted", "protection_countries": "VE"},
        {"protection": "none", "protection_countries": ""},
        {"gang": "tren_de_aragua", "gang_basis": "allegation", "conviction": "none"},
        {"legal_hold": "true"},
        {"legal_hold": "false"},
        # Changes to the minimum record the receiving state accepted that bar nothing.
        {"conviction": "violent_felony"},
        {"family_name": "Renamed"},
        {"date_of_birth": "1988-02-01"},
        {"sex": "F"},
    ]


@dataclass
class World:
    """People, agreements and the day the machine plays on."""

    day: dt.datetime | None
    people: dict[str, dict[str, str]]
    agreements: tuple[str, ...]
    prepare: Callable[[dict[str, User]], None]
    person_pks: list[int] = field(default_factory=list)


class Workflow(RuleBasedStateMachine):
    world: World
    crew: dict[str, User]
    tokens: dict[str, str]

    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        # Each sequence runs in a savepoint, rolled back after it: the next starts from the same world.
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.crew = {name: User.objects.get(pk=user.pk) for name, user in type(self).crew.items()}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    # --- rules ------------------------------------------------------------------------------------

    @rule(
        target=cases,
        person=st.integers(0, 9),
        agreement=st.integers(0, 9),
        opener=st.sampled_from(("officer", "switcher")),
    )
    def open(self, person: int, agreement: int, opener: str) -> Any:
        chosen = self.world.agreements[agreement % len(self.world.agreements)]
        case = self.attempt(
            f"{opener} opens {chosen}", lambda: open_case(self.person(person), chosen, user=self.crew[opener])
        )
        return case.pk if case is not None else multiple()

    @rule(
        case=cases,
        step=st.sampled_from(list(Step)),
        actor=st.sampled_from(ACTORS),
        reason=st.sampled_from(["", "tested"]),
    )
    def take_step(self, case: int, step: Step, actor: str, reason: str) -> None:
        self.attempt(
            f"{actor} {step.value} case {case}",
            lambda: (
                case_steps.take_step(case, step.value, user=self.crew[actor], reason=reason, **options_for(step)).case
            ),
        )

    @rule(case=cases, picks=st.lists(st.integers(0, 99), min_size=1, max_size=8))
    def advance(self, case: int, picks: list[int]) -> None:
        """Steps users are offered on the case (pages and API list them), mostly forward, with the
        invariants checked after each: random steps alone would rarely get a case past referral,
        where places and quotas are fought over."""
        for pick in picks:
            current = Case.objects.get(pk=case)
            offered = [(name, t.step) for name in ACTORS for t in policy.next_steps(current, self.crew[name])]
            offered += self.movement_moves(current)
            forward = [
                (name, step) for name, step in offered if step in FORWARD and transition(step).target != current.state
            ]
            choices = forward if forward and pick < 85 else offered
            if not choices:
                return
            actor, step = choices[pick % len(choices)]
            done = self.attempt(
                f"{actor} {step.value} case {case} (offered)",
                self.step(case, step, actor),
                may_return=step in VIA_MOVEMENT,
            )
            if done is not None:
                seen(f"reached {done.state}")
            self.check()

    @rule(case=cases, step=st.sampled_from(sorted(VIA_MOVEMENT)), actor=st.sampled_from(ACTORS))
    def movement_step(self, case: int, step: Step, actor: str) -> None:
        """Schedule, depart or hand over the only way there is, with a movement, by anyone: the
        movement's own checks (role, state, validation of the manifest) stop the wrong ones."""
        if step != Step.SCHEDULE and not ManifestEntry.objects.filter(case_id=case).exists():
            return
        self.attempt(f"{actor} {step.value} case {case} (movement)", self.step(case, step, actor), may_return=True)

    def step(self, case: int, step: Step, actor: str) -> Callable[[], Case]:
        """The change ``attempt`` makes. Scheduling puts the case on a flight planned beforehand
        (planning it is its own, audited change, not part of the attempt)."""
        if step == Step.SCHEDULE:
            try:
                movement = flight_for(Case.objects.get(pk=case), self.crew["officer"])
            except CaseError as err:  # no movement under this agreement: the attempt is refused as such
                refusal = err

                def refused() -> Case:
                    raise refusal

                return refused
            return lambda: via_movement(case, step.value, self.crew[actor], movement=movement)
        if step in VIA_MOVEMENT:
            return lambda: via_movement(case, step.value, self.crew[actor])
        return lambda: (
            case_steps.take_step(case, step.value, user=self.crew[actor], reason="tested", **options_for(step)).case
        )

    def movement_moves(self, case: Case) -> list[tuple[str, Step]]:
        """What a movement offers to do next for the case: put it on a flight, depart it, hand it over."""
        receiving = {"SV": "salvador", "VE": "venezuela", "MX": "mexico"}.get(case.receiving_state, "salvador")
        return {
            State.ACCEPTED: [("officer", Step.SCHEDULE)],
            State.SCHEDULED: [("officer", Step.DEPART)],
            State.IN_TRANSIT: [(receiving, Step.HAND_OVER)],
        }.get(State(case.state), [])

    @rule(person=st.integers(0, 9), kind=st.sampled_from(LegalHold.Kind.values), actor=st.sampled_from(ACTORS))
    def file_hold(self, person: int, kind: str, actor: str) -> None:
        document = ContentFile(b"ORDER: removal stayed.", name="order.txt")
        self.attempt(
            f"{actor} files {kind}",
            lambda: file_hold(
                self.person(person), kind=kind, reference="No. 1", document=document, user=self.crew[actor]
            ),
        )

    @precondition(lambda self: LegalHold.objects.filter(lifted_at=None).exists())
    @rule(data=st.data(), actor=st.sampled_from(("reviewer", "officer", "admin")))
    def lift_hold(self, data: st.DataObject, actor: str) -> None:
        hold = data.draw(st.sampled_from(list(LegalHold.objects.filter(lifted_at=None).order_by("pk"))))
        self.attempt(
            f"{actor} lifts hold {hold.pk}", lambda: lift_hold(hold, user=self.crew[actor], reason="stay dissolved")
        )

    @rule(role=st.sampled_from((Role.CASE_OFFICER, Role.LEGAL_REVIEWER)))
    def switch_role(self, role: str) -> None:
        """An officer becomes a legal reviewer (and back): four eyes must still hold for the cases
        they opened, screened or submitted."""
        switcher = set_role(self.crew["switcher"], role, by=self.crew["admin"], reason="reassigned")
        self.crew["switcher"] = switcher

    @rule(case=cases, step=st.sampled_from(list(Step)), actor=st.sampled_from(ACTORS))
    def cli_step(self, case: int, step: Step, actor: str) -> None:
        """``accord case step`` signed in with the actor's token: the same checks, and the audit
        names the token's owner."""
        events = AuditEvent.objects.count()
        args = ["case", "step", str(case), step.value, "--reason", "tested"]
        for name, value in options_for(step).items():
            args += [f"--{name.replace('_', '-')}", value]
        result = CliRunner().invoke(app, args, env={"ACCORD_TOKEN": type(self).tokens[actor]})
        note(f"cli: {actor} {step.value} case {case}: exit {result.exit_code}")
        assert result.exit_code in ((2,) if step in VIA_MOVEMENT else (0, 1)), result.output
        if result.exit_code == 0:
            logged = AuditEvent.objects.filter(seq__gt=events, object_type="case", object_id=str(case))
            assert logged.filter(action__in=[f"case.{s}" for s in Step] + ["case.waitlist"]).exists()
            assert set(logged.exclude(actor="").values_list("actor", flat=True)) == {self.crew[actor].username}
            self.after_step(Case.objects.get(pk=case))

    @rule(owner=st.sampled_from(ACTORS), other=st.sampled_from(ACTORS))
    def admin_reassigns_a_token(self, owner: str, other: str) -> None:
        """The administrator tries to give someone's token to someone else in the admin."""
        token = ApiToken.objects.get(digest=ApiToken.hash(type(self).tokens[owner]))
        client = Client()
        client.force_login(self.crew["admin"])
        client.post(f"/admin/accounts/apitoken/{token.pk}/change/", {"user": self.crew[other].pk})
        token.refresh_from_db()
        assert token.user_id == self.crew[owner].pk and not token.revoked

    @rule(person=st.integers(0, 9), edit=st.integers(0, 99))
    def edit_record(self, person: int, edit: int) -> None:
        cells = edits()[edit % len(edits())]
        events = AuditEvent.objects.count()
        self.attempt(
            f"edit {cells}",
            lambda: update_person(self.person(person), cells, user=self.crew["officer"], reason="record corrected"),
        )
        for action in AuditEvent.objects.filter(seq__gt=events, action__in=("case.return", "case.block")).values_list(
            "action", flat=True
        ):
            seen(f"an edit: {action}")

    # --- invariants -------------------------------------------------------------------------------

    @invariant()
    def nobody_barred_is_on_the_way(self) -> None:
        for case in Case.objects.filter(state__in=PAST_APPROVAL & NOT_YET_MOVED).select_related("person"):
            result = screen_person(case.person, case.agreement_id)
            assert result.outcome != "barred", f"case {case.pk} is {case.state} but {result.failing}"

    @invariant()
    def no_facility_or_quota_is_exceeded(self) -> None:
        for facility in Facility.objects.annotate(
            taken=Count("reservations", filter=Q(reservations__status__in=PLACE_TAKEN))
        ):
            assert facility.taken <= facility.capacity, f"{facility.code}: {facility.taken} > {facility.capacity}"
        used = (
            Reservation.objects.filter(status__in=QUOTA_COUNTED)
            .exclude(quota_month="")
            .values("agreement_id", "clause_id", "quota_month")
            .annotate(n=Count("id"))
        )
        for row in used:
            quota = default_dataset().agreement(row["agreement_id"]).clause(row["clause_id"]).monthly_quota
            assert quota is not None and row["n"] <= quota, row

    @invariant()
    def a_place_is_held_exactly_while_the_move_is_on(self) -> None:
        live = {r.case_id: r for r in Reservation.objects.filter(status__in=("waiting", "held", "occupied"))}
        for case in Case.objects.exclude(data_version="filler"):
            reservation = live.get(case.pk)
            status = reservation.status if reservation else None
            if case.state in HOLDING_A_PLACE:
                assert status in ("held", None), (case.pk, case.state, status)
                assert status == "held" or not self.needs_place(case), (case.pk, case.state)
            elif case.state in MOVED:
                assert status in ("occupied", None), (case.pk, case.state, status)
                if case.state == State.HANDED_OVER:  # in the facility until released, which closes the case
                    assert status == "occupied" or not self.needs_place(case), (case.pk, case.state)
            elif case.state == State.REFERRED:
                assert status in ("waiting", None), (case.pk, case.state, status)
            else:
                assert status is None, (case.pk, case.state, status)
        released = Reservation.objects.filter(status="released").exclude(case__data_version="filler")
        assert not released.exclude(case__state=State.CLOSED).exists(), "a place released before the case closed"

    @invariant()
    def every_prison_placement_sent_holds_or_occupies_exactly_one_place(self) -> None:
        for case in Case.objects.filter(state__in=[*SENT, State.HANDED_OVER]).exclude(data_version="filler"):
            if case.state == State.REFERRED:
                continue  # referred: a place is held from acceptance (or waited for)
            places = Reservation.objects.filter(case=case, status__in=("held", "occupied")).exclude(facility=None)
            facility = self.facility_of(case)
            if case.placement == "prison" and facility is not None:
                expected = "occupied" if case.state == State.HANDED_OVER else "held"
                assert [(r.facility.code, r.status) for r in places] == [(facility, expected)], (case.pk, case.state)
            else:
                assert not places.exists(), (case.pk, case.placement, list(places.values()))

    @invariant()
    def a_case_on_its_way_carries_the_record_it_was_sent(self) -> None:
        for case in Case.objects.filter(state__in=SENT).exclude(data_version="filler").select_related("person"):
            assert case.referral == self.record_of(case), (case.pk, case.referral, self.record_of(case))

    @invariant()
    def a_hold_stops_every_move(self) -> None:
        held = LegalHold.objects.filter(lifted_at=None).values("person_id")
        on_the_way = Case.objects.filter(person_id__in=held, state__in=NOT_YET_MOVED)
        assert not on_the_way.exists(), list(on_the_way.values_list("pk", "state"))

    @invariant()
    def four_eyes(self) -> None:
        """Over the whole history, from the audit log: the approver took no preparing act before the
        approval (carrying it out afterwards, in another role, is allowed)."""
        for case in Case.objects.exclude(approved_by=None).select_related("approved_by"):
            events = AuditEvent.objects.filter(object_type="case", object_id=str(case.pk))
            approval = events.filter(action="case.approve").order_by("-seq").values_list("seq", flat=True).first()
            before = events.filter(seq__lt=approval) if approval is not None else events
            preparers = set(before.filter(action__in=PREPARING).values_list("actor", flat=True))
            assert case.approved_by.username not in preparers, (case.pk, case.approved_by.username)

    @invariant()
    def the_log_tells_the_state_and_verifies(self) -> None:
        for case in Case.objects.exclude(data_version="filler"):
            last = AuditEvent.objects.filter(object_type="case", object_id=str(case.pk)).order_by("-seq").first()
            assert last is not None and last.after is not None and last.after["state"] == case.state, case.pk
        verification = verify_chain()
        assert verification.ok, verification

    # --- helpers ----------------------------------------------------------------------------------

    def check(self) -> None:
        """Every invariant, between the steps of one rule."""
        self.nobody_barred_is_on_the_way()
        self.no_facility_or_quota_is_exceeded()
        self.a_place_is_held_exactly_while_the_move_is_on()
        self.every_prison_placement_sent_holds_or_occupies_exactly_one_place()
        self.a_case_on_its_way_carries_the_record_it_was_sent()
        self.a_hold_stops_every_move()
        self.four_eyes()
        self.the_log_tells_the_state_and_verifies()

    def after_step(self, done: Any) -> None:
        """At the moment of handover: the person, placement and facility handed over are the ones
        the receiving state accepted, as the test itself reads them off the stored record."""
        if isinstance(done, Case) and done.state == State.HANDED_OVER:
            case = Case.objects.select_related("person").get(pk=done.pk)
            assert case.referral == self.record_of(case), (case.pk, case.referral, self.record_of(case))
            seen("handed over (record checked)")

    def facility_of(self, case: Case) -> str | None:
        if case.placement != "prison" or not case.clause_id:
            return None
        return default_dataset().agreement(case.agreement_id).clause(case.clause_id).facility

    def record_of(self, case: Case) -> dict[str, Any]:
        """What the receiving state must hold for the case as it stands (the test's own reading)."""
        p = case.person
        return {
            "person_id": p.person_id,
            "family_name": p.family_name,
            "given_names": p.given_names,
            "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
            "sex": p.sex,
            "nationalities": list(p.nationalities),
            "placement": case.placement,
            "clause": case.clause_id or None,
            "facility": self.facility_of(case),
            "conviction": p.conviction if case.placement == "prison" else None,
            "legal_basis": case.legal_basis if case.placement == "prison" else None,
        }

    def person(self, i: int) -> Person:
        return Person.objects.get(pk=self.world.person_pks[i % len(self.world.person_pks)])

    def needs_place(self, case: Case) -> bool:
        if not case.clause_id:
            return False
        clause = default_dataset().agreement(case.agreement_id).clause(case.clause_id)
        return clause.monthly_quota is not None or (case.placement == "prison" and clause.facility is not None)

    def attempt(self, what: str, change: Callable[[], Any], *, may_return: bool = False) -> Any:
        """Make the change; when it is refused, prove that nothing changed (or, for a step whose
        screening found that the case no longer stands, that only that case went back; a refused
        departure, ``may_return``, may return several people on the manifest)."""
        before = snapshot()
        try:
            done = change()
        except errors.Returned as err:
            note(f"refused and returned: {what}: {err}")
            seen(f"returned to {err.state}")
            self.check_returned(err.case_id, before)
            return None
        except REFUSALS as err:
            note(f"refused: {what}: {err}")
            if may_return and (went_back := returned_cases(before, snapshot())):
                seen("a refused departure returned cases")
                for case_id in went_back:
                    self.check_returned(case_id, before, others_returned=went_back)
                return None
            assert snapshot() == before, f"refused '{what}' still changed something"
            return None
        note(f"done: {what}")
        self.after_step(done)
        return done

    def check_returned(
        self, case_id: int, before: dict[str, Any], others_returned: frozenset[int] = frozenset()
    ) -> None:
        case = Case.objects.get(pk=case_id)
        assert case.state in (State.BLOCKED, State.LEGAL_REVIEW, State.APPROVED), (case_id, case.state)
        assert not Reservation.objects.filter(case=case, status__in=("waiting", "held", "occupied")).exists()
        after = snapshot()
        went_back = others_returned | {case_id}
        others = {"cases": lambda rows: [r for r in rows if r["id"] not in went_back], "people": list, "holds": list}
        for key, keep in others.items():
            assert keep(after[key]) == keep(before[key]), f"a return changed {key} beyond case {case_id}"


def returned_cases(before: dict[str, Any], after: dict[str, Any]) -> frozenset[int]:
    """The cases whose stored row changed between two snapshots."""
    rows = {r["id"]: r for r in before["cases"]}
    return frozenset(r["id"] for r in after["cases"] if rows.get(r["id"]) != r)


# Acts that prepare a case (four eyes): every screening step but approval, opening and submitting.
PREPARING = [
    f"case.{s}"
    for s in ("open", "submit", "refer", "accept", "waitlist", "schedule", "depart", "hand_over", "rescreen")
]


def snapshot() -> dict[str, Any]:
    """Everything a step may touch, as stored."""
    return {
        "cases": list(Case.objects.order_by("pk").values()),
        "people": list(Person.objects.order_by("pk").values()),
        "holds": list(LegalHold.objects.order_by("pk").values()),
        "reservations": list(Reservation.objects.exclude(case__data_version="filler").order_by("pk").values()),
        "audit_head": list(AuditHead.objects.values()),
        "audit_events": AuditEvent.objects.count(),
    }


# --- the worlds -------------------------------------------------------------------------------------

VE_FELON = {"nationalities": "VE", "conviction": "felony"}


def shrink_cecot(crew: dict[str, User]) -> None:
    Facility.objects.filter(code="cecot").update(capacity=1)


def use_up_june_quota(crew: dict[str, User]) -> None:
    """29,999 of June 2024's acceptances already made (cases since closed): one place remains."""
    use_up_quota(Person.objects.get(person_id="FILLER"), "2024-06", 29_999, crew["officer"])


TODAY = World(
    day=None,
    people={"VE1": VE_FELON, "VE2": VE_FELON, "VE3": VE_FELON, "SV1": {}},
    agreements=("us-sv-2025", "us-ve-2025"),
    prepare=shrink_cecot,
)
JUNE_2024 = World(
    day=dt.datetime(2024, 6, 3, 12, tzinfo=dt.UTC),
    people={"CU1": {"nationalities": "CU"}, "HT1": {"nationalities": "HT"}, "VE1": {"nationalities": "VE"}},
    agreements=("us-mx-chnv",),
    prepare=use_up_june_quota,
)


@pytest.fixture
def crew(users: dict[str, User], facilities: None) -> dict[str, User]:
    more = {
        "reviewer2": User.objects.create_user(username="reviewer2", role=Role.LEGAL_REVIEWER),
        "switcher": User.objects.create_user(username="switcher", role=Role.CASE_OFFICER),
        "venezuela": User.objects.create_user(username="venezuela", role=Role.RECEIVING_OFFICER, receiving_state="VE"),
        "mexico": User.objects.create_user(username="mexico", role=Role.RECEIVING_OFFICER, receiving_state="MX"),
    }
    return {**users, **more}


@pytest.fixture(params=[TODAY, JUNE_2024], ids=["today-cecot", "june-2024-quota"])
def world(request: pytest.FixtureRequest, crew: dict[str, User], make_person: Callable[..., Person]) -> Iterator[World]:
    chosen: World = request.param
    with time_machine.travel(chosen.day, tick=True) if chosen.day else nullcontext():
        people = [make_person(pid, **cells) for pid, cells in chosen.people.items()]
        make_person("FILLER")
        chosen.prepare(crew)
        chosen.person_pks = [p.pk for p in people]
        yield chosen


def test_no_sequence_of_steps_holds_and_edits_breaks_a_safeguard(world: World, crew: dict[str, User]) -> None:
    tokens = {name: ApiToken.issue(user, "machine")[1] for name, user in crew.items()}
    Workflow.world, Workflow.crew, Workflow.tokens = world, crew, tokens
    REACHED.clear()
    run_state_machine_as_test(Workflow, settings=MACHINE)
    print(f"\n{MACHINE.max_examples} sequences reached:", dict(sorted(REACHED.items())))
