"""The demo: from nothing to a running system with data, cases in every outcome and a user per role."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction

from accord.accounts.models import Role, User
from accord.accounts.services import access_of, record_access_change
from accord.cases.errors import CaseError
from accord.cases.models import Case
from accord.cases.services import open_case
from accord.core.population import generate_population
from accord.core.screening import default_dataset, screen_population
from accord.facilities.models import Facility
from accord.facilities.services import sync_from_data
from accord.people.models import Person
from accord.people.services import import_people

# Facilities the sources do not describe, so their figures are illustrative demo data.
DEMO_FACILITIES = [
    ("us-demo-detention", "Demo immigration detention centre (Texas)", "US", "detention", 1_500),
    ("ve-demo-reception", "Demo reception centre, Maiquetía airport", "VE", "reception", 400),
]
DEMO_USERS = [
    ("officer", Role.CASE_OFFICER, ""),
    ("reviewer", Role.LEGAL_REVIEWER, ""),
    ("salvador", Role.RECEIVING_OFFICER, "SV"),
    ("caracas", Role.RECEIVING_OFFICER, "VE"),
    ("mexico", Role.RECEIVING_OFFICER, "MX"),
    ("bogota", Role.RECEIVING_OFFICER, "CO"),
    ("finance", Role.FINANCE, ""),
    ("monitor", Role.MONITOR, ""),
    ("admin", Role.ADMIN, ""),
]
CASES_PER_OUTCOME = 10
LEGAL_BASIS_ONLY = "placement/legal-basis"
# Illustrative demo data, not a real order: what a reviewer records for a prison placement abroad.
DEMO_BASIS = {"basis_kind": "court_order", "basis_reference": "DEMO-ORDER-0001 (illustrative)"}


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    receiving_state: str
    password: str


def build_demo(people: int = 5_000, seed: int = 2025, say: Callable[[str], None] = print) -> list[DemoUser]:
    call_command("migrate", verbosity=0)
    say("Database migrated.")
    dataset = default_dataset()
    sync_from_data(dataset)
    for code, name, state, kind, capacity in DEMO_FACILITIES:
        Facility.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "state": state,
                "kind": kind,
                "capacity": capacity,
                "source": "illustrative demo data",
            },
        )
    users = _users()
    frame = _with_holds_on_record(generate_population(people, seed, unknown_rate=0.01))
    result = import_people(frame, user=None, reason="demo population")
    say(f"People: {result.created} created, {result.updated} updated, {result.unchanged} unchanged.")
    opened = _cases(frame, users[0].username)
    say(f"Cases opened: {opened} (total {Case.objects.count()}).")
    moved = _walk_workflow()
    say(f"Cases moved through the workflow: {moved}; one legal hold filed.")
    from accord.movements.models import Movement

    by_status = Movement.objects.values_list("status", flat=True)
    say("Movements: " + ", ".join(f"{by_status.filter(status=s).count()} {s}" for s in Movement.Status.values))
    say(_money())
    return users


def _with_holds_on_record(frame: pl.DataFrame) -> pl.DataFrame:
    """The generated file predates the holds filed in an earlier run, and an import may not clear a
    hold in force: keep the fact for those people."""
    from accord.holds.models import LegalHold

    held = list(LegalHold.objects.filter(lifted_at=None).values_list("person__person_id", flat=True))
    return frame.with_columns(
        pl.when(pl.col("person_id").is_in(held)).then(True).otherwise(pl.col("legal_hold")).alias("legal_hold")
    )


def _users() -> list[DemoUser]:
    made = []
    with transaction.atomic():
        for username, role, state in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            user, created = User.objects.get_or_create(username=username)
            before = None if created else access_of(user)
            user.role, user.receiving_state = role, state
            user.set_password(password)
            user.save()
            record_access_change(user, before, by=None, reason="demo users")
            made.append(DemoUser(username, role, state, password))
    return made


def _cases(frame: pl.DataFrame, officer_name: str) -> int:
    """A few cases in each outcome under each agreement in force today, chosen by screening."""
    officer = User.objects.get(username=officer_name)
    today = dt.date.today()
    decisions = screen_population(frame, today)
    # Prison placements abroad are never eligible outright (the receiving state's legal basis is a
    # review point): take some held by that point alone, so the demo shows CECOT's places in use.
    decisions = decisions.with_columns(
        pl.when(pl.col("rules") == LEGAL_BASIS_ONLY)
        .then(pl.lit("legal basis only"))
        .otherwise("outcome")
        .alias("outcome")
    )
    opened = 0
    for (agreement_id, _outcome), group in decisions.group_by("agreement_id", "outcome", maintain_order=True):
        for person_id in group["person_id"].head(CASES_PER_OUTCOME):
            person = Person.objects.get(person_id=person_id)
            if Case.objects.filter(person=person, agreement_id=agreement_id).exists():
                continue
            try:
                open_case(person, str(agreement_id), user=officer)
                opened += 1
            except CaseError:
                continue
    return opened


# How far the demo takes eligible cases under each agreement: one case per stop, in this order,
# so every work queue has something in it and receiving officers see their referrals.
DEMO_STOPS = (
    "screened",
    "legal_review",
    "approved",
    "referred",
    "referred",
    "accepted",
    "scheduled",
    "handed_over",
    "closed",
)
STEPS_TO = {
    "screened": (),
    "legal_review": ("submit",),
    "approved": ("submit", "approve"),
    "referred": ("submit", "approve", "refer"),
    "accepted": ("submit", "approve", "refer", "accept"),
}
# Stops past "accepted" are reached on a movement (the direct steps are refused for a case on a
# manifest): the case is walked to "accepted", then travels (see ``_movements``).
ON_A_MOVEMENT = ("scheduled", "handed_over", "closed")


def _walk_workflow() -> int:
    """Take eligible demo cases through the workflow with the demo users, then put those meant to
    be scheduled, handed over or closed on movements, so the demo shows every queue and flights
    in every state (one person pulled off the CECOT flight by a hold)."""
    from accord.cases.steps import take_step

    if Case.objects.exclude(state__in=("screened", "blocked")).exists():
        return 0  # walked on an earlier run: building the demo again moves nothing
    officer, reviewer = User.objects.get(username="officer"), User.objects.get(username="reviewer")
    receiving = {u.receiving_state: u for u in User.objects.filter(role=Role.RECEIVING_OFFICER)}
    actor_of = {"approve": reviewer, "accept": None}
    moved = 0
    travelling: dict[str, list[tuple[Case, str]]] = {}
    for agreement_id in Case.objects.values_list("agreement_id", flat=True).distinct().order_by("agreement_id"):
        # Movable: eligible, or held only by the review of a prison placement's legal basis,
        # which the demo reviewer answers with an illustrative court order of the receiving state.
        movable = Case.objects.filter(
            agreement_id=agreement_id, state="screened", failing_rules__in=("", LEGAL_BASIS_ONLY)
        ).order_by("placement", "id")  # "prison" first: the demo fills CECOT places
        for case, stop in zip(list(movable[: len(DEMO_STOPS)]), DEMO_STOPS, strict=False):
            reached = True
            for step in STEPS_TO["accepted" if stop in ON_A_MOVEMENT else stop]:
                actor = actor_of.get(step, officer) or receiving.get(case.receiving_state)
                if actor is None:
                    reached = False
                    break
                options: dict[str, Any] = DEMO_BASIS if step == "approve" else {}
                take_step(case.pk, step, user=actor, reason="demo" if step == "approve" else "", **options)
            if reached and stop in ON_A_MOVEMENT:
                travelling.setdefault(str(agreement_id), []).append((Case.objects.get(pk=case.pk), stop))
            moved += 1
    _movements(travelling, officer, reviewer)
    return moved


# --- movements (issue #12) ------------------------------------------------------------------------

# Real-looking flights, each in a different state. Carriers and flight numbers are illustrative.
PANAMA_FLIGHT = 32, 11  # men, women: the sources' Panama -> Colombia flight paid by the US
# Where each agreement's other demo flights leave from and land (illustrative).
ROUTES = {
    "pa-co-2025": ("Panama City (PTY)", "America/Panama", "Bogotá (BOG)", "America/Bogota", "CO"),
    "us-ve-2025": ("Harlingen, TX (HRL)", "America/Chicago", "Caracas (CCS)", "America/Caracas", "VE"),
    "us-sv-2025": ("Alexandria, LA (AEX)", "America/Chicago", "San Salvador (SAL)", "America/El_Salvador", "SV"),
    "us-mx-chnv": ("El Paso, TX (ELP)", "America/Denver", "Ciudad Juárez crossing", "America/Ciudad_Juarez", "MX"),
}
DEMO_PERSON = {
    "family_name": "Demo",
    "date_of_birth": "1991-04-02",
    "sex": "M",
    "sending_state": "US",
    "status": "undocumented",
    "removal_order": "final",
    "protection": "none",
    "protection_countries": "none",
    "fear_screened": "none",
    "fear_found": "none",
    "legal_hold": "false",
    "conviction": "none",
    "pending_charges": "false",
    "sentence_remaining_months": "0",
    "gang": "none",
    "gang_basis": "none",
    "transfer_consent": "false",
}


def _demo_people(prefix: str, n: int, **cells: str) -> list[Person]:
    """Demo people for the flights (adults with a final order and no protection), imported in one go."""
    from accord.core.records import people_from_dicts

    rows = [
        {**DEMO_PERSON, **cells, "person_id": f"{prefix}{i + 1:03d}", "given_names": f"Traveller {i + 1}"}
        for i in range(n)
    ]
    import_people(people_from_dicts(rows), user=None, reason="demo movements")
    return list(Person.objects.filter(person_id__startswith=prefix).order_by("person_id"))


def _accepted(people: list[Person], agreement_id: str, officer: User, reviewer: User) -> list[Case]:
    """Open each person's case and walk it to ``accepted`` (those the rules let through)."""
    from accord.cases.steps import take_step

    receiving = {u.receiving_state: u for u in User.objects.filter(role=Role.RECEIVING_OFFICER)}
    cases = []
    for person in people:
        try:
            case = open_case(person, agreement_id, user=officer)
            for step in STEPS_TO["accepted"]:
                actor = {"approve": reviewer, "accept": receiving[case.receiving_state]}.get(step, officer)
                options: dict[str, Any] = DEMO_BASIS if step == "approve" else {}
                case = take_step(case.pk, step, user=actor, reason="demo", **options).case
        except (CaseError, KeyError):
            continue
        if case.state == "accepted":
            cases.append(case)
    return cases


