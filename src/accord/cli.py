"""The ``accord`` command line: thin wrappers over the core's use cases."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.core.dataset import DataFileError, UnknownAgreementError

if TYPE_CHECKING:
    from accord.accounts.models import User
from accord.core.records import RecordError, read_people, write_frame, write_people
from accord.core.rules.engine import Result, Usage
from accord.core.screening import Explanation, default_dataset, explain, screen_population, select_agreements
from accord.core.version import rules_version

app = typer.Typer(help="Accord: screen, explain and account for moves of people in custody.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

DateOption = Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Screening date, YYYY-MM-DD.")]
AgreementOption = Annotated[
    list[str] | None, typer.Option("--agreement", "-a", help="Agreement id (repeatable); default: every agreement.")
]
UsageOption = Annotated[
    Path | None, typer.Option("--usage", help="TOML file of places and quotas already used (default: none used).")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)  # a bad cell may read '[/]'
    return typer.Exit(code)


def _usage(path: Path | None) -> Usage:
    from accord.core.usage import load_usage

    return load_usage(path) if path else Usage()


def _read(path: Path) -> pl.DataFrame:
    try:
        return read_people(path)
    except RecordError as err:
        raise _fail(f"{path}: nothing was read.\n{err}") from None


@app.command()
def screen(
    people: Annotated[Path, typer.Argument(help="Person records: .csv, .parquet or .jsonl.")],
    date: DateOption,
    out: Annotated[Path, typer.Option("--out", help="Decisions file: .csv, .parquet or .jsonl.")],
    agreement: AgreementOption = None,
    usage: UsageOption = None,
) -> None:
    """Screen every person against agreements on a date: one decision row per person × agreement."""
    day = date.date()
    try:
        dataset = default_dataset()
        agreements = select_agreements(dataset, agreement)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=errors, transient=True
        ) as bar:
            task = bar.add_task(f"reading {escape(str(people))}", total=len(agreements) + 2)
            frame = _read(people)
            bar.update(task, advance=1, description=f"screening {frame.height:,} people × {len(agreements)} agreements")
            started = time.perf_counter()
            decisions = screen_population(frame, day, [a.id for a in agreements], dataset=dataset, usage=_usage(usage))
            seconds = time.perf_counter() - started
            bar.update(task, advance=len(agreements), description=f"writing {escape(str(out))}")
            write_frame(decisions, out)
    except (UnknownAgreementError, DataFileError, ValueError) as err:
        raise _fail(str(err), 2) from None
    _summary(decisions, day, seconds)
    console.print(f"Wrote {decisions.height:,} decisions to {out} (data version {dataset.version}).")


def _summary(decisions: pl.DataFrame, day: dt.date, seconds: float) -> None:
    counts = decisions.group_by("agreement_id", "outcome").len()
    table = Table(title=f"Screening on {day} ({seconds:.2f} s)")
    table.add_column("agreement")
    outcomes = ("eligible", "review", "barred")
    for outcome in outcomes:
        table.add_column(outcome, justify="right")
    for agreement_id in decisions["agreement_id"].unique(maintain_order=True):
        rows = counts.filter(pl.col("agreement_id") == agreement_id)
        by = dict(zip(rows["outcome"], rows["len"], strict=True))
        table.add_row(agreement_id, *(f"{by.get(o, 0):,}" for o in outcomes))
    console.print(table)


RESULT_STYLE = {Result.BARRED: "bold red", Result.REVIEW: "yellow", Result.PASS: "green", Result.NOT_APPLICABLE: "dim"}


def _print_explanation(e: Explanation) -> None:
    console.rule(f"{e.person_id} — {e.agreement_id} on {e.date}")
    console.print(f"[bold]{e.agreement_title}[/]", highlight=False)
    placement = e.placement or "none"
    console.print(
        f"Outcome: [{_outcome_style(e.outcome)}]{e.outcome.upper()}[/]   placement: {placement}   "
        f"clause: {e.clause_id or 'none'}   data version: {e.data_version}   rules version: {rules_version()}",
        highlight=False,
    )
    table = Table(show_lines=True, expand=True)
    for column, ratio in (("rule", 2), ("result", 1), ("why", 4), ("source", 3)):
        table.add_column(column, ratio=ratio)
    for r in e.results:
        source = r.citation + (f"\n{r.quote}" if r.quote else "")
        table.add_row(r.rule_id, f"[{RESULT_STYLE[r.result]}]{r.result.label}[/]", r.reason, source)
    console.print(table)
    failing = ", ".join(f"{r.rule_id} ({r.result.label})" for r in e.failing) or "none"
    console.print(f"Rules that did not pass: {failing}", highlight=False)


def _outcome_style(outcome: str) -> str:
    return {"barred": "bold red", "review": "bold yellow"}.get(outcome, "bold green")


@app.command(name="explain")
def explain_command(
    person_id: Annotated[str, typer.Argument(help="The person's person_id.")],
    people: Annotated[Path, typer.Option("--people", help="Person records holding that person.")],
    date: DateOption,
    agreement: AgreementOption = None,
    usage: UsageOption = None,
) -> None:
    """Explain, rule by rule and with sources, whether one person may be moved."""
    frame = _read(people)
    person = frame.filter(pl.col("person_id") == person_id)
    if person.height == 0:
        raise _fail(f"no person {person_id!r} in {people}", 2)
    try:
        dataset = default_dataset()
        for chosen in select_agreements(dataset, agreement):
            _print_explanation(explain(person, chosen.id, date.date(), dataset=dataset, usage=_usage(usage)))
    except (UnknownAgreementError, DataFileError, ValueError) as err:
        raise _fail(str(err), 2) from None


@app.command()
def agreements() -> None:
    """List agreements with their clauses, periods, statuses, parameters and sources."""
    dataset = default_dataset()
    for a in dataset.agreements.values():
        console.rule(f"{a.id} — {a.status}")
        console.print(
            f"[bold]{a.title}[/]  {a.sending_state} → {a.receiving_state}  in force {a.start} to {a.end or 'open'}",
            highlight=False,
        )
        console.print(a.summary.strip(), highlight=False)
        if a.transport_paid_by:
            console.print(f"Transport paid by: {a.transport_paid_by}")
        for f in a.facilities:
            console.print(f"Facility {f.id}: {f.name}, {f.kind}, capacity {f.capacity:,} — {f.citation.document}")
        for name, p in a.parameters.items():
            for v in p.values:
                flag = " [yellow](assumption)[/]" if v.assumption else ""
                console.print(f"Parameter {name} from {v.start}: {v.value:g} {p.unit}{flag}")
        table = Table(expand=True)
        for column in ("clause", "kind", "status", "period", "placement", "source"):
            table.add_column(column)
        for c in a.clauses:
            period = f"{c.start or 'open'} to {c.end or 'open'}"
            quota = f", {c.monthly_quota:,}/month" if c.monthly_quota else ""
            table.add_row(
                c.id, c.kind, c.status, period, c.placement + quota, f"{c.citation.document}: “{c.citation.quote}”"
            )
        if a.clauses:
            console.print(table)
    console.print(f"Data version {dataset.version}.")


@app.command()
def rules() -> None:
    """List the rule catalogue: every rule with its citation and period."""
    dataset = default_dataset()
    table = Table(expand=True)
    for column in ("rule", "title", "citation", "in force"):
        table.add_column(column)
    for ruleset in dataset.rulesets.values():
        for info in ruleset.rules:
            table.add_row(info.id, info.title, info.citation, f"{info.start or 'open'} to {info.end or 'open'}")
    console.print(table)


@app.command(name="generate-population")
def generate_population_command(
    n: Annotated[int, typer.Argument(min=0, help="How many people.")],
    out: Annotated[Path, typer.Option("--out", help="Output file: .csv, .parquet or .jsonl.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same people.")] = 1,
    unknown_rate: Annotated[
        float, typer.Option("--unknown-rate", min=0.0, max=1.0, help="Share of fact cells left unknown.")
    ] = 0.0,
) -> None:
    """Generate a synthetic, plausible population for demos and benchmarks."""
    from accord.core.population import generate_population

    frame = generate_population(n, seed, unknown_rate=unknown_rate)
    try:
        write_people(frame, out)
    except RecordError as err:
        raise _fail(str(err), 2) from None
    console.print(f"Wrote {frame.height:,} people to {out} (seed {seed}).")


def _django() -> None:
    """Set Django up for the commands that use the database."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.web.settings")
    django.setup()


TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="ACCORD_TOKEN",
        show_default=False,
        help="Your API token (better: the ACCORD_TOKEN environment variable, which no process list shows). "
        "The command acts as the token's user, checked against their role and named in the audit log. "
        "Issue one with `accord token issue USERNAME`.",
    ),
]


def _signed_in(token: str | None, action: str | None = None) -> User:
    """The user whose token was given: a command acts as someone only with their token, never
    on a typed name. ``action`` (a ``Can``) is checked against the same role table as the web."""
    from django.core.exceptions import PermissionDenied

    from accord.accounts.permissions import Can, require
    from accord.accounts.services import user_for_token

    if not token:
        raise _fail("sign in: give your API token with ACCORD_TOKEN or --token (`accord token issue USERNAME`)", 2)
    found = user_for_token(token.strip())
    if found is None:
        raise _fail("the token is unknown or revoked, or its user is deactivated", 2)
    if action is not None:
        try:
            require(found, Can(action))
        except PermissionDenied as err:
            raise _fail(f"{found.username}: {err}", 2) from None
    return found


@app.command(name="import")
def import_command(
    people: Annotated[Path, typer.Argument(help="Person records: .csv, .parquet or .jsonl.")],
    token: TokenOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why, recorded in each person's history.")] = "import",
) -> None:
    """Import person records into the database: all or nothing, idempotent on person_id."""
    _django()
    from accord.people.services import import_people

    actor = _signed_in(token, "import_people")

    with Progress(console=errors, transient=True) as bar:
        task = bar.add_task(f"importing {escape(str(people))}", total=None)
        try:
            result = import_people(
                people,
                user=actor,
                reason=reason,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except RecordError as err:
            raise _fail(f"{people}: nothing was imported.\n{err}") from None
    counts = f"{result.created:,} created, {result.updated:,} updated, {result.unchanged:,} unchanged."
    console.print(f"{escape(str(people))}: {counts}")


case_app = typer.Typer(help="Move cases through the workflow, signed in with your token.", no_args_is_help=True)
hold_app = typer.Typer(help="File and lift legal holds, signed in with your token.", no_args_is_help=True)
token_app = typer.Typer(help="Your API tokens (for the API and these commands).", no_args_is_help=True)
user_app = typer.Typer(help="Maintenance of accounts, acting as nobody (recorded as such).", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(hold_app, name="hold")
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")


@case_app.command("step")
def case_step(
    case_id: Annotated[int, typer.Argument(help="The case number.")],
    step: Annotated[
        str,
        typer.Argument(
            help="submit, send_back, approve, refer, accept, reject, schedule, depart, hand_over, close, release, withdraw, rescreen."
        ),
    ],
    token: TokenOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (required for some steps).")] = "",
    on: Annotated[
        dt.datetime | None, typer.Option("--on", formats=["%Y-%m-%d"], help="Move date, for schedule.")
    ] = None,
    basis_kind: Annotated[
        str,
        typer.Option(
            "--basis-kind",
            help="For approve of a prison placement abroad: the receiving state's legal basis "
            "(conviction, charge or court_order).",
        ),
    ] = "",
    basis_reference: Annotated[str, typer.Option("--basis-reference", help="Its reference.")] = "",
) -> None:
    """Take one workflow step; the same checks as the web and the API (role, four eyes, screening today)."""
    _django()
    from accord.capacity.selectors import live_reservation, waitlist_position
    from accord.cases.actions import take_step
    from accord.cases.policy import seen_state
    from accord.cases.services import CaseError

    user = _signed_in(token)
    options = {"on": on.date() if on else None, "basis_kind": basis_kind, "basis_reference": basis_reference}
    try:
        case = take_step(case_id, step, user=user, reason=reason, **options)
    except CaseError as err:
        raise _fail(f"case {case_id}: {err}") from None
    reservation = live_reservation(case.pk)
    position = waitlist_position(reservation) if reservation else None
    where = f", waitlist position {position}" if position else ""
    console.print(f"Case {case.pk}: {seen_state(user, case)}{where}.", highlight=False)


@case_app.command("queue")
def case_queue(token: TokenOption = None) -> None:
    """The cases waiting for you, oldest first."""
    _django()
    from accord.cases.policy import referral_view, seen_state
    from accord.cases.selectors import work_queue

    user = _signed_in(token, "view_cases")
    receiving = user.role == "receiving_officer"
    table = Table(title=f"Waiting for {escape(user.username)}")
    for column in ("case", "person", "agreement", "state", *(() if receiving else ("outcome",))):
        table.add_column(column)
    for case in work_queue(user)[:200]:
        person_id = referral_view(case)["person_id"] if receiving else case.person.person_id
        row = [str(case.pk), escape(str(person_id)), case.agreement_id, seen_state(user, case)]
        table.add_row(*row, *(() if receiving else (case.outcome,)))
    console.print(table)


@hold_app.command("file")
def hold_file(
    person_id: Annotated[str, typer.Argument(help="The person's id.")],
    kind: Annotated[
        str, typer.Option("--kind", help="stay_of_removal, court_order, habeas_petition or protection_claim.")
    ],
    reference: Annotated[str, typer.Option("--reference", help="Docket, order or claim number.")],
    document: Annotated[
        Path, typer.Option("--document", exists=True, dir_okay=False, help="The order, petition or claim.")
    ],
    token: TokenOption = None,
    note: Annotated[str, typer.Option("--note")] = "",
) -> None:
    """File a legal hold: every case of the person not yet handed over stops at once."""
    _django()
    from django.core.exceptions import PermissionDenied
    from django.core.files import File

    from accord.cases.services import CaseError
    from accord.holds.services import file_hold
    from accord.people.models import Person

    user = _signed_in(token, "file_holds")
    person = Person.objects.filter(person_id=person_id).first()
    if person is None:
        raise _fail(f"no person {person_id!r}", 2)
    try:
        with document.open("rb") as handle:
            hold = file_hold(
                person, kind=kind, reference=reference, document=File(handle, name=document.name), user=user, note=note
            )
    except (CaseError, PermissionDenied) as err:
        raise _fail(f"hold not filed: {err}") from None
    held = person.cases.filter(state="on_hold").count()
    console.print(f"Hold {hold.pk} filed for {escape(person_id)}: {held} case(s) on hold.", highlight=False)


@hold_app.command("lift")
def hold_lift(
    hold_id: Annotated[int, typer.Argument(help="The hold number.")],
    reason: Annotated[str, typer.Option("--reason", help="The order or decision that ends the hold.")],
    token: TokenOption = None,
) -> None:
    """Lift a hold; the person's held cases are screened again and start over from screened."""
    _django()
    from django.core.exceptions import PermissionDenied

    from accord.cases.services import CaseError
    from accord.holds.models import LegalHold
    from accord.holds.services import lift_hold

    user = _signed_in(token, "lift_holds")
    hold = LegalHold.objects.filter(pk=hold_id).first()
    if hold is None:
        raise _fail(f"no hold {hold_id}", 2)
    try:
        lift_hold(hold, user=user, reason=reason)
    except (CaseError, PermissionDenied) as err:
        raise _fail(f"hold not lifted: {err}") from None
    console.print(f"Hold {hold_id} lifted.")


def _password(stdin: bool, confirm: bool) -> str:
    import sys

    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm, err=True))  # stdout: the token


