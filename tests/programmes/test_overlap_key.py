"""The no-overlap exclusion constraint's key (decision 0004): one point for firm, programme and level."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from tests.programmes.factories import CertificationFactory, programme

pytestmark = pytest.mark.django_db


def test_firm_and_programme_ids_do_not_stand_in_for_each_other(park):
    """(firm a, programme p) and (firm p, programme a) are different keys; so are neighbouring levels."""
    srdi, hnte = programme("LISTING_RESERVE"), programme("HNTE")
    CertificationFactory(firm=park.firm_a, programme=hnte, certificate_date=dt.date(2021, 1, 1))
    CertificationFactory(firm=park.firm_b, programme=hnte, certificate_date=dt.date(2021, 1, 1))
    CertificationFactory(firm=park.firm_a, programme=srdi, level="district", certificate_date=dt.date(2021, 1, 1))
    CertificationFactory(firm=park.firm_a, programme=srdi, level="municipal", certificate_date=dt.date(2021, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificationFactory(firm=park.firm_a, programme=srdi, level="municipal", certificate_date=dt.date(2022, 1, 1))


def test_ids_beyond_the_exact_range_of_the_key_are_refused(park):
    with (
        pytest.raises(IntegrityError, match="certification_key_exact"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO programmes_certification (firm_id, programme_id, level, number, batch, entry_route,"
            " certificate_date, valid_from, revocation_reason, notes, created_at, updated_at)"
            " VALUES (9007199254740993, %s, 'national', 'x', '', '', '2021-01-01', '2021-01-01', '', '', now(), now())",
            [programme("HNTE").pk],
        )
