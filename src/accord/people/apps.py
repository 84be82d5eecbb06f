from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "accord.people"
    label = "people"
