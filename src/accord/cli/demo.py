"""``accord demo``: the demo database built from nothing, then served."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.common import (
    app,
    console,
    django_setup,
)


@app.command()
def demo(
    people: Annotated[int, typer.Option("--people", help="How many people to generate.")] = 5_000,
    port: Annotated[int, typer.Option("--port")] = 8000,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the web server afterwards.")] = True,
) -> None:
    """Build the demo (database, agreements, facilities, people, cases, movements, money, users) and
    serve it. Run again on the same database, it builds on what is there and issues new
    passwords: delete the database (var/accord.sqlite3) for a demo built anew by today's code."""
    from rich.table import Table

    django_setup()
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
