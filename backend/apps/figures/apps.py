from django.apps import AppConfig


class FiguresConfig(AppConfig):
    name = "apps.figures"
    label = "figures"
    verbose_name = "Annual and monthly figures, evidence files"
