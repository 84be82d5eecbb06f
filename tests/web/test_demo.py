"""The demo builds a usable system from an empty database, and building it again duplicates nothing."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

from django.contrib.auth import authenticate
from django.test import RequestFactory

from accord.accounts.models import Role, User
from accord.audit.selectors import verify_chain
from accord.cases.models import Case
from accord.cases.selectors import work_queue
from accord.facilities.models import Facility
from accord.holds.models import LegalHold
from accord.people.models import Person, PersonVersion
from accord.web.demo import DemoUser, build_demo


def build(people: int) -> list[DemoUser]:
    return build_demo(people=people, say=lambda _message: None)


def logs_in(user: DemoUser) -> bool:
    request = RequestFactory().post("/login/")  # django-axes needs the request
    found = authenticate(request, username=user.username, password=user.password)
    return found is not None and found.username == user.username


def test_the_demo_builds_facilities_people_users_and_cases(db: Any) -> None:
    users = build(300)

    assert Facility.objects.get(code="cecot").capacity == 40_000
    assert Person.objects.exclude(person_id__startswith="DM").count() == 300  # DM…: the flights' travellers
    assert len(users) == User.objects.count() == 9
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    receiving = {u.username: u.receiving_state for u in User.objects.filter(role=Role.RECEIVING_OFFICER)}
    assert receiving == {"salvador": "SV", "caracas": "VE", "mexico": "MX", "bogota": "CO"}
    assert Case.objects.values("outcome").distinct().count() > 1
    assert all(logs_in(user) for user in users)


def test_the_demo_fills_every_work_queue_and_its_audit_log_verifies(db: Any) -> None:
    build(1_000)

    states = set(Case.objects.values_list("state", flat=True))
    assert {
        "screened",
        "legal_review",
        "approved",
        "referred",
        "accepted",
        "handed_over",
        "closed",
        "on_hold",
        "blocked",
    } <= states
    for name in ("officer", "reviewer", "salvador", "caracas"):
        assert work_queue(User.objects.get(username=name)).exists(), name
    assert LegalHold.objects.filter(lifted_at=None).count() == 1
    assert Case.objects.get(state="on_hold").held_from == "scheduled"
    assert verify_chain().ok


def test_building_the_demo_again_duplicates_nothing(db: Any) -> None:
    first = build(300)
    before = [Person.objects.count(), PersonVersion.objects.count(), Case.objects.count(), User.objects.count()]

    again = build(300)

    assert [Person.objects.count(), PersonVersion.objects.count(), Case.objects.count(), User.objects.count()] == before
    assert all(logs_in(user) for user in again)
    assert not any(logs_in(user) for user in first)  # passwords are new on every run


def test_the_demo_command_prints_the_users_table(tmp_path: Any) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(ACCORD_DATA_DIR=str(tmp_path), COLUMNS="200")
    command = [sys.executable, "-m", "accord.cli", "demo", "--no-serve", "--people", "200"]

    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr
    assert "People: 200 created, 0 updated, 0 unchanged." in result.stdout
    assert "Demo users" in result.stdout
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in result.stdout.splitlines() if "│" in line]
    table = {username: (role, state, password) for username, role, state, password in cells}
    assert set(table) == {
        "officer",
        "reviewer",
        "salvador",
        "caracas",
        "mexico",
        "bogota",
        "finance",
        "monitor",
        "admin",
    }
    assert table["salvador"][:2] == ("receiving_officer", "SV")
    assert all(len(password) >= 12 for _role, _state, password in table.values())


def test_the_demo_holds_movements_in_every_state(db: Any) -> None:
    from accord.movements.models import ManifestEntry, Movement

    build(1_000)

    panama = Movement.objects.get(agreement_id="pa-co-2025", flight_number="DAC 312")
    on_board = panama.entries.filter(status="handed_over")
    assert panama.status == "arrived" and (panama.payer, panama.payer_state) == ("third_state", "US")
    assert (on_board.filter(person__sex="M").count(), on_board.filter(person__sex="F").count()) == (32, 11)
    assert panama.entries.count() == 43

    caracas = Movement.objects.get(agreement_id="us-ve-2025", flight_number="DVO 7702")
    assert caracas.status == "arrived" and (caracas.payer, caracas.payer_state) == ("receiving_state", "VE")
    flagged = caracas.entries.get(status="not_handed_over")
    assert (flagged.not_handed_over_reason, flagged.resolved) == ("medical", False)
    # Their transport, charged at departure to the payer the agreement names, owed to the operator.
    from accord.ledger.models import Line

    charged = {
        line.reference: (line.payer, line.payee, line.amount_minor, line.currency)
        for line in Line.objects.filter(transaction__kind="transport")
    }
    assert charged == {
        f"MV-{panama.pk}": ("US", "PA", 9_850_000, "USD"),
        f"MV-{caracas.pk}": ("VE", "US", 14_200_000, "USD"),
    }
    assert caracas.entries.filter(status="handed_over").count() == caracas.entries.count() - 1 >= 1

    # The planned one: the two past CECOT flights behind the demo's fees (the ledger) have landed.
    cecot = Movement.objects.get(agreement_id="us-sv-2025", destination_facility="cecot", status="planned")
    removed = cecot.entries.get(status="removed")
    assert cecot.status == "planned" and removed.removed_at is not None
    assert removed.case.state == "on_hold" and LegalHold.objects.filter(person=removed.person, lifted_at=None).exists()
    assert cecot.entries.filter(status="on").exists()

    assert set(Movement.objects.values_list("status", flat=True)) == {"planned", "departed", "arrived", "cancelled"}
    assert Case.objects.filter(state="in_transit", manifest_entries__movement__status="departed").exists()

    # Still open to fill: a planned movement and accepted cases under its agreement to put on it.
    open_ones = Movement.objects.filter(status="planned")
    assert any(Case.objects.filter(agreement_id=m.agreement_id, state="accepted").exists() for m in open_ones)
    # Nobody reached scheduled / in transit / handed over without travelling on a movement.
    for case in Case.objects.filter(state__in=("scheduled", "in_transit", "handed_over", "closed")):
        assert ManifestEntry.objects.filter(case=case).exclude(status="removed").exists(), case.pk


def test_the_demo_holds_months_of_cecot_fees_one_closed_with_a_correction_in_the_next(db: Any) -> None:
    import calendar

    from accord.ledger import selectors
    from accord.ledger.models import Invoice, Month, Transaction
    from accord.web.demo import CECOT_FLIGHTS, TRANSIT_FLIGHT, _months_back

    users = build(300)

    (first_n, first_back, first_day), (second_n, second_back, second_day) = CECOT_FLIGHTS
    oldest = _months_back(first_back, 1)
    # This month holds only the flights' transport charges (posted at departure): never accrued.
    this_month = dt.date.today().strftime("%Y-%m")
    assert set(Transaction.objects.filter(month__month=this_month).values_list("kind", flat=True)) <= {"transport"}
    months = list(Month.objects.exclude(month=this_month).values_list("month", "status"))
    assert months[0] == (oldest.strftime("%Y-%m"), "closed")
    assert {status for _month, status in months[1:]} == {"open"} and len(months) == first_back
    assert months[-1][0] == _months_back(1, 1).strftime("%Y-%m")  # every whole month since: not this one

    [invoice] = Invoice.objects.all()
    days = (calendar.monthrange(oldest.year, oldest.month)[1] - first_day + 1) * first_n
    assert (invoice.agreement_id, invoice.payer, invoice.payee, invoice.currency) == ("us-sv-2025", "US", "SV", "USD")
    assert (invoice.total_minor, invoice.assumption) == (days * 5500, True)
    [line] = invoice.lines.all()
    assert (line.facility, line.person_days, line.rate_minor) == ("cecot", days, 5500)

    [correction] = Transaction.objects.filter(kind=Transaction.Kind.CORRECTION)
    assert correction.corrects == invoice and correction.month.month == months[1][0]
    [credit] = correction.lines.all()
    assert (credit.amount_minor, credit.person_days, credit.reference) == (-2 * 5500, -2, invoice.number)

    finance = User.objects.get(username="finance")
    second = _months_back(second_back, 1)
    transit, next_month = selectors.invoice_views(finance, months[1][0])  # by agreement id
    expected = calendar.monthrange(second.year, second.month)[1] * first_n
    expected += (calendar.monthrange(second.year, second.month)[1] - second_day + 1) * second_n
    # The flight through San Salvador's airport: its felons of listed nationalities are charged
    # the transit fee at departure and their CECOT person-days from the handover.
    crews, transit_back, transit_day = TRANSIT_FLIGHT
    travellers = sum(n for _code, n in crews)
    assert transit_back == second_back
    expected += (calendar.monthrange(second.year, second.month)[1] - transit_day + 1) * travellers
    assert (transit.agreement_id, transit.total_minor, transit.assumption) == (
        "sv-transit-fee-2023",
        travellers * 113_000,
        True,
    )
    [fee] = transit.lines
    assert (fee.kind, fee.passengers, fee.not_assessed, fee.person_days) == ("transit", travellers, 0, 0)
    assert fee.reference.startswith("MV-") and fee.notes
    assert next_month.person_days == expected - 2  # the credit note's two person-days
    assert next_month.total_minor == (expected - 2) * 5500
    for month, _status in months:
        assert selectors.reconciliation(month) == [], month  # invoiced = accrued = person-days x rate
    assert selectors.unbalanced_transactions() == []
    assert logs_in(next(u for u in users if u.username == "finance"))

    before = (Month.objects.count(), Transaction.objects.count(), Invoice.objects.count())
    build(300)
    assert (Month.objects.count(), Transaction.objects.count(), Invoice.objects.count()) == before
