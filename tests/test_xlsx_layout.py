"""Spreadsheets as a user opens and prints them: header-block values wide enough to show (no ###), one page
wide in landscape A4 with the table's header on every page, names beginning with = + - @ as plain text, and
no empty column. Each file is written by the command line and opened again with openpyxl."""

from __future__ import annotations

import math
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from emrtrack.cli import app

FORMULA_NAMES = {
    "plus-clinic": "+84 Phòng khám Đa khoa Sài Gòn",
    "equals-hospital": "=1+1 Bệnh viện Đa khoa",
    "minus-station": "-Trạm y tế xã Nghi Phú",
    "at-clinic": "@Phòng khám Hoàn Mỹ",
    "cmd-clinic": '=HYPERLINK("http://x","y") Phòng khám',
}


def _write(runner: Any, tmp_path: Path, name: str, *args: str) -> openpyxl.Workbook:
    out = tmp_path / name
    result = runner.invoke(app, [*args, "-f", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(out)


def _table_header_row(ws: Any) -> int:
    """The row of the (first) table's header: the first row with a value in its third column."""
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=3).value is not None)


def _shown_width(cell: Any) -> int:
    """Characters the cell shows: a date as its number format writes it."""
    if cell.is_date:
        return len(cell.number_format.replace("\\", ""))
    return len(str(cell.value))


def _room(ws: Any, cell: Any) -> float:
    """The width the cell has: its column's, or its merged range's."""
    first = last = cell.column
    for merged in ws.merged_cells.ranges:
        if cell.coordinate in merged:
            first, last = merged.min_col, merged.max_col
    return sum(ws.column_dimensions[get_column_letter(c)].width for c in range(first, last + 1))


def _check_header_block_fits(ws: Any) -> int:
    """Every value above the table fits its (merged) cell, or wraps in a row tall enough; a date shows whole
    on one line. The number of header-block values checked."""
    checked = 0
    for row in ws.iter_rows(min_row=1, max_row=_table_header_row(ws) - 1):
        for cell in row:
            if cell.value is None or type(cell).__name__ == "MergedCell":
                continue
            width, room = _shown_width(cell), _room(ws, cell)
            if cell.is_date or isinstance(cell.value, (int, float)):
                assert width + 1 <= room, (ws.title, cell.coordinate, cell.value, room)
            elif width > room:
                assert cell.alignment.wrap_text, (ws.title, cell.coordinate)
                lines = math.ceil(width / (room - 2))
                assert ws.row_dimensions[cell.row].height >= 15 * lines
            checked += 1
    return checked


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_header_block_values_fit_their_columns(shipped_db, runner, tmp_path, lang):
    for as_of in ("2025-09-01", "2025-10-01"):
        report = _write(runner, tmp_path, "r.xlsx", "report", "-r", "all", "--as-of", as_of, "--lang", lang)
        status = _write(runner, tmp_path, "s.xlsx", "status", "--as-of", as_of, "--lang", lang)
        for ws in [*report.worksheets, *status.worksheets]:
            assert _check_header_block_fits(ws) >= 5
            # the dates of the header block are real dates, in the sheet's date format
            block = [c for r in ws.iter_rows(max_row=_table_header_row(ws) - 1) for c in r if c.value is not None]
            dates = [c for c in block if c.is_date]
            assert len(dates) >= 2
            fmt = "dd/mm/yyyy" if lang == "vi" else "yyyy-mm-dd"
            assert {d.number_format for d in dates} <= {fmt, fmt + " hh:mm"}
            assert {d.column for d in dates} == {2}  # beside their labels, not in a narrow column of the table


