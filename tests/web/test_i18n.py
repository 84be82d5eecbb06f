"""Spanish for receiving officers (issue #12 §6): the catalogs are complete and compiled, a page is
Spanish when the browser asks for it or the header's switcher chose it, English otherwise, and the
API stays English whatever the client asks."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import Client
from django.utils import translation
from playwright.sync_api import expect

from accord.accounts.models import User
from accord.capacity.models import Reservation
from accord.cases.models import Case, State
from accord.cases.referral import minimum_record
from accord.cases.services import open_case
from accord.core import workflow
from accord.core.rules.engine import OUTCOMES, Result
from accord.people.models import Person
from tests.web import test_browser
from tests.web.conftest import PASSWORD
from tests.web.moving import flight
from tests.web.test_browser import LAPTOP, SHOTS, Browser

SRC = Path(__file__).resolve().parents[2] / "src"
CATALOGS = sorted(SRC.rglob("locale/es/LC_MESSAGES/django.po"))
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-SV,es;q=0.9"}

browser_type_launch_args = test_browser.browser_type_launch_args  # Debian's Chromium


# --- the catalogs ------------------------------------------------------------------------------


def _entries(po: Path) -> list[list[str]]:
    return [block.splitlines() for block in po.read_text(encoding="utf-8").split("\n\n") if "msgid" in block]


def _msgstrs(entry: list[str]) -> list[str]:
    """Each msgstr of an entry (one, or one per plural form), its continuation lines joined."""
    texts: list[str] = []
    for line in entry:
        if line.startswith("msgstr"):
            texts.append(line.split(" ", 1)[1].strip('"'))
        elif line.startswith('"') and texts:
            texts[-1] += line.strip('"')
    return texts


def test_the_catalogs_are_found() -> None:
    assert {p.relative_to(SRC).parts[1] for p in CATALOGS} >= {"locale", "movements"}


@pytest.mark.parametrize("po", CATALOGS, ids=[str(p.relative_to(SRC)) for p in CATALOGS])
def test_every_message_has_its_spanish_and_none_is_fuzzy(po: Path) -> None:
    untranslated, fuzzy = [], []
    for entry in _entries(po)[1:]:  # the first is the header
        where = next((line for line in entry if line.startswith("msgid")), None)
        if where is None:  # an obsolete entry (#~), kept by makemessages for reuse; never shown
            continue
        if any(line.startswith("#,") and "fuzzy" in line for line in entry):
            fuzzy.append(where)
        if not all(_msgstrs(entry)):
            untranslated.append(where)
    assert not untranslated, f"{po}: no Spanish for {untranslated}"
    assert not fuzzy, f"{po}: fuzzy {fuzzy}"


def _translations(po: Path) -> dict[tuple[str, str], list[str]]:
    found = {}
    for entry in _entries(po):
        context = next((line.split(" ", 1)[1].strip('"') for line in entry if line.startswith("msgctxt ")), "")
        msgid, joined = "", False
        for line in entry:
            if line.startswith("msgid "):
                msgid, joined = line.split(" ", 1)[1].strip('"'), True
            elif line.startswith('"') and joined:
                msgid += line.strip('"')
            else:
                joined = False if not line.startswith('"') else joined
        if msgid:
            found[(context, msgid)] = _msgstrs(entry)
    return found


def test_no_message_has_two_spanish_words_across_catalogs() -> None:
    """Django merges the catalogs and the project's wins: the same English, in the same context,
    translated differently in two catalogs would silently change the other app's pages."""
    seen: dict[tuple[str, str], tuple[Path, list[str]]] = {}
    clashes = []
    for po in CATALOGS:
        for key, spanish in _translations(po).items():
            if key in seen and seen[key][1] != spanish:
                clashes.append(f"{key}: {seen[key][1]} ({seen[key][0].parent.parent.parent.parent.name}) / {spanish}")
            seen.setdefault(key, (po, spanish))
    assert not clashes, "give one a context (msgctxt):\n" + "\n".join(clashes)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (gettext) is not installed")