def _flight(officer: User, agreement_id: str, hours_ahead: int, hours: int = 3, **facts: Any) -> Any:
    """A movement planned ``hours_ahead`` from now (negative: it left that long ago)."""
    import zoneinfo

    from accord.movements.services import create_movement

    origin, departure_tz, airport, arrival_tz, _state = ROUTES[agreement_id]
    facts = {
        "kind": "charter",
        "origin": origin,
        "departure_tz": departure_tz,
        "destination_airport": airport,
        "arrival_tz": arrival_tz,
        **facts,
    }
    zone = zoneinfo.ZoneInfo(facts["departure_tz"])
    leaves = (dt.datetime.now(zone) + dt.timedelta(hours=hours_ahead)).replace(minute=0, second=0, microsecond=0)
    return create_movement(
        user=officer,
        agreement_id=agreement_id,
        planned_departure=leaves,
        planned_arrival=leaves + dt.timedelta(hours=hours),
        **facts,
    )


def _board(movement: Any, cases: list[Case], officer: User) -> list[Any]:
    """Put the cases on the movement with a travel document and a fit-to-travel finding each."""
    from accord.movements import services as moves

    if not cases:
        return []
    state = ROUTES[movement.agreement_id][4]
    entries = moves.add_to_movement(movement.pk, [c.pk for c in cases], user=officer)
    examined = min(dt.date.today(), moves.departure_day(movement))  # before a past flight left
    for entry in entries:
        moves.record_travel_document(
            entry.pk, user=officer, kind="accepted", state=state, reference=f"DEMO-TD-{entry.pk:05d}"
        )
        moves.record_fitness(entry.pk, user=officer, on=examined)
    return entries


