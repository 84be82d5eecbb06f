"""Running a use case again when the database is busy. On SQLite a writer that waited out the
lock timeout gets "database is locked"; on PostgreSQL a transaction can fail as a serialization
failure or a deadlock. Either way the transaction was rolled back whole, so running it again from
the start is safe; after ``ACCORD_BUSY_ATTEMPTS`` the use case answers ``Busy``."""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import DatabaseError, transaction

from accord.cases.errors import Busy

P = ParamSpec("P")
R = TypeVar("R")

log = logging.getLogger("accord.busy")
# SQLSTATE of PostgreSQL's serialization failure and deadlock: the transaction may be run again.
RETRYABLE_STATES = frozenset({"40001", "40P01"})


def is_busy(err: BaseException) -> bool:
    """A database error that says "try again", not "this is wrong"."""
    if not isinstance(err, DatabaseError):
        return False
    cause = err.__cause__
    if getattr(cause, "sqlstate", None) in RETRYABLE_STATES:
        return True
    text = str(err).lower()
    return "database is locked" in text or "database table is locked" in text


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1, 2, …): exponential, capped, jittered
    (full jitter, so that writers that failed together do not come back together)."""
    ceiling = min(settings.ACCORD_BUSY_BACKOFF_MAX, settings.ACCORD_BUSY_BACKOFF * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)


def retry_when_busy(use_case: Callable[P, R]) -> Callable[P, R]:
    """Run ``use_case`` (which opens its own transactions) again while the database is busy.
    Inside a caller's transaction nothing is retried: only the outermost transaction can be run
    again, and the caller's is the one that failed."""

    @functools.wraps(use_case)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if transaction.get_connection().in_atomic_block:
            return use_case(*args, **kwargs)
        attempts = max(1, settings.ACCORD_BUSY_ATTEMPTS)
        for attempt in range(1, attempts + 1):
            try:
                return use_case(*args, **kwargs)
            except DatabaseError as err:
                if not is_busy(err):
                    raise
                if attempt == attempts:
                    log.warning("%s: database busy after %d attempts: %s", use_case.__name__, attempts, err)
                    raise Busy(
                        "The database is busy: nothing was changed. Try again in a few seconds.",
                        retry_after=settings.ACCORD_BUSY_RETRY_AFTER,
                    ) from err
                pause = backoff(attempt)
                log.info(
                    "%s: database busy (attempt %d of %d), again in %.2f s", use_case.__name__, attempt, attempts, pause
                )
                time.sleep(pause)
        raise AssertionError("unreachable")

    return run
