"""The audit page: anyone whose role may read the audit log checks the whole chain from the
browser, against anchors they kept from an earlier check, and is given the anchor to keep now."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accord.accounts.permissions import Can, require
from accord.audit.selectors import verify_chain
from accord.core.audit import parse_anchors


@login_required
def audit_page(request: HttpRequest) -> HttpResponse:
    """GET shows the form; ``?check=1`` (with optional anchors, one per line) runs the check."""
    require(request.user, Can.VIEW_AUDIT)
    typed = request.GET.get("anchors", "")
    context: dict[str, object] = {"anchors": typed}
    if request.GET.get("check"):
        try:
            anchors = parse_anchors(typed.splitlines())
        except ValueError as err:
            context["error"] = str(err)
        else:
            context.update(result=verify_chain(anchors), anchors_checked=len(anchors), checked_at=timezone.now())
    return render(request, "audit/check.html", context)
