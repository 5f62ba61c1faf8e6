"""What a metric works on and what it returns.

`Facts` is everything known about one firm for an evaluation: its registry data, the titles it holds
on the evaluation date, and its VERIFIED annual figures by fiscal year (what-if values merged over
them). A metric reads figures through a `Reader`, which records every input it used (with its
fiscal year) and every one that was missing: a missing input makes the criterion *unknown*,
never *not met*.

An `Outcome` is the result of one criterion: a status, the value and what was required, the
relative shortfall (how far below the requirement, 0.08 = 8 %; None when the criterion is not
numeric), the gaps (what it would take, in the firm's own units) and a lazily built bilingual
sentence — building text for 200,000 firms that will never be shown is wasted work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from apps.rules import formatting as fmt
from apps.rules.formatting import Text
from apps.rules.params import Param

MET, NOT_MET, UNKNOWN, MANUAL = "met", "not_met", "unknown", "manual"
STATUSES = (MET, NOT_MET, UNKNOWN, MANUAL)

Explain = Callable[[str, str], Text]


@dataclass(slots=True)
class Facts:
    firm_id: int
    registration_date: dt.date | None = None
    industry: str = ""
    legal_form: str = ""
    uscc: str = ""
    tags: tuple[str, ...] = ()
    held: frozenset[str] = frozenset()
    figures: dict[int, dict[str, Any]] = field(default_factory=dict)
    hypothetical: frozenset[tuple[int, str]] = frozenset()


@dataclass(slots=True)
class Env:
    year: int
    as_of: dt.date


@dataclass(slots=True)
class Gap:
    """What it would take: `amount` more (or less) of `field` in `fiscal_year`, or a date to wait for."""

    field: str
    amount: Decimal | None = None
    fiscal_year: int | None = None
    direction: str = "increase"  # increase | decrease | wait
    until: dt.date | None = None
    points: Decimal | None = None  # for a score: the points this change would add
    show_year: bool = False
    alternative: bool = False  # one of several ways (any one suffices), not a change that is needed anyway

    def text(self) -> Text:
        if self.direction == "wait" and self.until is not None:
            return f"{self.until.isoformat()} 起满足", f"met from {self.until.isoformat()}"
        assert self.amount is not None
        zh, en = (fmt.increase_text if self.direction == "increase" else fmt.decrease_text)(self.field, self.amount)
        if self.show_year and self.fiscal_year is not None:
            zh, en = f"{self.fiscal_year} 年{zh}", f"{en} in FY{self.fiscal_year}"
        if self.points is not None:
            zh, en = f"{zh}（+{fmt.plain(self.points)} 分）", f"{en} (+{fmt.plain(self.points)} points)"
        return zh, en

    def as_dict(self) -> dict[str, Any]:
        zh, en = self.text()
        return {
            "field": self.field,
            "fiscal_year": self.fiscal_year,
            "direction": self.direction,
            "amount": fmt.plain(self.amount) if self.amount is not None else None,
            "unit": "date" if self.direction == "wait" else fmt.unit_of(self.field),
            "until": self.until.isoformat() if self.until else None,
            "points": fmt.plain(self.points) if self.points is not None else None,
            "alternative": self.alternative,
            "text_zh": zh,
            "text_en": en,
        }


Input = tuple[str, int | None, Any]


@dataclass(slots=True)
class Outcome:
    status: str
    value: Any = None
    required: Any = None
    unit: str = ""
    shortfall: Decimal | None = None
    gaps: list[Gap] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    explain: Explain | None = None
    details: dict[str, Any] | None = None


Compute = Callable[[Facts, Env, Mapping[str, Any]], Outcome]


def _one_year(params: Mapping[str, Any]) -> int:
    return 1


@dataclass(frozen=True)
class Metric:
    """A computation a criterion may name: the function, its parameter schema, and its window in years."""

    name: str
    compute: Compute
    schema: Mapping[str, Param]
    description: str
    # How many fiscal years, ending with the evaluated one, the metric reads.
    window: Callable[[Mapping[str, Any]], int] = _one_year
    # Rough relative cost, so a scan looks at cheap requirements first (and often stops there).
    cost: int = 1
    # Reads `env.as_of` (the evaluation day). Such a metric must be monotonic in the day: once met, met on
    # every later day — the nightly scan re-evaluates a firm it did not meet every day, one it met never
    # (until its inputs change). See apps.rules.detectors.
    reads_date: bool = False


def relative(short: Decimal, base: Decimal) -> Decimal | None:
    """How far below a requirement, as a share of it (None when the requirement is zero or negative)."""
    if base <= 0:
        return None
    return (short / base).quantize(Decimal("0.0001"))


class Reader:
    """Reads a firm's figures, remembering every input used and every one missing."""

    __slots__ = ("facts", "inputs", "missing")

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.inputs: list[Input] = []
        self.missing: list[tuple[str, int | None]] = []

    def get(self, year: int, name: str) -> Any:
        value = self.facts.figures.get(year, {}).get(name)
        self.inputs.append((name, year, value))
        if value is None:
            self.missing.append((name, year))
        return value

    def first(self, year: int, names: Iterable[str]) -> tuple[str, Any]:
        """The first of several fields that has a value (e.g. sales revenue, else operating revenue)."""
        names = list(names)
        row = self.facts.figures.get(year, {})
        for name in names:
            value = row.get(name)
            if value is not None:
                self.inputs.append((name, year, value))
                return name, value
        self.inputs.append((names[0], year, None))
        self.missing.append((names[0], year))
        return names[0], None

    def note(self, name: str, value: Any) -> Any:
        """A firm-level input (registration date, industry, titles held)."""
        self.inputs.append((name, None, value))
        return value

    def unknown(self, reason: Text | None = None) -> Outcome:
        missing = list(dict.fromkeys(self.missing))

        def explain(zh_name: str, en_name: str) -> Text:
            if reason is not None:
                return f"{zh_name}：{reason[0]}", f"{en_name}: {reason[1]}"
            zh = "、".join(f"{y} 年度{fmt.label(n)[0]}" if y else fmt.label(n)[0] for n, y in missing)
            en = ", ".join(f"{fmt.label(n)[1]} FY{y}" if y else fmt.label(n)[1] for n, y in missing)
            return (
                f"{zh_name}：缺少已核实数据（{zh}），无法判断",
                f"{en_name}: unknown, verified figures missing ({en})",
            )

        return Outcome(UNKNOWN, inputs=self.inputs, explain=explain)