def test_header_block_dates_are_not_in_the_narrow_number_column(shipped_db, runner, tmp_path):
    ws = _write(runner, tmp_path, "r.xlsx", "report", "--as-of", "2025-09-01").active
    header = _table_header_row(ws)
    assert ws.cell(row=header, column=2).value == "#"
    assert ws.column_dimensions["B"].width == 6  # the row number's column stays narrow...
    as_of = next(r for r in range(1, header) if ws.cell(row=r, column=1).value == "As of")
    assert ws.cell(row=as_of, column=2).value == datetime(2025, 9, 1)
    # ...and the date beside "As of" spans the table's width
    last = get_column_letter(max(c.column for c in ws[header] if c.value is not None))
    assert f"B{as_of}:{last}{as_of}" in {str(m) for m in ws.merged_cells.ranges}
    assert ws.cell(row=as_of, column=2).alignment.horizontal == "left"


def test_a_long_title_wraps_in_a_row_tall_enough(runner, tmp_path, monkeypatch):
    title = "Về việc đẩy nhanh tiến độ triển khai Bệnh án điện tử " * 8
    db = _load(tmp_path, monkeypatch, runner, _register(title=title.strip()))
    assert db.exists()
    ws = _write(runner, tmp_path, "r.xlsx", "report", "--as-of", "2025-09-01").active
    (cell,) = [r[1] for r in ws.iter_rows(max_row=5) if r[0].value == "Title"]
    assert cell.value == title.strip()
    assert cell.alignment.wrap_text
    assert ws.row_dimensions[cell.row].height > 15
    _check_header_block_fits(ws)


