from django.urls import path

from accord.audit import views

urlpatterns = [
    path("", views.audit_page, name="audit"),
]
