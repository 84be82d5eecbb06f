from django.urls import path

from accord.api.api import api

urlpatterns = [path("", api.urls)]
