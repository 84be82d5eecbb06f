"""The ledger app: accrual from occupancy periods, closing, corrections, transport charges, who
sees money, and the database refusing to change postings or a closed month (SQLite and PG)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from accord.accounts.models import Role, User
from accord.capacity import services as places
from accord.capacity.models import Reservation
from accord.core.screening import default_dataset
from accord.facilities.models import Facility
from accord.facilities.services import sync_from_data
from accord.ledger import selectors, services
from accord.ledger.models import Invoice, Line, Month, Posting, Transaction
from accord.people.models import Person
from tests.web.conftest import closed_case

D = dt.date
pytestmark = pytest.mark.django_db

Stays = Callable[..., list[Reservation]]


@pytest.fixture
def stays(users: dict[str, User], facilities: None, make_person: Callable[..., Person]) -> Stays:
    """Occupancy periods in CECOT (or another facility), one closed case each."""
    person = make_person("P-LEDGER")

    def make(*periods: tuple[dt.date | None, dt.date | None], facility: str = "cecot") -> list[Reservation]:
        made = []
        for first, last in periods:
            case = closed_case(
                person, users["officer"], agreement_id="us-sv-2025", clause_id="own-nationals", placement="prison"
            )
            made.append(
                Reservation.objects.create(
                    case=case,
                    facility=Facility.objects.get(code=facility),
                    agreement_id="us-sv-2025",
                    clause_id="own-nationals",
                    status="released" if last else "occupied",
                    occupied_on=first,
                    released_on=last,
                )
            )
        return made

    return make


def test_accrue_and_close_a_month_issues_the_invoice_traced_to_person_days(
    users: dict[str, User], stays: Stays
) -> None:
    stays((D(2025, 3, 1), None), (D(2025, 3, 10), D(2025, 3, 10)), (None, None))
    result = services.accrue_month("2025-03", actor=users["finance"])
    assert (result.person_days, result.amount_minor, result.unknown_stays) == (32, 32 * 5500, 1)
    [invoice] = services.close_month("2025-03", actor=users["finance"])
    assert (invoice.payer, invoice.payee, invoice.currency, invoice.total_minor) == ("US", "SV", "USD", 176000)
    assert invoice.assumption  # the fee amount is an assumption: shown as one
    [line] = selectors.invoice_lines(invoice)
    assert (line.facility, line.person_days, line.rate_minor, line.amount_minor) == ("cecot", 32, 5500, 176000)
    assert selectors.reconciliation("2025-03") == []
    assert selectors.unbalanced_transactions() == []
    assert "ledger.close" in set(_actions())


def _actions() -> list[str]:
    from accord.audit.models import AuditEvent

    return list(AuditEvent.objects.values_list("action", flat=True))


def test_accrual_is_idempotent_and_posts_only_a_difference(users: dict[str, User], stays: Stays) -> None:
    [r] = stays((D(2025, 3, 1), None))
    services.accrue_month("2025-03", actor=users["finance"])
    again = services.accrue_month("2025-03", actor=users["finance"])
    assert (again.transactions, again.person_days) == (0, 0)
    # A release recorded later: the difference is a new entry, never an edit.
    Reservation.objects.filter(pk=r.pk).update(status="released", released_on=D(2025, 3, 21))
    late = services.accrue_month("2025-03", actor=users["finance"])
    assert (late.person_days, late.amount_minor) == (-11, -11 * 5500)
    assert Line.objects.filter(month__month="2025-03").aggregate(d=Sum("person_days"))["d"] == 20
    assert selectors.reconciliation("2025-03") == []


def test_closing_is_idempotent_and_a_closed_month_never_changes(users: dict[str, User], stays: Stays) -> None:
    [r] = stays((D(2025, 3, 1), None))
    first = services.close_month("2025-03", actor=users["finance"])
    postings = Posting.objects.count()
    assert services.close_month("2025-03", actor=users["finance"]) == first
    assert Posting.objects.count() == postings
    Reservation.objects.filter(pk=r.pk).update(status="released", released_on=D(2025, 3, 5))
    with pytest.raises(services.LedgerError, match="2025-03 is closed"):
        services.accrue_month("2025-03", actor=users["finance"])
    assert Posting.objects.count() == postings
    # The reconciliation now names the difference between the closed invoice and the occupancy.
    found = selectors.reconciliation("2025-03")
    assert found and all("cecot" in d.key for d in found)


def test_a_correction_lands_in_the_next_open_month_with_its_reference(users: dict[str, User], stays: Stays) -> None:
    stays((D(2025, 3, 1), None))
    [march] = services.close_month("2025-03", actor=users["finance"])
    tx = services.post_correction(
        march.number,
        amount_minor=-5500,
        person_days=-1,
        facility="cecot",
        reason="release recorded late",
        actor=users["finance"],
    )
    assert tx.month.month == "2025-04" and tx.corrects == march
    april = services.close_month("2025-04", actor=users["finance"])
    [credit] = [line for inv in april for line in inv.lines.all() if line.kind == "correction"]
    assert (credit.amount_minor, credit.corrects, credit.reference) == (-5500, march, march.number)
    march.refresh_from_db()
    assert march.total_minor == 31 * 5500  # the closed invoice is untouched


def test_only_finance_posts(users: dict[str, User], stays: Stays) -> None:
    for name in ("officer", "reviewer", "salvador", "monitor", "admin"):
        with pytest.raises(PermissionDenied):
            services.accrue_month("2025-03", actor=users[name])
        with pytest.raises(PermissionDenied):
            services.close_month("2025-03", actor=users[name])
    assert not Month.objects.exists()


def test_who_reads_invoices(users: dict[str, User], stays: Stays) -> None:
    stays((D(2025, 3, 1), None))
    services.close_month("2025-03", actor=users["finance"])
    caracas = User.objects.create_user(
        username="caracas", password="x" * 20, role=Role.RECEIVING_OFFICER, receiving_state="VE"
    )
    assert len(selectors.invoices(users["finance"])) == 1
    assert len(selectors.invoices(users["reviewer"])) == 1
    assert len(selectors.invoices(users["salvador"])) == 1  # SV is the payee
    for user in (caracas, users["officer"], users["monitor"], users["admin"], None):
        assert selectors.invoices(user) == []
    csv = selectors.statement_csv(users["finance"])
    assert "2025-03/us-sv-2025/US-SV/USD" in csv and "assumption" in csv and "1,705.00 USD" in csv


def test_transport_charge_hook_for_movements(users: dict[str, User], stays: Stays) -> None:
    tx = services.charge_transport("MV-1", "us-sv-2025", "US", 1_250_000, "USD", D(2025, 3, 15))
    assert services.charge_transport("MV-1", "us-sv-2025", "US", 1_250_000, "USD", D(2025, 3, 15)) == tx
    [invoice] = services.close_month("2025-03", actor=users["finance"])
    assert [(li.kind, li.reference, li.amount_minor) for li in invoice.lines.all()] == [
        ("transport", "MV-1", 1_250_000)
    ]
    # A charge for a day of a closed month goes into the next open month.
    later = services.charge_transport("MV-2", "us-sv-2025", "US", 100, "USD", D(2025, 3, 20))
    assert later.month.month == "2025-04"
    with pytest.raises(services.LedgerError, match="positive integer"):
        services.charge_transport("MV-3", "us-sv-2025", "US", 0, "USD", D(2025, 3, 20))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("MV-9", "us-sv-2025", "US", True, "USD"), "positive integer"),
        (("MV-9", "us-sv-2025", "US", 100, "usd"), "currency 'usd'"),
        (("MV-9", "us-sv-2025", "USA", 100, "USD"), "payer 'USA'"),
        (("MV-9", "us-sv-2025", "SV", 100, "USD"), "payer and payee are both SV"),
        (("MV-9", "nowhere-2025", "US", 100, "USD"), "unknown agreement 'nowhere-2025'"),
        (("MV-1", "us-sv-2025", "US", 999, "USD"), "MV-1 was already charged"),
    ],
)
def test_a_bad_transport_charge_is_refused_naming_what_is_wrong_and_changes_nothing(
    users: dict[str, User], args: tuple[str, str, str, int, str], named: str
) -> None:
    services.charge_transport("MV-1", "us-sv-2025", "US", 1_250_000, "USD", D(2025, 3, 15))
    before = (Transaction.objects.count(), Posting.objects.count(), Line.objects.count())
    with pytest.raises(services.LedgerError, match=named):
        services.charge_transport(*args, D(2025, 3, 15))
    assert (Transaction.objects.count(), Posting.objects.count(), Line.objects.count()) == before


def test_capacity_records_the_occupancy_period(users: dict[str, User], stays: Stays) -> None:
    [r] = stays((None, None))
    Reservation.objects.filter(pk=r.pk).update(status="held")
    with transaction.atomic():
        places.occupy(r.case_id, actor=users["officer"], day=D(2025, 3, 3))
    with transaction.atomic(), pytest.raises(ValueError, match="before the handover"):
        places.release(r.case_id, actor=users["officer"], reason="x", day=D(2025, 3, 2))
    with transaction.atomic():
        places.release(r.case_id, actor=users["officer"], reason="moved", day=D(2025, 3, 9))
    r.refresh_from_db()
    assert (r.status, r.occupied_on, r.released_on) == ("released", D(2025, 3, 3), D(2025, 3, 9))


def test_a_person_moved_between_facilities_mid_month(users: dict[str, User], stays: Stays) -> None:
    """Two periods; the second facility has no fee term in the data: its days are named unpriced."""
    stays((D(2025, 3, 1), D(2025, 3, 11)))
    Facility.objects.create(code="mariona", name="La Esperanza (Mariona)", state="SV", kind="prison", capacity=10)
    stays((D(2025, 3, 11), None), facility="mariona")
    result = services.accrue_month("2025-03", actor=users["finance"])
    assert (result.person_days, result.unpriced_days) == (10, 21)


def test_a_person_handed_over_and_moved_on_the_same_day_is_not_billed_twice(
    users: dict[str, User], stays: Stays
) -> None:
    """The occupancy periods carry the person, so CECOT does not bill the day a person it
    received was moved on (the stays fixture gives every period the same person)."""
    stays((D(2025, 3, 10), D(2025, 3, 10)))
    Facility.objects.create(code="mariona", name="La Esperanza (Mariona)", state="SV", kind="prison", capacity=10)
    stays((D(2025, 3, 10), None), facility="mariona")
    result = services.accrue_month("2025-03", actor=users["finance"])
    assert (result.person_days, result.unpriced_days) == (0, 22)  # Mariona has no fee in the data


# --- the database refuses ------------------------------------------------------------------


def _one_transaction(users: dict[str, User]) -> Transaction:
    return services.charge_transport("MV-DB", "us-sv-2025", "US", 500, "USD", D(2025, 3, 15))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_posting SET amount_minor = 1",
        "DELETE FROM ledger_posting",
        "UPDATE ledger_transaction SET description = 'x'",
        "DELETE FROM ledger_transaction",
        "DELETE FROM ledger_line",
    ],
)
def test_the_database_refuses_changing_postings(users: dict[str, User], stays: Stays, sql: str) -> None:
    _one_transaction(users)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert Posting.objects.filter(amount_minor=1).count() == 0


def test_the_database_refuses_an_unbalanced_transaction_and_late_postings(users: dict[str, User], stays: Stays) -> None:
    tx = _one_transaction(users)
    month = Month.objects.get(month="2025-03")
    account = Posting.objects.filter(transaction=tx).first().account  # type: ignore[union-attr]
    import uuid

    new = uuid.uuid4()
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        Posting.objects.create(transaction_id=new, account=account, amount_minor=10, currency="USD")
        Posting.objects.create(transaction_id=new, account=account, amount_minor=-9, currency="USD")
        Transaction.objects.create(id=new, month=month, kind="transport", description="x", reference="MV-X")
    with pytest.raises(DatabaseError, match="already recorded"), transaction.atomic():
        Posting.objects.create(transaction=tx, account=account, amount_minor=10, currency="USD")
    with pytest.raises(services.LedgerError, match="does not balance"):
        services.post(
            month,
            "transport",
            "x",
            [services.Entry("a", "income", 5, "USD"), services.Entry("b", "income", -4, "USD")],
            [],
            actor=None,
        )


def test_the_database_refuses_changing_a_closed_month(users: dict[str, User], stays: Stays) -> None:
    stays((D(2025, 3, 1), None))
    services.close_month("2025-03", actor=users["finance"])
    for sql in (
        "UPDATE ledger_month SET status = 'open'",
        "DELETE FROM ledger_month",
        "UPDATE ledger_invoice SET total_minor = 0",
        "DELETE FROM ledger_invoiceline",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert Month.objects.get(month="2025-03").status == "closed"
    assert Invoice.objects.get().total_minor == 31 * 5500


def test_the_database_refuses_adding_to_a_closed_month(users: dict[str, User], stays: Stays) -> None:
    """Bypassing the use cases (which refuse first): a balanced transaction, a line or an invoice
    written straight into a closed month is refused by the database, and nothing is left behind."""
    import uuid

    stays((D(2025, 3, 1), None))
    [invoice] = services.close_month("2025-03", actor=users["finance"])
    march = Month.objects.get(month="2025-03")
    account = Posting.objects.first().account  # type: ignore[union-attr]
    counts = (Transaction.objects.count(), Posting.objects.count(), Line.objects.count(), Invoice.objects.count())
    new = uuid.uuid4()
    with pytest.raises(DatabaseError, match="closed"), transaction.atomic():
        Posting.objects.create(transaction_id=new, account=account, amount_minor=10, currency="USD")
        Posting.objects.create(transaction_id=new, account=account, amount_minor=-10, currency="USD")
        Transaction.objects.create(id=new, month=march, kind="correction", description="late")
    tx = Transaction.objects.first()
    with pytest.raises(DatabaseError, match="closed"), transaction.atomic():
        Line.objects.create(
            transaction=tx, month=march, agreement_id="us-sv-2025", payer="US", payee="SV", currency="USD",
            amount_minor=1, assumption=False,
        )  # fmt: skip
    with pytest.raises(DatabaseError, match="closed"), transaction.atomic():
        Invoice.objects.create(
            number="late", month=march, agreement_id="us-sv-2025", payer="US", payee="SV", currency="USD",
            total_minor=1, assumption=False,
        )  # fmt: skip
    with pytest.raises(services.LedgerError, match="2025-03 is closed"):
        services.post(
            march,
            "correction",
            "late",
            [services.Entry("a", "income", 5, "USD"), services.Entry("b", "income", -5, "USD")],
            [],
            actor=None,
        )
    after = (Transaction.objects.count(), Posting.objects.count(), Line.objects.count(), Invoice.objects.count())
    assert after == counts and invoice.total_minor == 31 * 5500


def _invariants_world() -> tuple[User, User, Person, Facility]:
    """What each Hypothesis example starts from: the agreement data, a finance officer, a case
    officer, one person and CECOT."""
    from accord.core.records import people_from_dicts
    from accord.people.services import import_people
    from tests.web.conftest import CLEAN

    sync_from_data(default_dataset())
    finance = User.objects.create_user(username="f", password="x" * 20, role=Role.FINANCE)
    officer = User.objects.create_user(username="o", password="x" * 20, role=Role.CASE_OFFICER)
    import_people(people_from_dicts([{**CLEAN, "person_id": "P-H"}]), user=None, reason="test")
    return finance, officer, Person.objects.get(person_id="P-H"), Facility.objects.get(code="cecot")


class TestInvariants(HypothesisTestCase):
    """Hypothesis over the real database: every transaction balances, the sum of invoices equals
    the sum of accruals, closing twice changes nothing."""

    @settings(max_examples=15, deadline=None)
    @given(
        periods=st.lists(
            st.tuples(
                st.dates(min_value=D(2025, 2, 1), max_value=D(2025, 4, 30)),
                st.one_of(st.none(), st.integers(0, 70)),
            ),
            min_size=1,
            max_size=8,
        ),
        charges=st.lists(st.integers(1, 10**9), max_size=3),
    )
    def test_invariants(self, periods: list[tuple[dt.date, int | None]], charges: list[int]) -> None:
        finance, officer, person, cecot = _invariants_world()
        for first, n in periods:
            case = closed_case(
                person, officer, agreement_id="us-sv-2025", clause_id="own-nationals", placement="prison"
            )
            Reservation.objects.create(
                case=case,
                facility=cecot,
                agreement_id="us-sv-2025",
                clause_id="own-nationals",
                status="released" if n is not None else "occupied",
                occupied_on=first,
                released_on=first + dt.timedelta(days=n) if n is not None else None,
            )
        for i, amount in enumerate(charges):
            services.charge_transport(f"MV-{i}", "us-sv-2025", "US", amount, "USD", D(2025, 3, 1 + i))
        for month in ("2025-02", "2025-03", "2025-04"):
            first_close = services.close_month(month, actor=finance)
            snapshot = (Posting.objects.count(), list(Invoice.objects.values_list("number", "total_minor")))
            assert services.close_month(month, actor=finance) == first_close
            assert (Posting.objects.count(), list(Invoice.objects.values_list("number", "total_minor"))) == snapshot
            assert selectors.reconciliation(month) == []
        assert selectors.unbalanced_transactions() == []
        invoiced = Invoice.objects.aggregate(t=Sum("total_minor"))["t"] or 0
        accrued = Line.objects.aggregate(t=Sum("amount_minor"))["t"] or 0
        assert invoiced == accrued
        receivable = Posting.objects.filter(account__kind="receivable").aggregate(t=Sum("amount_minor"))["t"] or 0
        assert receivable == invoiced


def test_the_command_line_accrues_closes_and_prints_a_statement_as_finance_only(
    users: dict[str, User], tokens: dict[str, str], stays: Stays
) -> None:
    from typer.testing import CliRunner

    from accord.cli import app

    stays((D(2025, 3, 1), None), (None, None))
    run = CliRunner()
    refused = run.invoke(app, ["ledger", "close", "--month", "2025-03"], env={"ACCORD_TOKEN": tokens["officer"]})
    assert refused.exit_code == 2 and not Month.objects.exists()
    bad = run.invoke(app, ["ledger", "accrue", "--month", "2025-13"], env={"ACCORD_TOKEN": tokens["finance"]})
    assert bad.exit_code == 2 and "2025-13" in bad.output
    finance = {"ACCORD_TOKEN": tokens["finance"]}
    accrued = run.invoke(app, ["ledger", "accrue", "--month", "2025-03"], env=finance)
    assert accrued.exit_code == 0, accrued.output
    assert "31 person-days" in accrued.output and "unknown handover" in accrued.output
    closed = run.invoke(app, ["ledger", "close", "--month", "2025-03"], env=finance)
    assert closed.exit_code == 0 and "2025-03/us-sv-2025/US-SV/USD: 1,705.00 USD" in closed.output
    again = run.invoke(app, ["ledger", "close", "--month", "2025-03"], env=finance)
    assert again.exit_code == 0 and Invoice.objects.count() == 1
    listed = run.invoke(app, ["ledger", "invoices"], env={"ACCORD_TOKEN": tokens["salvador"]})
    assert "2025-03/us-sv-2025/US-SV/USD" in listed.output
    statement = run.invoke(app, ["ledger", "statement", "--month", "2025-03"], env={"ACCORD_TOKEN": tokens["reviewer"]})
    rows = statement.output.splitlines()
    assert rows[0].startswith("invoice,month,agreement") and len(rows) == 2
    assert ",cecot," in rows[1] and ",31,170500," in rows[1] and ",assumption," in rows[1]
    nobody = run.invoke(app, ["ledger", "invoices"], env={"ACCORD_TOKEN": tokens["monitor"]})
    assert nobody.exit_code == 2


def dataset_billing_every_kind() -> Any:
    """The agreement data with us-sv-2025's CECOT fee billing reserved places and a place-year
    fee for contracted places beside it (data, as a test agreement would give it)."""
    import dataclasses

    from accord.core.dataset import FeeTerm

    data = default_dataset()
    agreement = data.agreements["us-sv-2025"]
    contract = FeeTerm.model_validate(
        {
            "id": "cecot-contract",
            "kind": "place_year",
            "facility": "cecot",
            "payer": "US",
            "payee": "SV",
            "currency": "USD",
            "rates": [
                {"start": D(2025, 1, 1), "amount_minor": 1_000_000, "places": 7},
                {"start": D(2025, 3, 17), "amount_minor": 1_250_000, "places": 9},
            ],
        }
    )
    fees = [fee.model_copy(update={"bill_reserved_places": True}) for fee in agreement.fees] + [contract]
    agreements = {**data.agreements, "us-sv-2025": agreement.model_copy(update={"fees": fees})}
    return dataclasses.replace(data, agreements=agreements)


class TestInvariantsEveryKind(HypothesisTestCase):
    """The same invariants with every kind of money: person-days, reserved places, place-years,
    transport and transit fees (with passengers not assessed)."""

    def setUp(self) -> None:
        super().setUp()
        self.real = selectors.default_dataset
        replaced = dataset_billing_every_kind()
        selectors.default_dataset = lambda: replaced  # type: ignore[assignment]  # the data, not the code

    def tearDown(self) -> None:
        selectors.default_dataset = self.real  # type: ignore[assignment]
        super().tearDown()

    @settings(max_examples=12, deadline=None)
    @given(
        periods=st.lists(
            st.tuples(
                st.dates(min_value=D(2025, 2, 1), max_value=D(2025, 4, 30)),
                st.integers(0, 20),  # days held before the handover
                st.one_of(st.none(), st.integers(0, 70)),
            ),
            min_size=1,
            max_size=6,
        ),
        transit=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=3),
    )
    def test_invariants(self, periods: list[tuple[dt.date, int, int | None]], transit: list[tuple[int, int]]) -> None:
        from accord.core import ledger as core

        finance, officer, person, cecot = _invariants_world()
        for first, held_days, n in periods:
            case = closed_case(
                person, officer, agreement_id="us-sv-2025", clause_id="own-nationals", placement="prison"
            )
            Reservation.objects.create(
                case=case,
                facility=cecot,
                agreement_id="us-sv-2025",
                clause_id="own-nationals",
                status="released" if n is not None else "occupied",
                held_on=first - dt.timedelta(days=held_days),
                held_until=first,
                occupied_on=first,
                released_on=first + dt.timedelta(days=n) if n is not None else None,
            )
        agreements = selectors.default_dataset().agreements.values()
        for i, (listed, unknown) in enumerate(transit):
            day = D(2025, 3, 2 + i)
            nationalities = [["NG"]] * listed + [[]] * unknown + [["VE"]]
            services.charge_transit(f"MV-T{i}", core.assess_transit(agreements, ["SAL"], nationalities, day), day)
        for month in ("2025-02", "2025-03", "2025-04"):
            first_close = services.close_month(month, actor=finance)
            assert services.close_month(month, actor=finance) == first_close
            assert selectors.reconciliation(month) == [], month
        assert selectors.unbalanced_transactions() == []
        invoiced = Invoice.objects.aggregate(t=Sum("total_minor"))["t"] or 0
        accrued = Line.objects.aggregate(t=Sum("amount_minor"))["t"] or 0
        assert invoiced == accrued
        assert Line.objects.filter(transaction__kind="place_year").exists()  # contracted places every month
        receivable = Posting.objects.filter(account__kind="receivable").aggregate(t=Sum("amount_minor"))["t"] or 0
        assert receivable == invoiced
        not_assessed = sum(u for listed, u in transit if listed or u)
        from accord.ledger.models import TransitAssessment

        assert (TransitAssessment.objects.aggregate(t=Sum("not_assessed"))["t"] or 0) == not_assessed


def test_contracted_places_are_billed_per_place_year_prorated_to_the_cent(
    users: dict[str, User], facilities: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """7 places at 10,000.00 a place-year, 9 at 12,500.00 from 17 March 2025 (365 days): March
    bills floor(C(16 Mar)/365) - floor(C(28 Feb)/365) = 1,438,356 - 1,131,506 = 306,850 and
    floor(C(31 Mar)/365) - 1,438,356 = 1,900,684 - 1,438,356 = 462,328 (C: the running sum of
    places x yearly amount from 1 January)."""
    replaced = dataset_billing_every_kind()
    monkeypatch.setattr(selectors, "default_dataset", lambda: replaced)
    [invoice] = services.close_month("2025-03", actor=users["finance"])
    lines = list(invoice.lines.order_by("rate_start").values_list("kind", "person_days", "rate_minor", "amount_minor"))
    assert lines == [("place_year", 16 * 7, 1_000_000, 306_850), ("place_year", 15 * 9, 1_250_000, 462_328)]
    assert invoice.total_minor == 769_178 and selectors.reconciliation("2025-03") == []
    view = selectors.invoice_view(users["finance"], invoice.number)
    assert view is not None and (view.person_days, view.place_days) == (0, 16 * 7 + 15 * 9)
    finance = Client()
    finance.force_login(users["finance"])
    assert "contracted places" in finance.get("/ledger/invoice/", {"number": invoice.number}).content.decode()
