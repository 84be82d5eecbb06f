"""``accord screen | explain | agreements | rules | generate-population``: the rules core on files, no database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

if TYPE_CHECKING:
    import polars as pl

from accord.cli.common import (
    AgreementOption,
    DateOption,
    UsageOption,
    app,
    console,
    errors,
    fail,
    read_records,
    say,
    usage_of,
)
from accord.core.screening import Explanation


@app.command()
def screen(
    people: Annotated[Path, typer.Argument(help="Person records: .csv, .parquet or .jsonl.")],
    date: DateOption,
    out: Annotated[Path, typer.Option("--out", help="Decisions file: .csv, .parquet or .jsonl.")],
    agreement: AgreementOption = None,
    usage: UsageOption = None,
) -> None:
    """Screen every person against agreements on a date: one decision row per person × agreement,
    naming the rules that did not pass; their titles and citations go once each to a catalogue
    beside the decisions (``<name>.rules.<ext>``)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from accord.core.dataset import DataFileError, UnknownAgreementError
    from accord.core.records import RecordError
    from accord.core.screening import screen_file

    day = date.date()
    phases = {"read": f"reading {escape(str(people))}", "screen": "screening", "write": f"writing {escape(str(out))}"}
    try:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=errors, transient=True
        ) as bar:
            task = bar.add_task(phases["read"], total=None)
            run = screen_file(
                people,
                out,
                day,
                agreement,
                usage=usage_of(usage),
                progress=lambda phase: bar.update(task, description=phases[phase]),
            )
    except RecordError as err:  # before ValueError, which it is: a refused file is exit 1
        raise fail(f"{people}: nothing was read.\n{err}") from None
    except (UnknownAgreementError, DataFileError, ValueError) as err:
        raise fail(str(err), 2) from None
    _summary(run.counts, day, run.people, run.seconds["rules"])
    console.print(
        f"Wrote {run.rows:,} decisions to {escape(str(out))} and their rule catalogue to "
        f"{escape(str(run.catalogue))} (data version {run.data_version}).",
        highlight=False,
    )


def _summary(counts: pl.DataFrame, day: dt.date, people: int, seconds: float) -> None:
    import polars as pl
    from rich.table import Table

    table = Table(title=f"Screening {people:,} people on {day} ({seconds:.2f} s)")
    table.add_column("agreement")
    outcomes = ("eligible", "review", "barred")
    for outcome in outcomes:
        table.add_column(outcome, justify="right")
    for agreement_id in counts["agreement_id"].unique(maintain_order=True):
        rows = counts.filter(pl.col("agreement_id") == agreement_id)
        by = dict(zip(rows["outcome"], rows["len"], strict=True))
        table.add_row(escape(agreement_id), *(f"{by.get(o, 0):,}" for o in outcomes))
    console.print(table)


RESULT_STYLE = {"barred": "bold red", "review": "yellow", "pass": "green", "not applicable": "dim"}


def _print_explanation(e: Explanation) -> None:
    from rich.table import Table

    from accord.core.version import rules_version

    console.rule(escape(f"{e.person_id} — {e.agreement_id} on {e.date}"))
    console.print(f"[bold]{escape(e.agreement_title)}[/]", highlight=False)
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
        style = RESULT_STYLE[r.result.label]
        table.add_row(escape(r.rule_id), f"[{style}]{r.result.label}[/]", escape(r.reason), escape(source))
    console.print(table)
    failing = ", ".join(f"{r.rule_id} ({r.result.label})" for r in e.failing) or "none"
    say(f"Rules that did not pass: {failing}")


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
    import polars as pl

    from accord.core.dataset import DataFileError, UnknownAgreementError
    from accord.core.screening import default_dataset, explain, select_agreements

    frame = read_records(people)
    person = frame.filter(pl.col("person_id") == person_id)
    if person.height == 0:
        raise fail(f"no person {person_id!r} in {people}", 2)
    try:
        dataset = default_dataset()
        for chosen in select_agreements(dataset, agreement):
            _print_explanation(explain(person, chosen.id, date.date(), dataset=dataset, usage=usage_of(usage)))
    except (UnknownAgreementError, DataFileError, ValueError) as err:
        raise fail(str(err), 2) from None


@app.command()
def agreements() -> None:
    """List agreements with their clauses, periods, statuses, parameters and sources."""
    from rich.table import Table

    from accord.core.ledger import format_minor
    from accord.core.screening import default_dataset

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
        for fee in a.fees:
            for r in fee.rates:
                flag = " [yellow](assumption)[/]" if r.assumption else ""
                where = f" in {fee.facility}" if fee.facility else f" for {', '.join(fee.nationalities)}"
                money = format_minor(r.amount_minor, fee.currency)
                console.print(
                    f"Fee {fee.id} ({fee.kind}{where}, {fee.payer} pays {fee.payee}) from {r.start}: {money}{flag}"
                )
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
    from rich.table import Table

    from accord.core.screening import default_dataset

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
    from accord.core.records import RecordError, write_people

    frame = generate_population(n, seed, unknown_rate=unknown_rate)
    try:
        write_people(frame, out)
    except RecordError as err:
        raise fail(str(err), 2) from None
    console.print(f"Wrote {frame.height:,} people to {out} (seed {seed}).")
