from django.contrib import admin

from accord.capacity.models import Reservation
from accord.web.admin import ViewOnlyAdmin


@admin.register(Reservation)
class ReservationAdmin(ViewOnlyAdmin):
    list_display = ("pk", "case", "facility", "status", "quota_month", "created_at")
    list_filter = ("status", "facility")
