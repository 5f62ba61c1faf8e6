"""The rules app owns no firm data: rule sets are a catalogue every role reads (tests/test_access.py)."""

from typing import Any

from apps.rules.models import RuleSet

REFERENCE_MODELS = (RuleSet,)


def make_samples(firm: Any) -> None:
    """Eligibility answers for the firm itself; nothing to create."""
