"""The monthly 通报 as a PDF (考核通报), laid out as a centre publishes it: the issuing centre's red header, the
title, the period, the date, the whole subtree's figures, each group's ranking with its red and black lists, a
bar chart of the scores and every indicator, then the indicators' definitions.

Typeset by ReportLab (its flowables, tables and charts; no PDF operator is written here) in a Chinese font from
Debian's packages, embedded as a subset so the document reads the same on any machine and its text can be
extracted. Drawn from one ranking (``service.ranking``), so it always agrees with the API and the screen.
"""

from __future__ import annotations

import functools
import io
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from core.assessment.errors import ReportFontMissing
from core.assessment.indicators import INDICATORS

# TrueType CJK fonts of Debian's packages, first found is used. (Noto CJK, fonts-noto-cjk, ships CFF outlines, which
# ReportLab does not embed: the WenQuanYi fonts are TrueType.) The console's browser tests need the first anyway.
FONTS = (("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "fonts-wqy-microhei"),
         ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei"))
FONT = "HotlineCJK"
RED = colors.HexColor("#c8161d")  # the red of a 红头 document
RED_ROW = colors.HexColor("#fdecea")
BLACK_ROW = colors.HexColor("#e6e6e6")
RULE = colors.HexColor("#8c8c8c")
BAR = colors.HexColor("#2f6fbf")
NUMERALS = "一二三四五六七八九十"
CHART_MOST = 30  # bars in a chart: a ranking of every town of a province charts its 15 best and 15 worst


@functools.cache
def _font() -> str:
    """Register the CJK font once per process; refuse clearly when Debian's package is missing."""
    for path, _ in FONTS:
        if Path(path).exists():
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
            return FONT
    raise ReportFontMissing(FONTS[0][1], [path for path, _ in FONTS])


def available() -> bool:
    """Whether a CJK font is installed (the PDF can be made)."""
    try:
        _font()
    except ReportFontMissing:
        return False
    return True


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "header": ParagraphStyle("header", base, fontSize=26, leading=34, alignment=TA_CENTER, textColor=RED),
        "number": ParagraphStyle("number", base, fontSize=11, alignment=TA_CENTER),
        "title": ParagraphStyle("title", base, fontSize=19, leading=28, alignment=TA_CENTER, spaceBefore=6),
        "meta": ParagraphStyle("meta", base, alignment=TA_CENTER, textColor=colors.HexColor("#333333")),
        "h1": ParagraphStyle("h1", base, fontSize=13.5, leading=22, spaceBefore=10, spaceAfter=4),
        "body": ParagraphStyle("bodytext", base, firstLineIndent=21),
        "plain": base,
        "cell": ParagraphStyle("cell", base, fontSize=7.5, leading=9.5, alignment=TA_CENTER),
        "cell_left": ParagraphStyle("cell_left", base, fontSize=7.5, leading=9.5),
        "def": ParagraphStyle("def", base, fontSize=8.5, leading=11.5),
        "note": ParagraphStyle("note", base, fontSize=8.5, leading=12, textColor=colors.HexColor("#444444")),
    }


def _day(value: str) -> str:
    d = date.fromisoformat(value)
    return f"{d.year}年{d.month}月{d.day}日"


def _until(report: dict[str, Any], issued: date) -> str:
    """The period's last day, or the day of issue for a period not over yet (本月至今)."""
    if date.fromisoformat(report["to"]) <= issued:
        return _day(report["to"])
    return f"{_day(issued.isoformat())}（截至发布日）"


def period_words(report: dict[str, Any]) -> str:
    """The period as a 通报 names it: 2026年10月, or 2026年10月1日至2026年10月15日."""
    if ".." not in report["period"]:
        year, month = report["period"].split("-")
        return f"{int(year)}年{int(month)}月"
    return f"{_day(report['from'])}至{_day(report['to'])}"


def title(report: dict[str, Any]) -> str:
    """郑州市12345热线考核通报（2026年10月）."""
    return f"{report['tenant_name']}12345热线考核通报（{period_words(report)}）"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _movement(row: dict[str, Any]) -> str:
    change = row.get("rank_change")
    if row.get("movement") == "new":
        return "新进"
    if change is None:
        return "—"
    delta = row.get("score_change")
    points = f"<br/>{delta:+.2f}" if delta is not None else ""
    return ("持平" if change == 0 else f"↑{change}" if change > 0 else f"↓{-change}") + points


def _names(group: dict[str, Any], ids: list[str]) -> str:
    rows = {r["id"]: r for r in group["ranking"]}
    return "、".join(f"{rows[i]['name']}（{_score(rows[i]['score'])}分）" for i in ids) or "无"


def _chart(group: dict[str, Any], font: str, width: float) -> Drawing | None:
    """A horizontal bar chart of the scores, best at the top."""
    scored = [r for r in group["ranking"] if r["score"] is not None]
    if not scored:
        return None
    shown = scored if len(scored) <= CHART_MOST else scored[:CHART_MOST // 2] + scored[-CHART_MOST // 2:]
    shown = shown[::-1]  # the chart draws its first category at the bottom
    bar = 13
    height = bar * len(shown) + 45
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 30
    chart.width, chart.height = width - 200, bar * len(shown)
    chart.data = [[r["score"] for r in shown]]
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    for i, row in enumerate(shown):  # the red list in red, the black list in grey
        if row.get("board") == "red":
            chart.bars[(0, i)].fillColor = RED
        elif row.get("board") == "black":
            chart.bars[(0, i)].fillColor = colors.HexColor("#555555")
    chart.barSpacing, chart.groupSpacing = 0, 3
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, group["max_score"]
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = font, 7
    chart.categoryAxis.categoryNames = [r["name"] for r in shown]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = font, 7.5
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.barLabelFormat = "%.2f"
    chart.barLabels.fontName, chart.barLabels.fontSize = font, 6.5
    chart.barLabels.boxAnchor, chart.barLabels.dx = "w", 3
    drawing.add(chart)
    caption = f"图：{group['name']}得分（满分{group['max_score']:g}分）"
    if len(scored) > len(shown):
        caption += f"，共{len(scored)}个单位，图中为前{CHART_MOST // 2}名和后{CHART_MOST // 2}名"
    drawing.add(String(width / 2, 4, caption, fontName=font, fontSize=8, textAnchor="middle"))
    return drawing


def _table(group: dict[str, Any], styles: dict[str, ParagraphStyle], width: float) -> Table:
    cell, left = styles["cell"], styles["cell_left"]
    keys = list(INDICATORS)
    header = [Paragraph(h, cell) for h in ("排名", "单位", "得分", "较上期", "榜单")]
    header += [Paragraph(INDICATORS[k].name, cell) for k in keys] + [Paragraph("督办数", cell)]
    rows: list[list[Any]] = [header]
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, 7.5), ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f0")), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2)]
    for n, row in enumerate(group["ranking"], start=1):
        board = {"red": "红榜", "black": "黑榜"}.get(row.get("board") or "", "")
        rows.append([row["rank"] if row["rank"] is not None else "—", Paragraph(row["name"], left),
                     _score(row["score"]), Paragraph(_movement(row), cell), board]
                    + [_pct(row["indicators"][k]) for k in keys] + [row["counts"].get("urged", 0)])
        if board == "红榜":
            style += [("BACKGROUND", (0, n), (-1, n), RED_ROW), ("TEXTCOLOR", (4, n), (4, n), RED)]
        elif board == "黑榜":
            style += [("BACKGROUND", (0, n), (-1, n), BLACK_ROW)]
    fixed = [10 * mm, 40 * mm, 13 * mm, 14 * mm, 10 * mm]
    rest = (width - sum(fixed)) / (len(keys) + 1)
    table = Table(rows, colWidths=fixed + [rest] * (len(keys) + 1), repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def _definitions(report: dict[str, Any], styles: dict[str, ParagraphStyle], width: float) -> list[Any]:
    cell, left = styles["cell"], styles["def"]
    rows: list[list[Any]] = [[Paragraph(h, cell) for h in ("指标", "定义", "计算方法", "方向", "权重")]]
    for info in report["indicators"].values():
        rows.append([Paragraph(info["name"], left), Paragraph(info["definition"], left),
                     Paragraph(f"{info['numerator']} ÷ {info['denominator']}", left),
                     "越高越好" if info["higher_is_better"] else "越低越好",
                     f"{info['weight']:g}" if info["weight"] else "不计分"])
    table = Table(rows, colWidths=[26 * mm, width - 26 * mm - 62 * mm - 20 * mm - 16 * mm, 62 * mm, 20 * mm, 16 * mm],
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 8.5), ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f0")), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (3, 1), (-1, -1), "CENTER")]))
    weighted = [(info["name"], info["weight"]) for info in report["indicators"].values() if info["weight"]]
    formula = "、".join(f"{name}（权重{weight:g}）" for name, weight in weighted)
    notes = [
        f"得分 = 满分 × Σ(权重 × 指标值) ÷ Σ权重，计分指标为{formula}；越低越好的指标以（1 − 指标值）计。"
        "本期没有数值的指标不计分，其权重由其他计分指标分担。得分相同者名次并列，本期无可考核数据的单位不排名。",
        "红榜为得分最高的单位，黑榜为得分最低的单位（各不超过参加排名单位的一半）。"
        f"“较上期”与{_previous_words(report)}按同一考核办法计算的名次比较：↑为上升、↓为下降，"
        "“新进”为上期未参加排名。",
        f"基本满意按{report['basic_satisfaction_factor']:g}个满意计；{_base_words(report)}",
    ]
    return [table, Spacer(1, 4)] + [Paragraph(f"{i}. {text}", styles["note"]) for i, text in enumerate(notes, 1)]


def _base_words(report: dict[str, Any]) -> str:
    left_out = {"merged": "合并的重复件", "declined": "转办和不予受理件"}
    if not report["exclude_from_base"]:
        return "超期率、督办率的受理量为全部受理诉求。"
    return "超期率、督办率的受理量不含" + "、".join(left_out[x] for x in report["exclude_from_base"]) + "。"


def _previous_words(report: dict[str, Any]) -> str:
    if ".." not in report["previous_period"]:
        year, month = report["previous_period"].split("-")
        return f"上期（{int(year)}年{int(month)}月）"
    return f"上期（{_day(report['previous_from'])}至{_day(report['previous_to'])}）"


def _overall(report: dict[str, Any]) -> str:
    counts, values = report["total"]["counts"], report["total"]["indicators"]
    return (f"{period_words(report)}，{report['tenant_name']}（含下级）共受理群众诉求{counts.get('received', 0)}件，"
            f"办结{counts.get('closed', 0)}件，按时办结率{_pct(values.get('on_time_rate'))}，"
            f"及时签收率{_pct(values.get('sign_rate'))}，满意率{_pct(values.get('satisfaction_rate'))}，"
            f"解决率{_pct(values.get('resolution_rate'))}；督办{counts.get('urged', 0)}件，"
            f"超期{counts.get('overdue', 0)}件，重办{counts.get('reopened', 0)}件。")


def pdf(report: dict[str, Any], issuer: str, issued: date) -> bytes:
    """The 通报 of ``report`` (a ranking) issued by ``issuer`` (the centre's name) on ``issued``, as PDF bytes."""
    font = _font()
    styles = _styles(font)
    page = landscape(A4)
    margin = 15 * mm
    width = page[0] - 2 * margin
    out = io.BytesIO()
    heading = title(report)
    doc = SimpleDocTemplate(out, pagesize=page, leftMargin=margin, rightMargin=margin, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=heading, author=issuer, subject="12345热线考核通报",
                            creator="12345 hotline platform")

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawCentredString(page[0] / 2, 8 * mm, f"{heading}　第 {document.page} 页")
        canvas.restoreState()

    story: list[Any] = [
        Paragraph(issuer, styles["header"]),
        Paragraph(f"{period_words(report)}考核通报" if ".." in report["period"]
                  else f"{report['period'][:4]}年第{int(report['period'][5:])}期", styles["number"]),
        HRFlowable(width="100%", thickness=2, color=RED, spaceBefore=4, spaceAfter=8),
        Paragraph(heading, styles["title"]),
        Paragraph(f"考核期：{_day(report['from'])}至{_until(report, issued)}　　发布单位：{issuer}　　"
                  f"发布日期：{issued.year}年{issued.month}月{issued.day}日", styles["meta"]),
        Spacer(1, 6),
        Paragraph(f"{NUMERALS[0]}、总体情况", styles["h1"]),
        Paragraph(_overall(report), styles["body"]),
    ]
    section = 1
    for group in report["groups"]:
        chart = _chart(group, font, width)
        # The heading, the lists and the chart on one page (the table may run on).
        story += [CondPageBreak(min(35 * mm + (chart.height if chart else 0), page[1] - 40 * mm)),
                  Paragraph(f"{NUMERALS[section]}、{group['name']}考核排名", styles["h1"])]
        section += 1
        if not group["ranking"]:
            story.append(Paragraph("本期无考核对象。", styles["body"]))
            continue
        scored = sum(1 for r in group["ranking"] if r["score"] is not None)
        story += [
            Paragraph(f"参加排名{scored}个单位（满分{group['max_score']:g}分）。", styles["body"]),
            Paragraph(f"<font color='#c8161d'>红榜</font>：{_names(group, group['red_list'])}", styles["body"]),
            Paragraph(f"黑榜：{_names(group, group['black_list'])}", styles["body"]),
        ]
        if chart is not None:
            story += [Spacer(1, 4), KeepTogether([chart]), Spacer(1, 6)]
        story.append(_table(group, styles, width))
    story += [CondPageBreak(70 * mm), Paragraph(f"{NUMERALS[section]}、指标说明", styles["h1"]),
              *_definitions(report, styles, width)]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
