"""Import jobs: one uploaded file, its dry run, and its commit.

    queued ─► checking ─► ready ──commit──► (commit_queued ─►) committing ─► committed
                 │                                                │
                 └─► invalid (row errors: fix and upload again)   └─► invalid (data changed since the
                 └─► failed (the file as a whole is unreadable)        dry run), or failed

The uploaded file is kept through Django's storage (var/media/imports/ by default), so the commit
reads exactly what the dry run read, and the workbook with the error column can be produced from it.
Row errors are kept in both languages; the first `SEEDBED_IMPORT_ERRORS_KEPT` are stored on the job for
the API, all of them in the returned workbook.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from apps.programmes.models import Programme


class ImportKind(models.TextChoices):
    FIRMS = "firms", "企业 / Firms"
    CERTIFICATIONS = "certifications", "认定证书 / Certifications"
    ANNUAL_FIGURES = "annual_figures", "年度数据 / Annual figures"
    MONTHLY_FIGURES = "monthly_figures", "月度数据 / Monthly figures"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "排队待检查 / Queued for the dry run"
    CHECKING = "checking", "检查中 / Dry run running"
    READY = "ready", "检查通过，可以提交 / Checked, ready to commit"
    INVALID = "invalid", "有错误，未导入 / Has errors, nothing imported"
    COMMIT_QUEUED = "commit_queued", "排队待导入 / Queued for commit"
    COMMITTING = "committing", "导入中 / Committing"
    COMMITTED = "committed", "已导入 / Committed"
    FAILED = "failed", "失败 / Failed"


RUNNING = (ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.COMMIT_QUEUED, ImportStatus.COMMITTING)


def import_upload_to(instance: ImportJob, filename: str) -> str:
    """Stored names never come from the client."""
    return f"imports/{instance.storage_key}.{instance.file_format}"


def error_workbook_upload_to(instance: ImportJob, filename: str) -> str:
    return f"imports/{instance.storage_key}-errors.xlsx"


class ImportJob(models.Model):
    kind = models.CharField(max_length=30, choices=ImportKind.choices)
    programme = models.ForeignKey(
        Programme,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Certifications: the programme of rows that do not name one.",
    )
    level = models.CharField(max_length=20, blank=True, help_text="Certifications: the level of rows without one.")

    file = models.FileField(upload_to=import_upload_to, max_length=300)
    storage_key = models.CharField(max_length=40, unique=True, editable=False)
    original_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=10)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    sheet = models.CharField(max_length=100, blank=True)
    header_row = models.PositiveIntegerField(null=True, blank=True)
    ignored_columns = ArrayField(models.CharField(max_length=200), default=list, blank=True)

    status = models.CharField(max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    failure = models.JSONField(
        null=True, blank=True, help_text="Why the file as a whole failed: {zh, en}, or why a commit was stopped."
    )
    language = models.CharField(max_length=10, default="zh-hans", help_text="The uploader's language.")
    reason = models.TextField(blank=True, help_text="Recorded with every change the commit makes.")
    task_id = models.CharField(max_length=64, blank=True)

    rows_total = models.PositiveIntegerField(default=0)
    to_create = models.PositiveIntegerField(default=0)
    to_update = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Rows the format says to leave out.")
    error_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    cleaned = models.JSONField(
        default=list, blank=True, help_text="One-line cells whose line breaks became spaces: {row, column, zh, en}."
    )
    error_workbook = models.FileField(upload_to=error_workbook_upload_to, max_length=300, blank=True)

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["uploaded_by", "-id"], name="importjob_uploader_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ImportKind.values), name="importjob_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="importjob_status_valid"),
            models.CheckConstraint(condition=Q(file_format__in=["csv", "xlsx"]), name="importjob_format_valid"),
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.kind} {self.original_name} ({self.status})"
