"""Reading one cell of an uploaded sheet into a value, or a bilingual reason why it cannot be read.

Cells come from CSV (always text) or XLSX (text, numbers, dates; formulas arrive as their cached
values, never evaluated). Row errors are stored in both languages (`Msg`), because the workbook
that goes back to the uploader is written in their language while the API answers in the caller's.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from django.utils import translation

from apps.core.text import export_safe
from apps.registry import uscc as uscc_rules


class Msg(NamedTuple):
    zh: str
    en: str

    def pick(self, language: str | None) -> str:
        return self.en if (language or "").lower().startswith("en") else self.zh


class CellError(ValueError):
    def __init__(self, message: Msg) -> None:
        super().__init__(message.en)
        self.message = message


def both(lazy_message: object) -> Msg:
    """Both renderings of a lazy `t(...)` message from elsewhere in the code base."""
    with translation.override("zh-hans"):
        zh = str(lazy_message)
    with translation.override("en"):
        en = str(lazy_message)
    return Msg(zh, en)


# Spreadsheet injection: text starting with one of these is a formula to Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe, and loses the characters
    no file format can hold (apps.core.text.export_safe); other values pass. Every export writer's one
    gate for stored text."""
    if isinstance(value, str):
        value = export_safe(value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


_NEUTRALISED = set("=+-@\t\r")
_BLANKS = {"", "-", "—", "－", "/", "／", "无", "n/a", "na", "none", "null"}


def text(value: object) -> str:
    """The cell as trimmed text ('' for empty). Undoes our own formula neutralisation."""
    if type(value) is str:  # the common case first: large imports call this for every cell
        out = value.strip()
        if out[:1] == "'" and out[1:2] in _NEUTRALISED:
            return out[1:]
        return out
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # certificate numbers typed into Excel as numbers
    elif isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        return value.isoformat()
    out = str(value).strip()
    if len(out) > 1 and out[0] == "'" and out[1] in "=+-@\t\r":
        out = out[1:]
    return out


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _BLANKS)


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value) if not value.isascii() else value


def name_key(value: str) -> str:
    """How names are compared when a row has no USCC: width-normalised, without surrounding spaces."""
    return unicodedata.normalize("NFKC", value).strip()


_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def date(value: object, column: str) -> dt.date | None:
    """A date from a date cell, an Excel serial number, or text: 2022-12-19, 2022/12/19, 2022年12月19日, 20221219."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 10_000 <= value < 80_000:  # an Excel serial day number: the cell lost its date format
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        value = str(int(value)) if float(value).is_integer() else str(value)
    if type(value) is str and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)  # the common case, fast
        except ValueError:
            pass
    raw = nfkc(str(value).strip())
    if raw == "" or raw.lower() in _BLANKS:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    match = _DATE_RE.match(raw) or _COMPACT_DATE_RE.match(raw)
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            pass
    raise CellError(
        Msg(
            f"“{column}”：无法识别的日期“{raw[:40]}”（应为 2022-12-19 或 2022年12月19日 这样的日期）。",
            f"'{column}': '{raw[:40]}' is not a date (write it like 2022-12-19).",
        )
    )


_NUMBER_NOISE = str.maketrans("", "", ",，\u00a0\u3000 ¥￥元")
CENT = Decimal("0.01")
MONEY_LIMIT = Decimal("1e16")  # 18 digits with 2 decimals


def decimal(value: object, column: str, *, factor: Decimal = Decimal(1), signed: bool = False) -> Decimal | None:
    """Money in yuan. '1,234.5', '(12.0)' (accountants' negative) and numbers in 万元 columns are understood."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise _not_a_number(column, str(value))
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        raw = nfkc(text(value)).translate(_NUMBER_NOISE)
        negative = raw.startswith("(") and raw.endswith(")")
        try:
            number = Decimal(raw.strip("()"))
        except InvalidOperation:
            raise _not_a_number(column, text(value)) from None
        if negative:
            number = -number
    if not number.is_finite():
        raise _not_a_number(column, text(value))
    number = (number * factor).quantize(CENT, rounding=ROUND_HALF_UP)
    if number < 0 and not signed:
        raise CellError(Msg(f"“{column}”不能为负数。", f"'{column}' cannot be negative."))
    if abs(number) >= MONEY_LIMIT:
        raise CellError(Msg(f"“{column}”数值过大。", f"'{column}' is too large."))
    return number


def count(value: object, column: str) -> int | None:
    """A whole, non-negative number (staff, IP items …)."""
    if is_blank(value):
        return None
    number = decimal(value, column, signed=True)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise CellError(Msg(f"“{column}”应为整数。", f"'{column}' must be a whole number."))
    if number < 0:
        raise CellError(Msg(f"“{column}”不能为负数。", f"'{column}' cannot be negative."))
    if number > 2_000_000_000:
        raise CellError(Msg(f"“{column}”数值过大。", f"'{column}' is too large."))
    return int(number)


def integer(value: object, column: str, *, low: int, high: int) -> int | None:
    if is_blank(value):
        return None
    raw = text(value).rstrip("年月").strip()
    try:
        number = int(Decimal(nfkc(raw)))
    except (InvalidOperation, ValueError):
        raise _not_a_number(column, raw) from None
    if not low <= number <= high:
        raise CellError(Msg(f"“{column}”应在 {low} 到 {high} 之间。", f"'{column}' must be between {low} and {high}."))
    return number


def _not_a_number(column: str, raw: str) -> CellError:
    return CellError(Msg(f"“{column}”：“{raw[:40]}”不是数字。", f"'{column}': '{raw[:40]}' is not a number."))


def max_length(value: str, column: str, limit: int) -> str:
    if len(value) > limit:
        raise CellError(
            Msg(
                f"“{column}”过长（{len(value)} 个字符，最多 {limit} 个）。",
                f"'{column}' is too long ({len(value)} characters, at most {limit}).",
            )
        )
    return value


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {ch: i for i, ch in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(value: object, column: str) -> str:
    """The normalised code, or CellError with the reason (length, characters, check character). '' if blank."""
    raw = text(value)
    if not raw:
        return ""
    code = raw.replace(" ", "").upper() if raw.isascii() else uscc_rules.normalise(raw)
    if len(code) == 18 and _uscc_check_ok(code):
        return code
    try:
        return uscc_rules.validate(code)
    except uscc_rules.UsccError as exc:
        message = both(exc.args[0])
        raise CellError(Msg(f"“{column}”：{message.zh}", f"'{column}': {message.en}")) from None


def uscc_normalised(value: object) -> str:
    """The code as written, normalised (half-width, no spaces or dashes, upper case) but not checked."""
    if value is None:
        return ""
    raw = text(value)
    if raw.isascii():
        return raw.replace(" ", "").replace("-", "").upper()
    return uscc_rules.normalise(raw)


def _uscc_check_ok(code: str) -> bool:
    """GB 32100-2015 mod-31 check, the fast path for the common, valid case (first 8 characters digits)."""
    try:
        total = sum(_USCC_VALUES[ch] * w for ch, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
        check = _USCC_VALUES[code[17]]
    except KeyError:
        return False
    return code[:8].isdigit() and (31 - total % 31) % 31 == check
