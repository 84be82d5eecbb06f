"""Reserved-but-empty places (#13 §2): when a fee's ``bill_reserved_places`` is true, each place
held and not yet occupied is billed per day at the fee's rate, from the day it was held to the
day it was occupied or given back, as its own invoice line kind. us-sv-2025's data says false (an
assumption); these tests read the same agreement with the parameter set to true, as data."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest
from django.db.models import Sum
from django.test import Client

from accord.accounts.models import User
from accord.capacity.models import Reservation
from accord.core.screening import default_dataset
from accord.facilities.models import Facility
from accord.ledger import selectors, services
from accord.ledger.models import Invoice, InvoiceLine, Line, Transaction
from accord.people.models import Person
from tests.web.conftest import closed_case

D = dt.date
pytestmark = pytest.mark.django_db
MARCH = "2025-03"


@pytest.fixture
def billing_reserved(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agreement data with us-sv-2025's CECOT fee billing reserved places (a data parameter,
    not code): the ledger reads its agreements through ``selectors.default_dataset``."""
    data = default_dataset()
    agreement = data.agreements["us-sv-2025"]
    fees = [fee.model_copy(update={"bill_reserved_places": True}) for fee in agreement.fees]
    agreements = {**data.agreements, "us-sv-2025": agreement.model_copy(update={"fees": fees})}
    replaced = dataclasses.replace(data, agreements=agreements)
    monkeypatch.setattr(selectors, "default_dataset", lambda: replaced)


def _reservation(person: Person, officer: User, **period: object) -> Reservation:
    case = closed_case(person, officer, agreement_id="us-sv-2025", clause_id="own-nationals", placement="prison")
    return Reservation.objects.create(
        case=case,
        facility=Facility.objects.get(code="cecot"),
        agreement_id="us-sv-2025",
        clause_id="own-nationals",
        **period,  # type: ignore[arg-type]
    )


def test_places_held_are_billed_per_day_until_occupied_as_their_own_line(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person], billing_reserved: None
) -> None:
    person = make_person("P-HELD")
    officer = users["officer"]
    # Held from 3 March and still empty: 29 place-days in March.
    _reservation(person, officer, status="held", held_on=D(2025, 3, 3))
    # Held 5 March, occupied 8 March: 3 place-days held, then 24 person-days.
    _reservation(
        person, officer, status="occupied", held_on=D(2025, 3, 5), held_until=D(2025, 3, 8), occupied_on=D(2025, 3, 8)
    )
    # Held 20 March, given back 20 March: nothing.
    _reservation(person, officer, status="cancelled", held_on=D(2025, 3, 20), held_until=D(2025, 3, 20))
    result = services.accrue_month(MARCH, actor=users["finance"])
    assert (result.person_days, result.amount_minor) == (29 + 3 + 24, (29 + 3 + 24) * 5500)
    reserved = Line.objects.filter(transaction__kind=Transaction.Kind.RESERVED)
    assert reserved.aggregate(d=Sum("person_days"))["d"] == 32
    assert Line.objects.filter(transaction__kind=Transaction.Kind.ACCRUAL).aggregate(d=Sum("person_days"))["d"] == 24
    assert services.accrue_month(MARCH, actor=users["finance"]).transactions == 0  # idempotent
    assert selectors.reconciliation(MARCH) == []

    [invoice] = services.close_month(MARCH, actor=users["finance"])
    kinds = dict(InvoiceLine.objects.filter(invoice=invoice).values_list("kind", "person_days"))
    assert kinds == {"accrual": 24, "reserved_places": 32}
    assert invoice.total_minor == Line.objects.aggregate(t=Sum("amount_minor"))["t"] == 56 * 5500
    assert selectors.reconciliation(MARCH) == []
    assert [r.kind for r in selectors.reconciliation_rows(MARCH)] == ["accrual", "reserved_places"]
    view = selectors.invoice_view(users["finance"], invoice.number)
    assert view is not None and (view.person_days, view.place_days) == (24, 32)

    finance = Client()
    finance.force_login(users["finance"])
    page = finance.get("/ledger/invoice/", {"number": invoice.number}).content.decode()
    assert "reserved places" in page
    assert Invoice.objects.aggregate(t=Sum("total_minor"))["t"] == Line.objects.aggregate(t=Sum("amount_minor"))["t"]


def test_without_the_parameter_no_held_place_is_billed(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person]
) -> None:
    _reservation(make_person("P-HELD2"), users["officer"], status="held", held_on=D(2025, 3, 3))
    result = services.accrue_month(MARCH, actor=users["finance"])
    assert (result.person_days, result.transactions, result.unknown_holds) == (0, 0, 0)


def test_a_place_held_since_an_unknown_day_is_named_not_billed(
    users: dict[str, User], facilities: None, make_person: Callable[..., Person], billing_reserved: None
) -> None:
    _reservation(make_person("P-HELD3"), users["officer"], status="held")
    result = services.accrue_month(MARCH, actor=users["finance"])
    assert (result.person_days, result.unknown_holds) == (0, 1)
