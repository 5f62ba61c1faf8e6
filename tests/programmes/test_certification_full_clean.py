"""Model validation of a certification runs the database's own rules in Python (Django's
`validate_constraints`), including the no-overlap constraint on the generated `period`: an
administrator's form (or any `full_clean`) gets a validation error, never a database error."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.programmes.models import Certification
from tests.factories import FirmFactory
from tests.programmes.factories import CertificationFactory, programme

pytestmark = pytest.mark.django_db


def test_a_valid_certification_passes_full_clean_with_and_without_an_end_cut_short():
    firm = FirmFactory()
    held = CertificationFactory(firm=firm, programme=programme("HNTE"), certificate_date=dt.date(2022, 12, 1))
    held.full_clean()
    held.revoked_on = held.valid_until - dt.timedelta(days=30)
    held.revocation_reason = "测试"
    held.full_clean()


def test_an_overlapping_certification_is_a_validation_error():
    firm = FirmFactory()
    first = CertificationFactory(firm=firm, programme=programme("HNTE"), certificate_date=dt.date(2022, 12, 1))
    double = Certification(
        firm=firm,
        programme=first.programme,
        level=first.level,
        number="GR202299999999",
        certificate_date=first.certificate_date + dt.timedelta(days=10),
        valid_from=first.valid_from + dt.timedelta(days=10),
        valid_until=first.valid_until + dt.timedelta(days=10),
    )
    with pytest.raises(ValidationError):
        double.full_clean()
