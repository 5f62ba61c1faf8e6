"""Load benchmark (issue 7): 50 concurrent staff-console users for 60 s against gunicorn at 200,000 firms.

    cd backend && DATABASE_URL=postgresql://postgres@127.0.0.1:5432/seedbed \\
        ../.venv/bin/python manage.py bench_load [--firms 200000] [--users 50] [--seconds 60]

The data set is bench_firms' (the same generated firms, filled by its code) plus certifications by
bench_highlights' fill statement, annual figures and the flags a real scan finds in them. It lives in
`<name>_load_bench` on the same server (created here, reused when it already holds the requested fill,
refused when it exists, holds tables and was not created by a Seedbed benchmark); the database
DATABASE_URL names is never touched.

The app runs as in production: gunicorn (sync workers) in its own processes on 127.0.0.1, talking to
PostgreSQL with persistent connections. Each simulated user is a thread with its own keep-alive
connection and its own API token (a staff user per simulated user), calling what the staff console
calls — the firm list, the list with filters and searches, a firm's detail and its certifications,
the flags list, the annual highlights — with a think time between calls (uniform, --think). Every
answer other than 200 counts as an error. It stops by itself after --seconds.

Baseline in the same run: the same mix from one user without think time, before the load (the
latency of a request on an otherwise idle app).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from apps.benchmarks import benchdb
from apps.benchmarks.benchdb import load_average, pct
from apps.benchmarks.management.commands import bench_firms, bench_highlights
from apps.core import clock

MARKER = "seedbed bench_load"
SMOKE = {"firms": 1_000, "users": 3, "seconds": 4.0, "baseline_seconds": 2.0, "workers": 2, "think": "0.1,0.3"}
CERTIFICATIONS_PER_FIRM = 0.3
# The staff console's calls and their share of the mix (percent).
MIX = (
    ("firm list", 25),
    ("firm list, filters", 15),
    ("firm search", 10),
    ("firm detail", 15),
    ("firm certifications", 10),
    ("flags list", 10),
    ("flags, filters", 10),
    ("highlights", 5),
)


@dataclass
class Catalogue:
    """What the requests pick from: real ids and codes of the filled database."""

    firm_ids: list[int]
    zone_ids: list[int]
    zone_codes: list[str]
    divisions: list[str]
    flag_kinds: list[str]
    programmes: list[str]
    terms: list[str]
    year: int

    def path(self, label: str, rng: random.Random) -> str:
        def q(**params: Any) -> str:
            return urlencode(params, quote_via=quote)

        if label == "firm list":  # the console's default: firms in the park, by name, 20 a page
            return f"/api/v1/firms/?{q(in_park='true', ordering='name', page=rng.randint(1, 10), page_size=20)}"
        if label == "firm list, filters":
            params: dict[str, Any] = {"zone": rng.choice(self.zone_ids), "ordering": "name", "page_size": 20}
            choice = rng.randrange(3)
            if choice == 0:
                params["industry_division"] = rng.choice(self.divisions)
            elif choice == 1:
                params["tag"] = "数字经济"
                params["in_park"] = "true"
            else:
                params["registration_date_after"] = f"{rng.randint(2000, 2020)}-01-01"
            return f"/api/v1/firms/?{q(**params)}"
        if label == "firm search":
            return f"/api/v1/firms/?{q(q=rng.choice(self.terms), in_park='true', ordering='name', page_size=20)}"
        if label == "firm detail":
            return f"/api/v1/firms/{rng.choice(self.firm_ids)}/"
        if label == "firm certifications":
            return f"/api/v1/certifications/?{q(firm=rng.choice(self.firm_ids))}"
        if label == "flags list":
            return f"/api/v1/flags/?{q(open='true', page_size=20, page=rng.randint(1, 5))}"
        if label == "flags, filters":
            params = {"open": "true", "page_size": 20, "zone_code": rng.choice(self.zone_codes)}
            if rng.random() < 0.5:
                params["kind"] = rng.choice(self.flag_kinds)
            else:
                params["programme"] = rng.choice(self.programmes)
            return f"/api/v1/flags/?{q(**params)}"
        if label == "highlights":
            return f"/api/v1/highlights/{self.year}/"
        raise ValueError(label)


@dataclass
class Results:
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, label: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.samples.setdefault(label, []).append(ms)
            if error:
                self.errors.append(f"{label}: {error}")

    def all(self) -> list[float]:
        return [s for values in self.samples.values() for s in values]


class Client:
    """One user's keep-alive HTTP connection to gunicorn."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(
                    "GET", path, headers={"Authorization": f"Bearer {self.token}", "Accept-Language": "zh-hans"}
                )
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # gunicorn's sync workers close a keep-alive connection between requests: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class Command(BaseCommand):
    help = "Load test: concurrent staff-console users against gunicorn on the 200,000-firm data set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firms", type=int, default=200_000)
        parser.add_argument("--users", type=int, default=50, help="Concurrent simulated users.")
        parser.add_argument("--seconds", type=float, default=60.0, help="Length of the load phase.")
        parser.add_argument("--think", default="0.5,2.0", help="Think time between a user's calls: min,max seconds.")
        parser.add_argument("--workers", type=int, default=5, help="gunicorn worker processes (2 x cores + 1).")
        parser.add_argument("--baseline-seconds", type=float, default=10.0)
        parser.add_argument("--seed", type=int, default=4754)
        parser.add_argument("--refill", action="store_true", help="Drop and refill the benchmark database.")
        parser.add_argument("--drop", action="store_true", help="Drop the benchmark database when done.")
        parser.add_argument(
            "--smoke",
            action="store_true",
            help=f"A toy run for CI ({SMOKE['firms']} firms, {SMOKE['users']} users for {SMOKE['seconds']:.0f} s, its "
            "own database, dropped after): every path runs; timings are not judged, a non-200 answer fails it.",
        )

    # ---- the data set ---------------------------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        if options["smoke"]:
            options.update(SMOKE, drop=True)
        n, seed = options["firms"], options["seed"]
        database = benchdb.BenchDatabase("bench_load", "load_bench", self.stdout, smoke=options["smoke"])
        filled = f"{MARKER}: n={n} seed={seed} certs={CERTIFICATIONS_PER_FIRM}"
        firms = bench_firms.Command()
        firms.stdout, firms.stderr = self.stdout, self.stderr
        with database.session(filled, refill=options["refill"], drop=options["drop"]) as reuse:
            staff, _ = firms._staff_user()
            if not reuse:
                firms._fill(n, seed, staff.pk)
                self._fill_more(database.name, n)
                database.mark_filled(filled)
            tokens = self._tokens(options["users"])
            catalogue = self._catalogue()
            connections.close_all()
            errors = self._measure(database.name, catalogue, tokens, options)
        if options["smoke"] and errors:
            raise CommandError(f"smoke: {errors} requests did not answer 200")

    def _fill_more(self, name: str, n: int) -> None:
        """Certifications (bench_highlights' statement), figures, then the flags a real scan finds in them."""

        from apps.core import audit
        from apps.flags.scan import scan
        from apps.programmes.models import Programme

        programmes = list(Programme.objects.filter(builtin=True).order_by("code"))
        params = {
            "ids": [p.pk for p in programmes],
            "kinds": [p.validity_kind for p in programmes],
            "years": [p.validity_years or 0 for p in programmes],
            "levels": [p.levels[0] for p in programmes],
            "codes": [p.code for p in programmes],
            "span": bench_highlights.SPAN_DAYS,
            "certifications": int(n * CERTIFICATIONS_PER_FIRM),
        }
        tables = ("programmes_certification", "figures_annualfigures")
        started = time.perf_counter()
        with benchdb.connect(name, autocommit=False) as conn:
            with conn.cursor() as cur, benchdb.history_off(cur, tables):
                cur.execute(bench_highlights.CERTIFICATIONS_SQL, params)
                certs = cur.rowcount
                cur.execute(bench_highlights.FIGURES_SQL, {"year": clock.today().year - 1})
                figures = cur.rowcount
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
        self.stdout.write(
            f"fill: {certs} certifications, {figures} annual figures in {time.perf_counter() - started:.1f} s "
            "(history triggers disabled inside the fill's transaction only)"
        )
        started = time.perf_counter()
        with audit.change_context(source="command", reason="bench_load fill"):
            totals = scan(today=clock.today())
        with benchdb.connect(name) as conn:
            conn.execute("VACUUM ANALYZE")
        self.stdout.write(f"fill: scan {totals.as_dict()} in {time.perf_counter() - started:.1f} s")

    def _tokens(self, users: int) -> list[str]:
        from django.utils import timezone

        from apps.accounts.models import ApiToken, Role, User
        from apps.accounts.services import api_token_create

        keys = []
        for i in range(users):
            user, created = User.objects.get_or_create(
                username=f"load_staff_{i:02d}",
                defaults={"role": Role.STAFF, "all_zones": True, "display_name": f"负载测试{i}"},
            )
            if created:
                user.set_unusable_password()
                user.save()
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
            keys.append(api_token_create(user=user, name="bench_load")[1])
        return keys

    def _catalogue(self) -> Catalogue:

        from apps.flags.models import Flag
        from apps.programmes.models import Programme
        from apps.registry.models import Firm, Zone

        rng = random.Random(7)
        ids = list(Firm.objects.values_list("id", flat=True).order_by("id"))
        names = list(Firm.objects.filter(pk__in=rng.sample(ids, min(200, len(ids)))).values_list("name", flat=True))
        terms = ["科技", "新材料", "机械"] + [name[len("重庆") : len("重庆") + 2] for name in names[:30]]
        zones = list(Zone.objects.values_list("id", "code"))
        return Catalogue(
            firm_ids=rng.sample(ids, min(5000, len(ids))),
            zone_ids=[z[0] for z in zones],
            zone_codes=[z[1] for z in zones],
            divisions=["36", "35", "39", "26", "33", "51", "52", "65"],
            flag_kinds=sorted(set(Flag.objects.values_list("kind", flat=True).distinct())) or ["renewal_due"],
            programmes=list(Programme.objects.filter(builtin=True).values_list("code", flat=True)),
            terms=terms,
            year=clock.today().year - 1,
        )

    # ---- measuring -------------------------------------------------------------------------------------

    def _measure(self, name: str, catalogue: Catalogue, tokens: list[str], options: dict[str, Any]) -> int:
        """Measures; returns the number of requests that did not answer 200."""
        users, seconds = options["users"], options["seconds"]
        think = tuple(float(x) for x in options["think"].split(","))
        labels = [label for label, share in MIX for _ in range(share)]
        with benchdb.serve(name, workers=options["workers"], log_name="bench_load") as server:
            port = server.port
            # Warm-up: every worker process opens its database connection and loads its code.
            warm = Client(port, tokens[0])
            rng = random.Random(1)
            for label, _ in MIX * 3:  # every call of the mix, so a broken one stops here
                path = catalogue.path(label, rng)
                status, body = warm.get(path)
                if status != 200:
                    raise CommandError(f"warm-up: GET {path} answered {status}: {body[:300]!r}")

            self.stdout.write("")
            self.stdout.write(
                f"gunicorn: {options['workers']} sync workers on 127.0.0.1:{port}; machine: {os.cpu_count()} CPUs"
            )
            self.stdout.write(f"mix: {', '.join(f'{label} {share}%' for label, share in MIX)}")

            self.stdout.write(f"load average before the baseline: {load_average()}")
            baseline = self._run(port, tokens[:1], catalogue, labels, options["baseline_seconds"], (0.0, 0.0))
            self.stdout.write(f"load average before the load: {load_average()}")
            cpu_before = self._cpu(server.pid, name)
            loaded = self._run(port, tokens, catalogue, labels, seconds, think)
            cpu_after = self._cpu(server.pid, name)
            after = load_average()

        self.stdout.write(f"load average after: {after} (other work on the machine inflates every figure)")
        self.stdout.write("")
        head = f"{'':<28} {'requests':>8} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>6}"
        for title, (results, elapsed, _) in (
            (f"baseline: 1 user, no think time, {options['baseline_seconds']:.0f} s", baseline),
            (f"load: {users} users, think {think[0]}-{think[1]} s, {seconds:.0f} s", loaded),
        ):
            self.stdout.write(title)
            self.stdout.write(head + "   (latency in ms)")
            rows = [(label, results.samples.get(label, [])) for label, _ in MIX] + [("all", results.all())]
            for label, samples in rows:
                errors = (
                    len(results.errors) if label == "all" else sum(e.startswith(label + ":") for e in results.errors)
                )
                self.stdout.write(
                    f"{label:<28} {len(samples):>8} {len(samples) / elapsed:>7.1f} {pct(samples, 50):>7.1f}"
                    f" {pct(samples, 95):>7.1f} {pct(samples, 99):>7.1f} {max(samples, default=float('nan')):>7.1f}"
                    f" {errors:>6}"
                )
            self.stdout.write("")
        results, elapsed, _ = loaded
        everything = results.all()
        p95 = pct(everything, 95)
        # What the requests cost in CPU, whoever else was using the machine: the capacity of this machine
        # idle, and the rate the users asked for (each user: one request per think time plus latency).
        spent = {kind: sum(cpu_after[kind].get(pid, 0.0) - cpu_before[kind].get(pid, 0.0) for pid in cpu_after[kind])
                 for kind in cpu_after}  # fmt: skip
        if everything:
            per_request = {kind: seconds_ / len(everything) * 1000 for kind, seconds_ in spent.items()}
            server_ms = per_request["app"] + per_request["database"]
            capacity = (os.cpu_count() or 1) * 1000 / server_ms if server_ms else float("inf")
            offered = users / (sum(think) / 2) if think[1] else 0.0  # at zero latency: the most they can ask
            self.stdout.write(
                f"CPU per request during the load: gunicorn {per_request['app']:.1f} ms + PostgreSQL "
                f"{per_request['database']:.1f} ms = {server_ms:.1f} ms (load client {per_request['client']:.1f} ms)"
            )
            self.stdout.write(
                f"=> this machine idle ({os.cpu_count()} CPUs) serves at most ~{capacity:.0f} requests/s of this mix; "
                f"{users} users thinking {sum(think) / 2:.2f} s on average ask for up to ~{offered:.0f} requests/s"
            )
        for error in results.errors[:10]:
            self.stdout.write(f"error: {error}")
        self.stdout.write(
            f"throughput: {len(everything) / elapsed:.1f} requests/s; p50 {pct(everything, 50):.1f} ms, "
            f"p95 {p95:.1f} ms, p99 {pct(everything, 99):.1f} ms; errors: {len(results.errors)}"
        )
        zero = not results.errors
        fast = p95 < 300
        self.stdout.write(f"errors: {len(results.errors)} (target 0): {'PASS' if zero else 'FAIL'}")
        self.stdout.write(f"p95: {p95:.1f} ms (target < 300 ms): {'PASS' if fast else 'FAIL'}")
        self.stdout.write(f"overall: {'PASS' if zero and fast else 'FAIL'}")
        return len(results.errors) + len(baseline[0].errors)

    @staticmethod
    def _cpu(gunicorn_pid: int, database: str) -> dict[str, dict[int, float]]:
        """CPU seconds (user + system) so far of gunicorn's processes, the database's backends, this process."""
        import psutil

        def used(pid: int) -> float:
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                return 0.0
            return float(times.user + times.system)

        parent = psutil.Process(gunicorn_pid)
        app = [parent.pid, *(child.pid for child in parent.children(recursive=True))]
        with benchdb.maintenance() as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database]).fetchall()
        return {
            "app": {pid: used(pid) for pid in app},
            "database": {int(row[0]): used(int(row[0])) for row in rows},
            "client": {os.getpid(): used(os.getpid())},
        }

    def _run(
        self,
        port: int,
        tokens: list[str],
        catalogue: Catalogue,
        labels: list[str],
        seconds: float,
        think: tuple[float, ...],
    ) -> tuple[Results, float, int]:
        results = Results()
        started = time.monotonic()
        deadline = started + seconds

        def user(n: int) -> Callable[[], None]:
            def run() -> None:
                rng = random.Random(1000 + n)
                client = Client(port, tokens[n])
                time.sleep(rng.uniform(0, think[1]))  # users arrive spread over the first think time
                while time.monotonic() < deadline:
                    label = rng.choice(labels)
                    path = catalogue.path(label, rng)
                    begun = time.perf_counter()
                    error = None
                    try:
                        status, body = client.get(path)
                        if status != 200:
                            error = f"{status} {path} {body[:200]!r}"
                        else:
                            json.loads(body)
                    except Exception as exc:  # noqa: BLE001 - every failure is an error to count
                        error = f"{type(exc).__name__} {path} {exc}"
                        client = Client(port, tokens[n])
                    results.add(label, (time.perf_counter() - begun) * 1000, error)
                    if think[1] > 0:
                        time.sleep(rng.uniform(think[0], think[1]))

            return run

        threads = [threading.Thread(target=user(n), daemon=True) for n in range(len(tokens))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 180)
        return results, time.monotonic() - started, len(tokens)
