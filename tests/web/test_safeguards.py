"""Every rule that bars a move holds on every path: the web pages, the API, the command line, bulk
import and the admin.

The bars (a US citizen, a person with a legal hold, a minor bound for a prison, a protected person
bound for the country they are protected from, a prisoner whose only "record" is a gang allegation)
are each set up at every stage a case can legitimately reach before the bar appears: present at
opening (the case is ``blocked``), or arising after approval, referral or acceptance through a raw
update of the person (stale data the workflow did not see change). Each path then tries the next
step and steps further ahead. Every attempt must be refused. A jump ahead (a step the case's state
does not allow) leaves the database exactly as it was; the step whose own screening finds the bar
is refused too, and the case is blocked and its place given back as the system's act, in a
transaction of its own. The refusal names the rule to the sending state's staff; a receiving
officer reads one neutral sentence whatever the reason (8 C.F.R. §208.6).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from typer.testing import CliRunner

from accord.accounts.models import User
from accord.audit.models import AuditEvent
from accord.capacity.models import Reservation
from accord.capacity.selectors import live_reservation
from accord.cases import errors
from accord.cases import steps as case_steps
from accord.cases.models import Case
from accord.cases.services import open_case
from accord.cli import app
from accord.core.records import people_from_dicts, write_people
from accord.core.workflow import REFERRED
from accord.holds.models import LegalHold
from accord.holds.services import file_hold
from accord.movements import services as moves
from accord.movements.models import ManifestEntry
from accord.people.models import Person
from tests.web.conftest import CLEAN, options_for
from tests.web.moving import flight, take

# --- the bars -----------------------------------------------------------------------------------


def years_ago(years: int) -> dt.date:
    today = timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


# Both proposed to El Salvador for a CECOT place: a Salvadoran felon (own-nationals clause) and a
# Venezuelan felon already screened for fear of El Salvador (third-country-criminals clause).
SV_FELON = {"conviction": "felony"}
VE_FELON = {"nationalities": "VE", "conviction": "felony", "fear_screened": "SV"}


@dataclass(frozen=True)
class Bar:
    name: str
    rule: str  # the rule that must stop the move, named in every refusal
    reason: str  # words of that rule's reason
    base: dict[str, str]  # a person who may lawfully be moved until the bar appears
    cells: dict[str, str]  # the barring facts as a record's cells (opening, import)
    raw: dict[str, Any]  # the same facts as a raw database update (stale data)
    protection: bool = False  # a protection rule: its reason is withheld from the receiving state


MINOR = years_ago(15)
BARS = [
    Bar(
        "us-citizen",
        "us/citizen",
        "A US citizen or national is never removed",
        SV_FELON,
        {"status": "citizen"},
        {"status": "citizen"},
    ),
    Bar(
        "legal-hold",
        "us/legal-hold",
        "A stay of removal, court order or pending habeas petition is recorded",
        SV_FELON,
        {"legal_hold": "true"},
        {"legal_hold": True},
    ),
    Bar(
        "minor-to-prison",
        "placement/minor",
        "Under 18 on",
        VE_FELON,
        {"date_of_birth": MINOR.isoformat()},
        {"date_of_birth": MINOR},
    ),
    Bar(
        "protected-from-own-country",
        "us/withholding",
        "Withholding or CAT protection was granted for SV",
        SV_FELON,
        {"protection": "withholding_granted", "protection_countries": "SV"},
        {"protection": "withholding_granted", "protection_countries": ["SV"]},
        protection=True,
    ),
    Bar(
        "allegation-only",
        "agreement/covered",
        "falls under none of the clauses",
        VE_FELON,
        {"conviction": "none", "gang": "ms13", "gang_basis": "allegation"},
        {"conviction": "none", "gang": "ms13", "gang_basis": "allegation"},
    ),
]
BAR_IDS = [b.name for b in BARS]
# Words of the protection reason a receiving officer must never read (the reason, and the fact it rests on).
PROTECTION_WORDS = ("Withholding or CAT", "withholding_granted", "withholding granted")

ACTOR = {
    "submit": "officer",
    "send_back": "reviewer",
    "approve": "reviewer",
    "refer": "officer",
    "accept": "salvador",
    "reject": "salvador",
    "schedule": "officer",
    "depart": "officer",
    "hand_over": "salvador",
    "close": "officer",
    "withdraw": "officer",
    "rescreen": "officer",
}
WALK = ("submit", "approve", "refer", "accept")
REACHED_BY = {"blocked": (), "approved": WALK[:2], "referred": WALK[:3], "accepted": WALK}

# What each stage is tried with: (step, expected) in order. "rule": refused by the bar, naming it;
# "state": refused because the case is not there yet (a jump ahead); "hidden": a case the
# receiving state has not been sent is not even found; "movement": a step only a movement takes
# (schedule, depart, hand over), refused as such on one case whatever its state.
ATTEMPTS: dict[str, list[tuple[str, str]]] = {
    "blocked": [("submit", "state"), ("refer", "state"), ("schedule", "movement"), ("accept", "hidden")],
    "approved": [("refer", "rule"), ("schedule", "movement"), ("depart", "movement"), ("accept", "hidden")],
    "referred": [("accept", "rule"), ("schedule", "movement"), ("hand_over", "movement"), ("close", "state")],
    "accepted": [("schedule", "movement"), ("depart", "movement"), ("hand_over", "movement"), ("close", "state")],
}
VIA_MOVEMENT_WORDS = "is taken with a movement, never on one case"
STAGES = list(ATTEMPTS)


# --- the paths ----------------------------------------------------------------------------------


@dataclass
class Answer:
    outcome: str  # "done", "refused" or "hidden"
    message: str  # what the caller is told about the step
    seen: str  # everything the caller receives (for what must not leak)
    rules: list[dict[str, str]] | None = None  # the API's stopping rules


class Web:
    """The pages, through Django's test client, one logged-in client per user."""

    name = "web"

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self.clients: dict[str, Client] = {}

    def client(self, who: str) -> Client:
        if who not in self.clients:
            self.clients[who] = Client()
            self.clients[who].force_login(self.users[who])
        return self.clients[who]

    def step(self, who: str, case_id: int, step: str, reason: str = "") -> Answer:
        client = self.client(who)
        response = client.post(f"/cases/{case_id}/step/", {"step": step, "reason": reason})
        if response.status_code == 404:
            return Answer("hidden", "", response.content.decode())
        assert response.status_code == 302, response
        told = list(get_messages(response.wsgi_request))
        message = " ".join(str(m) for m in told)
        page = client.get(response.url)
        assert page.status_code == 200
        refused = any(m.level_tag == "error" for m in told)
        return Answer("refused" if refused else "done", message, message + page.content.decode())


