from django.urls import path

from accord.movements import views

urlpatterns = [
    path("", views.movement_list, name="movements"),
    path("new/", views.movement_new, name="movement_new"),
    path("<int:movement_id>/", views.movement_detail, name="movement"),
    path("<int:movement_id>/edit/", views.movement_edit, name="movement_edit"),
    path("<int:movement_id>/cancel/", views.movement_cancel, name="movement_cancel"),
    path("<int:movement_id>/fill/", views.movement_fill, name="movement_fill"),
    path("<int:movement_id>/remove/", views.movement_remove, name="movement_remove"),
    path("<int:movement_id>/validate/", views.movement_validate, name="movement_validate"),
    path("<int:movement_id>/depart/", views.movement_depart, name="movement_depart"),
    path("<int:movement_id>/arrive/", views.movement_arrive, name="movement_arrive"),
    path("<int:movement_id>/manifest.csv", views.manifest_csv, name="manifest_csv"),
    path("<int:movement_id>/manifest.pdf", views.manifest_pdf, name="manifest_pdf"),
    path("entries/<int:entry_id>/ready/", views.entry_ready, name="entry_ready"),
    path("entries/<int:entry_id>/hand-over/", views.entry_hand_over, name="entry_hand_over"),
    path("entries/<int:entry_id>/not-handed-over/", views.entry_not_handed_over, name="entry_not_handed_over"),
    path("entries/<int:entry_id>/resolve/", views.entry_resolve, name="entry_resolve"),
    path("entries/<int:entry_id>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
]
