"""The workflow over real HTTP: each role's bearer token takes its own steps, sees only the steps
it may take, reads the history it may read, files and lifts holds with their documents, and gets
a JSON answer that names the problem, with nothing changed, when it asks for what it may not."""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from accord.accounts.models import ApiToken, Role, User
from accord.audit.models import AuditEvent
from accord.capacity.models import Reservation
from accord.cases.models import Case
from accord.facilities.models import Facility
from accord.holds.models import LegalHold
from accord.movements.models import ManifestEntry
from accord.people.models import Person
from accord.people.services import update_person
from tests.web.conftest import options_for

pytestmark = pytest.mark.django_db(transaction=True)  # live_server needs committed data

# A Venezuelan felon already screened for fear of El Salvador: eligible for a CECOT place.
FELON = {"nationalities": "VE", "conviction": "felony", "fear_screened": "SV"}
ORDER = b"UNITED STATES DISTRICT COURT. ORDER: removal of the petitioner is stayed pending review.\n"

Api = Callable[[str], httpx.Client]


@pytest.fixture
def api(live_server: Any, tokens: dict[str, str], facilities: None) -> Iterator[Api]:
    """``api("officer")``: an HTTP client for /api/v1/ carrying that user's bearer token."""
    clients: dict[str, httpx.Client] = {}

    def client(name: str) -> httpx.Client:
        if name not in clients:
            token = tokens[name] if name in tokens else ApiToken.issue(User.objects.get(username=name), "test")[1]
            headers = {"Authorization": f"Bearer {token}"}
            clients[name] = httpx.Client(base_url=f"{live_server.url}/api/v1", headers=headers, timeout=60)
        return clients[name]

    yield client
    for c in clients.values():
        c.close()


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """A JSON error of this status naming this field (None: the request as a whole)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["message"], body
    # Form fields come back as "form.kind", "file.document": the last part names the field.
    assert (body["field"] and body["field"].rsplit(".", 1)[-1]) == (field or None), body
    return body  # type: ignore[no-any-return]


def take(api: Api, who: str, case_id: int, step: str, **body: Any) -> dict[str, Any]:
    if step in ("schedule", "depart", "hand_over"):
        return move(api, who, case_id, step, **body)
    if step == "approve":  # a prison placement's legal basis is a review point: it needs a reason too
        body = {**options_for(step), "reason": "The receiving state's order is on file", **body}
    return ok(api(who).post(f"/cases/{case_id}/steps", json={"step": step, **body}))  # type: ignore[no-any-return]


def move(api: Api, who: str, case_id: int, step: str, on: str = "") -> dict[str, Any]:
    """The steps only a movement takes, over its API: "schedule" plans a flight of its own for the
    case (leaving on ``on``, default tomorrow), puts the case on it and makes it ready; "depart"
    departs it; "hand_over" records the arrival and hands the person over. Answers the case."""
    case = ok(api("officer").get(f"/cases/{case_id}"))
    if step == "schedule":
        day = dt.date.fromisoformat(on) if on else timezone.localdate() + dt.timedelta(days=1)
        leaves = dt.datetime.combine(day, dt.time(9, 30), tzinfo=zoneinfo.ZoneInfo("America/Chicago"))
        flight = {
            "agreement_id": case["agreement_id"],
            "kind": "charter",
            "origin": "Alexandria, LA (AEX)",
            "planned_departure": leaves.isoformat(),
            "departure_tz": "America/Chicago",
            "planned_arrival": (leaves + dt.timedelta(hours=3)).isoformat(),
            "arrival_tz": "America/El_Salvador",
            "destination_facility": (case["referral"] or {}).get("facility") or "",
            "seats": 10,
            "escorts": 2,
        }
        mid = ok(api(who).post("/movements", json=flight), 201)["id"]
        ok(api(who).post(f"/movements/{mid}/cases", json={"case_ids": [case_id]}))
        (row,) = ok(api(who).get(f"/movements/{mid}"))["rows"]
        doc = {"kind": "accepted", "state": case["receiving_state"], "reference": f"TD-{case_id}"}
        ok(api(who).post(f"/manifest-entries/{row['entry_id']}/travel-document", json=doc))
        ok(api(who).post(f"/manifest-entries/{row['entry_id']}/fitness", json={"on": timezone.localdate().isoformat()}))
    else:
        entry = ManifestEntry.objects.filter(case_id=case_id).order_by("-id")[0]
        if step == "depart":
            ok(api(who).post(f"/movements/{entry.movement_id}/depart"))
        else:
            ok(api(who).post(f"/movements/{entry.movement_id}/arrive", json={}))
            handover = {"place": "CECOT, Tecoluca", "official": "Cmdr. R. Flores"}
            ok(api(who).post(f"/manifest-entries/{entry.pk}/hand-over", json=handover))
    return ok(api(who).get(f"/cases/{case_id}"))  # type: ignore[no-any-return]


def offered(api: Api, who: str, case_id: int) -> list[str] | None:
    """The steps offered to the user; None when the case is hidden from them (404)."""
    response = api(who).get(f"/cases/{case_id}/steps")
    if response.status_code == 404:
        return None
    return [s["step"] for s in ok(response)]


def open_for(api: Api, make_person: Callable[..., Person], person_id: str, **cells: str) -> dict[str, Any]:
    make_person(person_id, **cells)
    body = {"person_id": person_id, "agreement_id": "us-sv-2025"}
    return ok(api("officer").post("/cases", json=body), 201)  # type: ignore[no-any-return]


def walk(api: Api, case_id: int, *steps: str) -> dict[str, Any]:
    actor = {"submit": "officer", "approve": "reviewer", "refer": "officer", "accept": "salvador"}
    case: dict[str, Any] = {}
    for step in steps:
        case = take(api, actor[step], case_id, step)
    return case


def stored(case_id: int) -> dict[str, Any]:
    """What no refused request may change."""
    return {
        "case": Case.objects.filter(pk=case_id).values().get(),
        "reservations": list(Reservation.objects.order_by("pk").values()),
        "holds": list(LegalHold.objects.order_by("pk").values()),
        "people": list(Person.objects.order_by("pk").values()),
        "audit_events": AuditEvent.objects.count(),
        "documents": sorted(str(p) for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()),
    }


# --- the whole path ---------------------------------------------------------------------------------

# state -> the steps each role is offered (None: the case is not shown to them at all)
OFFERED: dict[str, dict[str, list[str] | None]] = {
    "screened": {"officer": ["submit", "withdraw", "rescreen"], "reviewer": [], "salvador": None},
    "legal_review": {"officer": ["withdraw"], "reviewer": ["send_back", "approve"], "salvador": None},
    "approved": {"officer": ["refer", "withdraw"], "reviewer": [], "salvador": None},
    "referred": {"officer": ["withdraw"], "reviewer": [], "salvador": ["accept", "reject"]},
    # Scheduling, departure and handover are a movement's (its own API), never offered on one case.
    "accepted": {"officer": ["withdraw"], "reviewer": [], "salvador": ["reject"]},
    "scheduled": {"officer": ["withdraw"], "reviewer": [], "salvador": []},
    "in_transit": {"officer": [], "reviewer": [], "salvador": []},
    "handed_over": {"officer": ["close"], "reviewer": [], "salvador": ["release"]},
    "closed": {"officer": [], "reviewer": [], "salvador": ["release"]},
    "released": {"officer": [], "reviewer": [], "salvador": []},
}


def test_a_case_is_walked_through_every_step_by_the_roles_that_own_them(
    api: Api, make_person: Callable[..., Person]
) -> None:
    case_id = open_for(api, make_person, "P1", **FELON)["id"]
    move_day = timezone.localdate() + dt.timedelta(days=2)
    path = [
        ("officer", "submit", {}, "legal_review"),
        ("reviewer", "send_back", {"reason": "Attach the judgment of conviction"}, "screened"),
        ("officer", "submit", {}, "legal_review"),
        ("reviewer", "approve", {}, "approved"),
        ("officer", "refer", {}, "referred"),
        ("salvador", "accept", {}, "accepted"),
        ("officer", "schedule", {"on": move_day.isoformat()}, "scheduled"),
        ("officer", "depart", {}, "in_transit"),
        ("salvador", "hand_over", {}, "handed_over"),
        ("officer", "close", {}, "closed"),
        ("salvador", "release", {"reason": "Sentence served"}, "released"),
    ]
    state = "screened"
    for who, step, body, target in path:
        for role, steps in OFFERED[state].items():
            assert offered(api, role, case_id) == steps, (state, role)
        assert step in ("schedule", "depart", "hand_over") or step in OFFERED[state][who]  # type: ignore[operator]
        case = take(api, who, case_id, step, **body)
        assert case["state"] == target.replace("released", "closed"), (step, case)
        assert [s["step"] for s in case["next_steps"]] == (OFFERED[target][who] or [])
        state = target
        if step == "refer":
            referral = case["referral"]
            assert (referral["person_id"], referral["placement"], referral["facility"]) == ("P1", "prison", "cecot")
            assert not {"protection", "protection_countries", "fear_screened", "fear_found", "status"} & set(referral)
        if step == "accept":
            assert case["reservation"] == {
                "facility": "cecot",
                "status": "held",
                "quota_month": "",
                "waitlist_position": None,
            }
        if step == "schedule":
            assert case["scheduled_for"] == move_day.isoformat()
        if step == "hand_over":
            assert case["reservation"]["status"] == "occupied"
        if step == "release":
            assert case["reservation"] is None  # the place is free again

    history = ok(api("reviewer").get(f"/cases/{case_id}/history"))
    assert [e["seq"] for e in history] == sorted(e["seq"] for e in history)
    assert [(e["action"], e["actor"]) for e in history] == [
        ("case.open", "officer"),
        ("case.submit", "officer"),
        ("case.send_back", "reviewer"),
        ("case.submit", "officer"),
        ("case.approve", "reviewer"),
        ("case.refer", "officer"),
        ("reservation.hold", "salvador"),
        ("case.accept", "salvador"),
        ("case.schedule", "officer"),
        ("case.depart", "officer"),
        ("reservation.occupy", "salvador"),
        ("case.hand_over", "salvador"),
        ("case.close", "officer"),
        ("reservation.release", "salvador"),
        ("case.release", "salvador"),
    ]
    send_back = history[2]
    assert send_back["reason"] == "Attach the judgment of conviction"
    assert (send_back["before"]["state"], send_back["after"]["state"]) == ("legal_review", "screened")
    assert ok(api("officer").get(f"/cases/{case_id}/history")) == history
    assert "audit" in refused(api("salvador").get(f"/cases/{case_id}/history"), 403)["message"]


def test_rejection_withdrawal_and_screening_again_over_http(
    api: Api, make_person: Callable[..., Person], users: dict[str, User]
) -> None:
    referred = open_for(api, make_person, "P1", **FELON)["id"]
    walk(api, referred, "submit", "approve", "refer")
    rejected = take(api, "salvador", referred, "reject", reason="No bed space in the region this quarter")
    assert (rejected["state"], rejected["state_reason"], rejected["next_steps"]) == (
        "rejected",
        "No bed space in the region this quarter",
        [],
    )

    screened = open_for(api, make_person, "P2")["id"]
    assert take(api, "officer", screened, "withdraw", reason="Released on bond")["state"] == "withdrawn"

    blocked = open_for(api, make_person, "P3", status="citizen")
    assert (blocked["state"], blocked["failing_rules"]) == ("blocked", ["us/citizen"])
    assert offered(api, "officer", blocked["id"]) == ["withdraw", "rescreen"]
    assert take(api, "officer", blocked["id"], "rescreen")["state"] == "blocked"  # nothing changed: still barred
    update_person(
        Person.objects.get(person_id="P3"),
        {"status": "undocumented"},
        user=users["officer"],
        reason="Naturalisation record belonged to a namesake",
    )
    again = take(api, "officer", blocked["id"], "rescreen")
    assert (again["state"], again["outcome"], again["failing_rules"]) == ("screened", "eligible", [])


def test_four_eyes_the_reviewer_who_submitted_a_case_is_not_offered_its_approval(
    api: Api, make_person: Callable[..., Person], users: dict[str, User]
) -> None:
    """An officer opens and submits a case, then becomes a legal reviewer: someone else approves it."""
    promoted = User.objects.create_user(username="promoted", password="x" * 12, role=Role.CASE_OFFICER)
    make_person("P1", **FELON)
    case_id = ok(api("promoted").post("/cases", json={"person_id": "P1", "agreement_id": "us-sv-2025"}), 201)["id"]
    take(api, "promoted", case_id, "submit")
    User.objects.filter(pk=promoted.pk).update(role=Role.LEGAL_REVIEWER)

    assert offered(api, "promoted", case_id) == ["send_back"]
    assert offered(api, "reviewer", case_id) == ["send_back", "approve"]
    before = stored(case_id)
    body = refused(api("promoted").post(f"/cases/{case_id}/steps", json={"step": "approve"}), 409)
    assert "Four eyes" in body["message"]
    assert stored(case_id) == before
    assert take(api, "reviewer", case_id, "approve")["state"] == "approved"


def test_a_refused_step_is_a_409_naming_the_rules_with_their_citations(
    api: Api, make_person: Callable[..., Person]
) -> None:
    """A bar the step's own screening finds refuses it and blocks the case (the system's act);
    a refusal for the role or the state changes nothing at all."""
    case_id = open_for(api, make_person, "P1", conviction="felony")["id"]  # a Salvadoran for CECOT
    walk(api, case_id, "submit", "approve")
    Person.objects.filter(person_id="P1").update(status="citizen")  # found to be a citizen after approval
    before = stored(case_id)

    body = refused(api("officer").post(f"/cases/{case_id}/steps", json={"step": "refer"}), 409)
    assert body["message"].startswith("Refused: the person is barred on ") and "us/citizen" in body["message"]
    (rule,) = body["rules"]
    assert (rule["rule_id"], rule["result"]) == ("us/citizen", "barred")
    assert "US citizen or national is never removed" in rule["reason"]
    assert rule["citation"].startswith("8 U.S.C. §1101(a)(3)")
    after = stored(case_id)
    assert after["audit_events"] == before["audit_events"] + 1  # case.block, by the system
    assert (after["case"]["state"], after["case"]["approved_by_id"]) == ("blocked", None)
    assert ok(api("officer").get(f"/cases/{case_id}"))["state"] == "blocked"

    # A refusal for the role or the state has no rule to name, but says why, and changes nothing.
    before = stored(case_id)
    body = refused(api("salvador").post(f"/cases/{case_id}/steps", json={"step": "accept"}), 404)
    body = refused(api("reviewer").post(f"/cases/{case_id}/steps", json={"step": "refer"}), 409)
    assert "may not refer" in body["message"] and body["rules"] == []
    body = refused(api("officer").post(f"/cases/{case_id}/steps", json={"step": "close"}), 409)
    assert "the case is blocked, not handed over" in body["message"] and body["rules"] == []
    assert stored(case_id) == before


# --- places --------------------------------------------------------------------------------------------


def test_a_full_facility_puts_the_second_acceptance_on_the_waitlist(
    api: Api, make_person: Callable[..., Person]
) -> None:
    Facility.objects.filter(code="cecot").update(capacity=1)
    first, second = (open_for(api, make_person, pid, **FELON)["id"] for pid in ("P1", "P2"))
    for case_id in (first, second):
        walk(api, case_id, "submit", "approve", "refer")

    accepted = take(api, "salvador", first, "accept")
    assert (accepted["state"], accepted["reservation"]["status"]) == ("accepted", "held")
    waiting = take(api, "salvador", second, "accept")
    assert waiting["state"] == "referred"
    assert waiting["reservation"] == {
        "facility": "cecot",
        "status": "waiting",
        "quota_month": "",
        "waitlist_position": 1,
    }
    cecot = next(f for f in ok(api("finance").get("/facilities")) if f["code"] == "cecot")
    assert (cecot["capacity"], cecot["held"], cecot["occupied"], cecot["free"], cecot["waiting"]) == (1, 1, 0, 0, 1)

    take(api, "salvador", first, "reject", reason="Transfer withdrawn by the sending state")
    promoted = ok(api("salvador").get(f"/cases/{second}"))
    assert (promoted["state"], promoted["reservation"]["status"]) == ("accepted", "held")
    cecot = next(f for f in ok(api("monitor").get("/facilities")) if f["code"] == "cecot")
    assert (cecot["held"], cecot["free"], cecot["waiting"]) == (1, 0, 0)


# --- the queue ---------------------------------------------------------------------------------------


def test_each_role_sees_its_own_queue_oldest_first(api: Api, make_person: Callable[..., Person]) -> None:
    ids = {
        name: open_for(api, make_person, pid, **cells)["id"]
        for name, pid, cells in (
            ("referred", "P1", FELON),
            ("in_review", "P2", {}),
            ("approved", "P3", {}),
            ("screened", "P4", {}),
            ("blocked", "P5", {"status": "citizen"}),
        )
    }
    walk(api, ids["referred"], "submit", "approve", "refer")
    walk(api, ids["in_review"], "submit")
    walk(api, ids["approved"], "submit", "approve")

    def queue(who: str) -> list[int]:
        return [c["id"] for c in ok(api(who).get("/queue"))]

    # Oldest change first (P4 has waited since it was opened, then P3 since its approval); cases
    # waiting for a reviewer or the receiving state are not the officer's work, and a blocked case
    # waits for new facts, not for anyone's step.
    assert queue("officer") == [ids["screened"], ids["approved"]]
    assert queue("reviewer") == [ids["in_review"]]
    assert queue("salvador") == [ids["referred"]]
    assert [c["failing_rules"] for c in ok(api("salvador").get("/queue"))] == [[]]
    assert [c["id"] for c in ok(api("officer").get("/queue", params={"limit": 1, "offset": 1}))] == [ids["approved"]]
    for who in ("finance", "monitor"):
        refused(api(who).get("/queue"), 403)


# --- holds --------------------------------------------------------------------------------------------


def file_hold(api: Api, who: str, person_id: str, *, content: bytes = ORDER, **form: str) -> httpx.Response:
    data = {"kind": "stay_of_removal", "reference": "25-cv-00417 (S.D. Tex.)", "note": "Emergency stay", **form}
    files = {"document": ("stay-order.txt", content, "text/plain")}
    return api(who).post(f"/people/{person_id}/holds", data=data, files=files)


def test_a_hold_filed_by_upload_stops_the_case_and_only_a_legal_reviewer_lifts_it(
    api: Api, make_person: Callable[..., Person]
) -> None:
    case_id = open_for(api, make_person, "P1", **FELON)["id"]
    walk(api, case_id, "submit", "approve", "refer", "accept")

    refused(file_hold(api, "salvador", "P1"), 403)
    hold = ok(file_hold(api, "officer", "P1"), 201)
    assert hold["document_sha256"] == hashlib.sha256(ORDER).hexdigest()
    assert (hold["person_id"], hold["kind"], hold["reference"]) == ("P1", "stay_of_removal", "25-cv-00417 (S.D. Tex.)")
    assert (hold["document_name"], hold["filed_by"], hold["active"]) == ("stay-order.txt", "officer", True)
    kept = LegalHold.objects.get(pk=hold["id"])
    assert kept.document.read() == ORDER

    case = ok(api("officer").get(f"/cases/{case_id}"))
    assert (case["state"], case["reservation"], case["next_steps"]) == (
        "on_hold",
        None,
        [{"step": "withdraw", "label": "Withdraw", "needs_reason": True, "help": ""}],
    )
    cecot = next(f for f in ok(api("officer").get("/facilities")) if f["code"] == "cecot")
    assert cecot["held"] == 0
    assert [h["id"] for h in ok(api("reviewer").get("/people/P1/holds"))] == [hold["id"]]
    refused(api("salvador").get("/people/P1/holds"), 403)
    refused(api("officer").post(f"/cases/{case_id}/steps", json={"step": "refer"}), 409)

    before = stored(case_id)
    for who in ("officer", "salvador", "monitor"):
        refused(api(who).post(f"/holds/{hold['id']}/lift", json={"reason": "The stay was dissolved"}), 403)
    refused(api("reviewer").post(f"/holds/{hold['id']}/lift", json={"reason": ""}), 422, "reason")
    assert stored(case_id) == before

    lifted = ok(api("reviewer").post(f"/holds/{hold['id']}/lift", json={"reason": "Stay dissolved on 2025-06-02"}))
    assert (lifted["active"], lifted["lifted_by"], lifted["lift_reason"]) == (
        False,
        "reviewer",
        "Stay dissolved on 2025-06-02",
    )
    case = ok(api("officer").get(f"/cases/{case_id}"))
    assert (case["state"], case["reservation"]) == ("screened", None)  # starts over: approval again
    assert (
        "already lifted"
        in refused(api("reviewer").post(f"/holds/{hold['id']}/lift", json={"reason": "x"}), 409)["message"]
    )
    history = [e["action"] for e in ok(api("reviewer").get(f"/cases/{case_id}/history"))]
    # The place went back when the hold was filed, and the case resumed last (screenings between
    # keep the held case's record up to date).
    after_acceptance = history[history.index("case.accept") + 1 :]
    assert after_acceptance[:2] == ["reservation.cancel", "case.hold"] and after_acceptance[-1] == "case.resume"
    assert set(after_acceptance[2:-1]) <= {"case.update"}


# --- bad input: a clear answer and nothing changed -----------------------------------------------------

PAST = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
BAD: list[tuple[str, str, str, dict[str, Any], int, str | None, str]] = [
    # (who, method, path, request, status, field, words of the message)
    (
        "officer",
        "POST",
        "/cases/{case}/steps",
        {"json": {"step": "teleport"}},
        422,
        "step",
        "'submit', 'send_back', 'approve'",
    ),
    (
        "officer",
        "POST",
        "/cases/{case}/steps",
        {"json": {"step": ""}},
        422,
        "step",
        "'release', 'withdraw' or 'rescreen'",
    ),
    ("officer", "POST", "/cases/{case}/steps", {"json": {}}, 422, "step", "required"),
    ("officer", "POST", "/cases/{case}/steps", {"json": {"step": "s" * 33}}, 422, "step", "Input should be"),
    *(
        ("officer", "POST", "/cases/{case}/steps", {"json": {"step": step}}, 422, "step", "taken with a movement")
        for step in ("schedule", "depart", "hand_over")
    ),
    (
        "officer",
        "POST",
        "/cases/{case}/steps",
        {"json": {"step": "submit", "on": PAST}},
        422,
        "on",
        "Extra inputs are not permitted",
    ),
    ("officer", "POST", "/cases/{case}/steps", {"json": {"step": "withdraw"}}, 409, None, "Withdraw needs a reason"),
    (
        "salvador",
        "POST",
        "/cases/{case}/steps",
        {"json": {"step": "reject", "reason": "  "}},
        409,
        None,
        "needs a reason",
    ),
    ("officer", "POST", "/cases/{case}/steps", {"json": {"step": "close"}}, 409, None, "Cannot close"),
    ("officer", "POST", "/cases/999999/steps", {"json": {"step": "submit"}}, 404, None, "no case 999999"),
    (
        "officer",
        "POST",
        "/people/P1/holds",
        {"hold": {"content": b""}},
        409,
        None,
        "document: a hold needs its document",
    ),
    ("officer", "POST", "/people/P1/holds", {"hold": {"kind": "prayer"}}, 409, None, "kind: 'prayer' is not one of"),
    ("officer", "POST", "/people/P1/holds", {"hold": {"reference": "  "}}, 409, None, "reference: a hold needs"),
    (
        "officer",
        "POST",
        "/people/P1/holds",
        {"data": {"kind": "court_order", "reference": "X", "note": ""}},
        422,
        "document",
        "required",
    ),
    ("officer", "POST", "/people/NOPE/holds", {"hold": {}}, 404, None, "No Person matches"),
    ("reviewer", "POST", "/holds/999999/lift", {"json": {"reason": "vacated"}}, 404, None, ""),
    ("reviewer", "POST", "/holds/{hold}/lift", {"json": {}}, 422, "reason", "required"),
]


@pytest.fixture
def accepted_with_lifted_hold(api: Api, make_person: Callable[..., Person]) -> dict[str, int]:
    """An accepted case (a CECOT place held) and a hold on another person, already lifted."""
    case_id = open_for(api, make_person, "P1", **FELON)["id"]
    walk(api, case_id, "submit", "approve", "refer", "accept")
    make_person("P2")
    hold = ok(file_hold(api, "officer", "P2"), 201)["id"]
    ok(api("reviewer").post(f"/holds/{hold}/lift", json={"reason": "Petition dismissed"}))
    return {"case": case_id, "hold": hold}


@pytest.mark.parametrize(
    ("who", "method", "path", "request_", "status", "field", "words"),
    BAD,
    ids=[f"{w} {m} {p} {r}"[:90] for w, m, p, r, *_ in BAD],
)
def test_bad_input_is_answered_clearly_and_changes_nothing(
    api: Api,
    accepted_with_lifted_hold: dict[str, int],
    who: str,
    method: str,
    path: str,
    request_: dict[str, Any],
    status: int,
    field: str | None,
    words: str,
) -> None:
    case_id = accepted_with_lifted_hold["case"]
    before = stored(case_id)
    url = path.format(**accepted_with_lifted_hold)
    if "hold" in request_:
        response = file_hold(api, who, url.split("/")[2], **request_["hold"])
    else:
        response = api(who).request(method, url, **request_)
    body = refused(response, status, field)
    assert words in body["message"], body["message"]
    assert stored(case_id) == before


def test_a_hold_may_be_filed_without_a_note(api: Api, make_person: Callable[..., Person]) -> None:
    make_person("P1")
    data = {"kind": "habeas_petition", "reference": "25-cv-00999"}
    files = {"document": ("petition.txt", ORDER, "text/plain")}
    hold = ok(api("officer").post("/people/P1/holds", data=data, files=files), 201)
    assert hold["document_sha256"] == hashlib.sha256(ORDER).hexdigest()
