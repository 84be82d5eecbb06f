from django.contrib import admin

from accord.holds.models import LegalHold
from accord.web.admin import ViewOnlyAdmin


@admin.register(LegalHold)
class LegalHoldAdmin(ViewOnlyAdmin):
    list_display = ("pk", "person", "kind", "reference", "filed_at", "lifted_at")
