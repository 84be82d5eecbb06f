"""The demo: from nothing to a running system with data, cases in every outcome and a user per role."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from django.core.management import call_command
from django.db import transaction

from accord.accounts.models import Role, User
from accord.cases.models import Case
from accord.cases.services import CaseError, open_case
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
    ("finance", Role.FINANCE, ""),
    ("monitor", Role.MONITOR, ""),
    ("admin", Role.ADMIN, ""),
]
CASES_PER_OUTCOME = 8


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
    frame = generate_population(people, seed, unknown_rate=0.01)
    result = import_people(frame, user=None, reason="demo population")
    say(f"People: {result.created} created, {result.updated} updated, {result.unchanged} unchanged.")
    opened = _cases(frame, users[0].username)
    say(f"Cases opened: {opened} (total {Case.objects.count()}).")
    return users


def _users() -> list[DemoUser]:
    made = []
    with transaction.atomic():
        for username, role, state in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=username)
            user.role, user.receiving_state = role, state
            user.is_staff = user.is_superuser = role == Role.ADMIN
            user.set_password(password)
            user.save()
            made.append(DemoUser(username, role, state, password))
    return made


def _cases(frame: pl.DataFrame, officer_name: str) -> int:
    """A few cases in each outcome under each agreement in force today, chosen by screening."""
    officer = User.objects.get(username=officer_name)
    today = dt.date.today()
    decisions = screen_population(frame, today)
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
