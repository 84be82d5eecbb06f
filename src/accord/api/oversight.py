"""Oversight: the audit chain checked, and de-identified counts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Query  # the function behind ninja.Query, typed for mypy

from accord.accounts.permissions import Can, require
from accord.api.common import ERRORS, caller
from accord.api.errors import error
from accord.api.schemas import (
    ChainCheckOut,
    CountOut,
)
from accord.audit.selectors import verify_chain
from accord.cases.selectors import outcome_counts
from accord.core.audit import parse_anchors

router = Router()


@router.get("/audit/verify", response={200: ChainCheckOut, **ERRORS}, tags=["oversight"])
def audit_verify(request: HttpRequest, anchor: list[str] = Query([])) -> Any:  # noqa: B008
    """Recompute every audit event's hash and link. ``anchor`` (repeatable): ``SEQ:HASH`` values
    an earlier check returned and you kept outside Accord; each event must still be there,
    unchanged. A broken chain answers 200 with ``ok: false`` and the first broken event."""
    require(caller(request), Can.VIEW_AUDIT)
    try:
        anchors = parse_anchors(anchor)
    except ValueError as err:
        return error(request, 422, str(err), "anchor")
    result = verify_chain(anchors)
    return {
        "ok": result.ok,
        "events_checked": result.checked,
        "head": result.head,
        "anchor": result.anchor,
        "anchors_checked": len(anchors),
        "first_broken": result.first_broken,
        "reason": result.reason,
    }


@router.get("/statistics", response={200: list[CountOut], **ERRORS}, tags=["oversight"])
def statistics(request: HttpRequest) -> Any:
    """De-identified counts of cases by agreement, state and outcome."""
    require(caller(request), Can.VIEW_STATISTICS)
    return outcome_counts()
