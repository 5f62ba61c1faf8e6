from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from apps.flags.models import (
    DeadlineCompletion,
    Flag,
    JobRun,
    Notification,
    WebhookChannel,
)
from apps.programmes.models import ProgrammeDeadline
from tests.factories import FirmFactory, UserFactory

TODAY = dt.date(2026, 11, 27)


class FlagFactory(factory.django.DjangoModelFactory):
    """An open flag written straight to the table (no scan): for arranging a scene."""

    class Meta:
        model = Flag

    firm = factory.SubFactory(FirmFactory)
    kind = "renewal_due"
    programme_code = "HNTE"
    subject = factory.Sequence(lambda n: f"cert:{900000 + n}")
    due_date = dt.date(2026, 12, 19)
    severity = "critical"
    ladder_point = 30
    evidence = factory.LazyAttribute(lambda o: {"number": "GR2023TEST", "programme_name": "高新技术企业"})
    first_seen = factory.LazyFunction(timezone.now)
    last_seen = factory.LazyFunction(timezone.now)


class JobRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobRun

    job = "scan"
    state = "succeeded"
    trigger = "beat"
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    firm = factory.LazyAttribute(lambda o: o.flag.firm if o.flag else None)
    flag = factory.SubFactory(FlagFactory)
    ladder_point = 30
    topic = "renewal_due"
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")
    created_at = factory.LazyFunction(timezone.now)


class WebhookChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookChannel

    name = factory.Sequence(lambda n: f"园区群机器人{n}")
    kind = "wecom"
    url = "http://127.0.0.1:9/cgi-bin/webhook/send?key=test"


def hnte_report_deadline() -> ProgrammeDeadline:
    return ProgrammeDeadline.objects.get(programme__code="HNTE", kind="annual_report")


class DeadlineCompletionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeadlineCompletion

    firm = factory.SubFactory(FirmFactory)
    deadline = factory.LazyFunction(hnte_report_deadline)
    year = 2026
    done_on = dt.date(2026, 5, 20)