class Cli:
    """``accord case step`` in process, against the test database, signed in with the user's token."""

    name = "cli"

    def __init__(self, tokens: dict[str, str]) -> None:
        self.runner, self.tokens = CliRunner(), tokens

    def step(self, who: str, case_id: int, step: str, reason: str = "") -> Answer:
        args = ["case", "step", str(case_id), step, *(["--reason", reason] if reason else [])]
        result = self.runner.invoke(app, args, env={"ACCORD_TOKEN": self.tokens[who]})
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        text = " ".join(result.output.split())  # Rich wraps long lines
        if result.exit_code == 0:
            return Answer("done", text, text)
        if result.exit_code == 2:  # a usage error (a step never taken on one case), in Rich's box
            text = " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())
            return Answer("refused", text, text)
        assert result.exit_code == 1, text
        return Answer("hidden" if f"no case {case_id}" in text else "refused", text, text)


class Api:
    """``POST /api/v1/cases/{id}/steps`` over real HTTP with the user's bearer token."""

    name = "api"

    def __init__(self, url: str, tokens: dict[str, str]) -> None:
        self.url, self.tokens = url, tokens
        self.clients: dict[str, httpx.Client] = {}

    def client(self, who: str) -> httpx.Client:
        if who not in self.clients:
            headers = {"Authorization": f"Bearer {self.tokens[who]}"}
            self.clients[who] = httpx.Client(base_url=f"{self.url}/api/v1", headers=headers, timeout=60)
        return self.clients[who]

    def step(self, who: str, case_id: int, step: str, reason: str = "") -> Answer:
        response = self.client(who).post(f"/cases/{case_id}/steps", json={"step": step, "reason": reason})
        assert response.headers["content-type"].startswith("application/json"), response.text
        if response.status_code == 200:
            return Answer("done", "", response.text)
        if response.status_code == 404:
            return Answer("hidden", response.json()["message"], response.text)
        if response.status_code == 422:  # bad input: a step never taken on one case
            return Answer("refused", response.json()["message"], response.text)
        assert response.status_code == 409, response.text
        body = response.json()
        return Answer("refused", body["message"], response.text, body["rules"])

    def close(self) -> None:
        for c in self.clients.values():
            c.close()


