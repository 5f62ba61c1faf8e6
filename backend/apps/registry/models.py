from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models

from apps.core.search import FirmGrams


class Zone(models.Model):
    """A sub-area of the park (综保区, 珞璜工业园, 珞璜镇 …)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Industry(models.Model):
    """GB/T 4754-2017. Keyed by section letter + digits: C, C35, C351, C3511."""

    code = models.CharField(max_length=5, primary_key=True)
    level = models.PositiveSmallIntegerField(help_text="1 section, 2 division, 3 group, 4 class")
    section = models.CharField(max_length=1)
    name = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "industries"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LegalForm(models.TextChoices):
    LIMITED = "limited", "有限责任公司 / Limited liability"
    JOINT_STOCK = "joint_stock", "股份有限公司 / Joint-stock"
    OTHER = "other", "其他 / Other"


class ExitKind(models.TextChoices):
    MOVED_OUT = "moved_out", "迁出 / Moved out"
    DEREGISTERED = "deregistered", "注销 / Deregistered"
    OTHER = "other", "其他 / Other"


class Firm(models.Model):
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("企业名称", max_length=200)
    registration_date = models.DateField("成立日期", null=True, blank=True)
    legal_form = models.CharField(max_length=20, choices=LegalForm.choices, default=LegalForm.LIMITED)
    joint_stock_date = models.DateField("股改日期", null=True, blank=True)
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="firms", null=True, blank=True)
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="firms")
    entered_park_on = models.DateField("入园日期", null=True, blank=True)
    left_park_on = models.DateField("离园日期", null=True, blank=True)
    exit_kind = models.CharField(max_length=20, choices=ExitKind.choices, blank=True)
    exit_note = models.CharField(max_length=500, blank=True)
    tags = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    address = models.CharField(max_length=300, blank=True)
    legal_representative = models.CharField(max_length=60, blank=True)
    assigned_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_firms"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Every 1- and 2-character piece of the name and USCC, for substring search (see apps.core.search).
    search_grams = models.GeneratedField(
        expression=FirmGrams("name", "uscc"),
        output_field=ArrayField(models.TextField()),
        db_persist=True,
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            GinIndex(fields=["search_grams"], name="firm_search_grams_gin"),
            GinIndex(fields=["tags"], name="firm_tags_gin"),
            models.Index(fields=["zone", "id"], name="firm_zone_id_idx"),
            models.Index(fields=["industry"], name="firm_industry_idx", opclasses=["varchar_pattern_ops"]),
            # The console's firm list is ordered by name: without it, every page sorts every firm (issue 7 load test).
            models.Index(fields=["name", "id"], name="firm_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(left_park_on__isnull=True)
                | models.Q(entered_park_on__isnull=True)
                | models.Q(left_park_on__gte=models.F("entered_park_on")),
                name="firm_left_after_entered",
            ),
            models.CheckConstraint(
                condition=models.Q(joint_stock_date__isnull=True)
                | models.Q(registration_date__isnull=True)
                | models.Q(joint_stock_date__gte=models.F("registration_date")),
                name="firm_joint_stock_after_registration",
            ),
            models.CheckConstraint(
                condition=models.Q(uscc__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"), name="firm_uscc_format"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_park(self) -> bool:
        return self.left_park_on is None


class Contact(models.Model):
    """A person at the firm. Enterprise users keep their own firm's contacts up to date."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=60)
    title = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["firm_id", "-is_primary", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.firm_id})"


class JournalKind(models.TextChoices):
    VISIT = "visit", "走访 / Visit"
    CALL = "call", "电话 / Call"
    MEETING = "meeting", "会议 / Meeting"
    SERVICE = "service", "服务事项 / Service"
    OTHER = "other", "其他 / Other"


class JournalEntry(models.Model):
    """A dated visit or service note (走访记录). Internal to park staff."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="journal_entries")
    date = models.DateField()
    kind = models.CharField(max_length=20, choices=JournalKind.choices, default=JournalKind.VISIT)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.date} {self.title}"