def _fly(movement: Any, officer: User) -> Any:
    """Depart and arrive at the planned times (the flight is in the past)."""
    from accord.movements import services as moves

    receiving = User.objects.get(role=Role.RECEIVING_OFFICER, receiving_state=movement.receiving_state)
    moves.depart(movement.pk, user=officer, at=movement.planned_departure)
    moves.record_arrival(movement.pk, user=receiving, at=movement.planned_arrival)
    return receiving


def _hand_over(entries: list[Any], receiving: User, place: str, official: str) -> None:
    from accord.movements import services as moves

    for entry in entries:
        moves.hand_over(entry.pk, user=receiving, place=place, official=official, at=entry.movement.planned_arrival)


def _movements(travelling: dict[str, list[tuple[Case, str]]], officer: User, reviewer: User) -> None:
    """The demo's movements, through the movements' use cases:

    - the Panama -> Colombia flight (32 men, 11 women, paid by the US), arrived and handed over;
    - a Venezuelan flight paid by Venezuela, arrived, one person not handed over (flagged);
    - a CECOT flight, planned, one person taken off by a hold filed after scheduling;
    - a Venezuelan flight in the air (departed, not yet arrived) and one cancelled;
    - for each agreement, the walked cases meant to be handed over or closed on an arrived flight,
      and those meant to be scheduled on a planned flight still open to fill from the accepted queue.
    """
    from accord.cases.steps import take_step
    from accord.holds.services import file_hold
    from accord.movements import services as moves
    from accord.movements.models import Movement

    if Movement.objects.exists():
        return  # built on an earlier run
    men, women = PANAMA_FLIGHT
    panama = _demo_people("DMPA-M", men, nationalities="CO", sending_state="PA")
    panama += _demo_people("DMPA-F", women, nationalities="CO", sending_state="PA", sex="F")
    # Transport costs are illustrative demo figures (no source gives one): charged at departure to
    # the payer the agreement names — the US for Panama's flight, Venezuela for its own people.
    bogota = _flight(
        officer,
        "pa-co-2025",
        -30,
        hours=2,
        carrier="Demo Air Charter",
        flight_number="DAC 312",
        seats=50,
        escorts=15,
        transport_cost_minor=9_850_000,
        transport_currency="USD",
    )
    entries = _board(bogota, _accepted(panama, "pa-co-2025", officer, reviewer), officer)
    _hand_over(entries, _fly(bogota, officer), "El Dorado airport, Migración Colombia", "Demo official L. Gómez")

    venezuelans = _demo_people("DMVE-", 6, nationalities="VE")
    caracas = _flight(
        officer,
        "us-ve-2025",
        -8,
        hours=5,
        carrier="Demo Conviasa Charter",
        flight_number="DVO 7702",
        destination_facility="ve-demo-reception",
        seats=180,
        escorts=4,
        transport_cost_minor=14_200_000,
        transport_currency="USD",
    )
    entries = _board(caracas, _accepted(venezuelans, "us-ve-2025", officer, reviewer), officer)
    receiving = _fly(caracas, officer)
    _hand_over(entries[:-1], receiving, "Maiquetía airport, hangar 3", "Demo official A. Rojas")
    if entries:
        moves.not_handed_over(
            entries[-1].pk, user=receiving, reason="medical", note="demo: taken to hospital on arrival"
        )

    airborne = _demo_people("DMVT-", 3, nationalities="VE")
    in_the_air = _flight(
        officer,
        "us-ve-2025",
        -1,
        hours=5,
        carrier="Demo Conviasa Charter",
        flight_number="DVO 7704",
        seats=180,
        escorts=2,
    )
    _board(in_the_air, _accepted(airborne, "us-ve-2025", officer, reviewer), officer)
    moves.depart(in_the_air.pk, user=officer, at=in_the_air.planned_departure)  # in transit: not yet arrived
    grounded = _flight(
        officer, "us-ve-2025", 30, carrier="Demo Charter", flight_number="DCH 150", seats=120, escorts=10
    )
    moves.cancel_movement(grounded.pk, user=officer, reason="demo: aircraft unavailable")

    for agreement_id, cases in sorted(travelling.items()):
        done = [case for case, stop in cases if stop != "scheduled"]
        if done:
            earlier = _flight(
                officer, agreement_id, -50, carrier="Demo Charter", flight_number="DCH 100", seats=30, escorts=5
            )
            arrived = _board(earlier, done, officer)
            _hand_over(arrived, _fly(earlier, officer), "Arrivals hall", "Demo receiving official")
            for case, stop in cases:
                if stop == "closed":
                    take_step(case.pk, "close", user=officer)
        if agreement_id == "us-sv-2025":
            continue
        scheduled = [case for case, stop in cases if stop == "scheduled"]
        later = _flight(officer, agreement_id, 72, carrier="Demo Charter", flight_number="DCH 200", seats=30, escorts=5)
        _board(later, scheduled, officer)  # open to fill from the accepted queue

    felons = _demo_people("DMSV-", 5, nationalities="VE", conviction="felony")
    cecot = _flight(
        officer,
        "us-sv-2025",
        44,
        carrier="Demo GlobalX",
        flight_number="DGX 6143",
        destination_facility="cecot",
        seats=40,
        escorts=10,
    )
    scheduled = [case for case, stop in travelling.get("us-sv-2025", []) if stop == "scheduled"]
    boarded = _board(cecot, scheduled + _accepted(felons, "us-sv-2025", officer, reviewer), officer)
    if boarded:
        order = ContentFile(b"DEMO ONLY. Order staying removal pending review of the habeas petition.", name="stay.txt")
        file_hold(boarded[0].person, kind="stay_of_removal", reference="DEMO-25-cv-0001", document=order, user=officer)


