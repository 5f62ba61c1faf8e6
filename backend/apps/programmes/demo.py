"""Demo certifications for the demo park, consistent with the park's 2022 highlights.

The highlights (/work/shared/seed/park-2022-highlights.txt, SPEC §5) the data reproduces:
- HNTE 高企: 98 firms valid and in the park on 31 Dec 2021, 22 new in 2022, none lost in 2022,
  so 120 on 31 Dec 2022 (growth 22.45 %). Certificates from 2019 expire in 2022 and are renewed in
  2022 (renewed, not lapsed); those from 2018 were renewed in 2021.
- 重庆金睿诚科技有限公司 is the first HNTE ever in 综保区 (certificate of 12 Oct 2022; no 综保区 firm
  held HNTE before 2022), so 综保区 goes "从 0 到 1".
- 专精特新 (SRDI ∪ LITTLE_GIANT, distinct firms): 11 on 31 Dec 2021, 42 new in 2022, 53 on 31 Dec 2022.
- ABOVE_SIZE: 3 monthly entries (月度入库) in 2022 — 金田铜业, 露珠生物, 顾家家居 — beside annual
  entries and a stock. With the registry's tags, 26 战略性新兴产业 and 16 数字经济 manufacturers
  (section C) are above-size on 31 Dec 2022, as the highlights say.
- The firm that left the park in Aug 2022 holds an HNTE and an SRDI dated 2022 and an older
  ABOVE_SIZE: counting without the in_park(f, d) rule would give 121 / 23 and 54 / 43.

The demo park has only 112 firms outside 综保区, and 98 + 22 HNTE firms are needed on 31 Dec 2022
while no 综保区 firm may hold HNTE before 2022. So the 2022 newcomers are the remaining non-综保区
firms plus 综保区 firms certified after 金睿诚 (which stays the first). If the registry demo grows,
fewer 综保区 firms are used.

Idempotent: records are upserted by firm + programme + certificate number, through the services,
so running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from apps.core import audit
from apps.programmes import services
from apps.programmes.models import Certification, EntryRoute, Programme
from apps.registry.demo import firm_specs
from apps.registry.models import Firm

D = dt.date
ZONGBAO = "zongbao"
JINRUICHENG = "重庆金睿诚科技有限公司"
WEIMA = "威马农机股份有限公司"
JINTIAN = "重庆金田铜业有限公司"
LUZHU = "重庆露珠生物科技有限公司"
GUJIA = "顾家家居（重庆）有限公司"

# HNTE batches (certificate dates) by year.
HNTE_2018, HNTE_2019, HNTE_2020 = D(2018, 11, 28), D(2019, 12, 2), D(2020, 10, 9)
HNTE_2021, HNTE_2022A, HNTE_2022B = D(2021, 11, 12), D(2022, 10, 12), D(2022, 11, 28)
HNTE_2023, HNTE_2024, HNTE_2025 = D(2023, 12, 20), D(2024, 10, 29), D(2025, 11, 5)


@dataclass
class Spec:
    firm: int  # index into registry.demo.firm_specs()
    programme: str
    number: str
    date: dt.date
    level: str = ""
    batch: str = ""
    route: str = ""
    renews: str | None = None  # number of the predecessor (same programme)
    revoked: tuple[dt.date, str] | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class _Plan:
    def __init__(self) -> None:
        self.specs: list[Spec] = []

    def add(self, firm: int, programme: str, number: str, date: dt.date, **kwargs: Any) -> str:
        self.specs.append(Spec(firm=firm, programme=programme, number=number, date=date, **kwargs))
        return number

    def chain(self, firm: int, programme: str, dates: list[dt.date], number: Any, **kwargs: Any) -> list[str]:
        """Consecutive awards, each renewing the one before."""
        numbers: list[str] = []
        for date in dates:
            numbers.append(
                self.add(firm, programme, number(date), date, renews=numbers[-1] if numbers else None, **kwargs)
            )
        return numbers


def _hnte_no(idx: int, date: dt.date) -> str:
    return f"GR{date.year}51{100000 + idx * 10 + date.month % 10:06d}"


def _batch(date: dt.date, what: str = "认定") -> str:
    return f"{date.year}年第{1 if date.month <= 10 else 2}批{what}"


def plan() -> list[Spec]:
    """Every demo certification, predecessors before successors. The same on every run."""
    specs = firm_specs()
    rng = random.Random(2022)
    index = {spec["name"]: i for i, spec in enumerate(specs)}
    left = {i: spec["left"][0] for i, spec in enumerate(specs) if spec.get("left")}

    def in_park_both(i: int) -> bool:  # in the park on 31 Dec 2021 and on 31 Dec 2022
        return specs[i]["entered_park_on"] <= D(2021, 12, 31) and (i not in left or left[i] > D(2022, 12, 31))

    left_2022 = [i for i, day in left.items() if day.year == 2022]
    zongbao = [i for i, s in enumerate(specs) if s["zone"] == ZONGBAO and in_park_both(i)]
    outside = [i for i, s in enumerate(specs) if s["zone"] != ZONGBAO and in_park_both(i)]
    weima, jinruicheng = index[WEIMA], index[JINRUICHENG]
    p = _Plan()

    # ---------------------------------------------------------------- HNTE
    pool = [weima, *sorted((i for i in outside if i != weima), key=lambda _: rng.random())]
    group_a, group_b, group_c, group_d = pool[0:30], pool[30:55], pool[55:80], pool[80:98]
    new_outside = pool[98:119]
    needed_zongbao = 22 - 1 - len(new_outside)
    other_zongbao = [i for i in zongbao if i != jinruicheng]
    rng.shuffle(other_zongbao)
    new_zongbao = other_zongbao[:needed_zongbao]
    later_zongbao = other_zongbao[needed_zongbao : needed_zongbao + 2]

    def hnte(i: int, dates: list[dt.date], *, revoke: tuple[dt.date, str] | None = None) -> None:
        numbers = p.chain(i, "HNTE", dates, lambda d: _hnte_no(i, d), level="national")
        for spec in p.specs[-len(numbers) :]:
            spec.batch = _batch(spec.date)
        if revoke:
            p.specs[-1].revoked = revoke

    for n, i in enumerate(group_a):  # 2019 → renewed 2022 (before the old one ran out) → most again in 2025
        hnte(i, [HNTE_2019, HNTE_2022B] + ([HNTE_2025] if n % 5 else []))
    for n, i in enumerate(group_b):  # 2020 → most re-recognised at the end of 2023
        if n == 3:
            hnte(i, [HNTE_2020], revoke=(D(2023, 6, 15), "连续两年未按期报送年度发展情况报表，取消高新技术企业资格"))
        else:
            hnte(i, [HNTE_2020] + ([HNTE_2023] if n % 5 else []))
    for n, i in enumerate(group_c):  # 2018 → renewed 2021 → most again in 2024
        hnte(i, [HNTE_2018, HNTE_2021] + ([HNTE_2024] if n % 5 else []))
    for n, i in enumerate(group_d):  # first in 2021 → most renewed 2024
        hnte(i, [HNTE_2021] + ([HNTE_2024] if n % 4 else []))
    for n, i in enumerate(new_outside):  # first in 2022 (a few had one that lapsed or was revoked earlier)
        if n in (0, 1):
            hnte(i, [HNTE_2018])  # lapsed 27 Nov 2021: not renewed in time
        if n == 2:
            hnte(i, [HNTE_2018], revoke=(D(2020, 5, 20), "申报材料弄虚作假，撤销资格"))
        hnte(i, [HNTE_2022B] + ([HNTE_2025] if n % 4 else []))
    hnte(jinruicheng, [HNTE_2022A, D(2025, 9, 30)])
    for i in new_zongbao:
        hnte(i, [HNTE_2022B, HNTE_2025])
    for i in later_zongbao:
        hnte(i, [HNTE_2023])
    for i in left_2022:  # certified after moving out: outside the park, counts nowhere
        hnte(i, [HNTE_2022B])

    # ---------------------------------------------------------------- 专精特新 (SRDI ∪ LITTLE_GIANT)
    srdi_pool = [i for i in range(len(specs)) if in_park_both(i) and i != weima]
    srdi_pool = sorted(srdi_pool, key=lambda _: rng.random())
    srdi_open, srdi_new, srdi_2023 = [weima, *srdi_pool[:10]], srdi_pool[10:52], srdi_pool[52:62]

    def srdi_no(i: int, d: dt.date) -> str:
        return f"CQZJTX{d.year}{i:04d}"

    def srdi(i: int, dates: list[dt.date]) -> None:
        p.chain(i, "SRDI", dates, lambda d: srdi_no(i, d), level="municipal")
        for n, spec in enumerate(p.specs[-len(dates) :]):
            spec.batch = f"{spec.date.year}年重庆市专精特新中小企业" + ("复核" if n else "认定")
            spec.route = EntryRoute.REVIEW if n else ""

    srdi(srdi_open[1], [D(2019, 8, 20), D(2022, 8, 1)])  # re-reviewed before expiry in 2022
    for n, i in enumerate(srdi_open[2:6]):
        srdi(i, [D(2020, 9, 15)] + ([D(2023, 9, 1)] if n else []))
    for n, i in enumerate(srdi_open[6:11]):
        srdi(i, [D(2021, 7, 30), D(2024, 7, 15)] if n else [D(2021, 7, 30)])
    srdi(weima, [D(2020, 9, 15), D(2023, 9, 1)])
    for n, i in enumerate(srdi_new):
        first = D(2022, 6, 28) if n < 20 else D(2022, 12, 20)
        srdi(i, [first] + ([D(first.year + 3, first.month, first.day - 8)] if n % 6 else []))
    for i in srdi_2023:
        srdi(i, [D(2023, 12, 15)])
    for i in left_2022:
        srdi(i, [D(2022, 6, 28)])

    def giant(i: int, dates: list[dt.date]) -> None:
        p.chain(i, "LITTLE_GIANT", dates, lambda d: f"XJR{d.year}{i:04d}", level="national")
        for n, spec in enumerate(p.specs[-len(dates) :]):
            spec.batch = f"第{dates[0].year - 2018}批国家级专精特新“小巨人”" + ("复核" if n else "")
            spec.route = EntryRoute.REVIEW if n else ""

    giant(weima, [D(2021, 7, 19), D(2024, 7, 10)])
    for i in [srdi_open[3], srdi_open[7], srdi_new[0], srdi_new[1]]:
        giant(i, [D(2022, 8, 22)])

    # ---------------------------------------------------------------- ISME (from June 2022)
    isme_pool = sorted((i for i in range(len(specs)) if in_park_both(i)), key=lambda _: rng.random())
    for n, i in enumerate(isme_pool[:25]):
        dates = [D(2022, 12, 20)] + ([D(2025, 12, 10)] if n % 5 else [])
        p.chain(
            i, "ISME", dates, lambda d, i=i: f"CQCX{d.year}{i:04d}", level="municipal", batch="重庆市创新型中小企业"
        )
    for i in isme_pool[25:40]:
        p.add(i, "ISME", f"CQCX2023{i:04d}", D(2023, 11, 30), level="municipal", batch="重庆市创新型中小企业")

    # ---------------------------------------------------------------- TSME (calendar-year registrations)
    tsme_pool = sorted((i for i in range(len(specs)) if i not in left), key=lambda _: rng.random())[:45]

    def tsme(i: int, years: list[int]) -> None:
        dates = [D(y, 4 + i % 5, 10 + i % 18) for y in years]
        p.chain(i, "TSME", dates, lambda d: f"{d.year}500116A{i:05d}", level="national", batch="科技型中小企业入库登记")

    for n, i in enumerate(tsme_pool):
        if n == 7:  # number withdrawn in Sept 2022; registered afresh in 2023
            tsme(i, [2021, 2022])
            p.specs[-1].revoked = (D(2022, 9, 30), "抽查发现评价信息不实，撤销入库登记编号")
            tsme(i, [2023])
            continue
        start = 2019 + n % 5
        tsme(i, list(range(start, min(2025, start + (n * 3) % 5) + 1)))

    # ---------------------------------------------------------------- ABOVE_SIZE (四上)
    def tagged(i: int, tag: str) -> bool:
        return tag in specs[i]["tags"] and specs[i]["industry"].startswith("C")

    def above(i: int, date: dt.date, route: str, *, removed: tuple[dt.date, str] | None = None) -> None:
        kind = "月度" if route == EntryRoute.MONTHLY else "年度"
        batch = f"{date.year}年{date.month}月{kind}入库" if route == EntryRoute.MONTHLY else f"{date.year}年{kind}入库"
        p.add(
            i,
            "ABOVE_SIZE",
            f"TJRK{date.year}{i:04d}",
            date,
            level="statistical",
            batch=batch,
            route=route,
            revoked=removed,
        )

    monthly = {index[JINTIAN]: D(2022, 9, 30), index[LUZHU]: D(2022, 6, 30), index[GUJIA]: D(2022, 11, 30)}
    for i, day in monthly.items():
        above(i, day, EntryRoute.MONTHLY)
    in_park_end_2022 = [
        i
        for i in range(len(specs))
        if specs[i]["entered_park_on"] <= D(2022, 12, 31) and not (i in left and left[i] <= D(2022, 12, 31))
    ]
    sei = [i for i in in_park_end_2022 if tagged(i, "战略性新兴产业") and i not in monthly]
    digital = [i for i in in_park_end_2022 if tagged(i, "数字经济") and i not in monthly and i not in sei]
    digital_held = sum(1 for i in [*sei, *monthly] if tagged(i, "数字经济"))
    digital_more = digital[: max(0, 16 - digital_held)]
    digital_later = digital[len(digital_more) : len(digital_more) + 2]
    plain = [i for i in in_park_end_2022 if not tagged(i, "数字经济") and i not in sei and i not in monthly]
    plain = sorted(plain, key=lambda _: rng.random())
    for n, i in enumerate([*sei, *digital_more]):
        above(i, D(2014 + n % 8, 12, 20), EntryRoute.ANNUAL)
    for i in plain[:2]:  # annual entries of 2022: not monthly, so not 月度升规
        above(i, D(2022, 12, 20), EntryRoute.ANNUAL)
    for n, i in enumerate(plain[2:17]):
        removed = (D(2023, 6, 30), "主营业务收入低于 2000 万元，退库") if n == 4 else None
        above(i, D(2015 + n % 7, 12, 20), EntryRoute.ANNUAL, removed=removed)
    for i in digital_later:
        above(i, D(2023, 12, 20), EntryRoute.ANNUAL)
    for i in left_2022:  # still counted nowhere after it left
        above(i, D(2018, 12, 20), EntryRoute.ANNUAL)

    # ---------------------------------------------------------------- LISTING_RESERVE and GAZELLE
    p.add(weima, "LISTING_RESERVE", "SSHB2020M0001", D(2020, 8, 20), level="municipal", batch="重庆市拟上市企业后备库")
    p.add(weima, "LISTING_RESERVE", "SSHB2021P0001", D(2021, 9, 10), level="priority", batch="市级重点拟上市企业")
    for n, i in enumerate(group_a[1:4]):
        p.add(
            i,
            "LISTING_RESERVE",
            f"SSHB{2021 + n}D{i:04d}",
            D(2021 + n, 5, 18),
            level="district",
            batch="江津区上市后备企业",
        )
    gazelles = group_c[:6]
    for n, i in enumerate(gazelles):
        years = [2023, 2024, 2025][n % 2 : 3]
        p.chain(
            i,
            "GAZELLE",
            [D(y, 3, 20 + y % 7) for y in years],
            lambda d, i=i: f"DL{d.year}{i:04d}",
            level="municipal",
            batch="重庆市瞪羚企业名单",
        )
    return p.specs


@transaction.atomic
def seed_certifications() -> dict[str, int]:
    """Loads the plan. Upsert by firm + programme + number; nothing changes on a second run."""
    names = [spec["name"] for spec in firm_specs()]
    firms = {firm.name: firm for firm in Firm.objects.filter(name__in=names)}
    programmes = {p.code: p for p in Programme.objects.all()}
    existing = {
        (c.firm_id, c.programme_id, c.number): c
        for c in Certification.objects.filter(firm__in=firms.values()).select_related("programme")
    }
    by_number: dict[tuple[str, str], Certification] = {}
    created = 0
    with audit.change_context(source="command", reason="演示数据 demo data"):
        for spec in plan():
            firm, programme = firms[names[spec.firm]], programmes[spec.programme]
            cert = existing.get((firm.pk, programme.pk, spec.number))
            if cert is None:
                predecessor = by_number.get((spec.programme, spec.renews)) if spec.renews else None
                cert = services.certification_create(
                    firm=firm,
                    programme=programme,
                    certificate_date=spec.date,
                    level=spec.level,
                    number=spec.number,
                    batch=spec.batch,
                    entry_route=spec.route,
                    notes=spec.notes,
                    renews=predecessor,
                )
                created += 1
            if spec.revoked and cert.revoked_on is None:
                cert = services.certification_revoke(certification=cert, date=spec.revoked[0], reason=spec.revoked[1])
            by_number[(spec.programme, spec.number)] = cert
    return {"certifications": Certification.objects.count(), "created": created}