Driver = Web | Cli | Api


# --- setting cases up -----------------------------------------------------------------------------


@pytest.fixture
def staff(users: dict[str, User], facilities: None) -> dict[str, User]:
    return users


@pytest.fixture
def cli(tokens: dict[str, str]) -> Cli:
    return Cli(tokens)


def walk(case_id: int, staff: dict[str, User], steps: tuple[str, ...]) -> Case:
    case = Case.objects.get(pk=case_id)
    for step in steps:
        case = take(case_id, step, staff[ACTOR[step]], **options_for(step))
    return case


def barred_case(bar: Bar, stage: str, staff: dict[str, User], make_person: Callable[..., Person], pid: str) -> Case:
    """A case that got as far as it lawfully could: opened with the bar present (``blocked``), or
    walked to the stage while clean and then barred by a raw update behind the workflow's back."""
    if stage == "blocked":
        case = open_case(make_person(pid, **{**bar.base, **bar.cells}), "us-sv-2025", user=staff["officer"])
        assert case.state == "blocked" and bar.rule in case.failing_rules.split(";")
        return case
    person = make_person(pid, **bar.base)
    case = open_case(person, "us-sv-2025", user=staff["officer"])
    # Movable but for the receiving state's legal basis to detain, which the approval records.
    assert (case.state, case.outcome, case.placement, case.failing_rules) == (
        "screened",
        "review",
        "prison",
        "placement/legal-basis",
    )
    case = walk(case.pk, staff, REACHED_BY[stage])
    assert case.state == stage
    if stage == "accepted":
        reservation = live_reservation(case.pk)
        assert reservation is not None and (reservation.status, reservation.facility.code) == ("held", "cecot")  # type: ignore[union-attr]
    Person.objects.filter(pk=person.pk).update(**bar.raw)
    return case


def snapshot(case_id: int) -> dict[str, Any]:
    """Everything a refused attempt must leave as it was."""
    case = Case.objects.get(pk=case_id)
    return {
        "case": {
            f: getattr(case, f)
            for f in (
                "state",
                "outcome",
                "placement",
                "failing_rules",
                "screened_on",
                "approved_by_id",
                "referral",
                "scheduled_for",
                "state_changed_at",
            )
        },
        "reservations": list(Reservation.objects.order_by("pk").values_list("pk", "case_id", "facility_id", "status")),
        "holds": list(LegalHold.objects.order_by("pk").values_list("pk", "lifted_at")),
        "audit_events": AuditEvent.objects.count(),
        "person": Person.objects.filter(pk=case.person_id).values().get(),
    }


RETURNED_WORDS = "has been returned to the sending state for review"


