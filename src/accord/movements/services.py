"""Movements' use cases, one function each (issue #12): called alike by the API, the CLI, the
demo and the pages. Each runs in one transaction and records its change in the audit log; a
refusal (``CaseError``) changes nothing.

Lock order: the movement, then each person and case (``cases.changes.lock``), then the audit head
and facilities, so movements, steps and holds queue up instead of deadlocking.

The workflow's schedule, depart and hand-over steps happen here: putting an accepted case on a
movement schedules it, departure sends every case on the frozen manifest in transit, a handover
moves its place from held to occupied.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.accounts.models import User
from accord.accounts.permissions import Can, require
from accord.audit.services import record
from accord.capacity import services as places
from accord.capacity.models import Reservation
from accord.capacity.selectors import current_usage
from accord.cases.changes import apply_screening, finish, lock
from accord.cases.errors import CaseError, Refused, Returned
from accord.cases.models import Case, State
from accord.cases.referral import facility_code, referral_changes
from accord.cases.retry import retry_when_busy
from accord.cases.returns import return_case, review_case
from accord.cases.services import screen_person
from accord.cases.standing import verdict
from accord.core import ledger as ledger_core
from accord.core import movements as core
from accord.core.screening import RULE_SEPARATOR, default_dataset, screen_population
from accord.core.workflow import NOT_YET_MOVED, RETURNED, Step
from accord.ledger import services as ledger
from accord.movements import policy
from accord.movements.models import ManifestEntry, Movement
from accord.people.records import people_frame

EDITABLE = (
    "kind",
    "carrier",
    "flight_number",
    "origin",
    "destination_airport",
    "transit_airports",
    "destination_facility",
    "planned_departure",
    "departure_tz",
    "planned_arrival",
    "arrival_tz",
    "seats",
    "escorts",
    "transport_cost_minor",
    "transport_currency",
)


class MovementError(CaseError):
    """Bad input or a refused use case on a movement (``field`` names the input at fault)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


# --- the movement ---------------------------------------------------------------------------------


@retry_when_busy
def create_movement(
    *,
    user: User,
    agreement_id: str,
    kind: str,
    origin: str,
    planned_departure: dt.datetime,
    departure_tz: str,
    planned_arrival: dt.datetime,
    arrival_tz: str,
    seats: int,
    escorts: int,
    carrier: str = "",
    flight_number: str = "",
    destination_airport: str = "",
    transit_airports: str | list[str] = "",
    destination_facility: str = "",
    payer: str = "",
    payer_state: str = "",
    transport_cost_minor: int | None = None,
    transport_currency: str = "",
) -> Movement:
    """Plan a movement under an agreement. The payer defaults to the one the agreement names
    (``transport_paid_by``), else to ``data/movements.toml``'s assumption. The transport cost, when
    known, is the carrier's figure in minor units (charged to the payer at departure)."""
    require(user, Can.MANAGE_MOVEMENTS)
    try:
        agreement = default_dataset().transfer_agreement(agreement_id)
    except (KeyError, ValueError) as err:
        raise MovementError(str(err), "agreement_id") from None
    if not payer:
        payer, payer_state = _default_payer(
            agreement.sending_state, agreement.receiving_state, agreement.transport_paid_by
        )
    movement = Movement(
        agreement_id=agreement.id,
        receiving_state=agreement.receiving_state,
        payer=payer,
        payer_state=payer_state,
        created_by=user,
        **_checked(
            {
                "kind": kind,
                "carrier": carrier,
                "flight_number": flight_number,
                "origin": origin,
                "destination_airport": destination_airport,
                "transit_airports": transit_airports,
                "destination_facility": destination_facility,
                "planned_departure": planned_departure,
                "departure_tz": departure_tz,
                "planned_arrival": planned_arrival,
                "arrival_tz": arrival_tz,
                "seats": seats,
                "escorts": escorts,
                "transport_cost_minor": transport_cost_minor,
                "transport_currency": transport_currency,
            }
        ),
    )
    if movement.payer not in Movement.Payer.values or len(movement.payer_state) != 2:
        raise MovementError(f"one of {', '.join(Movement.Payer.values)} with a two-letter state code", "payer")
    with transaction.atomic():
        movement.save()
        record(user, "movement.create", "movement", str(movement.pk), after=snapshot(movement))
    return movement


