"""``accord ledger accrue | close | invoices | statement``: money, signed in with a token.

Accruing and closing are finance's (``post_ledger``); reading invoices and statements follows the
ledger's policy (finance and legal reviewers: every invoice; a receiving officer: their state's)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import TokenOption, app, console, django_setup, fail, say, signed_in

ledger_app = typer.Typer(help="Accrue, close and read the ledger's months and invoices.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")

MonthOption = Annotated[str, typer.Option("--month", help="Calendar month, YYYY-MM.")]
OptionalMonth = Annotated[str | None, typer.Option("--month", help="Only this month, YYYY-MM.")]


def _month(text: str) -> str:
    from accord.core.ledger import Month

    try:
        return str(Month.parse(text))
    except ValueError as err:
        raise fail(str(err), 2) from None


@ledger_app.command("accrue")
def accrue_command(month: MonthOption, token: TokenOption = None) -> None:
    """Accrue the month's person-day fees from the occupancy periods (again: only the difference)."""
    month = _month(month)
    django_setup()
    from accord.ledger.services import LedgerError, accrue_month

    user = signed_in(token, "post_ledger")
    try:
        result = accrue_month(month, actor=user)
    except LedgerError as err:
        raise fail(str(err), 2) from None
    say(
        f"{month}: {result.transactions} transaction(s), {result.person_days:,} person-days, "
        f"{result.amount_minor:,} minor units of currency posted (see `accord ledger statement`)."
    )
    if result.unknown_stays:
        say(f"{result.unknown_stays} stay(s) with an unknown handover day were not accrued.", err=True)
    if result.unpriced_days:
        say(f"{result.unpriced_days:,} person-day(s) had no rate in force and were not accrued.", err=True)
    if result.unknown_holds:
        say(f"{result.unknown_holds} place(s) held since an unknown day were not billed as reserved places.", err=True)


@ledger_app.command("close")
def close_command(month: MonthOption, token: TokenOption = None) -> None:
    """Accrue what is left, issue the month's invoices and close it (again: changes nothing)."""
    month = _month(month)
    django_setup()
    from accord.core.ledger import format_minor
    from accord.ledger.services import LedgerError, close_month

    user = signed_in(token, "post_ledger")
    try:
        issued = close_month(month, actor=user)
    except LedgerError as err:
        raise fail(str(err), 2) from None
    say(f"{month} is closed; {len(issued)} invoice(s).")
    for invoice in issued:
        flag = " (includes assumptions)" if invoice.assumption else ""
        say(f"  {invoice.number}: {format_minor(invoice.total_minor, invoice.currency)}{flag}")


@ledger_app.command("invoices")
def invoices_command(month: OptionalMonth = None, token: TokenOption = None) -> None:
    """List the invoices you may read."""
    month = _month(month) if month else None
    django_setup()
    from accord.core.ledger import format_minor
    from accord.ledger import selectors

    user = signed_in(token, "view_ledger")
    found = selectors.invoices(user, month)
    if not found:
        say("No invoices.")
    for invoice in found:
        flag = " assumption" if invoice.assumption else ""
        say(
            f"{invoice.number}\t{invoice.month.month}\t{invoice.payer}->{invoice.payee}\t"
            f"{format_minor(invoice.total_minor, invoice.currency)}{flag}"
        )


@ledger_app.command("statement")
def statement_command(
    month: OptionalMonth = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the CSV here instead of printing it.")] = None,
    token: TokenOption = None,
) -> None:
    """Every invoice line you may read as CSV: facility, rate, person-days, amount, assumption flag."""
    month = _month(month) if month else None
    django_setup()
    from accord.ledger import selectors

    user = signed_in(token, "view_ledger")
    text = selectors.statement_csv(user, month)
    if out is None:
        typer.echo(text, nl=False)
        return
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    console.print(f"Wrote {text.count(chr(10)) - 1:,} line(s) to {out}.", highlight=False)
