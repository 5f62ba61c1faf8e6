from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction


@pytest.fixture(scope="module")
def demo_park(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The demo park (registry, certifications, figures, listing), seeded once per module and rolled back after it.

    Each test still runs in its own transaction inside this one, so what a test writes is gone for the next.
    """
    from apps.accounts.models import User
    from apps.figures.demo import seed_figures
    from apps.listing.demo import seed_listing
    from apps.programmes.demo import seed_certifications
    from apps.registry.demo import seed_registry
    from apps.registry.models import Firm, Zone

    with django_db_blocker.unblock(), transaction.atomic():
        seed_registry()
        seed_certifications()
        seed_figures()
        seed_listing()
        yield {
            "zones": {z.code: z for z in Zone.objects.all()},
            "users": {u.username: u for u in User.objects.all()},
            "firm": lambda name: Firm.objects.get(name=name),
        }
        transaction.set_rollback(True)
