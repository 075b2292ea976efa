"""Facility lists as they arrive from districts: spreadsheets saved by hand or by other programs, hostile ones
too. Every refusal is one line naming the file and the cell, exit 1, the register unchanged."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
from helpers import rows, run, table_hash

from emrtrack.reading import tables

HEADER = ["id", "name", "aliases", "ownership", "kind", "managed_by", "location", "verified", "appraised", "deployed"]
ROW = ["x-1", "Bệnh viện X", None, "public", "hospital", None, None, None, None, "20/08/2025"]
SAVE_AS = (
    "which emrtrack does not read: open it in a spreadsheet program and save it as .xlsx (Excel Workbook) or as "
    "CSV UTF-8"
)


def _xlsx(path: Path, *sheet_rows: list, title: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title is not None:
        ws.title = title
    for r in sheet_rows:
        ws.append(r)
    wb.save(path)
    return path


def _rewrite(path: Path, member: str, edit, added: dict[str, bytes] | None = None) -> None:
    """The .xlsx at `path` with one part replaced by `edit(its bytes)`, and the parts `added`."""
    with zipfile.ZipFile(path) as z:
        parts = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    parts += list((added or {}).items())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            z.writestr(name, edit(data) if name == member else data)


def _refused(path: Path, *args: str) -> str:
    """Load `path` into the small register, expecting a refusal that changes nothing: stderr."""
    db = Path(os.environ["EMRTRACK_DB"])
    before = table_hash(db)
    r = run("load", str(path), *args)
    assert r.exit_code == 1, r.stdout
    assert r.stdout == ""
    assert table_hash(db) == before
    return r.stderr


def _loaded(path: Path, *args: str):
    r = run("load", str(path), *args)
    assert r.exit_code == 0, r.stderr
    return r


def _facility(db: Path, fid: str) -> list[tuple]:
    return rows(db, "SELECT id, name, ownership, kind FROM facilities WHERE id = ?", (fid,))


def _deployed(db: Path, fid: str) -> list[tuple]:
    return rows(db, "SELECT date FROM milestones WHERE facility_id = ? AND milestone = 'deployed'", (fid,))


# -- A. untrusted files ---------------------------------------------------------------------------------

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)
ENTITIES = (
    "the spreadsheet's XML declares entities, which spreadsheet programs never write (a way to make a small file "
    "expand without bound): refused unread"
)


def test_an_xml_bomb_in_the_shared_strings_is_refused(small, tmp_path):
    path = _xlsx(tmp_path / "bomb.xlsx", HEADER, ROW)
    sst = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b"<si><t>&lol9;</t></si></sst>"
    )
    shared = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    _rewrite(  # openpyxl writes text inline: add a shared-strings part, as Excel writes
        path,
        "[Content_Types].xml",
        lambda xml: xml.replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + shared + b'"/></Types>'
        ),
        {"xl/sharedStrings.xml": BOMB + sst},
    )
    _rewrite(
        path,
        "xl/_rels/workbook.xml.rels",
        lambda xml: xml.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/sharedStrings"/></Relationships>',
        ),
    )
    assert _refused(path) == f"emrtrack: {path}:1: {ENTITIES}\n"


def test_an_xml_bomb_in_the_sheet_is_refused(small, tmp_path):
    path = _xlsx(tmp_path / "bomb.xlsx", HEADER, ROW)
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda data: BOMB + data.replace(b"x-1", b"&lol9;"))
    assert _refused(path) == f"emrtrack: {path}:1: {ENTITIES}\n"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(small, tmp_path):
    path = _xlsx(tmp_path / "zipbomb.xlsx", HEADER, ROW)
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda data: data + b" " * (20 * 2**20))
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    ratio = info.file_size // info.compress_size
    assert ratio > 200
    assert _refused(path) == (
        f"emrtrack: {path}:1: the spreadsheet's part xl/worksheets/sheet1.xml would unpack to {ratio} times its "
        "packed size (the limit is 200); refused unread, as a zip bomb\n"
    )


def test_a_spreadsheet_that_would_unpack_beyond_the_limit_is_refused(small, tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_UNPACKED_BYTES", 2**20)
    path = _xlsx(tmp_path / "large.xlsx", HEADER, ROW)
    noise = os.urandom(2 * 2**20)  # does not pack: the ratio is not what refuses it
    _rewrite(path, "docProps/core.xml", lambda data: data + noise)
    assert (
        _refused(path)
        == f"emrtrack: {path}:1: the spreadsheet would unpack to 2 MiB; the limit is 1 MiB; refused unread\n"
    )


# -- B. encodings, numbers, merged cells, formulas, hidden sheets, trailing rows ------------------------------


def test_utf16_tab_separated_text_from_excel_is_read(small, tmp_path):
    path = tmp_path / "list.txt"  # Excel's "Unicode text"
    text = "id\tname\townership\tkind\tdeployed\r\nx-1\tBệnh viện Đa khoa Tân Kỳ, cơ sở 2\tpublic\thospital\t20/08/2025\r\n"
    path.write_bytes(text.encode("utf-16"))
    assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    _loaded(path)
    assert _facility(small, "x-1") == [("x-1", "Bệnh viện Đa khoa Tân Kỳ, cơ sở 2", "public", "hospital")]
    assert _deployed(small, "x-1") == [("2025-08-20",)]


def test_a_csv_in_a_legacy_code_page_is_refused_saying_how_to_save_it_as_utf8(small, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes("id,name,ownership,kind\nx-1,BV Đô Lương,public,hospital\n".encode("cp1258"))
    position = path.read_bytes().index(b"\n") + 1 + len(b"x-1,BV ")
    assert _refused(path) == (
        f"emrtrack: {path}:2: the file is not UTF-8 text (byte {position}: 0x{path.read_bytes()[position]:02x}): it "
        'was saved in another encoding (such as cp1258, Windows Vietnamese); in Excel choose Save As, then "CSV '
        'UTF-8 (Comma delimited)", or load the .xlsx file\n'
    )


def test_an_id_read_as_a_number_by_excel_is_refused_with_its_cell_and_the_fix(small, tmp_path):
    path = _xlsx(tmp_path / "list.xlsx", HEADER, [4001, *ROW[1:]], ["x-2", "Bệnh viện Y", None, "public", "clinic"])
    assert _refused(path) == (
        f"emrtrack: {path}:2:A: facility on row 2: id: 4001 is a number cell, and a spreadsheet drops the 0 that "
        "begins a code (04001 becomes 4001): format the column as Text and type the values again\n"
    )


def test_the_number_helper_names_numbers_only():
    assert tables.number_in_text_column("facility 'a': name", "04001") is None
    assert tables.number_in_text_column("facility 'a': name", True) is None
    assert tables.number_in_text_column("facility 'a': name", 4001.0) == (
        "facility 'a': name: 4001 is a number cell, and a spreadsheet drops the 0 that begins a code (04001 "
        "becomes 4001): format the column as Text and type the values again"
    )


def test_merged_cells_in_the_list_are_refused_with_their_range_and_above_it_are_a_title(small, tmp_path):
    path = tmp_path / "merged.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH CƠ SỞ"])
    ws.merge_cells("A1:J1")  # a title over the list: fine
    ws.append(HEADER)
    ws.append(ROW)
    ws.append(["x-2", "Bệnh viện Y", None, "public", "hospital", None, None, None, None, None])
    ws.merge_cells("D3:D4")  # "public" for both rows, as the eye reads it
    wb.save(path)
    assert _refused(path) == (
        f"emrtrack: {path}:3:D: cells D3:D4 are merged: unmerge them and write the value in each cell\n"
    )
    ws.unmerge_cells("D3:D4")
    ws["D4"] = "public"
    wb.save(path)
    r = _loaded(path)
    assert r.stderr == f"{path}: the column names are in row 2: skipped 1 title row above them\n"
    assert _facility(small, "x-2") == [("x-2", "Bệnh viện Y", "public", "hospital")]


def _formula_sheet(path: Path, name: str = "Bệnh viện X", deployed: str = "=DATE(2025,8,20)") -> Path:
    return _xlsx(path, HEADER, ["x-1", name, None, "public", "hospital", None, None, None, None, deployed])


def test_a_formula_with_no_saved_value_is_refused_with_its_cell(small, tmp_path):
    path = _formula_sheet(tmp_path / "formula.xlsx")  # written by a program, never opened in a spreadsheet
    assert _refused(path) == (
        f"emrtrack: {path}:2:J: facility 'x-1': milestone 'deployed': the cell holds a formula (=DATE(2025,8,20)) "
        "with no saved value (the file was written by a program and never opened in a spreadsheet): open it in "
        "Excel and save it again, or type the value\n"
    )
    path = _formula_sheet(tmp_path / "name.xlsx", name='="Bệnh viện "&"X"', deployed="20/08/2025")
    assert _refused(path) == (
        f'emrtrack: {path}:2:B: facility \'x-1\': name: the cell holds a formula (="Bệnh viện "&"X") with no saved '
        "value (the file was written by a program and never opened in a spreadsheet): open it in Excel and save it "
        "again, or type the value\n"
    )


def test_a_formula_is_read_by_the_value_its_spreadsheet_saved(small, tmp_path):
    path = _formula_sheet(tmp_path / "formula.xlsx", name='="Bệnh viện "&"X"')

    def calculated(xml: bytes) -> bytes:  # as a spreadsheet program saves it: each formula with its value
        xml = xml.replace(b"<f>DATE(2025,8,20)</f><v />", b"<f>DATE(2025,8,20)</f><v>45889</v>")
        return xml.replace(b'<c r="B2">', b'<c r="B2" t="str">').replace(
            b"</f><v />", "</f><v>Bệnh viện X</v>".encode(), 1
        )

    _rewrite(path, "xl/worksheets/sheet1.xml", calculated)
    _loaded(path)
    assert _facility(small, "x-1") == [("x-1", "Bệnh viện X", "public", "hospital")]
    assert _deployed(small, "x-1") == [("2025-08-20",)]


def test_a_formula_whose_value_is_empty_text_is_an_empty_cell(small, tmp_path):
    path = _formula_sheet(tmp_path / "formula.xlsx", deployed='=IF(1,"","x")')
    _rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'<c r="J2">', b'<c r="J2" t="str">').replace(b"<v />", b"<v></v>"),
    )
    _loaded(path)
    assert _facility(small, "x-1") and _deployed(small, "x-1") == []


def _workbook(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, sheet_rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in sheet_rows:
            ws.append(r)
        if title in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def test_the_first_visible_sheet_is_read_and_named(small, tmp_path):
    old = ["x-1", "Old name", None, "public", "hospital"]
    path = _workbook(
        tmp_path / "book.xlsx",
        {"Cũ": [HEADER, old], "Huyện": [HEADER, ROW], "Ghi chú": [["notes"]]},
        hidden=("Cũ",),
    )
    r = _loaded(path)
    assert r.stderr == (
        f"{path}: read the sheet 'Huyện' of 3: 'Cũ' (hidden), 'Huyện', 'Ghi chú'; name another with --sheet\n"
    )
    assert _facility(small, "x-1") == [("x-1", "Bệnh viện X", "public", "hospital")]
    _loaded(path, "--sheet", "cũ")  # a hidden sheet, named: read
    assert _facility(small, "x-1") == [("x-1", "Old name", "public", "hospital")]


def test_an_unknown_sheet_lists_the_sheets_and_an_error_names_the_sheet(small, tmp_path):
    path = _workbook(
        tmp_path / "book.xlsx", {"A": [HEADER, ROW], "B": [HEADER, ["x-2", "Y", None, "privat", "clinic"]]}
    )
    assert (
        _refused(path, "--sheet", "C")
        == f"emrtrack: {path}:1: there is no sheet 'C': the workbook's sheets are 'A', 'B'\n"
    )
    assert _refused(path, "--sheet", "B") == (
        f"emrtrack: {path}!B:2:D: facility 'x-2': ownership: unknown value 'privat' (expected one of: public, "
        "non-public)\n"
    )


def test_the_template_sheet_is_read_without_a_note(small, tmp_path):
    path = tmp_path / "t.xlsx"
    assert run("template", "--output", str(path)).exit_code == 0
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0].append(["x-1", "Bệnh viện X", None, "public", "hospital"])
    wb.save(path)
    assert _loaded(path).stderr == ""


def test_trailing_empty_rows_and_numbered_empty_rows_are_left_out(small, tmp_path):
    path = _xlsx(
        tmp_path / "list.xlsx",
        ["STT", *HEADER],
        [1, *ROW],
        [2, None, None],
        [3],
        [None, " ", None],
        [],
        [None] * 11,
    )
    r = _loaded(path)
    assert r.stdout.startswith("Facilities: 1 added, 0 updated, 0 unchanged;")


# -- C. lists as districts write them ----------------------------------------------------------------------


def test_numbering_and_notes_columns_are_left_out_and_title_rows_skipped(small, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "SỞ Y TẾ NGHỆ AN;;;;;;\n"
        "DANH SÁCH CƠ SỞ TRIỂN KHAI BỆNH ÁN ĐIỆN TỬ;;;;;;\n"
        ";;;;;;\n"
        "STT;id;name;ownership;kind;deployed;Ghi chú\n"
        "1;x-1;Bệnh viện X;public;hospital;20/08/2025;đã báo cáo\n",
        encoding="utf-8",
    )
    r = _loaded(path)
    assert r.stderr == f"{path}: the column names are in row 4: skipped 3 title rows above them\n"
    assert _deployed(small, "x-1") == [("2025-08-20",)]


def test_unknown_columns_are_refused_unless_left_out_with_a_note(small, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("id,name,ownership,kind,Điện thoại,Giám đốc\nx-1,Bệnh viện X,public,hospital,0238 123,A\n")
    refused = _refused(path)
    assert refused.startswith(f"emrtrack: {path}:1:E: unknown column 'Điện thoại' (expected one of: id, name,")
    assert refused.splitlines()[1].startswith(f"emrtrack: {path}:1:F: unknown column 'Giám đốc'")
    r = _loaded(path, "--ignore-unknown-columns")
    assert r.stderr == f"{path}: left out 2 unknown columns: 'Điện thoại' (E), 'Giám đốc' (F)\n"
    assert _facility(small, "x-1") == [("x-1", "Bệnh viện X", "public", "hospital")]


def test_vietnamese_headers_and_values_are_synonyms(small, tmp_path):
    path = _xlsx(
        tmp_path / "list.xlsx",
        ["Mã định danh", "TÊN CƠ SỞ", "Hình thức sở hữu", "Loại cơ sở", "Đã triển khai", "đã triển khai (nguồn)"],
        ["x-1", "Bệnh viện X", "Công lập", "Bệnh viện", "20/08/2025", "Công văn 12"],
        ["x-2", "Phòng khám Y", "ngoài công lập", "phòng khám", None, None],
        ["x-3", "Trung tâm Z", "Public", "Trung tâm y tế", None, None],
        ["x-4", "Phòng khám W", "tư nhân", "Medical-Centre", None, None],
    )
    _loaded(path)
    assert rows(small, "SELECT id, ownership, kind FROM facilities WHERE id LIKE 'x-%' ORDER BY id") == [
        ("x-1", "public", "hospital"),
        ("x-2", "non-public", "clinic"),
        ("x-3", "public", "medical-centre"),
        ("x-4", "non-public", "medical-centre"),
    ]
    assert _deployed(small, "x-1") == [("2025-08-20",)]


def test_the_vietnamese_template_is_read_back(small, tmp_path):
    path = tmp_path / "mau.xlsx"
    assert run("template", "--output", str(path), "--lang", "vi").exit_code == 0
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:8] == [
        "Mã định danh",
        "Tên cơ sở",
        "Tên khác",
        "Hình thức sở hữu",
        "Loại cơ sở",
        "Cơ quan quản lý",
        "Địa bàn",
        "Ngày xác minh",
    ]
    assert header[8:] == [
        "đã thẩm định",
        "đã triển khai",
        "đã ký phụ lục",
        "đã thẩm định (không muộn hơn)",
        "đã thẩm định (nguồn)",
        "đã triển khai (không muộn hơn)",
        "đã triển khai (nguồn)",
        "đã ký phụ lục (không muộn hơn)",
        "đã ký phụ lục (nguồn)",
    ]
    ws.append(["x-1", "Bệnh viện X", None, "công lập", "bệnh viện", None, None, None, None, datetime(2025, 8, 20)])
    wb.save(path)
    assert _loaded(path).stderr == ""
    assert _deployed(small, "x-1") == [("2025-08-20",)]
    csv_header = run("template", "--lang", "vi").stdout
    assert csv_header.startswith("Mã định danh,Tên cơ sở,Tên khác,")


def test_dates_as_spreadsheets_write_them(small, tmp_path):
    serial = (date(2025, 8, 20) - date(1899, 12, 30)).days
    path = _xlsx(
        tmp_path / "dates.xlsx",
        HEADER,
        ["x-1", "A", None, "public", "hospital", None, None, datetime(2025, 7, 1), None, datetime(2025, 8, 20)],
        ["x-2", "B", None, "public", "hospital", None, None, "01/07/2025", None, "20/8/2025"],
        ["x-3", "C", None, "public", "hospital", None, None, None, None, serial],
    )
    _loaded(path)
    assert [_deployed(small, f"x-{i}") for i in (1, 2, 3)] == [[("2025-08-20",)]] * 3
    assert rows(small, "SELECT verified FROM facilities WHERE id IN ('x-1', 'x-2') ORDER BY id") == [
        ("2025-07-01",),
        ("2025-07-01",),
    ]


def test_a_date_with_a_time_of_day_is_refused_with_its_cell(small, tmp_path):
    path = _xlsx(tmp_path / "time.xlsx", HEADER, [*ROW[:9], datetime(2025, 8, 20, 9, 15)])
    assert _refused(path) == (
        f"emrtrack: {path}:2:J: facility 'x-1': milestone 'deployed': 2025-08-20 09:15:00 has a time of day: write "
        "the date alone\n"
    )
    serial = (date(2025, 8, 20) - date(1899, 12, 30)).days + 0.5
    path = _xlsx(tmp_path / "serial.xlsx", HEADER, [*ROW[:9], serial])
    assert _refused(path) == (
        f"emrtrack: {path}:2:J: facility 'x-1': milestone 'deployed': 2025-08-20 12:00 has a time of day: write the "
        "date alone\n"
    )


def test_xls_and_other_formats_are_refused_by_their_content(small, tmp_path):
    ole = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504
    for name in ("list.xls", "list.yaml", "list.xlsx"):
        path = tmp_path / name
        path.write_bytes(ole)
        assert _refused(path) == (
            f"emrtrack: {path}:1: an Excel 97-2003 workbook (.xls) or another old Office file, {SAVE_AS}\n"
        )
    pdf = tmp_path / "list.yaml"
    pdf.write_bytes(b"%PDF-1.4\n")
    assert _refused(pdf) == f"emrtrack: {pdf}:1: a PDF document, {SAVE_AS}\n"
    ods = tmp_path / "list.ods"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert _refused(ods) == (
        f"emrtrack: {ods}:1: a zipped file that is not an .xlsx workbook (an OpenDocument .ods, a .docx ...), "
        f"{SAVE_AS}\n"
    )
    html = tmp_path / "export.xls"  # a web page some programs save under .xls
    html.write_text("<html><table><tr><td>id</td></tr></table></html>")
    assert _refused(html) == f"emrtrack: {html}:1: a .xls file, {SAVE_AS}\n"


def test_an_xlsx_under_another_name_is_read(small, tmp_path):
    path = _xlsx(tmp_path / "list.xls", HEADER, ROW)
    _loaded(path)
    assert _deployed(small, "x-1") == [("2025-08-20",)]


def test_a_semicolon_csv_with_a_separator_in_a_cell_is_refused_with_the_row_and_the_counts(small, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "id;name;ownership;kind;deployed\n"
        "x-1;Bệnh viện X;public;hospital;20/08/2025\n"
        "x-2;Bệnh viện Y; cơ sở 2;public;hospital;\n"
        '"x-3";"Bệnh viện Z; cơ sở 3";public;hospital;\n',
        encoding="utf-8",
    )
    assert _refused(path) == (
        f"emrtrack: {path}:3: the row has 6 cells but there are 5 column names: a cell holding ';' must be written in "
        "double quotes (save the file from a spreadsheet program)\n"
    )


def test_a_line_break_in_a_cell_is_still_folded(small, tmp_path):
    path = _xlsx(tmp_path / "list.xlsx", HEADER, ["x-1", "Bệnh viện\nX", None, "public", "hospital"])
    _loaded(path)
    assert _facility(small, "x-1") == [("x-1", "Bệnh viện X", "public", "hospital")]


def test_load_help_names_the_new_options():
    r = run("load", "--help")
    assert "--sheet NAME" in r.stdout and "--ignore-unknown-columns" in r.stdout


def test_every_message_is_one_line_per_problem(small, tmp_path):
    buffer = io.StringIO()
    buffer.write("id,name,ownership,kind\n")
    path = tmp_path / "empty.csv"
    path.write_text(buffer.getvalue())
    assert _refused(path) == (f"emrtrack: {path}:2: the file lists no facility: fill in a row under the column names\n")
