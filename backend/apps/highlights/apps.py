from django.apps import AppConfig


class HighlightsConfig(AppConfig):
    name = "apps.highlights"
    label = "highlights"
    verbose_name = "Annual highlights"

    def load_reference_data(self) -> None:
        """The shipped report lines and tag groups, again (idempotent), for whoever emptied the tables."""
        import importlib

        from django.apps import apps

        defaults = importlib.import_module("apps.highlights.migrations.0002_default_lines")
        defaults.load_defaults(apps, None)
