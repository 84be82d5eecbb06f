from django.apps import AppConfig


class HoldsConfig(AppConfig):
    name = "accord.holds"
    label = "holds"
    verbose_name = "Legal holds"
