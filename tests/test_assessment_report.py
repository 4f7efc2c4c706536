"""The ranking as the console and the monthly 通报 show it: each unit's movement against the month before, its score
broken down indicator by indicator, the PDF 通报 and the workbook with the movement.

October 2026 in 鹤壁市 is the scripted month of tests/assessment_month.py (checked by hand in
test_assessment_ranking.py); September is played here, the other way round: 住建局 (U1) does everything well and
城管局 (U2) leaves its citizen unsatisfied, 淇滨区 signs and calls, 鹤山区 has nothing. So in October 城管局 rose
(2nd → 1st), 住建局 fell (1st → 2nd), 淇滨区 fell (1st → 2nd) and 鹤山区 is new to the ranking.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from core.assessment import bulletin
from infra.settings import Settings
from tests.assessment_month import (
    HESHAN,
    QIBIN,
    Script,
    departments,  # noqa: F401 (the fixture `units`)
    entry,
    group,
    quiet,
    ranking,
    scripted_month,  # noqa: F401 (the fixture `month`)
    worker_on_no_clock,  # noqa: F401 (the fixture `worker`)
)
from tests.orders_helpers import CALLER, CITY, DISPATCHER, REVIEWER, SUPERVISOR, staff

CITIES = (CITY,)
CST = ZoneInfo("Asia/Shanghai")


def sept(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 9, day, hour, minute, tzinfo=CST)


@pytest.fixture(scope="module")
async def september(app: Any, client: httpx.AsyncClient, units: dict[str, int], month: dict[str, str],
                    worker: subprocess.Popen[bytes], tree: Settings) -> None:
    """September 2026, played after October's script (the month before it)."""
    s = Script(app, client, units)

    async def handled(number: str, unit: str, day: int) -> None:
        """Signed and the citizen called at once, replied, approved and closed the next day."""
        await s.act(sept(day, 9, 30), number, "sign", s.handler(unit))
        await s.act(sept(day, 9, 50), number, "contact", s.handler(unit), note="已电话联系市民")
        await s.act(sept(day + 1, 9), number, "reply", s.handler(unit), content="已处理完毕")
        await s.act(sept(day + 1, 9, 30), number, "approve", REVIEWER)
        await s.act(sept(day + 1, 10), number, "close", REVIEWER)

    good = await s.register(sept(10, 9))
    await s.act(sept(10, 9, 10), good, "dispatch", DISPATCHER, to=units["U1"])
    await handled(good, "U1", 10)
    await s.act(sept(14, 9), good, "revisit", CALLER, satisfaction="satisfied")
    poor = await s.register(sept(10, 8))
    await s.act(sept(10, 8, 10), poor, "dispatch", DISPATCHER, to=units["U2"])
    await handled(poor, "U2", 10)
    await s.act(sept(14, 10), poor, "revisit", CALLER, satisfaction="unsatisfied", note="还是没有解决")
    district = await s.register(sept(11, 9), division_code=QIBIN)
    await s.act(sept(11, 9, 10), district, "dispatch", DISPATCHER, to=QIBIN)
    held = await s.held_by(QIBIN, district)
    who = staff("dispatcher", tenant=QIBIN)
    await s.act(sept(11, 10), held, "sign", who, tenant=QIBIN)
    await s.act(sept(11, 10, 30), held, "contact", who, tenant=QIBIN)
    app.state.clock = lambda: datetime.now(UTC)
    await quiet(tree, expected_overdue=5)


async def test_a_department_that_rose_and_one_that_fell_since_last_month(
        client: httpx.AsyncClient, september: None, units: dict[str, int]) -> None:
    report = await ranking(client)
    assert (report["previous_period"], report["previous_from"], report["previous_to"]) == \
        ("2026-09", "2026-09-01", "2026-09-30")
    urban, housing = (entry(report, "departments", str(units[u])) for u in ("U2", "U1"))
    assert {k: urban[k] for k in ("rank", "previous_rank", "rank_change", "movement")} == \
        {"rank": 1, "previous_rank": 2, "rank_change": 1, "movement": "up"}
    assert urban["previous_score"] == pytest.approx(10.0) and urban["score_change"] == pytest.approx(90.0)
    assert {k: housing[k] for k in ("rank", "previous_rank", "rank_change", "movement")} == \
        {"rank": 2, "previous_rank": 1, "rank_change": -1, "movement": "down"}
    assert housing["score_change"] == pytest.approx(65.33 - 100.0, abs=0.001)


async def test_a_district_new_to_the_ranking_and_one_that_fell(client: httpx.AsyncClient, september: None) -> None:
    report = await ranking(client)
    heshan, qibin = entry(report, "tenants", HESHAN), entry(report, "tenants", QIBIN)
    assert (heshan["movement"], heshan["previous_rank"], heshan["rank_change"]) == ("new", None, None)
    assert (qibin["movement"], qibin["previous_rank"], qibin["rank_change"]) == ("down", 1, -1)
    assert qibin["score_change"] == pytest.approx(-100.0)
    idle = [r for r in group(report, "tenants")["ranking"] if r["id"] not in (HESHAN, QIBIN)]
    assert idle and all(r["movement"] == "unranked" and r["board"] is None for r in idle)
    assert (heshan["board"], qibin["board"]) == ("red", "black")


async def test_a_unit_with_nothing_this_month_keeps_its_last_rank_beside_no_rank(
        client: httpx.AsyncClient, september: None, units: dict[str, int]) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/assessment", params={"period": "2026-11"},
                                headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    urban = entry(response.json(), "departments", str(units["U2"]))
    assert (urban["rank"], urban["previous_rank"], urban["movement"]) == (None, 1, "unranked")


