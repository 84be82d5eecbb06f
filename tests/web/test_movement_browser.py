"""A whole flight in a real browser (Debian's Chromium) against a live server (issue #12 §9):
plan → fill from the accepted queue → validation catches a planted problem → fix → depart → the
receiving officer hands over all but one person, who stays flagged. Screenshots go to
/tmp/accord-shots/ for a human to look at. Then who sees what, over real HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, expect

from accord.accounts.models import Role, User
from accord.cases.models import Case
from accord.movements.models import ManifestEntry, Movement
from accord.people.models import Person
from tests.web import test_browser
from tests.web.conftest import PASSWORD
from tests.web.moving import accepted
from tests.web.test_browser import SHOTS, Browser

# The browser tests' fixtures (Debian's Chromium, a live server, the page checks after each step).
browse = test_browser.browse
browser_type_launch_args = test_browser.browser_type_launch_args
browser_context_args = test_browser.browser_context_args

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

PEOPLE = {"FL1": "M", "FL2": "M", "FL3": "F"}


def entry_row(browse: Browser, case: Case) -> Locator:
    entry = ManifestEntry.objects.get(case=case, status__in=["on", "handed_over", "not_handed_over"])
    return browse.page.locator(f"#entry-{entry.pk}")


def shoot(browse: Browser, name: str) -> None:
    """The whole page, for a human to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    browse.page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def log_out(browse: Browser) -> None:
    with browse.page.expect_navigation():
        browse.page.get_by_role("button", name="Log out").click()


