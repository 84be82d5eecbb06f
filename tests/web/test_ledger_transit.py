"""The per-passenger transit fee (sv-transit-fee-2023, #13 §2): a movement's transit airports,
charged at departure per passenger aboard of a listed nationality at the rate in force that day,
to the payer the fee term names; counts and the movement id only; passengers of unknown
nationality named as not assessed, never silently skipped; the assumption flag wherever it shows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import pytest
from django.db.models import Sum
from django.test import Client

from accord.accounts.models import User
from accord.cases.errors import CaseError
from accord.core import ledger as core
from accord.core.screening import default_dataset
from accord.ledger import selectors, services
from accord.ledger.models import Posting, Transaction, TransitAssessment
from accord.movements import documents
from accord.movements import services as moves
from accord.people.models import Person
from tests.web.moving import accepted, fill, flight

pytestmark = pytest.mark.django_db
FEE = "sv-transit-fee-2023"
RATE = 113_000  # the data's illustrative rate (an assumption), in cents
NOTE = "1,130.00 USD a passenger is an illustrative figure"


@pytest.fixture
def crew(users: dict[str, User], facilities: None) -> dict[str, User]:
    return users


def client(username: str) -> Client:
    c = Client()
    c.force_login(User.objects.get(username=username))
    return c


def _departed(crew: dict[str, User], make_person: Callable[..., Person], nationalities: list[str], **facts: object):
    movement = flight(crew["officer"], **facts)  # type: ignore[arg-type]
    cases = [accepted(make_person, crew, f"TR-{movement.pk}-{i}", nationalities=n) for i, n in enumerate(nationalities)]
    fill(movement, cases, crew["officer"])
    return moves.depart(movement.pk, user=crew["officer"])


def test_departure_charges_each_passenger_of_a_listed_nationality_once_to_the_payer_the_term_names(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    movement = _departed(crew, make_person, ["NG", "SN", "VE"], transit_airports="sal, SAL")
    assert movement.transit_airports == "SAL"  # upper case, once
    (tx,) = Transaction.objects.filter(kind=Transaction.Kind.TRANSIT)
    assert tx.reference == f"MV-{movement.pk}"
    (line,) = tx.lines.all()
    assert (line.agreement_id, line.fee_id, line.payer, line.payee, line.facility) == (
        FEE,
        "airport-transit",
        "US",
        "SV",
        "SAL",
    )
    assert (line.passengers, line.not_assessed, line.rate_minor, line.amount_minor, line.assumption) == (
        2,
        0,
        RATE,
        2 * RATE,
        True,
    )
    assert line.person_days == 0  # passengers are not person-days
    assert Posting.objects.filter(transaction=tx).aggregate(s=Sum("amount_minor"))["s"] == 0
    # Idempotent: charging the movement again changes nothing.
    assert services.charge_transit(tx.reference, [], movement.planned_departure.date()) == tx
    assert Transaction.objects.filter(kind=Transaction.Kind.TRANSIT).count() == 1
    assert selectors.transit_differences(line.month.month) == []


def test_a_movement_not_transiting_a_listed_airport_is_not_charged(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    _departed(crew, make_person, ["NG"])
    _departed(crew, make_person, ["GH"], transit_airports="PTY")
    assert not Transaction.objects.filter(kind=Transaction.Kind.TRANSIT).exists()
    assert not TransitAssessment.objects.exists()


def test_a_bad_transit_airport_is_refused_naming_the_field(crew: dict[str, User]) -> None:
    for bad in ("SALV", "S1L", "San Salvador"):
        with pytest.raises(CaseError, match="transit_airports"):
            flight(crew["officer"], transit_airports=bad)


def test_passengers_of_unknown_nationality_are_named_as_not_assessed_never_skipped(crew: dict[str, User]) -> None:
    """Two movements: one with a listed passenger and two of unknown nationality (charged for one,
    two named), one whose three passengers are all of unknown nationality (nothing posted, still
    named on the month page and in the reconciliation)."""
    (term,) = default_dataset().agreement(FEE).fees
    day = dt.date(2025, 4, 9)
    mixed = core.assess_transit(default_dataset().agreements.values(), ["SAL"], [["NG", "US"], [], []], day)
    unknown = core.assess_transit(default_dataset().agreements.values(), ["SAL"], [[], [], []], day)
    assert [(c.passengers, c.not_assessed, c.amount_minor) for c in mixed] == [(1, 2, RATE)]
    assert [(c.passengers, c.not_assessed, c.amount_minor) for c in unknown] == [(0, 3, 0)]
    services.charge_transit("MV-901", mixed, day, actor=crew["finance"])
    assert services.charge_transit("MV-902", unknown, day, actor=crew["finance"]) is None
    assert TransitAssessment.objects.count() == 2

    finance = client("finance")
    number = f"2025-04/{FEE}/US-SV/USD"
    page = finance.get("/ledger/invoice/", {"number": number}).content.decode()
    assert "2 passengers aboard MV-901 were not assessed" in page and "1 passengers" in page
    assert NOTE in page and "assumption" in page
    month = finance.get("/ledger/2025-04/").content.decode()
    assert "3 passengers aboard MV-902" in month and "2 passengers aboard MV-901" in month
    recon = finance.get("/ledger/2025-04/reconciliation/").content.decode()
    assert "MV-902" in recon and "No difference" in recon
    rows = list(csv.DictReader(io.StringIO(finance.get("/ledger/2025-04/statement.csv").content.decode())))
    transit = next(r for r in rows if r["kind"] == "transit")
    assert (transit["passengers"], transit["not_assessed"], transit["status"], transit["assumption"]) == (
        "1",
        "2",
        "draft",
        "assumption",
    )
    pdf_html = documents_html(number)
    assert "MV-901: 2" in pdf_html and "Assumption" in pdf_html
    services.close_month("2025-04", actor=crew["finance"])
    assert selectors.reconciliation("2025-04") == []
    assert term.transit_airports == ["SAL"]


def documents_html(number: str) -> str:
    from accord.ledger import documents as ledger_documents

    view = selectors.invoice_view(User.objects.get(username="finance"), number)
    assert view is not None
    return ledger_documents.statement_html(ledger_documents.Statement(title=number, invoices=(view,)))


def test_the_rate_in_force_on_the_departure_day_applies_and_none_before_the_fee(crew: dict[str, User]) -> None:
    agreements = default_dataset().agreements.values()
    assert core.assess_transit(agreements, ["SAL"], [["NG"]], dt.date(2023, 10, 22)) == []  # before its start
    (charge,) = core.assess_transit(agreements, ["SAL"], [["NG"], ["MX"]], dt.date(2023, 10, 23))
    assert (charge.passengers, charge.not_assessed, charge.rate_start) == (1, 0, dt.date(2023, 10, 23))
    assert core.assess_transit(agreements, ["SAL"], [["MX"]], dt.date(2024, 1, 1)) == []  # nobody listed


def test_the_movement_page_and_manifest_show_the_transit_and_its_assumption(crew: dict[str, User]) -> None:
    movement = flight(crew["officer"], transit_airports="SAL")
    page = client("officer").get(f"/movements/{movement.pk}/").content.decode()
    assert "Transit airports" in page and "SAL" in page and f"{FEE}.airport-transit" in page
    doc = documents.manifest_document(movement, crew["officer"])
    assert doc.transit_airports == "SAL"
    assert any(a.name == f"{FEE}.airport-transit" and "1,130.00 USD" in a.value for a in doc.assumptions)
    edit = client("officer").get(f"/movements/{movement.pk}/edit/").content.decode()
    assert 'name="transit_airports" value="SAL"' in edit
    moves.edit_movement(movement.pk, user=crew["officer"], reason="route changed", transit_airports="")
    movement.refresh_from_db()
    assert movement.transit_list == [] and documents.transit_fee_assumptions(movement) == ()


def test_the_database_refuses_changing_an_assessment(crew: dict[str, User]) -> None:
    from django.db import DatabaseError, transaction

    day = dt.date(2025, 4, 9)
    charges = core.assess_transit(default_dataset().agreements.values(), ["SAL"], [["NG"], []], day)
    services.charge_transit("MV-903", charges, day)
    for sql in ("UPDATE ledger_transitassessment SET not_assessed = 0", "DELETE FROM ledger_transitassessment"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert TransitAssessment.objects.get().not_assessed == 1
