"""Why a use case on a case refused: every refusal changes nothing (but see ``Returned``)."""

from __future__ import annotations

from collections.abc import Iterable


class CaseError(ValueError):
    """A refused use case: nothing was changed, and the message says why."""


class Refused(CaseError):
    """A step the law, the agreement or the workflow does not allow. ``rules`` lists the rules
    that stopped it (id, result, reason, citation), already redacted for the user."""

    def __init__(self, message: str, rules: Iterable[dict[str, str]] = ()) -> None:
        super().__init__(message)
        self.rules = list(rules)


class Returned(Refused):
    """A step refused because its screening showed the case no longer stands: the case was
    returned (``state``: blocked, legal review, or approved with its referral void) and its place
    given back, in a transaction of its own that committed before this was raised."""

    def __init__(self, message: str, rules: Iterable[dict[str, str]] = (), *, case_id: int, state: str) -> None:
        super().__init__(message, rules)
        self.case_id, self.state = case_id, state


class StepOptionError(CaseError):
    """An option a step needs, given wrong, or one the step does not take (``field`` names it):
    bad input, refused before anything is read or changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if not message.startswith(field) else message)
        self.field = field


class Busy(Exception):
    """The database stayed locked (SQLite) or kept failing the transaction as a conflict
    (PostgreSQL) through every attempt: nothing was changed, and the same request may be sent
    again later. Not a refusal: the step itself may well be allowed."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
