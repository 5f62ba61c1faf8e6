"""Demo listing pipeline, on top of the demo park (`apps.registry.demo`).

威马农机 passed the ChiNext listing committee in September 2022 and nothing is recorded after that,
as the park's 2022 highlights tell it ("2023 年有望成为江津区本土培育的第一家上市企业"). A few
generated firms sit at earlier stages so every bucket of 2022 except 新增上市 has firms, and one
firm withdrew and started again. Days of the month are illustrative, not taken from announcements.

Idempotent: a firm that already has listing events is left as it is, so running it again (or
after staff edited the records) changes nothing. Events are written through the service, so the
demo obeys the same stage-order rules as staff do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from apps.accounts.models import User
from apps.core import audit
from apps.listing import services
from apps.listing.models import Board, CommitteeOutcome, ListingEvent, PoolLevel
from apps.listing.models import ListingStage as S
from apps.registry.demo import NAMED_FIRMS, firm_specs
from apps.registry.models import Firm

WEIMA = "威马农机股份有限公司"
WEIMA_SPONSOR = "长江证券承销保荐有限公司"

Event = dict[str, Any]


def _weima() -> list[Event]:
    chinext = {"board": Board.CHINEXT, "sponsor": WEIMA_SPONSOR}
    return [
        {
            "stage": S.POOL,
            "date": dt.date(2019, 3, 28),
            "pool_level": PoolLevel.MUNICIPAL,
            "note": "列入重庆市拟上市企业后备库",
        },
        {"stage": S.JOINT_STOCK, "date": dt.date(2019, 6, 18), "note": "整体变更为股份有限公司"},
        {
            "stage": S.TUTORING_FILED,
            "date": dt.date(2020, 5, 12),
            "sponsor": WEIMA_SPONSOR,
            "note": "向重庆证监局辅导备案",
        },
        {"stage": S.TUTORING_ACCEPTED, "date": dt.date(2021, 6, 8), "sponsor": WEIMA_SPONSOR},
        {"stage": S.APPLICATION_ACCEPTED, "date": dt.date(2021, 6, 28), **chinext, "note": "深交所受理创业板首发申请"},
        {"stage": S.INQUIRY, "date": dt.date(2021, 7, 23), **chinext, "note": "首轮审核问询"},
        {"stage": S.INQUIRY, "date": dt.date(2022, 3, 16), **chinext, "note": "第二轮审核问询"},
        {
            "stage": S.COMMITTEE,
            "date": dt.date(2022, 9, 8),
            **chinext,
            "outcome": CommitteeOutcome.PASSED,
            "note": "通过深圳证券交易所创业板上市委会议审核",
        },
    ]


# By position among the generated manufacturing firms of 珞璜工业园 (see `demo_firm_names`).
_OTHERS: list[list[Event]] = [
    [  # in the pool, promoted from the district pool to the municipal one
        {"stage": S.POOL, "date": dt.date(2021, 4, 20), "pool_level": PoolLevel.DISTRICT},
        {"stage": S.POOL, "date": dt.date(2022, 5, 26), "pool_level": PoolLevel.MUNICIPAL},
    ],
    [  # tutoring filed in 2022
        {"stage": S.POOL, "date": dt.date(2020, 6, 15), "pool_level": PoolLevel.MUNICIPAL},
        {"stage": S.TUTORING_FILED, "date": dt.date(2022, 3, 18), "sponsor": "西南证券股份有限公司"},
    ],
    [  # tutoring filed late in 2022
        {"stage": S.POOL, "date": dt.date(2021, 8, 10), "pool_level": PoolLevel.DISTRICT},
        {"stage": S.TUTORING_FILED, "date": dt.date(2022, 11, 8), "sponsor": "华西证券股份有限公司"},
    ],
    [  # withdrew its main-board application in 2021, back in the district pool in 2023
        {"stage": S.POOL, "date": dt.date(2019, 5, 10), "pool_level": PoolLevel.MUNICIPAL},
        {"stage": S.TUTORING_FILED, "date": dt.date(2019, 12, 5), "sponsor": "国泰君安证券股份有限公司"},
        {"stage": S.TUTORING_ACCEPTED, "date": dt.date(2020, 6, 30), "sponsor": "国泰君安证券股份有限公司"},
        {"stage": S.APPLICATION_ACCEPTED, "date": dt.date(2020, 12, 28), "board": Board.MAIN},
        {"stage": S.INQUIRY, "date": dt.date(2021, 1, 25), "board": Board.MAIN},
        {"stage": S.WITHDRAWN, "date": dt.date(2021, 8, 16), "board": Board.MAIN, "note": "主动撤回申请文件"},
        {"stage": S.POOL, "date": dt.date(2023, 4, 12), "pool_level": PoolLevel.DISTRICT, "note": "重新入库"},
    ],
    [  # queued at the Beijing Stock Exchange at the end of 2022
        {"stage": S.POOL, "date": dt.date(2019, 9, 16), "pool_level": PoolLevel.MUNICIPAL},
        {"stage": S.TUTORING_FILED, "date": dt.date(2020, 10, 15), "sponsor": "申万宏源证券承销保荐有限责任公司"},
        {"stage": S.TUTORING_ACCEPTED, "date": dt.date(2021, 9, 27)},
        {"stage": S.APPLICATION_ACCEPTED, "date": dt.date(2022, 6, 24), "board": Board.BSE},
        {"stage": S.INQUIRY, "date": dt.date(2022, 7, 20), "board": Board.BSE},
    ],
]


def demo_firm_names() -> list[str]:
    """The generated firms that get pipeline events: the first manufacturing firms of 珞璜工业园
    registered by 2016 that never leave the park, in the registry demo's own (fixed) order."""
    named = {spec["name"] for spec in NAMED_FIRMS}
    picked = [
        spec["name"]
        for spec in firm_specs()
        if spec["name"] not in named
        and spec["zone"] == "luohuang-park"
        and spec["industry"].startswith("C")
        and spec["since"] <= 2016
        and not spec.get("left")
    ]
    return picked[: len(_OTHERS)]


@transaction.atomic
def seed_listing() -> dict[str, int]:
    plan: list[tuple[str, list[Event]]] = [(WEIMA, _weima()), *zip(demo_firm_names(), _OTHERS, strict=False)]
    firms = {f.name: f for f in Firm.objects.filter(name__in=[name for name, _ in plan])}
    recorder = User.objects.filter(username="staff").first()
    created = 0
    with audit.change_context(source="command", reason="演示数据 demo data"):
        for name, events in plan:
            firm = firms.get(name)
            if firm is None or ListingEvent.objects.filter(firm=firm).exists():
                continue
            for event in events:
                services.listing_event_create(firm=firm, recorded_by=recorder, **event)
                created += 1
    return {"events": ListingEvent.objects.count(), "created": created}
