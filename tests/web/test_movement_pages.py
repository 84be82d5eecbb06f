"""The movements' pages over Django's test client (issue #12 §7): the same use cases as the API
and CLI behind thin views, who sees what, and the CSV and PDF downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from django.utils.translation import trans_real

from accord.accounts.models import Role, User
from accord.audit.models import AuditEvent
from accord.audit.selectors import history
from accord.cases.models import Case
from accord.holds.services import file_hold
from accord.movements import services as moves
from accord.movements.models import ManifestEntry, Movement
from accord.people.models import Person
from accord.people.services import update_person
from tests.web.conftest import PASSWORD
from tests.web.moving import accepted, entry_of, flight, ready


@pytest.fixture
def crew(users: dict[str, User], facilities: None) -> dict[str, User]:
    mexico = User.objects.create_user(
        username="mexico", password=PASSWORD, role=Role.RECEIVING_OFFICER, receiving_state="MX"
    )
    return {**users, "mexico": mexico}


def client(username: str) -> Client:
    c = Client()
    c.force_login(User.objects.get(username=username))
    return c


def text_of(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined,no-any-return]


def test_a_case_officer_plans_fills_validates_and_departs_a_flight_from_the_pages(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    cases = [accepted(make_person, crew, f"PG{i}") for i in range(2)]
    officer = client("officer")
    bad = officer.post("/movements/new/", {"agreement_id": "us-sv-2025", "kind": "charter", "seats": "x"})
    assert bad.status_code == 400 and "Nothing was saved" in text_of(bad)
    assert not Movement.objects.exists()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    form = {
        "agreement_id": "us-sv-2025",
        "kind": "charter",
        "carrier": "GlobalX",
        "flight_number": "GXA 7",
        "origin": "Harlingen, TX (HRL)",
        "destination_airport": "San Salvador (SAL)",
        "destination_facility": "cecot",
        "planned_departure": f"{tomorrow}T09:30",
        "departure_tz": "America/Chicago",
        "planned_arrival": f"{tomorrow}T13:00",
        "arrival_tz": "America/El_Salvador",
        "seats": "10",
        "escorts": "4",
    }
    created = officer.post("/movements/new/", form)
    movement = Movement.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/movements/{movement.pk}/"
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    assert movement.planned_departure == dt.datetime.fromisoformat(f"{tomorrow}T09:30").replace(tzinfo=chicago)
    page = text_of(officer.get(f"/movements/{movement.pk}/"))
    assert "Fill from the accepted queue" in page and "PG0" in page and "PG1" in page

    officer.post(f"/movements/{movement.pk}/fill/", {"case_ids": [str(c.pk) for c in cases]})
    assert {Case.objects.get(pk=c.pk).state for c in cases} == {"scheduled"}
    validated = officer.post(f"/movements/{movement.pk}/validate/", follow=True)
    page = text_of(validated)
    assert "Problems that stop this movement" in page
    assert page.count("no travel document issued or accepted by the receiving state") >= 2
    refused = text_of(officer.post(f"/movements/{movement.pk}/depart/", follow=True))
    assert "cannot depart" in refused
    assert Movement.objects.get().status == "planned"
    for case in cases:
        entry = entry_of(case)
        officer.post(
            f"/movements/entries/{entry.pk}/ready/",
            {"document_kind": "accepted", "document_state": "SV", "document_reference": f"SV-{entry.pk}"},
        )
    page = text_of(officer.post(f"/movements/{movement.pk}/validate/", follow=True))
    assert "no fit-to-travel finding recorded" in page and "travel document" not in page.split("Manifest")[0]
    for case in cases:
        ready(entry_of(case), crew["officer"])
    assert "No problem found" in text_of(officer.post(f"/movements/{movement.pk}/validate/", follow=True))
    departed = text_of(officer.post(f"/movements/{movement.pk}/depart/", follow=True))
    assert "departed: the manifest is frozen" in departed
    assert Movement.objects.get().status == "departed"


@pytest.fixture
def arrived(crew: dict[str, User], make_person: Callable[..., Person]) -> Movement:
    cases = [accepted(make_person, crew, f"AR{i}", sex=sex) for i, sex in enumerate("MMF")]
    movement = flight(crew["officer"])
    from accord.movements import services as moves

    for entry in moves.add_to_movement(movement.pk, [c.pk for c in cases], user=crew["officer"]):
        ready(entry, crew["officer"])
    # Landed two hours ago: a handover is recorded after the arrival (the test hands over an hour ago).
    moves.depart(movement.pk, user=crew["officer"], at=timezone.now() - dt.timedelta(hours=5))
    return moves.record_arrival(movement.pk, user=crew["salvador"], at=timezone.now() - dt.timedelta(hours=2))


def test_the_receiving_officer_hands_over_all_but_one_who_stays_flagged(
    crew: dict[str, User], arrived: Movement, tmp_path: Path
) -> None:
    salvador = client("salvador")
    entries = list(arrived.entries.order_by("id"))
    # An hour ago in San Salvador, typed to the minute (a handover in the future is refused).
    at = (timezone.now() - dt.timedelta(hours=1)).astimezone(zoneinfo.ZoneInfo("America/El_Salvador"))
    at = at.replace(second=0, microsecond=0)
    for entry in entries[:2]:
        done = salvador.post(
            f"/movements/entries/{entry.pk}/hand-over/",
            {"at": at.strftime("%Y-%m-%dT%H:%M"), "place": "CECOT intake", "official": "Insp. Marta Ramírez"},
            follow=True,
        )
        assert "handed over" in text_of(done)
    missing = salvador.post(f"/movements/entries/{entries[2].pk}/hand-over/", {"place": "", "official": "x"})
    assert missing.status_code == 302 and ManifestEntry.objects.get(pk=entries[2].pk).status == "on"
    salvador.post(f"/movements/entries/{entries[2].pk}/not-handed-over/", {"reason": "medical", "note": "hospital"})
    page = text_of(salvador.get(f"/movements/{arrived.pk}/"))
    assert "flagged until resolved" in page
    assert [e.status for e in arrived.entries.order_by("id")] == ["handed_over", "handed_over", "not_handed_over"]
    handed = ManifestEntry.objects.get(pk=entries[0].pk)
    assert handed.receiving_official == "Insp. Marta Ramírez" and handed.handover_place == "CECOT intake"
    assert handed.handed_over_at == at  # read in the arrival's zone (UTC-6)

    receipt = salvador.get(f"/movements/entries/{entries[0].pk}/receipt.pdf")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    path = tmp_path / "r.pdf"
    path.write_bytes(receipt.content)
    tool = shutil.which("pdftotext")
    assert tool
    text = " ".join(subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "Handover receipt / Acta de entrega" in text and "Insp. Marta Ramírez" in text
    assert entries[0].case.clause_id in text
    rows = list(csv.DictReader(io.StringIO(salvador.get(f"/movements/{arrived.pk}/manifest.csv").content.decode())))
    assert [r["status"] for r in rows] == ["handed_over", "handed_over", "not_handed_over"]
    assert all(r["clause"] for r in rows)


def test_a_receiving_officer_of_another_state_finds_nothing_and_finance_sees_no_names(
    crew: dict[str, User], arrived: Movement
) -> None:
    mexico = client("mexico")
    assert mexico.get(f"/movements/{arrived.pk}/").status_code == 404
    assert mexico.get(f"/movements/{arrived.pk}/manifest.pdf").status_code == 404
    entry = arrived.entries.first()
    assert entry is not None
    assert mexico.post(f"/movements/entries/{entry.pk}/hand-over/", {"place": "x", "official": "y"}).status_code == 404
    assert "AR0" not in text_of(mexico.get("/movements/"))
    assert ManifestEntry.objects.get(pk=entry.pk).status == "on"

    finance = client("finance")
    page = text_of(finance.get(f"/movements/{arrived.pk}/"))
    names = [e.person.display_name for e in arrived.entries.select_related("person")]
    assert "sending state" in page and "M</td><td>2" in page.replace("\n", "").replace(" ", "")
    for name in [*names, "AR0", "AR1", "AR2"]:
        assert name not in page
    rows = list(csv.reader(io.StringIO(finance.get(f"/movements/{arrived.pk}/manifest.csv").content.decode())))
    assert len(rows) == 1  # the header alone
    assert finance.post(f"/movements/{arrived.pk}/arrive/").status_code in (302, 403)
    assert finance.get(f"/movements/entries/{entry.pk}/receipt.pdf").status_code == 403

    monitor = text_of(client("monitor").get("/movements/"))
    assert str(arrived.pk) in monitor and "sending state" not in monitor  # counts, no payer
    assert client("officer").post(f"/movements/{arrived.pk}/depart/").status_code == 302
    assert client("salvador").post(f"/movements/{arrived.pk}/cancel/", {"reason": "x"}).status_code == 403


def test_a_person_taken_off_by_a_hold_shows_do_not_receive_with_the_date(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    from accord.movements import services as moves

    case = accepted(make_person, crew, "HOLD1")
    movement = flight(crew["officer"])
    moves.add_to_movement(movement.pk, [case.pk], user=crew["officer"])
    stay = ContentFile(b"ORDER: removal stayed.", name="order.txt")
    file_hold(case.person, kind="stay_of_removal", reference="A-201-555-002", document=stay, user=crew["officer"])
    entry = entry_of(case)
    assert entry.status == "removed" and entry.removed_at is not None
    page = text_of(client("salvador").get(f"/movements/{movement.pk}/"))
    assert "removed from the movement — do not receive" in page
    assert entry.removed_at.date().isoformat() in page


def test_the_movement_pages_have_their_spanish() -> None:
    """Receiving officers read Spanish: every string of the movements' pages and use cases has its
    translation in movements/locale/es, compiled to the catalogue Django loads."""
    spanish = trans_real.translation("es")
    assert spanish.gettext("Manifest") == "Manifiesto"
    assert spanish.gettext("removed from the movement — do not receive") == "retirado del traslado — no recibir"
    assert spanish.gettext("Receiving official") == "Funcionario receptor"
    po = Path(__file__).resolve().parents[2] / "src/accord/movements/locale/es/LC_MESSAGES/django.po"
    untranslated = re.findall(r'msgid "(.+)"\nmsgstr ""\n(?!")', po.read_text(encoding="utf-8"))
    assert not untranslated


def test_a_planned_movement_is_edited_from_its_page_with_a_reason_and_never_after_departure(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    case = accepted(make_person, crew, "ED1")
    movement = flight(crew["officer"])
    ready(moves.add_to_movement(movement.pk, [case.pk], user=crew["officer"])[0], crew["officer"])
    officer = client("officer")
    page = text_of(officer.get(f"/movements/{movement.pk}/"))
    assert f'href="/movements/{movement.pk}/edit/"' in page
    form_page = text_of(officer.get(f"/movements/{movement.pk}/edit/"))
    assert 'value="09:30' not in form_page and "T09:30" in form_page  # the local time where it leaves
    later = timezone.localdate() + dt.timedelta(days=2)
    values = {
        "kind": "charter",
        "carrier": "GlobalX",
        "flight_number": "GXA 6402",
        "origin": "Harlingen, TX (HRL)",
        "destination_airport": "San Salvador (SAL)",
        "destination_facility": "cecot",
        "planned_departure": f"{later.isoformat()}T07:15",
        "departure_tz": "America/Chicago",
        "planned_arrival": f"{later.isoformat()}T10:15",
        "arrival_tz": "America/El_Salvador",
        "seats": "12",
        "escorts": "4",
        "transport_cost": "182,500.00",
        "transport_currency": "usd",
        "reason": "The carrier moved the slot",
    }
    bad = officer.post(f"/movements/{movement.pk}/edit/", {**values, "seats": "twelve"})
    assert bad.status_code == 400 and "is not a whole number" in text_of(bad)
    assert Movement.objects.get(pk=movement.pk).flight_number == "GXA 6401"  # nothing saved
    done = officer.post(f"/movements/{movement.pk}/edit/", values)
    assert done.status_code == 302
    changed = Movement.objects.get(pk=movement.pk)
    assert (changed.flight_number, changed.seats) == ("GXA 6402", 12)
    assert (changed.transport_cost_minor, changed.transport_currency) == (18_250_000, "USD")  # exact, no float
    assert "182,500.00 USD" in text_of(officer.get(f"/movements/{movement.pk}/"))
    assert "not an amount" in text_of(
        officer.post(f"/movements/{movement.pk}/edit/", {**values, "transport_cost": "1.234"})
    )
    assert changed.planned_departure == dt.datetime(
        later.year, later.month, later.day, 7, 15, tzinfo=zoneinfo.ZoneInfo("America/Chicago")
    )
    assert Case.objects.get(pk=case.pk).scheduled_for == later  # the move day follows the flight
    assert history("case", str(case.pk))[-1].action == "case.reschedule"
    event = AuditEvent.objects.filter(action="movement.edit", object_id=str(movement.pk)).get()
    assert event.reason == "The carrier moved the slot" and event.after["seats"] == 12  # type: ignore[index]
    assert client("salvador").get(f"/movements/{movement.pk}/edit/").status_code in (403, 404)
    moves.depart(movement.pk, user=crew["officer"])
    refused = officer.post(f"/movements/{movement.pk}/edit/", {**values, "seats": "20"})
    assert refused.status_code == 400 and "cannot be edited" in text_of(refused)
    assert Movement.objects.get(pk=movement.pk).seats == 12


def test_the_movement_list_pages_and_counts_a_person_stopped_in_the_air_as_flagged(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    case = accepted(make_person, crew, "AIR1")
    flown = flight(crew["officer"])
    ready(moves.add_to_movement(flown.pk, [case.pk], user=crew["officer"])[0], crew["officer"])
    moves.depart(flown.pk, user=crew["officer"])
    update_person(case.person, {"family_name": "Renamed"}, user=crew["officer"], reason="court record")
    for _ in range(50):
        flight(crew["officer"], on=timezone.localdate() + dt.timedelta(days=5))
    officer = client("officer")
    first = text_of(officer.get("/movements/"))
    assert first.count('<tr><td><a href="/movements/') == 50 and "page=2" in first
    second = text_of(officer.get("/movements/?page=2"))  # the earliest departure comes last
    assert second.count('<tr><td><a href="/movements/') == 1 and f'href="/movements/{flown.pk}/"' in second
    assert '<span class="flag">1</span>' in second  # stopped in the air: waiting for the receiving officer
