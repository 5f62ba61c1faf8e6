"""The demo park's certifications reproduce the park's 2022 highlights, by SPEC §5's definitions.

The numbers are recomputed here with plain queries on the printed dates (not with the app's
selectors), so the test checks the data, not the code that produced it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q

from apps.core.models import Change
from apps.programmes.demo import JINRUICHENG, seed_certifications
from apps.programmes.models import Certification
from apps.registry.demo import seed_registry
from apps.registry.models import Firm

pytestmark = pytest.mark.django_db

HNTE = ["HNTE"]
ZHUANJINGTEXIN = ["SRDI", "LITTLE_GIANT"]


def in_park(day: dt.date) -> set[int]:
    """SPEC §5 in_park(f, d): entered on or before d and did not leave on or before d."""
    firms = Firm.objects.filter(Q(entered_park_on__isnull=True) | Q(entered_park_on__lte=day)).filter(
        Q(left_park_on__isnull=True) | Q(left_park_on__gt=day)
    )
    return set(firms.values_list("id", flat=True))


def holders(codes: list[str], day: dt.date) -> set[int]:
    """SPEC §5 valid(f, d): valid_from ≤ d ≤ valid_until and no revocation dated on or before d."""
    certs = Certification.objects.filter(programme__code__in=codes, valid_from__lte=day)
    certs = certs.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
    certs = certs.filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=day))
    return set(certs.values_list("firm_id", flat=True))


def closing(codes: list[str], year: int) -> set[int]:
    day = dt.date(year, 12, 31)
    return holders(codes, day) & in_park(day)


def bridge(codes: list[str], year: int) -> dict[str, int]:
    opening, close = closing(codes, year - 1), closing(codes, year)
    certified_in_year = set(
        Certification.objects.filter(programme__code__in=codes, certificate_date__year=year).values_list(
            "firm_id", flat=True
        )
    )
    new = (close - opening) & certified_in_year
    exits = opening - close
    return {
        "opening": len(opening),
        "new": len(new),
        "moved_in": len(close - opening - new),
        "exits": len(exits),
        "closing": len(close),
    }


def test_the_demo_reproduces_the_2022_highlights(db):
    # One test, because loading the demo park takes seconds; each block below is one claim.
    seed_registry()
    seed_certifications()

    # 高企 120 家，2022 年新增 22 家，增速达 22.45%: opening 98, new 22, no exits.
    assert bridge(HNTE, 2022) == {"opening": 98, "new": 22, "moved_in": 0, "exits": 0, "closing": 120}
    assert round((120 - 98) / 98 * 100, 2) == 22.45

    # 专精特新 53 家，2022 年新增 42 家，较 2021 年 11 家.
    assert bridge(ZHUANJINGTEXIN, 2022) == {"opening": 11, "new": 42, "moved_in": 0, "exits": 0, "closing": 53}

    # 全年月度升规 3 户 — and other 2022 entries were annual, so the route matters.
    monthly = Certification.objects.filter(
        programme__code="ABOVE_SIZE", entry_route="monthly", certificate_date__year=2022
    )
    assert sorted(monthly.values_list("firm__name", flat=True)) == sorted(
        ["重庆金田铜业有限公司", "重庆露珠生物科技有限公司", "顾家家居（重庆）有限公司"]
    )
    assert Certification.objects.filter(programme__code="ABOVE_SIZE", certificate_date__year=2022).count() > 3

    # 数字经济规上制造企业 16 户; 战略性新兴规上制造企业 26 户 (above-size, section C, tagged, in the park).
    tagged = Firm.objects.filter(id__in=closing(["ABOVE_SIZE"], 2022), industry__section="C")
    assert tagged.filter(tags__contains=["数字经济"]).count() == 16
    assert tagged.filter(tags__contains=["战略性新兴产业"]).count() == 26

    # 金睿诚 实现高新技术企业从"0"到"1" in 综保区.
    zongbao_hnte = Certification.objects.filter(programme__code="HNTE", firm__zone__code="zongbao").order_by(
        "certificate_date", "id"
    )
    first = zongbao_hnte.first()
    assert first is not None
    assert (first.firm.name, first.certificate_date.year) == (JINRUICHENG, 2022)
    assert not zongbao_hnte.filter(certificate_date__year__lt=2022).exists()
    assert zongbao_hnte.filter(certificate_date=first.certificate_date).count() == 1

    # The firm that moved out in Aug 2022 holds titles dated 2022; only in_park keeps it out.
    day = dt.date(2022, 12, 31)
    assert (len(holders(HNTE, day)), len(holders(ZHUANJINGTEXIN, day))) == (121, 54)

    # Histories over 2018–2025: the 2019 certificates were renewed in 2022, a few were revoked.
    years = set(Certification.objects.values_list("certificate_date__year", flat=True))
    assert set(range(2018, 2026)) <= years
    from_2019 = Certification.objects.filter(programme__code="HNTE", certificate_date__year=2019)
    assert from_2019.exists()
    assert all(c.superseded_on is not None and c.superseded_on.year == 2022 for c in from_2019)
    assert Certification.objects.filter(revoked_on__isnull=False).count() >= 3
    assert Certification.objects.filter(programme__code="TSME").count() >= 40

    # Loading again changes nothing, not even the history.
    certifications, changes = Certification.objects.count(), Change.objects.count()
    assert seed_certifications()["created"] == 0
    assert (Certification.objects.count(), Change.objects.count()) == (certifications, changes)
