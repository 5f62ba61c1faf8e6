"""The column sets of the import files, shared by the exports so that an export re-imports unchanged.

Each format lists its columns in the order exports write them, with the Chinese header first (what
exports write), the English header, and the other headers found in real files (the recognition lists
the science and economy bureaus publish say 认定日期 or 发证时间 for 发证日期, 信用代码 for
统一社会信用代码 …). Headers are compared after width normalisation (NFKC), without spaces, case
or the asterisks templates use to mark required columns. Money columns may carry a unit in the
header, e.g. 营业收入（万元）: the values are then converted to yuan.

docs/imports.md documents every column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from apps.figures.models import (
    ANNUAL_COUNT_FIELDS,
    ANNUAL_MONEY_FIELDS,
    SIGNED_MONEY_FIELDS,
    AnnualFigures,
    MonthlyFigures,
)

# The error column of a returned workbook; ignored when the fixed workbook comes back.
ERROR_HEADERS = ("错误原因", "Error")

TEXT, DATE, MONEY, COUNT, INTEGER, IGNORED = "text", "date", "money", "count", "integer", "ignored"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    kind: str = TEXT
    signed: bool = False  # money that may be negative (net profit)
    exported: bool = True  # recognised on import; exports leave it out when False

    def header(self, language: str = "zh") -> str:
        return self.en if language == "en" else self.zh


@dataclass(frozen=True)
class MatchedColumn:
    column: Column
    index: int
    header: str  # as written in the file, for error messages
    factor: Decimal = Decimal(1)  # unit conversion to yuan


@dataclass
class HeaderMatch:
    row_index: int  # 0-based index of the header row among the rows read
    columns: dict[str, MatchedColumn] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # headers we do not know, reported to the uploader
    error_column: int | None = None

    def has(self, key: str) -> bool:
        return key in self.columns


@dataclass(frozen=True)
class TableFormat:
    key: str
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]
    # A row is this format's header when it names every column of one of these groups.
    identity: tuple[tuple[str, ...], ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def headers(self, language: str = "zh") -> list[str]:
        return [c.header(language) for c in self.columns if c.exported]

    @property
    def exported(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.exported)

    def match(self, cells: list[object], row_index: int) -> HeaderMatch | None:
        lookup = _lookup(self)
        found = HeaderMatch(row_index=row_index)
        for index, cell in enumerate(cells):
            if cell is None or str(cell).strip() == "":
                continue
            text = str(cell).strip()
            key_text, unit = split_unit(text)
            if header_key(text) in _ERROR_KEYS:
                found.error_column = index
                continue
            column = lookup.get(header_key(key_text)) or lookup.get(header_key(text))
            if column is None:
                found.ignored.append(text)
                continue
            if column.key in found.columns:
                found.ignored.append(text)  # the first of two same columns wins
                continue
            factor = UNITS.get(unit, Decimal(1)) if column.kind == MONEY else Decimal(1)
            found.columns[column.key] = MatchedColumn(column, index, text, factor)
        if any(all(key in found.columns for key in group) for group in self.identity):
            return found
        return None


def header_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "*※:：")


UNITS = {
    "元": Decimal(1),
    "人民币元": Decimal(1),
    "yuan": Decimal(1),
    "rmb": Decimal(1),
    "cny": Decimal(1),
    "千元": Decimal(1000),
    "万元": Decimal(10_000),
    "10kyuan": Decimal(10_000),
    "10,000yuan": Decimal(10_000),
    "百万元": Decimal(1_000_000),
    "亿元": Decimal(100_000_000),
    # Counts sometimes carry theirs.
    "人": Decimal(1),
    "个": Decimal(1),
    "件": Decimal(1),
    "项": Decimal(1),
}
_UNIT_RE = re.compile(r"^(?P<label>.*?)[(\[](?P<unit>[^()\[\]]*)[)\]]$")


def split_unit(text: str) -> tuple[str, str]:
    """'营业收入（万元）' → ('营业收入', '万元'); a header without a known unit is returned whole."""
    normal = unicodedata.normalize("NFKC", text).strip()
    match = _UNIT_RE.match(normal)
    if match:
        unit = header_key(match.group("unit"))
        if unit in UNITS:
            return match.group("label"), unit
    return normal, ""


_ERROR_KEYS = {header_key(h) for h in ERROR_HEADERS}
_LOOKUPS: dict[str, dict[str, Column]] = {}


def _lookup(fmt: TableFormat) -> dict[str, Column]:
    cached = _LOOKUPS.get(fmt.key)
    if cached is None:
        cached = {}
        for column in fmt.columns:
            for name in (column.zh, column.en, *column.aliases):
                cached.setdefault(header_key(split_unit(name)[0]), column)
        _LOOKUPS[fmt.key] = cached
    return cached


# ---------------------------------------------------------------------------------------------
# The columns

SEQ = Column("seq", "序号", "No.", ("no", "#", "seq", "序"), IGNORED)
# The same, tolerated (and ignored) in files of the other kinds, but not written by their exports.
SEQ_TOLERATED = Column("seq", "序号", "No.", ("no", "#", "seq", "序"), IGNORED, exported=False)
USCC = Column(
    "uscc",
    "统一社会信用代码",
    "USCC",
    ("社会信用代码", "信用代码", "统一代码", "统一社会信用代码证号", "credit code", "unified social credit code"),
)
NAME = Column(
    "name",
    "企业名称",
    "Firm name",
    ("单位名称", "公司名称", "企业(单位)名称", "名称", "企业", "name", "company name", "company", "firm"),
)

FIRMS = TableFormat(
    key="firms",
    title_zh="企业",
    title_en="Firms",
    columns=(
        USCC,
        NAME,
        Column("zone", "园区片区", "Zone", ("片区", "所属片区", "园区", "所属园区")),
        Column("registration_date", "成立日期", "Registration date", ("注册日期", "成立时间", "established"), DATE),
        Column("legal_form", "企业类型", "Legal form", ("组织形式", "公司类型", "企业性质")),
        Column("joint_stock_date", "股改日期", "Joint-stock date", ("股份制改造日期", "joint stock date"), DATE),
        Column(
            "industry", "行业代码", "Industry code", ("国民经济行业代码", "行业分类代码", "所属行业代码", "industry")
        ),
        Column("entered_park_on", "入园日期", "Entered park", ("入园时间", "entry date"), DATE),
        Column("left_park_on", "离园日期", "Left park", ("离园时间", "exit date"), DATE),
        Column("exit_kind", "离园类型", "Exit kind", ("离园原因",)),
        Column("tags", "标签", "Tags", ("企业标签",)),
        Column("address", "地址", "Address", ("注册地址", "经营地址", "企业地址", "住所")),
        Column("legal_representative", "法定代表人", "Legal representative", ("法人代表", "法人")),
        Column("notes", "备注", "Notes", ("remarks", "说明")),
        SEQ_TOLERATED,
    ),
    identity=(("uscc", "zone"), ("uscc", "name"), ("name", "zone")),
)

CERTIFICATIONS = TableFormat(
    key="certifications",
    title_zh="认定证书",
    title_en="Certifications",
    columns=(
        SEQ,
        NAME,
        USCC,
        Column(
            "number",
            "证书编号",
            "Certificate number",
            ("证书号", "证书号码", "登记编号", "入库登记编号", "入库编号", "certificate no", "number"),
        ),
        Column(
            "certificate_date",
            "发证日期",
            "Certificate date",
            ("认定日期", "发证时间", "认定时间", "证书日期", "入库日期", "登记日期", "date"),
            DATE,
        ),
        Column("batch", "批次", "Batch", ("批次名称", "认定批次", "公示批次")),
        Column("programme", "项目", "Programme", ("项目代码", "认定项目", "program")),
        Column("level", "级别", "Level", ("认定级别",)),
        Column(
            "valid_until",
            "有效期至",
            "Valid until",
            ("有效期截止日", "有效期截止", "到期日期", "有效期限至", "expiry date"),
            DATE,
        ),
    ),
    identity=(("uscc", "certificate_date"), ("name", "certificate_date")),
)

# English labels of the annual values (the Chinese ones are the model fields' verbose names).
_ANNUAL_EN = {
    "operating_revenue": "Operating revenue",
    "main_business_revenue": "Main-business revenue",
    "sales_revenue": "Sales revenue (HNTE)",
    "high_tech_revenue": "High-tech product revenue",
    "rd_expense": "R&D expense",
    "rd_expense_domestic": "R&D expense in China",
    "total_costs": "Total costs and expenses",
    "net_profit": "Net profit",
    "net_profit_recurring": "Net profit after non-recurring items",
    "total_assets": "Total assets",
    "total_liabilities": "Total liabilities",
    "output_value": "Industrial output value",
    "equity_financing": "New equity financing",
    "import_export_value": "Import/export value",
    "staff_total": "Total staff",
    "st_staff": "S&T staff",
    "rd_staff": "R&D staff",
    "ip_class1": "Class-I IP",
    "ip_class2": "Class-II IP",
    "ip_class1_high_value": "High-value class-I IP",
    "st_results_converted": "S&T results converted",
    "main_business_revenue_ytd": "YTD main-business revenue",
    "output_value_ytd": "YTD output value",
}
_ANNUAL_ALIASES = {
    "operating_revenue": ("营业总收入",),
    "sales_revenue": ("销售收入",),
    "high_tech_revenue": ("高新技术产品收入", "高新技术产品(服务)收入", "高品收入"),
    "rd_expense": ("研发费用", "研究开发费用", "研发费用合计", "研究开发费用总额"),
    "rd_expense_domestic": ("境内研究开发费用", "在中国境内发生的研究开发费用"),
    "total_costs": ("成本费用", "成本费用合计"),
    "net_profit_recurring": ("扣非净利润", "扣除非经常性损益后净利润"),
    "total_assets": ("资产总计", "总资产"),
    "total_liabilities": ("负债合计", "总负债"),
    "equity_financing": ("股权融资额",),
    "import_export_value": ("进出口额",),
    "staff_total": ("职工人数", "从业人员", "从业人员数", "年末从业人员数", "职工总数(人)"),
    "st_staff": ("科技人员", "科技人员总数"),
    "rd_staff": ("研发人员", "研究开发人员数"),
    "ip_class1": ("i类知识产权数", "一类知识产权数", "Ⅰ类知识产权"),
    "ip_class2": ("ii类知识产权数", "二类知识产权数", "Ⅱ类知识产权"),
    "ip_class1_high_value": ("高价值i类知识产权数", "高价值发明专利数"),
    "st_results_converted": ("科技成果转化数量",),
    "main_business_revenue_ytd": ("累计主营业务收入", "主营业务收入(本年累计)", "主营业务收入本年累计"),
    "output_value_ytd": ("累计工业总产值", "工业总产值(本年累计)", "工业总产值本年累计"),
}


def _value_columns(model: type[AnnualFigures] | type[MonthlyFigures]) -> tuple[Column, ...]:
    columns = []
    for name in model.VALUE_FIELDS:
        verbose = str(getattr(model._meta.get_field(name), "verbose_name", name))
        money = name not in ANNUAL_COUNT_FIELDS
        columns.append(
            Column(
                name,
                f"{verbose}（元）" if money else verbose,
                f"{_ANNUAL_EN[name]} (yuan)" if money else _ANNUAL_EN[name],
                (verbose, _ANNUAL_EN[name], name, *_ANNUAL_ALIASES.get(name, ())),
                MONEY if money else COUNT,
                signed=name in SIGNED_MONEY_FIELDS,
            )
        )
    return tuple(columns)


STATE = Column("state", "状态", "State", ("数据状态",))

ANNUAL_FIGURES = TableFormat(
    key="annual_figures",
    title_zh="年度数据",
    title_en="Annual figures",
    columns=(
        USCC,
        NAME,
        Column("fiscal_year", "会计年度", "Fiscal year", ("年度", "年份", "数据年度", "year"), INTEGER),
        *_value_columns(AnnualFigures),
        STATE,
        SEQ_TOLERATED,
    ),
    identity=(("uscc", "fiscal_year"), ("name", "fiscal_year")),
)

MONTHLY_FIGURES = TableFormat(
    key="monthly_figures",
    title_zh="月度数据",
    title_en="Monthly figures",
    columns=(
        USCC,
        NAME,
        Column("year", "年份", "Year", ("年度", "年"), INTEGER),
        Column("month", "月份", "Month", ("月",), INTEGER),
        *_value_columns(MonthlyFigures),
        STATE,
        SEQ_TOLERATED,
    ),
    identity=(("uscc", "year", "month"), ("name", "year", "month")),
)

FORMATS = {fmt.key: fmt for fmt in (FIRMS, CERTIFICATIONS, ANNUAL_FIGURES, MONTHLY_FIGURES)}

assert set(ANNUAL_MONEY_FIELDS) | set(ANNUAL_COUNT_FIELDS) <= set(_ANNUAL_EN)
