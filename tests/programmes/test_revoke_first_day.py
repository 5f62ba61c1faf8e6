"""Revoking a certificate on its first day is a clear 400, never a 500 (it would never have counted)."""

from __future__ import annotations

import pytest

from apps.programmes.models import Certification
from tests.programmes.factories import CertificationFactory

pytestmark = pytest.mark.django_db


def test_revocation_on_the_first_day_is_refused_with_a_reason(park, as_user):
    cert = CertificationFactory(firm=park.firm_a)
    response = as_user(park.staff).post(
        f"/api/v1/certifications/{cert.pk}/revoke/",
        {"date": cert.valid_from.isoformat(), "reason": "材料造假"},
        format="json",
    )
    assert response.status_code == 400
    assert "date" in response.json()["errors"]
    assert Certification.objects.get(pk=cert.pk).revoked_on is None
