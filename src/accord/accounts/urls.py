from django.urls import path

from accord.accounts import views

urlpatterns = [
    path("", views.account_page, name="account"),
    path("tokens/<int:token_id>/revoke/", views.revoke_token_page, name="revoke_token"),
]