@pytest.mark.parametrize("po", CATALOGS, ids=[str(p.relative_to(SRC)) for p in CATALOGS])
def test_the_committed_mo_is_the_po_compiled(po: Path, tmp_path: Path) -> None:
    """A .po edited but not compiled would leave the pages in English."""
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(po)], check=True, capture_output=True)
    assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes(), f"run compilemessages for {po}"


def test_every_word_the_core_gives_the_pages_has_its_spanish() -> None:
    """The core imports no Django: accord.web.core_strings lists its step labels, help, outcomes and
    the returned-case notice for the catalog. A new step in the core without Spanish fails here."""
    words = [t.label for t in workflow.TRANSITIONS.values()] + [t.help for t in workflow.TRANSITIONS.values() if t.help]
    words += [workflow.RETURNED_LABEL, workflow.RETURNED_NOTICE]
    outcomes = {*OUTCOMES.values(), *(r.label for r in Result)}
    with translation.override("es"):
        assert [w for w in words if translation.gettext(w) == w] == []
        assert [o for o in outcomes if translation.pgettext("outcome", o) == o] == []
        assert [s for s in Reservation.Status.values if translation.pgettext("place", s) == s] == []
        assert [s for s in State if str(s.label) == s.value.replace("_", " ")] == []  # the case states' own labels


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def referred(users: dict[str, User], facilities: None, make_person: Callable[..., Person]) -> Case:
    """A Salvadoran's case under us-sv-2025 referred to El Salvador."""
    case = open_case(make_person("ES1"), "us-sv-2025", user=users["officer"])
    case.state, case.referral = State.REFERRED, minimum_record(case)
    case.save()
    return case


def client_of(user: User, **headers: str) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


