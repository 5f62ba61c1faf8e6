from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "apps.programmes"
    label = "programmes"
    verbose_name = "Programmes and certifications"

    def load_reference_data(self) -> None:
        """The shipped catalogue, again (idempotent), for whoever emptied the tables."""
        import importlib

        from django.apps import apps

        catalogue = importlib.import_module("apps.programmes.migrations.0002_catalogue")
        catalogue.load_catalogue(apps, None)
