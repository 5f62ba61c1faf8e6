"""The Chinese narrative of a report, in the style of the park's own highlight lines.

From the park's 2022 highlights (SPEC §5):
    高企 120 家，2022 年新增 22 家，增速达 22.45%
    数字经济规上制造企业 16 户，实现产值 68.9 亿元，同比增长 8%
    全年月度升规 3 户
    威马农机股份有限公司于 2022 年 9 月通过深圳证券交易所创业板上市委会议审核
    金睿诚科技通过国家级高新技术企业公示备案，实现高新技术企业从"0"到"1"

The sentence forms here (tests/highlights pin them):
    {line} {closing} 家，{Y} 年新增 {new} 家，增速 {growth:.2f}%
    {group} {count} 户，实现{figure} {亿元/万元}，同比增长 {growth}%
    全年月度升规 {n} 户（A、B、C）
    {firm}于 {Y} 年 {M} 月通过{exchange and board}上市委会议审核
    {firm}通过{level}{line}认定，实现{zone}{line}从'0'到'1'
Money is shown in 亿元 from 100 million yuan up, in 万元 below, as Chinese reports do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.listing.models import Board, ListingStage

NUMERALS = "一二三四五六七八九十"
ZERO_TO_ONE = "从'0'到'1'"
LEVELS = {"national": "国家级", "municipal": "市级", "district": "区级"}
EXCHANGES = {
    Board.CHINEXT: "深圳证券交易所创业板",
    Board.STAR: "上海证券交易所科创板",
    Board.BSE: "北京证券交易所",
    Board.MAIN: "证券交易所主板",
}
# stage: (what the firm did, what the scope had none of before)
STAGE_FIRSTS = {
    ListingStage.TUTORING_FILED: ("完成上市辅导备案", "辅导备案企业"),
    ListingStage.APPLICATION_ACCEPTED: ("首发上市申请获受理", "上市申请受理企业"),
    ListingStage.COMMITTEE: ("通过上市委会议审核", "过会企业"),
    ListingStage.REGISTRATION_EFFECTIVE: ("获准注册", "注册生效企业"),
    ListingStage.LISTED: ("成功上市", "上市企业"),
}
BUCKET_COLUMNS = (
    ("opening", "年初"),
    ("new", "新增"),
    ("moved_in", "迁入"),
    ("renewed", "重新认定"),
    ("lapsed", "到期未续"),
    ("revoked", "撤销"),
    ("left_park", "迁出园区"),
    ("closing", "年末"),
)


def money(value: str | Decimal | None) -> str:
    """'6890000000.00' → '68.9 亿元'; '3456789' → '345.68 万元'."""
    if value is None:
        return "—"
    yuan = Decimal(value)
    unit, scaled = ("亿元", yuan / Decimal(100_000_000)) if abs(yuan) >= 100_000_000 else ("万元", yuan / 10_000)
    return f"{_trim(scaled)} {unit}"


def _trim(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent_2(value: float) -> str:
    """Line growth: always two decimals (SPEC §5)."""
    return f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}%"


def percent_short(value: float) -> str:
    """Figures' growth, as the seed writes it: 8%, 13.2%, 13.17%."""
    return f"{_trim(Decimal(str(value)))}%"


def firm_names(firms: list[dict[str, Any]], limit: int = 3) -> str:
    names = [f["name"] for f in firms]
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等 {len(names)} 家企业"


def _month(day: str) -> str:
    d = dt.date.fromisoformat(day)
    return f"{d.year} 年 {d.month} 月"


def line_sentence(line: dict[str, Any], year: int) -> str:
    text = f"{line['name']} {line['closing']} 家，{year} 年新增 {line['new']} 家"
    growth = line["growth_pct"]
    if line["opening"] == 0 and line["closing"] > 0:
        return text + (f"，实现{ZERO_TO_ONE}" if line["first"] else "")
    if growth is None:
        return text
    if growth < 0:
        return text + f"，同比下降 {percent_2(-growth)}"
    return text + f"，增速 {percent_2(growth)}"


def tag_group_sentence(group: dict[str, Any]) -> str:
    text = f"{group['name']} {group['count']} 户"
    if group["count"]:
        text += f"，实现{group['figure_label']} {money(group['total'])}"
    growth = group["growth_pct"]
    if growth is not None:
        text += f"，同比下降 {percent_short(-growth)}" if growth < 0 else f"，同比增长 {percent_short(growth)}"
    notes = []
    if group["lacking_prior"]:
        notes.append(f"其中 {group['lacking_prior']} 户无上年可比数据，增速按其余 {group['comparable_firms']} 户计算")
    if group["lacking_current"]:
        notes.append(f"{group['lacking_current']} 户尚无已核实的当年数据，未计入合计")
    if notes:
        text += "（" + "；".join(notes) + "）"
    return text


def monthly_sentence(report: dict[str, Any]) -> str | None:
    upgrades = report["monthly_upgrades"]
    if not upgrades["count"]:
        return None
    when = "全年" if report["complete_year"] else f"{report['year']} 年以来"
    return f"{when}月度升规 {upgrades['count']} 户（{firm_names(upgrades['firms'], limit=6)}）"


