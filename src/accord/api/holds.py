"""Legal holds: filed with their document, lifted with a reason."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from accord.accounts.permissions import Can, require
from accord.api.common import ERRORS, caller, person_or_404
from accord.api.schemas import (
    HoldIn,
    HoldOut,
    LiftIn,
    RefusalOut,
)
from accord.holds.models import LegalHold
from accord.holds.selectors import holds_of
from accord.holds.services import file_hold, lift_hold

router = Router()


def _hold_out(hold: LegalHold) -> dict[str, Any]:
    return {
        "id": hold.pk,
        "person_id": hold.person.person_id,
        "kind": hold.kind,
        "reference": hold.reference,
        "document_name": hold.document_name,
        "document_sha256": hold.document_sha256,
        "filed_by": hold.filed_by.username,
        "filed_at": hold.filed_at,
        "active": hold.active,
        "lifted_by": hold.lifted_by.username if hold.lifted_by else None,
        "lifted_at": hold.lifted_at,
        "lift_reason": hold.lift_reason,
    }


@router.get("/people/{person_id}/holds", response={200: list[HoldOut], **ERRORS}, tags=["holds"])
def person_holds(request: HttpRequest, person_id: str) -> Any:
    require(caller(request), Can.VIEW_HOLDS)
    return [_hold_out(h) for h in holds_of(person_or_404(person_id)).select_related("person")]


@router.post("/people/{person_id}/holds", response={201: HoldOut, 409: RefusalOut, **ERRORS}, tags=["holds"])
def file_person_hold(request: HttpRequest, person_id: str, form: Form[HoldIn], document: File[UploadedFile]) -> Any:
    """File a hold (multipart form with the document): every case of the person not yet handed
    over goes to ``on_hold`` at once and gives back its place."""
    user = caller(request)
    require(user, Can.FILE_HOLDS)
    found = person_or_404(person_id)
    hold = file_hold(found, kind=form.kind, reference=form.reference, document=document, note=form.note, user=user)
    return Status(201, _hold_out(hold))


@router.post("/holds/{int:hold_id}/lift", response={200: HoldOut, 409: RefusalOut, **ERRORS}, tags=["holds"])
def lift_person_hold(request: HttpRequest, hold_id: int, body: LiftIn) -> Any:
    """Lift a hold; when none remains, the held cases are screened again and start from ``screened``."""
    user = caller(request)
    require(user, Can.LIFT_HOLDS)
    hold = get_object_or_404(LegalHold.objects.select_related("person"), pk=hold_id)
    return _hold_out(lift_hold(hold, user=user, reason=body.reason))
