"""The demo park: three zones named after the seed's, real-looking firms with valid codes, one user per role.

Loading is idempotent: firms are upserted by USCC and users by username, so running it again
changes nothing. Later capabilities add their own demo records on top (certifications, figures …).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction

from apps.accounts.models import Role, User
from apps.core import audit
from apps.registry.demo_accounts import DEMO_PASSWORD, DEMO_USERS
from apps.registry.models import Contact, Firm, JournalEntry, LegalForm, Zone
from apps.registry.uscc import make

ZONES = [
    ("zongbao", "综保区", "江津综合保税区"),
    ("luohuang-park", "珞璜工业园", "珞璜工业园区"),
    ("luohuang-town", "珞璜镇", "珞璜镇辖区企业"),
]

# Firms the park's own 2022 highlights name, placed where the story needs them.
NAMED_FIRMS: list[dict[str, Any]] = [
    {"name": "重庆金睿诚科技有限公司", "zone": "zongbao", "industry": "I6513", "tags": ["数字经济"], "since": 2019},
    {
        "name": "威马农机股份有限公司",
        "zone": "luohuang-park",
        "industry": "C3572",
        "tags": ["重点跟踪", "上市培育"],
        "since": 2012,
        "legal_form": LegalForm.JOINT_STOCK,
        "joint_stock": dt.date(2019, 6, 18),
    },
    {
        "name": "重庆金田铜业有限公司",
        "zone": "luohuang-park",
        "industry": "C3251",
        "tags": ["战略性新兴产业"],
        "since": 2021,
    },
    {"name": "玖龙纸业（重庆）有限公司", "zone": "luohuang-park", "industry": "C2221", "tags": [], "since": 2008},
    {
        "name": "顾家家居（重庆）有限公司",
        "zone": "luohuang-park",
        "industry": "C2110",
        "tags": ["数字经济"],
        "since": 2021,
    },
    {
        "name": "杜拉维特（中国）洁具有限公司重庆分公司",
        "zone": "luohuang-park",
        "industry": "C3071",
        "tags": [],
        "since": 2015,
    },
    {
        "name": "重庆露珠生物科技有限公司",
        "zone": "zongbao",
        "industry": "C2682",
        "tags": ["战略性新兴产业"],
        "since": 2021,
    },
    {
        "name": "天津迪普北方汽车贸易有限公司重庆分公司",
        "zone": "zongbao",
        "industry": "F5261",
        "tags": [],
        "since": 2020,
    },
]

BRANDS = list(
    "鑫瑞华恒泰祥盛达宏远博创新锐宇通凯丰德荣铭升龙腾嘉源佳和汇川正信永安金川天策云智海纳众合"
    "康力兴业长江渝津珞璜几江鼎晟卓越华欣聚能立新远航中科天宇汇通明阳"
)
KINDS = [
    ("C3670", "汽车零部件", "有限公司"),
    ("C3399", "金属制品", "有限公司"),
    ("C3912", "电子科技", "有限公司"),
    ("C2929", "塑胶制品", "有限公司"),
    ("C3831", "电线电缆", "有限公司"),
    ("C3062", "复合材料", "有限公司"),
    ("C2231", "包装制品", "有限公司"),
    ("C3422", "精密机械", "有限公司"),
    ("C3311", "钢结构", "工程有限公司"),
    ("C3989", "电子元件", "有限公司"),
    ("C2614", "化工", "有限公司"),
    ("C1391", "食品", "有限公司"),
    ("I6513", "软件科技", "有限公司"),
    ("M7320", "技术研究院", "有限公司"),
    ("G5439", "物流", "有限公司"),
    ("C3572", "农业机械", "有限公司"),
    ("C2110", "家居", "有限公司"),
    ("C3140", "新材料", "有限公司"),
]
TAG_CHOICES = ["数字经济", "战略性新兴产业", "重点跟踪", "外资企业"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚"]

GENERATED_FIRMS = 142
# Jiangjin district's administrative division code, then "MA" (organisation type) as new firms carry.
USCC_PREFIX = "91500116"


def _uscc(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return make(USCC_PREFIX + "MA" + "".join(rng.choice(alphabet) for _ in range(6)))


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def _address(spec: dict[str, Any]) -> str:
    road = "综保大道" if spec["zone"] == "zongbao" else "工业园路"
    return f"重庆市江津区珞璜镇{road}{(len(spec['name']) * 7) % 300 + 1}号"


def firm_specs() -> list[dict[str, Any]]:
    """The demo firms, the same on every run."""
    rng = random.Random(4754)
    specs: list[dict[str, Any]] = []
    for spec in NAMED_FIRMS:
        specs.append({**spec, "uscc": _uscc(rng)})
    zone_cycle = ["luohuang-park", "luohuang-park", "luohuang-town", "zongbao"]
    used = {s["name"] for s in specs}
    while len(specs) < len(NAMED_FIRMS) + GENERATED_FIRMS:
        industry, word, suffix = rng.choice(KINDS)
        name = f"重庆{rng.choice(BRANDS)}{rng.choice(BRANDS)}{word}{suffix}"
        if name in used:
            continue
        used.add(name)
        tags = sorted(set(rng.sample(TAG_CHOICES, rng.choice([0, 0, 1, 1, 2]))))
        specs.append(
            {
                "name": name,
                "zone": zone_cycle[len(specs) % len(zone_cycle)],
                "industry": industry,
                "tags": tags,
                "since": rng.randint(2006, 2021),
                "uscc": _uscc(rng),
            }
        )
    for index, spec in enumerate(specs):
        since = spec["since"]
        spec["registration_date"] = dt.date(since, 1 + index % 12, 1 + index % 27)
        spec["entered_park_on"] = dt.date(since, 1 + index % 12, 1 + index % 27) + dt.timedelta(days=30 + index % 200)
        spec["contact"] = (_person(rng), f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}")
    # Two firms have left the park: one moved out, one deregistered.
    specs[-1]["left"] = (dt.date(2022, 8, 15), "moved_out")
    specs[-2]["left"] = (dt.date(2023, 3, 31), "deregistered")
    return specs


@transaction.atomic
def seed_registry() -> dict[str, int]:
    created = 0
    with audit.change_context(source="command", reason="演示数据 demo data"):
        zones = {}
        for code, name, description in ZONES:
            zones[code], _ = Zone.objects.get_or_create(code=code, defaults={"name": name, "description": description})
        for spec in firm_specs():
            left = spec.get("left")
            defaults = {
                "uscc": spec["uscc"],
                "zone": zones[spec["zone"]],
                "industry_id": spec["industry"],
                "tags": spec["tags"],
                "registration_date": spec["registration_date"],
                "entered_park_on": spec["entered_park_on"],
                "legal_form": spec.get("legal_form", LegalForm.LIMITED),
                "joint_stock_date": spec.get("joint_stock"),
                "left_park_on": left[0] if left else None,
                "exit_kind": left[1] if left else "",
                "address": _address(spec),
            }
            firm, was_created = Firm.objects.get_or_create(name=spec["name"], defaults=defaults)
            if was_created:
                created += 1
                name, phone = spec["contact"]
                Contact.objects.create(firm=firm, name=name, title="企业联络员", phone=phone, is_primary=True)
        users = seed_users(zones)
        staff = users["staff"]
        first = Firm.objects.get(name="威马农机股份有限公司")
        if not JournalEntry.objects.filter(firm=first).exists():
            JournalEntry.objects.create(
                firm=first,
                date=dt.date(2022, 9, 20),
                kind="visit",
                author=staff,
                title="上市委审议通过后走访",
                body="企业已通过创业板上市委审议，协调注册阶段材料。",
            )
        Firm.objects.filter(assigned_staff__isnull=True, zone=zones["zongbao"]).update(assigned_staff=users["staff_zb"])
        Firm.objects.filter(assigned_staff__isnull=True).update(assigned_staff=staff)
    return {"firms": Firm.objects.count(), "created": created}


def seed_users(zones: dict[str, Zone]) -> dict[str, User]:
    users: dict[str, User] = {}
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec["username"]).first()
        if user is None:
            user = User(username=spec["username"], role=spec["role"], display_name=spec["display_name"])
            user.is_staff = spec["role"] == Role.ADMIN
            user.is_superuser = spec["role"] == Role.ADMIN
            user.all_zones = spec["role"] == Role.ADMIN or (spec["role"] != Role.ENTERPRISE and not spec.get("zones"))
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.zones.set([zones[z] for z in spec.get("zones", [])])
            user.firms.set(Firm.objects.filter(name__in=spec.get("firms", [])))
        users[spec["username"]] = user
    return users
