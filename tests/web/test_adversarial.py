"""The holes an adversarial review of the running demo found (issue #9), each tried again the way
it was found: a record changed after acceptance, a receiving officer reading a protection claim
into what they are shown, an administrator acting as someone else or reading what staff rights
would show, person ids no address can carry, a shell user acting under typed names, and the
smaller ones (formula cells, deep JSON, lockouts)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from typer.testing import CliRunner

from accord.accounts.models import ApiToken, Role, User
from accord.audit.selectors import history
from accord.capacity.models import Reservation
from accord.capacity.selectors import live_reservation
from accord.cases import errors
from accord.cases import steps as case_steps
from accord.cases.models import Case, Participation
from accord.cases.services import open_case
from accord.cli import app
from accord.holds.models import LegalHold
from accord.holds.services import file_hold, lift_hold
from accord.movements import services as moves
from accord.people.models import Person
from accord.people.services import update_person
from tests.web.conftest import BASIS, CLEAN, PASSWORD, options_for
from tests.web.moving import entry_of, flight, ready, take

ACTOR = {
    "submit": "officer",
    "approve": "reviewer",
    "refer": "officer",
    "accept": "salvador",
    "schedule": "officer",
    "depart": "officer",
    "hand_over": "salvador",
    "close": "officer",
}
TO_ACCEPTED = ("submit", "approve", "refer", "accept")
RETURNED = "has been returned to the sending state for review"


@pytest.fixture
def crew(users: dict[str, User], facilities: None) -> dict[str, User]:
    caracas = User.objects.create_user(username="caracas", role=Role.RECEIVING_OFFICER, receiving_state="VE")
    return {**users, "caracas": caracas}


def walk(case_id: int, crew: dict[str, User], steps: tuple[str, ...], receiver: str = "salvador") -> Case:
    case = Case.objects.get(pk=case_id)
    for step in steps:
        who = receiver if ACTOR[step] == "salvador" else ACTOR[step]
        case = take(case_id, step, crew[who], **options_for(step))
    return case


def years_ago(years: int) -> str:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


def cecot_places() -> list[str]:
    return list(Reservation.objects.filter(facility__code="cecot").values_list("status", flat=True))


# --- 1. what was accepted is what moves -------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"conviction": "none"}, id="conviction-vacated"),
        pytest.param({"date_of_birth": years_ago(11)}, id="found-to-be-11"),
    ],
)
def test_a_cecot_case_whose_record_changes_after_acceptance_is_returned_and_its_place_given_back(
    crew: dict[str, User], make_person: Callable[..., Person], change: dict[str, str]
) -> None:
    person = make_person("C1", conviction="felony")  # a Salvadoran felon: CECOT
    case = walk(open_case(person, "us-sv-2025", user=crew["officer"]).pk, crew, TO_ACCEPTED)
    assert cecot_places() == ["held"]
    update_person(person, change, user=crew["officer"], reason="court record")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.placement) == ("approved", "reception")  # referral and acceptance void
    assert cecot_places() == ["cancelled"]
    assert history("case", str(case.pk))[-1].action == "case.return"
    # Nothing moves on the old acceptance: it cannot be put on a movement, which would schedule it.
    with pytest.raises(errors.Refused, match="only an accepted case can be put on a movement"):
        moves.add_to_movement(flight(crew["officer"]).pk, [case.pk], user=crew["officer"])
    # The receiving state is told, in neutral words, and may not accept the old record either.
    salvador = Client()
    salvador.force_login(crew["salvador"])
    page = salvador.get(f"/cases/{case.pk}/").content.decode()
    assert RETURNED in page and "prison" in page  # the record it holds, and that it is void
    with pytest.raises(errors.Refused, match=RETURNED):
        case_steps.accept(case.pk, user=crew["salvador"])
    # Referred and accepted again, the person moves as the new record says, with no CECOT place.
    moved = walk(case.pk, crew, ("refer", "accept", "schedule", "depart", "hand_over"))
    assert (moved.state, moved.placement, moved.referral["placement"]) == ("handed_over", "reception", "reception")  # type: ignore[index]
    assert cecot_places() == ["cancelled"]


def test_a_reception_case_that_becomes_a_prison_case_is_returned_and_then_holds_a_place(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    person = make_person("C2")  # a Salvadoran without a conviction: reception, no place
    case = walk(open_case(person, "us-sv-2025", user=crew["officer"]).pk, crew, TO_ACCEPTED)
    assert (case.placement, cecot_places()) == ("reception", [])
    update_person(person, {"conviction": "violent_felony"}, user=crew["officer"], reason="conviction entered")
    # A prison placement now, which the approval never answered: back to the legal reviewer, who
    # must record El Salvador's legal basis to detain before it can be referred again.
    assert Case.objects.get(pk=case.pk).state == "legal_review"
    with pytest.raises(errors.StepOptionError, match="legal basis"):
        case_steps.approve(case.pk, user=crew["reviewer"], reason="conviction confirmed")
    moved = walk(case.pk, crew, ("approve", "refer", "accept", "schedule", "depart", "hand_over"))
    assert moved.referral["legal_basis"] == {"kind": "court_order", "reference": BASIS["basis_reference"]}  # type: ignore[index]
    assert (moved.placement, moved.referral["facility"], moved.referral["conviction"]) == (  # type: ignore[index]
        "prison",
        "cecot",
        "violent_felony",
    )
    assert cecot_places() == ["occupied"]  # counted against the 40,000


def test_a_handover_that_finds_the_record_changed_behind_its_back_returns_the_case(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """A change the workflow did not see (a raw update, a data fix) while the person is in the air
    is found by the handover's own screening: the handover is refused at the airport in the
    neutral words, the case goes back with its place freed, and the entry stays flagged."""
    person = make_person("C3", conviction="felony")
    case = walk(open_case(person, "us-sv-2025", user=crew["officer"]).pk, crew, (*TO_ACCEPTED, "schedule", "depart"))
    Person.objects.filter(pk=person.pk).update(conviction="none")
    entry = entry_of(case)
    moves.record_arrival(entry.movement_id, user=crew["salvador"])
    with pytest.raises(errors.Refused, match="Do not receive C3") as refused:
        moves.hand_over(entry.pk, user=crew["salvador"], place="CECOT", official="Cmdr. R. Flores")
    assert "conviction" not in str(refused.value) and "placement" not in str(refused.value)  # nothing of why
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, live_reservation(case.pk), cecot_places()) == ("approved", None, ["cancelled"])
    event = history("case", str(case.pk))[-1]
    assert (event.action, event.actor_role) == ("case.return", "system")
    assert "placement" in event.reason and "found at handover by salvador" in event.reason
    flagged = entry_of(case)
    assert (flagged.status, flagged.stopped_after_departure, flagged.flagged) == ("on", True, True)
    # The receiving officer records the person as not handed over; nobody is silently dropped.
    done = moves.not_handed_over(flagged.pk, user=crew["salvador"], reason="returned_with_escort")
    assert done.status == "not_handed_over" and Case.objects.get(pk=case.pk).state == "approved"


def test_a_refused_departure_returns_the_case_whose_record_changed_and_says_why(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """The departure's bulk validation finds a record changed since acceptance: departure is
    refused naming the field, and the case is returned then and there, off the manifest, its
    place freed. The others on the flight are not touched and it can then depart without it."""
    changed = walk(
        open_case(make_person("C5", conviction="felony"), "us-sv-2025", user=crew["officer"]).pk,
        crew,
        (*TO_ACCEPTED, "schedule"),
    )
    other = walk(
        open_case(make_person("C6", conviction="felony"), "us-sv-2025", user=crew["officer"]).pk, crew, TO_ACCEPTED
    )
    movement_id = entry_of(changed).movement_id
    for entry in moves.add_to_movement(movement_id, [other.pk], user=crew["officer"]):
        ready(entry, crew["officer"])
    Person.objects.filter(person_id="C5").update(family_name="Other")
    with pytest.raises(errors.Refused, match="family_name") as refused:
        moves.depart(movement_id, user=crew["officer"])
    assert "Returned to the sending state for review, off the manifest: C5" in str(refused.value)
    stored = Case.objects.get(pk=changed.pk)
    assert (stored.state, stored.scheduled_for, live_reservation(changed.pk)) == ("approved", None, None)
    assert entry_of(changed).status == "removed"
    assert Case.objects.get(pk=other.pk).state == "scheduled"
    assert moves.depart(movement_id, user=crew["officer"]).status == "departed"
    assert Case.objects.get(pk=other.pk).state == "in_transit"


def test_a_move_does_not_depart_on_a_day_on_which_the_accepted_placement_no_longer_holds(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """A Salvadoran felon aged 17 is accepted for reception; on his 18th birthday the rules would
    place him in prison, which is not what El Salvador accepted: a flight after his birthday is
    refused and returns the case; a flight before it leaves."""
    today = timezone.localdate()
    birthday = today + dt.timedelta(days=10)
    born = birthday.replace(year=birthday.year - 18).isoformat()
    case = walk(
        open_case(make_person("C4", conviction="felony", date_of_birth=born), "us-sv-2025", user=crew["officer"]).pk,
        crew,
        TO_ACCEPTED,
    )
    assert case.placement == "reception"
    late_day = birthday + dt.timedelta(days=1)
    late = flight(crew["officer"], on=late_day)
    ready(moves.add_to_movement(late.pk, [case.pk], user=crew["officer"])[0], crew["officer"])
    found = moves.validate_movement(late.pk, user=crew["officer"])
    assert [p.code for p in found if p.code != "fitness"] == ["not_eligible"], found  # fitness: 11 days early
    # On that day he is an adult felon: a prison placement, whose legal basis nobody recorded.
    assert f"on {late_day}" in found[0].message and "placement/legal-basis" in found[0].message
    moves.remove_from_movement(late.pk, case.pk, user=crew["officer"], reason="flight after his birthday")
    soon = flight(crew["officer"], on=today + dt.timedelta(days=3))
    ready(moves.add_to_movement(soon.pk, [case.pk], user=crew["officer"])[0], crew["officer"])
    assert moves.validate_movement(soon.pk, user=crew["officer"]) == []
    assert Case.objects.get(pk=case.pk).state == "scheduled"


# --- 2. indistinguishable to the receiving state ----------------------------------------------------


def _normalize(text: str, case_id: int, person_id: str) -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    text = re.sub(r'"X-CSRFToken": "[^"]+"', "", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2}[T ][0-9:.+Z]+", "<time>", text)
    # The case's number where pages, messages and JSON print it (not every digit that matches it).
    for before, after in (("cases/", r"\b"), ("[Cc]ase ", r"\b"), ('"id": ?', r"\b"), ('">', "</a>")):
        text = re.sub(f"({before}){case_id}({after})", r"\1<case>\2", text)
    return text.replace(person_id, "<person>")


def _seen_by_caracas(
    case_id: int, person_id: str, crew: dict[str, User], tokens: dict[str, str], url: str
) -> list[str]:
    """Everything Caracas gets about the case: its page, list and queue; the API's case, list and
    steps; and the refusal of an acceptance on the page, the API and the command line."""
    client = Client()
    client.force_login(crew["caracas"])
    seen = [client.get(f"/cases/{case_id}/").content.decode()]
    seen.append(client.get(f"/cases/?q={person_id}").content.decode())
    response = client.post(f"/cases/{case_id}/step/", {"step": "accept"}, follow=True)
    seen.append(" ".join(str(m) for m in response.context["messages"]))
    api = httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {tokens['caracas']}"})
    seen.append(api.get(f"/cases/{case_id}").text)
    seen.append(api.get("/cases", params={"q": person_id}).text)
    seen.append(api.get(f"/cases/{case_id}/steps").text)
    seen.append(api.post(f"/cases/{case_id}/steps", json={"step": "accept"}).text)
    api.close()
    result = CliRunner().invoke(app, ["case", "step", str(case_id), "accept"], env={"ACCORD_TOKEN": tokens["caracas"]})
    seen.append(" ".join(result.output.split()))
    return [_normalize(s, case_id, person_id) for s in seen]


@pytest.mark.django_db(transaction=True)
def test_a_protection_claim_and_a_pending_order_look_the_same_to_the_receiving_state(
    crew: dict[str, User], make_person: Callable[..., Person], live_server: Any
) -> None:
    """Two Venezuelans referred to Venezuela, alike in all the record says. One then claims
    protection (pending); the other's removal order turns out to be under appeal. Caracas, the
    state the first may fear, sees exactly the same on every path for both."""
    tokens = {"caracas": ApiToken.issue(crew["caracas"], "test")[1]}
    views = []
    for person_id, change in (("VA1", {"protection": "pending"}), ("VB1", {"removal_order": "pending"})):
        person = make_person(person_id, nationalities="VE", family_name="Mendez", given_names="Ana", sex="F")
        case = walk(open_case(person, "us-ve-2025", user=crew["officer"]).pk, crew, TO_ACCEPTED[:3])
        before = _seen_by_caracas(case.pk, person_id, crew, tokens, live_server.url)
        update_person(person, change, user=crew["officer"], reason="new information")
        assert Case.objects.get(pk=case.pk).state in ("legal_review", "blocked")  # taken back either way
        after = _seen_by_caracas(case.pk, person_id, crew, tokens, live_server.url)
        assert after != before and RETURNED in after[0]
        views.append(after)
    for protection, order in zip(*views, strict=True):
        assert protection == order
    for words in ("withheld", "8 C.F.R.", "legal review", "review point", "barred", "protection", "us/"):
        assert all(words not in seen for seen in views[0]), words


# --- 3, 4, 5. the administrator ------------------------------------------------------------------------


@pytest.fixture
def administrator(crew: dict[str, User]) -> Client:
    client = Client()
    client.force_login(crew["admin"])
    return client


def test_the_administrator_neither_files_nor_lifts_a_hold_nor_takes_a_step(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    person = make_person("H1", conviction="felony")
    case = walk(open_case(person, "us-sv-2025", user=crew["officer"]).pk, crew, TO_ACCEPTED)
    document = ContentFile(b"ORDER", name="order.txt")
    with pytest.raises(PermissionDenied):
        file_hold(person, kind="court_order", reference="X-1", document=document, user=crew["admin"])
    hold = file_hold(person, kind="court_order", reference="X-1", document=document, user=crew["officer"])
    with pytest.raises(PermissionDenied, match="may not lift holds"):
        lift_hold(hold, user=crew["admin"], reason="the administrator says so")
    assert LegalHold.objects.get().active and Case.objects.get(pk=case.pk).state == "on_hold"
    with pytest.raises(errors.Refused, match="may not"):
        case_steps.withdraw(case.pk, user=crew["admin"], reason="tidying up")


def test_an_api_token_cannot_be_given_to_someone_else_and_every_token_change_is_logged(
    crew: dict[str, User], administrator: Client
) -> None:
    row, _token = ApiToken.issue(crew["officer"], "laptop")
    url = f"/admin/accounts/apitoken/{row.pk}/change/"
    response = administrator.post(url, {"user": crew["reviewer"].pk, "name": "mine now", "revoked": "on"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.user, row.name, row.revoked) == (crew["officer"], "laptop", True)  # owner kept; revoked
    administrator.post(url, {})  # restored (the box unticked)
    row.refresh_from_db()
    assert row.revoked is False
    actions_logged = [(e.action, e.actor) for e in history("token", str(row.pk))]
    assert actions_logged == [("token.revoke", "admin"), ("token.restore", "admin")]
    # Nor issued for someone else: tokens are issued by their owners only.
    assert administrator.get("/admin/accounts/apitoken/add/").status_code == 403
    assert administrator.post(f"/admin/accounts/apitoken/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ApiToken.objects.filter(pk=row.pk).exists()


def test_setting_a_password_deactivating_and_never_deleting_are_all_logged(
    crew: dict[str, User], administrator: Client
) -> None:
    reviewer = crew["reviewer"]
    new = "another long passphrase 77"
    response = administrator.post(
        f"/admin/accounts/user/{reviewer.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    reviewer.refresh_from_db()
    assert reviewer.check_password(new)
    (event,) = history("user", "reviewer")
    assert (event.action, event.actor, event.after) == ("user.password", "admin", {"password": "set"})
    assert administrator.post(f"/admin/accounts/user/{reviewer.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=reviewer.pk).exists()
    form = {"role": Role.LEGAL_REVIEWER, "receiving_state": "", "first_name": "", "last_name": "", "email": ""}
    response = administrator.post(f"/admin/accounts/user/{reviewer.pk}/change/", form)  # is_active unticked
    assert response.status_code == 302, response.content.decode()[:2000]
    last = history("user", "reviewer")[-1]
    assert (last.action, last.before["is_active"], last.after["is_active"]) == ("user.role", True, False)


def test_staff_flags_and_model_permissions_open_nothing(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    """Salvador made staff with "Can view case" (by a careless administrator with a shell): the
    admin stays shut, and the case list stays scoped to what El Salvador was sent."""
    referred = walk(open_case(make_person("V1", fear_found="SV"), "us-sv-2025", user=crew["officer"]).pk, crew, ())
    salvador = crew["salvador"]
    User.objects.filter(pk=salvador.pk).update(is_staff=True, is_superuser=True)
    salvador.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "view_legalhold", "view_user"]))
    client = Client()
    client.force_login(User.objects.get(pk=salvador.pk))
    assert client.get("/admin/").status_code == 302  # to the admin's login: not an administrator
    assert client.get("/admin/accounts/user/").status_code == 302
    assert client.get(f"/cases/{referred.pk}/").status_code == 404  # never referred to El Salvador
    # And a save through the admin puts the flags back where the role says.
    salvador = User.objects.get(pk=salvador.pk)
    salvador.save()
    assert (salvador.is_staff, salvador.is_superuser) == (False, False)


def test_the_admin_forms_have_no_staff_superuser_group_or_permission_fields(administrator: Client) -> None:
    page = administrator.get(f"/admin/accounts/user/{User.objects.get(username='salvador').pk}/change/")
    html = page.content.decode()
    for field in ("is_staff", "is_superuser", "user_permissions", "groups"):
        assert f'name="{field}"' not in html
    assert 'name="username"' not in html  # shown, not editable: the audit log names people by it
    assert administrator.get("/admin/auth/group/").status_code == 404


# --- 6. person ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a/b", ".", "..", "P 1", "-P1", "P1?x", "José"])
def test_an_import_refuses_a_person_id_no_address_can_carry(crew: dict[str, User], bad: str, tmp_path: Path) -> None:
    from accord.core.records import people_from_dicts, write_people

    path = tmp_path / "people.csv"
    rows = [{**CLEAN, "person_id": "OK1"}, {**CLEAN, "person_id": "OK2"}]
    write_people(people_from_dicts(rows), path)
    path.write_text(path.read_text().replace("OK2", bad if "," not in bad else f'"{bad}"'), encoding="utf-8")
    client = Client()
    client.force_login(crew["officer"])
    response = client.post("/people/import/", {"file": SimpleUploadedFile("people.csv", path.read_bytes())})
    assert response.status_code == 400
    assert "row 2, column person_id" in response.content.decode() and "letters, digits" in response.content.decode()
    assert not Person.objects.exists()


def test_a_stored_id_from_before_the_rule_never_breaks_a_list(crew: dict[str, User], make_person: Callable) -> None:
    make_person("LEGACY", family_name="Html")
    Person.objects.filter(person_id="LEGACY").update(person_id="old/../Html")
    client = Client()
    client.force_login(crew["officer"])
    for url in ("/people/", "/people/?q=Html", "/people/?page=41", "/people/?q=old/../Html"):
        assert client.get(url).status_code == 200, url
    listed = client.get("/people/?q=Html").content.decode()
    assert "old/../Html" in listed and 'href="/people/old' not in listed  # shown as text, not a broken link


# --- 7. the command line authenticates ----------------------------------------------------------------


def test_the_command_line_acts_only_with_a_token_and_names_its_owner(
    crew: dict[str, User], make_person: Callable[..., Person]
) -> None:
    case = open_case(make_person("L1"), "us-sv-2025", user=crew["officer"])
    runner = CliRunner()
    typed_name = runner.invoke(app, ["case", "step", str(case.pk), "submit", "--user", "officer"])
    assert typed_name.exit_code == 2 and "No such option" in typed_name.output
    no_token = runner.invoke(app, ["case", "step", str(case.pk), "submit"], env={"ACCORD_TOKEN": ""})
    assert no_token.exit_code == 2 and "sign in" in no_token.output
    officer_token = ApiToken.issue(crew["officer"], "cli")[1]
    done = runner.invoke(app, ["case", "step", str(case.pk), "submit"], env={"ACCORD_TOKEN": officer_token})
    assert done.exit_code == 0, done.output
    assert history("case", str(case.pk))[-1].actor == "officer"
    # The same shell, with the officer's token, cannot also approve: it acts as the officer only.
    approve = runner.invoke(app, ["case", "step", str(case.pk), "approve"], env={"ACCORD_TOKEN": officer_token})
    assert approve.exit_code == 1 and "may not approve" in approve.output
    ApiToken.objects.filter(user=crew["officer"]).update(revoked=True)
    revoked = runner.invoke(app, ["case", "queue"], env={"ACCORD_TOKEN": officer_token})
    assert revoked.exit_code == 2 and "unknown or revoked" in revoked.output


def test_a_maintenance_command_acts_as_nobody_and_says_so(db: Any) -> None:
    result = CliRunner().invoke(
        app, ["user", "create", "firstadmin", "--role", "admin", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    events = history("user", "firstadmin")
    assert [(e.action, e.actor, e.actor_role) for e in events] == [
        ("user.create", "accord user create", "maintenance"),
        ("user.password", "accord user create", "maintenance"),
    ]
    issued = CliRunner().invoke(app, ["token", "issue", "firstadmin", "--password-stdin"], input="wrong\n")
    assert issued.exit_code == 2 and "wrong username or password" in issued.output


# --- 8. the low findings ----------------------------------------------------------------------------------


def test_an_audit_export_to_csv_is_formula_safe_and_still_verifies(crew: dict[str, User], tmp_path: Path) -> None:
    from accord.accounts.services import set_role

    spreadsheet_bait = User.objects.create_user(username="@SUM", role=Role.MONITOR)
    set_role(spreadsheet_bait, Role.FINANCE, by=crew["admin"], reason='=HYPERLINK("http://x")')
    out = tmp_path / "audit.csv"
    assert CliRunner().invoke(app, ["audit", "export", "--out", str(out)]).exit_code == 0
    text = out.read_text(encoding="utf-8")
    cells = [cell for line in text.splitlines()[1:] for cell in line.split(",")]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert ",'@SUM," in text
    verified = CliRunner().invoke(app, ["audit", "verify", "--file", str(out)])
    assert verified.exit_code == 0 and "chain intact" in verified.output


def test_the_import_page_answers_a_json_record_nested_50000_deep_with_its_row(
    crew: dict[str, User], tmp_path: Path
) -> None:
    record = '{"person_id": "D1", "family_name": ' + "[" * 50_000 + "]" * 50_000 + "}"
    client = Client()
    client.force_login(crew["officer"])
    upload = SimpleUploadedFile("deep.jsonl", (json.dumps({**CLEAN, "person_id": "D0"}) + "\n" + record).encode())
    response = client.post("/people/import/", {"file": upload})
    assert response.status_code == 400
    assert "row 2: not a person record: JSON nested too deep" in response.content.decode()
    assert not Person.objects.exists()


def test_five_wrong_passwords_lock_that_user_at_that_address_only(crew: dict[str, User], settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for user in ("officer", "reviewer"):
        crew[user].set_password(PASSWORD)
        crew[user].save()

    def log_in(username: str, password: str, address: str) -> int:
        response = Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": password})
        return response.status_code

    for _ in range(4):
        assert log_in("officer", "wrong password", "10.0.0.1") == 200
    assert log_in("officer", "wrong password", "10.0.0.1") == 429  # the fifth locks
    assert log_in("officer", PASSWORD, "10.0.0.1") == 429  # locked: that user, at that address
    assert log_in("reviewer", PASSWORD, "10.0.0.1") == 302  # a colleague behind the same gateway
    assert log_in("officer", PASSWORD, "10.0.0.2") == 302  # the officer from another address


def test_a_participation_is_kept_for_every_preparer(crew: dict[str, User], make_person: Callable) -> None:
    case = open_case(make_person("F1"), "us-sv-2025", user=crew["officer"])
    walk(case.pk, crew, TO_ACCEPTED)
    acts = dict(Participation.objects.filter(case=case).values_list("user__username", "first_act"))
    assert acts == {"officer": "open", "salvador": "screen"}  # the approver prepared nothing


# --- rules v2 on stored cases: the legal basis, options, and screening every open case again ------


def test_a_prison_placement_is_approved_only_with_the_receiving_states_legal_basis(
    crew: dict[str, User], make_person: Callable[..., Person], client: Client
) -> None:
    case = walk(
        open_case(make_person("B1", conviction="felony"), "us-sv-2025", user=crew["officer"]).pk, crew, ("submit",)
    )
    assert "placement/legal-basis" in case.failing_rules.split(";")
    with pytest.raises(errors.StepOptionError, match="basis_kind"):
        case_steps.approve(case.pk, user=crew["reviewer"], reason="Salvadoran judgment on file")
    with pytest.raises(errors.StepOptionError, match="basis_reference"):
        case_steps.approve(
            case.pk, user=crew["reviewer"], reason="on file", basis_kind="conviction", basis_reference=" "
        )
    assert Case.objects.get(pk=case.pk).state == "legal_review"  # refused, nothing changed
    approved = case_steps.approve(
        case.pk, user=crew["reviewer"], reason="on file", basis_kind="conviction", basis_reference="Sentencia 55-2019"
    )
    assert approved.legal_basis == {"kind": "conviction", "reference": "Sentencia 55-2019"}
    event = history("case", str(case.pk))[-1]
    assert (event.action, event.after["legal_basis"]) == ("case.approve", approved.legal_basis)  # type: ignore[index]
    client.force_login(crew["officer"])
    assert "a conviction in the receiving state: Sentencia 55-2019" in client.get(f"/cases/{case.pk}/").content.decode()
    referred = walk(case.pk, crew, ("refer",))
    assert referred.referral["legal_basis"] == approved.legal_basis  # type: ignore[index]
    salvador = Client()
    salvador.force_login(crew["salvador"])
    assert "Legal basis to detain" in salvador.get(f"/cases/{case.pk}/").content.decode()
    # A reception case needs none, and an option a step does not take is refused by name.
    with pytest.raises(errors.StepOptionError, match="takes no option 'on'"):
        case_steps.take_step(case.pk, "reject", user=crew["salvador"], reason="x", on=dt.date(2030, 1, 1))


def test_rescreen_returns_what_the_new_rules_bar_and_reports_it(crew: dict[str, User], make_person: Callable) -> None:
    """Cases screened under older rules (here: a pending order, eligible before rules v2) are
    screened once more; the command says how many changed, how, and by which rule."""
    accepted = walk(open_case(make_person("R1"), "us-sv-2025", user=crew["officer"]).pk, crew, TO_ACCEPTED)
    quiet = open_case(make_person("R2"), "us-sv-2025", user=crew["officer"])
    Person.objects.filter(person_id="R1").update(removal_order="pending")  # as stored before rules v2 barred it
    result = CliRunner().invoke(app, ["rescreen"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "2 open cases screened again; 1 changed." in text
    assert "eligible │ barred │ 1" in text and "us/final-order │ 1" in text
    assert "Returned: 1 to blocked" in text
    stored = Case.objects.get(pk=accepted.pk)
    assert (stored.state, stored.outcome) == ("blocked", "barred")
    last = history("case", str(accepted.pk))[-1]
    assert (last.action, last.actor, last.actor_role) == ("case.block", "accord rescreen", "maintenance")
    assert Case.objects.get(pk=quiet.pk).state == "screened"
