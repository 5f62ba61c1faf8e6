"""What the annual highlights are made of: report lines, tag groups, and published (frozen) reports.

- `ReportLine`: one line of the report — a single programme (HNTE) or a group of programmes counted
  as distinct firms (专精特新 = SRDI ∪ LITTLE_GIANT). Administrators edit them; the defaults ship as
  data (migration 0002, reloadable through `HighlightsConfig.load_reference_data`).
- `TagGroup`: firms that on 31 Dec carry a tag, hold a programme (ABOVE_SIZE) and sit in an
  industry section (C), with the sum of a chosen annual figure ("数字经济规上制造企业 16 户，实现产值
  68.9 亿元，同比增长 8%").
- `PublishedReport`: a report for a year and a scope, frozen with its numbers, the firms behind
  every number and the time it was computed. Never edited afterwards: publishing again makes a new
  version.

The numbers themselves are computed set-based in `compute.py` (SPEC §5).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from apps.figures.models import ANNUAL_MONEY_FIELDS
from apps.programmes.models import Programme

CODE_PATTERN = r"^[A-Z][A-Z0-9_]*$"


class GrowthBasis(models.TextChoices):
    """domain-rules §9.1: "make the formula explicit and configurable: net change vs gross new"."""

    NET = "net", "净增长：(年末 − 年初) / 年初 / Net: (closing − opening) / opening"
    GROSS_NEW = "gross_new", "新增口径：新增 / 年初 / Gross new: new / opening"


class ReportLine(models.Model):
    code = models.CharField(
        max_length=30,
        unique=True,
        validators=[RegexValidator(CODE_PATTERN)],
        help_text="Upper-case key used in URLs, e.g. HNTE, ZJTX.",
    )
    name_zh = models.CharField(max_length=100, help_text="As the narrative says it: 高新技术企业, 专精特新企业.")
    name_en = models.CharField(max_length=100, blank=True)
    programmes = models.ManyToManyField(
        Programme,
        related_name="report_lines",
        help_text="A firm counts once however many of these it holds.",
    )
    growth_basis = models.CharField(max_length=20, choices=GrowthBasis.choices, default=GrowthBasis.NET)
    headline = models.BooleanField(
        default=False, help_text="Quoted in the first highlight sentence of the Word narrative."
    )
    position = models.PositiveSmallIntegerField(default=100, help_text="Order in the report, smallest first.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=CODE_PATTERN), name="reportline_code_format"),
            models.CheckConstraint(condition=Q(growth_basis__in=GrowthBasis.values), name="reportline_growth_basis"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class TagGroup(models.Model):
    code = models.CharField(max_length=30, unique=True, validators=[RegexValidator(CODE_PATTERN)])
    name_zh = models.CharField(max_length=100, help_text="As the narrative says it: 数字经济规上制造企业.")
    name_en = models.CharField(max_length=100, blank=True)
    tag = models.CharField(max_length=60, help_text="The firm tag, e.g. 数字经济.")
    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        related_name="tag_groups",
        help_text="Members hold it on 31 Dec (ABOVE_SIZE: 规上).",
    )
    industry_section = models.CharField(
        max_length=1,
        blank=True,
        validators=[RegexValidator(r"^[A-T]$")],
        help_text="GB/T 4754 section letter members sit in (C = manufacturing); empty = any.",
    )
    figure = models.CharField(
        max_length=40,
        choices=[(name, name) for name in ANNUAL_MONEY_FIELDS],
        default="output_value",
        help_text="The verified annual figure summed over members (yuan).",
    )
    figure_label = models.CharField(max_length=40, default="产值", help_text="实现{figure_label} 68.9 亿元.")
    position = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=CODE_PATTERN), name="taggroup_code_format"),
            models.CheckConstraint(condition=Q(figure__in=ANNUAL_MONEY_FIELDS), name="taggroup_figure_known"),
            models.CheckConstraint(
                condition=Q(industry_section="") | Q(industry_section__regex=r"^[A-T]$"),
                name="taggroup_industry_section",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class PublishedReport(models.Model):
    """A frozen report. `zone_ids` empty = the whole park; otherwise the union of those zones."""

    year = models.PositiveSmallIntegerField()
    zone_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    scope_key = models.CharField(max_length=200, help_text='"park" or "zones:1,3": the scope, for versions.')
    scope_label = models.CharField(max_length=300)
    version = models.PositiveIntegerField(help_text="1, 2, 3 … per year and scope, in order of publication.")
    title = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    as_of = models.DateField(help_text="The day the closing counts refer to (31 Dec of the year).")
    computed_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(auto_now_add=True)
    # The whole report as computed: numbers, firm lists and the definitions used. Never rewritten.
    data = models.JSONField()

    class Meta:
        ordering = ["-year", "-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "scope_key", "version"], name="publishedreport_version_unique"),
            models.CheckConstraint(condition=Q(year__gte=1949, year__lte=2099), name="publishedreport_year_range"),
        ]
        indexes = [models.Index(fields=["year", "scope_key"], name="publishedreport_year_scope")]

    def __str__(self) -> str:
        return f"{self.year} {self.scope_label} v{self.version}"
