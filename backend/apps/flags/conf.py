"""The flags app's settings, with their defaults (config.settings sets the ones read from the environment)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Firms per scan batch: one transaction each, and the unit a resumed scan restarts from.
    "SEEDBED_SCAN_BATCH_FIRMS": 20000,
    # Seconds to wait inside each batch's transaction. Tests only: makes a scan slow enough to kill.
    "SEEDBED_SCAN_BATCH_SLEEP": 0.0,
    # Celery queue of the flags tasks ("" = the default queue). Tests give each worker its own.
    "SEEDBED_FLAGS_QUEUE": "",
    # An expired certification is flagged for this many days after it lapsed (older lapses are history).
    "SEEDBED_EXPIRED_LOOKBACK_DAYS": 365,
    # Administrators are told of an expired title still open this many days after it lapsed (SPEC §4).
    "SEEDBED_EXPIRED_ESCALATION_DAYS": 30,
    # Reminder ladder before a report / data-update deadline, in days.
    "SEEDBED_REPORT_DUE_LEAD_DAYS": [60, 30, 7],
    # Outbox delivery: exponential backoff with jitter, base × 2^(attempt−1), capped.
    "SEEDBED_NOTIFY_RETRY_BASE_SECONDS": 30.0,
    "SEEDBED_NOTIFY_RETRY_MAX_SECONDS": 3600.0,
    "SEEDBED_NOTIFY_MAX_ATTEMPTS": 8,
    "SEEDBED_WEBHOOK_TIMEOUT_SECONDS": 10.0,
    # Host names and IP networks (CIDR) a webhook may reach although they are not public (an on-premises relay).
    "SEEDBED_WEBHOOK_ALLOW_HOSTS": "",
    # Waiting for another flag-writing job (the nightly scan) before giving up, in seconds.
    "SEEDBED_JOB_WRITER_WAIT_SECONDS": 1800,
    # How far back the changed-firms sweep looks beyond its previous run (long transactions).
    "SEEDBED_RESCAN_OVERLAP_SECONDS": 600,
    # Links in messages point here.
    "SEEDBED_PUBLIC_URL": "http://127.0.0.1:8000",
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
