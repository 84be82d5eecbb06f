"""Movements on a real database (issue #12): a manifest validated person by person through one
bulk screening, departure that freezes it, handover person by person, holds before and after
departure, and who sees what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accord.accounts.models import Role, User
from accord.audit.models import AuditEvent
from accord.capacity.models import Reservation
from accord.cases import policy
from accord.cases import steps as case_steps
from accord.cases.errors import CaseError, Refused, StepOptionError
from accord.cases.models import Case
from accord.holds.services import file_hold
from accord.ledger.models import Transaction
from accord.movements import selectors
from accord.movements import services as moves
from accord.movements.models import ManifestEntry, Movement
from accord.people.models import Person
from accord.people.services import update_person
from tests.web.moving import accepted, entry_of, fill, flight, fly, ready


@pytest.fixture
def crew(users: dict[str, User], facilities: None) -> dict[str, User]:
    second = User.objects.create_user(username="reviewer2", password="x" * 12, role=Role.LEGAL_REVIEWER)
    mexico = User.objects.create_user(
        username="mexico", password="x" * 12, role=Role.RECEIVING_OFFICER, receiving_state="MX"
    )
    return {**users, "reviewer2": second, "mexico": mexico}


def order() -> ContentFile[bytes]:
    return ContentFile(b"ORDER: removal stayed pending the habeas petition.", name="order.txt")


def place_of(case: Case) -> str | None:
    found = Reservation.objects.filter(case=case).order_by("-id").first()
    return found.status if found else None


def codes(movement: Movement, user: User) -> set[tuple[str, str]]:
    return {(p.person_id, p.code) for p in moves.validate_movement(movement.pk, user=user)}


def test_a_flight_is_filled_validated_departed_and_handed_over_person_by_person(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    officer, salvador = crew["officer"], crew["salvador"]
    cases = [accepted(make_person, crew, f"F{i}") for i in range(3)]
    movement = flight(officer)
    entries = moves.add_to_movement(movement.pk, [c.pk for c in cases], user=officer)
    assert {Case.objects.get(pk=c.pk).state for c in cases} == {"scheduled"}
    # Nothing recorded yet: each person lacks a travel document and a fit-to-travel finding.
    assert codes(movement, officer) == {(f"F{i}", code) for i in range(3) for code in ("travel_document", "fitness")}
    with pytest.raises(Refused, match=r"cannot depart.*F0: no travel document"):
        moves.depart(movement.pk, user=officer)
    assert {Case.objects.get(pk=c.pk).state for c in cases} == {"scheduled"}  # the refusal changed nothing

    for entry in entries:
        ready(entry, officer)
    assert moves.validate_movement(movement.pk, user=officer) == []
    moves.depart(movement.pk, user=officer)
    assert {Case.objects.get(pk=c.pk).state for c in cases} == {"in_transit"}
    with pytest.raises(Refused, match="departed"):
        moves.add_to_movement(movement.pk, [accepted(make_person, crew, "LATE").pk], user=officer)

    moves.record_arrival(movement.pk, user=salvador)
    moves.hand_over(entries[0].pk, user=salvador, place="CECOT, Tecoluca", official="Cmdr. R. Flores")
    moves.hand_over(entries[1].pk, user=salvador, place="CECOT, Tecoluca", official="Cmdr. R. Flores")
    assert Case.objects.get(pk=cases[0].pk).state == "handed_over"
    assert place_of(cases[0]) == "occupied"
    done = ManifestEntry.objects.get(pk=entries[0].pk)
    assert (done.handover_place, done.receiving_official) == ("CECOT, Tecoluca", "Cmdr. R. Flores")
    assert done.handed_over_at is not None

    # The third is not handed over: flagged, and the movement is not complete until it is resolved.
    moves.not_handed_over(entries[2].pk, user=salvador, reason="medical", note="taken to hospital at arrival")
    movement.refresh_from_db()
    assert not moves.complete(movement)
    rows = selectors.manifest(movement, officer).rows
    assert [r["flagged"] for r in rows] == [False, False, True]
    assert place_of(cases[2]) == "held"  # nobody silently dropped: the case is still in transit
    assert Case.objects.get(pk=cases[2].pk).state == "in_transit"
    moves.resolve(entries[2].pk, user=officer, resolution="discharged and handed over on the next day's movement")
    assert moves.complete(movement)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"movement.create", "manifest.add", "movement.depart", "movement.arrive", "manifest.hand_over"} <= actions
    assert {"manifest.not_handed_over", "manifest.resolve", "case.schedule", "case.depart", "case.hand_over"} <= actions


def test_each_validation_failure_is_named_for_its_person_and_the_movement(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    officer = crew["officer"]
    people = ["OK", "BARRED", "HOLD", "NOPLACE", "CHANGED", "FOREIGNDOC", "STALEFIT"]
    cases = {pid: accepted(make_person, crew, pid) for pid in people}
    movement = flight(officer, seats=6, escorts=1)
    entries = {e.person.person_id: e for e in fill(movement, list(cases.values()), officer)}
    assert codes(movement, officer) == {("", "seats"), ("", "escorts")}
    # Each planted after scheduling, behind the use cases' back, as a stale or wrong record would be:
    Person.objects.filter(person_id="BARRED").update(status="citizen")  # not eligible on the day
    Person.objects.filter(person_id="HOLD").update(legal_hold=True)
    Reservation.objects.filter(case=cases["NOPLACE"]).update(status="cancelled")
    Person.objects.filter(person_id="CHANGED").update(family_name="Other")
    moves.record_travel_document(entries["FOREIGNDOC"].pk, user=officer, kind="issued", state="US", reference="P123")
    moves.record_fitness(entries["STALEFIT"].pk, user=officer, on=timezone.localdate() - timezone.timedelta(days=9))
    found = moves.validate_movement(movement.pk, user=officer)
    by = {(p.person_id, p.code) for p in found}
    assert by >= {
        ("BARRED", "not_eligible"),
        ("HOLD", "hold"),
        ("HOLD", "not_eligible"),  # the rules see the hold too
        ("NOPLACE", "no_place"),
        ("CHANGED", "record_changed"),
        ("FOREIGNDOC", "travel_document"),
        ("STALEFIT", "fitness"),
        ("", "seats"),
        ("", "escorts"),
    }
    assert not {code for pid, code in by if pid == "OK"}
    barred = next(p for p in found if p.person_id == "BARRED" and p.code == "not_eligible")
    assert "barred on" in barred.message and "us/" in barred.message  # names the rule
    assert "7 people on the manifest, 6 seats" in moves.describe(found)
    with pytest.raises(Refused):
        moves.depart(movement.pk, user=officer)
    assert Movement.objects.get(pk=movement.pk).status == "planned"


def test_a_hold_after_scheduling_takes_the_person_off_and_the_receiving_officer_sees_do_not_receive(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    officer, salvador = crew["officer"], crew["salvador"]
    stays, held = accepted(make_person, crew, "STAYS"), accepted(make_person, crew, "HELD")
    movement = flight(officer)
    fill(movement, [stays, held], officer)
    file_hold(held.person, kind="habeas_petition", reference="1:26-cv-00412", document=order(), user=officer)
    entry = entry_of(held)
    assert entry.status == "removed" and entry.removed_at is not None
    assert Case.objects.get(pk=held.pk).state == "on_hold"
    assert place_of(held) == "cancelled"  # the place is given back at once
    rows = {r["person_id"]: r for r in selectors.manifest(movement, salvador).rows}
    assert rows["HELD"]["do_not_receive"] and rows["HELD"]["status"] == "removed"
    assert rows["HELD"]["removed_on"] == timezone.now().date().isoformat()
    assert "do not receive" in rows["HELD"]["status_label"]
    assert "habeas" not in str(rows["HELD"]).lower()  # never why (8 C.F.R. §208.6)
    assert moves.validate_movement(movement.pk, user=officer) == []  # the rest may still fly
    fly(movement, crew)
    assert Case.objects.get(pk=stays.pk).state == "in_transit"


def test_a_stopped_after_departure_keeps_the_person_on_the_frozen_manifest_flagged(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    officer, salvador = crew["officer"], crew["salvador"]
    case = accepted(make_person, crew, "AIRBORNE")
    movement = flight(officer)
    fill(movement, [case], officer)
    moves.depart(movement.pk, user=officer)
    file_hold(case.person, kind="stay_of_removal", reference="A-201-555-001", document=order(), user=officer)
    entry = entry_of(case)
    assert entry.status == "on" and entry.stopped_after_departure and entry.flagged
    moves.record_arrival(movement.pk, user=salvador)
    with pytest.raises(Refused, match="Do not receive AIRBORNE"):
        moves.hand_over(entry.pk, user=salvador, place="SAL", official="Lt. Duarte")
    moves.not_handed_over(entry.pk, user=salvador, reason="returned_with_escort")
    movement.refresh_from_db()
    assert not moves.complete(movement)
    assert Case.objects.get(pk=case.pk).state == "on_hold"


def test_cancelling_takes_everyone_off_and_each_keeps_their_place(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    officer = crew["officer"]
    case = accepted(make_person, crew, "C1")
    movement = flight(officer)
    fill(movement, [case], officer)
    with pytest.raises(CaseError, match="reason"):
        moves.cancel_movement(movement.pk, user=officer, reason=" ")
    moves.cancel_movement(movement.pk, user=officer, reason="aircraft unserviceable")
    assert Case.objects.get(pk=case.pk).state == "accepted" and place_of(case) == "held"
    assert entry_of(case).status == "removed"
    again = flight(officer)
    assert len(moves.add_to_movement(again.pk, [case.pk], user=officer)) == 1  # free for the next flight


def test_a_person_is_on_one_open_movement_and_bulk_adding_is_all_or_nothing(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    officer = crew["officer"]
    first, second = accepted(make_person, crew, "P1"), accepted(make_person, crew, "P2")
    one, two = flight(officer), flight(officer)
    moves.add_to_movement(one.pk, [first.pk], user=officer)
    with pytest.raises(Refused, match=f"case {first.pk} is scheduled \\(on movement {one.pk}\\)"):
        moves.add_to_movement(two.pk, [second.pk, first.pk], user=officer)
    assert not ManifestEntry.objects.filter(movement=two).exists()  # P2 was not added either
    assert Case.objects.get(pk=second.pk).state == "accepted"


def test_bad_movement_input_is_refused_naming_the_field(crew: dict[str, User]) -> None:
    officer = crew["officer"]
    movement = flight(officer)
    for field, value in (("departure_tz", "Mars/Olympus"), ("seats", 0), ("kind", "balloon")):
        with pytest.raises(moves.MovementError, match=field):
            moves.edit_movement(movement.pk, user=officer, **{field: value})
    with pytest.raises(moves.MovementError, match="planned_arrival"):
        moves.edit_movement(movement.pk, user=officer, planned_arrival=movement.planned_departure)
    with pytest.raises(moves.MovementError, match="wings"):
        moves.edit_movement(movement.pk, user=officer, wings=2)


def test_the_payer_defaults_to_the_one_the_agreement_names(crew: dict[str, User]) -> None:
    panama = flight(crew["officer"], agreement_id="pa-co-2025")
    venezuela = flight(crew["officer"], agreement_id="us-ve-2025")
    assert (panama.payer, panama.payer_state) == ("third_state", "US")
    assert (venezuela.payer, venezuela.payer_state) == ("receiving_state", "VE")


def test_departure_charges_the_recorded_transport_cost_to_a_payer_other_than_the_operator(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """Venezuela pays for its deportees' transport: a movement paid by another state than the one
    that operates it is charged in the ledger at departure, once, to the cent; the operator paying
    its own movement owes nobody, and a cost not recorded is never guessed."""
    with pytest.raises(CaseError, match="transport_currency"):
        flight(crew["officer"], transport_cost_minor=18_250_000)
    with pytest.raises(CaseError, match="transport_cost_minor"):
        flight(crew["officer"], transport_cost_minor=12.5, transport_currency="USD")
    paid = flight(
        crew["officer"],
        payer="receiving_state",
        payer_state="SV",
        transport_cost_minor=18_250_000,
        transport_currency="USD",
    )
    own = flight(crew["officer"], transport_cost_minor=9_900_000, transport_currency="USD")  # the US pays
    unknown = flight(crew["officer"], payer="receiving_state", payer_state="SV")
    for movement, pid in ((paid, "T1"), (own, "T2"), (unknown, "T3")):
        fill(movement, [accepted(make_person, crew, pid)], crew["officer"])
        moves.depart(movement.pk, user=crew["officer"])
    charges = Transaction.objects.filter(kind=Transaction.Kind.TRANSPORT)
    assert [t.reference for t in charges] == [f"MV-{paid.pk}"]
    (line,) = charges[0].lines.all()
    assert (line.payer, line.payee, line.amount_minor, line.currency, line.assumption) == (
        "SV",
        "US",
        18_250_000,
        "USD",
        False,
    )
    assert line.agreement_id == "us-sv-2025" and line.reference == f"MV-{paid.pk}"


def test_who_sees_what_of_a_movement(crew: dict[str, User], make_person: Callable[..., Person]) -> None:
    officer = crew["officer"]
    movement = flight(officer)
    fill(movement, [accepted(make_person, crew, "W1", sex="F")], officer)
    for name in ("officer", "reviewer", "salvador", "finance", "monitor"):
        assert list(selectors.movement_list(crew[name])) == [movement], name
    assert list(selectors.movement_list(crew["mexico"])) == []
    assert list(selectors.movement_list(crew["admin"])) == []
    for name in ("finance", "monitor"):
        seen = selectors.manifest(movement, crew[name])
        assert seen.rows == [] and seen.by_sex == {"F": 1}, name  # counts, never who
    row = selectors.manifest(movement, crew["salvador"]).rows[0]
    assert row["name"] == "GOLDEN, Scenario" and row["checks"] == []
    with pytest.raises(PermissionError):
        selectors.manifest(movement, crew["mexico"])
    with pytest.raises(moves.MovementError, match="no movement"):
        moves.record_arrival(movement.pk, user=crew["mexico"])  # another state's movement does not reveal itself
    with pytest.raises(Exception, match="may not"):
        moves.add_to_movement(movement.pk, [1], user=crew["salvador"])


def test_no_case_is_scheduled_departed_or_handed_over_on_its_own(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """Only a movement takes these steps, whether the case is on one or not: refused as such
    before anything is read, and never offered."""
    alone = accepted(make_person, crew, "ALONE")
    for step, who in (("schedule", "officer"), ("depart", "officer"), ("hand_over", "salvador")):
        with pytest.raises(StepOptionError, match=f"{step} is taken with a movement"):
            case_steps.take_step(alone.pk, step, user=crew[who])
    assert Case.objects.get(pk=alone.pk).state == "accepted"
    assert "schedule" not in [t.step for t in policy.next_steps(alone, crew["officer"])]
    case = accepted(make_person, crew, "ONBOARD")
    movement = flight(crew["officer"])
    fill(movement, [case], crew["officer"])
    with pytest.raises(StepOptionError, match="depart is taken with a movement"):
        case_steps.take_step(case.pk, "depart", user=crew["officer"])
    assert Case.objects.get(pk=case.pk).state == "scheduled"
    moves.depart(movement.pk, user=crew["officer"])
    with pytest.raises(StepOptionError, match="hand_over is taken with a movement"):
        case_steps.take_step(case.pk, "hand_over", user=crew["salvador"])
    assert policy.next_steps(Case.objects.get(pk=case.pk), crew["salvador"]) == []  # not offered either


def test_a_case_returned_while_on_a_planned_movement_is_taken_off_it(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """A record change that voids the acceptance (through the workflow, here an edit) takes the
    person off the planned manifest at once; the receiving officer sees "do not receive"."""
    case = accepted(make_person, crew, "EDITED")
    movement = flight(crew["officer"])
    fill(movement, [case], crew["officer"])
    update_person(case.person, {"family_name": "Renamed"}, user=crew["officer"], reason="court record")
    entry = entry_of(case)
    assert (entry.status, entry.removal_reason) == ("removed", "returned for review")
    assert Case.objects.get(pk=case.pk).state == "approved"
    seen = selectors.manifest(movement, crew["salvador"]).rows
    assert [(r["person_id"], r["do_not_receive"]) for r in seen] == [("EDITED", True)]
    with pytest.raises(Refused, match="empty movement cannot depart"):
        moves.depart(movement.pk, user=crew["officer"])


def test_a_withdrawn_case_leaves_the_manifest_and_one_returned_in_the_air_is_flagged_and_not_received(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    returned, withdrawn, fine = (accepted(make_person, crew, pid) for pid in ("BACK", "WITHDRAWN", "FINE"))
    movement = flight(crew["officer"])
    fill(movement, [returned, withdrawn, fine], crew["officer"])
    case_steps.withdraw(withdrawn.pk, user=crew["officer"], reason="Removal order rescinded")
    assert (entry_of(withdrawn).status, entry_of(withdrawn).removal_reason) == ("removed", "withdrawn")
    moves.depart(movement.pk, user=crew["officer"])
    update_person(returned.person, {"conviction": "none"}, user=crew["officer"], reason="conviction vacated")
    assert Case.objects.get(pk=returned.pk).state == "blocked"  # returned in the air: no longer eligible
    moves.record_arrival(movement.pk, user=crew["salvador"])
    entry = entry_of(returned)
    assert (entry.status, entry.stopped_after_departure, entry.flagged) == ("on", True, True)
    with pytest.raises(Refused, match="Do not receive BACK"):
        moves.hand_over(entry.pk, user=crew["salvador"], place="SAL", official="Lt. Duarte")
    assert moves.not_handed_over(entry.pk, user=crew["salvador"], reason="returned_with_escort").flagged
    moves.hand_over(entry_of(fine).pk, user=crew["salvador"], place="SAL", official="Lt. Duarte")
    assert Case.objects.get(pk=fine.pk).state == "handed_over"


def test_the_place_is_occupied_from_the_day_of_handover_at_the_destination(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """03:00 UTC is still the evening before in San Salvador (UTC-6): the occupancy, and the fee
    per person-day that the ledger accrues from it, starts on the local day of the handover."""
    case = accepted(make_person, crew, "NIGHT")
    at = dt.datetime.combine(timezone.now().date() - dt.timedelta(days=1), dt.time(3, 0), tzinfo=dt.UTC)
    movement = flight(crew["officer"], on=at.date() - dt.timedelta(days=1))
    (entry,) = moves.add_to_movement(movement.pk, [case.pk], user=crew["officer"])
    moves.record_travel_document(entry.pk, user=crew["officer"], kind="accepted", state="SV", reference="SV-NIGHT")
    moves.record_fitness(entry.pk, user=crew["officer"], on=movement.planned_departure.date())
    moves.depart(movement.pk, user=crew["officer"], at=at - dt.timedelta(hours=5))
    moves.record_arrival(movement.pk, user=crew["salvador"], at=at - dt.timedelta(hours=2))
    moves.hand_over(entry.pk, user=crew["salvador"], place="CECOT", official="Cmdr. R. Flores", at=at)
    held = Reservation.objects.get(case=case, status="occupied")
    assert held.occupied_on == at.date() - dt.timedelta(days=1)


def test_a_handover_before_the_arrival_and_an_arrival_before_the_departure_are_refused(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """The handover starts the occupancy (and the fees per person-day): it happens after the
    movement arrived, which happens after it departed; a time before either is a typing mistake."""
    case = accepted(make_person, crew, "EARLY")
    movement = flight(crew["officer"])
    fill(movement, [case], crew["officer"])
    left = timezone.now() - dt.timedelta(hours=6)
    moves.depart(movement.pk, user=crew["officer"], at=left)
    with pytest.raises(CaseError, match=r"at: the arrival time .* is before the movement.s recorded departure"):
        moves.record_arrival(movement.pk, user=crew["salvador"], at=left - dt.timedelta(minutes=1))
    landed = left + dt.timedelta(hours=3)
    moves.record_arrival(movement.pk, user=crew["salvador"], at=landed)
    entry = entry_of(case)
    with pytest.raises(CaseError, match=r"at: the handover time .* is before the movement.s recorded arrival"):
        moves.hand_over(entry.pk, user=crew["salvador"], place="CECOT", official="Cmdr. R. Flores", at=left)
    entry.refresh_from_db()
    assert entry.status == "on" and Reservation.objects.get(case=case).status == "held"  # nothing changed
    moves.hand_over(entry.pk, user=crew["salvador"], place="CECOT", official="Cmdr. R. Flores", at=landed)
    assert (
        Reservation.objects.get(case=case, status="occupied").held_until
        == Reservation.objects.get(case=case).occupied_on
    )


def test_a_handover_typed_to_the_minute_of_the_arrival_is_accepted(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    case = accepted(make_person, crew, "SAME-MINUTE")
    movement = flight(crew["officer"])
    fill(movement, [case], crew["officer"])
    landed = (timezone.now() - dt.timedelta(hours=1)).replace(second=42)
    moves.depart(movement.pk, user=crew["officer"], at=landed - dt.timedelta(hours=3))
    moves.record_arrival(movement.pk, user=crew["salvador"], at=landed)
    typed = landed.replace(second=0, microsecond=0)  # the form's minute
    moves.hand_over(entry_of(case).pk, user=crew["salvador"], place="CECOT", official="Cmdr. R. Flores", at=typed)
    assert entry_of(case).status == "handed_over"
