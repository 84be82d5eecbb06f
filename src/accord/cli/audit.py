"""``accord audit verify | export``: prove the chain (against anchors kept outside, if given), or hand it to an outside auditor."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from accord.cli.common import app, console, django_setup, errors, fail, say

audit_app = typer.Typer(help="Verify and export the tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify_command(
    file: Annotated[
        Path | None,
        typer.Option("--file", exists=True, dir_okay=False, help="Verify an export instead of the database."),
    ] = None,
    anchor: Annotated[
        list[str] | None,
        typer.Option(
            "--anchor",
            help="SEQ:HASH an earlier verify printed, kept outside the database: that event must still be "
            "there, unchanged (detects a cut-off tail or a rewritten chain). Repeatable.",
        ),
    ] = None,
) -> None:
    """Recompute every event's hash and link; name the first broken event and exit 1 if any."""
    from accord.core.audit import parse_anchors

    try:
        anchors = parse_anchors(anchor or [])
        if file is not None:
            from accord.core.audit import verify_export

            result = verify_export(file, anchors)
        else:
            django_setup()
            from accord.audit.selectors import verify_chain

            result = verify_chain(anchors)
    except ValueError as err:
        raise fail(str(err), 2) from None
    if not result.ok:
        errors.print(f"[bold red]BROKEN:[/] {escape(str(result))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    say(result)
    if anchors:
        console.print(f"{len(anchors)} anchor{'s' if len(anchors) > 1 else ''} found unchanged.", highlight=False)
    if result.anchor:
        say(f"Anchor for a later check (keep it outside this system): {result.anchor}")


@audit_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write: .jsonl or .csv (every column, hashes included).")],
) -> None:
    """Write the whole log for an outside auditor, who can check it with `accord audit verify --file`."""

    if out.suffix not in (".jsonl", ".csv"):
        raise fail(f"{out}: use .jsonl or .csv", 2)
    django_setup()
    from accord.audit.selectors import stored_rows

    count = _write(out, stored_rows())
    console.print(f"Wrote {count:,} events to {out}.")


def _write(out: Path, rows: Iterable[Sequence[object]]) -> int:
    """Write to a temporary file beside ``out`` and rename it: a reader never sees half an export."""
    from accord.core.audit import COLUMNS
    from accord.core.spreadsheet import escape

    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    count = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream) if out.suffix == ".csv" else None
            if writer:
                writer.writerow(COLUMNS)
            for row in rows:
                if writer:  # formula-safe: an actor or an id may start with '=' or '@'
                    writer.writerow([row[0], *(escape(str(v)) for v in row[1:])])
                else:
                    stream.write(json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False) + "\n")
                count += 1
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