# --- money (issue #13) ------------------------------------------------------------------------------

# Two past CECOT flights (people, months before this one, day of the month they land): the fees of
# their occupancy accrue from the handover day, so the ledger holds a few months of CECOT fees.
CECOT_FLIGHTS = ((12, 3, 10), (8, 2, 5))
# The demo's correction of the closed month's CECOT invoice: a credit note (illustrative).
DEMO_CORRECTION = (-2 * 5500, -2, "demo: two person-days billed for a stay whose handover was recorded a day early")


# A CECOT flight that lands at San Salvador's airport (SAL) and goes on by road, so it transits
# SAL: its felons of nationalities sv-transit-fee-2023 lists (nationality, people) are charged the
# transit fee at departure (the rate and the list are the data's assumptions). Months back, day.
TRANSIT_FLIGHT = ((("NG", 2), ("SN", 1), ("GH", 1)), 2, 20)


def _transit_flight(officer: User, reviewer: User) -> None:
    crews, back, day = TRANSIT_FLIGHT
    people = [
        person
        for code, n in crews
        for person in _demo_people(f"DMTR{code}-", n, nationalities=code, conviction="felony")
    ]
    landed = dt.datetime.combine(_months_back(back, day), dt.time(14), tzinfo=dt.UTC)
    hours_ago = int((dt.datetime.now(dt.UTC) - landed).total_seconds() // 3600) + 3
    flight = _flight(
        officer,
        "us-sv-2025",
        -hours_ago,
        carrier="Demo GlobalX",
        flight_number="DGX 6170",
        destination_airport="",
        transit_airports="SAL",
        destination_facility="cecot",
        seats=40,
        escorts=6,
    )
    entries = _board(flight, _accepted(people, "us-sv-2025", officer, reviewer), officer)
    _hand_over(entries, _fly(flight, officer), "CECOT, Tecoluca", "Demo official M. Ortiz")


def _months_back(n: int, day: int) -> dt.date:
    first = dt.date.today().replace(day=1)
    for _ in range(n):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first.replace(day=day)


def _money() -> str:
    """Months of CECOT fees through the ledger's use cases, as finance: two past CECOT flights
    handed over, a third through San Salvador's airport charged the transit fee, every whole month
    since accrued, the oldest closed with its invoices, and a credit note
    of its CECOT invoice posted into the next open month with a reference to it."""
    from accord.ledger import services as ledger
    from accord.ledger.models import Invoice, Month, Transaction

    # Built once (the movements before it may already have posted their transport charges).
    if not Transaction.objects.filter(kind=Transaction.Kind.ACCRUAL).exists():
        officer, reviewer = User.objects.get(username="officer"), User.objects.get(username="reviewer")
        finance = User.objects.get(username="finance")
        for i, (n, back, day) in enumerate(CECOT_FLIGHTS):
            people = _demo_people(f"DMCE{i}-", n, nationalities="VE", conviction="felony")
            landed = dt.datetime.combine(_months_back(back, day), dt.time(14), tzinfo=dt.UTC)
            hours_ago = int((dt.datetime.now(dt.UTC) - landed).total_seconds() // 3600) + 3
            flight = _flight(
                officer,
                "us-sv-2025",
                -hours_ago,
                carrier="Demo GlobalX",
                flight_number=f"DGX 61{i}0",
                destination_facility="cecot",
                seats=40,
                escorts=10,
            )
            entries = _board(flight, _accepted(people, "us-sv-2025", officer, reviewer), officer)
            _hand_over(entries, _fly(flight, officer), "CECOT, Tecoluca", "Demo official M. Ortiz")
        _transit_flight(officer, reviewer)
        first = _months_back(CECOT_FLIGHTS[0][1], 1)
        month = first
        # Whole months only: a stay not yet released would accrue the rest of the current month,
        # days that have not happened yet.
        while month < dt.date.today().replace(day=1):
            ledger.accrue_month(month.strftime("%Y-%m"), actor=finance)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        [invoice] = ledger.close_month(first.strftime("%Y-%m"), actor=finance)
        amount, days, reason = DEMO_CORRECTION
        ledger.post_correction(
            invoice.number, amount_minor=amount, person_days=days, facility="cecot", reason=reason, actor=finance
        )
    closed = Month.objects.filter(status=Month.Status.CLOSED).count()
    return (
        f"Ledger: {Month.objects.filter(transactions__kind=Transaction.Kind.ACCRUAL).distinct().count()} months "
        f"accrued, {closed} closed with "
        f"{Invoice.objects.count()} invoice(s), one correction in the next open month."
    )
