"""/healthz: is the database reachable, is the broker reachable, when did workers last check in."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone


def _check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ok"
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _check_broker() -> dict[str, Any]:
    url = str(settings.CELERY_BROKER_URL)
    kind = url.split("://", 1)[0]
    if kind == "filesystem":
        folders = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        missing = [key for key in ("data_folder_in", "control_folder") if not Path(str(folders[key])).is_dir()]
        return {"ok": not missing, "kind": kind, **({"missing": missing} if missing else {})}
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "kind": kind, "error": type(exc).__name__}
    return {"ok": True, "kind": kind}


def _workers() -> list[dict[str, Any]]:
    from apps.core.models import Heartbeat

    try:
        beats = list(Heartbeat.objects.order_by("name"))
    except Exception:  # noqa: BLE001 - reported by the database check already
        return []
    stale_after = timezone.now() - timedelta(minutes=5)
    return [{"name": b.name, "seen_at": b.seen_at.isoformat(), "fresh": b.seen_at >= stale_after} for b in beats]


def healthz(request: HttpRequest) -> JsonResponse:
    database = _check_database()
    broker = _check_broker()
    ok = database["ok"] and broker["ok"]
    body = {
        "status": "ok" if ok else "unavailable",
        "database": database,
        "broker": broker,
        "workers": _workers() if database["ok"] else [],
    }
    return JsonResponse(body, status=200 if ok else 503)
