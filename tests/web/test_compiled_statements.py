"""Statements compiled once (``accord.db``, #11 §8): the same rows, models and refusals as the
ORM's own queryset, on every later call with other values."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord import db
from accord.accounts.models import User
from accord.cases.models import Case
from accord.cases.services import open_case
from accord.facilities.models import Facility
from accord.people.models import Person

pytestmark = pytest.mark.django_db


def _case_with_person(case_id: int) -> QuerySet[Case]:
    return Case.objects.select_related("person").filter(pk=case_id).order_by("pk")[:1]


def _fields(obj: object) -> list[object]:
    return [getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields]  # type: ignore[attr-defined]


def test_a_compiled_statement_answers_as_the_orm_for_every_value_it_is_given(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person]
) -> None:
    cases = [open_case(make_person(f"C{i}"), "us-sv-2025", user=users["officer"]) for i in range(2)]
    with CaptureQueriesContext(connection) as queries:
        found = [db.first(_case_with_person, case.pk) for case in cases]
    for case, got in zip(cases, found, strict=True):
        expected = _case_with_person(case.pk).get()
        assert got is not None and _fields(got) == _fields(expected)
        assert _fields(got.person) == _fields(expected.person)  # select_related, with its converters (dates, lists)
        assert got._state.adding is False and got._state.db == "default"  # saved as an update, like the ORM's
    assert len(queries) == 2  # one statement a call, its related model with it
    assert db.first(_case_with_person, max(c.pk for c in cases) + 1) is None
    assert db.first(_case_with_person, 2**70) is None  # out of every column's range: none, as the ORM


def test_a_value_must_reach_the_statement_as_one_parameter(users: dict[str, User]) -> None:
    with pytest.raises(ValueError, match="one parameter"):
        db.rows(lambda name: User.objects.filter(username=name, first_name=name).values_list("pk"), "x")
    with pytest.raises(ValueError, match="one parameter"):
        db.rows(lambda name: User.objects.filter(username=name.upper()).values_list("pk"), "x")


def test_a_builder_closing_over_a_variable_is_compiled_for_each_of_its_values(users: dict[str, User]) -> None:
    """A closure's variable is no argument, yet the statement must follow it: a step scoped by a
    variable read the first time must not answer for another."""

    def usernames(role: str) -> list[tuple[str]]:
        return db.rows(lambda: User.objects.filter(role=role).order_by("username").values_list("username"))

    for role in ("case_officer", "legal_reviewer", "monitor"):
        expected = list(User.objects.filter(role=role).order_by("username").values_list("username"))
        assert expected and usernames(role) == expected
    with pytest.raises(TypeError, match="hashable"):
        unhashable = ["case_officer"]
        db.rows(lambda: User.objects.filter(role__in=unhashable).values_list("username"))


def test_values_come_with_the_orms_conversions_and_an_empty_set_finds_nothing(facilities: None) -> None:
    Facility.objects.filter(code="cecot").update(suspended=True)
    build = lambda: Facility.objects.order_by("code").values_list("code", "suspended")  # noqa: E731
    assert db.rows(build) == list(build())
    assert any(suspended is True for _, suspended in db.rows(build))  # a bool on SQLite too
    assert db.rows(lambda: Facility.objects.filter(code__in=[]).values_list("code")) == []


@pytest.mark.django_db(transaction=True)
def test_a_locking_statement_outside_a_transaction_is_refused_as_by_the_orm(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person]
) -> None:
    case = open_case(make_person("L1"), "us-sv-2025", user=users["officer"])
    locking = lambda pk: Case.objects.select_for_update().filter(pk=pk).order_by("pk")[:1]  # noqa: E731
    if not connection.features.has_select_for_update:  # SQLite: the ORM drops FOR UPDATE there too
        assert db.first(locking, case.pk) is not None
        return
    with pytest.raises(TransactionManagementError):
        list(locking(case.pk))
    with pytest.raises(TransactionManagementError):
        db.first(locking, case.pk)


def test_a_case_id_beyond_any_column_is_not_found_over_the_api(tokens: dict[str, str]) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens['officer']}")
    assert client.get(f"/api/v1/cases/{2**70}").status_code == 404
    response = client.post(f"/api/v1/cases/{2**70}/steps", {"step": "submit"}, content_type="application/json")
    assert response.status_code == 404
