"""Reference data every installation has (industry codes, the programme catalogue).

Data migrations load it; `load_reference_data()` loads it again, idempotently, for whoever emptied
the tables (the test suite's flush after a transactional test). An app takes part by giving its
AppConfig a `load_reference_data(self) -> None` method.
"""

from __future__ import annotations

from django.apps import apps


def load_reference_data() -> None:
    for config in apps.get_app_configs():
        loader = getattr(config, "load_reference_data", None)
        if callable(loader):
            loader()
