"""How an evaluation writes numbers: money as Chinese reports do (万 / 亿) and in English (M), ratios in percent.

Every text is produced in both languages at once, as a (zh, en) pair: the API picks one by
Accept-Language, a flag's evidence keeps both.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from apps.figures.models import ANNUAL_MONEY_FIELDS
from apps.figures.services import FIELD_LABELS

Text = tuple[str, str]

CENT = Decimal("0.01")
WAN = Decimal(10_000)
YI = Decimal(100_000_000)
MILLION = Decimal(1_000_000)

# Names as a gap sentence uses them ("+¥0.9M R&D", "需增加研发投入 ¥90 万"), where shorter than the field labels.
LABELS: dict[str, Text] = {
    **FIELD_LABELS,
    "rd_expense": ("研发投入", "R&D"),
    "rd_expense_domestic": ("境内研发投入", "R&D in China"),
    "operating_revenue": ("营业收入", "revenue"),
    "sales_revenue": ("销售收入", "sales revenue"),
    "high_tech_revenue": ("高新技术产品（服务）收入", "high-tech product revenue"),
    "net_profit": ("净利润", "net profit"),
    "net_profit_recurring": ("扣除非经常性损益后的净利润", "net profit after non-recurring items"),
    "net_assets": ("净资产", "net assets"),
    "st_staff": ("科技人员", "S&T staff"),
    "rd_staff": ("研发人员", "R&D staff"),
    "staff_total": ("职工", "staff"),
    "ip_class1": ("Ⅰ类知识产权", "class-I IP"),
    "ip_class2": ("Ⅱ类知识产权", "class-II IP"),
    "ip_class1_high_value": ("高价值Ⅰ类知识产权", "high-value class-I IP"),
    "registration_date": ("成立日期", "registration date"),
    "industry": ("行业代码", "industry code"),
    "uscc": ("统一社会信用代码", "USCC"),
    "legal_form": ("企业类型", "legal form"),
    "certifications": ("有效资质", "titles held"),
    "tags": ("标签", "tags"),
}

# Units of the count fields: (Chinese measure word, English noun is the label itself).
PEOPLE = ("staff_total", "st_staff", "rd_staff")
MONEY = (*ANNUAL_MONEY_FIELDS, "net_assets")


def label(field: str) -> Text:
    return LABELS.get(field, (field, field))


def unit_of(field: str) -> str:
    if field in MONEY:
        return "yuan"
    if field in PEOPLE:
        return "people"
    return "items"


def _trim(value: Decimal, places: int) -> str:
    text = f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def money_zh(amount: Decimal, *, symbol: bool = True) -> str:
    """¥90 万, ¥1.35 亿, ¥500."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    prefix = f"{sign}¥" if symbol else sign
    if amount >= YI:
        return f"{prefix}{_trim(amount / YI, 2)} 亿"
    if amount >= 100:
        return f"{prefix}{_trim(amount / WAN, 2)} 万"
    return f"{prefix}{_trim(amount, 2)}"


def money_en(amount: Decimal, *, symbol: bool = True) -> str:
    """¥0.9M, ¥135M, ¥52,000."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    prefix = f"{sign}¥" if symbol else sign
    if amount >= Decimal(100_000):
        return f"{prefix}{_trim(amount / MILLION, 2)}M"
    return f"{prefix}{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def pct(ratio: Decimal) -> str:
    return f"{_trim(ratio * 100, 2)}%"


def pct_en(ratio: Decimal) -> str:
    return f"{_trim(ratio * 100, 2)} %"


def amount_text(field: str, amount: Decimal | int) -> Text:
    """A value of a field in the field's own unit: ¥90 万 / ¥0.9M, 3 人 / 3, 2 项 / 2."""
    unit = unit_of(field)
    if unit == "yuan":
        return money_zh(Decimal(amount)), money_en(Decimal(amount))
    number = _trim(Decimal(amount), 2)
    return (f"{number} 人" if unit == "people" else f"{number} 项"), number


def increase_text(field: str, amount: Decimal | int) -> Text:
    """需增加研发投入 ¥90 万 / +¥0.9M R&D; 需增加科技人员 3 人 / +3 S&T staff."""
    zh_label, en_label = label(field)
    zh_amount, en_amount = amount_text(field, amount)
    return f"需增加{zh_label} {zh_amount}", f"+{en_amount} {en_label}"


def decrease_text(field: str, amount: Decimal | int) -> Text:
    zh_label, en_label = label(field)
    zh_amount, en_amount = amount_text(field, amount)
    return f"需减少{zh_label} {zh_amount}", f"−{en_amount} {en_label}"


def ceil_amount(field: str, amount: Decimal) -> Decimal:
    """Round a needed amount up: money to the cent, people and items to whole ones."""
    if unit_of(field) == "yuan":
        return amount.quantize(CENT, rounding=ROUND_CEILING)
    return amount.to_integral_value(rounding=ROUND_CEILING)


def plain(value: Any) -> Any:
    """JSON-safe: Decimal → string, date → ISO."""
    if isinstance(value, Decimal):
        return _decimal_string(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def _decimal_string(value: Decimal) -> str:
    text = f"{value:f}"
    point = text.find(".")
    if point < 0 or len(text) - point <= 3:
        return text  # whole numbers, and money with its cents: "900000.00"
    if len(text) - point > 7:
        return _trim(value, 6)
    return text.rstrip("0").rstrip(".")  # a ratio: "0.031000" → "0.031"


def ratio_value(value: Decimal) -> Decimal:
    """A ratio as an evaluation reports it: six decimals."""
    return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
