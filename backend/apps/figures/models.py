"""Annual and monthly figures of a firm, kept as versions, and the evidence files behind them.

A row is one *version* of a firm's figures for a period (a fiscal year, or a month). Nothing is
overwritten once reviewed: a new submission is a new row, and the row it replaces becomes
`superseded`. PostgreSQL keeps the invariants whatever the write path:
- at most one `verified` row per firm and period (the current figures that rules and reports read);
- at most one `proposed` row per firm and period (the open proposal waiting for staff);
- a version number unique per firm and period.
Only a still-`proposed` row may be edited in place; its edits are in the change history.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.registry.models import Firm


class FigureState(models.TextChoices):
    PROPOSED = "proposed", "待核实 / Proposed"
    VERIFIED = "verified", "已核实 / Verified"
    REJECTED = "rejected", "已退回 / Rejected"
    SUPERSEDED = "superseded", "已被新版本取代 / Superseded"


class FigureSource(models.TextChoices):
    ENTERPRISE = "enterprise", "企业填报 / Enterprise"
    STAFF = "staff", "工作人员录入 / Staff"
    IMPORT = "import", "导入 / Import"


# Money in yuan. Net profits may be negative; every other amount may not.
ANNUAL_MONEY_FIELDS = (
    "operating_revenue",
    "main_business_revenue",
    "sales_revenue",
    "high_tech_revenue",
    "rd_expense",
    "rd_expense_domestic",
    "total_costs",
    "net_profit",
    "net_profit_recurring",
    "total_assets",
    "total_liabilities",
    "output_value",
    "equity_financing",
    "import_export_value",
)
SIGNED_MONEY_FIELDS = ("net_profit", "net_profit_recurring")
ANNUAL_COUNT_FIELDS = (
    "staff_total",
    "st_staff",
    "rd_staff",
    "ip_class1",
    "ip_class2",
    "ip_class1_high_value",
    "st_results_converted",
)
ANNUAL_VALUE_FIELDS = ANNUAL_MONEY_FIELDS + ANNUAL_COUNT_FIELDS
MONTHLY_VALUE_FIELDS = ("main_business_revenue_ytd", "output_value_ytd")

# (smaller, larger): the first may not exceed the second when both are given.
ANNUAL_NOT_ABOVE = (
    ("st_staff", "staff_total"),
    ("rd_staff", "staff_total"),
    ("rd_expense_domestic", "rd_expense"),
    ("ip_class1_high_value", "ip_class1"),
)

EARLIEST_YEAR = 1949


def _money(label: str, help_text: str = "") -> models.DecimalField:
    return models.DecimalField(label, max_digits=18, decimal_places=2, null=True, blank=True, help_text=help_text)


def _count(label: str, help_text: str = "") -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, null=True, blank=True, help_text=help_text)


def _value_checks(
    prefix: str, non_negative: tuple[str, ...], not_above: tuple[tuple[str, str], ...]
) -> list[models.BaseConstraint]:
    checks: list[models.BaseConstraint] = [
        models.CheckConstraint(
            condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0}), name=f"{prefix}_{name}_not_negative"
        )
        for name in non_negative
    ]
    checks += [
        models.CheckConstraint(
            condition=Q(**{f"{small}__isnull": True})
            | Q(**{f"{large}__isnull": True})
            | Q(**{f"{small}__lte": F(large)}),
            name=f"{prefix}_{small}_not_above_{large}",
        )
        for small, large in not_above
    ]
    return checks


class FigureVersion(models.Model):
    """What every version of a firm's figures carries: who submitted it, its state, who reviewed it."""

    PERIOD_FIELDS: ClassVar[tuple[str, ...]] = ()
    VALUE_FIELDS: ClassVar[tuple[str, ...]] = ()
    # Declared by each concrete model (its own related_name on the firm).
    firm: Firm
    firm_id: int

    state = models.CharField(max_length=20, choices=FigureState.choices, default=FigureState.PROPOSED)
    source = models.CharField(max_length=20, choices=FigureSource.choices, default=FigureSource.ENTERPRISE)
    version = models.PositiveIntegerField(help_text="1, 2, 3 … per firm and period, in order of submission.")
    note = models.TextField(
        "说明", blank=True, help_text="The submitter's remarks, e.g. which audit report the values come from."
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True, help_text="Why staff rejected it, or a remark made on verifying.")
    superseded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def period(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.PERIOD_FIELDS}

    def values(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.VALUE_FIELDS}


_STATES = Q(state__in=FigureState.values)
_SOURCES = Q(source__in=FigureSource.values)


