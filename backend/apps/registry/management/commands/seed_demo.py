from typing import Any

from django.core.management.base import BaseCommand

from apps.listing.demo import seed_listing
from apps.registry.demo import seed_registry


class Command(BaseCommand):
    help = "Loads the demo park (idempotent: running it again changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_registry()
        self.stdout.write(f"demo park: {result['firms']} firms ({result['created']} new)")
        listing = seed_listing()
        self.stdout.write(f"listing pipeline: {listing['events']} events ({listing['created']} new)")
