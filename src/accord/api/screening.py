"""Screening: a stored person or an unsaved record against the agreements, rule by rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from accord.accounts.models import User
from accord.accounts.permissions import Can, require
from accord.api.common import ERRORS, agreements_named, caller, person_or_404
from accord.api.schemas import (
    ScreenIn,
    ScreeningOut,
    Text,
)
from accord.capacity.selectors import current_usage
from accord.cases import redaction
from accord.cases.services import explanation_json, screen_person_against
from accord.core.records import people_from_dicts
from accord.core.screening import Explanation, explain

router = Router()


def _screening_out(explanation: Explanation, user: User) -> dict[str, Any]:
    return {
        "person_id": explanation.person_id,
        "agreement_id": explanation.agreement_id,
        "date": explanation.date,
        "outcome": explanation.outcome,
        "placement": explanation.reported_placement,
        "clause_id": explanation.clause_id,
        "data_version": explanation.data_version,
        "results": redaction.explanation(user, explanation_json(explanation)),
    }


@router.get("/people/{person_id}/screening", response={200: list[ScreeningOut], **ERRORS}, tags=["screening"])
def person_screening(request: HttpRequest, person_id: str, agreement_id: Text = "", date: dt.date | None = None) -> Any:
    """The person screened today (or on ``date``) against one or every agreement, rule by rule."""
    user = caller(request)
    require(user, Can.SCREEN)
    found = person_or_404(person_id)
    chosen = agreements_named(agreement_id)
    return [_screening_out(s, user) for s in screen_person_against(found, [a.id for a in chosen], date)]


@router.post("/screen", response={200: list[ScreeningOut], **ERRORS}, tags=["screening"])
def screen_record(request: HttpRequest, body: ScreenIn) -> Any:
    """Screen one person record (interchange-format cells) without storing anything."""
    user = caller(request)
    require(user, Can.SCREEN)
    frame = people_from_dicts([{"person_id": "unsaved", **body.record}])
    day = body.date or timezone.localdate()
    usage = current_usage(day)
    return [
        _screening_out(explain(frame, a.id, day, usage=usage), user) for a in agreements_named(body.agreement_id or "")
    ]