def window(facts: Facts, env: Env, years: int) -> list[int]:
    """The last `years` fiscal years up to the evaluated one; shorter if the firm is younger (HNTE's rule)."""
    start = env.year - years + 1
    registered = facts.registration_date
    if registered is not None and registered.year > start:
        start = registered.year
    return list(range(start, env.year + 1))


def not_registered(reader: Reader, env: Env) -> Outcome:
    return reader.unknown((f"{env.year} 年企业尚未成立", f"the firm was not yet registered in {env.year}"))


def compare_text(
    value: Callable[[], Text],
    required: Callable[[], Text],
    gaps: list[Gap],
    *,
    op: str = "≥ ",
    qualifier: Text = ("", ""),
    joiner: Text | None = None,
) -> Explain:
    """The sentence of a comparison, e.g.
    '研发费用占比 3.1%，收入 5000 万–2 亿元档要求 4%：需增加研发投入 ¥90 万' /
    'R&D ratio 3.1 % vs 4 % required for revenue 50–200M: +¥0.9M R&D'."""

    def explain(zh_name: str, en_name: str) -> Text:
        shown, needed = value(), required()  # formatted only when someone reads the sentence
        zh = f"{zh_name} {shown[0]}，{qualifier[0]}要求 {op}{needed[0]}"
        en = f"{en_name} {shown[1]} vs {op}{needed[1]} required{qualifier[1]}"
        if gaps:
            texts = [gap.text() for gap in gaps]
            sep = joiner or ("；", "; ")
            zh += "：" + sep[0].join(t[0] for t in texts)
            en += ": " + sep[1].join(t[1] for t in texts)
        else:
            zh += "：已满足"
            en += ": met"
        return zh, en

    return explain


def needed_for_ratio(target: Decimal, num: Decimal, den: Decimal, part: bool) -> Decimal:
    """How much more numerator makes num/den reach `target`; `part`: the numerator is part of the denominator
    (hiring S&T staff also grows the staff total), so x solves (num + x) / (den + x) = target."""
    need = target * den - num
    if part and target < 1:
        need = need / (1 - target)
    return need


def as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
