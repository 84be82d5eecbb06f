"""Reads of movements for pages, API and CLI, cut to what the user may see (``policy``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from accord.accounts.models import User
from accord.cases.models import Case, State
from accord.cases.redaction import display_name
from accord.cases.referral import facility_code
from accord.core import movements as core
from accord.movements import policy
from accord.movements.models import ManifestEntry, Movement
from accord.movements.services import complete, problems


def movement_list(user: User) -> QuerySet[Movement]:
    """The movements the user may see, each with ``on_board`` (people on it or handed over from it)
    and ``flagged`` (not handed over and unresolved)."""
    return (
        Movement.objects.filter(policy.visible(user))
        .annotate(
            on_board=Count("entries", filter=~Q(entries__status=ManifestEntry.Status.REMOVED)),
            flagged=Count(  # as ManifestEntry.flagged: not handed over and unresolved, or stopped in the air
                "entries",
                filter=Q(entries__status=ManifestEntry.Status.NOT_HANDED_OVER, entries__resolved=False)
                | Q(entries__status=ManifestEntry.Status.ON, entries__stopped_after_departure=True),
            ),
        )
        .order_by("-planned_departure", "-id")
    )


def fillable(movement: Movement) -> list[Case]:
    """The accepted queue a movement can be filled from: accepted cases under its agreement, the
    longest waiting first (the first 500: a flight seats fewer)."""
    return list(
        Case.objects.filter(state=State.ACCEPTED, agreement_id=movement.agreement_id)
        .select_related("person")
        .order_by("state_changed_at", "id")[:500]
    )


def visible_movement(user: User, movement_id: int) -> Movement | None:
    if not 0 < movement_id < 2**63:
        return None
    return Movement.objects.filter(policy.visible(user), pk=movement_id).first()


@dataclass
class Manifest:
    movement: Movement
    rows: list[dict[str, Any]] = field(default_factory=list)  # empty for finance and monitors
    by_sex: dict[str, int] = field(default_factory=dict)
    by_nationality: dict[str, int] = field(default_factory=dict)
    problems: list[core.Problem] = field(default_factory=list)  # the movement's own (seats, escorts)
    complete: bool = False


def manifest(movement: Movement, user: User, *, checks: bool = True) -> Manifest:
    """The manifest as the user may see it: a row per person (each person's clause, placement,
    facility, status and the checks of validation before departure), and counts by sex and
    nationality of everyone on it. The receiving officer's rows hold the minimum record sent;
    a person taken off shows as "removed from the movement — do not receive" with the date."""
    if not policy.may_see(user, movement):
        raise PermissionError(f"no movement {movement.pk}")
    entries = list(movement.entries.select_related("case", "person").order_by("id"))
    counted = [e for e in entries if e.status != ManifestEntry.Status.REMOVED]
    found = problems(movement) if checks and movement.status == Movement.Status.PLANNED else []
    by_person: dict[int, list[str]] = {}
    for p in found:
        if p.case_id is not None:
            by_person.setdefault(p.case_id, []).append(p.message)
    result = Manifest(
        movement,
        by_sex=core.counts(e.person.sex or "" for e in counted),
        by_nationality=core.counts((e.person.nationalities or [""])[0] for e in counted),
        problems=[p for p in found if p.case_id is None],
        complete=complete(movement),
    )
    if not policy.sees_people(user):
        return result
    minimum = policy.sight(user) == policy.Sight.MINIMUM
    for e in entries:
        case = e.case
        sent = case.referral or {}
        result.rows.append(
            {
                "entry_id": e.pk,
                "case_id": case.pk,
                "person_id": e.person.person_id,
                "name": display_name(sent) if minimum else e.person.display_name,
                "sex": sent.get("sex") if minimum else e.person.sex,
                "nationalities": sent.get("nationalities") if minimum else list(e.person.nationalities),
                "agreement": case.agreement_id,
                "clause": case.clause_id,
                "placement": case.placement,
                "facility": facility_code(case.agreement_id, case.placement, case.clause_id) or "",
                "status": e.status,
                "status_label": str(e.get_status_display()),
                "removed_on": e.removed_at.date().isoformat() if e.removed_at else None,
                "do_not_receive": e.status == ManifestEntry.Status.REMOVED or e.stopped_after_departure,
                "travel_document": e.travel_document,
                "fit_to_travel_on": e.fit_to_travel_on.isoformat() if e.fit_to_travel_on else None,
                "handed_over_at": e.handed_over_at.isoformat() if e.handed_over_at else None,
                "handover_place": e.handover_place,
                "receiving_official": e.receiving_official,
                "not_handed_over_reason": e.not_handed_over_reason,
                "flagged": e.flagged,
                "checks": [] if minimum else by_person.get(case.pk, []),
            }
        )
    return result
