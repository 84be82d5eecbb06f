from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "accord.facilities"
    label = "facilities"
