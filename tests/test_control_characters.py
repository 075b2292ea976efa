"""Text from a file that is not what it seems: a control character (an escape sequence, a bell) in any text
is refused with its place; a line broken inside a spreadsheet cell (Alt+Enter) or a quoted YAML text is one
line."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from helpers import run, table_hash

HEADER = "id,name,aliases,ownership,kind\n"


@pytest.mark.parametrize(
    ("text", "where", "code"),
    [
        (HEADER + "esc-1,Ph\x1b]0;pwned\x07ong kham,,public,clinic\n", "2:B", "U+001B"),
        (HEADER + "bel-1,Phong kham,Alias\x07,public,clinic\n", "2:C", "U+0007"),
        (HEADER + "c1-1,Phong kham \x9b31m,,public,clinic\n", "2:B", "U+009B"),
    ],
)
def test_a_control_character_in_a_csv_cell_is_refused(
    small: Path, tmp_path: Path, text: str, where: str, code: str
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    before = table_hash(small)
    r = run("load", str(path))
    assert r.exit_code == 1
    assert r.stderr.startswith(f"emrtrack: {path}:{where}: ")
    assert r.stderr.rstrip().endswith(f"the invisible control character {code} is not allowed; delete it")
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert table_hash(small) == before


def test_a_control_character_written_as_a_yaml_escape_is_refused(small: Path, tmp_path: Path) -> None:
    path = tmp_path / "escape.yaml"
    path.write_text(
        'facilities:\n  - id: e\n    name: "A\\x1b[31mB"\n    ownership: public\n    kind: clinic\n', encoding="utf-8"
    )
    before = table_hash(small)
    r = run("load", str(path))
    assert (r.exit_code, r.stderr) == (
        1,
        f"emrtrack: {path}:3: facility 'e': name: the invisible control character U+001B is not allowed; delete it\n",
    )
    assert table_hash(small) == before


def test_a_line_broken_inside_a_cell_is_one_line(small: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "list.csv"
    csv_path.write_text(HEADER + 'nl-1,"Phòng khám\nHai   dòng",,public,clinic\n', encoding="utf-8")
    assert run("load", str(csv_path)).exit_code == 0
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "name", "ownership", "kind"])
    ws.append(["nl-2", "Bệnh viện\r\nĐa khoa\tMột", "public", "hospital"])
    xlsx_path = tmp_path / "list.xlsx"
    wb.save(xlsx_path)
    assert run("load", str(xlsx_path)).exit_code == 0
    yaml_path = tmp_path / "quoted.yaml"
    yaml_path.write_text(
        'facilities:\n  - id: nl-3\n    name: "Trạm y tế\\nXã Một"\n    ownership: public\n    kind: clinic\n',
        encoding="utf-8",
    )
    assert run("load", str(yaml_path)).exit_code == 0
    report = run("report", "--format", "csv", "--as-of", "2025-09-01").stdout
    assert "Phòng khám Hai dòng" in report and "Bệnh viện Đa khoa Một" in report and "Trạm y tế Xã Một" in report
    assert "\\n" not in run("show", "nl-1").stdout