def text_of(client: Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    return page.content.decode()


@pytest.mark.django_db
def test_the_login_page_in_spanish_and_in_english() -> None:
    spanish = text_of(Client(**SPANISH), "/login/")
    assert '<html lang="es">' in spanish and "<h1>Iniciar sesión</h1>" in spanish
    assert ">Usuario</label>" in spanish and ">Contraseña</label>" in spanish
    english = text_of(Client(), "/login/")
    assert '<html lang="en">' in english and "<h1>Log in</h1>" in english and "Iniciar" not in english


@pytest.mark.django_db
def test_a_receiving_officer_reads_home_queue_and_case_in_spanish(users: dict[str, User], referred: Case) -> None:
    officer = client_of(users["salvador"], **SPANISH)
    home = text_of(officer, "/")
    assert "Bienvenido/a, salvador" in home and "Funcionario del Estado receptor" in home
    assert ">Mi trabajo</a>" in home and ">Traslados</a>" in home and "Cerrar sesión" in home
    queue = text_of(officer, "/cases/queue/")
    assert "<h1>Lo que me espera</h1>" in queue and "<td>remitido</td>" in queue and "ES1" in queue
    case = text_of(officer, f"/cases/{referred.pk}/")
    assert f"<h1>Caso {referred.pk}:" in case and "<h2>Registro enviado por el Estado que envía</h2>" in case
    assert ">Aceptar</button>" in case and ">Rechazar</button>" in case and "Próximos pasos" in case
    assert "Reserva una plaza en el centro" in case  # the core's help for the step, in Spanish
    assert "us-sv-2025" in case  # agreement ids are not translated


@pytest.mark.django_db
def test_a_receiving_officer_reads_a_returned_case_in_spanish(users: dict[str, User], referred: Case) -> None:
    referred.state = State.WITHDRAWN
    referred.save()
    case = text_of(client_of(users["salvador"], **SPANISH), f"/cases/{referred.pk}/")
    assert "devuelto al Estado que envía para revisión" in case
    assert f"El caso {referred.pk} ha sido devuelto al Estado que envía para revisión. No reciba a esta persona" in case


@pytest.mark.django_db
def test_a_case_officer_reads_the_case_page_in_spanish(users: dict[str, User], referred: Case) -> None:
    case = text_of(client_of(users["officer"], **SPANISH), f"/cases/{referred.pk}/")
    assert "<dt>Estado del caso</dt>" in case and "<h2>Historial</h2>" in case and "<h2>Por qué</h2>" in case
    assert '<span class="badge eligible">apto</span>' in case  # the outcome's word; its class stays
    assert '<th scope="col">Regla</th>' in case
    rule = referred.explanation[0]
    assert f"<code>{rule['rule_id']}</code>" in case and str(rule["reason"]) in case  # the core's reasons stay English


@pytest.mark.django_db
def test_a_step_refused_on_the_page_says_why_in_the_readers_language(users: dict[str, User], referred: Case) -> None:
    """Two officers in San Salvador answer the same referral: the second one's acceptance is
    refused in Spanish, naming the step and the states in Spanish; in English, in English."""
    referred.state = State.ACCEPTED
    referred.save()
    path = f"/cases/{referred.pk}/step/"
    spanish = client_of(users["salvador"], **SPANISH).post(path, {"step": "accept"}, follow=True).content.decode()
    assert "No se puede aceptar: el estado del caso es «aceptado», no remitido" in spanish
    english = client_of(users["salvador"]).post(path, {"step": "accept"}, follow=True).content.decode()
    assert "Cannot accept: the case is accepted, not referred" in english
    assert Case.objects.get(pk=referred.pk).state == State.ACCEPTED  # refused: nothing changed


@pytest.mark.django_db
def test_a_referral_returned_at_acceptance_is_told_in_spanish(users: dict[str, User], referred: Case) -> None:
    """The record sent to San Salvador changed before the officer accepted it: the case goes back
    to the sending state, and the officer is told so in the one neutral sentence, in Spanish."""
    Person.objects.filter(pk=referred.person_id).update(family_name="Cambiado")
    path = f"/cases/{referred.pk}/step/"
    page = client_of(users["salvador"], **SPANISH).post(path, {"step": "accept"}, follow=True).content.decode()
    assert f"El caso {referred.pk} ha sido devuelto al Estado que envía para revisión" in page
    assert "has been returned" not in page  # the refusal too, not only the page's notice
    assert Case.objects.get(pk=referred.pk).state != State.ACCEPTED


@pytest.mark.django_db
def test_without_accept_language_the_pages_are_english(users: dict[str, User], referred: Case) -> None:
    officer = client_of(users["salvador"])
    assert "Welcome, salvador" in text_of(officer, "/")
    queue = text_of(officer, "/cases/queue/")
    assert "<h1>What waits for me</h1>" in queue and "<td>referred</td>" in queue
    case = text_of(officer, f"/cases/{referred.pk}/")
    assert ">Accept</button>" in case and "Record sent by the sending state" in case and "Aceptar" not in case
    assert "Next steps" in text_of(client_of(users["officer"]), f"/cases/{referred.pk}/")


@pytest.mark.django_db
def test_dates_are_iso_in_every_language_and_the_words_around_them_are_not(
    users: dict[str, User], facilities: None
) -> None:
    """Officials of several states read the same dates: ISO 8601 in both languages (Django's own
    Spanish formats would write "3 de febrero de 2025", unlike every other page), amounts as
    amounts, not minor units."""
    spanish = text_of(client_of(users["salvador"], **SPANISH), "/agreements/us-sv-2025/")
    english = text_of(client_of(users["salvador"]), "/agreements/us-sv-2025/")
    assert "en vigor desde el 2025-02-03, sin fecha de término" in spanish
    assert "in force 2025-02-03 to open" in english
    assert "desde el 2025-02-03: 55.00 USD" in spanish and "from 2025-02-03: 55.00 USD" in english
    assert "minor units" not in english and "unidades menores" not in spanish


@pytest.mark.django_db
def test_the_switcher_changes_the_language_and_keeps_it(users: dict[str, User]) -> None:
    """The header's form, posted with the page's own CSRF token, as a browser would."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["salvador"])
    home = text_of(client, "/")
    assert 'action="/i18n/setlang/"' in home and 'value="es" lang="es"' in home
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home)
    assert token
    answer = client.post("/i18n/setlang/", {"language": "es", "next": "/cases/queue/", "csrfmiddlewaretoken": token[1]})
    assert answer.status_code == 302 and answer["Location"] == "/cases/queue/"
    queue = text_of(client, "/cases/queue/")
    assert "<h1>Lo que me espera</h1>" in queue and 'value="es" lang="es" aria-current="true"' in queue
    # The cookie wins over the browser's language, both ways.
    client.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": token[1]})
    assert "<h1>What waits for me</h1>" in client.get("/cases/queue/", **SPANISH).content.decode()


def test_the_api_answers_in_english_whatever_the_client_asks(
    live_server: Any, tokens: dict[str, str], users: dict[str, User], facilities: None, transactional_db: Any
) -> None:
    """A refusal the movements app words through gettext, asked for in Spanish."""
    movement = flight(users["officer"])
    headers = {"Authorization": f"Bearer {tokens['officer']}", "Accept-Language": "es"}
    with httpx.Client(base_url=f"{live_server.url}/api/v1", headers=headers, timeout=60) as api:
        answer = api.post(f"/movements/{movement.pk}/cancel", json={"reason": " "})
    assert answer.status_code == 422, answer.text
    assert "cancelling a movement needs a reason" in answer.text and "requiere" not in answer.text


# --- in a real browser -------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods")
def test_a_receiving_officer_in_san_salvador_works_in_spanish_in_the_browser(
    browser: Any, live_server: Any, users: dict[str, User], referred: Case, transactional_db: Any
) -> None:
    """Chromium with an es-SV locale (its Accept-Language), as a receiving officer: log in, the
    queue, the case page. Screenshots to /tmp/accord-shots/ for a human to look at."""
    context = browser.new_context(locale="es-SV", viewport=LAPTOP)
    try:
        browse = Browser(context.new_page(), live_server.url)
        page = browse.visit("/login/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Iniciar sesión")
        page.get_by_label("Usuario").fill("salvador")
        page.get_by_label("Contraseña").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Iniciar sesión").click()
        browse.checked()
        expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenido/a, salvador")
        browse.visit("/cases/queue/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Lo que me espera")
        with page.expect_navigation():
            page.get_by_role("link", name=str(referred.pk), exact=True).click()
        browse.checked()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Caso {referred.pk}:")
        expect(page.get_by_role("heading", name="Registro enviado por el Estado que envía")).to_be_visible()
        expect(page.get_by_role("button", name="Aceptar")).to_be_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "i18n-receiving-case-es.png", full_page=True)
        # The switcher, clicked: the same page in English.
        with page.expect_navigation():
            page.get_by_role("button", name="English").click()
        browse.checked()
        expect(page.get_by_role("heading", name="Record sent by the sending state")).to_be_visible()
        browse.watch.check()
    finally:
        context.close()


def test_every_refusal_names_its_action_in_both_languages() -> None:
    """A page refused for want of a permission says which, in the reader's language."""
    from accord.accounts.permissions import ACTION_LABELS, Can

    assert set(ACTION_LABELS) == set(Can)
    with translation.override("en"):
        assert str(ACTION_LABELS[Can.VIEW_LEDGER]) == "view ledger"
    with translation.override("es"):
        assert str(ACTION_LABELS[Can.VIEW_LEDGER]) == "ver la contabilidad"


@pytest.mark.django_db
def test_a_refused_page_says_why_in_spanish(users: dict[str, User]) -> None:
    answer = client_of(users["monitor"], **SPANISH).get("/ledger/")
    assert answer.status_code == 403
    assert "Su función no le permite ver la contabilidad." in answer.content.decode()
