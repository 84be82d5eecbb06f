"""Accounts in the admin: every change is an audit event in the admin's own transaction.

Usernames are fixed once created (the audit log names people by them), accounts are deactivated
rather than deleted, and there are no staff, superuser, group or permission fields: the role is
the whole of what an account may do. API tokens are issued only by their owners (account page,
``accord token issue``), so the administrator can revoke or restore one but never hold one that
acts for someone else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from accord.accounts.admin_site import AccountsOnly
from accord.accounts.models import ApiToken, User
from accord.accounts.permissions import user_of
from accord.accounts.services import access_of, record_access_change, record_password_set, set_token_revoked

admin.site.unregister(Group)  # groups would carry model permissions, which authorize nothing here

# The model admins are generic in django-stubs only (django_stubs_ext is no runtime dependency).
if TYPE_CHECKING:
    _UserAdmin = UserAdmin[User]
    _ModelAdmin = admin.ModelAdmin[ApiToken]
else:
    _UserAdmin = UserAdmin
    _ModelAdmin = admin.ModelAdmin


@admin.register(User)
class AccordUserAdmin(AccountsOnly, _UserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Name", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("role", "receiving_state", "is_active")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2", "role", "receiving_state"),
            },
        ),
    )
    list_display = ("username", "role", "receiving_state", "is_active", "last_login")
    list_filter = ("role", "is_active")
    filter_horizontal = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("username", "last_login", "date_joined") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Saved with its audit event in the admin's transaction: a role change is never silent."""
        before = access_of(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        record_access_change(obj, before, by=user_of(request), reason="changed in the admin")
        if not change and obj.has_usable_password():
            record_password_set(obj, by=user_of(request), reason="set in the admin when the account was created")

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """The admin may set someone's password (a forgotten one); it is never silent."""
        with transaction.atomic():
            before = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=id).first()
            if user is not None and user.password != before:
                record_password_set(user, by=user_of(request), reason="set in the admin")
        return response


@admin.register(ApiToken)
class ApiTokenAdmin(AccountsOnly, _ModelAdmin):
    list_display = ("user", "name", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    fields = ("user", "name", "created_at", "last_used_at", "revoked")
    readonly_fields = ("user", "name", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # issued by their owners only

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        """Only ``revoked`` can change here, through the use case that records it."""
        set_token_revoked(obj, obj.revoked, by=user_of(request), reason="changed in the admin")
