"""Your own account: your API tokens (issued here, shown once) and your password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.accounts.models import ApiToken
from accord.accounts.permissions import user_of
from accord.accounts.services import AccountError, issue_token, record_password_set, set_token_revoked


@login_required
def account_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = PasswordChangeForm(user)
    shown_token = None
    if request.method == "POST" and request.POST.get("do") == "issue":
        try:
            _row, shown_token = issue_token(user, request.POST.get("name", ""), reason="issued on the account page")
        except AccountError as err:
            messages.error(request, str(err))
    elif request.method == "POST" and request.POST.get("do") == "password":
        form = PasswordChangeForm(user, request.POST)
        if form.is_valid():
            with transaction.atomic():
                form.save()
                record_password_set(user, by=user, reason="changed by its owner")
            update_session_auth_hash(request, form.user)
            messages.success(request, _("Password changed."))
            return redirect("account")
    context = {"tokens": user.api_tokens.order_by("-created_at"), "shown_token": shown_token, "form": form}
    return render(request, "accounts/account.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def revoke_token_page(request: HttpRequest, token_id: int) -> HttpResponse:
    user = user_of(request)
    token = get_object_or_404(ApiToken, pk=token_id, user=user)  # someone else's token is not found
    try:
        set_token_revoked(token, True, by=user, reason="revoked on the account page")
    except AccountError as err:
        messages.error(request, str(err))
    else:
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("account")
