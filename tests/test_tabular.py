"""Facility lists in from .csv and .xlsx: same checks and messages as YAML, positions as ROW:COLUMN."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
from helpers import rows

from emrtrack.cli import app
from emrtrack.model import Reached
from emrtrack.reading.tables import COLUMNS, column_letter
from emrtrack.store import Register


def _facts(db):
    facts = rows(db, "SELECT id, name, aliases, ownership, kind, verified FROM facilities ORDER BY id")
    milestones = rows(db, "SELECT facility_id, milestone, date FROM milestones ORDER BY 1, 2")
    [(changes,)] = rows(db, "SELECT COUNT(*) FROM changes")
    return facts, milestones, changes


def test_column_letters():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_csv_loads_in_one_change_with_counts_and_twice_changes_nothing(small, runner, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "\ufeffid,name,aliases,ownership,kind,managed_by,location,verified,appraised,deployed,annex-signed\r\n"
        "do-luong-general,Bệnh viện Đa khoa Đô Lương,BV Do Luong; Do Luong General,public,hospital,province,"
        "Đô Lương,2025-09-01,,2025-09-03,\r\n"
        "new-clinic,Phòng khám Mới,,non-public,clinic,,,,,,\r\n"
        ",,,,,,,,,,\r\n",
        encoding="utf-8",
    )
    before, before_m, changes = _facts(small)
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Facilities: 1 added, 1 updated, 0 unchanged; 3 in the register but not in these files (kept).\n"
        "Requirements: 0 added, 0 updated.\n"
        "Milestones: 1 recorded.\n"
        f"Recorded as change #{changes + 1}.\n"
    )
    after, after_m, after_changes = _facts(small)
    assert after_changes == changes + 1
    assert (
        "do-luong-general",
        "Bệnh viện Đa khoa Đô Lương",
        '["BV Do Luong", "Do Luong General"]',
        "public",
        "hospital",
        "2025-09-01",
    ) in after
    assert ("new-clinic", "Phòng khám Mới", "[]", "non-public", "clinic", None) in after
    assert len(after) == len(before) + 1
    assert after_m == sorted(before_m + [("do-luong-general", "deployed", "2025-09-03")])
    again = runner.invoke(app, ["load", str(path)])
    assert (
        again.stdout.splitlines()[0]
        == "Facilities: 0 added, 0 updated, 2 unchanged; 3 in the register but not in these files (kept)."
    )
    assert _facts(small)[2] == changes + 1
    # the loaded alias resolves
    shown = runner.invoke(app, ["show", "bv do luong"])
    assert "Bệnh viện Đa khoa Đô Lương" in shown.stdout


def test_csv_problems_are_reported_by_row_and_column_and_nothing_is_written(small, runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,name,ownership,kind,deployed,verified\n"
        "x-1,Bệnh viện X,privat,hospitl,2025-13-01,2025-09-01\n"
        ",Y,public,clinic,,\n"
        "x 3,Z,public,clinic,01/09/2025,2999-01-01\n"
        "thai-an,Thái An,non-public,hospital,,,extra\n"
        "x-1,Again,public,clinic,,\n",
        encoding="utf-8",
    )
    before = _facts(small)
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 1
    p = str(path)
    assert result.stderr.splitlines() == [
        f"emrtrack: {p}:2:C: facility 'x-1': ownership: unknown value 'privat' (expected one of: public, non-public)",
        f"emrtrack: {p}:2:D: facility 'x-1': kind: unknown value 'hospitl' (did you mean 'hospital'?)",
        f"emrtrack: {p}:2:E: facility 'x-1': milestone 'deployed': 2025-13-01 is not a real date",
        f"emrtrack: {p}:3: facility on row 3: missing required field 'id'",
        f"emrtrack: {p}:4:A: facility on row 4: id 'x 3' must be a short slug of letters, digits and - . _ / "
        "(e.g. do-luong-general)",
        f"emrtrack: {p}:4:F: facility on row 4: verified 2999-01-01 is in the future (today is "
        f"{Register.open(small).today()})",
        f"emrtrack: {p}:5: the row has 7 cells but there are 6 column names: a cell holding ',' must be written in "
        "double quotes (save the file from a spreadsheet program)",
        f"emrtrack: {p}:6: facility 'x-1': the id is used twice (first at {p}:2)",
    ]
    assert _facts(small) == before


def test_duplicate_ids_across_yaml_and_csv_are_caught(small, runner, tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,name,ownership,kind\nnew-1,A,public,clinic\nnew-1,B,public,clinic\n", encoding="utf-8")
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 1
    assert result.stderr == f"emrtrack: {path}:3: facility 'new-1': the id is used twice (first at {path}:2)\n"


def test_header_problems(small, runner, tmp_path):
    cases = {
        "id,name,owner,kind\n": "1:C: unknown column 'owner' (did you mean 'ownership'?)",
        "id,name,ownership,kind,name\n": "1:E: column 'name' is given twice (first in column B)",
        "id,name,kind\n": f"1: missing column 'ownership': the first row must name the columns ({', '.join(COLUMNS)})",
        "": f"1: the file is empty: the first row must name the columns ({', '.join(COLUMNS)})",
    }
    for text, message in cases.items():
        path = tmp_path / "h.csv"
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(app, ["load", str(path)])
        assert result.exit_code == 1
        assert result.stderr == f"emrtrack: {path}:{message}\n"
    # loose spelling of a header is accepted
    path = tmp_path / "loose.csv"
    path.write_text(
        "ID,Name,Ownership,Kind,Annex Signed,managed-by\nz-1,Z,public,clinic,2025-08-01,province\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 0, result.stderr
    assert Register.open(small).milestones("z-1") == {"annex-signed": Reached(date(2025, 8, 1))}


def test_not_utf8_and_not_a_spreadsheet(small, runner, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(
        "id,name,ownership,kind\nx,Bệnh viện,public,clinic\n".encode("cp1258", errors="replace").replace(b"?", b"\xe9")
    )
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"emrtrack: {path}:2: the file is not UTF-8 text")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip", encoding="utf-8")
    result = runner.invoke(app, ["load", str(fake)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"emrtrack: {fake}:1: not a readable .xlsx spreadsheet (")


def test_template_xlsx_filled_in_and_loaded(small, runner, tmp_path):
    path = tmp_path / "t.xlsx"
    result = runner.invoke(app, ["template", "--format", "xlsx", "--output", str(path)])
    assert result.exit_code == 0
    assert result.stderr == f"Wrote {path}.\n"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Facilities", "Help"]
    ws = wb["Facilities"]
    assert [c.value for c in ws[1]] == list(COLUMNS)
    assert ws.freeze_panes == "A2"
    assert [r[0] for r in wb["Help"].iter_rows(min_row=2, values_only=True)] == list(COLUMNS)
    assert {dv.formula1 for dv in ws.data_validations.dataValidation} == {
        '"public,non-public"',
        '"hospital,medical-centre,specialised-centre,clinic,other"',
    }
    ws.append(
        [
            "xl-1",
            "Trung tâm Y tế Quỳ Hợp",
            "TTYT Quy Hop",
            "public",
            "medical-centre",
            None,
            None,
            datetime(2025, 9, 1),
            None,
            datetime(2025, 9, 2),
            None,
        ]
    )
    ws.append(
        ["xl-2", "Bệnh viện Z", None, "public", "hospital", None, None, None, None, datetime(2025, 9, 2, 10, 30), None]
    )
    wb.save(path)
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"emrtrack: {path}:3:J: facility 'xl-2': milestone 'deployed': 2025-09-02 10:30:00 has a time of day: "
        "write the date alone\n"
    )
    wb = openpyxl.load_workbook(path)
    wb["Facilities"]["J3"] = datetime(2025, 9, 2)
    wb.save(path)
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 0, result.stderr
    assert (
        result.stdout.splitlines()[0]
        == "Facilities: 2 added, 0 updated, 0 unchanged; 4 in the register but not in these files (kept)."
    )
    register = Register.open(small)
    assert register.facility("xl-1").aliases == ("TTYT Quy Hop",)
    assert register.facility("xl-1").verified == date(2025, 9, 1)
    assert register.milestones("xl-2") == {"deployed": Reached(date(2025, 9, 2))}


def test_template_csv(runner, tmp_path):
    path = tmp_path / "t.csv"
    assert runner.invoke(app, ["template", "-o", str(path)]).exit_code == 0
    assert path.read_bytes() == ("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8")
    bad = runner.invoke(app, ["template", "-o", str(tmp_path / "t.txt")])
    assert bad.exit_code == 2
    assert bad.stderr == "emrtrack: give --format xlsx or csv, or an --output file ending in .xlsx or .csv\n"


def test_csv_saved_with_semicolons_by_a_vietnamese_spreadsheet_loads_the_same(small, runner, tmp_path):
    comma, semi = tmp_path / "comma.csv", tmp_path / "semi.csv"
    comma.write_text(
        'id,name,ownership,kind,deployed\npk-1,"Phòng khám A, cơ sở 2",non-public,clinic,2025-08-20\n', encoding="utf-8"
    )
    semi.write_text(
        "id;name;ownership;kind;deployed\npk-1;Phòng khám A, cơ sở 2;non-public;clinic;2025-08-20\n", encoding="utf-8"
    )
    from datetime import date

    from emrtrack.reading import read_files

    a, b = read_files([comma], date(2026, 1, 1)), read_files([semi], date(2026, 1, 1))
    assert [(e.facility, e.milestones) for e in a.facilities] == [(e.facility, e.milestones) for e in b.facilities]
    assert b.facilities[0].facility.name == "Phòng khám A, cơ sở 2"


def test_a_facility_list_with_no_row_is_refused_like_an_empty_yaml_file(small, runner, tmp_path):
    path = tmp_path / "facilities.csv"
    result = runner.invoke(app, ["template", "--format", "csv", "--output", str(path)])
    assert result.exit_code == 0
    loaded = runner.invoke(app, ["load", str(path)])
    assert loaded.exit_code == 1
    assert loaded.stderr == f"emrtrack: {path}:2: the file lists no facility: fill in a row under the column names\n"
