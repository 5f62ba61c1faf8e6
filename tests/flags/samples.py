"""One object of each of the flags app's models for a firm, for the permission walk (tests/test_access.py).

FigureRequirement is a catalogue every role reads. JobRun and WebhookChannel are not firm data
(administrators' and staff's records, 403 to the other roles): listed here so the firm-B walk
skips them; tests/flags/test_api.py checks who may read them.
"""

from typing import Any

from apps.flags.models import FigureRequirement, JobRun, WebhookChannel
from tests.factories import UserFactory
from tests.flags.factories import (
    DeadlineCompletionFactory,
    FlagFactory,
    JobRunFactory,
    NotificationFactory,
    WebhookChannelFactory,
)

REFERENCE_MODELS = (FigureRequirement, JobRun, WebhookChannel)


def make_samples(firm: Any) -> None:
    flag = FlagFactory(firm=firm)
    owner = firm.users.first() or firm.assigned_staff or UserFactory(role="staff")
    NotificationFactory(user=owner, flag=flag, firm=firm)
    DeadlineCompletionFactory(firm=firm)
    JobRunFactory()
    WebhookChannelFactory()
