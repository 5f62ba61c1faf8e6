from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone

from apps.core.models import Heartbeat


@shared_task(name="core.heartbeat", ignore_result=False)
def heartbeat(source: str = "beat") -> str:
    """Records that a worker picked up a task just now; beat sends one every minute."""
    name = f"worker@{socket.gethostname()}"
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
    return name
