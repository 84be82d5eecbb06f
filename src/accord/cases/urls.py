from django.urls import path

from accord.cases import views

urlpatterns = [
    path("", views.case_list_page, name="cases"),
    path("queue/", views.queue_page, name="queue"),
    path("new/", views.open_case_page, name="open_case"),
    path("<int:case_id>/", views.case_detail, name="case"),
    path("<int:case_id>/step/", views.take_step_page, name="case_step"),
]
