"""What a user relies on, checked in a real browser (Debian's Chromium) against a live server.

Every page visited is also checked for console errors, uncaught exceptions, Content-Security-Policy
violations and basic accessibility (one h1, every control labelled, tables with headers).
Screenshots of the person page and the case list go to /tmp/accord-shots/ for a human to look at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Locator, Page, expect

from accord.accounts.models import User
from accord.cases.models import Case, State
from accord.cases.referral import minimum_record
from accord.cases.services import open_case
from accord.people.models import Person
from tests.web import moving
from tests.web.conftest import BASIS, PASSWORD

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # pytest-base-url (pulled in by pytest-playwright) defines a session fixture the old way.
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

SHOTS = Path("/tmp/accord-shots")
LAPTOP = {"width": 1366, "height": 768}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # Without the back-forward cache, "Back" reloads from the HTTP cache, as it often does for real
    # users: an htmx fragment cached under a page's own address would then replace the whole page.
    "--disable-features=BackForwardCache",
]
# Reports CSP violations to the console even where the browser would not; an init script is
# injected by the browser itself, so the policy under test does not apply to it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile}:${e.lineNumber}`);
});
"""
# Accessibility basics, evaluated in the page: returns a list of problems, empty when none.
AUDIT = """
() => {
  const problems = [];
  const name = (el) => (el.getAttribute("aria-label") || el.textContent || el.value || "").trim();
  const h1s = document.querySelectorAll("h1");
  if (h1s.length !== 1) problems.push(`${h1s.length} h1 elements`);
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  if (!document.title.trim()) problems.push("no <title>");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button", "reset"].includes(el.type)) continue;
    const labelled = [...(el.labels || [])].some((l) => l.textContent.trim())
      || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!labelled) problems.push(`unlabelled ${el.tagName.toLowerCase()} name=${el.name} id=${el.id}`);
  }
  for (const el of document.querySelectorAll("button, a[href], summary")) {
    if (!name(el)) problems.push(`nameless ${el.outerHTML.slice(0, 80)}`);
  }
  for (const table of document.querySelectorAll("table")) {
    const headers = table.querySelectorAll("th");
    if (!headers.length) problems.push(`table without headers: ${table.textContent.trim().slice(0, 60)}`);
    for (const th of headers) {
      if (!th.closest("thead") && !th.getAttribute("scope")) problems.push(`th without scope: ${name(th)}`);
    }
  }
  for (const img of document.querySelectorAll("img:not([alt])")) problems.push(`img without alt: ${img.src}`);
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) problems.push(`duplicate id ${id}`);
  return problems;
}
"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": LAPTOP}


class Watch:
    """Console errors, uncaught exceptions and CSP violations of one page, since the last check."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        self.expected_failures: set[str] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.add_init_script(REPORT_CSP_VIOLATIONS)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if "Failed to load resource" in message.text and (
            url.endswith("/favicon.ico") or url in self.expected_failures
        ):
            return
        self.problems.append(f"console error: {message.text} ({url})")

    def expect_failure(self, url: str) -> None:
        """A refusal the test asks for (403, 429) is not an error of the page."""
        self.expected_failures.add(url)

    def check(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "\n".join(problems)


@pytest.fixture
def browse(page: Page, live_server: Any, users: dict[str, User], facilities: None) -> Iterator[Browser]:
    browser = Browser(page, live_server.url)
    yield browser
    browser.watch.check()


class Browser:
    """A page with a live server behind it, checked after every step."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.watch = Watch(page)
        page.set_default_timeout(5_000)

    def url(self, path: str) -> str:
        return self.base + path

    def visit(self, path: str, status: int = 200) -> Page:
        if status >= 400:
            self.watch.expect_failure(self.url(path))
        response = self.page.goto(self.url(path))
        assert response is not None and response.status == status, f"{path}: {response and response.status}"
        self.checked()
        return self.page

    def checked(self) -> None:
        """The page as it stands: no console errors or CSP violations, and accessible basics."""
        self.page.wait_for_load_state("load")
        self.watch.check()
        problems = self.page.evaluate(AUDIT)
        assert not problems, f"{self.page.url}: " + "; ".join(problems)

    def log_in(self, username: str, password: str = PASSWORD, status: int = 200) -> None:
        page = self.visit("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        if status >= 400:
            self.watch.expect_failure(self.url("/login/"))
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Log in").click()
        response = navigation.value
        assert response is not None and response.status == status
        self.checked()

    def mark_document(self) -> Callable[[], None]:
        """Marks the current document; the returned check fails if the page was reloaded since."""
        self.page.evaluate("window.accordSameDocument = true")

        def still_same() -> None:
            assert self.page.evaluate("window.accordSameDocument === true"), "the page was reloaded"

        return still_same

    def shoot(self, name: str, locator: Locator | None = None) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        (locator or self.page).screenshot(path=path)
        return path


def rows(page: Page, container: str) -> Locator:
    return page.locator(f"{container} tbody tr")


def screening(page: Page, agreement_id: str) -> Locator:
    return page.locator("section.screening").filter(has=page.locator(f"h3#s-{agreement_id}"))


def rule_row(section: Locator, rule_id: str) -> Locator:
    return section.locator("table.explanation tbody tr").filter(
        has=section.page.locator("td:first-child code", has_text=re.compile(f"^{re.escape(rule_id)}$"))
    )


def test_a_case_officer_logs_in_through_the_form_and_sees_the_role(browse: Browser) -> None:
    browse.log_in("officer")
    page = browse.page
    assert page.url == browse.url("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, officer")
    expect(page.locator("main")).to_contain_text("You are signed in as Case officer")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="People")).to_be_visible()


def test_search_by_family_name_then_read_why_a_us_citizen_is_never_removed(
    browse: Browser, make_person: Callable[..., Person]
) -> None:
    make_person("P100", family_name="Citizen", given_names="Carla", nationalities="US", status="citizen")
    make_person("P101", family_name="Martinez", given_names="Mario")
    make_person("P102", family_name="Morales", given_names="Marta", nationalities="VE")
    browse.log_in("officer")
    page = browse.visit("/people/")
    expect(rows(page, "#people-rows")).to_have_count(3)

    same_document = browse.mark_document()
    page.get_by_label("Person id or family name").fill("citiz")
    expect(rows(page, "#people-rows")).to_have_count(1)
    expect(rows(page, "#people-rows").first.locator("td").nth(1)).to_have_text("CITIZEN, Carla")
    page.get_by_label("Person id or family name").fill("M")
    expect(rows(page, "#people-rows").locator("td:nth-child(2)")).to_have_text(["MARTINEZ, Mario", "MORALES, Marta"])
    page.get_by_label("Person id or family name").fill("nobody")
    expect(rows(page, "#people-rows")).to_have_text(["No one matches."])
    page.get_by_label("Person id or family name").fill("Citizen")
    expect(rows(page, "#people-rows").locator("td:nth-child(2)")).to_have_text(["CITIZEN, Carla"])
    same_document()
    browse.checked()

    page.get_by_role("link", name="P100").click()
    expect(page).to_have_url(browse.url("/people/P100/"))
    browse.checked()
    expect(page.get_by_role("heading", level=1)).to_contain_text("CITIZEN, Carla")
    browse.shoot("person-top")
    section = screening(page, "us-sv-2025")
    expect(section.locator(".verdict")).to_contain_text("Outcome: BARRED")
    # A barred screening folds its table away; one click opens it, rule by rule, with the source.
    section.locator("summary", has_text="Rule by rule").click()
    citizen = rule_row(section, "us/citizen")
    expect(citizen).to_be_visible()
    expect(citizen.locator("td").nth(1)).to_have_text("barred")
    expect(citizen.locator("td").nth(2)).to_contain_text("A US citizen or national is never removed")
    expect(citizen.locator("td").nth(3)).to_contain_text("8 U.S.C. §1101(a)(3)")
    browse.shoot("person-us-sv-2025-open")
    citizen.scroll_into_view_if_needed()
    browse.shoot("person-us-sv-2025-rules")
    browse.shoot("person-us-sv-2025", section)
    browse.checked()


def test_open_a_case_from_the_person_page_then_find_it_by_filters(
    browse: Browser, users: dict[str, User], make_person: Callable[..., Person]
) -> None:
    make_person("P200", family_name="Lopez", given_names="Luis")
    other = make_person("P201", family_name="Vargas", given_names="Vera", nationalities="VE")
    open_case(other, "us-ve-2025", user=users["officer"])
    browse.log_in("officer")
    page = browse.visit("/people/P200/")
    section = screening(page, "us-sv-2025")
    outcome = section.locator(".verdict strong").inner_text().lower()

    section.get_by_role("button", name="Open a case under us-sv-2025").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+/$"))
    browse.checked()
    case = Case.objects.get(person__person_id="P200")
    assert case.outcome == outcome
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {case.pk}: LOPEZ, Luis P200")
    expect(page.get_by_role("status")).to_have_text(f"Case {case.pk} opened: {outcome}.")
    expect(page.locator(".record")).to_contain_text(f"Outcome{outcome}")
    expect(page.locator("table.explanation tbody tr").first).to_be_visible()

    page = browse.visit("/cases/")
    expect(rows(page, "#case-rows")).to_have_count(2)
    same_document = browse.mark_document()
    page.get_by_label("Agreement").select_option("us-sv-2025")
    expect(rows(page, "#case-rows").locator("td:nth-child(2)")).to_have_text(["LOPEZ, Luis P200"])
    expect(page).to_have_url(re.compile(r"agreement=us-sv-2025"))
    page.get_by_label("Outcome").select_option(outcome)
    expect(rows(page, "#case-rows").locator("td:nth-child(2)")).to_have_text(["LOPEZ, Luis P200"])
    page.get_by_label("Nationality").fill("VE")
    page.get_by_label("Nationality").press("Enter")
    expect(rows(page, "#case-rows")).to_have_text(["No cases match."])
    page.get_by_label("Nationality").fill("sv")
    page.get_by_label("Nationality").press("Tab")
    expect(rows(page, "#case-rows").locator("td:nth-child(2)")).to_have_text(["LOPEZ, Luis P200"])
    expect(rows(page, "#case-rows").locator("td:nth-child(6)")).to_have_text([outcome])
    same_document()
    browse.checked()
    browse.shoot("case-list")

    # "Back" from a case shows the whole list page, not the htmx fragment alone.
    page.get_by_role("link", name=str(case.pk), exact=True).click()
    expect(page).to_have_url(browse.url(f"/cases/{case.pk}/"))
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    expect(page.get_by_label("Outcome")).to_have_value(outcome)
    expect(rows(page, "#case-rows").locator("td:nth-child(2)")).to_have_text(["LOPEZ, Luis P200"])
    browse.checked()
    # "Back" through the filters when htmx's history cache misses: the whole page comes back too.
    # (Typing is a user gesture: Chromium skips history entries pushed without one.)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.headers.get("hx-request") else None)
    page.get_by_label("Nationality").fill("VE")
    page.get_by_label("Nationality").press("Enter")
    expect(rows(page, "#case-rows")).to_have_text(["No cases match."])
    expect(page).to_have_url(re.compile("nationality=VE"))
    assert len(sent) == 1, f"Enter fires both change and submit, yet must send one request: {sent}"
    page.evaluate("sessionStorage.removeItem('htmx-history-cache')")
    page.go_back()
    expect(page).to_have_url(re.compile("nationality=sv"))
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    expect(page.get_by_label("Outcome")).to_have_value(outcome)
    expect(rows(page, "#case-rows").locator("td:nth-child(2)")).to_have_text(["LOPEZ, Luis P200"])
    browse.checked()
    # The filters are in the address: a reload shows the same list.
    page.reload()
    browse.checked()
    expect(page.get_by_label("Agreement")).to_have_value("us-sv-2025")
    expect(page.get_by_label("Outcome")).to_have_value(outcome)
    expect(rows(page, "#case-rows").locator("td:nth-child(2)")).to_have_text(["LOPEZ, Luis P200"])


def test_a_receiving_officer_is_refused_people_and_sees_only_cases_referred_to_their_state(
    browse: Browser, users: dict[str, User], make_person: Callable[..., Person]
) -> None:
    officer = users["officer"]
    referred = open_case(make_person("P300", family_name="Referred", fear_screened="SV"), "us-sv-2025", user=officer)
    screened = open_case(make_person("P301", family_name="Screened"), "us-sv-2025", user=officer)
    elsewhere = open_case(make_person("P302", family_name="Elsewhere", nationalities="VE"), "us-ve-2025", user=officer)
    for case in (referred, elsewhere):
        case.state, case.referral = State.REFERRED, minimum_record(case)
        case.save()

    browse.log_in("salvador")
    page = browse.page
    expect(page.locator("main")).to_contain_text("Receiving-state officer for SV")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="People")).to_have_count(0)

    page = browse.visit("/people/", status=403)
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator("main")).to_contain_text("Your role may not view people.")
    browse.shoot("refused")

    page = browse.visit("/cases/")
    expect(rows(page, "#case-rows").locator("td:first-child")).to_have_text([str(referred.pk)])
    expect(page.locator("#case-rows")).not_to_contain_text("P301")
    expect(page.locator("#case-rows")).not_to_contain_text("P302")
    page.get_by_label("Agreement").select_option("us-ve-2025")
    expect(rows(page, "#case-rows")).to_have_text(["No cases match."])

    page = browse.visit(f"/cases/{referred.pk}/")
    # The record it was sent, never the sending state's screening: no outcome, rule or reason
    # that could tell a fear or protection finding (8 C.F.R. §208.6).
    expect(page.get_by_role("heading", name="Record sent by the sending state")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("us/fear")
    expect(page.locator("main")).not_to_contain_text("Outcome")
    expect(page.locator("table.explanation")).to_have_count(0)
    # Taken back by the sending state: one neutral state and sentence, whatever the reason.
    Case.objects.filter(pk=referred.pk).update(state=State.ON_HOLD)
    page = browse.visit(f"/cases/{referred.pk}/")
    expect(page.locator("main")).to_contain_text("returned to the sending state for review")
    expect(page.locator("main")).to_contain_text("Do not receive this person unless the case is referred again.")
    expect(page.locator("main")).not_to_contain_text("on hold")
    browse.shoot("returned")
    # A case the officer may not see is "not found": a refusal would confirm that it exists.
    for hidden in (screened, elsewhere):
        browse.visit(f"/cases/{hidden.pk}/", status=404)


def test_a_monitor_sees_statistics_without_names_or_person_ids(
    browse: Browser, users: dict[str, User], make_person: Callable[..., Person]
) -> None:
    people = [
        make_person("P400", family_name="Quintanilla", given_names="Rosa"),
        make_person("P401", family_name="Zelaya", given_names="Ignacio", nationalities="US", status="citizen"),
    ]
    for person in people:
        open_case(person, "us-sv-2025", user=users["officer"])

    browse.log_in("monitor")
    page = browse.visit("/statistics/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistics")
    counts = page.locator("table").first
    expect(counts.locator("tbody tr").first).to_contain_text("us-sv-2025")
    text = page.locator("body").inner_text() + page.content()
    for person in people:
        for identifying in (person.person_id, person.family_name, person.given_names):
            assert identifying.lower() not in text.lower(), f"{identifying} shown to a monitor"
    assert page.locator("a[href^='/people/'], a[href^='/cases/']").count() == 0
    browse.visit("/cases/", status=403)
    browse.visit("/people/P400/", status=403)


def test_five_wrong_passwords_lock_the_account(browse: Browser) -> None:
    for _ in range(4):
        browse.log_in("officer", "not the password at all")
        expect(browse.page.get_by_role("alert")).to_contain_text("didn't match")
    browse.log_in("officer", "still not the password", status=429)
    expect(browse.page.get_by_role("heading", level=1)).to_have_text("Too many failed log-ins")
    expect(browse.page.locator("main")).to_contain_text("locked")
    browse.shoot("locked")
    # Locked means locked: the right password does not get in either.
    browse.log_in("officer", status=429)
    expect(browse.page.get_by_role("heading", level=1)).to_have_text("Too many failed log-ins")


@pytest.mark.parametrize("username", ["officer", "salvador"])
def test_every_page_in_the_menu_is_clean_and_accessible(
    browse: Browser, username: str, make_person: Callable[..., Person]
) -> None:
    """Each page a role reaches: no console error or CSP violation, one h1, labelled controls."""
    make_person("P500", family_name="Menu")
    browse.log_in(username)
    menu = browse.page.get_by_role("navigation", name="Main").get_by_role("link")
    paths = [re.sub(r"^https?://[^/]+", "", href) for href in menu.evaluate_all("links => links.map(a => a.href)")]
    assert paths, "no menu"
    extra = ["/agreements/us-sv-2025/", "/nowhere/"]
    if username == "officer":
        extra += ["/people/P500/edit/"]
    for path in [*paths, *extra]:
        page = browse.visit(path, status=404 if path == "/nowhere/" else 200)
        expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_the_watch_catches_a_csp_violation(browse: Browser) -> None:
    """The console check is not vacuous: an inline style, forbidden by the policy, is reported."""
    browse.log_in("officer")
    with browse.page.expect_console_message(lambda message: "CSP violation" in message.text):
        browse.page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    with pytest.raises(AssertionError, match="style-src"):
        browse.checked()


def test_a_monitor_checks_the_audit_chain_and_keeps_the_anchor(
    browse: Browser, users: dict[str, User], make_person: Callable[..., Person]
) -> None:
    open_case(make_person("P410"), "us-sv-2025", user=users["officer"])
    browse.log_in("monitor")
    page = browse.visit("/")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Check the chain").click()
    browse.checked()
    expect(page.get_by_role("heading", name="Chain intact")).to_be_visible()
    anchor = page.locator("code.anchor").inner_text()
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", anchor), anchor
    browse.shoot("audit-intact")

    forged = anchor[:-1] + ("0" if anchor[-1] != "0" else "1")  # the same event, another hash
    page.get_by_label(re.compile("Anchors kept")).fill(forged)
    with page.expect_navigation():
        page.get_by_role("button", name="Check the chain").click()
    browse.checked()
    expect(page.get_by_role("heading", name=re.compile("Chain broken at event"))).to_be_visible()
    expect(page.locator(".verdict")).to_contain_text("not the one recorded in the anchor")
    browse.shoot("audit-broken")


def switch_user(browse: Browser, username: str) -> None:
    browse.page.context.clear_cookies()
    browse.log_in(username)


def take(browse: Browser, case_id: int, label: str, reason: str = "", basis: tuple[str, str] | None = None) -> Page:
    """Press a step's button on the case page (filling its reason, and for an approval of a prison
    placement the receiving state's legal basis) and land on the case page again."""
    page = browse.visit(f"/cases/{case_id}/")
    form = page.locator("form.step").filter(has=page.get_by_role("button", name=label))
    if reason:
        form.get_by_label(re.compile("Reason")).fill(reason)
    if basis:
        form.get_by_label(re.compile("legal basis to detain")).select_option(basis[0])
        form.get_by_label(re.compile("Its reference")).fill(basis[1])
    with page.expect_navigation():
        form.get_by_role("button", name=label).click()
    browse.checked()
    return page


def test_a_case_moves_through_four_hands_each_seeing_only_their_steps(
    browse: Browser, make_person: Callable[..., Person], users: dict[str, User]
) -> None:
    person = make_person("P300", family_name="Pérez", nationalities="VE", conviction="felony")
    case = open_case(person, "us-sv-2025", user=users["officer"])
    browse.log_in("officer")
    page = take(browse, case.pk, "Submit for legal review")
    expect(page.locator("p.message")).to_contain_text("is now legal review")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)  # the submitter never approves

    switch_user(browse, "reviewer")
    queue = browse.visit("/cases/queue/")
    expect(queue.locator("table.cases tbody")).to_contain_text("PÉREZ")
    expect(queue.locator("ul.counts")).to_have_text("legal review: 1")
    # A prison placement abroad: the reviewer must name El Salvador's own ground to detain.
    page = take(
        browse,
        case.pk,
        "Approve",
        reason="Notice served 2025-03-01; no fear claim made",
        basis=("court_order", "Juzgado Especializado, Ref. 77-2025"),
    )
    expect(page.locator("dl.record").first).to_contain_text("Approved by")
    expect(page.locator("dl.record").first).to_contain_text("an order of a court of the receiving state: Juzgado")

    switch_user(browse, "officer")
    page = take(browse, case.pk, "Refer to the receiving state")

    switch_user(browse, "salvador")
    page = browse.visit(f"/cases/{case.pk}/")
    expect(page.get_by_role("heading", name="Record sent by the sending state")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("no fear claim made")  # the reviewer's note (8 C.F.R. §208.6)
    page = take(browse, case.pk, "Accept")
    expect(page.locator("dl.record").first).to_contain_text("Centro de Confinamiento del Terrorismo (CECOT): held")
    browse.shoot("case-accepted")
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED


def test_a_refused_step_says_which_rule_and_blocks_the_case(
    browse: Browser, make_person: Callable[..., Person], users: dict[str, User]
) -> None:
    person = make_person("P301", family_name="Ruiz")
    case = open_case(person, "us-sv-2025", user=users["officer"])
    Person.objects.filter(pk=person.pk).update(status="citizen")  # stale record found out on the day
    browse.log_in("officer")
    page = take(browse, case.pk, "Submit for legal review")
    expect(page.locator("p.message.error")).to_contain_text("us/citizen")
    expect(page.locator("p.message.error")).to_contain_text("8 U.S.C. §1101(a)(3)")
    expect(page.locator("p.message.error")).to_contain_text("The case is now blocked")
    expect(page.locator(".state")).to_have_text("blocked")
    assert Case.objects.get(pk=case.pk).state == State.BLOCKED


def test_filing_a_hold_with_its_document_pulls_the_case_off_its_move(
    browse: Browser, make_person: Callable[..., Person], users: dict[str, User], tmp_path: Path
) -> None:
    from accord.cases import steps as case_steps

    person = make_person("P302", family_name="Soto", nationalities="VE", conviction="felony")
    case = open_case(person, "us-sv-2025", user=users["officer"])
    reviewer2 = User.objects.create_user(username="reviewer2", password=PASSWORD, role="legal_reviewer")
    for step, user in [("submit", "officer"), ("refer", "officer"), ("accept", "salvador"), ("schedule", "officer")]:
        if step == "refer":
            case_steps.approve(case.pk, user=reviewer2, reason="Third-country notice served", **BASIS)
        moving.take(case.pk, step, users[user])
    order = tmp_path / "stay-order.pdf"
    order.write_bytes(b"%PDF-1.4 stay of removal")
    browse.log_in("officer")
    page = browse.visit("/people/P302/")
    page.get_by_text("File a hold").click()
    form = page.locator("form.hold")
    form.get_by_label("Kind").select_option("stay_of_removal")
    form.get_by_label("Reference").fill("25-cv-0042")
    form.get_by_label("Document").set_input_files(str(order))
    with page.expect_navigation():
        form.get_by_role("button", name="File the hold").click()
    browse.checked()
    expect(page.locator("p.message")).to_contain_text("1 case(s) of P302 on hold")
    expect(page.locator("table.holds")).to_contain_text("25-cv-0042")
    browse.shoot("person-on-hold")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.held_from) == (State.ON_HOLD, State.SCHEDULED)
    assert moving.entry_of(stored).status == "removed"  # off its flight at once