@retry_when_busy
def edit_movement(movement_id: int, *, user: User, reason: str = "", **changes: Any) -> Movement:
    """Change a planned movement's facts (never after departure). Unknown fields are refused by name."""
    require(user, Can.MANAGE_MOVEMENTS)
    for name in sorted(set(changes) - set(EDITABLE)):
        raise MovementError(f"a movement has no editable field {name!r}", name)
    with transaction.atomic():
        movement = _lock(movement_id)
        _require_status(movement, Movement.Status.PLANNED, _("edited"))
        before = snapshot(movement)
        current = {name: getattr(movement, name) for name in EDITABLE}
        for name, value in _checked({**current, **changes}).items():
            setattr(movement, name, value)
        movement.save()
        record(
            user, "movement.edit", "movement", str(movement.pk), before=before, after=snapshot(movement), reason=reason
        )
        day = departure_day(movement)
        for case_id in _open_entries(movement).values_list("case_id", flat=True):
            case = lock(case_id)  # the move day follows the flight, each change in the case's own history
            if case.scheduled_for != day:
                case.scheduled_for = day
                finish(
                    case,
                    "reschedule",
                    user,
                    reason or f"movement {movement.pk} now leaves on {day}",
                    target=State.SCHEDULED,
                )
    return movement


@retry_when_busy
def cancel_movement(movement_id: int, *, user: User, reason: str) -> Movement:
    """Cancel a planned movement: everyone is taken off and their cases are accepted again,
    keeping the place each holds (it is theirs); nothing else is given back or taken."""
    require(user, Can.MANAGE_MOVEMENTS)
    if not reason.strip():
        raise MovementError(_("cancelling a movement needs a reason"), "reason")
    with transaction.atomic():
        movement = _lock(movement_id)
        _require_status(movement, Movement.Status.PLANNED, _("cancelled"))
        before = snapshot(movement)
        for entry in _open_entries(movement):
            _take_off(entry, user, f"movement {movement.pk} cancelled: {reason.strip()}")
        movement.status, movement.cancel_reason = Movement.Status.CANCELLED, reason.strip()[:1000]
        movement.save()
        record(
            user,
            "movement.cancel",
            "movement",
            str(movement.pk),
            before=before,
            after=snapshot(movement),
            reason=reason,
        )
    return movement


# --- the manifest -------------------------------------------------------------------------------


@retry_when_busy
def add_to_movement(movement_id: int, case_ids: Iterable[int], *, user: User) -> list[ManifestEntry]:
    """Put accepted cases on a planned movement, one or many, all or none: each case is
    scheduled for the departure day. A person is on at most one open movement."""
    require(user, Can.MANAGE_MOVEMENTS)
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise MovementError(_("name at least one case"), "case_ids")
    with transaction.atomic():
        movement = _lock(movement_id)
        _require_status(movement, Movement.Status.PLANNED, _("filled"))
        day = departure_day(movement)
        added = []
        for case_id in ids:
            case = lock(case_id)
            if case.agreement_id != movement.agreement_id:
                raise MovementError(
                    f"case {case_id} is under {case.agreement_id}, the movement under {movement.agreement_id}",
                    "case_ids",
                )
            if case.state != State.ACCEPTED:
                where = (
                    ManifestEntry.objects.filter(case=case, status="on").values_list("movement_id", flat=True).first()
                )
                on = f" (on movement {where})" if where else ""
                raise Refused(
                    f"case {case_id} is {case.get_state_display()}{on}: only an accepted case can be put on a movement"
                )
            try:
                with transaction.atomic():
                    entry = ManifestEntry.objects.create(
                        movement=movement, case=case, person=case.person, added_by=user
                    )
            except IntegrityError:
                raise Refused(f"{case.person.person_id} is already on an open movement") from None
            case.scheduled_for = day
            finish(case, Step.SCHEDULE, user, f"on movement {movement.pk}")
            record(user, "manifest.add", "manifest_entry", str(entry.pk), after=entry_snapshot(entry))
            added.append(entry)
    return added


