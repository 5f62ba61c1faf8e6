from __future__ import annotations

from django.db import models


class Change(models.Model):
    """One create, update or delete of one row, written by a database trigger. Append-only."""

    changed_at = models.DateTimeField(db_index=True)
    table_name = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    # No foreign keys: history outlives the firm and the user it names.
    firm_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=10)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=20)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["firm_id", "-id"], name="change_firm_idx"),
            models.Index(fields=["table_name", "object_id"], name="change_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.table_name}#{self.object_id} by {self.actor_label or self.source}"

    @property
    def changed_fields(self) -> list[str]:
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [k for k in keys if before.get(k) != after.get(k) and k not in {"updated_at"}]


class Heartbeat(models.Model):
    """Last sign of life from each Celery worker and from beat; /healthz reports it."""

    name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
