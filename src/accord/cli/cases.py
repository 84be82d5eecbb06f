"""``accord case step | queue`` and ``accord rescreen``: the workflow, signed in with a token."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.markup import escape

from accord.cli.common import BUSY_EXIT, TokenOption, app, console, django_setup, errors, fail, say, signed_in
from accord.core.workflow import VIA_MOVEMENT, VIA_MOVEMENT_ONLY, CaseStep

case_app = typer.Typer(help="Move cases through the workflow, signed in with your token.", no_args_is_help=True)
app.add_typer(case_app, name="case")


def _case_step(value: str) -> str:
    """A step a case takes on its own; a step only a movement takes is refused saying so (exit 2)."""
    if value.lower() in VIA_MOVEMENT:
        raise typer.BadParameter(VIA_MOVEMENT_ONLY.format(step=value.lower()))
    try:
        return CaseStep(value.lower()).value
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a step; one of {', '.join(CaseStep)}") from None


@case_app.command("step")
def case_step(
    case_id: Annotated[int, typer.Argument(help="The case number.")],
    step: Annotated[
        str,
        typer.Argument(
            help=f"The step to take: {', '.join(CaseStep)} (scheduling, departure and handover: accord movement …).",
            callback=_case_step,
        ),
    ],
    token: TokenOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (required for some steps).")] = "",
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
    django_setup()
    from accord.cases.errors import Busy, CaseError
    from accord.cases.policy import seen_state
    from accord.cases.steps import take_step

    user = signed_in(token)
    options: dict[str, Any] = {
        "basis_kind": basis_kind,
        "basis_reference": basis_reference,
    }
    try:
        done = take_step(case_id, step, user=user, reason=reason, **options)
    except CaseError as err:
        raise fail(f"case {case_id}: {err}") from None
    except Busy as err:  # its own exit code: a script may wait and run the same command again
        raise fail(f"case {case_id}: {err}", code=BUSY_EXIT) from None
    where = f", waitlist position {done.waitlist_position}" if done.waiting else ""
    say(f"Case {done.case.pk}: {seen_state(user, done.case)}{where}.")


@case_app.command("queue")
def case_queue(token: TokenOption = None) -> None:
    """The cases waiting for you, oldest first."""
    from rich.table import Table

    django_setup()
    from accord.cases.policy import seen_state
    from accord.cases.redaction import referral_view
    from accord.cases.selectors import work_queue

    user = signed_in(token, "view_cases")
    receiving = user.role == "receiving_officer"
    table = Table(title=f"Waiting for {escape(user.username)}")
    for column in ("case", "person", "agreement", "state", *(() if receiving else ("outcome",))):
        table.add_column(column)
    for case in work_queue(user)[:200]:
        person_id = referral_view(case)["person_id"] if receiving else case.person.person_id
        row = [str(case.pk), escape(str(person_id)), case.agreement_id, seen_state(user, case)]
        table.add_row(*row, *(() if receiving else (case.outcome,)))
    console.print(table)


@app.command()
def rescreen(
    date: Annotated[
        dt.datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="Screen as of this day (default today).")
    ] = None,
) -> None:
    """Screen every open case again (after the rules or the data changed): cases that no longer
    stand are returned with their places given back. Maintenance, recorded as `accord rescreen`."""
    from rich.progress import Progress
    from rich.table import Table

    django_setup()
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
