"""evaluate_firms loads everything for many firms in a few queries: the count does not grow with the firms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.flags.detectors import ScanContext, detectors
from apps.rules.evaluation import evaluate_firms
from tests.programmes.factories import CertificationFactory, programme
from tests.rules.factories import firm_with, hnte_ready

pytestmark = pytest.mark.django_db


def make_firms(n: int) -> list[int]:
    ids = []
    for index in range(n):
        firm = firm_with(hnte_ready(2024, revenue=(index + 5) * 1_000_000))
        if index % 3 == 0:
            CertificationFactory(firm=firm, programme=programme("HNTE"))
        ids.append(firm.pk)
    return ids


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def test_evaluate_firms_uses_a_constant_number_of_queries():
    ids = make_firms(50)
    few = queries(lambda: evaluate_firms(ids[:5], 2024))
    many = queries(lambda: evaluate_firms(ids, 2024))
    assert many == few <= 6
    every = queries(lambda: evaluate_firms(None, 2024))
    assert every == few + 1  # the list of every firm's id
    results = evaluate_firms(ids, 2024)
    assert len(results) == 50
    assert all(len(e.programmes) >= 9 for e in results.values())


def test_the_scan_detectors_do_not_query_per_firm():
    def scan() -> None:
        ctx = ScanContext(today=dt.date(2025, 11, 20))
        for kind in ("threshold_reached", "eligible", "upgrade_candidate", "near_miss"):
            for detector in detectors()[kind]:
                list(detector(ctx))

    make_firms(5)
    few = queries(scan)
    make_firms(45)
    assert queries(scan) == few
