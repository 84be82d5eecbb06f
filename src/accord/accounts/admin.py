from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from accord.accounts.models import ApiToken, User
from accord.accounts.services import access_of, record_access_change


@admin.register(User)
class AccordUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Role", {"fields": ("role", "receiving_state")}))
    list_display = ("username", "role", "receiving_state", "is_active")
    list_filter = ("role", "is_active")

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Saved with its audit event in the admin's transaction: a role change is never silent."""
        before = access_of(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        record_access_change(obj, before, by=request.user, reason="changed in the admin")  # type: ignore[arg-type]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "created_at", "last_used_at", "revoked")
    readonly_fields = ("digest",)
