"""The demo park's 2022 report reads like the park's own highlights (SPEC §5, /work/shared/seed).

专精特新: the seed writes "53 家，2022 年新增 42 家，较 2021 年 11 家增幅达 350%". By SPEC §5 the growth is
(53 − 11) / 11 = 381.82 %; 350 % would need an opening of 12 (42 / 12). The report says 381.82 %.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from apps.highlights import compute
from apps.highlights.exports import docx_text
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

HNTE_SENTENCE = "高新技术企业 120 家，2022 年新增 22 家，增速 22.45%"


def lines_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["code"]: line for line in body["lines"]}


def test_whole_park_2022_reads_like_the_seed(demo_park: dict[str, Any]) -> None:
    response = client_for(demo_park["users"]["viewer"]).get("/api/v1/highlights/2022/")
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == "2022-12-31" and body["opening_date"] == "2021-12-31"
    assert body["identity_ok"] is True
    lines = lines_of(body)

    hnte = lines["HNTE"]
    assert (hnte["opening"], hnte["new"], hnte["closing"], hnte["growth_pct"]) == (98, 22, 120, 22.45)
    assert (hnte["moved_in"], hnte["lapsed"], hnte["revoked"], hnte["left_park"]) == (0, 0, 0, 0)
    assert hnte["renewed"] == 30  # the 2019 batch, re-recognised in Nov 2022 before it ran out
    assert hnte["first"] is False

    zjtx = lines["ZJTX"]
    assert zjtx["programmes"] == ["LITTLE_GIANT", "SRDI"]
    assert (zjtx["opening"], zjtx["new"], zjtx["closing"], zjtx["growth_pct"]) == (11, 42, 53, 381.82)

    # The firm that left the park in Aug 2022 counts nowhere, although it holds an ABOVE_SIZE title.
    assert lines["ABOVE_SIZE"]["left_park"] == 1
    assert lines["ISME"]["first"] is True and lines["ISME"]["growth_pct"] is None

    groups = {g["code"]: g for g in body["tag_groups"]}
    digital = groups["DIGITAL"]
    assert (digital["count"], digital["total"], digital["growth_pct"]) == (16, "6890000000.00", 8.0)
    assert digital["lacking_prior"] == 0 and digital["comparable_firms"] == 16
    strategic = groups["STRATEGIC"]
    assert (strategic["count"], strategic["total"], strategic["growth_pct"]) == (26, "11260000000.00", 13.2)

    assert body["monthly_upgrades"]["count"] == 3

    buckets = {b["bucket"]: b for b in body["listing"]["buckets"]}
    (weima,) = buckets["approved"]["firms"]
    assert (weima["name"], weima["stage"], weima["date"], weima["board"]) == (
        "威马农机股份有限公司",
        "committee",
        "2022-09-08",
        "chinext",
    )
    assert [b["count"] for b in body["listing"]["buckets"]] == [2, 2, 1, 0]

    firsts = {(f["code"], f["where"]): f for f in body["firsts"]}
    jinruicheng = firsts[("HNTE", "综保区")]
    assert [f["name"] for f in jinruicheng["firms"]] == ["重庆金睿诚科技有限公司"]
    assert jinruicheng["date"] == "2022-10-12" and jinruicheng["scope"] == "zone"
    assert [f["name"] for f in firsts[("committee", "全园区")]["firms"]] == ["威马农机股份有限公司"]


def test_every_count_links_to_exactly_its_firms(demo_park: dict[str, Any]) -> None:
    client = client_for(demo_park["users"]["staff"])
    body = client.get("/api/v1/highlights/2022/").json()
    for line in body["lines"]:
        exits: set[int] = set()
        for bucket in compute.COUNT_BUCKETS:
            url = line["links"][bucket]
            assert url.startswith(f"/api/v1/highlights/2022/lines/{line['code']}/firms/?bucket={bucket}")
            listed = client.get(url + "&page_size=500").json()
            assert listed["count"] == line[bucket], (line["code"], bucket)
            ids = {firm["id"] for firm in listed["results"]}
            assert len(ids) == line[bucket]
            if bucket in compute.EXIT_BUCKETS:
                assert not ids & exits
                exits |= ids
    for group in body["tag_groups"]:
        assert client.get(group["firms_url"]).json()["count"] == group["count"]
    upgrades = client.get(body["monthly_upgrades"]["firms_url"]).json()
    assert upgrades["count"] == 3
    assert {f["name"] for f in upgrades["results"]} == {
        "重庆金田铜业有限公司",
        "重庆露珠生物科技有限公司",
        "顾家家居（重庆）有限公司",
    }
    new_hnte = client.get("/api/v1/highlights/2022/firms/", {"line": "hnte", "bucket": "new"}).json()
    assert new_hnte["count"] == 22
    jinruicheng = next(f for f in new_hnte["results"] if f["name"] == "重庆金睿诚科技有限公司")
    assert jinruicheng["certificate"]["certificate_date"] == "2022-10-12"
    assert jinruicheng["zone"] == "综保区"


def test_zone_report_goes_from_zero_to_one(demo_park: dict[str, Any]) -> None:
    zongbao = demo_park["zones"]["zongbao"]
    body = client_for(demo_park["users"]["staff_zb"]).get("/api/v1/highlights/2022/", {"zone": zongbao.pk}).json()
    assert body["scope"] == {"zone_ids": [zongbao.pk], "label": "综保区"}
    hnte = lines_of(body)["HNTE"]
    assert hnte["opening"] == 0 and hnte["closing"] > 0
    assert hnte["first"] is True and hnte["growth_pct"] is None
    assert any(f["code"] == "HNTE" and f["scope"] == "scope" for f in body["firsts"])


def test_the_report_is_a_handful_of_queries_whatever_the_size(demo_park: dict[str, Any]) -> None:
    def queries(scope: compute.Scope) -> int:
        with CaptureQueriesContext(connection) as captured:
            compute.report(2022, scope)
        return len(captured.captured_queries)

    whole_park = queries(compute.park_scope())
    assert whole_park <= 20
    assert queries(compute.zones_scope([demo_park["zones"]["zongbao"].pk])) == whole_park


def test_word_export_tells_the_story(demo_park: dict[str, Any]) -> None:
    response = client_for(demo_park["users"]["viewer"]).get("/api/v1/highlights/2022/docx/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    text = docx_text(response.content)
    assert "全园区2022年企业培育亮点" in text
    assert HNTE_SENTENCE in text
    assert "专精特新企业 53 家，2022 年新增 42 家，增速 381.82%" in text
    assert "数字经济规上制造企业 16 户，实现产值 68.9 亿元，同比增长 8%" in text
    assert "战略性新兴规上制造企业 26 户，实现产值 112.6 亿元，同比增长 13.2%" in text
    assert "全年月度升规 3 户" in text
    assert "威马农机股份有限公司于 2022 年 9 月通过深圳证券交易所创业板上市委会议审核" in text
    assert "重庆金睿诚科技有限公司通过国家级高新技术企业认定，实现综保区高新技术企业从'0'到'1'" in text
    assert "实时计算，未发布" in text


def test_excel_export_has_a_summary_and_a_sheet_per_line(demo_park: dict[str, Any]) -> None:
    response = client_for(demo_park["users"]["viewer"]).get("/api/v1/highlights/2022/xlsx/")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames[0] == "汇总"
    assert "HNTE 高新技术企业" in book.sheetnames and "ZJTX 专精特新企业" in book.sheetnames
    assert {"DIGITAL 数字经济规上制造企业", "月度升规", "上市进程"} <= set(book.sheetnames)
    rows = list(book["HNTE 高新技术企业"].iter_rows(min_row=3, values_only=True))
    assert sum(1 for row in rows if row[4] == "是") == 120  # 年末在册
    assert sum(1 for row in rows if row[3] == "是") == 98  # 年初在册
    assert sum(1 for row in rows if row[5] == "新增") == 22
    summary = list(book["汇总"].iter_rows(values_only=True))
    hnte = next(row for row in summary if row and row[0] == "HNTE")
    assert hnte[2:10] == (98, 22, 0, 30, 0, 0, 0, 120)


def test_trend_and_funnel_for_charts(demo_park: dict[str, Any], travel: Any) -> None:
    body = client_for(demo_park["users"]["viewer"]).get("/api/v1/highlights/trend/", {"from": 2018, "to": 2025}).json()
    hnte = next(line for line in body["lines"] if line["code"] == "HNTE")
    assert [y["year"] for y in hnte["years"]] == list(range(2018, 2026))
    year_2022 = next(y for y in hnte["years"] if y["year"] == 2022)
    assert (year_2022["closing"], year_2022["new"]) == (120, 22)
    ladders = {ladder["ladder"]: ladder for ladder in body["funnel"]}
    tech = [rung["code"] for rung in ladders["tech"]["rungs"]]
    assert tech == ["TSME", "HNTE"]
    # The funnel counts titles valid today; the demo's last renewals run out in 2028.
    travel("2025-06-30")
    funnel = client_for(demo_park["users"]["viewer"]).get("/api/v1/highlights/funnel/").json()
    assert funnel["in_park"] > 0
    hnte_rung = next(r for ladder in funnel["ladders"] for r in ladder["rungs"] if r["code"] == "HNTE")
    assert 0 < hnte_rung["on_top"] <= hnte_rung["holding"] <= funnel["in_park"]


def test_long_lists_read_whole_give_the_same_members(demo_park: dict[str, Any], monkeypatch: Any) -> None:
    """A whole park's lists read the scope's firms and the year's certificates whole, not by id: same rows."""
    from apps.highlights.exports import XLSX_MEMBER_COLUMNS

    lines = compute.line_defs()
    period = compute.Period.of(2022)
    zone = next(iter(demo_park["zones"].values()))
    for scope in (compute.park_scope(), compute.zones_scope([zone.pk])):
        for columns in (compute.DEFAULT_COLUMNS, XLSX_MEMBER_COLUMNS):
            with compute.report_session():
                by_id = compute.line_member_rows(lines, period, scope, columns=columns)
                monkeypatch.setattr(compute, "WHOLE_FETCH_ROWS", 0)
                whole = compute.line_member_rows(lines, period, scope, columns=columns)
                monkeypatch.undo()
            assert sum(len(rows) for rows in by_id.values()) > 20
            assert whole == by_id


def test_published_lists_are_stored_packed_and_read_back_unchanged(demo_park: dict[str, Any]) -> None:
    """A published report keeps its firm lists packed (each firm and certificate once); reading them
    back gives exactly the member dicts the report computed, list by list."""
    import json

    from apps.highlights import selectors, services
    from apps.highlights.models import PublishedReport

    report = compute.report(2022, compute.park_scope(), with_members=True)
    packed = compute.pack_members(report)
    assert compute.unpack_members(packed) == report
    assert len(json.dumps(packed)) < len(json.dumps(report)) * 0.6
    published = services.report_publish(year=2022, scope=compute.park_scope())
    stored = PublishedReport.objects.get(pk=published.pk).data
    assert "member_firms" in stored and all("firms" not in line for line in stored["lines"])
    hnte = next(line for line in report["lines"] if line["code"] == "HNTE")
    for bucket in ("opening", "new", "closing"):
        frozen = selectors.firms_in_report(stored, {"line": "HNTE", "bucket": bucket})
        live = selectors.firms_in_report(report, {"line": "HNTE", "bucket": bucket})
        assert frozen == live and len(frozen) == hnte[bucket]
