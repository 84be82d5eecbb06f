"""Shared fixtures for the Django apps: a user per role, people, and an API client per user."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from accord.accounts.models import ApiToken, Role, User
from accord.capacity.models import Reservation
from accord.cases.models import Case
from accord.core.records import people_from_dicts
from accord.core.screening import default_dataset
from accord.facilities.services import sync_from_data
from accord.people.models import Person
from accord.people.services import import_people

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's event loop beside live_server

PASSWORD = "correct horse battery staple 42"
ROLES = [
    ("officer", Role.CASE_OFFICER, ""),
    ("reviewer", Role.LEGAL_REVIEWER, ""),
    ("salvador", Role.RECEIVING_OFFICER, "SV"),
    ("finance", Role.FINANCE, ""),
    ("monitor", Role.MONITOR, ""),
    ("admin", Role.ADMIN, ""),
]

# The golden scenarios' clean person: an adult Salvadoran with a final order and nothing barring.
CLEAN = {
    k: v
    for k, v in tomllib.loads((Path(__file__).parent.parent / "golden" / "base.toml").read_text()).items()
    if k != "person_id"
}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Argon2 is slow by design; tests of other things need not pay for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def users(db: Any) -> dict[str, User]:
    made = {}
    for username, role, state in ROLES:
        user = User.objects.create_user(username=username, password=PASSWORD, role=role, receiving_state=state)
        made[username] = user
    return made


@pytest.fixture
def tokens(users: dict[str, User]) -> dict[str, str]:
    return {name: ApiToken.issue(user, "test")[1] for name, user in users.items()}


@pytest.fixture
def facilities(db: Any) -> None:
    sync_from_data(default_dataset())


@pytest.fixture
def make_person(db: Any) -> Callable[..., Person]:
    """Store a person from interchange-format cells (defaults: a clean Salvadoran adult)."""

    def make(person_id: str, **cells: str) -> Person:
        import_people(people_from_dicts([{**CLEAN, "person_id": person_id, **cells}]), user=None, reason="test")
        return Person.objects.get(person_id=person_id)

    return make


def closed_case(person: Person, officer: User, *, agreement_id: str, clause_id: str, placement: str) -> Case:
    """A case of an earlier move, since closed, standing for the places or quota it used before
    the test (``data_version="filler"``, which invariants leave out)."""
    return Case.objects.create(
        person=person,
        agreement_id=agreement_id,
        receiving_state=default_dataset().transfer_agreement(agreement_id).receiving_state,
        state="closed",
        outcome="eligible",
        placement=placement,
        clause_id=clause_id,
        screened_on=timezone.localdate(),
        screened_at=timezone.now(),
        data_version="filler",
        rules_version="filler",
        created_by=officer,
    )


def use_up_quota(person: Person, month: str, used: int, officer: User) -> Case:
    """``used`` of a month's CHNV acceptances made by earlier moves, all on one closed case."""
    case = closed_case(person, officer, agreement_id="us-mx-chnv", clause_id="quota", placement="reception")
    Reservation.objects.bulk_create(
        Reservation(case=case, agreement_id="us-mx-chnv", clause_id="quota", quota_month=month, status="released")
        for _ in range(used)
    )
    return case


# What a legal reviewer gives with an approval: the receiving state's legal basis to detain,
# used only where a prison placement abroad asks for it (placement/legal-basis).
BASIS = {"basis_kind": "court_order", "basis_reference": "Juzgado Especializado de Instrucción, Ref. 101-2025"}


def options_for(step: str) -> dict[str, str]:
    return BASIS if step == "approve" else {}
