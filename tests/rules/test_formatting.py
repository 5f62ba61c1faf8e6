"""Money and ratios as a gap sentence writes them: 万 / 亿 in Chinese, M in English; exact amounts kept apart."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.rules import formatting as fmt


@pytest.mark.parametrize(
    ("field", "amount", "zh", "en"),
    [
        ("rd_expense", Decimal("900000"), "需增加研发投入 ¥90 万", "+¥0.9M R&D"),
        ("rd_expense", Decimal("103381.61"), "需增加研发投入 ¥10.34 万", "+¥0.1M R&D"),
        ("operating_revenue", Decimal("135000000"), "需增加营业收入 ¥1.35 亿", "+¥135M revenue"),
        ("rd_expense", Decimal("52000"), "需增加研发投入 ¥5.2 万", "+¥52,000 R&D"),
        ("st_staff", 3, "需增加科技人员 3 人", "+3 S&T staff"),
        ("ip_class1", 1, "需增加Ⅰ类知识产权 1 项", "+1 class-I IP"),
    ],
)
def test_increase_sentences(field, amount, zh, en):
    assert fmt.increase_text(field, amount) == (zh, en)


def test_ratios_and_plain_values():
    assert (fmt.pct(Decimal("0.031")), fmt.pct_en(Decimal("0.04"))) == ("3.1%", "4 %")
    assert fmt.plain(Decimal("900000.00")) == "900000.00"
    assert fmt.plain(Decimal("0.031000")) == "0.031"
    assert fmt.plain(Decimal("0.12345678")) == "0.123457"
    assert fmt.ceil_amount("rd_expense", Decimal("0.001")) == Decimal("0.01")
    assert fmt.ceil_amount("st_staff", Decimal("13.2")) == 14