@retry_when_busy
def remove_from_movement(movement_id: int, case_id: int, *, user: User, reason: str) -> ManifestEntry:
    """Take a person off a planned movement: the case is accepted again and keeps its place."""
    require(user, Can.MANAGE_MOVEMENTS)
    if not reason.strip():
        raise MovementError(_("taking a person off a movement needs a reason"), "reason")
    with transaction.atomic():
        movement = _lock(movement_id)
        _require_status(movement, Movement.Status.PLANNED, _("changed"))
        entry = _open_entries(movement).filter(case_id=case_id).first()
        if entry is None:
            raise MovementError(f"case {case_id} is not on movement {movement_id}", "case_id")
        return _take_off(entry, user, reason.strip())


@retry_when_busy
def record_travel_document(entry_id: int, *, user: User, kind: str, state: str, reference: str) -> ManifestEntry:
    """The travel document the receiving state issued or accepted for the person (before departure)."""
    require(user, Can.MANAGE_MOVEMENTS)
    if kind not in ManifestEntry.Document.values:
        raise MovementError(f"one of {', '.join(ManifestEntry.Document.values)}", "kind")
    if len(state.strip()) != 2 or not state.strip().isalpha():
        raise MovementError("a two-letter state code", "state")
    if not reference.strip() or len(reference.strip()) > 100:
        raise MovementError("the document's number (1 to 100 characters)", "reference")
    return _change_entry(
        entry_id,
        user,
        "manifest.travel_document",
        travel_document=kind,
        travel_document_state=state.strip().upper(),
        travel_document_reference=reference.strip(),
    )


@retry_when_busy
def record_fitness(entry_id: int, *, user: User, on: dt.date) -> ManifestEntry:
    """A fit-to-travel finding for the person, on the day it was made (not in the future)."""
    require(user, Can.MANAGE_MOVEMENTS)
    if on > timezone.localdate():
        raise MovementError(f"{on} is in the future", "on")
    return _change_entry(entry_id, user, "manifest.fitness", fit_to_travel_on=on)


# --- validation and departure -------------------------------------------------------------------


def validate_movement(movement_id: int, *, user: User) -> list[core.Problem]:
    """Every problem that stops the movement, by person and for the movement."""
    require(user, Can.MANAGE_MOVEMENTS)
    movement = Movement.objects.filter(pk=_id(movement_id, "movement")).first()
    if movement is None:
        raise MovementError(f"no movement {movement_id}")
    return problems(movement)


def problems(movement: Movement) -> list[core.Problem]:
    """The manifest screened in ONE bulk call on the departure day, then ``core.movements.validate``."""
    entries = list(_open_entries(movement).select_related("case", "person"))
    day = departure_day(movement)
    decisions: dict[str, core.Decision] = {}
    if entries:
        frame = people_frame([e.person for e in entries])
        usage = current_usage(day, [movement.agreement_id])
        rows = screen_population(frame, day, [movement.agreement_id], usage=usage)
        decisions = core.decisions_by_person(rows.iter_rows(named=True), RULE_SEPARATOR)
    held = set(
        Reservation.objects.filter(
            case_id__in=[e.case_id for e in entries], status=Reservation.Status.HELD
        ).values_list("case_id", flat=True)
    )
    facts = [_entry_facts(e, held) for e in entries]
    return core.validate(movement_facts(movement), facts, decisions)


@retry_when_busy
def depart(movement_id: int, *, user: User, at: dt.datetime | None = None) -> Movement:
    """Record departure: refused while any problem exists (naming them); the manifest is frozen
    and every case on it is in transit. A refusal that finds a case no longer standing (barred,
    review points nobody answered, a record changed since acceptance) returns that case to the
    sending state, off the manifest, in a transaction of its own."""
    require(user, Can.MANAGE_MOVEMENTS)
    with transaction.atomic():
        movement = _lock(movement_id)
        _require_status(movement, Movement.Status.PLANNED, _("departed"))
        entry_ids = list(_open_entries(movement).values_list("case_id", flat=True))
        if not entry_ids:
            raise Refused(_("an empty movement cannot depart"))
        cases = [lock(case_id) for case_id in entry_ids]  # the people, then their cases
        found = problems(movement)
        if not found:
            for case in cases:
                finish(case, Step.DEPART, user, f"movement {movement.pk} departed")
            before = snapshot(movement)
            movement.status, movement.actual_departure = Movement.Status.DEPARTED, _aware(at or timezone.now(), "at")
            movement.save()
            record(user, "movement.depart", "movement", str(movement.pk), before=before, after=snapshot(movement))
            _charge_transport(movement, user)
            _charge_transit(movement, user)
            return movement
    refusal = _("The movement cannot depart: ") + describe(found)
    if returned := _return_no_longer_standing(found, user, movement_id):
        refusal += " " + _("Returned to the sending state for review, off the manifest: ") + ", ".join(returned)
    raise Refused(refusal)