def check_refused(answer: Answer, expected: str, bar: Bar, who: str, case_id: int, driver: Driver) -> None:
    """The attempt was refused, and said so in the way a caller relies on."""
    assert answer.outcome in ("refused", "hidden"), answer
    if who == "salvador":  # never a rule, a reason or a citation: the words are the same for every bar
        assert bar.rule not in answer.seen and bar.reason not in answer.seen, answer.seen[:500]
        for words in PROTECTION_WORDS:
            assert words not in answer.seen, f"protection reason shown to the receiving state: {answer.seen[:500]}"
    if expected == "hidden":
        if driver.name != "cli":  # the command line's answer: test_the_cli_hides_... below
            assert answer.outcome == "hidden"  # a 404, as for a case that does not exist
        if driver.name == "api":
            assert answer.message == f"no case {case_id} that you may see"
        return
    assert answer.outcome == "refused"
    if expected == "movement":
        assert VIA_MOVEMENT_WORDS in answer.message, answer.message
        return
    returned = who == "salvador" and Case.objects.get(pk=case_id).state not in REFERRED
    if expected == "state":
        assert (RETURNED_WORDS if returned else "Cannot") in answer.message, answer.message
        return
    # expected == "rule": the bar itself stopped it
    if who == "salvador":
        assert returned and RETURNED_WORDS in answer.message, answer.message
        assert answer.rules in (None, [])
        return
    assert "barred" in answer.message and "The case is now blocked" in answer.message, answer.message
    assert bar.rule in answer.message and bar.reason in answer.message, answer.message
    if answer.rules is not None:
        stopping = {r["rule_id"]: r for r in answer.rules}
        assert set(stopping) == {bar.rule}
        assert stopping[bar.rule]["result"] == "barred" and stopping[bar.rule]["citation"]
        assert bar.reason in stopping[bar.rule]["reason"]


def try_everything(driver: Driver, bar: Bar, stage: str, case: Case, staff: dict[str, User]) -> None:
    state = stage
    for step, expected in ATTEMPTS[stage]:
        who = ACTOR[step]
        before = snapshot(case.pk)
        answer = driver.step(who, case.pk, step, reason="pushing on")
        check_refused(answer, expected, bar, who, case.pk, driver)
        stored = Case.objects.get(pk=case.pk)
        if expected == "rule":
            # The step's screening found the bar: refused, and the case blocked with its place given
            # back, as the system's act (a transaction of its own), naming who found it.
            assert stored.state == "blocked" and bar.rule in stored.failing_rules.split(";")
            assert live_reservation(case.pk) is None
            last = AuditEvent.objects.filter(object_type="case", object_id=str(case.pk)).order_by("-seq").first()
            assert last is not None and (last.action, last.actor_role) == ("case.block", "system")
            assert f"found when {who} tried to" in last.reason
            state = "blocked"
        else:
            assert snapshot(case.pk) == before, f"{step} by {who} changed something"
            assert stored.state == state  # never a step nearer the border
    if stage == "blocked":
        # Screening again is allowed, and applies the same rules: the case stays blocked.
        answer = driver.step("officer", case.pk, "rescreen")
        assert answer.outcome == "done", answer
        stored = Case.objects.get(pk=case.pk)
        assert stored.state == "blocked" and bar.rule in stored.failing_rules.split(";")
        assert not Reservation.objects.filter(case=case).exists()


# --- the matrix: bar x stage x path -----------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("bar", BARS, ids=BAR_IDS)
@pytest.mark.parametrize("path", ["web", "cli"])
def test_a_barred_case_cannot_move_on(
    staff: dict[str, User], make_person: Callable[..., Person], cli: Cli, bar: Bar, stage: str, path: str
) -> None:
    case = barred_case(bar, stage, staff, make_person, "S1")
    driver: Driver = Web(staff) if path == "web" else cli
    try_everything(driver, bar, stage, case, staff)


@pytest.fixture
def api(live_server: Any, tokens: dict[str, str]) -> Iterator[Api]:
    driver = Api(live_server.url, tokens)
    yield driver
    driver.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("bar", BARS, ids=BAR_IDS)
