"""Firm-list benchmark (issue 2): `/api/v1/firms/?zone=…&q=…` through the whole Django stack vs. raw psycopg.

    cd backend && DATABASE_URL=postgresql://postgres@127.0.0.1:5432/seedbed \\
        ../.venv/bin/python manage.py bench_firms [--firms 100000] [--requests 200]

It never touches the database DATABASE_URL names: it works in `<name>_bench` on the same server
(created here, marked with a comment, reused when it already holds the requested fill, refused when
it exists, holds tables and was not created by this command). Results go to stdout; docs/benchmarks.md
records a run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections
from django.test.utils import CaptureQueriesContext
from psycopg import sql
from rest_framework.test import APIClient

from apps.registry.uscc import make

MARKER = "seedbed bench_firms"
FIRM_TABLE_TRIGGER = "registry_firm_audit"

# Names: [region] + trade name (字号, 2–3 characters) + line of business + legal form, as firms are named.
REGIONS = ("重庆", "重庆", "重庆", "重庆市", "江津", "重庆江津", "四川", "成都", "贵州", "")
BRAND_CHARS = (
    "鑫瑞华恒泰祥盛达宏远博创锐宇通凯丰德荣铭升龙腾嘉源佳和汇川正信永安金天策云智海纳众合康力兴业长江渝津"
    "珞璜鼎晟卓越欣聚立航明阳光辉耀星辰晨曦春秋东南西北山河湖溪林森玉珠宝福禄喜乐美雅静清风雪霜虹霞彩锦"
    "绣丹青蓝紫银铜钢锋利盾甲乙丙丁伟杰豪俊英威武强胜骏驰飞翔鹏鹰燕凤麒麟虎豹狮象泓澜峰岭朗润璟琪瀚"
)
WORDS = (
    "科技",
    "电子科技",
    "机械制造",
    "汽车零部件",
    "新材料",
    "物流",
    "食品",
    "建材",
    "包装制品",
    "化工",
    "医药",
    "环保科技",
    "农业开发",
    "商贸",
    "信息技术",
    "建筑工程",
    "网络科技",
    "生物科技",
    "精密机械",
    "五金制品",
    "塑胶制品",
    "电线电缆",
    "家居",
    "纸业",
    "铜业",
    "钢结构",
    "农机",
    "智能装备",
    "能源",
    "光电",
    "复合材料",
    "金属制品",
    "模具",
    "仪器仪表",
    "实业",
    "贸易",
    "供应链管理",
    "餐饮管理",
    "物业管理",
    "人力资源",
    "广告传媒",
    "文化传播",
    "教育咨询",
    "检测技术",
    "软件开发",
    "数据服务",
    "新能源",
    "动力电池",
    "半导体",
    "照明电器",
)
FORMS = (
    ("有限公司", "limited", 70),
    ("有限责任公司", "limited", 14),
    ("股份有限公司", "joint_stock", 10),
    ("有限公司江津分公司", "other", 6),
)
# Districts' administrative division codes, for the USCC's 3rd–8th characters.
AREAS = ("500116", "500116", "500116", "500000", "500105", "500112", "510100", "520100")
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静强磊军洋勇艳杰涛明超霞平刚"
STREETS = ("工业园路", "综保大道", "珞璜大道", "滨江路", "鼎山大道", "几江路")
TAGS = ("数字经济", "战略性新兴产业", "重点跟踪", "外资企业", "上市培育")
ZONE_SHARE = (0.45, 0.35, 0.20)

COLUMNS = (
    "uscc", "name", "registration_date", "legal_form", "joint_stock_date", "industry_id", "zone_id",
    "entered_park_on", "left_park_on", "exit_kind", "exit_note", "tags", "address", "legal_representative",
    "assigned_staff_id", "notes", "created_at", "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class Anchor:
    """A firm in the measured zone whose name and code give the search terms."""

    brand: str
    word: str
    uscc: str


@dataclass
class Timing:
    label: str
    samples: list[float]

    def pct(self, p: float) -> float:
        """Nearest-rank percentile."""
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return self.pct(95)

    @property
    def max(self) -> float:
        return max(self.samples)


def bench_name(name: str) -> str:
    return name if name.endswith("_bench") else f"{name}_bench"


def firm_rows(
    n: int, seed: int, zone_ids: Sequence[int], industries: Sequence[str], staff_id: int
) -> Iterator[tuple[tuple[Any, ...], Anchor | None]]:
    """Deterministic rows for COPY, each with the search anchor it offers (firms of the first zone only)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    now = dt.datetime.now(dt.UTC)
    forms = [f for f in FORMS for _ in range(f[2])]
    for _ in range(n):
        while True:
            org = (
                "MA" + "".join(rng.choices(USCC_ALPHABET, k=6))
                if rng.random() < 0.85
                else f"{rng.randrange(10**8):08d}"
            )
            code = make("91" + rng.choice(AREAS) + org)
            if code not in seen:
                seen.add(code)
                break
        brand = "".join(rng.choices(BRAND_CHARS, k=2 if rng.random() < 0.8 else 3))
        word = rng.choice(WORDS)
        suffix, legal_form, _ = rng.choice(forms)
        region = rng.choice(REGIONS)
        name = (
            f"{brand}{word}（{region}）{suffix}" if region and rng.random() < 0.1 else f"{region}{brand}{word}{suffix}"
        )
        roll = rng.random()
        zone = (
            zone_ids[0]
            if roll < ZONE_SHARE[0]
            else zone_ids[1]
            if roll < ZONE_SHARE[0] + ZONE_SHARE[1]
            else zone_ids[2]
        )
        registered = dt.date(1995, 1, 1) + dt.timedelta(days=rng.randrange(30 * 365))
        entered = registered + dt.timedelta(days=rng.randrange(30, 2000))
        left = entered + dt.timedelta(days=rng.randrange(100, 3000)) if rng.random() < 0.05 else None
        joint_stock = registered + dt.timedelta(days=rng.randrange(365, 3000)) if legal_form == "joint_stock" else None
        tags = sorted(set(rng.sample(TAGS, rng.choice((0, 0, 0, 1, 1, 2)))))
        row = (
            code, name, registered, legal_form, joint_stock, rng.choice(industries), zone,
            entered, left, "moved_out" if left else "", "", tags,
            f"重庆市江津区{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
            staff_id if rng.random() < 0.3 else None, "", now, now,
        )  # fmt: skip
        yield row, Anchor(brand[:2], word, code) if zone == zone_ids[0] else None


