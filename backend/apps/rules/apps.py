from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "apps.rules"
    label = "rules"
    verbose_name = "Rule sets and eligibility"

    def ready(self) -> None:
        # Registers threshold_reached, eligible, upgrade_candidate and near_miss with the scan.
        from apps.rules import detectors  # noqa: F401

    def load_reference_data(self) -> None:
        """The shipped rule sets, again (idempotent), for whoever emptied the tables."""
        import importlib

        from django.apps import apps

        shipped = importlib.import_module("apps.rules.migrations.0002_rule_sets")
        shipped.load_rule_sets(apps, None)
