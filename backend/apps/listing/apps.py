from django.apps import AppConfig


class ListingConfig(AppConfig):
    name = "apps.listing"
    label = "listing"
    verbose_name = "Listing pipeline"