def listing_event_sentence(firm: dict[str, Any]) -> str | None:
    exchange = EXCHANGES.get(firm.get("board", ""), "")
    when = _month(firm["date"])
    stage = firm["stage"]
    if stage == ListingStage.COMMITTEE:
        return f"{firm['name']}于 {when}通过{exchange}上市委会议审核"
    if stage == ListingStage.REGISTRATION_SUBMITTED:
        return f"{firm['name']}于 {when}提交注册"
    if stage == ListingStage.REGISTRATION_EFFECTIVE:
        return f"{firm['name']}于 {when}获中国证监会同意注册"
    if stage == ListingStage.ISSUANCE:
        return f"{firm['name']}于 {when}完成首次公开发行"
    if stage == ListingStage.LISTED:
        return f"{firm['name']}于 {when}在{exchange or '证券交易所'}上市"
    if stage == ListingStage.APPLICATION_ACCEPTED:
        return f"{firm['name']}于 {when}首发上市申请获{exchange or '证券交易所'}受理"
    return None


def listing_sentences(report: dict[str, Any]) -> list[str]:
    buckets = {b["bucket"]: b for b in report["listing"]["buckets"]}
    sentences = []
    for key in ("listed", "approved"):
        for firm in buckets[key]["firms"]:
            sentence = listing_event_sentence(firm)
            if sentence:
                sentences.append(sentence)
    for firm in buckets["in_review"]["firms"]:
        if firm["stage"] == ListingStage.APPLICATION_ACCEPTED:
            sentence = listing_event_sentence(firm)
            if sentence:
                sentences.append(sentence)
    if any(b["count"] for b in buckets.values()):
        counts = "、".join(f"{b['name']} {b['count']} 家" for b in report["listing"]["buckets"])
        sentences.append(f"{report['year']} 年上市进程：{counts}")
    return sentences


def first_sentence(entry: dict[str, Any]) -> str:
    firms = firm_names(entry["firms"])
    if entry["kind"] == "listing_stage":
        did, noun = STAGE_FIRSTS.get(entry["code"], (f"进入{entry['name']}阶段", f"{entry['name']}企业"))
        return f"{firms}{did}，实现{entry['where']}{noun}{ZERO_TO_ONE}"
    level = LEVELS.get(entry["firms"][0].get("level", ""), "") if entry["firms"] else ""
    return f"{firms}通过{level}{entry['name']}认定，实现{entry['where']}{entry['name']}{ZERO_TO_ONE}"


@dataclass(frozen=True)
class Paragraph:
    heading: str
    text: str


def paragraphs(report: dict[str, Any]) -> list[Paragraph]:
    """The highlight paragraphs (亮点一, 亮点二 …), empty ones left out."""
    year = report["year"]
    shown = [line for line in report["lines"] if line["opening"] or line["closing"]]
    bodies: list[tuple[str, list[str]]] = [
        ("梯度培育", [line_sentence(line, year) for line in shown if line["headline"]]),
        ("产业发展", [tag_group_sentence(group) for group in report["tag_groups"]]),
        ("规上培育", [s for s in [monthly_sentence(report)] if s]),
        ("上市培育", listing_sentences(report)),
        ("从'0'到'1'", [first_sentence(entry) for entry in report["firsts"]]),
        ("其他梯度培育企业", [line_sentence(line, year) for line in shown if not line["headline"]]),
    ]
    found: list[Paragraph] = []
    for topic, sentences in bodies:
        if sentences:
            number = NUMERALS[len(found)] if len(found) < len(NUMERALS) else str(len(found) + 1)
            found.append(Paragraph(f"亮点{number}　{topic}", "；".join(sentences) + "。"))
    return found


def title(report: dict[str, Any]) -> str:
    return f"{report['scope']['label']}{report['year']}年企业培育亮点"


def status_line(report: dict[str, Any], published: dict[str, Any] | None) -> str:
    moment = parse_datetime(report["computed_at"])
    computed = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else report["computed_at"]
    as_of = dt.date.fromisoformat(report["as_of"])
    state = (
        f"已发布（第 {published['version']} 版，{published['published_at'][:10]}）" if published else "实时计算，未发布"
    )
    return f"数据截至 {as_of.year} 年 {as_of.month} 月 {as_of.day} 日；计算时间 {computed}；{state}"


DEFINITIONS = (
    "口径说明：年末 = 当年 12 月 31 日持有有效证书且在园的企业（撤销日及以后不再计入）；年初 = 上年年末；"
    "新增 = 年末在册、年初不在册、且年末所持证书发证日期在当年的企业；迁入 = 年末在册、年初不在册的其余企业；"
    "重新认定 = 年初、年末均在册且年末所持证书发证日期在当年的企业；年初在册而年末不在册的企业按迁出园区、撤销、"
    "到期未续依次归类，每家只计一次；年末 = 年初 + 新增 + 迁入 − 到期未续 − 撤销 − 迁出园区；"
    "增速 = (年末 − 年初) / 年初，保留两位小数。同一口径含多个项目时按企业去重计数。"
)
