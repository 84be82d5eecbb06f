from django.contrib import admin

from accord.cases.models import Case
from accord.web.admin import ViewOnlyAdmin


@admin.register(Case)
class CaseAdmin(ViewOnlyAdmin):
    list_display = ("pk", "person", "agreement_id", "state", "outcome", "created_at")
    list_filter = ("state", "outcome", "agreement_id")