async def test_each_score_is_broken_down_indicator_by_indicator_and_adds_up(
        client: httpx.AsyncClient, month: dict[str, str], units: dict[str, int]) -> None:
    report = await ranking(client)
    for g in report["groups"]:
        for row in g["ranking"]:
            parts = row["breakdown"]
            assert [p["indicator"] for p in parts] == ["contact_rate", "satisfaction_rate", "resolution_rate"]
            if row["score"] is None:
                assert all(p["earned"] == 0 for p in parts)
                continue
            assert round(sum(p["earned"] for p in parts), 2) == row["score"], row["name"]
            assert round(sum(p["points"] for p in parts), 2) == g["max_score"], row["name"]
            assert all(round(p["earned"] + p["lost"], 2) == p["points"] for p in parts), row["name"]
    housing = {p["indicator"]: p for p in entry(report, "departments", str(units["U1"]))["breakdown"]}
    # 住建局: called 2 of 3, satisfied 1 + 0.9 × 1 of 3 rated, resolved 2 of 3 (test_assessment_ranking.py).
    assert {k: housing["contact_rate"][k] for k in ("weight", "points", "earned", "lost", "numerator",
                                                     "denominator")} == \
        {"weight": 0.1, "points": 10.0, "earned": 6.67, "lost": 3.33, "numerator": 2, "denominator": 3}
    assert (housing["satisfaction_rate"]["earned"], housing["satisfaction_rate"]["numerator"]) == \
        (25.33, pytest.approx(1.9))
    assert (housing["resolution_rate"]["points"], housing["resolution_rate"]["earned"]) == (50.0, 33.33)
    # 鹤山区 could be scored on its response only: that indicator carries the whole 100.
    heshan = {p["indicator"]: p for p in entry(report, "tenants", HESHAN)["breakdown"]}
    assert heshan["contact_rate"]["points"] == 100.0 and heshan["resolution_rate"]["value"] is None
    assert report["indicators"]["sign_rate"]["name"] == "及时签收率"
    assert report["indicators"]["satisfaction_rate"]["weight"] == 0.4
    assert "0.9" in report["indicators"]["satisfaction_rate"]["definition"]


def _pdf_text(body: bytes) -> str:
    """The document's text, without the spaces and line breaks extraction puts between table cells and lines."""
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages))


async def test_the_pdf_bulletin_names_the_period_every_unit_and_the_red_and_black_lists(
        client: httpx.AsyncClient, september: None) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/assessment/report.pdf", params={"period": "2026-10"},
                                headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    text = _pdf_text(response.content)
    assert "鹤壁市12345热线考核通报（2026年10月）" in text
    assert "考核期：2026年10月1日至2026年10月31日" in text
    assert "发布单位：鹤壁市12345政务服务便民热线" in text  # the city has no centre unit here: its hotline issues
    report = await ranking(client)
    for g in report["groups"]:
        for row in g["ranking"]:
            assert row["name"] in text, row["name"]
    assert "红榜：鹤山区（100.00分）" in text and "黑榜：淇滨区（0.00分）" in text
    assert "红榜：市城市管理局（100.00分）" in text and "黑榜：市住房和城乡建设局（65.33分）" in text
    assert "指标说明" in text and "及时签收率" in text and "↑1" in text and "新进" in text


async def test_without_a_chinese_font_the_pdf_is_refused_naming_the_debian_package(
        client: httpx.AsyncClient, month: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    bulletin._font.cache_clear()
    monkeypatch.setattr(bulletin, "FONTS", (("/nonexistent/wqy-microhei.ttc", "fonts-wqy-microhei"),))
    try:
        response = await client.get(f"/api/v1/tenants/{CITY}/assessment/report.pdf", params={"period": "2026-10"},
                                    headers=SUPERVISOR)
    finally:
        bulletin._font.cache_clear()
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "report_font_missing" and "fonts-wqy-microhei" in body["detail"]


async def test_the_workbook_carries_the_movement(client: httpx.AsyncClient, september: None) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/assessment/report.xlsx", params={"period": "2026-10"},
                                headers=SUPERVISOR)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["departments"]
    header = [c.value for c in sheet[2]]
    assert header[:8] == ["排名 rank", "单位 unit", "代码 id", "得分 score", "上期排名", "名次变化", "得分变化", "榜单"]
    first, second = ([c.value for c in sheet[n]] for n in (3, 4))
    assert (first[1], first[4], first[5], first[6], first[7]) == ("市城市管理局", 2, "上升 1 位", 90.0, "红榜")
    assert (second[1], second[4], second[5], second[7]) == ("市住房和城乡建设局", 1, "下降 1 位", "黑榜")
    tenants = {row[1].value: row for row in book["tenants"].iter_rows(min_row=3)}
    assert tenants["鹤山区"][5].value == "新进"


async def test_the_ranking_is_typed_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert set(schemas["Movement"]["enum"]) == {"up", "down", "same", "new", "unranked"}
    assert {"breakdown", "movement", "rank_change", "score_change", "board"} <= set(
        schemas["RankedUnit"]["properties"])
    ok = document["paths"]["/api/v1/tenants/{code}/assessment"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/Ranking")
    assert "application/pdf" in document["paths"]["/api/v1/tenants/{code}/assessment/report.pdf"]["get"][
        "responses"]["200"]["content"]


async def test_a_period_with_no_month_before_it_is_a_clear_error(client: httpx.AsyncClient) -> None:
    for period in ("0001-01", "9999-12", "0001-01-01..0001-01-03"):
        response = await client.get(f"/api/v1/tenants/{CITY}/assessment", params={"period": period},
                                    headers=SUPERVISOR)
        assert response.status_code == 422, (period, response.text)
        assert response.json()["fields"][0]["field"] == "period"
