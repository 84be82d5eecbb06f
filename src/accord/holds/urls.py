from django.urls import path

from accord.holds import views

urlpatterns = [
    path("person/<person_id:person_id>/", views.file_hold_page, name="file_hold"),
    path("<int:hold_id>/lift/", views.lift_hold_page, name="lift_hold"),
    path("<int:hold_id>/document/", views.hold_document, name="hold_document"),
]
