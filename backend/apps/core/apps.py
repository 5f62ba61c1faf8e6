from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Seedbed core"

    def ready(self) -> None:
        from apps.core import audit
        from config.celery import ensure_broker_folders

        audit.install()
        ensure_broker_folders()
