from __future__ import annotations

import datetime as dt

import factory

from apps.programmes.models import Certification, Programme
from apps.programmes.services import validity_for
from tests.factories import FirmFactory


def programme(code: str) -> Programme:
    """A programme of the shipped catalogue (loaded by the data migration)."""
    return Programme.objects.get(code=code)


class CertificationFactory(factory.django.DjangoModelFactory):
    """Writes straight to the table (no service checks): for arranging a scene, not for testing the rules."""

    class Meta:
        model = Certification

    firm = factory.SubFactory(FirmFactory)
    programme = factory.LazyFunction(lambda: programme("HNTE"))
    level = factory.LazyAttribute(lambda o: o.programme.levels[0])
    number = factory.Sequence(lambda n: f"GR2099{n:08d}")
    certificate_date = dt.date(2021, 11, 12)
    valid_from = factory.LazyAttribute(lambda o: o.certificate_date)
    valid_until = factory.LazyAttribute(lambda o: validity_for(o.programme, o.certificate_date)[1])
