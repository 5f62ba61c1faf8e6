from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """The `bench_*` management commands and their shared set-up (apps.benchmarks.benchdb).

    The top layer: it may import any app; no production app imports it. It has no models."""

    name = "apps.benchmarks"
    label = "benchmarks"
    verbose_name = "Benchmarks"
