from django.urls import path

from accord.people import views

urlpatterns = [
    path("", views.person_list, name="people"),
    path("import/", views.import_page, name="import"),
    path("import/template.csv", views.import_template, name="import_template"),
    path("<person_id:person_id>/", views.person_detail, name="person"),
    path("<person_id:person_id>/edit/", views.person_edit, name="person_edit"),
]