class Command(BaseCommand):
    help = "Benchmarks the firm list (GET /api/v1/firms/?zone=…&q=…) in its own <name>_bench database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firms", type=int, default=100_000, help="Firms in the benchmark database.")
        parser.add_argument("--requests", type=int, default=200, help="Measured requests (and raw query runs).")
        parser.add_argument("--warmup", type=int, default=20, help="Unmeasured requests first.")
        parser.add_argument("--page-size", type=int, default=50)
        parser.add_argument("--seed", type=int, default=4754)
        parser.add_argument("--refill", action="store_true", help="Drop and refill the benchmark database.")
        parser.add_argument("--drop", action="store_true", help="Drop the benchmark database when done.")

    # ---- database -------------------------------------------------------------------------------

    def _server(self, dbname: str) -> psycopg.Connection[Any]:
        db = settings.DATABASES["default"]
        return psycopg.connect(
            dbname=dbname, user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"] or None,
            port=db["PORT"] or None, autocommit=True, connect_timeout=10,
        )  # fmt: skip

    def _maintenance(self) -> psycopg.Connection[Any]:
        try:
            return self._server("postgres")
        except psycopg.OperationalError:
            return self._server("template1")

    def _prepare_database(self, name: str, filled: str, refill: bool) -> bool:
        """Creates or checks the benchmark database. True when it already holds the requested fill."""
        with self._maintenance() as admin:
            row = admin.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if row is not None:
                comment = row[0] or ""
                if not comment.startswith(MARKER):
                    with self._server(name) as conn:
                        tables = conn.execute(
                            "SELECT count(*) FROM pg_tables"
                            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                        ).fetchone()
                    if tables and tables[0]:
                        raise CommandError(
                            f"Database {name} exists, holds {tables[0]} tables and was not created by bench_firms: "
                            "refusing to touch it."
                        )
                    self.stdout.write(f"database {name}: exists and is empty; taking it over")
                    admin.execute(
                        sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(MARKER))
                    )
                    return False
                if comment == filled and not refill:
                    self.stdout.write(f"database {name}: reusing ({comment})")
                    return True
                self.stdout.write(f"database {name}: dropping ({comment or 'no fill'})")
                admin.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(MARKER)))
            self.stdout.write(f"database {name}: created")
        return False

    def _switch_to(self, name: str) -> None:
        connections.close_all()
        settings.DATABASES["default"]["NAME"] = name
        connections["default"].settings_dict["NAME"] = name

    def _fill(self, n: int, seed: int, staff_id: int) -> Anchor:
        from apps.registry.demo import ZONES
        from apps.registry.models import Industry, Zone

        zone_ids = [
            Zone.objects.get_or_create(code=c, defaults={"name": nm, "description": d})[0].pk for c, nm, d in ZONES
        ]
        industries = sorted(Industry.objects.filter(level=4).values_list("code", flat=True))
        anchors: list[Anchor] = []
        started = time.perf_counter()
        db = settings.DATABASES["default"]
        with self._server(db["NAME"]) as conn:
            conn.autocommit = False
            with conn.cursor() as cur:
                self.stdout.write(
                    f"fill: ALTER TABLE registry_firm DISABLE TRIGGER {FIRM_TABLE_TRIGGER} for the fill, inside the "
                    "fill's transaction (no change-history rows for generated firms: the benchmark measures reads)"
                )
                # One transaction: if anything fails, the rollback restores the trigger with the rest.
                cur.execute(f"ALTER TABLE registry_firm DISABLE TRIGGER {FIRM_TABLE_TRIGGER}")
                copy_sql = f"COPY registry_firm ({', '.join(COLUMNS)}) FROM STDIN"
                with cur.copy(copy_sql) as copy:
                    for row, anchor in firm_rows(n, seed, zone_ids, industries, staff_id):
                        copy.write_row(row)
                        if anchor is not None:
                            anchors.append(anchor)
                # The foreign keys are deferred; check them now, or the trigger cannot be re-enabled.
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute(f"ALTER TABLE registry_firm ENABLE TRIGGER {FIRM_TABLE_TRIGGER}")
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")  # the whole database: the industry table too
        self.stdout.write(
            f"fill: {n} firms by COPY in {time.perf_counter() - started:.1f} s; trigger re-enabled; VACUUM ANALYZE done"
        )
        return anchors[len(anchors) // 2]

    def _anchor(self, n: int, seed: int, staff_id: int) -> Anchor:
        """The same anchor the fill picked, recomputed without writing (the rows are deterministic)."""
        from apps.registry.demo import ZONES
        from apps.registry.models import Industry, Zone

        zone_ids = [Zone.objects.get(code=c).pk for c, _, _ in ZONES]
        industries = sorted(Industry.objects.filter(level=4).values_list("code", flat=True))
        anchors = [a for _, a in firm_rows(n, seed, zone_ids, industries, staff_id) if a is not None]
        return anchors[len(anchors) // 2]

    # ---- measuring --------------------------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        n, seed = options["firms"], options["seed"]
        original = settings.DATABASES["default"]["NAME"]
        name = bench_name(original)
        filled = f"{MARKER}: n={n} seed={seed}"
        reuse = self._prepare_database(name, filled, options["refill"])
        try:
            self._switch_to(name)
            call_command("migrate", verbosity=0, interactive=False)
            staff, key = self._staff_user()
            if reuse:
                anchor = self._anchor(n, seed, staff.pk)
                with self._server(name) as conn:
                    conn.execute("ANALYZE")  # statistics as a migration just set them (the search grams' target)
            else:
                anchor = self._fill(n, seed, staff.pk)
                with self._maintenance() as admin:
                    admin.execute(
                        sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(filled))
                    )
            self._run(anchor, key, options)
        finally:
            connections.close_all()
            if options["drop"]:
                with self._maintenance() as admin:
                    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
                self.stdout.write(f"database {name}: dropped")

    def _staff_user(self) -> tuple[Any, str]:
        from django.utils import timezone

        from apps.accounts.models import ApiToken, Role, User
        from apps.accounts.services import api_token_create

        staff, created = User.objects.get_or_create(
            username="bench_staff", defaults={"role": Role.STAFF, "display_name": "基准测试"}
        )
        if created:
            staff.set_unusable_password()
            staff.save()
        ApiToken.objects.filter(user=staff, revoked_at__isnull=True).update(revoked_at=timezone.now())
        _, key = api_token_create(user=staff, name="bench_firms")
        return staff, key

    @staticmethod
    def _load() -> str:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())

    def _run(self, anchor: Anchor, key: str, options: dict[str, Any]) -> None:
        from apps.registry.demo import ZONES
        from apps.registry.models import Firm, Zone

        zone = Zone.objects.get(code=ZONES[0][0])  # the largest zone; the anchor firm is in it
        page_size, requests, warmup = options["page_size"], options["requests"], options["warmup"]
        terms = [
            ("2-char, trade name", anchor.brand),
            ("2-char, common word", "科技"),
            ("3-char, common word", "新材料"),
            ("4-char, name + word", anchor.brand + anchor.word[:2]),
            ("USCC part, 6 chars", anchor.uscc[8:14]),
        ]
        client = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="zh-hans")

        def get(q: str, size: int) -> dict[str, Any]:
            close_old_connections()  # what the WSGI handler does around every request (the test client skips it)
            response = client.get("/api/v1/firms/", {"zone": str(zone.pk), "q": q, "page_size": str(size)})
            if response.status_code != 200:
                raise CommandError(
                    f"GET /api/v1/firms/?q={q} answered {response.status_code}: {response.content[:300]!r}"
                )
            body: dict[str, Any] = json.loads(response.content)
            return body

        total = Firm.objects.count()
        in_zone = Firm.objects.filter(zone=zone).count()
        self.stdout.write("")
        self.stdout.write(f"firms: {total}; zone {zone.pk} ({zone.name}) holds {in_zone}; page_size={page_size}")
        self.stdout.write(
            "authenticated as staff user bench_staff (every zone) with an API token (Authorization: Bearer)"
        )
        self.stdout.write(f"machine: {os.cpu_count()} CPUs; load average before: {self._load()}")

        # The SQL each request sends: COUNT and page query, captured once per term, later re-run through psycopg.
        statements: dict[str, tuple[str, str]] = {}
        self.stdout.write("")
        self.stdout.write(f"{'term':<22} {'q':<10} {'matches':>8}")
        for label, q in terms:
            get(q, page_size)
            with CaptureQueriesContext(connections["default"]) as captured:
                body = get(q, page_size)
            firm_sql = [c["sql"] for c in captured.captured_queries if 'FROM "registry_firm"' in c["sql"]]
            count_sql = next(s for s in firm_sql if s.startswith("SELECT COUNT(*)"))
            page_sql = next(s for s in firm_sql if " LIMIT " in s)
            statements[q] = (count_sql, page_sql)
            self.stdout.write(f"{label:<22} {q:<10} {body['count']:>8}")

        for i in range(warmup):
            get(terms[i % len(terms)][1], page_size)
        per_term: dict[str, list[float]] = {q: [] for _, q in terms}
        for i in range(requests):
            q = terms[i % len(terms)][1]
            started = time.perf_counter()
            get(q, page_size)
            per_term[q].append((time.perf_counter() - started) * 1000)
        django_all = Timing("Django", [t for samples in per_term.values() for t in samples])

        raw_per_term: dict[str, list[float]] = {q: [] for _, q in terms}
        db = settings.DATABASES["default"]
        with self._server(db["NAME"]) as raw, raw.cursor() as cur:
            for i in range(warmup + requests):
                q = terms[i % len(terms)][1]
                count_sql, page_sql = statements[q]
                started = time.perf_counter()
                cur.execute(count_sql)
                cur.fetchall()
                cur.execute(page_sql)
                cur.fetchall()
                if i >= warmup:
                    raw_per_term[q].append((time.perf_counter() - started) * 1000)
            raw_all = Timing("psycopg", [t for samples in raw_per_term.values() for t in samples])

            self.stdout.write("")
            self.stdout.write(f"latency, ms ({requests} requests after {warmup} warm-up, terms in turn)")
            self.stdout.write(f"{'':<32} {'p50':>7} {'p95':>7} {'max':>7}    {'raw p50':>7} {'raw p95':>7}")
            for label, q in terms:
                d, r = Timing(q, per_term[q]), Timing(q, raw_per_term[q])
                self.stdout.write(
                    f"{label + ' ' + q:<32} {d.p50:7.2f} {d.p95:7.2f} {d.max:7.2f}    {r.p50:7.2f} {r.p95:7.2f}"
                )
            for label, timing in (("all terms, Django (full stack)", django_all), ("all terms, psycopg", raw_all)):
                self.stdout.write(f"{label:<32} {timing.p50:7.2f} {timing.p95:7.2f} {timing.max:7.2f}")
            self.stdout.write(f"load average after: {self._load()} (other work on the machine inflates every figure)")
            ratio = django_all.p95 / raw_all.p95
            within_ratio, under_50 = ratio <= 5, django_all.p95 < 50
            self.stdout.write(
                f"p95 ratio Django / psycopg: {ratio:.1f}x (target <= 5x): {'PASS' if within_ratio else 'FAIL'}"
            )
            self.stdout.write(f"p95 Django: {django_all.p95:.1f} ms (target < 50 ms): {'PASS' if under_50 else 'FAIL'}")

            # Queries per request must not depend on the page size (no N+1).
            self.stdout.write("")
            get(anchor.brand, page_size)  # refreshes the token's last_used_at, so neither run below writes it
            counts = {}
            for size in (10, 100):
                with CaptureQueriesContext(connections["default"]) as captured:
                    get("科技", size)
                counts[size] = len(captured.captured_queries)
                self.stdout.write(f"SQL queries per request at page_size={size}: {counts[size]}")
                if size == 10:
                    for c in captured.captured_queries:
                        self.stdout.write(f"    {c['sql'][:110]}")
            same = counts[10] == counts[100]
            self.stdout.write(f"query count independent of page size: {'PASS' if same else 'FAIL'}")

            # The plans: a rare term through the GIN index; the common word, which sets the p95.
            for q, which in ((anchor.brand, (1,)), (terms[1][1], (1, 0))):
                for index in which:
                    kind = ("COUNT", "page")[index]
                    self.stdout.write("")
                    self.stdout.write(f"EXPLAIN (ANALYZE, BUFFERS) of the {kind} query for q={q}:")
                    self.stdout.write(f"    {statements[q][index]}")
                    for (line,) in cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statements[q][index]}").fetchall():
                        self.stdout.write(f"    {line}")
        passed = within_ratio and under_50 and same
        self.stdout.write("")
        self.stdout.write(f"overall: {'PASS' if passed else 'FAIL'}")
