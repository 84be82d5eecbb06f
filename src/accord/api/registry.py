"""The registry: facilities with their places, and the agreements with their clauses."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router

from accord.accounts.permissions import Can, require
from accord.api.common import ERRORS, caller
from accord.api.schemas import (
    AgreementOut,
    ClauseOut,
    FacilityOut,
)
from accord.capacity.selectors import occupancy
from accord.core.dataset import Agreement, UnknownAgreementError
from accord.core.screening import default_dataset

router = Router()


@router.get("/facilities", response={200: list[FacilityOut], **ERRORS}, tags=["registry"])
def facilities(request: HttpRequest) -> Any:
    """Every facility with its capacity and the places held, occupied, free and waited for."""
    require(caller(request), Can.VIEW_FACILITIES)
    fields = ("code", "name", "state", "kind", "capacity", "agreement_id", "suspended")
    return [
        {**{f: getattr(row["facility"], f) for f in fields}, **{k: v for k, v in row.items() if k != "facility"}}
        for row in occupancy()
    ]


def _agreement_out(a: Agreement) -> dict[str, Any]:
    clauses = [
        ClauseOut(
            id=c.id,
            title=c.title,
            kind=c.kind,
            status=c.status,
            start=c.start,
            end=c.end,
            placement=c.placement,
            monthly_quota=c.monthly_quota,
            source_document=c.citation.document,
            source_quote=c.citation.quote,
        )
        for c in a.clauses
    ]
    return {
        **a.model_dump(
            include={
                "id",
                "title",
                "kind",
                "sending_state",
                "receiving_state",
                "status",
                "start",
                "end",
                "transport_paid_by",
            }
        ),
        "clauses": clauses,
    }


@router.get("/agreements", response={200: list[AgreementOut], **ERRORS}, tags=["registry"])
def agreements(request: HttpRequest) -> Any:
    require(caller(request), Can.VIEW_AGREEMENTS)
    return [_agreement_out(a) for a in default_dataset().agreements.values()]


@router.get("/agreements/{agreement_id}", response={200: AgreementOut, **ERRORS}, tags=["registry"])
def agreement(request: HttpRequest, agreement_id: str) -> Any:
    require(caller(request), Can.VIEW_AGREEMENTS)
    try:
        return _agreement_out(default_dataset().agreement(agreement_id))
    except UnknownAgreementError as err:
        raise Http404(str(err)) from None
