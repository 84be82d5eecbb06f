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
    "scheduled": ("submit", "approve", "refer", "accept", "schedule"),
    "handed_over": ("submit", "approve", "refer", "accept", "schedule", "depart", "hand_over"),
    "closed": ("submit", "approve", "refer", "accept", "schedule", "depart", "hand_over", "close"),
}


def _walk_workflow() -> int:
    """Take eligible demo cases through the workflow with the demo users, then file one hold on a
    person with a scheduled case, so the demo shows every queue and a case pulled off its move."""
    from accord.cases.steps import take_step
    from accord.holds.services import file_hold

    if Case.objects.exclude(state__in=("screened", "blocked")).exists():
        return 0  # walked on an earlier run: building the demo again moves nothing
    officer, reviewer = User.objects.get(username="officer"), User.objects.get(username="reviewer")
    receiving = {u.receiving_state: u for u in User.objects.filter(role=Role.RECEIVING_OFFICER)}
    actor_of = {"approve": reviewer, "accept": None, "hand_over": None}
    moved = 0
    for agreement_id in Case.objects.values_list("agreement_id", flat=True).distinct().order_by("agreement_id"):
        # Movable: eligible, or held only by the review of a prison placement's legal basis,
        # which the demo reviewer answers with an illustrative court order of the receiving state.
        movable = Case.objects.filter(
            agreement_id=agreement_id, state="screened", failing_rules__in=("", LEGAL_BASIS_ONLY)
        ).order_by("placement", "id")  # "prison" first: the demo fills CECOT places
        for case, stop in zip(list(movable[: len(DEMO_STOPS)]), DEMO_STOPS, strict=False):
            for step in STEPS_TO[stop]:
                actor = actor_of.get(step, officer) or receiving.get(case.receiving_state)
                if actor is None:
                    break
                options: dict[str, Any] = DEMO_BASIS if step == "approve" else {}
                take_step(case.pk, step, user=actor, reason="demo" if step == "approve" else "", **options)
            moved += 1
    scheduled = Case.objects.filter(state="scheduled").select_related("person").first()
    if scheduled is not None:
        order = ContentFile(b"DEMO ONLY. Order staying removal pending review of the habeas petition.", name="stay.txt")
        file_hold(scheduled.person, kind="stay_of_removal", reference="DEMO-25-cv-0001", document=order, user=officer)
    return moved