def _charge_transport(movement: Movement, user: User) -> None:
    """The movement's transport cost, charged in the ledger to the state the agreement names as
    payer, owed to the state that operates the movement (the sending state), in the month of
    departure. A state paying its own movement owes nobody; a cost not recorded is not guessed."""
    operator = default_dataset().agreement(movement.agreement_id).sending_state
    if movement.transport_cost_minor is None or movement.payer_state == operator:
        return
    try:
        ledger.charge_transport(
            f"MV-{movement.pk}",
            movement.agreement_id,
            movement.payer_state,
            movement.transport_cost_minor,
            movement.transport_currency,
            departed_day(movement),
            actor=user,
            payee=operator,
            assumption=False,  # the carrier's figure, recorded on the movement
        )
    except ledger.LedgerError as err:  # the departure's transaction is rolled back with it
        raise Refused(_("The movement cannot depart: its transport charge was refused: ") + str(err)) from None


def _charge_transit(movement: Movement, user: User) -> None:
    """The per-passenger transit fees of the airports the movement transits, for the people on its
    frozen manifest (their recorded nationalities; escorts are not passengers in custody), at the
    rate in force on the departure's day, to the payer each fee term names."""
    if not movement.transit_list:
        return
    day = departed_day(movement)
    aboard = _open_entries(movement).values_list("person__nationalities", flat=True)
    charges = ledger_core.assess_transit(
        default_dataset().agreements.values(), movement.transit_list, [n or [] for n in aboard], day
    )
    try:
        ledger.charge_transit(f"MV-{movement.pk}", charges, day, actor=user)
    except ledger.LedgerError as err:  # the departure's transaction is rolled back with it
        raise Refused(_("The movement cannot depart: its transit fee was refused: ") + str(err)) from None


def _return_no_longer_standing(found: list[core.Problem], user: User, movement_id: int) -> list[str]:
    """The people whose case the refused departure found no longer standing, returned (each screened
    again under its locks: anything may have changed since the departure's transaction)."""
    case_ids = sorted({p.case_id for p in found if p.code in core.NO_LONGER_STANDS and p.case_id is not None})
    returned = []
    with transaction.atomic():
        for case_id in case_ids:
            case = lock(case_id)
            if case.state not in NOT_YET_MOVED:
                continue
            reason = f"found when {user.username} tried to depart movement {movement_id}"
            if review_case(case, actor=None, reason=reason) is not None:
                returned.append(case.person.person_id)
    return returned


# --- arrival and handover -------------------------------------------------------------------------


@retry_when_busy
def record_arrival(movement_id: int, *, user: User, at: dt.datetime | None = None) -> Movement:
    """The receiving officer of the destination state records that the movement arrived."""
    require(user, Can.RECEIVE_MOVEMENTS)
    with transaction.atomic():
        movement = _lock_received(movement_id, user)
        _require_status(movement, Movement.Status.DEPARTED, _("recorded as arrived"))
        arrival = _aware(at or timezone.now(), "at")
        if movement.actual_departure is not None and arrival < movement.actual_departure.replace(
            second=0, microsecond=0
        ):
            raise MovementError(
                _("the arrival time %(at)s is before the movement's recorded departure %(departure)s")
                % {"at": arrival.isoformat(), "departure": movement.actual_departure.isoformat()},
                "at",
            )
        before = snapshot(movement)
        movement.status, movement.actual_arrival = Movement.Status.ARRIVED, arrival
        movement.save()
        record(user, "movement.arrive", "movement", str(movement.pk), before=before, after=snapshot(movement))
    return movement


# A handover typed to the minute on a device whose clock runs a little ahead is not "in the future".
HANDOVER_CLOCK_SKEW = dt.timedelta(minutes=5)


