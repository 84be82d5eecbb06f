"""Who sees which movements and how much of them (issue #12 §7); the grants are in
``accounts.permissions``.

Case officers and legal reviewers see every movement and every person on it; case officers
create, fill, validate and depart them. A receiving officer sees only movements to their own
state, each person by the minimum record the state was sent, and records arrival and handover.
Finance sees movements, payers and counts, never who; monitors see counts only.
"""

from __future__ import annotations

from django.db.models import Q

from accord.accounts.models import Role, User
from accord.accounts.permissions import Can, can
from accord.movements.models import Movement


class Sight:
    """How much of a movement a role reads."""

    PEOPLE = "people"  # every person, with screening facts (sending state's staff)
    MINIMUM = "minimum"  # each person by the minimum record sent (the receiving state)
    PAYERS = "payers"  # movements, payers and counts (finance)
    COUNTS = "counts"  # counts only (monitors)
    NONE = "none"


def sight(user: User) -> str:
    if not can(user, Can.VIEW_MOVEMENTS):
        return Sight.NONE
    sights: dict[str, str] = {
        Role.CASE_OFFICER: Sight.PEOPLE,
        Role.LEGAL_REVIEWER: Sight.PEOPLE,
        Role.RECEIVING_OFFICER: Sight.MINIMUM,
        Role.FINANCE: Sight.PAYERS,
        Role.MONITOR: Sight.COUNTS,
    }
    return sights.get(user.role, Sight.NONE)


def visible(user: User) -> Q:
    """The movements the user may see at all."""
    seen = sight(user)
    if seen == Sight.NONE:
        return Q(pk__in=[])
    if seen == Sight.MINIMUM:
        return Q(receiving_state=user.receiving_state)
    return Q()


def may_see(user: User, movement: Movement) -> bool:
    seen = sight(user)
    return seen != Sight.NONE and (seen != Sight.MINIMUM or movement.receiving_state == user.receiving_state)


def sees_people(user: User) -> bool:
    return sight(user) in (Sight.PEOPLE, Sight.MINIMUM)


def sees_payers(user: User) -> bool:
    """Who pays for a movement: everyone who reads movements but monitors, who read counts only."""
    return sight(user) in (Sight.PEOPLE, Sight.MINIMUM, Sight.PAYERS)


def may_manage(user: User) -> bool:
    return can(user, Can.MANAGE_MOVEMENTS)


def may_receive(user: User, movement: Movement) -> bool:
    return can(user, Can.RECEIVE_MOVEMENTS) and movement.receiving_state == user.receiving_state