def _check_print_layout(ws: Any, header_row: int) -> None:
    setup = ws.page_setup
    assert setup.orientation == "landscape"
    assert int(setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
    assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == f"${header_row}:${header_row}"


def test_every_sheet_prints_one_page_wide_in_landscape_a4_with_its_header_repeated(shipped_db, runner, tmp_path):
    report = _write(runner, tmp_path, "r.xlsx", "report", "-r", "all", "--as-of", "2025-10-01")
    assert len(report.worksheets) == 2
    status = _write(runner, tmp_path, "s.xlsx", "status", "--as-of", "2025-10-01")
    for ws in [*report.worksheets, *status.worksheets]:
        header = _table_header_row(ws)
        assert ws.cell(row=header, column=1).value in ("Ownership", "Requirement")
        assert ws.freeze_panes == f"A{header + 1}"
        _check_print_layout(ws, header)


def test_an_empty_report_still_prints_in_landscape(runner, tmp_path, monkeypatch):
    _load(tmp_path, monkeypatch, runner, _register())
    wb = _write(runner, tmp_path, "r.xlsx", "report", "--overdue", "--as-of", "2025-07-10")
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True


def _register(title: str = "Đẩy nhanh tiến độ", names: dict[str, str] = FORMULA_NAMES) -> str:
    facilities = "".join(
        f'  - id: {fid}\n    name: "{name.replace(chr(34), chr(92) + chr(34))}"\n    ownership: non-public\n'
        "    kind: clinic\n"
        for fid, name in names.items()
    )
    return (
        'register:\n  name: "=Sổ theo dõi"\n  timezone: Asia/Ho_Chi_Minh\nrequirements:\n'
        f'  - id: 2898/SYT-VP\n    title: "{title}"\n    issued: 2025-07-09\n    deadline: 2025-08-31\n'
        f"    default: true\nfacilities:\n{facilities}"
    )


def _load(tmp_path: Path, monkeypatch: Any, runner: Any, text: str) -> Path:
    path = tmp_path / "formula.yaml"
    path.write_text(text, encoding="utf-8")
    db = tmp_path / "formula.db"
    monkeypatch.setenv("EMRTRACK_DB", str(db))
    from emrtrack.store import Register

    Register.open(db).close()  # an empty register: not filled with the shipped data
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 0, result.output
    return db


def test_names_beginning_like_a_formula_are_plain_text_without_an_apostrophe(runner, tmp_path, monkeypatch):
    _load(tmp_path, monkeypatch, runner, _register())
    out = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["report", "--as-of", "2025-09-01", "-f", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out).active
    header = _table_header_row(ws)
    column = [c.value for c in ws[header]].index("Facility") + 1
    cells = [ws.cell(row=r, column=column) for r in range(header + 1, ws.max_row + 1)]
    assert sorted(c.value for c in cells) == sorted(FORMULA_NAMES.values())
    for c in cells:
        assert c.data_type == "s", c.value
        assert not c.value.startswith("'")
        assert c.quotePrefix  # as Excel marks text typed after an apostrophe: kept as text if edited
    # the register's name (a header-block value) is text too
    assert ws["A1"].value == "=Sổ theo dõi" and ws["A1"].data_type == "s"
    # no formula anywhere in the file: every such cell is stored as a string
    with zipfile.ZipFile(out) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml
    for name in FORMULA_NAMES.values():
        escaped = name.replace("&", "&amp;").replace('"', "&quot;")
        assert re.search(rf"<t[^>]*>{re.escape(escaped)}</t>", xml) or re.search(
            rf"<t[^>]*>{re.escape(name)}</t>", xml
        ), name


def _non_empty_columns(rows: list[tuple[Any, ...]], width: int) -> list[int]:
    return [i for i in range(width) if any(i < len(r) and r[i] not in (None, "") for r in rows)]


def _tables(ws: Any) -> list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """The tables of a sheet below its header block, each as (header, rows): blocks of rows with values in more
    than two columns, separated by blank rows (a note on a line of its own is no table)."""
    rows = list(ws.iter_rows(min_row=_table_header_row(ws), values_only=True))
    tables: list[list[tuple[Any, ...]]] = [[]]
    for r in rows:
        if sum(v is not None for v in r) > 2:
            tables[-1].append(r)
        elif tables[-1]:
            tables.append([])
    return [(t[0], t[1:]) for t in tables if t]


@pytest.mark.parametrize("as_of", ["2025-07-10", "2025-09-01", "2025-10-01", "2026-06-30"])
def test_no_column_of_the_status_sheet_is_empty_below_its_header(shipped_db, runner, tmp_path, as_of):
    ws = _write(runner, tmp_path, "s.xlsx", "status", "--as-of", as_of).active
    tables = _tables(ws)
    assert len(tables) == 2
    for header, rows in tables:
        width = max(i + 1 for i, v in enumerate(header) if v is not None)
        assert None not in header[:width], header
        assert rows
        assert _non_empty_columns(rows, width) == list(range(width)), (as_of, header)
    below = list(ws.iter_rows(min_row=_table_header_row(ws) + 1, values_only=True))
    assert _non_empty_columns(below, ws.max_column) == list(range(ws.max_column))


def test_a_report_has_the_same_columns_whatever_the_data(shipped_db, runner, tmp_path):
    """Reports of different dates compare column for column: a column is kept where no facility has a value
    (only the source of a date known as a bound is added where some facility needs it)."""

    def header(as_of: str) -> list[Any]:
        ws = _write(runner, tmp_path, "r.xlsx", "report", "--as-of", as_of).active
        return [c.value for c in ws[_table_header_row(ws)]]

    before, after = header("2025-09-01"), header("2025-10-01")  # none deployed yet; all deployed, none overdue
    assert [h for h in after if h not in ("Reached", "Source")] == before
    assert {"Days overdue", "Latest milestone", "Milestone date"} <= set(before)


def test_date_cells_are_counted_at_their_shown_width(shipped_db, runner, tmp_path):
    ws = _write(runner, tmp_path, "s.xlsx", "status", "--as-of", "2025-10-01").active
    header = _table_header_row(ws)
    deadline = [c.value for c in ws[header]].index("Deadline") + 1
    cell = ws.cell(row=header + 1, column=deadline)
    assert isinstance(cell.value, (date, datetime)) and cell.number_format == "yyyy-mm-dd"
    assert ws.column_dimensions[get_column_letter(deadline)].width >= len("yyyy-mm-dd") + 2
