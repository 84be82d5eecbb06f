"""``accord movement create | add | validate | depart | arrive | hand-over | not-handed-over |
cancel | list | show``: the movements' use cases, signed in with a token (the same the API calls)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from accord.cli.common import BUSY_EXIT, TokenOption, app, django_setup, fail, say, signed_in

movement_app = typer.Typer(help="Flights and ground moves and their manifests.", no_args_is_help=True)
app.add_typer(movement_app, name="movement")

When = Annotated[
    str, typer.Option("--at", help="When, ISO 8601 with its offset (default: now), e.g. 2026-12-04T09:30-06:00.")
]


@contextmanager
def refused(what: str) -> Iterator[None]:
    """A refusal or bad input, as one line naming what was wrong (exit 1)."""
    from django.core.exceptions import PermissionDenied

    from accord.cases.errors import Busy, CaseError

    try:
        yield
    except (CaseError, PermissionDenied) as err:
        raise fail(f"{what}: {err}") from None
    except Busy as err:  # as `accord case step`: a script may wait and run the same command again
        raise fail(f"{what}: {err}", code=BUSY_EXIT) from None


def _when(text: str, field: str = "at") -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"{field}: {text!r} is not an ISO 8601 date and time") from None
    if value.tzinfo is None:
        raise fail(f"{field}: {text!r} needs its offset (e.g. -06:00)")
    return value


def _run(token: str | None, what: str, use_case: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    django_setup()
    user = signed_in(token)
    with refused(what):
        return use_case(*args, user=user, **kwargs)


@movement_app.command("create")
def create(
    agreement: Annotated[str, typer.Option("--agreement", help="The agreement id, e.g. pa-co-2025.")],
    origin: Annotated[str, typer.Option("--origin", help="Place of custody or airport.")],
    departs: Annotated[str, typer.Option("--departs", help="Planned departure, ISO 8601 with offset.")],
    departure_tz: Annotated[str, typer.Option("--departure-tz", help="IANA zone of the origin.")],
    arrives: Annotated[str, typer.Option("--arrives", help="Planned arrival, ISO 8601 with offset.")],
    arrival_tz: Annotated[str, typer.Option("--arrival-tz", help="IANA zone of the destination.")],
    seats: Annotated[int, typer.Option("--seats")],
    escorts: Annotated[int, typer.Option("--escorts")],
    kind: Annotated[str, typer.Option("--kind", help="charter, commercial or ground.")] = "charter",
    carrier: Annotated[str, typer.Option("--carrier")] = "",
    flight: Annotated[str, typer.Option("--flight", help="Flight number.")] = "",
    airport: Annotated[str, typer.Option("--airport", help="Destination airport.")] = "",
    transit: Annotated[
        str, typer.Option("--transit", help="IATA codes of the airports transited, comma-separated (e.g. SAL).")
    ] = "",
    facility: Annotated[str, typer.Option("--facility", help="Receiving facility code.")] = "",
    transport_cost: Annotated[
        int | None,
        typer.Option("--transport-cost-minor", help="The carrier's cost in minor units (cents), charged at departure."),
    ] = None,
    currency: Annotated[str, typer.Option("--transport-currency", help="ISO 4217 code of that cost.")] = "",
    token: TokenOption = None,
) -> None:
    """Plan a movement; the payer is the one the agreement names."""
    from accord.movements.services import create_movement

    movement = _run(
        token,
        "movement",
        create_movement,
        agreement_id=agreement,
        kind=kind,
        origin=origin,
        planned_departure=_when(departs, "departs"),
        departure_tz=departure_tz,
        planned_arrival=_when(arrives, "arrives"),
        arrival_tz=arrival_tz,
        seats=seats,
        escorts=escorts,
        carrier=carrier,
        flight_number=flight,
        destination_airport=airport,
        transit_airports=transit,
        destination_facility=facility,
        transport_cost_minor=transport_cost,
        transport_currency=currency,
    )
    say(f"Movement {movement.pk} planned, paid by the {movement.get_payer_display()} ({movement.payer_state}).")


@movement_app.command("add")
def add(
    movement_id: Annotated[int, typer.Argument(help="The movement number.")],
    case_ids: Annotated[list[int], typer.Argument(help="Accepted cases to put on it (all or none).")],
    token: TokenOption = None,
) -> None:
    from accord.movements.services import add_to_movement

    entries = _run(token, f"movement {movement_id}", add_to_movement, movement_id, case_ids)
    say(
        f"Movement {movement_id}: {len(entries)} put on the manifest (entries {', '.join(str(e.pk) for e in entries)})."
    )


@movement_app.command("validate")
def validate(movement_id: Annotated[int, typer.Argument()], token: TokenOption = None) -> None:
    """Every problem that stops departure; exit 1 when there is any."""
    from accord.movements.services import validate_movement

    found = _run(token, f"movement {movement_id}", validate_movement, movement_id)
    for p in found:
        say(f"{p.person_id or 'movement'}: {p.message}")
    if found:
        raise typer.Exit(1)
    say(f"Movement {movement_id}: no problem; it may depart.")


@movement_app.command("depart")
def depart(movement_id: Annotated[int, typer.Argument()], at: When = "", token: TokenOption = None) -> None:
    from accord.movements.services import depart as depart_movement

    _run(token, f"movement {movement_id}", depart_movement, movement_id, at=_when(at))
    say(f"Movement {movement_id} departed; its manifest is frozen.")


@movement_app.command("arrive")
def arrive(movement_id: Annotated[int, typer.Argument()], at: When = "", token: TokenOption = None) -> None:
    from accord.movements.services import record_arrival

    _run(token, f"movement {movement_id}", record_arrival, movement_id, at=_when(at))
    say(f"Movement {movement_id} arrived.")


@movement_app.command("hand-over")
def hand_over(
    entry_id: Annotated[int, typer.Argument(help="The manifest entry.")],
    place: Annotated[str, typer.Option("--place")],
    official: Annotated[str, typer.Option("--official", help="The receiving official's name.")],
    at: When = "",
    token: TokenOption = None,
) -> None:
    from accord.movements.services import hand_over as hand_over_person

    _run(token, f"entry {entry_id}", hand_over_person, entry_id, place=place, official=official, at=_when(at))
    say(f"Entry {entry_id}: handed over.")


@movement_app.command("not-handed-over")
def not_handed_over(
    entry_id: Annotated[int, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason", help="refused_at_arrival, medical, returned_with_escort, other.")],
    note: Annotated[str, typer.Option("--note")] = "",
    token: TokenOption = None,
) -> None:
    from accord.movements.services import not_handed_over as record

    _run(token, f"entry {entry_id}", record, entry_id, reason=reason, note=note)
    say(f"Entry {entry_id}: not handed over ({reason}); flagged until resolved.")


@movement_app.command("cancel")
def cancel(
    movement_id: Annotated[int, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason")],
    token: TokenOption = None,
) -> None:
    from accord.movements.services import cancel_movement

    _run(token, f"movement {movement_id}", cancel_movement, movement_id, reason=reason)
    say(f"Movement {movement_id} cancelled; everyone on it is accepted again and keeps their place.")


@movement_app.command("list")
def movement_list(token: TokenOption = None) -> None:
    django_setup()
    from accord.movements.policy import sees_payers
    from accord.movements.selectors import movement_list as visible

    user = signed_in(token, "view_movements")
    for m in visible(user):
        what = f"{m.carrier} {m.flight_number}".strip() or m.get_kind_display()
        paid = f"\tpaid by {m.payer_state}" if sees_payers(user) else ""
        say(
            f"{m.pk}\t{m.planned_departure:%Y-%m-%d %H:%M %Z}\t{what}\t{m.agreement_id}\t{m.status}\t"
            f"{getattr(m, 'on_board', 0)} people{paid}"
        )


@movement_app.command("show")
def show(movement_id: Annotated[int, typer.Argument()], token: TokenOption = None) -> None:
    """The manifest as you may see it."""
    django_setup()
    from accord.movements import policy
    from accord.movements.selectors import manifest, visible_movement

    user = signed_in(token, "view_movements")
    movement = visible_movement(user, movement_id)
    if movement is None:
        raise fail(f"no movement {movement_id}")
    seen = manifest(movement, user, checks=policy.may_manage(user))
    paid = f", paid by {movement.payer_state}" if policy.sees_payers(user) else ""
    say(f"{movement} — {movement.get_status_display()}{paid}")
    say("by sex: " + ", ".join(f"{k} {v}" for k, v in seen.by_sex.items()))
    say("by nationality: " + ", ".join(f"{k} {v}" for k, v in seen.by_nationality.items()))
    for row in seen.rows:
        removed = f" on {row['removed_on']}" if row["removed_on"] else ""
        checks = f" — {'; '.join(row['checks'])}" if row["checks"] else ""
        say(
            f"{row['entry_id']}\tcase {row['case_id']}\t{row['name']}\t{row['clause']}\t{row['placement']}\t"
            f"{row['facility']}\t{row['status_label']}{removed}{checks}"
        )
    for p in seen.problems:
        say(f"movement: {p.message}")