def test_a_barred_case_cannot_move_on_over_the_api(
    staff: dict[str, User], make_person: Callable[..., Person], api: Api, bar: Bar, stage: str
) -> None:
    case = barred_case(bar, stage, staff, make_person, "S1")
    try_everything(api, bar, stage, case, staff)


def test_a_refusal_shows_the_protection_reason_to_those_who_may_see_it(
    staff: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """The other side of 8 C.F.R. §208.6: the sending state's own staff read the reason in full."""
    bar = next(b for b in BARS if b.protection)
    case = barred_case(bar, "approved", staff, make_person, "S1")
    answer = Web(staff).step("officer", case.pk, "refer")
    assert answer.outcome == "refused"
    assert bar.rule in answer.message and bar.reason in answer.message and "1231(b)(3)" in answer.message


@pytest.mark.parametrize("path", ["web", "cli"])
def test_a_refusal_tells_the_receiving_state_nothing_of_the_reason(
    staff: dict[str, User], make_person: Callable[..., Person], cli: Cli, path: str
) -> None:
    bar = next(b for b in BARS if b.protection)
    case = barred_case(bar, "referred", staff, make_person, "S1")
    driver: Driver = Web(staff) if path == "web" else cli
    answer = driver.step("salvador", case.pk, "accept")
    assert answer.outcome == "refused" and RETURNED_WORDS in answer.message
    for words in ("withholding", "withheld", "barred", "8 c.f.r.", "us/"):
        assert words not in answer.message.lower()


def test_the_cli_hides_an_unreferred_case_from_the_receiving_state(
    staff: dict[str, User], make_person: Callable[..., Person], cli: Cli
) -> None:
    case = barred_case(BARS[0], "approved", staff, make_person, "S1")
    answer = cli.step("salvador", case.pk, "accept")
    assert answer.outcome == "hidden", answer.message


# --- a legal hold on file ---------------------------------------------------------------------------


def court_order() -> ContentFile[bytes]:
    return ContentFile(b"ORDER: removal of the petitioner is stayed pending the habeas petition.", name="stay.txt")


@pytest.fixture
def held(staff: dict[str, User], make_person: Callable[..., Person]) -> Case:
    """An accepted case (a CECOT place held) whose person then gets a stay of removal on file."""
    person = make_person("H1", **SV_FELON)
    case = walk(open_case(person, "us-sv-2025", user=staff["officer"]).pk, staff, WALK)
    file_hold(person, kind="stay_of_removal", reference="25-cv-0117", document=court_order(), user=staff["officer"])
    case.refresh_from_db()
    assert (case.state, case.held_from) == ("on_hold", "accepted")
    assert live_reservation(case.pk) is None
    return case


FORWARD = [s for s in ACTOR if s != "withdraw"]  # withdrawing is giving up the move: a hold allows it


def try_every_step_on_hold(driver: Driver, case: Case) -> None:
    for step in FORWARD:
        before = snapshot(case.pk)
        answer = driver.step(ACTOR[step], case.pk, step, reason="the hold is wrong")
        assert answer.outcome in ("refused", "hidden"), (step, answer)
        assert snapshot(case.pk) == before, f"{step} changed something"
    stored = Case.objects.get(pk=case.pk)
    assert stored.state == "on_hold" and LegalHold.objects.get().active


@pytest.mark.parametrize("path", ["web", "cli"])
def test_a_case_on_hold_takes_no_step(staff: dict[str, User], held: Case, cli: Cli, path: str) -> None:
    try_every_step_on_hold(Web(staff) if path == "web" else cli, held)


@pytest.mark.django_db(transaction=True)
def test_a_case_on_hold_takes_no_step_over_the_api(staff: dict[str, User], held: Case, api: Api) -> None:
    try_every_step_on_hold(api, held)
    # A new case for the held person is opened blocked, naming the hold.
    case_steps.withdraw(held.pk, user=staff["officer"], reason="superseded")
    response = api.client("officer").post("/cases", json={"person_id": "H1", "agreement_id": "us-sv-2025"})
    assert response.status_code == 201, response.text
    assert (response.json()["state"], response.json()["failing_rules"]) == (
        "blocked",
        ["us/legal-hold", "placement/legal-basis"],
    )


def test_a_new_case_for_a_person_with_a_hold_opens_blocked(
    staff: dict[str, User], held: Case, client: Client, cli: Cli
) -> None:
    case_steps.withdraw(held.pk, user=staff["officer"], reason="superseded")
    client.force_login(staff["officer"])
    response = client.post("/cases/new/", {"person_id": "H1", "agreement_id": "us-sv-2025"})
    assert response.status_code == 302
    new = Case.objects.exclude(pk=held.pk).get()
    assert response.url == f"/cases/{new.pk}/"
    assert (new.state, new.outcome, new.failing_rules) == ("blocked", "barred", "us/legal-hold;placement/legal-basis")
    assert cli.step("officer", new.pk, "submit").outcome == "refused"
    assert Case.objects.get(pk=new.pk).state == "blocked"


# --- bulk import --------------------------------------------------------------------------------------


def csv_of(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "people.csv"
    write_people(people_from_dicts([{**CLEAN, **row} for row in rows]), path)
    return path


def run_import(path: str, file: Path, staff: dict[str, User], token: str = "") -> tuple[bool, str]:
    """Import through the upload page or ``accord import``: (accepted, what the user is told)."""
    if path == "web":
        client = Client()
        client.force_login(staff["officer"])
        upload = SimpleUploadedFile(file.name, file.read_bytes(), content_type="text/csv")
        response = client.post("/people/import/", {"file": upload})
        if response.status_code == 302:
            return True, " ".join(str(m) for m in get_messages(response.wsgi_request))
        assert response.status_code == 400
        return False, response.content.decode()
    result = CliRunner().invoke(app, ["import", str(file), "--reason", "monthly file"], env={"ACCORD_TOKEN": token})
    text = " ".join(result.output.split())
    assert result.exit_code in (0, 1), text
    return result.exit_code == 0, text


@pytest.mark.parametrize("bar", BARS, ids=BAR_IDS)
@pytest.mark.parametrize("path", ["web", "cli"])
def test_an_import_that_bars_a_person_blocks_their_case_and_frees_the_place(
    staff: dict[str, User], make_person: Callable[..., Person], tmp_path: Path, cli: Cli, bar: Bar, path: str
) -> None:
    person = make_person("I1", **bar.base)
    case = walk(open_case(person, "us-sv-2025", user=staff["officer"]).pk, staff, WALK)
    assert live_reservation(case.pk) is not None
    file = csv_of(tmp_path, [{"person_id": "NEW1"}, {"person_id": "I1", **bar.base, **bar.cells}])
    accepted, told = run_import(path, file, staff, cli.tokens["officer"])
    assert accepted, told
    assert "1 created, 1 updated" in told
    stored = Case.objects.get(pk=case.pk)
    assert stored.state == "blocked" and stored.outcome == "barred"
    assert bar.rule in stored.failing_rules.split(";")
    assert live_reservation(case.pk) is None
    assert Reservation.objects.get(case=case).status == "cancelled"
    assert "case.block" in AuditEvent.objects.filter(object_type="case", object_id=str(case.pk)).values_list(
        "action", flat=True
    )
    # And from there it goes nowhere.
    before = snapshot(case.pk)
    driver: Driver = Web(staff) if path == "web" else cli
    assert driver.step("officer", case.pk, "schedule").outcome == "refused"
    assert snapshot(case.pk) == before


@pytest.mark.parametrize("path", ["web", "cli"])
def test_an_import_that_clears_a_hold_is_refused_by_row_and_nothing_is_imported(
    staff: dict[str, User], held: Case, make_person: Callable[..., Person], tmp_path: Path, cli: Cli, path: str
) -> None:
    make_person("I2", family_name="Before")
    file = csv_of(
        tmp_path,
        [
            {"person_id": "NEW1"},
            {"person_id": "I2", "family_name": "After"},
            {"person_id": "H1", **SV_FELON, "legal_hold": "false"},
        ],
    )
    before = snapshot(held.pk)
    people_before = list(Person.objects.order_by("pk").values())
    accepted, told = run_import(path, file, staff, cli.tokens["officer"])
    assert not accepted
    assert "row 3" in told and "legal_hold" in told and "lift the hold instead" in told
    if path == "cli":
        assert "nothing was imported" in told
    assert list(Person.objects.order_by("pk").values()) == people_before  # NEW1 and I2's change too
    assert snapshot(held.pk) == before
    assert Person.objects.get(person_id="H1").legal_hold is True


# --- the admin ----------------------------------------------------------------------------------------


@pytest.fixture
def administrator(staff: dict[str, User]) -> Client:
    client = Client()
    client.force_login(staff["admin"])
    return client


@pytest.mark.parametrize("bar", BARS, ids=BAR_IDS)
def test_the_admin_cannot_push_a_barred_case_or_touch_its_place(
    staff: dict[str, User], make_person: Callable[..., Person], administrator: Client, bar: Bar
) -> None:
    """Cases, places and people are not in the admin at all: they change through their use cases."""
    case = barred_case(bar, "accepted", staff, make_person, "A1")
    reservation = live_reservation(case.pk)
    assert reservation is not None
    attempts = [
        (f"/admin/cases/case/{case.pk}/change/", {"state": "scheduled", "outcome": "eligible"}),
        (f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"}),
        ("/admin/cases/case/add/", {"person": case.person_id, "agreement_id": "us-sv-2025"}),
        (f"/admin/capacity/reservation/{reservation.pk}/change/", {"status": "occupied"}),
        (f"/admin/capacity/reservation/{reservation.pk}/delete/", {"post": "yes"}),
        ("/admin/capacity/reservation/add/", {"case": case.pk, "status": "held"}),
        ("/admin/capacity/reservation/", {"action": "delete_selected", "_selected_action": [reservation.pk]}),
    ]
    for url, data in attempts:
        before = snapshot(case.pk)
        assert administrator.post(url, data).status_code == 404, url
        assert snapshot(case.pk) == before, url
    for url in (f"/admin/people/person/{case.person_id}/change/", f"/admin/cases/case/{case.pk}/change/"):
        assert administrator.get(url).status_code == 404, url
    # Nor through the pages, the API or the command line: the administrator takes no step.
    assert actions_refused_to_the_admin(case, staff)


def actions_refused_to_the_admin(case: Case, staff: dict[str, User]) -> bool:
    for step in ACTOR:
        before = snapshot(case.pk)
        try:
            case_steps.take_step(case.pk, step, user=staff["admin"], reason="as administrator")
        except errors.CaseError as err:
            assert "may not" in str(err) or VIA_MOVEMENT_WORDS in str(err), err
        else:
            return False
        assert snapshot(case.pk) == before
    # Nor may the administrator put the case on a movement (which would schedule it).
    movement = flight(staff["officer"])
    before = snapshot(case.pk)
    with pytest.raises(PermissionDenied):
        moves.add_to_movement(movement.pk, [case.pk], user=staff["admin"])
    assert snapshot(case.pk) == before and not ManifestEntry.objects.filter(case=case).exists()
    return True


def test_the_admin_can_neither_lift_nor_file_nor_delete_a_hold(
    staff: dict[str, User], held: Case, administrator: Client
) -> None:
    hold = LegalHold.objects.get()
    for url, data in (
        (f"/admin/holds/legalhold/{hold.pk}/delete/", {"post": "yes"}),
        (f"/admin/holds/legalhold/{hold.pk}/change/", {"lifted_at": "2025-01-01 00:00", "lift_reason": "admin"}),
        (f"/admin/cases/case/{held.pk}/change/", {"state": "accepted"}),
    ):
        before = snapshot(held.pk)
        assert administrator.post(url, data).status_code == 404, url
        assert snapshot(held.pk) == before, url
    before = snapshot(held.pk)
    assert administrator.post(f"/holds/{hold.pk}/lift/", {"reason": "the admin says so"}).status_code == 403
    document = SimpleUploadedFile("stay.txt", b"ORDER", content_type="text/plain")
    filing = {"kind": "court_order", "reference": "X-1", "document": document}
    assert administrator.post(f"/holds/person/{held.person.person_id}/", filing).status_code == 403
    assert snapshot(held.pk) == before
    assert LegalHold.objects.get().active and Case.objects.get(pk=held.pk).state == "on_hold"


# --- never a prison without a conviction, never a prison for a child ---------------------------------


@pytest.mark.parametrize(
    "facts",
    [
        pytest.param({"gang": "ms13", "gang_basis": "allegation"}, id="ms13-by-allegation"),
        pytest.param({"date_of_birth": MINOR.isoformat(), "conviction": "felony"}, id="minor-felon"),
    ],
)
def test_a_salvadoran_with_an_allegation_or_a_child_is_received_never_imprisoned(
    staff: dict[str, User], make_person: Callable[..., Person], facts: dict[str, str]
) -> None:
    """El Salvador's own nationals are covered either way, so these are not bars: the rules send
    them to reception, and no CECOT place is ever claimed for them."""
    case = open_case(make_person("N1", **facts), "us-sv-2025", user=staff["officer"])
    assert (case.state, case.placement) == ("screened", "reception")
    case = walk(case.pk, staff, WALK)
    assert (case.state, case.placement) == ("accepted", "reception")
    assert case.referral is not None
    assert (case.referral["placement"], case.referral["facility"], case.referral["conviction"]) == (
        "reception",
        None,
        None,
    )
    assert not Reservation.objects.filter(facility__code="cecot").exists()


LOST_GROUND = [
    pytest.param({"conviction": "none", "gang": "ms13", "gang_basis": "allegation"}, id="conviction-vacated"),
    pytest.param({"date_of_birth": MINOR}, id="found-to-be-a-minor"),
]


@pytest.mark.parametrize("raw", LOST_GROUND)
def test_a_prison_referral_that_loses_its_ground_is_returned_and_never_claims_a_cecot_place(
    staff: dict[str, User], make_person: Callable[..., Person], raw: dict[str, Any]
) -> None:
    """Referred for CECOT as a convicted adult; the facts then change behind the workflow's back
    and El Salvador answers the referral. Its acceptance is refused in the neutral words, the
    referral is void, and only a new referral of the new record can be accepted: to reception."""
    person = make_person("N2", **SV_FELON)
    case = walk(open_case(person, "us-sv-2025", user=staff["officer"]).pk, staff, WALK[:3])
    assert case.referral is not None and (case.referral["placement"], case.referral["facility"]) == ("prison", "cecot")
    Person.objects.filter(pk=person.pk).update(**raw)
    answer = Web(staff).step("salvador", case.pk, "accept")
    assert answer.outcome == "refused" and RETURNED_WORDS in answer.message
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.placement) == ("approved", "reception")
    assert not Reservation.objects.filter(facility__code="cecot").exists()
    # Referred again, the receiving state is sent the new record and accepts that.
    stored = walk(case.pk, staff, ("refer", "accept", "schedule", "depart", "hand_over"))
    assert stored.referral is not None
    assert (stored.referral["placement"], stored.referral["facility"], stored.referral["conviction"]) == (
        "reception",
        None,
        None,
    )
    assert (stored.state, stored.placement) == ("handed_over", "reception")
    assert not Reservation.objects.filter(facility__code="cecot").exists()