@retry_when_busy
def hand_over(entry_id: int, *, user: User, place: str, official: str, at: dt.datetime | None = None) -> ManifestEntry:
    """One person handed over: when, where and to whom; the case is handed over and its place
    goes from held to occupied. The person is screened once more on the day of handover: a case
    that no longer stands (a bar, a review point nobody answered, a record changed behind the
    workflow's back) is returned to the sending state then and there, the place given back and
    the entry flagged, and the handover is refused: what was accepted is what is received."""
    require(user, Can.RECEIVE_MOVEMENTS)
    if not place.strip() or len(place) > 200:
        raise MovementError(_("where the person was handed over (1 to 200 characters)"), "place")
    if not official.strip() or len(official) > 200:
        raise MovementError(_("the receiving official's name (1 to 200 characters)"), "official")
    when = _aware(at or timezone.now(), "at")
    if when > timezone.now() + HANDOVER_CLOCK_SKEW:
        # The occupancy, and the fees per person-day, start on the handover's day.
        raise MovementError(_("the handover time %(at)s is in the future") % {"at": when.isoformat()}, "at")
    with transaction.atomic():
        entry = _arrived_entry(entry_id, user)
        arrived = entry.movement.actual_arrival
        if arrived is not None and when < arrived.replace(second=0, microsecond=0):
            # A person is handed over after the movement arrived (and so after it departed); a
            # time typed to the minute of the arrival is not before it.
            raise MovementError(
                _("the handover time %(at)s is before the movement's recorded arrival %(arrival)s")
                % {"at": when.isoformat(), "arrival": arrived.isoformat()},
                "at",
            )
        case = lock(entry.case_id)
        if entry.stopped_after_departure or case.state != State.IN_TRANSIT:
            raise Refused(_do_not_receive(entry))
        day = when.astimezone(zoneinfo.ZoneInfo(entry.movement.arrival_tz)).date()
        found = verdict(case, apply_screening(case, screen_person(case.person, case.agreement_id, day)))
        if found is not None:  # committed on leaving the block; the refusal follows
            return_case(case, found, None, f"found at handover by {user.username} from movement {entry.movement_id}")
        else:
            _hand_over(entry, case, user, when, day, place.strip(), official.strip())
    if found is not None:  # the receiving officer is told only not to receive (8 C.F.R. §208.6)
        raise Returned(_do_not_receive(entry), case_id=case.pk, state=RETURNED)
    return entry


def _hand_over(
    entry: ManifestEntry, case: Case, user: User, when: dt.datetime, day: dt.date, place: str, official: str
) -> None:
    before = entry_snapshot(entry)
    # The occupancy (and the fee per person-day) starts on the day of handover where it happened.
    places.occupy(case.pk, actor=user, day=day)
    finish(case, Step.HAND_OVER, user, f"handed over from movement {entry.movement_id}")
    entry.status, entry.handed_over_at = ManifestEntry.Status.HANDED_OVER, when
    entry.handover_place, entry.receiving_official = place, official
    entry.save()
    record(user, "manifest.hand_over", "manifest_entry", str(entry.pk), before=before, after=entry_snapshot(entry))


def _do_not_receive(entry: ManifestEntry) -> str:
    return (
        f"Do not receive {entry.person.person_id}: removed from the movement, returned to the sending "
        "state for review. Record the person as not handed over (returned with the escort)."
    )


@retry_when_busy
def not_handed_over(entry_id: int, *, user: User, reason: str, note: str = "") -> ManifestEntry:
    """A person who arrived but was not handed over: why, flagged until resolved."""
    require(user, Can.RECEIVE_MOVEMENTS)
    if reason not in ManifestEntry.NotHandedOver.values:
        raise MovementError(f"one of {', '.join(ManifestEntry.NotHandedOver.values)}", "reason")
    if reason == ManifestEntry.NotHandedOver.OTHER and not note.strip():
        raise MovementError(_("say what happened"), "note")
    with transaction.atomic():
        entry = _arrived_entry(entry_id, user)
        before = entry_snapshot(entry)
        entry.status, entry.not_handed_over_reason = ManifestEntry.Status.NOT_HANDED_OVER, reason
        entry.not_handed_over_note = note.strip()[:1000]
        entry.save()
        record(
            user,
            "manifest.not_handed_over",
            "manifest_entry",
            str(entry.pk),
            before=before,
            after=entry_snapshot(entry),
            reason=note.strip(),
        )
    return entry


