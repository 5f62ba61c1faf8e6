"""Checks on a criterion's `params`, so an administrator's edit can never break an evaluation.

Each metric declares its parameters as `{name: Param(check, required)}`; `check(value)` returns None
or a (zh, en) message. `validate(schema, params)` returns every problem, keyed by the parameter's
path (`bands[1].min_ratio`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.figures.models import ANNUAL_VALUE_FIELDS
from apps.rules.formatting import Text

Check = Callable[[Any], "list[tuple[str, Text]]"]


@dataclass(frozen=True)
class Param:
    check: Check
    required: bool = True
    help: str = ""


def to_decimal(value: Any) -> Decimal:
    """JSON numbers (0.05 is stored as a float) become exact decimals through their text."""
    if isinstance(value, bool):
        raise InvalidOperation("a boolean is not a number")
    return Decimal(str(value))


def _err(zh: str, en: str) -> list[tuple[str, Text]]:
    return [("", (zh, en))]


def number(low: Decimal | int | None = None, high: Decimal | int | None = None) -> Check:
    def check(value: Any) -> list[tuple[str, Text]]:
        try:
            number = to_decimal(value)
        except (InvalidOperation, ValueError, TypeError):
            return _err(f"应为数字，收到 {value!r}。", f"Expected a number, got {value!r}.")
        if not number.is_finite():
            return _err("应为有限的数字。", "Expected a finite number.")
        if low is not None and number < low:
            return _err(f"不能小于 {low}。", f"Must be at least {low}.")
        if high is not None and number > high:
            return _err(f"不能大于 {high}。", f"Must be at most {high}.")
        return []

    return check


def integer(low: int = 1, high: int = 10) -> Check:
    def check(value: Any) -> list[tuple[str, Text]]:
        if isinstance(value, bool) or not isinstance(value, int):
            return _err(f"应为整数，收到 {value!r}。", f"Expected a whole number, got {value!r}.")
        if not low <= value <= high:
            return _err(f"应在 {low} 到 {high} 之间。", f"Must be between {low} and {high}.")
        return []

    return check


def boolean(value: Any) -> list[tuple[str, Text]]:
    if not isinstance(value, bool):
        return _err("应为 true 或 false。", "Expected true or false.")
    return []


def text(value: Any) -> list[tuple[str, Text]]:
    if not isinstance(value, str) or len(value) > 200:
        return _err("应为不超过 200 字的文字。", "Expected a text of at most 200 characters.")
    return []


def field(value: Any) -> list[tuple[str, Text]]:
    if value not in ANNUAL_VALUE_FIELDS:
        return _err(
            f"未知的年度数据字段 {value!r}。可用：{', '.join(ANNUAL_VALUE_FIELDS)}。",
            f"Unknown annual figures field {value!r}. Known: {', '.join(ANNUAL_VALUE_FIELDS)}.",
        )
    return []


def fields(value: Any) -> list[tuple[str, Text]]:
    """One field, or a list of fields tried in order (the first one given counts)."""
    if isinstance(value, str):
        return field(value)
    if not isinstance(value, list) or not value:
        return _err("应为字段名或字段名列表。", "Expected a field name or a list of field names.")
    problems: list[tuple[str, Text]] = []
    for index, item in enumerate(value):
        problems += [(f"[{index}]{path}", message) for path, message in field(item)]
    return problems


def strings(value: Any) -> list[tuple[str, Text]]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        return _err("应为非空的文字列表。", "Expected a non-empty list of texts.")
    return []


def points(value: Any) -> list[tuple[str, Text]]:
    """A score: a whole number, or a [low, high] range of whole numbers."""
    if isinstance(value, list):
        if len(value) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return _err("分值区间应为 [低, 高] 两个整数。", "A points range is [low, high], two whole numbers.")
        if not 0 <= value[0] <= value[1] <= 100:
            return _err("分值区间应满足 0 ≤ 低 ≤ 高 ≤ 100。", "A points range needs 0 ≤ low ≤ high ≤ 100.")
        return []
    return integer(0, 100)(value)


def record(schema: Mapping[str, Param], *, bounds: bool = False) -> Check:
    """A JSON object checked against a schema; `bounds` adds the band bounds min/min_exclusive/max/max_exclusive."""

    def check(value: Any) -> list[tuple[str, Text]]:
        if not isinstance(value, dict):
            return _err("应为 JSON 对象。", "Expected a JSON object.")
        full = dict(schema)
        if bounds:
            for name in BOUND_KEYS:
                full.setdefault(name, Param(number(-1000, 10**13), required=False))
        problems = validate(full, value)
        if bounds and not any(name in value for name in BOUND_KEYS):
            problems.append(
                (
                    "",
                    (
                        f"每一档须给出 {' / '.join(BOUND_KEYS)} 之一。",
                        f"Each band needs one of {' / '.join(BOUND_KEYS)}.",
                    ),
                )
            )
        return problems

    return check


BOUND_KEYS = ("min", "min_exclusive", "max", "max_exclusive")


def listing(item: Check, *, min_items: int = 1) -> Check:
    def check(value: Any) -> list[tuple[str, Text]]:
        if not isinstance(value, list) or len(value) < min_items:
            return _err(f"应为至少 {min_items} 项的列表。", f"Expected a list of at least {min_items} item(s).")
        problems: list[tuple[str, Text]] = []
        for index, entry in enumerate(value):
            problems += [(f"[{index}]{_dot(path)}", message) for path, message in item(entry)]
        return problems

    return check


def _dot(path: str) -> str:
    return path if not path or path.startswith("[") else f".{path}"


def validate(schema: Mapping[str, Param], params: Any) -> list[tuple[str, Text]]:
    if not isinstance(params, dict):
        return [("", ("参数应为 JSON 对象。", "The parameters must be a JSON object."))]
    problems: list[tuple[str, Text]] = []
    for name, spec in schema.items():
        if name not in params:
            if spec.required:
                problems.append((name, ("缺少此参数。", "This parameter is missing.")))
            continue
        problems += [(f"{name}{_dot(path)}", message) for path, message in spec.check(params[name])]
    for name in params:
        if name not in schema and not name.startswith("_"):
            problems.append(
                (
                    name,
                    (
                        f"未知参数。可用：{', '.join(schema) or '无'}。",
                        f"Unknown parameter. Known: {', '.join(schema) or 'none'}.",
                    ),
                )
            )
    return problems


RATIO = number(0, 1)
MONEY = number(0, 10**13)
RATE = number(-1, 100)
