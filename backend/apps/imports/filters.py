from __future__ import annotations

import django_filters

from apps.imports.models import ImportJob, ImportKind, ImportStatus


class ImportJobFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ImportKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=ImportStatus.choices, label="Status (repeat for several)")

    class Meta:
        model = ImportJob
        fields = ["kind", "status"]
