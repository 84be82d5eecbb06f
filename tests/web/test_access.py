"""Who may see and do what, role by role: every cell is a real request, over HTTP for the API and
through Django's test client for the pages.

Only case officers open cases; case officers and legal reviewers see people, protection data and
screening; a receiving-state officer sees only the cases sent to their state, as the record they
were sent, never an outcome, a rule or protection or fear data; finance, monitors and the
administrator see facilities, agreements and statistics; monitors, the administrator and sending
staff check the audit chain. The administrator manages accounts and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.utils.html import escape

from accord.accounts.models import Role, User
from accord.accounts.permissions import Can, can, require, user_of
from accord.cases.models import REFERRED_STATES, Case, State
from accord.cases.redaction import PROTECTION_RULES
from accord.cases.referral import minimum_record
from accord.cases.services import open_case
from tests.web.conftest import CLEAN, ROLES

ALL = frozenset(name for name, _, _ in ROLES)
SENDING_STAFF = frozenset({"officer", "reviewer"})
CASE_READERS = SENDING_STAFF | {"salvador"}
CASE_OPENERS = frozenset({"officer"})
STATISTICS = ALL - {"salvador"}
AUDITORS = ALL - {"salvador", "finance"}
MOVEMENT_VIEWERS = ALL - {"admin"}
LEDGER_READERS = frozenset({"finance", "reviewer", "salvador"})  # view_ledger (salvador: SV's invoices)
NOT_YET_REFERRED = [State.DRAFT, State.SCREENED, State.LEGAL_REVIEW, State.APPROVED, State.BLOCKED, State.ON_HOLD]


@pytest.fixture
def world(users: dict[str, User], facilities: None, make_person: Any) -> dict[str, int]:
    """P1, a Venezuelan with a pending protection claim and a credible fear of El Salvador, proposed
    to El Salvador and referred; P2, a Salvadoran proposed to El Salvador and only screened; P3,
    a Venezuelan proposed to Venezuela and referred there."""
    officer = users["officer"]
    fearful = make_person(
        "P1", nationalities="VE", conviction="felony", protection="pending", fear_screened="SV", fear_found="SV"
    )
    cases = {
        "referred": open_case(fearful, "us-sv-2025", user=officer).pk,
        "screened": open_case(make_person("P2"), "us-sv-2025", user=officer).pk,
        "other_state": open_case(make_person("P3", nationalities="VE"), "us-ve-2025", user=officer).pk,
    }
    for pk in (cases["referred"], cases["other_state"]):
        case = Case.objects.get(pk=pk)
        case.state, case.referral = State.REFERRED, minimum_record(case)
        case.save()
    return cases


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def api(live_server: Any, tokens: dict[str, str]) -> Iterator[Callable[[str], httpx.Client]]:
    clients: list[httpx.Client] = []

    def client(name: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {tokens[name]}"}
        clients.append(httpx.Client(base_url=f"{live_server.url}/api/v1", headers=headers, timeout=60))
        return clients[-1]

    yield client
    for c in clients:
        c.close()


def _has_person_with_protection(body: Any, world: dict[str, int]) -> bool:
    people = body if isinstance(body, list) else [body]
    return any(p["person_id"] == "P1" and p["protection"] == "pending" for p in people)


def _screened_rule_by_rule(body: Any, world: dict[str, int]) -> bool:
    return body[0]["agreement_id"] == "us-sv-2025" and any(r["rule_id"] == "us/fear" for r in body[0]["results"])


UNSAVED = {"record": {**CLEAN, "person_id": "U1"}, "agreement_id": "us-sv-2025"}
NEW_CASE = {"person_id": "P2", "agreement_id": "us-ve-2025"}

# (method, path, body, roles allowed, status when allowed, what an allowed answer holds)
API: list[tuple[str, str, Any, frozenset[str], int, Callable[[Any, dict[str, int]], bool]]] = [
    ("GET", "/people", None, SENDING_STAFF, 200, _has_person_with_protection),
    ("GET", "/people/P1", None, SENDING_STAFF, 200, _has_person_with_protection),
    ("GET", "/people/P1/screening?agreement_id=us-sv-2025", None, SENDING_STAFF, 200, _screened_rule_by_rule),
    ("POST", "/screen", UNSAVED, SENDING_STAFF, 200, _screened_rule_by_rule),
    ("GET", "/facilities", None, ALL, 200, lambda body, w: len(body) > 0),
    ("GET", "/agreements", None, ALL, 200, lambda body, w: "us-sv-2025" in [a["id"] for a in body]),
    ("GET", "/agreements/us-sv-2025", None, ALL, 200, lambda body, w: body["receiving_state"] == "SV"),
    ("GET", "/cases", None, CASE_READERS, 200, lambda body, w: w["referred"] in [c["id"] for c in body]),
    ("GET", "/cases/{referred}", None, CASE_READERS, 200, lambda body, w: body["person_id"] == "P1"),
    (
        "POST",
        "/cases",
        NEW_CASE,
        CASE_OPENERS,
        201,
        lambda body, w: (body["person_id"], body["state"]) == ("P2", "blocked"),
    ),
    ("GET", "/statistics", None, STATISTICS, 200, lambda body, w: sum(row["count"] for row in body) == 3),
    ("GET", "/audit/verify", None, AUDITORS, 200, lambda body, w: body["ok"] and body["events_checked"] >= 3),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed", "status", "holds"), API, ids=[f"{m} {p}" for m, p, *_ in API]
)
def test_api_access_by_role(
    api: Callable[[str], httpx.Client],
    world: dict[str, int],
    name: str,
    method: str,
    path: str,
    body: Any,
    allowed: frozenset[str],
    status: int,
    holds: Callable[[Any, dict[str, int]], bool],
) -> None:
    response = api(name).request(method, path.format(**world), json=body)
    if name in allowed:
        assert response.status_code == status, response.text
        assert holds(response.json(), world)
    else:
        assert response.status_code == 403, response.text
        assert response.json()["message"].startswith("your role may not")
    if method == "POST" and path == "/cases":
        assert Case.objects.filter(person__person_id="P2", agreement_id="us-ve-2025").exists() == (name in allowed)


@pytest.mark.django_db(transaction=True)
def test_a_receiving_officer_sees_only_their_states_referred_cases(
    api: Callable[[str], httpx.Client], world: dict[str, int]
) -> None:
    salvador = api("salvador")
    assert [c["id"] for c in salvador.get("/cases").json()] == [world["referred"]]
    assert salvador.get("/cases", params={"state": "accepted"}).json() == []
    refused = salvador.get("/cases", params={"state": "screened"})  # not a state they are shown
    assert refused.status_code == 422 and refused.json()["field"] == "state"
    assert salvador.get("/cases", params={"agreement_id": "us-ve-2025"}).json() == []
    for hidden in (world["screened"], world["other_state"], 999_999):
        response = salvador.get(f"/cases/{hidden}")
        assert response.status_code == 404 and response.json()["message"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("state", REFERRED_STATES)
def test_a_receiving_officer_sees_their_case_from_referral_on(
    api: Callable[[str], httpx.Client], world: dict[str, int], state: str
) -> None:
    Case.objects.filter(pk=world["screened"]).update(state=state)
    salvador = api("salvador")
    assert world["screened"] in [c["id"] for c in salvador.get("/cases").json()]
    assert salvador.get(f"/cases/{world['screened']}").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("state", NOT_YET_REFERRED)
def test_a_receiving_officer_does_not_see_their_case_before_referral(
    api: Callable[[str], httpx.Client], world: dict[str, int], state: str
) -> None:
    Case.objects.filter(pk=world["referred"]).update(state=state, referral=None)
    salvador = api("salvador")
    assert world["referred"] not in [c["id"] for c in salvador.get("/cases").json()]
    assert salvador.get(f"/cases/{world['referred']}").status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("state", NOT_YET_REFERRED)
def test_a_receiving_officer_sees_a_case_taken_back_as_returned_whatever_its_state(
    api: Callable[[str], httpx.Client], world: dict[str, int], state: str
) -> None:
    """Blocked, on hold, back in screening or review: all one state to the receiving state."""
    Case.objects.filter(pk=world["referred"]).update(state=state)
    salvador = api("salvador")
    listed = {c["id"]: c for c in salvador.get("/cases").json()}
    case = salvador.get(f"/cases/{world['referred']}").json()
    assert listed[world["referred"]]["state"] == case["state"] == "returned"
    assert (case["outcome"], case["failing_rules"], case["explanation"], case["next_steps"]) == (None, [], [], [])
    assert case["state_reason"] == (
        f"Case {world['referred']} has been returned to the sending state for review. "
        "Do not receive this person unless the case is referred again."
    )
    assert [c["id"] for c in salvador.get("/cases", params={"state": "returned"}).json()] == [world["referred"]]
    assert salvador.get("/cases", params={"state": state}).status_code == 422


@pytest.mark.django_db(transaction=True)
def test_a_receiving_officer_never_sees_an_outcome_a_rule_or_protection_or_fear_data(
    api: Callable[[str], httpx.Client], world: dict[str, int]
) -> None:
    path = f"/cases/{world['referred']}"
    officer_view = api("officer").get(path).json()
    response = api("salvador").get(path)
    salvador_view = response.json()
    officers_reasons = {r["rule_id"]: r["reason"] for r in officer_view["explanation"]}
    assert "A credible fear of SV was found" in officers_reasons["us/fear"]
    assert {"us/fear", "us/protection-pending"} <= set(officer_view["failing_rules"])
    assert officer_view["outcome"] == "barred"

    assert (salvador_view["outcome"], salvador_view["failing_rules"], salvador_view["explanation"]) == (None, [], [])
    assert (salvador_view["screened_on"], salvador_view["data_version"], salvador_view["rules_version"]) == (
        None,
        "",
        "",
    )
    for reason in officers_reasons.values():
        assert reason not in response.text
    for words in ("barred", "review", "Withheld", "protection", "fear", "8 C.F.R."):
        assert words not in response.text
    listed = api("salvador").get("/cases").json()
    assert listed[0]["outcome"] is None and listed[0]["failing_rules"] == []
    # Filtering by outcome would tell what the answer does not.
    refused = api("salvador").get("/cases", params={"outcome": "barred"})
    assert refused.status_code == 422 and refused.json()["field"] == "outcome"


# --- the pages --------------------------------------------------------------------------------

# Cells tests/web/test_pages.py already asserts.
IN_TEST_PAGES = {
    ("officer", "/people/"),
    ("salvador", "/people/"),
    ("monitor", "/people/"),
    ("officer", "/people/import/"),
    ("reviewer", "/people/import/"),
    ("salvador", "/cases/"),
    ("monitor", "/cases/"),
    ("officer", "/agreements/us-sv-2025/"),
    ("finance", "/facilities/"),
    ("salvador", "/statistics/"),
    ("monitor", "/statistics/"),
}

# (path, roles allowed, text an allowed page shows)
PAGES = [
    ("/", ALL, "Accord"),
    ("/people/", SENDING_STAFF, "P1"),
    ("/people/P1/", SENDING_STAFF, "Fear screened"),
    ("/people/import/", CASE_OPENERS, "<form"),
    ("/cases/", CASE_READERS, "P1"),
    ("/cases/{referred}/", CASE_READERS, "Case {referred}"),
    ("/agreements/", ALL, "us-sv-2025"),
    ("/agreements/us-sv-2025/", ALL, "own-nationals"),
    ("/facilities/", ALL, "CECOT"),
    ("/statistics/", STATISTICS, "De-identified"),
    ("/audit/?check=1", AUDITORS, "Chain intact"),
    ("/movements/", MOVEMENT_VIEWERS, "<h1>Movements</h1>"),
    ("/movements/new/", CASE_OPENERS, "Plan the movement"),
    ("/ledger/", LEDGER_READERS, "<h1>Ledger</h1>"),
]
PAGE_CELLS = [
    (name, path, name in allowed, text)
    for path, allowed, text in PAGES
    for name in sorted(ALL)
    if (name, path) not in IN_TEST_PAGES
]


@pytest.fixture
def as_user(users: dict[str, User]) -> Callable[[str], Client]:
    def login(name: str) -> Client:
        client = Client()
        client.force_login(users[name])
        return client

    return login


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path", "allowed", "text"), PAGE_CELLS, ids=[f"{n} {p}" for n, p, *_ in PAGE_CELLS])
def test_page_access_by_role(
    as_user: Callable[[str], Client], world: dict[str, int], name: str, path: str, allowed: bool, text: str
) -> None:
    page = as_user(name).get(path.format(**world))
    if allowed:
        assert page.status_code == 200
        assert text.format(**world) in page.content.decode()
    else:
        assert page.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ALL))
def test_only_case_officers_and_admins_open_cases_from_the_pages(
    as_user: Callable[[str], Client], world: dict[str, int], name: str
) -> None:
    response = as_user(name).post("/cases/new/", {"person_id": "P2", "agreement_id": "us-ve-2025"})
    opened = Case.objects.filter(person__person_id="P2", agreement_id="us-ve-2025").first()
    if name in CASE_OPENERS:
        assert opened is not None and response.status_code == 302 and response["Location"] == f"/cases/{opened.pk}/"
    else:
        assert opened is None and response.status_code == 403


@pytest.mark.django_db
def test_a_receiving_officers_case_page_shows_the_record_sent_and_no_screening(
    as_user: Callable[[str], Client], world: dict[str, int]
) -> None:
    reasons = {r["rule_id"]: r["reason"] for r in Case.objects.get(pk=world["referred"]).explanation}
    path = f"/cases/{world['referred']}/"
    officers = as_user("officer").get(path).content.decode()
    salvadors = as_user("salvador").get(path).content.decode()
    assert "A credible fear of SV was found" in reasons["us/fear"]
    for rule_id in PROTECTION_RULES | {"us/citizen"}:
        assert escape(reasons[rule_id]) in officers and escape(reasons[rule_id]) not in salvadors
    assert "Record sent by the sending state" in salvadors
    for words in ("barred", "Outcome", "Withheld", "8 C.F.R.", "History"):
        assert words not in salvadors
    listing = as_user("salvador").get("/cases/").content.decode()
    assert "barred" not in listing and 'name="outcome"' not in listing


@pytest.mark.django_db
def test_a_receiving_officers_case_list_page_shows_only_their_referred_cases(
    as_user: Callable[[str], Client], world: dict[str, int]
) -> None:
    html = as_user("salvador").get("/cases/").content.decode()
    assert f'href="/cases/{world["referred"]}/"' in html
    assert f'href="/cases/{world["screened"]}/"' not in html and f'href="/cases/{world["other_state"]}/"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize("hidden", ["screened", "other_state"])
def test_a_receiving_officer_gets_404_for_a_case_page_they_may_not_see(
    as_user: Callable[[str], Client], world: dict[str, int], hidden: str
) -> None:
    assert as_user("salvador").get(f"/cases/{world[hidden]}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("hidden", ["screened", "other_state"])
def test_a_receiving_officer_is_refused_a_case_page_they_may_not_see(
    as_user: Callable[[str], Client], world: dict[str, int], hidden: str
) -> None:
    page = as_user("salvador").get(f"/cases/{world[hidden]}/")
    # Whole words: a random CSRF token may well contain the letters "P2".
    assert page.status_code == 404 and not re.search(r"\bP[23]\b", page.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ALL))
def test_every_link_in_the_menu_opens_for_the_user_and_audit_is_offered_to_auditors(
    as_user: Callable[[str], Client], world: dict[str, int], name: str
) -> None:
    client = as_user(name)
    home = client.get("/").content.decode()
    menu = re.search(r'<nav aria-label="Main">(.*?)</nav>', home, re.DOTALL)
    assert menu is not None
    links = re.findall(r'href="([^"]+)"', menu.group(1))
    assert links, "an empty menu"
    for link in links:
        assert client.get(link).status_code == 200, f"{name} is offered {link} but may not open it"
    assert ("/audit/" in links) == (name in AUDITORS)


def test_nobody_signed_in_may_do_anything_and_is_never_taken_for_a_user() -> None:
    """``can``/``require`` take ``request.user`` as it is; ``user_of`` hands a page its ``User``."""
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert not any(can(request.user, action) for action in Can)
    with pytest.raises(PermissionDenied):
        require(request.user, Can.VIEW_AGREEMENTS)
    with pytest.raises(PermissionDenied):
        user_of(request)
    officer = User(username="someone", role=Role.CASE_OFFICER)
    request.user = officer
    assert user_of(request) is officer and can(officer, Can.OPEN_CASES)
    officer.is_active = False
    assert not can(officer, Can.OPEN_CASES)
