"""The movements API over real HTTP: a flight planned, filled, refused, departed and handed over
through the same use cases as the CLI; bad input is 422 naming the field, another state's movement 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accord.accounts.models import User
from accord.cases.models import Case
from accord.people.models import Person
from tests.web.moving import accepted
from tests.web.test_workflow_api import Api, api, ok, refused  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)
CHICAGO = ZoneInfo("America/Chicago")


def flight_body(leaves: dt.datetime) -> dict[str, Any]:
    """A charter to CECOT leaving at ``leaves``, three hours in the air, as ``POST /movements`` takes it."""
    return {
        "agreement_id": "us-sv-2025",
        "kind": "charter",
        "origin": "Alexandria, LA (AEX)",
        "planned_departure": leaves.isoformat(),
        "departure_tz": "America/Chicago",
        "planned_arrival": (leaves + dt.timedelta(hours=3)).isoformat(),
        "arrival_tz": "America/El_Salvador",
        "seats": 10,
        "escorts": 2,
    }


def tomorrow_at_two() -> dt.datetime:
    return dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(14, 0), tzinfo=dt.UTC)


def test_a_flight_through_the_api(api: Api, users: dict[str, User], make_person: Callable[..., Person]) -> None:  # noqa: F811
    crew = users
    cases = [accepted(make_person, crew, f"A{i}") for i in range(2)]
    leaves = tomorrow_at_two()
    body = flight_body(leaves)
    refused(api("officer").post("/movements", json={**body, "arrival_tz": "Nowhere/Else"}), 422, "arrival_tz")
    refused(api("salvador").post("/movements", json=body), 403)
    refused(api("officer").post("/movements", json={**body, "transit_airports": ["SALV"]}), 422, "transit_airports")
    movement = ok(api("officer").post("/movements", json={**body, "transit_airports": ["SAL"]}), 201)
    assert movement["transit_airports"] == ["SAL"]
    assert (movement["payer"], movement["payer_state"]) == ("sending_state", "US")
    mid = movement["id"]
    assert ok(api("officer").post(f"/movements/{mid}/cases", json={"case_ids": [c.pk for c in cases]}))["people"] == 2
    problems = ok(api("officer").get(f"/movements/{mid}/problems"))
    assert {p["code"] for p in problems} == {"travel_document", "fitness"}
    assert "no travel document" in refused(api("officer").post(f"/movements/{mid}/depart"), 409)["message"]
    rows = ok(api("officer").get(f"/movements/{mid}"))["rows"]
    for row in rows:
        doc = {"kind": "accepted", "state": "SV", "reference": f"SV-{row['case_id']}"}
        ok(api("officer").post(f"/manifest-entries/{row['entry_id']}/travel-document", json=doc))
        fit = {"on": timezone.localdate().isoformat()}
        ok(api("officer").post(f"/manifest-entries/{row['entry_id']}/fitness", json=fit))
    assert ok(api("officer").post(f"/movements/{mid}/depart"))["status"] == "departed"
    ok(api("salvador").post(f"/movements/{mid}/arrive", json={}))
    first, second = (r["entry_id"] for r in rows)
    refused(
        api("salvador").post(f"/manifest-entries/{first}/hand-over", json={"place": "", "official": "x"}), 422, "place"
    )
    handover = {"place": "CECOT", "official": "Cmdr. Flores"}
    assert ok(api("salvador").post(f"/manifest-entries/{first}/hand-over", json=handover))["status"] == "handed_over"
    ok(api("salvador").post(f"/manifest-entries/{second}/not-handed-over", json={"reason": "refused_at_arrival"}))
    seen = ok(api("salvador").get(f"/movements/{mid}"))
    assert [r["status"] for r in seen["rows"]] == ["handed_over", "not_handed_over"] and not seen["complete"]
    finance = ok(api("finance").get(f"/movements/{mid}"))
    assert finance["rows"] == [] and finance["by_sex"] == {"M": 2} and finance["movement"]["payer_state"] == "US"
    monitor = ok(api("monitor").get(f"/movements/{mid}"))  # counts only: not who is on it, nor who pays
    assert monitor["rows"] == [] and monitor["by_sex"] == {"M": 2}
    assert (monitor["movement"]["payer"], monitor["movement"]["payer_state"]) == (None, None)
    assert [m["payer_state"] for m in ok(api("monitor").get("/movements"))] == [None]
    refused(api("admin").get(f"/movements/{mid}"), 404)


def test_a_planned_flight_is_changed_and_a_person_taken_off_through_the_api(
    api: Api,  # noqa: F811
    users: dict[str, User],
    make_person: Callable[..., Person],
) -> None:
    """The page's edit and removal, for programs: only the fields sent change, the cases follow
    a new day, a field that may not change is named, and nothing changes after departure."""
    cases = [accepted(make_person, users, f"E{i}") for i in range(2)]
    leaves = tomorrow_at_two()
    body = flight_body(leaves)
    officer = api("officer")
    mid = ok(officer.post("/movements", json=body), 201)["id"]
    ok(officer.post(f"/movements/{mid}/cases", json={"case_ids": [c.pk for c in cases]}))
    later = leaves + dt.timedelta(days=2)
    change = {"planned_departure": later.isoformat(), "planned_arrival": (later + dt.timedelta(hours=3)).isoformat()}
    edited = ok(officer.patch(f"/movements/{mid}", json={**change, "reason": "aircraft swap"}))
    assert dt.datetime.fromisoformat(edited["planned_departure"]) == later and edited["seats"] == 10
    assert {Case.objects.get(pk=c.pk).scheduled_for for c in cases} == {later.astimezone(CHICAGO).date()}
    refused(officer.patch(f"/movements/{mid}", json={"agreement_id": "us-ve-2025"}), 422, "agreement_id")
    refused(officer.patch(f"/movements/{mid}", json={"departure_tz": "Nowhere/Else"}), 422, "departure_tz")
    for blank in ("carrier", "kind", "seats", "transit_airports", "planned_departure"):  # left out, never nulled
        refused(officer.patch(f"/movements/{mid}", json={blank: None}), 422, blank)
    refused(api("salvador").patch(f"/movements/{mid}", json={"seats": 12}), 403)
    assert ok(officer.get(f"/movements/{mid}"))["movement"]["seats"] == 10  # nothing refused was kept
    off = f"/movements/{mid}/cases/{cases[0].pk}/remove"
    refused(officer.post(off, json={"reason": " "}), 422, "reason")
    assert ok(officer.post(off, json={"reason": "court hearing set"}))["status"] == "removed"
    assert Case.objects.get(pk=cases[0].pk).state == "accepted"
    assert ok(officer.get(f"/movements/{mid}"))["movement"]["people"] == 1
    refused(officer.post(off, json={"reason": "again"}), 422, "case_id")  # no longer on it


def test_the_movement_list_is_read_a_page_at_a_time(api: Api, users: dict[str, User]) -> None:  # noqa: F811
    """Latest planned departure first, ``limit`` at a time; a limit beyond the maximum is a 422."""
    leaves = tomorrow_at_two()
    ids = []
    for day in range(3):
        ids.append(ok(api("officer").post("/movements", json=flight_body(leaves + dt.timedelta(days=day))), 201)["id"])
    first = ok(api("officer").get("/movements?limit=2"))
    rest = ok(api("officer").get("/movements?limit=2&offset=2"))
    assert [m["id"] for m in first + rest] == ids[::-1]
    refused(api("officer").get("/movements?limit=501"), 422, "limit")
