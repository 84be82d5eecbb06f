"""The API over real HTTP: a live server, bearer tokens, JSON in and out, and JSON errors that name
the field at fault. No input a caller can send makes it answer 500."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from django.utils import timezone

from accord.accounts.models import ApiToken, User
from accord.cases.models import Case
from accord.cases.services import open_case
from accord.core.screening import default_dataset
from accord.facilities.models import Facility
from accord.people.models import Person
from tests.web.conftest import CLEAN

pytestmark = pytest.mark.django_db(transaction=True)  # live_server needs committed data

Api = Callable[..., httpx.Client]


@pytest.fixture
def api(live_server: Any, tokens: dict[str, str]) -> Iterator[Api]:
    """``api("officer")``: an HTTP client for /api/v1/ carrying that user's bearer token."""
    clients: list[httpx.Client] = []

    def client(name: str | None = "officer", *, token: str | None = None) -> httpx.Client:
        token = token or (tokens[name] if name else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        clients.append(httpx.Client(base_url=f"{live_server.url}/api/v1", headers=headers, timeout=60))
        return clients[-1]

    yield client
    for c in clients:
        c.close()


def error(response: httpx.Response, status: int, field: str | None = None) -> str:
    """Assert a JSON error of this status naming this field; return its message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["field"] == field and body["message"]
    return str(body["message"])


def screen(client: httpx.Client, **cells: Any) -> httpx.Response:
    record = {**CLEAN, "person_id": "U1", **cells}
    return client.post("/screen", json={"record": record, "agreement_id": "us-sv-2025", "date": "2025-03-01"})


# --- people and screening ---------------------------------------------------------------------


def test_people_are_listed_in_id_order_filtered_and_paged(api: Api, make_person: Any) -> None:
    for pid, family in (("P1", "Alvarez"), ("P2", "Benitez"), ("P3", "Alvarado")):
        make_person(pid, family_name=family)
    officer = api("officer")

    def ids(**params: Any) -> list[str]:
        response = officer.get("/people", params=params)
        assert response.status_code == 200, response.text
        return [p["person_id"] for p in response.json()]

    assert ids() == ["P1", "P2", "P3"]
    assert ids(q="P2") == ["P2"]
    assert ids(q="alva") == ["P1", "P3"]
    assert ids(limit=2) == ["P1", "P2"]
    assert ids(limit=2, offset=2) == ["P3"]
    assert ids(offset=10) == []
    error(officer.get("/people", params={"limit": 0}), 422, "limit")
    error(officer.get("/people", params={"limit": 501}), 422, "limit")


def test_a_person_is_returned_with_protection_data_and_an_unknown_one_is_404(api: Api, make_person: Any) -> None:
    make_person("P1", protection="pending", fear_screened="SV")
    officer = api("officer")
    person = officer.get("/people/P1").json()
    assert person["nationalities"] == ["SV"] and person["date_of_birth"] == CLEAN["date_of_birth"]
    assert person["protection"] == "pending" and person["fear_screened"] == ["SV"]
    error(officer.get("/people/NOPE"), 404)


def test_a_stored_person_is_screened_rule_by_rule_with_reasons_and_citations(api: Api, make_person: Any) -> None:
    make_person("P1")
    officer = api("officer")
    response = officer.get("/people/P1/screening", params={"agreement_id": "us-sv-2025", "date": "2025-03-01"})
    assert response.status_code == 200
    (screening,) = response.json()
    assert (screening["person_id"], screening["agreement_id"], screening["date"]) == ("P1", "us-sv-2025", "2025-03-01")
    assert screening["outcome"] == "eligible" and screening["placement"] == "reception"
    assert screening["data_version"] == default_dataset().version
    results = {r["rule_id"]: r for r in screening["results"]}
    assert {"us-sv-2025/own-nationals", "agreement/in-force", "us/citizen", "us/fear", "capacity"} <= set(results)
    assert all(r["result"] and r["reason"] and r["citation"] for r in screening["results"])
    assert results["us/citizen"]["citation"].startswith("8 U.S.C. §1101(a)(3)")

    every = officer.get("/people/P1/screening", params={"date": "2025-03-01"}).json()
    assert [s["agreement_id"] for s in every] == [a.id for a in default_dataset().transfer_agreements()]
    error(officer.get("/people/NOPE/screening"), 404)
    error(officer.get("/people/P1/screening", params={"agreement_id": "nope"}), 422, "agreement_id")


def test_an_unsaved_us_citizen_is_barred_by_the_citizenship_rule(api: Api) -> None:
    response = screen(api("officer"), status="citizen")
    assert response.status_code == 200
    (screening,) = response.json()
    assert screening["outcome"] == "barred" and screening["placement"] is None
    citizen = next(r for r in screening["results"] if r["rule_id"] == "us/citizen")
    assert citizen["result"] == "barred" and "citizen" in citizen["reason"]
    assert "8 U.S.C. §1101(a)(3)" in citizen["citation"]


def test_an_unsaved_clean_salvadoran_is_eligible_and_nothing_is_stored(api: Api) -> None:
    (screening,) = screen(api("officer")).json()
    assert screening["outcome"] == "eligible"
    assert (screening["placement"], screening["clause_id"]) == ("reception", "own-nationals")
    assert not any(r["result"] == "barred" for r in screening["results"])
    assert Person.objects.count() == 0


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        ({"status": "martian"}, "status"),
        ({"nationalities": "XX"}, "nationalities"),
        ({"date_of_birth": "2025-02-30"}, "date_of_birth"),
        ({"sentence_remaining_months": 10**30}, "sentence_remaining_months"),
        ({"legal_hold": {"nested": True}}, "legal_hold"),
        ({"shoe_size": "42"}, "shoe_size"),
        ({"nationalities": "S" * 300_000}, "nationalities"),
    ],
    ids=lambda v: json.dumps(v)[:40] if isinstance(v, dict) else v,
)
def test_screening_a_bad_record_is_422_naming_the_field(api: Api, cells: dict[str, Any], field: str) -> None:
    message = error(screen(api("officer"), **cells), 422, field)
    assert field in message and len(message) < 500


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"record": CLEAN, "agreement_id": "nope"}, "agreement_id"),
        ({"record": CLEAN, "agreement_id": "sv-transit-fee-2023"}, "agreement_id"),  # not a transfer of people
        ({"record": CLEAN, "date": "2025-02-30"}, "date"),
        ({"agreement_id": "us-sv-2025"}, "record"),
        ({"record": ["SV"]}, "record"),
    ],
)
def test_screening_refuses_bad_arguments_naming_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    error(api("officer").post("/screen", json=body), 422, field)


def test_screening_a_body_that_is_not_json_is_400_json(api: Api) -> None:
    response = api("officer").post("/screen", content=b'{"record": {', headers={"content-type": "application/json"})
    assert "parse" in error(response, 400)


def test_unknown_top_level_fields_of_a_body_are_ignored(api: Api) -> None:
    body = {"record": CLEAN | {"person_id": "U1"}, "agreement_id": "us-sv-2025", "colour": "blue"}
    assert api("officer").post("/screen", json=body).status_code == 200


# --- registry ---------------------------------------------------------------------------------


def test_facilities_are_listed_with_capacity_and_agreement(api: Api, facilities: None) -> None:
    listed = api("officer").get("/facilities").json()
    assert {f["code"] for f in listed} == set(Facility.objects.values_list("code", flat=True)) != set()
    for f in listed:
        assert f["capacity"] > 0 and f["agreement_id"] in default_dataset().agreements
        assert f["suspended"] is False


def test_agreements_are_listed_and_each_clause_quotes_its_source(api: Api) -> None:
    client = api("officer")
    listed = client.get("/agreements").json()
    assert [a["id"] for a in listed] == list(default_dataset().agreements)
    detail = client.get("/agreements/us-sv-2025").json()
    assert (detail["sending_state"], detail["receiving_state"]) == ("US", "SV")
    assert detail["clauses"] and all(c["source_document"] and c["source_quote"] for c in detail["clauses"])
    assert "own-nationals" in [c["id"] for c in detail["clauses"]]
    assert "nope" in error(client.get("/agreements/nope"), 404)


# --- cases ------------------------------------------------------------------------------------


def test_opening_a_case_screens_it_and_stores_the_versions(api: Api, make_person: Any) -> None:
    make_person("P1", status="citizen")
    officer = api("officer")
    response = officer.post("/cases", json={"person_id": "P1", "agreement_id": "us-sv-2025"})
    assert response.status_code == 201, response.text
    case = response.json()
    assert (case["person_id"], case["agreement_id"], case["receiving_state"]) == ("P1", "us-sv-2025", "SV")
    assert (case["state"], case["outcome"], case["placement"]) == ("blocked", "barred", "")
    assert case["failing_rules"] == ["us/citizen"]
    assert case["data_version"] == default_dataset().version and case["rules_version"]
    assert any(r["rule_id"] == "us/citizen" and r["result"] == "barred" for r in case["explanation"])
    assert Case.objects.get(pk=case["id"]).created_by.username == "officer"


def test_a_second_open_case_for_the_same_person_and_agreement_is_a_409(api: Api, make_person: Any) -> None:
    make_person("P1")
    officer = api("officer")
    body = {"person_id": "P1", "agreement_id": "us-sv-2025"}
    assert officer.post("/cases", json=body).status_code == 201
    assert "already has an open case" in error(officer.post("/cases", json=body), 409)
    assert officer.post("/cases", json={**body, "agreement_id": "us-ve-2025"}).status_code == 201
    assert Case.objects.count() == 2


def test_opening_a_case_for_an_unknown_person_or_agreement_is_refused(api: Api, make_person: Any) -> None:
    make_person("P1")
    officer = api("officer")
    error(officer.post("/cases", json={"person_id": "NOPE", "agreement_id": "us-sv-2025"}), 404, "person_id")
    error(officer.post("/cases", json={"person_id": "P1", "agreement_id": "nope"}), 422, "agreement_id")
    error(officer.post("/cases", json={"person_id": "P1", "agreement_id": "sv-transit-fee-2023"}), 422, "agreement_id")
    error(officer.post("/cases", json={"person_id": "P1"}), 422, "agreement_id")
    assert Case.objects.count() == 0


@pytest.fixture
def three_cases(users: dict[str, User], make_person: Any) -> dict[str, int]:
    """A clean Salvadoran and a US citizen under us-sv-2025 (the citizen referred), a Venezuelan
    under us-ve-2025."""
    officer = users["officer"]
    opened = {
        "sv": open_case(make_person("P1", family_name="Alvarez"), "us-sv-2025", user=officer),
        "citizen": open_case(make_person("P2", family_name="Benitez", status="citizen"), "us-sv-2025", user=officer),
        "ve": open_case(make_person("P3", family_name="Castro", nationalities="VE"), "us-ve-2025", user=officer),
    }
    Case.objects.filter(pk=opened["citizen"].pk).update(state="referred")
    return {name: case.pk for name, case in opened.items()}


def test_cases_are_listed_newest_first_and_filtered(api: Api, three_cases: dict[str, int]) -> None:
    officer = api("officer")

    def listed(**params: Any) -> list[int]:
        response = officer.get("/cases", params=params)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()]

    sv, citizen, ve = three_cases["sv"], three_cases["citizen"], three_cases["ve"]
    assert listed() == [ve, citizen, sv]
    assert listed(agreement_id="us-sv-2025") == [citizen, sv]
    assert listed(outcome="barred") == [citizen]
    assert listed(nationality="ve") == [ve]
    assert listed(state="referred") == [citizen]
    assert listed(q="P3") == [ve]
    assert listed(q="alv") == [sv]
    assert listed(agreement_id="us-sv-2025", outcome="eligible") == [sv]
    assert listed(limit=1, offset=1) == [citizen]
    assert listed(state="closed") == []
    row = officer.get("/cases", params={"q": "P2"}).json()[0]
    assert row["person_name"] == f"BENITEZ, {CLEAN['given_names']}"
    assert (row["nationalities"], row["failing_rules"]) == (["SV"], ["us/citizen"])
    assert "explanation" not in row


def test_a_case_is_returned_with_its_explanation_and_an_unknown_one_is_404(
    api: Api, three_cases: dict[str, int]
) -> None:
    officer = api("officer")
    case = officer.get(f"/cases/{three_cases['ve']}").json()
    assert (case["person_id"], case["agreement_id"], case["outcome"]) == ("P3", "us-ve-2025", "eligible")
    assert {r["rule_id"] for r in case["explanation"]} >= {"us/citizen", "agreement/in-force"}
    error(officer.get("/cases/999999"), 404)


def test_statistics_count_cases_without_identifying_anyone(api: Api, three_cases: dict[str, int]) -> None:
    response = api("monitor").get("/statistics")
    assert response.status_code == 200
    counts = response.json()
    assert sum(row["count"] for row in counts) == 3
    assert {"agreement_id": "us-sv-2025", "state": "referred", "outcome": "barred", "count": 1} in counts
    assert all(set(row) == {"agreement_id", "state", "outcome", "count"} for row in counts)
    for person in Person.objects.all():
        for identifying in (person.person_id, person.family_name, person.given_names, person.display_name):
            assert identifying not in response.text


# --- documentation and authentication ----------------------------------------------------------


def test_the_openapi_document_and_the_interactive_docs_are_served(api: Api) -> None:
    client = api(None)
    document = client.get("/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    for path in ("/api/v1/people", "/api/v1/people/{person_id}/screening", "/api/v1/screen", "/api/v1/cases"):
        assert path in paths
    assert "post" in paths["/api/v1/cases"] and "bearer" in json.dumps(document.json()["components"]).lower()
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert "swagger" in docs.text.lower()


@pytest.mark.parametrize("credentials", ["none", "wrong", "revoked", "inactive user", "not bearer"])
@pytest.mark.parametrize(("method", "path"), [("GET", "/people"), ("POST", "/screen"), ("POST", "/cases")])
def test_requests_without_a_valid_token_are_401(
    api: Api, users: dict[str, User], tokens: dict[str, str], credentials: str, method: str, path: str
) -> None:
    token = tokens["officer"]
    if credentials == "revoked":
        ApiToken.objects.filter(user=users["officer"]).update(revoked=True)
    elif credentials == "inactive user":
        User.objects.filter(pk=users["officer"].pk).update(is_active=False)
    client = {"none": api(None), "wrong": api(token="acc_not-a-token")}.get(credentials) or api("officer")
    if credentials == "not bearer":
        client.headers["Authorization"] = f"Token {token}"
    body = {"person_id": "P1", "agreement_id": "us-sv-2025", "record": CLEAN}
    response = client.request(method, path, json=body if method == "POST" else None)
    assert "authentication required" in error(response, 401)


def test_a_revoked_token_stops_working_at_once(api: Api, users: dict[str, User]) -> None:
    client = api("reviewer")
    assert client.get("/agreements").status_code == 200
    ApiToken.objects.filter(user=users["reviewer"]).update(revoked=True)
    error(client.get("/agreements"), 401)


def test_a_tokens_use_is_written_down_once_a_minute_and_acts_for_its_own_user(api: Api, users: dict[str, User]) -> None:
    client = api("monitor")
    token = ApiToken.objects.get(user=users["monitor"])
    assert token.last_used_at is None
    assert client.get("/agreements").status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None and timezone.now() - first < dt.timedelta(minutes=1)
    assert client.get("/agreements").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write on every request
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    # The token acts for its owner, with its owner's role: the monitor may not open cases.
    error(client.post("/cases", json={"person_id": "P1", "agreement_id": "us-sv-2025"}), 403)
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > first  # a minute on: written again
    assert ApiToken.objects.exclude(pk=token.pk).filter(last_used_at__isnull=False).count() == 0


# --- bad input never answers 500 --------------------------------------------------------------

HUGE = "x" * 1_000_000
BAD_INPUT = [
    ("GET", "/people?limit=abc", None, 422, "limit"),
    ("GET", "/people?limit=100000", None, 422, "limit"),
    ("GET", "/people?offset=-1", None, 422, "offset"),
    ("GET", "/people?offset=100000000000000000000", None, 422, "offset"),
    ("GET", "/people?q=" + "x" * 60_000, None, 422, "q"),
    ("GET", "/people?q=%00", None, 422, "q"),
    ("GET", "/people/P%00", None, 404, None),
    ("GET", "/people/" + "x" * 200, None, 404, None),
    ("GET", "/people/P1/screening?date=2025-02-30", None, 422, "date"),
    ("GET", "/people/P1/screening?date=tomorrow", None, 422, "date"),
    ("GET", "/people/P1/screening?agreement_id=%00", None, 422, "agreement_id"),
    ("GET", "/cases?limit=abc", None, 422, "limit"),
    ("GET", "/cases?offset=100000000000000000000", None, 422, "offset"),
    ("GET", "/cases?nationality=%00", None, 422, "nationality"),
    ("GET", "/cases?state=%00", None, 422, "state"),
    ("GET", "/cases?q=" + "x" * 60_000, None, 422, "q"),
    ("GET", "/cases/99999999999999999999999", None, 404, None),
    ("GET", "/cases/abc", None, 404, None),
    ("GET", "/agreements/%00", None, 404, None),
    ("GET", "/no-such-endpoint", None, 404, None),
    ("POST", "/holds/%F0%9E%99%BC%0Ax/lift", {"reason": "x"}, 404, None),  # a newline in the path (schemathesis)
    ("GET", "/../v2/cases", None, 404, None),
    ("DELETE", "/people", None, 405, None),
    ("PUT", "/cases", {"person_id": "P1"}, 405, None),
    (
        "POST",
        "/screen",
        {"record": {**CLEAN, "person_id": "U1", "family_name": HUGE}, "date": "0001-01-01"},
        200,
        None,
    ),
    ("POST", "/screen", {"record": {**CLEAN, "person_id": "U1"}, "date": "9999-12-31"}, 200, None),
    ("POST", "/screen", {"record": {**CLEAN, "person_id": "U1"}, "agreement_id": HUGE}, 422, "agreement_id"),
    ("POST", "/screen", {"record": {**CLEAN, "person_id": "U1"}, "agreement_id": 7}, 422, "agreement_id"),
    ("POST", "/screen", [CLEAN], 422, "record"),
    ("POST", "/screen", None, 422, None),
    ("POST", "/cases", {"person_id": HUGE, "agreement_id": "us-sv-2025"}, 422, "person_id"),
    ("POST", "/cases", {"person_id": "P\x00", "agreement_id": "us-sv-2025"}, 422, "person_id"),
    ("POST", "/cases", {"person_id": "P1", "agreement_id": "us\x00"}, 422, "agreement_id"),
    ("POST", "/cases", {"person_id": ["P1"], "agreement_id": "us-sv-2025"}, 422, "person_id"),
    ("POST", "/cases", {"person_id": "P1", "agreement_id": "us-sv-2025", "priority": "high"}, 201, None),
    ("POST", "/screen", {"record": {**CLEAN, "person_id": "U1", "family_name": "x" * 3_000_000}}, 413, None),
]


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/screen", b'{"record": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
        ("/screen", b'{"record": {"person_id": "U1", "family_name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}"),
        ("/cases", b"{" * 50_000),
    ],
    ids=["nested-record", "nested-cell", "unclosed"],
)
def test_a_body_nested_beyond_reason_is_a_json_error(api: Api, path: str, content: bytes) -> None:
    response = api("officer").post(path, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/json") and response.json()["message"]


def _short(value: Any) -> Any:
    """A test id's view of an input: long strings by their length, record cells other than CLEAN's."""
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:12]}...({len(value):,} chars)"
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items() if CLEAN.get(k) != v}
    if isinstance(value, list):
        return [_short(v) for v in value]
    return value


def _describe(method: str, path: str, body: Any, *_: Any) -> str:
    return f"{method} {_short(path)} {json.dumps(_short(body), ensure_ascii=False) if body is not None else ''}".strip()


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"), BAD_INPUT, ids=[_describe(*cell) for cell in BAD_INPUT]
)
def test_bad_input_gets_a_json_answer_never_a_500(
    api: Api, make_person: Any, method: str, path: str, body: Any, status: int, field: str | None
) -> None:
    make_person("P1")
    response = api("officer").request(method, path, json=body)
    if status < 400:
        assert response.status_code == status, response.text
    else:
        error(response, status, field)
