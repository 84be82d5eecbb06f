"""``accord import``: person records into the database, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from accord.cli.common import (
    TokenOption,
    app,
    console,
    django_setup,
    errors,
    fail,
    signed_in,
)


@app.command(name="import")
def import_command(
    people: Annotated[Path, typer.Argument(help="Person records: .csv, .parquet or .jsonl.")],
    token: TokenOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why, recorded in each person's history.")] = "import",
) -> None:
    """Import person records into the database: all or nothing, idempotent on person_id."""
    from rich.progress import Progress

    from accord.core.records import RecordError

    django_setup()
    from accord.people.services import import_people

    actor = signed_in(token, "import_people")

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
            raise fail(f"{people}: nothing was imported.\n{err}") from None
    counts = f"{result.created:,} created, {result.updated:,} updated, {result.unchanged:,} unchanged."
    console.print(f"{escape(str(people))}: {counts}")