@retry_when_busy
def resolve(entry_id: int, *, user: User, resolution: str) -> ManifestEntry:
    """Close the flag on a person not handed over (where they are now, who has them)."""
    if not (policy.may_manage(user) or policy.sight(user) == policy.Sight.MINIMUM):
        require(user, Can.MANAGE_MOVEMENTS)
    if not resolution.strip():
        raise MovementError(_("say how it was resolved"), "resolution")
    with transaction.atomic():
        entry = ManifestEntry.objects.select_for_update().select_related("movement").filter(pk=_id(entry_id)).first()
        if entry is None or not policy.may_see(user, entry.movement):
            raise MovementError(f"no manifest entry {entry_id}")
        if entry.status != ManifestEntry.Status.NOT_HANDED_OVER or entry.resolved:
            raise Refused(f"entry {entry_id} is not an open not-handed-over flag")
        before = entry_snapshot(entry)
        entry.resolved, entry.resolution = True, resolution.strip()[:1000]
        entry.save()
        record(
            user,
            "manifest.resolve",
            "manifest_entry",
            str(entry.pk),
            before=before,
            after=entry_snapshot(entry),
            reason=resolution.strip(),
        )
    return entry


def complete(movement: Movement) -> bool:
    """Arrived, and every person handed over or their not-handed-over flag resolved."""
    if movement.status != Movement.Status.ARRIVED:
        return False
    return (
        not movement.entries.filter(status=ManifestEntry.Status.ON).exists()
        and not movement.entries.filter(status=ManifestEntry.Status.NOT_HANDED_OVER, resolved=False).exists()
    )


# --- when a case stops moving ---------------------------------------------------------------------


def stop_moving(case: Case, *, actor: User | None, reason: str, why: str) -> None:
    """A case stops moving: a hold on its person (``holds.services.file_hold``), or its return or
    withdrawal (``cases.signals.move_stopped``); the person and the case are locked. Before
    departure the person is taken off the manifest at once (the caller gives the place back); the
    receiving officer sees "removed from the movement — do not receive", never ``why``. After
    departure the manifest is frozen: the person stays on it, flagged, and cannot be handed over;
    the receiving officer records them as not handed over."""
    for entry in ManifestEntry.objects.select_for_update().select_related("movement").filter(case=case, status="on"):
        before = entry_snapshot(entry)
        if entry.movement.status == Movement.Status.PLANNED:
            entry.status, entry.removed_at, entry.removal_reason = ManifestEntry.Status.REMOVED, timezone.now(), why
            action = "manifest.remove"
        else:
            entry.stopped_after_departure = True
            action = "manifest.flag_stopped"
        entry.save()
        record(
            actor, action, "manifest_entry", str(entry.pk), before=before, after=entry_snapshot(entry), reason=reason
        )


def stop_for_hold(case: Case, *, actor: User | None, reason: str) -> None:
    stop_moving(case, actor=actor, reason=reason, why="legal hold")  # never which kind of hold


def stop_moving_on_signal(
    sender: object, *, case: Case, actor: User | None, reason: str, why: str, **_: object
) -> None:
    """``cases.signals.move_stopped``: a case returned (a bar, review points, a changed record) or withdrawn."""
    stop_moving(case, actor=actor, reason=reason, why=why)


# --- helpers -------------------------------------------------------------------------------------------


def departure_day(movement: Movement) -> dt.date:
    """The planned departure's calendar day where it leaves from (what validation judges)."""
    return movement.planned_departure.astimezone(zoneinfo.ZoneInfo(movement.departure_tz)).date()


def departed_day(movement: Movement) -> dt.date:
    """The day it left (planned, until a departure is recorded) where it leaves from: the day
    its charges are dated and priced."""
    moment = movement.actual_departure or movement.planned_departure
    return moment.astimezone(zoneinfo.ZoneInfo(movement.departure_tz)).date()


def movement_facts(movement: Movement) -> core.MovementFacts:
    return core.MovementFacts(movement.receiving_state, departure_day(movement), movement.seats, movement.escorts)


def describe(found: list[core.Problem]) -> str:
    return "; ".join(f"{p.person_id}: {p.message}" if p.person_id else p.message for p in found)