def test_a_whole_flight_from_plan_to_handover_in_the_browser(
    browse: Browser, users: dict[str, User], make_person: Callable[..., Person]
) -> None:
    cases = [accepted(make_person, users, pid, sex=sex) for pid, sex in PEOPLE.items()]
    page = browse.page
    browse.log_in("officer")

    # Plan the flight.
    browse.visit("/movements/new/")
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    page.get_by_label("Agreement").select_option("us-sv-2025")
    page.get_by_label("Carrier").fill("GlobalX")
    page.get_by_label("Flight number").fill("GXA 6402")
    page.get_by_label("Origin (place of custody or airport)").fill("Harlingen, TX (HRL)")
    page.get_by_label("Destination airport").fill("San Salvador (SAL)")
    page.get_by_label("Receiving facility (code)").fill("cecot")
    page.get_by_label("Planned departure (local time)").fill(f"{tomorrow}T09:30")
    page.get_by_label("Planned arrival (local time)").fill(f"{tomorrow}T13:00")
    page.get_by_label("Seats").fill("10")
    page.get_by_label("Escorts").fill("4")
    with page.expect_navigation():
        page.get_by_role("button", name="Plan the movement").click()
    browse.checked()
    movement = Movement.objects.get()
    expect(page.locator("h1")).to_contain_text(f"Movement {movement.pk} · GlobalX GXA 6402")

    # Fill it from the accepted queue: tick everyone, one bulk act.
    fill = page.locator("form.fill")
    for case in cases:
        fill.get_by_label(f"Put on the movement: {case.person.person_id}").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Put the ticked people on the movement").click()
    browse.checked()
    expect(page.locator("p.message.success")).to_have_text("3 put on the movement.")
    expect(page.locator("table.manifest tbody tr")).to_have_count(3)

    # Travel documents and fitness, with a planted problem: FL3's document is Mexico's, not El Salvador's.
    today = timezone.localdate().isoformat()
    for case in cases:
        row = entry_row(browse, case)
        row.get_by_label("State").fill("MX" if case.person.person_id == "FL3" else "SV")
        row.get_by_label("Number").fill(f"DOC-{case.person.person_id}")
        row.get_by_label("Fit to travel on").fill(today)
        with page.expect_navigation():
            row.get_by_role("button", name="Save").click()
        browse.checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Validate").click()
    browse.checked()
    expect(page.locator("p.message.error")).to_contain_text(
        "Problems that stop this movement (1): FL3: travel document from MX, not the receiving state"
    )
    expect(entry_row(browse, cases[2]).locator("td.checks")).to_contain_text("travel document from MX")
    expect(entry_row(browse, cases[0]).locator("td.checks")).to_have_text("ready")
    shoot(browse, "movement-validation-problem")
    with page.expect_navigation():
        page.get_by_role("button", name="Depart").click()
    browse.checked()
    expect(page.locator("p.message.error")).to_contain_text("cannot depart")
    assert Movement.objects.get().status == "planned"

    # Fix it and depart.
    row = entry_row(browse, cases[2])
    row.get_by_label("State").fill("SV")
    row.get_by_label("Number").fill("DOC-FL3-SV")
    with page.expect_navigation():
        row.get_by_role("button", name="Save").click()
    browse.checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Validate").click()
    expect(page.locator("p.message.success")).to_have_text("No problem found: the movement may depart.")
    with page.expect_navigation():
        page.get_by_role("button", name="Depart").click()
    browse.checked()
    expect(page.locator("h1 .state")).to_have_text("departed")
    assert {Case.objects.get(pk=c.pk).state for c in cases} == {"in_transit"}
    log_out(browse)

    # The receiving officer records the arrival and hands over all but FL3.
    browse.log_in("salvador")
    browse.visit(f"/movements/{movement.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Record arrival").click()
    browse.checked()
    for case, official in zip(cases[:2], ("Insp. Marta Ramírez", "Insp. Marta Ramírez"), strict=True):
        row = entry_row(browse, case)
        row.get_by_label("Place").fill("CECOT intake, Tecoluca")
        row.get_by_label("Receiving official").fill(official)
        with page.expect_navigation():
            row.get_by_role("button", name="Hand over").click()
        browse.checked()
        expect(entry_row(browse, case).locator("td.status")).to_contain_text("handed over")
    row = entry_row(browse, cases[2])
    row.get_by_label("Not handed over because").select_option("medical")
    row.get_by_label("Note").fill("taken to Hospital Rosales on arrival")
    with page.expect_navigation():
        row.get_by_role("button", name="Not handed over").click()
    browse.checked()
    flagged = entry_row(browse, cases[2])
    expect(flagged).to_have_class(re.compile(r"\bflagged\b"))
    expect(flagged.locator("td.status")).to_contain_text("flagged until resolved")
    shoot(browse, "movement-handed-over-one-flagged")
    statuses = [e.status for e in ManifestEntry.objects.filter(movement=movement).order_by("id")]
    assert statuses == ["handed_over", "handed_over", "not_handed_over"]
    assert ManifestEntry.objects.get(case=cases[2]).flagged

    # The downloads open, with the session's cookie, over real HTTP.
    pdf = page.request.get(browse.url(f"/movements/{movement.pk}/manifest.pdf"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF-")
    table = list(
        csv.DictReader(io.StringIO(page.request.get(browse.url(f"/movements/{movement.pk}/manifest.csv")).text()))
    )
    assert [r["status"] for r in table] == statuses
    expect(page.get_by_role("link", name="Receipt (PDF)")).to_have_count(3)


def test_who_sees_what_over_real_http(
    browse: Browser, users: dict[str, User], make_person: Callable[..., Person]
) -> None:
    from accord.movements import services as moves
    from tests.web.moving import flight

    User.objects.create_user(username="mexico", password=PASSWORD, role=Role.RECEIVING_OFFICER, receiving_state="MX")
    cases = [accepted(make_person, users, pid, sex=sex) for pid, sex in PEOPLE.items()]
    movement = flight(users["officer"])
    moves.add_to_movement(movement.pk, [c.pk for c in cases], user=users["officer"])
    names = [c.person.display_name for c in cases]

    browse.log_in("mexico")
    browse.visit(f"/movements/{movement.pk}/", status=404)
    assert browse.page.request.get(browse.url(f"/movements/{movement.pk}/manifest.csv")).status == 404
    page = browse.visit("/movements/")
    expect(page.locator("table.movements tbody")).to_have_text("No movement yet.")
    log_out(browse)

    browse.log_in("finance")
    page = browse.visit(f"/movements/{movement.pk}/")
    body = page.locator("main").inner_text()
    assert f"{movement.get_payer_display()} ({movement.payer_state})" in body
    expect(page.locator("table.counts-table").first).to_contain_text("M")
    for name in [*names, *PEOPLE]:
        assert name not in body
    assert page.locator("table.manifest").count() == 0
    shoot(browse, "movement-finance-counts")
    csv_text = page.request.get(browse.url(f"/movements/{movement.pk}/manifest.csv")).text()
    assert csv_text.count("\n") == 1  # the header alone