@token_app.command("issue")
def token_issue(
    username: Annotated[str, typer.Argument(help="Your username.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for (shown in your token list).")] = "cli",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read your password from standard input instead of a prompt.")
    ] = False,
) -> None:
    """Issue yourself a token, proving who you are with your password; it is printed once."""
    _django()
    from accord.accounts.models import User
    from accord.accounts.services import AccountError, issue_token

    password = _password(password_stdin, confirm=False)
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not user.check_password(password):
        raise _fail("wrong username or password", 2)
    try:
        _row, token = issue_token(user, name, reason="issued with `accord token issue`")
    except AccountError as err:
        raise _fail(str(err), 2) from None
    console.print(token, highlight=False, soft_wrap=True)
    errors.print("Keep it like a password: export ACCORD_TOKEN=<token> for the commands.", highlight=False)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="The new account's username.")],
    role: Annotated[
        str, typer.Option("--role", help="case_officer, legal_reviewer, receiving_officer, finance, monitor or admin.")
    ],
    state: Annotated[str, typer.Option("--state", help="For a receiving officer: the ISO code of their state.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt.")
    ] = False,
) -> None:
    """Create an account (the first administrator, say): maintenance, recorded as `accord user create`."""
    _django()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from accord.accounts.models import User
    from accord.accounts.services import create_user, set_password
    from accord.audit.services import maintenance

    password = _password(password_stdin, confirm=True)
    try:
        validate_password(password, User(username=username))
        with maintenance("accord user create"), transaction.atomic():
            user = create_user(username, role, state, by=None, reason="created on the command line")
            set_password(user, password, by=None, reason="set on the command line")
    except ValidationError as err:
        raise _fail("; ".join(err.messages), 2) from None
    console.print(f"User {escape(username)} created ({role}{', ' + state if state else ''}).", highlight=False)


