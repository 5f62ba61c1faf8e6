"""The Celery app. Brokers and folders come from Django settings (see config.settings)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("seedbed")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """The filesystem broker needs its folders to exist before a worker or a producer starts."""
    from django.conf import settings

    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(key)
        if folder:
            Path(str(folder)).mkdir(parents=True, exist_ok=True)
    backend = str(settings.CELERY_RESULT_BACKEND)
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


@worker_init.connect
def _mark_changes_as_jobs(**kwargs: object) -> None:
    """Whatever a worker writes is recorded in the history with source "job"."""
    from apps.core import audit

    audit.set_process_default_source("job")


@task_postrun.connect
def _forget_change_context(**kwargs: object) -> None:
    """A reason set by one task must not be recorded against the next task in the same process."""
    from apps.core import audit

    audit.clear()
