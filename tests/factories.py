from __future__ import annotations

import datetime as dt

import factory

from apps.accounts.models import Role, User
from apps.registry.models import Contact, Firm, JournalEntry, Zone
from apps.registry.uscc import make

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_for(n: int) -> str:
    body = ""
    for _ in range(6):
        body = _ALPHABET[n % 31] + body
        n //= 31
    return make("91500116MA" + body)


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    code = factory.Sequence(lambda n: f"zone-{n}")
    name = factory.Sequence(lambda n: f"园区{n}")


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Firm

    uscc = factory.Sequence(uscc_for)
    name = factory.Sequence(lambda n: f"重庆测试{n}科技有限公司")
    zone = factory.SubFactory(ZoneFactory)
    industry_id = "C3670"
    registration_date = dt.date(2015, 3, 1)
    entered_park_on = dt.date(2016, 1, 1)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    firm = factory.SubFactory(FirmFactory)
    name = "张三"
    phone = factory.Sequence(lambda n: f"138{n:08d}")


class JournalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JournalEntry

    firm = factory.SubFactory(FirmFactory)
    date = dt.date(2024, 5, 1)
    title = "走访"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.STAFF
    # Park users see every zone unless a test limits them (all_zones=False and zones).
    all_zones = factory.LazyAttribute(lambda user: user.role != Role.ENTERPRISE)
    password = factory.PostGenerationMethodCall("set_password", "Correct-Horse-9")

    @factory.post_generation
    def finish(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()
