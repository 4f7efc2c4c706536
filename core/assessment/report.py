"""The monthly report (月度考核通报) as XLSX and as a printable HTML document, and the raw CSV table.

All three are drawn from one ranking (``service.ranking``), so they always agree with the API.
"""

from __future__ import annotations

import csv
import html
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill

from core.assessment.indicators import INDICATORS
from core.orders.facts import COUNTERS
from infra.spreadsheet import csv_row, text_only

RED = PatternFill("solid", fgColor="FDE2E1")
GREEN = PatternFill("solid", fgColor="E3F4E1")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _header() -> list[str]:
    return ["排名 rank", "单位 unit", "代码 id", "得分 score"] + [i.name for i in INDICATORS.values()]


# The workbook's columns after the score: where the unit stood the period before (较上期).
MOVEMENT_HEADER = ["上期排名", "名次变化", "得分变化", "榜单"]
MOVEMENT_WORDS = {"up": "上升", "down": "下降", "same": "持平", "new": "新进", "unranked": "本期无排名"}


def _movement_cells(row: dict[str, Any]) -> list[Any]:
    change = row.get("rank_change")
    words = MOVEMENT_WORDS.get(row.get("movement") or "", "")
    if change:
        words = f"{words} {abs(change)} 位"
    return [row.get("previous_rank"), words, row.get("score_change"),
            {"red": "红榜", "black": "黑榜"}.get(row.get("board") or "", "")]


def _line(row: dict[str, Any]) -> list[Any]:
    return [row["rank"], row["name"], row["id"], row["score"]] + [row["indicators"][k] for k in INDICATORS]


def xlsx(report: dict[str, Any]) -> bytes:
    """One sheet per group with the ranking, red/black lists shaded and a chart of the scores; one
    sheet of the definitions."""
    book = Workbook()
    book.remove(book.active)
    for group in report["groups"]:
        sheet = book.create_sheet(group["group"])
        sheet.append([f"{report.get('tenant_name') or report['tenant']} 考核通报 {report['period']} — "
                      f"{group['name']} (满分 {group['max_score']})；较上期 {report.get('previous_period', '')}"])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append(_header()[:4] + MOVEMENT_HEADER + _header()[4:])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in group["ranking"]:
            line = _line(row)
            sheet.append(line[:4] + _movement_cells(row) + line[4:])
            fill = RED if row["id"] in group["black_list"] else GREEN if row["id"] in group["red_list"] else None
            if fill:
                for cell in sheet[sheet.max_row]:
                    cell.fill = fill
        first = 5 + len(MOVEMENT_HEADER)
        for column in sheet.iter_cols(min_col=first, max_col=first - 1 + len(INDICATORS), min_row=3):
            for cell in column:
                cell.number_format = "0.0%"
        if group["ranking"]:
            chart = BarChart()
            chart.title, chart.y_axis.title = "得分 score", "score"
            last = 2 + len(group["ranking"])
            chart.add_data(Reference(sheet, min_col=4, min_row=2, max_row=last), titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=2, min_row=3, max_row=last))
            sheet.add_chart(chart, f"B{last + 3}")
    notes = book.create_sheet("定义 definitions")
    notes.append(["指标 indicator", "key", "越高越好 higher is better", "权重 weight", "定义 definition"])
    for key, indicator in INDICATORS.items():
        notes.append([indicator.name, key, indicator.higher_is_better, report["weights"].get(key, 0),
                      report.get("indicators", {}).get(key, {}).get("definition", indicator.definition)])
    notes.append(["基本满意折算 basic satisfaction factor", report["basic_satisfaction_factor"]])
    text_only(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_table(report: dict[str, Any]) -> str:
    """The raw indicator table: every assessed unit's counters and rates, one line each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["period", "group", "kind", "id", "name", "rank", "score", *COUNTERS, *INDICATORS])
    for group in report["groups"]:
        for row in group["ranking"]:
            writer.writerow(csv_row([
                report["period"], group["group"], row["kind"], row["id"], row["name"], row["rank"], row["score"],
                *(row["counts"].get(c, 0) for c in COUNTERS),
                *("" if row["indicators"][k] is None else row["indicators"][k] for k in INDICATORS)]))
    return out.getvalue()


def _bars(rows: list[dict[str, Any]], max_score: float) -> str:
    """A horizontal bar chart of the scores, as inline SVG (prints without scripts or images)."""
    scored = [r for r in rows if r["score"] is not None]
    height = 22 * len(scored) + 10
    bars = []
    for i, row in enumerate(scored):
        width = 360 * row["score"] / max_score if max_score else 0
        y = 5 + 22 * i
        bars.append(f'<text x="0" y="{y + 14}" font-size="12">{html.escape(row["name"])}</text>'
                    f'<rect x="170" y="{y}" width="{width:.1f}" height="16" fill="#3b7dd8"/>'
                    f'<text x="{175 + width:.1f}" y="{y + 13}" font-size="11">{row["score"]}</text>')
    return f'<svg width="600" height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg>'


def html_document(report: dict[str, Any], tenant_name: str) -> str:
    """The printable report: title, totals, each group's ranking with its chart, the red and black lists."""
    esc = html.escape
    total = report["total"]["indicators"]
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{esc(tenant_name)} 12345 热线考核通报 {esc(report['period'])}</title>",
        "<style>body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em}"
        "table{border-collapse:collapse;font-size:12px;margin:1em 0}td,th{border:1px solid #999;padding:3px 6px}"
        "tr.red{background:#e3f4e1}tr.black{background:#fde2e1}h2{page-break-before:always}"
        "h2:first-of-type{page-break-before:auto}@page{size:A4 landscape;margin:12mm}</style></head><body>",
        f"<h1>{esc(tenant_name)} 12345 热线考核通报</h1>",
        f"<p>考核期 period: {esc(report['from'])} — {esc(report['to'])}；考核办法 settings: "
        f"{esc(report['settings_from'])}</p>",
        "<table><tr>" + "".join(f"<th>{esc(i.name)}</th>" for i in INDICATORS.values()) + "</tr><tr>"
        + "".join(f"<td>{_pct(total[k])}</td>" for k in INDICATORS) + "</tr></table>",
    ]
    for group in report["groups"]:
        names = {r["id"]: r["name"] for r in group["ranking"]}
        parts += [
            f"<h2>{esc(group['name'])}（满分 {group['max_score']}）</h2>",
            "<p>红榜 red list: " + esc("、".join(names[i] for i in group["red_list"]) or "—")
            + "；黑榜 black list: " + esc("、".join(names[i] for i in group["black_list"]) or "—") + "</p>",
            _bars(group["ranking"], group["max_score"]),
            "<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in _header()) + "</tr>",
        ]
        for row in group["ranking"]:
            css = "black" if row["id"] in group["black_list"] else "red" if row["id"] in group["red_list"] else ""
            cells = [row["rank"] if row["rank"] is not None else "—", esc(row["name"]), esc(row["id"]),
                     row["score"] if row["score"] is not None else "—"]
            cells += [_pct(row["indicators"][k]) for k in INDICATORS]
            parts.append(f"<tr class='{css}'>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)
