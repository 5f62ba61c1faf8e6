from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "apps.flags"
    label = "flags"
    verbose_name = "Flags, scheduled jobs and notifications"

    def ready(self) -> None:
        from apps.flags import standard_detectors  # noqa: F401 - registers renewal_due, expired, report_due, data_missing

    def load_reference_data(self) -> None:
        """The default figure requirements and the jobs' beat schedule, again (idempotent)."""
        import importlib

        from django.apps import apps

        defaults = importlib.import_module("apps.flags.migrations.0003_reference_data")
        defaults.load_figure_requirements(apps, None)
        defaults.load_schedule(apps, None)
