"""A certification for a firm, for the permission walk (tests/test_access.py)."""

from typing import Any

from apps.programmes.models import Programme, ProgrammeDeadline
from tests.programmes.factories import CertificationFactory

REFERENCE_MODELS = (Programme, ProgrammeDeadline)


def make_samples(firm: Any) -> None:
    CertificationFactory(firm=firm)
