import logging

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Seedbed core"

    def ready(self) -> None:
        from apps.core import audit
        from config.celery import ensure_broker_folders

        audit.install()
        _announce_chosen_date()
        ensure_broker_folders()


def _announce_chosen_date() -> None:
    """A chosen business date (SEEDBED_TODAY) must never go unnoticed; it fails fast when malformed."""
    from apps.core import clock

    moment = clock.chosen()
    if moment is not None:
        logging.getLogger("apps.core.clock").warning(
            "SEEDBED_TODAY is set: the app clock stands still at %s (Asia/Shanghai). Tests and demos only.",
            moment.isoformat(),
        )
