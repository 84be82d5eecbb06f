from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accord.accounts.models import ApiToken, User


@admin.register(User)
class AccordUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Role", {"fields": ("role", "receiving_state")}))
    list_display = ("username", "role", "receiving_state", "is_active")
    list_filter = ("role", "is_active")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "created_at", "last_used_at", "revoked")
    readonly_fields = ("digest",)