def snapshot(movement: Movement) -> dict[str, object]:
    return {
        "agreement": movement.agreement_id,
        "kind": movement.kind,
        "carrier": movement.carrier,
        "flight_number": movement.flight_number,
        "origin": movement.origin,
        "destination": f"{movement.destination_airport} / {movement.destination_facility}",
        "transit_airports": movement.transit_airports,
        "planned_departure": movement.planned_departure.isoformat(),
        "planned_arrival": movement.planned_arrival.isoformat(),
        "actual_departure": movement.actual_departure.isoformat() if movement.actual_departure else None,
        "actual_arrival": movement.actual_arrival.isoformat() if movement.actual_arrival else None,
        "seats": movement.seats,
        "escorts": movement.escorts,
        "payer": f"{movement.payer} {movement.payer_state}",
        "transport_cost": f"{movement.transport_cost_minor} {movement.transport_currency}"
        if movement.transport_cost_minor is not None
        else None,
        "status": movement.status,
    }


def entry_snapshot(entry: ManifestEntry) -> dict[str, object]:
    return {
        "movement": entry.movement_id,
        "case": entry.case_id,
        "status": entry.status,
        "stopped_after_departure": entry.stopped_after_departure,
        "travel_document": f"{entry.travel_document} {entry.travel_document_state} {entry.travel_document_reference}".strip(),
        "fit_to_travel_on": str(entry.fit_to_travel_on) if entry.fit_to_travel_on else None,
        "handed_over_at": entry.handed_over_at.isoformat() if entry.handed_over_at else None,
        "handover_place": entry.handover_place,
        "receiving_official": entry.receiving_official,
        "not_handed_over": entry.not_handed_over_reason,
        "resolved": entry.resolved,
    }


def _default_payer(sending: str, receiving: str, named: str | None) -> tuple[str, str]:
    if named is None:
        default = core.parameters().default_payer
        return default, receiving if default == Movement.Payer.RECEIVING else sending
    if named == sending:
        return Movement.Payer.SENDING, named
    if named == receiving:
        return Movement.Payer.RECEIVING, named
    return Movement.Payer.THIRD, named


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    """A movement's facts checked, field by field (bad input is refused naming the field)."""
    if values["kind"] not in Movement.Kind.values:
        raise MovementError(f"one of {', '.join(Movement.Kind.values)}", "kind")
    for name in ("departure_tz", "arrival_tz"):
        try:
            zoneinfo.ZoneInfo(str(values[name]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise MovementError(f"{values[name]!r} is not an IANA time zone", name) from None
    departure = _aware(values["planned_departure"], "planned_departure")
    arrival = _aware(values["planned_arrival"], "planned_arrival")
    if arrival <= departure:
        raise MovementError("the arrival must come after the departure", "planned_arrival")
    if not str(values["origin"]).strip():
        raise MovementError("the place of custody or airport the movement leaves from", "origin")
    for name in ("seats", "escorts"):
        if not isinstance(values[name], int) or values[name] < (1 if name == "seats" else 0) or values[name] > 10_000:
            raise MovementError("a whole number (seats at least 1)", name)
    for name, size in (("carrier", 100), ("flight_number", 20), ("origin", 200), ("destination_airport", 200)):
        if len(str(values[name])) > size:
            raise MovementError(f"longer than {size} characters", name)
    transit = values.get("transit_airports") or ""
    codes = [c.strip().upper() for c in (transit.split(",") if isinstance(transit, str) else transit)]
    codes = list(dict.fromkeys(c for c in codes if c))
    for c in codes:
        if not (len(c) == 3 and c.isascii() and c.isalpha()):
            raise MovementError(
                _("%(code)r is not an IATA airport code (three letters, e.g. SAL)") % {"code": c}, "transit_airports"
            )
    values = {**values, "transit_airports": ",".join(codes)}
    if len(values["transit_airports"]) > 200:
        raise MovementError("longer than 200 characters", "transit_airports")
    code = str(values["destination_facility"] or "")
    if len(code) > 64:
        raise MovementError("longer than 64 characters", "destination_facility")
    cost, currency = values.get("transport_cost_minor"), str(values.get("transport_currency") or "")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int) or not 0 < cost < 10**15):
        raise MovementError("a positive whole number of minor units (cents)", "transport_cost_minor")
    if cost is not None and not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise MovementError("the cost's ISO 4217 currency (three capital letters, e.g. USD)", "transport_currency")
    return {
        **values,
        "planned_departure": departure,
        "planned_arrival": arrival,
        "origin": str(values["origin"]).strip(),
        "transport_currency": currency if cost is not None else "",
    }


