from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "apps.registry"
    label = "registry"
    verbose_name = "Firm registry"

    def load_reference_data(self) -> None:
        from apps.registry.industries import load_industries

        load_industries()
