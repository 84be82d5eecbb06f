from django.apps import AppConfig


class MovementsConfig(AppConfig):
    name = "accord.movements"
    label = "movements"
    verbose_name = "Movements"
