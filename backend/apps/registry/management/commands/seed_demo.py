from typing import Any

from django.core.management.base import BaseCommand

from apps.figures.demo import seed_figures
from apps.flags.demo import seed_flags
from apps.listing.demo import seed_listing
from apps.programmes.demo import seed_certifications
from apps.registry.demo import seed_registry
from apps.rules.demo import seed_rules_demo


class Command(BaseCommand):
    help = "Loads the demo park (idempotent: running it again changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_registry()
        self.stdout.write(f"demo park: {result['firms']} firms ({result['created']} new)")
        listing = seed_listing()
        self.stdout.write(f"listing pipeline: {listing['events']} events ({listing['created']} new)")
        made = seed_figures()
        self.stdout.write(f"figures: {made['annual']} annual, {made['monthly']} monthly ({made['created']} new)")
        certifications = seed_certifications()
        self.stdout.write(f"certifications: {certifications['certifications']} ({certifications['created']} new)")
        rules = seed_rules_demo()
        self.stdout.write(f"eligibility scenes: {rules['scenes']} ({rules['created']} figures entered)")
        flags = seed_flags()
        self.stdout.write(f"flags: scan run {flags['run']} {flags['state']}, {flags['counts'].get('findings', {})}")
