"""Dates as they are written: dd/mm/yyyy and d/m/yyyy besides YYYY-MM-DD on the command line and in CSV and
XLSX facility lists; dates out of the range the tool takes; a mark years before any requirement."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from helpers import rows, run, table_hash

from emrtrack.model import Reached
from emrtrack.reading.entries import LoadedFiles
from emrtrack.reading.tables import _header, _plain_entry, _row_node, _TableReader, read_table
from emrtrack.store import Register

pytestmark = pytest.mark.usefixtures("dispatch_day_db")

ORDER = "is not a date: write it day/month/year (31/12/2025) or YYYY-MM-DD"
RANGE = "is out of range: give a date from 2000-01-01 to 2100-12-31"


def _error(command: str, option: str, message: str, usage: str = "[OPTIONS]") -> str:
    return (
        f"Usage: emrtrack {command} {usage}\nTry 'emrtrack {command} -h' for help.\n\n"
        f"Error: Invalid value for '{option}': {message}\n"
    )


# -- the command line -------------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["2025-09-01", "01/09/2025", "1/9/2025", "01/9/2025", " 1/09/2025 "])
def test_as_of_is_read_day_first_as_written(written: str) -> None:
    r = run("status", "--as-of", written)
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout.startswith("Nghệ An EMR register: status as of 2025-09-01")


def test_as_of_day_first_in_vietnamese_too() -> None:
    r = run("--lang", "vi", "status", "--as-of", "1/9/2025")
    assert (r.exit_code, r.stderr) == (0, "")
    assert "01/09/2025" in r.stdout.splitlines()[0]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("13/31/2025", f"'13/31/2025' {ORDER}"),
        ("2025/09/01", f"'2025/09/01' {ORDER}"),
        ("1.9.2025", f"'1.9.2025' {ORDER}"),
        ("1/9/25", f"'1/9/25' {ORDER}"),
        ("yesterday", f"'yesterday' {ORDER}"),
        ("31/02/2025", "31/02/2025 is not a real date"),
        ("2025-13-45", "2025-13-45 is not a real date"),
        ("0001-01-01", f"'0001-01-01' {RANGE}"),
        ("31/12/1999", f"'31/12/1999' {RANGE}"),
        ("2101-01-01", f"'2101-01-01' {RANGE}"),
    ],
)
def test_as_of_refused_in_one_line(written: str, message: str) -> None:
    r = run("status", "--as-of", written)
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == _error("status", "--as-of", message)


def test_as_of_at_the_ends_of_the_range() -> None:
    for written in ("2000-01-01", "31/12/2100"):
        assert run("status", "--as-of", written).exit_code == 0


def test_as_of_refused_in_vietnamese_says_the_order() -> None:
    r = run("--lang", "vi", "status", "--as-of", "13/31/2025")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1].startswith("Lỗi: Giá trị không hợp lệ cho '--as-of': '13/31/2025' ")


def test_due_within_has_a_bound() -> None:
    r = run("report", "--due-within", "99999999")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == _error("report", "--due-within", "99999999 is not in the range 0<=x<=36500.")
    r = run("--lang", "vi", "report", "--due-within", "36501")
    assert r.exit_code == 2 and "36501" in r.stderr.splitlines()[-1] and "is not" not in r.stderr
    assert run("report", "--due-within", "36500", "--as-of", "31/12/2100").exit_code == 0


@pytest.mark.parametrize("option", ["--on", "--on-or-before"])
def test_mark_reads_day_first(dispatch_day_db: Path, option: str) -> None:
    r = run("mark-deployed", "do luong", option, "20/8/2025")
    assert (r.exit_code, r.stderr) == (0, "")
    assert rows(dispatch_day_db, "SELECT date FROM milestones") == [("2025-08-20",)]


@pytest.mark.parametrize("option", ["--on", "--on-or-before"])
def test_mark_refuses_bad_dates(dispatch_day_db: Path, option: str) -> None:
    before = table_hash(dispatch_day_db)
    usage = "[OPTIONS] [FACILITY...]"
    for written, message in (
        ("13/31/2025", f"'13/31/2025' {ORDER}"),
        ("0001-01-01", f"'0001-01-01' {RANGE}"),
        ("1/1/1999", f"'1/1/1999' {RANGE}"),
    ):
        r = run("mark-deployed", "do luong", option, written, "--correct")
        assert (r.exit_code, r.stdout) == (2, "")
        assert r.stderr == _error("mark-deployed", option, message, usage)
    assert table_hash(dispatch_day_db) == before


def test_mark_long_before_the_earliest_requirement_needs_yes(dispatch_day_register: Register) -> None:
    from emrtrack.errors import UsageError
    from emrtrack.service import commands

    with pytest.raises(UsageError) as caught:
        commands.plan_mark(dispatch_day_register, ["do luong"], "deployed", on=date(2005, 8, 20))
    assert str(caught.value) == (
        "2005-08-20 is more than five years before the earliest requirement (13/2025/TT-BYT, issued 2025-06-06): "
        "if that is the date meant, give --yes"
    )
    plan = commands.plan_mark(dispatch_day_register, ["do luong"], "deployed", on=date(2005, 8, 20), confirmed=True)
    assert plan.reached == Reached(date(2005, 8, 20))
    # five years exactly is still taken without asking
    plan = commands.plan_mark(dispatch_day_register, ["do luong"], "deployed", on=date(2020, 6, 6))
    assert plan.reached == Reached(date(2020, 6, 6))
    with pytest.raises(UsageError):
        commands.plan_mark(dispatch_day_register, ["do luong"], "deployed", on=date(1999, 12, 31), confirmed=True)
    with pytest.raises(UsageError):
        commands.status(dispatch_day_register, as_of=date(1, 1, 1))


def test_mark_long_before_refused_on_the_command_line(dispatch_day_db: Path) -> None:
    before = table_hash(dispatch_day_db)
    r = run("mark-deployed", "do luong", "--on", "20/08/2005")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == (
        "emrtrack: 2005-08-20 is more than five years before the earliest requirement (13/2025/TT-BYT, issued "
        "2025-06-06): if that is the date meant, give --yes\n"
    )
    assert table_hash(dispatch_day_db) == before


# -- facility lists ---------------------------------------------------------------------------------
HEADER = ["id", "name", "ownership", "kind", "verified", "deployed", "deployed_on_or_before"]
TODAY = date(2025, 9, 30)


def _csv(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "list.csv"
    path.write_text("\n".join([",".join(HEADER), *lines]) + "\n", encoding="utf-8")
    return path


def _xlsx(tmp_path: Path, data: list[list[object]]) -> Path:
    path = tmp_path / "list.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in data:
        ws.append(row)
    wb.save(path)
    return path


def _read(path: Path) -> tuple[LoadedFiles, list[str]]:
    out = LoadedFiles()
    return out, [str(p) for p in read_table(path, TODAY, out)]


GOOD = [
    ["a", "A", "public", "hospital", "1/9/2025", "20/08/2025", None],
    ["b", "B", "public", "hospital", "2025-09-01", "2/8/2025", None],
    ["c", "C", "public", "hospital", None, None, "24/09/2025"],
]


def _check_good(out: LoadedFiles, problems: list[str]) -> None:
    assert problems == []
    got = {e.facility.id: (e.facility.verified, e.milestones) for e in out.facilities}
    assert got == {
        "a": (date(2025, 9, 1), {"deployed": Reached(date(2025, 8, 20))}),
        "b": (date(2025, 9, 1), {"deployed": Reached(date(2025, 8, 2))}),
        "c": (None, {"deployed": Reached(date(2025, 9, 24), exact=False)}),
    }


def test_csv_dates_as_written(tmp_path: Path) -> None:
    path = _csv(tmp_path, [",".join(c or "" for c in row) for row in GOOD])
    _check_good(*_read(path))


def test_xlsx_text_and_date_cells(tmp_path: Path) -> None:
    data: list[list[object]] = [list(r) for r in GOOD]
    data[1][5] = datetime(2025, 8, 2)  # a date cell
    data[1][4] = date(2025, 9, 1)
    _check_good(*_read(_xlsx(tmp_path, data)))


BAD_ROWS = [
    ["a", "A", "public", "hospital", "13/31/2025", None, None],
    ["b", "B", "public", "hospital", None, "31/02/2025", None],
    ["c", "C", "public", "hospital", None, None, "2025/09/24"],
    ["d", "D", "public", "hospital", None, "01/01/1999", None],
    ["e", "E", "public", "hospital", None, "1-9-2025", None],
    ["f", "F", "public", "hospital", None, "1/10/2025", None],
]


def _bad_problems(path: Path) -> list[str]:
    return [
        f"{path}:2:E: facility 'a': verified: '13/31/2025' {ORDER}",
        f"{path}:3:F: facility 'b': milestone 'deployed': 31/02/2025 is not a real date",
        f"{path}:4:G: facility 'c': milestone 'deployed': on_or_before: '2025/09/24' {ORDER}",
        f"{path}:5:F: facility 'd': milestone 'deployed' is dated 1999-01-01, before 2000-01-01: check the year",
        f"{path}:6:F: facility 'e': milestone 'deployed': '1-9-2025' {ORDER}",
        f"{path}:7:F: facility 'f': milestone 'deployed' is dated 2025-10-01, in the future (today is 2025-09-30)",
    ]


def test_csv_refuses_other_dates_by_row_and_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, [",".join(c or "" for c in row) for row in BAD_ROWS])
    assert _read(path)[1] == _bad_problems(path)


def test_xlsx_refuses_other_dates_by_row_and_column(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [list(r) for r in BAD_ROWS])
    assert _read(path)[1] == _bad_problems(path)


def test_xlsx_date_cell_before_2000_is_refused(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [["a", "A", "public", "hospital", date(1999, 1, 1), datetime(1999, 12, 31), None]])
    assert _read(path)[1] == [
        f"{path}:2:F: facility 'a': milestone 'deployed' is dated 1999-12-31, before 2000-01-01: check the year"
    ]


def test_load_csv_with_dates_as_written(tmp_path: Path, dispatch_day_db: Path) -> None:
    path = _csv(tmp_path, ["z-1,Z,public,hospital,1/9/2025,20/8/2025,", "z-2,Y,public,hospital,13/31/2025,,"])
    r = run("load", str(path))
    assert r.exit_code == 1
    assert r.stderr == f"emrtrack: {path}:3:E: facility 'z-2': verified: '13/31/2025' {ORDER}\n"
    path = _csv(tmp_path, ["z-1,Z,public,hospital,1/9/2025,20/8/2025,"])
    assert run("load", str(path)).exit_code == 0
    assert rows(dispatch_day_db, "SELECT date FROM milestones") == [("2025-08-20",)]


@pytest.mark.parametrize(
    "cells",
    [
        ["a", "A", "public", "hospital", "1/9/2025", "20/8/2025", None],
        ["a", "A", "public", "hospital", "01/09/2025", "1/1/2000", None],
        ["a", "A", "public", "hospital", "1/1/1999", "2025-08-20", None],
        ["a", "A", "public", "hospital", None, "31/12/1999", None],
        ["a", "A", "public", "hospital", None, "31/02/2025", None],
        ["a", "A", "public", "hospital", None, "13/31/2025", None],
        ["a", "A", "public", "hospital", None, "1/10/2025", None],
    ],
)
def test_plain_rows_agree_with_the_reader(cells: list[str | None]) -> None:
    columns, _problems = _header("x.csv", HEADER)
    plain = _plain_entry("x.csv", 2, cells, columns, TODAY)
    reader = _TableReader("x.csv", TODAY)
    node = _row_node("x.csv", 2, cells, columns, [])
    assert node is not None
    checked = reader.facility(node, 2)
    if cells[4] in ("1/9/2025", "01/09/2025"):
        assert plain is not None  # dates as written keep to the fast path
    if plain is None:
        return  # the reader decides (and explains)
    assert checked is not None and not reader.problems
    assert (plain.facility, plain.milestones) == (checked.facility, checked.milestones)
