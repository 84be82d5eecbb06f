from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.accounts.permissions import Can, require, user_of
from accord.cases.errors import CaseError
from accord.holds.models import LegalHold
from accord.holds.services import file_hold, lift_hold
from accord.people.models import Person


@login_required
@require_POST
def file_hold_page(request: HttpRequest, person_id: str) -> HttpResponse:
    require(request.user, Can.FILE_HOLDS)
    person = get_object_or_404(Person, person_id=person_id)
    document = request.FILES.get("document")
    try:
        hold = file_hold(
            person,
            kind=request.POST.get("kind", ""),
            reference=request.POST.get("reference", ""),
            document=document,
            note=request.POST.get("note", ""),
            user=user_of(request),
        )
    except CaseError as err:
        messages.error(request, _("Hold not filed: %(why)s") % {"why": err})
    else:
        held = person.cases.filter(state="on_hold").count()
        messages.success(
            request,
            _("%(hold)s filed; %(n)s case(s) of %(person)s on hold.")
            % {"hold": hold, "n": held, "person": person.person_id},
        )
    return redirect("person", person_id=person.person_id)


@login_required
@require_POST
def lift_hold_page(request: HttpRequest, hold_id: int) -> HttpResponse:
    require(request.user, Can.LIFT_HOLDS)
    hold = get_object_or_404(LegalHold.objects.select_related("person"), pk=hold_id)
    try:
        lift_hold(hold, user=user_of(request), reason=request.POST.get("reason", ""))
    except CaseError as err:
        messages.error(request, _("Hold not lifted: %(why)s") % {"why": err})
    else:
        messages.success(request, _("%(hold)s lifted.") % {"hold": hold})
    return redirect("person", person_id=hold.person.person_id)


@login_required
def hold_document(request: HttpRequest, hold_id: int) -> FileResponse:
    require(request.user, Can.VIEW_HOLDS)
    hold = get_object_or_404(LegalHold, pk=hold_id)
    return FileResponse(hold.document.open("rb"), as_attachment=True, filename=hold.document_name)
