from typing import Any

from django.core.management.base import BaseCommand

from apps.registry.demo import seed_registry


class Command(BaseCommand):
    help = "Loads the demo park (idempotent: running it again changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_registry()
        self.stdout.write(f"demo park: {result['firms']} firms ({result['created']} new)")
