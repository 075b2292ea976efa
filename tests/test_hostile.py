"""Hostile text: stored as given (a line broken inside a text read as one line; control characters are refused
by load, see test_control_characters), shown literally (no markup, no raw control characters), escaped in CSV
and JSON; and a register that holds control characters from elsewhere shows them escaped."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from helpers import rows, run

from emrtrack.naming import fold

# Names as stored, and as written in a YAML file.
NAMES = {
    "markup": ("[bold red]Bệnh viện x[/]", '"[bold red]Bệnh viện x[/]"'),
    "link": ("[link=https://evil.example]Bấm vào đây[/link]", '"[link=https://evil.example]Bấm vào đây[/link]"'),
    "crlf": ("Dòng một Dòng hai", '"Dòng một\\r\\nDòng hai"'),
    "rtl": ("Bệnh viện \u202eGNOL OD", '"Bệnh viện \\u202eGNOL OD"'),
    "sql": ("x'; DROP TABLE facilities; --", '"x\'; DROP TABLE facilities; --"'),
    "formula": ('=HYPERLINK("https://evil.example","x")', '\'=HYPERLINK("https://evil.example","x")\''),
    "long": ("Đ" * 10_000, "Đ" * 10_000),
}


def _file(tmp_path: Path) -> Path:
    lines = ["facilities:"]
    for key, (_, written) in NAMES.items():
        lines += [f"  - id: hostile-{key}", f"    name: {written}", "    ownership: non-public", "    kind: clinic"]
    path = tmp_path / "hostile.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# Names with control characters, which `load` refuses, as a register from elsewhere (or written by another
# program) may hold them: put in its table directly.
OTHER_NAMES = {
    "ansi-clear": "Trạm y tế \x1b[2J xoá màn hình",
    "osc8": "\x1b]8;;https://evil.example\x1b\\Bệnh viện\x1b]8;;\x1b\\",
    "bell": "Phòng khám\x07 kêu",
}


@pytest.fixture
def loaded(db_path: Path, tmp_path: Path) -> Path:
    result = run("load", str(_file(tmp_path)))
    assert result.exit_code == 0, result.stderr
    return db_path


@pytest.fixture
def held(loaded: Path) -> Path:
    """The register above, also holding names with control characters put in its table by another program."""
    import sqlite3

    with sqlite3.connect(loaded) as conn:
        for key, name in OTHER_NAMES.items():
            conn.execute(
                "INSERT INTO facilities (id, name, aliases, ownership, kind, folded) "
                "VALUES (?, ?, '[]', 'non-public', 'clinic', ?)",
                (f"hostile-{key}", name, fold(name)),
            )
    return loaded


def test_stored_exactly(loaded: Path) -> None:
    stored = dict(rows(loaded, "SELECT id, name FROM facilities WHERE id LIKE 'hostile-%'"))
    assert stored == {f"hostile-{k}": v for k, (v, _) in NAMES.items()}
    assert run("verify").exit_code == 0


def _no_raw_controls(text: str) -> None:
    for ch in ("\x1b", "\r", "\u202e", "\x07"):
        assert ch not in text


def test_table_shows_text_literally(held: Path) -> None:
    result = run("report", "--all", "--requirement", "13/2025/TT-BYT")
    assert result.exit_code == 0
    out = result.stdout
    _no_raw_controls(out)
    assert "[bold red]Bệnh viện x[/]" in out
    assert "[link=https://evil.example]Bấm vào đây[/link]" in out
    assert "\\x1b[2J" in out and "\\u202e" in out
    assert "x'; DROP TABLE facilities; --" in out


def test_show_and_history_are_safe(held: Path) -> None:
    for args in (("show", "hostile-osc8"), ("show", "hostile-crlf"), ("history", "--limit", "50")):
        result = run(*args)
        assert result.exit_code == 0
        _no_raw_controls(result.stdout)
    assert "\\x1b]8;;https://evil.example" in run("show", "hostile-osc8").stdout


def test_csv_escapes_and_neutralises_formulas(loaded: Path) -> None:
    result = run("report", "--requirement", "13/2025/TT-BYT", "--format", "csv")
    assert result.exit_code == 0
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8"), newline=""))}
    assert rows["hostile-crlf"]["name"] == "Dòng một Dòng hai"
    assert rows["hostile-sql"]["name"] == "x'; DROP TABLE facilities; --"
    assert rows["hostile-formula"]["name"] == '\'=HYPERLINK("https://evil.example","x")'
    assert rows["hostile-long"]["name"] == "Đ" * 10_000
    assert rows["hostile-markup"]["name"] == "[bold red]Bệnh viện x[/]"


def test_json_round_trips(loaded: Path) -> None:
    result = run("report", "--requirement", "13/2025/TT-BYT", "--format", "json")
    assert result.exit_code == 0
    for ch in ("\x1b", "\r", "\x07"):  # JSON escapes control characters (U+202E is valid JSON text)
        assert ch not in result.stdout
    doc = json.loads(result.stdout)
    found = {}

    def walk(x):
        if isinstance(x, dict):
            if str(x.get("id", "")).startswith("hostile-"):
                found[x["id"]] = x["name"]
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(doc)
    assert found == {f"hostile-{k}": v for k, (v, _) in NAMES.items()}


@pytest.mark.parametrize("note", [v for v, _ in NAMES.values()] + ["=1+1", "@SUM(A1)", "\x1b[31mđỏ\x1b[0m"])
def test_note_stored_exactly_and_shown_safely(db_path: Path, note: str) -> None:
    result = run("mark-deployed", "do luong", "--on", "2025-08-20", "--note", note, "--ref", note)
    assert result.exit_code == 0
    assert rows(db_path, "SELECT note, ref FROM changes ORDER BY id DESC LIMIT 1") == [(note, note)]
    assert rows(db_path, "SELECT COUNT(*) FROM facilities") == [(25,)]
    history = run("history", "do-luong-general", "--format", "json")
    assert json.loads(history.stdout)[0]["note"] == note
    table = run("show", "do luong")
    _no_raw_controls(table.stdout)
    assert run("verify").exit_code == 0


def test_a_did_you_mean_shows_control_characters_escaped(held: Path) -> None:
    """Error lines on stderr are escaped like tables: a name held with an escape sequence cannot act on the
    terminal through a did-you-mean."""
    result = run("show", "tram y te xao man hinh")
    assert result.exit_code == 1
    _no_raw_controls(result.stderr)
    assert "Trạm y tế \\x1b[2J xoá màn hình (hostile-ansi-clear)" in result.stderr