@app.command()
def rescreen(
    date: Annotated[
        dt.datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="Screen as of this day (default today).")
    ] = None,
) -> None:
    """Screen every open case again (after the rules or the data changed): cases that no longer
    stand are returned with their places given back. Maintenance, recorded as `accord rescreen`."""
    _django()
    from accord.audit.services import maintenance
    from accord.cases.rescreen import rescreen_open_cases

    with Progress(console=errors, transient=True) as bar, maintenance("accord rescreen"):
        task = bar.add_task("screening open cases", total=None)
        report = rescreen_open_cases(
            day=date.date() if date else None,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    console.print(f"{report.screened:,} open cases screened again; {report.changed:,} changed.", highlight=False)
    if report.directions:
        table = Table(title="Outcome before → after")
        table.add_column("before")
        table.add_column("after")
        table.add_column("cases", justify="right")
        for (before, after), n in sorted(report.directions.items()):
            table.add_row(before, after, f"{n:,}")
        console.print(table)
    for title, counts in (
        ("Rules now failing", report.newly_failing),
        ("Rules no longer failing", report.no_longer_failing),
    ):
        if counts:
            table = Table(title=title)
            table.add_column("rule")
            table.add_column("cases", justify="right")
            for rule_id, n in counts.most_common():
                table.add_row(rule_id, f"{n:,}")
            console.print(table)
    returned = ", ".join(f"{n:,} to {state.replace('_', ' ')}" for state, n in sorted(report.returned.items()))
    console.print(
        f"Returned: {returned or 'none'}; places or waitlist positions given back: {report.places_given_back:,}.",
        highlight=False,
    )


@app.command()
def demo(
    people: Annotated[int, typer.Option("--people", help="How many people to generate.")] = 5_000,
    port: Annotated[int, typer.Option("--port")] = 8000,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the web server afterwards.")] = True,
) -> None:
    """Build the demo from nothing (database, agreements, facilities, people, cases, users) and serve it."""
    _django()
    from django.core.management import call_command

    from accord.audit.services import maintenance
    from accord.web.demo import build_demo

    with maintenance("accord demo"):
        users = build_demo(people, say=console.print)
    table = Table(title="Demo users (passwords are new on every run)")
    for column in ("username", "role", "state", "password"):
        table.add_column(column)
    for user in users:
        table.add_row(user.username, user.role, user.receiving_state or "–", user.password)
    console.print(table)
    console.print("For the commands: export ACCORD_TOKEN=$(uv run accord token issue officer)", highlight=False)
    if serve:
        console.print(f"Serving on http://127.0.0.1:{port}/ (Ctrl-C to stop).")
        call_command("runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks")


from accord.audit.cli import audit_app  # noqa: E402  (it imports this module's helpers lazily)

app.add_typer(audit_app, name="audit")

if __name__ == "__main__":
    app()