def _aware(value: object, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise MovementError("a date and time with its time zone offset", field)
    return value


def _id(value: int, what: str = "manifest entry") -> int:
    """An id no row could have (beyond the database's integers) is simply not found."""
    if not 0 < value < 2**63:
        raise MovementError(f"no {what} {value}")
    return value


def _lock(movement_id: int) -> Movement:
    movement = Movement.objects.select_for_update().filter(pk=_id(movement_id, "movement")).first()
    if movement is None:
        raise MovementError(f"no movement {movement_id}")
    return movement


def _lock_received(movement_id: int, user: User) -> Movement:
    movement = _lock(movement_id)
    if not policy.may_receive(user, movement):
        raise MovementError(f"no movement {movement_id}")  # a movement to another state does not reveal itself
    return movement


def _arrived_entry(entry_id: int, user: User) -> ManifestEntry:
    movement_id = ManifestEntry.objects.filter(pk=_id(entry_id)).values_list("movement_id", flat=True).first()
    if movement_id is None:
        raise MovementError(f"no manifest entry {entry_id}")
    movement = _lock_received(movement_id, user)
    _require_status(movement, Movement.Status.ARRIVED, _("handed over from: record its arrival first"))
    entry = ManifestEntry.objects.select_for_update().select_related("person").get(pk=entry_id)
    if entry.status != ManifestEntry.Status.ON:
        raise Refused(f"entry {entry_id} is already {entry.get_status_display()}")
    return entry


def _require_status(movement: Movement, status: str, what: str) -> None:
    if movement.status != status:
        raise Refused(f"movement {movement.pk} is {movement.get_status_display()}: it cannot be {what}")


def _open_entries(movement: Movement) -> Any:
    return ManifestEntry.objects.filter(movement=movement, status=ManifestEntry.Status.ON)


def _take_off(entry: ManifestEntry, user: User, reason: str) -> ManifestEntry:
    case = lock(entry.case_id)
    before = entry_snapshot(entry)
    entry.status, entry.removed_at, entry.removal_reason = ManifestEntry.Status.REMOVED, timezone.now(), reason[:1000]
    entry.save()
    record(
        user,
        "manifest.remove",
        "manifest_entry",
        str(entry.pk),
        before=before,
        after=entry_snapshot(entry),
        reason=reason,
    )
    if case.state == State.SCHEDULED:
        case.scheduled_for = None
        finish(case, "unschedule", user, reason, target=State.ACCEPTED)
    return entry


def _change_entry(entry_id: int, user: User, action: str, **values: object) -> ManifestEntry:
    with transaction.atomic():
        entry = ManifestEntry.objects.select_for_update().select_related("movement").filter(pk=_id(entry_id)).first()
        if entry is None:
            raise MovementError(f"no manifest entry {entry_id}")
        if entry.status != ManifestEntry.Status.ON or entry.movement.status != Movement.Status.PLANNED:
            raise Refused(
                f"entry {entry_id} can no longer be changed: the movement is {entry.movement.get_status_display()}"
            )
        before = entry_snapshot(entry)
        for name, value in values.items():
            setattr(entry, name, value)
        entry.save()
        record(user, action, "manifest_entry", str(entry.pk), before=before, after=entry_snapshot(entry))
    return entry


def _entry_facts(entry: ManifestEntry, held: set[int]) -> core.EntryFacts:
    case = entry.case
    needs_place = facility_code(case.agreement_id, case.placement, case.clause_id) is not None
    return core.EntryFacts(
        person_id=entry.person.person_id,
        case_id=case.pk,
        case_receiving_state=case.receiving_state,
        accepted=case.state in (State.ACCEPTED, State.SCHEDULED) and case.referral is not None,
        clause_id=case.clause_id,
        placement=case.placement,
        place_held=case.pk in held or not needs_place,
        on_hold=case.state == State.ON_HOLD or entry.person.legal_hold is True,
        record_changed=tuple(referral_changes(case)) if case.referral is not None else (),
        acknowledged_reviews=frozenset(filter(None, case.acknowledged_reviews.split(";"))),
        travel_document=entry.travel_document,
        travel_document_state=entry.travel_document_state,
        fit_to_travel_on=entry.fit_to_travel_on,
    )
