"""``accord hold file | lift``: legal holds, signed in with a token."""

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
    fail,
    signed_in,
)

hold_app = typer.Typer(help="File and lift legal holds, signed in with your token.", no_args_is_help=True)
app.add_typer(hold_app, name="hold")


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
    django_setup()
    from django.core.exceptions import PermissionDenied
    from django.core.files import File

    from accord.cases.errors import CaseError
    from accord.holds.services import file_hold
    from accord.people.models import Person

    user = signed_in(token, "file_holds")
    person = Person.objects.filter(person_id=person_id).first()
    if person is None:
        raise fail(f"no person {person_id!r}", 2)
    try:
        with document.open("rb") as handle:
            hold = file_hold(
                person, kind=kind, reference=reference, document=File(handle, name=document.name), user=user, note=note
            )
    except (CaseError, PermissionDenied) as err:
        raise fail(f"hold not filed: {err}") from None
    held = person.cases.filter(state="on_hold").count()
    console.print(f"Hold {hold.pk} filed for {escape(person_id)}: {held} case(s) on hold.", highlight=False)


@hold_app.command("lift")
def hold_lift(
    hold_id: Annotated[int, typer.Argument(help="The hold number.")],
    reason: Annotated[str, typer.Option("--reason", help="The order or decision that ends the hold.")],
    token: TokenOption = None,
) -> None:
    """Lift a hold; the person's held cases are screened again and start over from screened."""
    django_setup()
    from django.core.exceptions import PermissionDenied

    from accord.cases.errors import CaseError
    from accord.holds.models import LegalHold
    from accord.holds.services import lift_hold

    user = signed_in(token, "lift_holds")
    hold = LegalHold.objects.filter(pk=hold_id).first()
    if hold is None:
        raise fail(f"no hold {hold_id}", 2)
    try:
        lift_hold(hold, user=user, reason=reason)
    except (CaseError, PermissionDenied) as err:
        raise fail(f"hold not lifted: {err}") from None
    console.print(f"Hold {hold_id} lifted.")