class AnnualFigures(FigureVersion):
    """One version of a firm's figures for a fiscal year. Every value is optional: a firm submits what it has."""

    PERIOD_FIELDS = ("fiscal_year",)
    VALUE_FIELDS = ANNUAL_VALUE_FIELDS

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="annual_figures")
    fiscal_year = models.PositiveSmallIntegerField("会计年度")

    operating_revenue = _money("营业收入")
    main_business_revenue = _money("主营业务收入")
    sales_revenue = _money("销售收入（高企口径）", "Sales revenue as HNTE counts it (main + other business revenue).")
    high_tech_revenue = _money("高新技术产品（服务）收入")
    rd_expense = _money("研发费用总额")
    rd_expense_domestic = _money("境内研发费用")
    total_costs = _money("成本费用总额")
    net_profit = _money("净利润", "May be negative.")
    net_profit_recurring = _money("扣除非经常性损益后的净利润", "May be negative.")
    total_assets = _money("资产总额")
    total_liabilities = _money("负债总额")
    output_value = _money("工业总产值")
    equity_financing = _money("新增股权融资额", "New equity financing paid in during the year.")
    import_export_value = _money("进出口总额")

    staff_total = _count("职工总数", "Including part-time and temporary staff of 6 months or more.")
    st_staff = _count("科技人员数")
    rd_staff = _count("研发人员数")
    ip_class1 = _count("Ⅰ类知识产权数")
    ip_class2 = _count("Ⅱ类知识产权数")
    ip_class1_high_value = _count("高价值Ⅰ类知识产权数")
    st_results_converted = _count("科技成果转化数")

    class Meta:
        ordering = ["firm_id", "-fiscal_year", "-version"]
        verbose_name = "annual figures"
        verbose_name_plural = "annual figures"
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "fiscal_year"], condition=Q(state="verified"), name="annualfigures_one_verified"
            ),
            models.UniqueConstraint(
                fields=["firm", "fiscal_year"], condition=Q(state="proposed"), name="annualfigures_one_open_proposal"
            ),
            models.UniqueConstraint(fields=["firm", "fiscal_year", "version"], name="annualfigures_version_unique"),
            models.CheckConstraint(condition=Q(fiscal_year__gte=EARLIEST_YEAR), name="annualfigures_fiscal_year_range"),
            models.CheckConstraint(condition=_STATES, name="annualfigures_state_valid"),
            models.CheckConstraint(condition=_SOURCES, name="annualfigures_source_valid"),
            *_value_checks(
                "annualfigures",
                tuple(f for f in ANNUAL_MONEY_FIELDS if f not in SIGNED_MONEY_FIELDS),
                ANNUAL_NOT_ABOVE,
            ),
        ]
        indexes = [
            # Reports read the verified figures of a year for many firms.
            models.Index(
                fields=["fiscal_year", "firm"], condition=Q(state="verified"), name="annualfigures_verified_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm_id} FY{self.fiscal_year} v{self.version} ({self.state})"


class MonthlyFigures(FigureVersion):
    """One version of a firm's year-to-date figures at the end of a month (the basis of 月度升规)."""

    PERIOD_FIELDS = ("year", "month")
    VALUE_FIELDS = MONTHLY_VALUE_FIELDS

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="monthly_figures")
    year = models.PositiveSmallIntegerField("年份")
    month = models.PositiveSmallIntegerField("月份")

    main_business_revenue_ytd = _money("本年累计主营业务收入")
    output_value_ytd = _money("本年累计工业总产值")

    class Meta:
        ordering = ["firm_id", "-year", "-month", "-version"]
        verbose_name = "monthly figures"
        verbose_name_plural = "monthly figures"
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "year", "month"], condition=Q(state="verified"), name="monthlyfigures_one_verified"
            ),
            models.UniqueConstraint(
                fields=["firm", "year", "month"], condition=Q(state="proposed"), name="monthlyfigures_one_open_proposal"
            ),
            models.UniqueConstraint(fields=["firm", "year", "month", "version"], name="monthlyfigures_version_unique"),
            models.CheckConstraint(condition=Q(year__gte=EARLIEST_YEAR), name="monthlyfigures_year_range"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="monthlyfigures_month_range"),
            models.CheckConstraint(condition=_STATES, name="monthlyfigures_state_valid"),
            models.CheckConstraint(condition=_SOURCES, name="monthlyfigures_source_valid"),
            *_value_checks("monthlyfigures", MONTHLY_VALUE_FIELDS, ()),
        ]
        indexes = [
            models.Index(
                fields=["year", "month", "firm"], condition=Q(state="verified"), name="monthlyfigures_verified_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm_id} {self.year}-{self.month:02d} v{self.version} ({self.state})"


class EvidenceKind(models.TextChoices):
    CERTIFICATE = "certificate", "证书 / Certificate"
    AUDIT_REPORT = "audit_report", "审计报告 / Audit report"
    FINANCIAL_STATEMENT = "financial_statement", "财务报表 / Financial statement"
    TAX_RETURN = "tax_return", "纳税申报表 / Tax return"
    IP = "ip", "知识产权证明 / IP evidence"
    OTHER = "other", "其他 / Other"


def evidence_upload_to(instance: EvidenceFile, filename: str) -> str:
    """Stored names never come from the client: firm, year and a random name with the detected extension."""
    return f"evidence/{instance.firm_id}/{instance.storage_key}.{instance.extension}"


class EvidenceFile(models.Model):
    """A certificate, audit report or statement a firm or staff uploaded.

    It belongs to a firm and is attached to a fiscal year, to a certification, or to both.
    TODO(certifications): `certification_id` becomes a ForeignKey to the programmes app's
    Certification once that app lands; until then it is a plain id, checked against that model
    when it exists (see services.evidence_upload).
    """

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="evidence_files")
    fiscal_year = models.PositiveSmallIntegerField("会计年度", null=True, blank=True)
    certification_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    kind = models.CharField(max_length=30, choices=EvidenceKind.choices, default=EvidenceKind.OTHER)
    title = models.CharField(max_length=200, blank=True)
    file = models.FileField(upload_to=evidence_upload_to, max_length=300)
    storage_key = models.CharField(max_length=40, unique=True, editable=False)
    extension = models.CharField(max_length=10, editable=False)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, help_text="Detected from the content, never taken from the client.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by_role = models.CharField(max_length=20, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fiscal_year__isnull=False) | Q(certification_id__isnull=False),
                name="evidencefile_attached_to_year_or_certification",
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year__isnull=True) | Q(fiscal_year__gte=EARLIEST_YEAR),
                name="evidencefile_fiscal_year_range",
            ),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="evidencefile_sha256_format"),
        ]
        indexes = [models.Index(fields=["firm", "fiscal_year"], name="evidencefile_firm_year")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.firm_id})"
