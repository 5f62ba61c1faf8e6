from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F

from apps.rules import services
from apps.rules.models import Criterion, RuleSet


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ["position", "code", "name_zh", "name_en", "kind", "metric", "params", "group", "indicator",
                  "unconfirmed", "notes"]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        errors = services.criterion_errors(
            {"kind": data.get("kind"), "metric": data.get("metric", ""), "params": data.get("params", {})}
        )
        if errors:
            raise ValidationError({k: [str(m) for m in v] for k, v in errors.items()})
        return data


class CriterionInline(admin.TabularInline):
    model = Criterion
    form = CriterionForm
    extra = 0
    fields = ["position", "code", "name_zh", "kind", "metric", "params", "group", "indicator", "unconfirmed"]


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Prefer the API (it checks every parameter against its metric); edits here still bump the revision."""

    list_display = ["code", "programme", "effective_from", "effective_to", "revision", "builtin"]
    list_filter = ["programme", "builtin"]
    readonly_fields = ["revision", "builtin", "created_at", "updated_at"]
    inlines = [CriterionInline]

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change:
            RuleSet.objects.filter(pk=form.instance.pk).update(revision=F("revision") + 1)