def test_the_facility_records_a_release_and_the_place_goes_to_the_first_in_line(
    browse: Browser, make_person: Callable[..., Person], users: dict[str, User]
) -> None:
    from accord.cases import steps as case_steps
    from accord.facilities.models import Facility

    Facility.objects.filter(code="cecot").update(capacity=1)
    reviewer2 = User.objects.create_user(username="reviewer2", password=PASSWORD, role="legal_reviewer")
    cases = []
    for pid in ("P303", "P304"):
        case = open_case(make_person(pid, nationalities="VE", conviction="felony"), "us-sv-2025", user=users["officer"])
        case_steps.submit(case.pk, user=users["officer"])
        case_steps.approve(case.pk, user=reviewer2, reason="Third-country notice served", **BASIS)
        case_steps.refer(case.pk, user=users["officer"])
        cases.append(case)
    inside, waiting = cases
    case_steps.accept(inside.pk, user=users["salvador"])
    case_steps.accept(waiting.pk, user=users["salvador"])  # CECOT is full: the waitlist
    for step, user in [("schedule", "officer"), ("depart", "officer"), ("hand_over", "salvador")]:
        moving.via_movement(inside.pk, step, users[user])
    browse.log_in("salvador")
    page = browse.visit(f"/cases/{waiting.pk}/")
    expect(page.locator("dl.record").first).to_contain_text("waiting, waitlist position 1")
    page = take(browse, inside.pk, "Record release from the facility", reason="Sentence served")
    expect(page.locator("p.message")).to_contain_text("is now closed")
    expect(page.locator("dl.record").first).to_contain_text(
        "Centro de Confinamiento del Terrorismo (CECOT): released on"
    )
    expect(page.get_by_role("button", name="Record release from the facility")).to_have_count(0)
    browse.shoot("case-released")
    page = browse.visit(f"/cases/{waiting.pk}/")
    expect(page.locator("dl.record").first).to_contain_text("Centro de Confinamiento del Terrorismo (CECOT): held")
    assert Case.objects.get(pk=waiting.pk).state == State.ACCEPTED
