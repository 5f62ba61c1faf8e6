"""Listing-pipeline events (SPEC §3.4, domain-rules §5): one dated row per stage a firm reaches.

The firm's current stage and its report bucket are derived from these rows (see `stages.py`);
nothing derived is stored, so correcting an event corrects every report.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.registry.models import Firm


class ListingStage(models.TextChoices):
    POOL = "pool", "入库 / Reserve pool"
    JOINT_STOCK = "joint_stock", "股改 / Joint-stock conversion"
    TUTORING_FILED = "tutoring_filed", "辅导备案 / Tutoring filed"
    TUTORING_ACCEPTED = "tutoring_accepted", "辅导验收 / Tutoring accepted"
    APPLICATION_ACCEPTED = "application_accepted", "申报受理 / Application accepted"
    INQUIRY = "inquiry", "审核问询 / Review inquiry"
    COMMITTEE = "committee", "上市委审议 / Listing committee"
    REGISTRATION_SUBMITTED = "registration_submitted", "提交注册 / Submitted for registration"
    REGISTRATION_EFFECTIVE = "registration_effective", "注册生效 / Registration effective"
    ISSUANCE = "issuance", "发行 / Issuance"
    LISTED = "listed", "上市 / Listed"
    WITHDRAWN = "withdrawn", "撤回 / Withdrawn"
    TERMINATED = "terminated", "终止 / Terminated"


class PoolLevel(models.TextChoices):
    DISTRICT = "district", "区级培育库 / District pool"
    MUNICIPAL = "municipal", "市级后备库 / Municipal reserve pool"
    MUNICIPAL_PRIORITY = "municipal_priority", "市级重点后备 / Municipal priority"


class Board(models.TextChoices):
    MAIN = "main", "主板 / Main board"
    CHINEXT = "chinext", "创业板 / ChiNext"
    STAR = "star", "科创板 / STAR Market"
    BSE = "bse", "北交所 / Beijing Stock Exchange"


class CommitteeOutcome(models.TextChoices):
    PENDING = "pending", "待审议 / Pending"
    PASSED = "passed", "通过 / Passed"
    FAILED = "failed", "未通过 / Failed"


class Bucket(models.TextChoices):
    """The stage groups of the city's progress reports (domain-rules §5.1)."""

    TUTORING = "tutoring", "辅导备案 / In tutoring"
    IN_REVIEW = "in_review", "排队在审 / Queued or under review"
    APPROVED = "approved", "过审待发 / Approved, awaiting issuance"
    LISTED = "listed", "新增上市 / Newly listed"


class ListingEvent(models.Model):
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="listing_events")
    stage = models.CharField(max_length=30, choices=ListingStage.choices)
    date = models.DateField()
    pool_level = models.CharField("入库级别", max_length=30, choices=PoolLevel.choices, blank=True)
    board = models.CharField("板块", max_length=20, choices=Board.choices, blank=True)
    sponsor = models.CharField("保荐机构", max_length=200, blank=True)
    outcome = models.CharField("审议结果", max_length=10, choices=CommitteeOutcome.choices, blank=True)
    announcement_url = models.URLField("公告链接", max_length=500, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when staff accepted the event although it breaks the stage order; the reason is in the history.
    out_of_order_override = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["firm_id", "date", "id"]
        indexes = [
            models.Index(fields=["firm", "date"], name="listing_event_firm_date_idx"),
            models.Index(fields=["date"], name="listing_event_date_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["firm", "stage", "date"], name="listing_event_once_a_day"),
            models.CheckConstraint(condition=Q(stage__in=ListingStage.values), name="listing_event_stage_known"),
            models.CheckConstraint(condition=Q(board="") | Q(board__in=Board.values), name="listing_event_board_known"),
            # Only a committee meeting has an outcome, and it always has one (pending until decided).
            models.CheckConstraint(
                condition=Q(stage=ListingStage.COMMITTEE, outcome__in=CommitteeOutcome.values)
                | (~Q(stage=ListingStage.COMMITTEE) & Q(outcome="")),
                name="listing_event_outcome_for_committee",
            ),
            # Only entering the reserve pool has a pool level, and it always has one.
            models.CheckConstraint(
                condition=Q(stage=ListingStage.POOL, pool_level__in=PoolLevel.values)
                | (~Q(stage=ListingStage.POOL) & Q(pool_level="")),
                name="listing_event_pool_level_for_pool",
            ),
            models.CheckConstraint(
                condition=~Q(stage=ListingStage.LISTED) | ~Q(board=""), name="listing_event_listed_has_board"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_stage_display()} ({self.firm_id})"
