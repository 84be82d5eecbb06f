from django.apps import AppConfig


class MovementsConfig(AppConfig):
    name = "accord.movements"
    label = "movements"
    verbose_name = "Movements"

    def ready(self) -> None:
        # A case returned or withdrawn (in the cases app, below this one) leaves its manifest.
        from accord.cases.signals import move_stopped
        from accord.movements.services import stop_moving_on_signal

        move_stopped.connect(stop_moving_on_signal, dispatch_uid="movements.stop_moving")
