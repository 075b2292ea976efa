"""Errors, refusals, history, undo and verify in Vietnamese: every line is the tool's own words, translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import SMALL
from typer.testing import CliRunner

from emrtrack.cli import app

ENGLISH = (
    "already has",
    "unknown field",
    "recorded",
    "is in the future",
    "did you mean",
    "expected one of",
    "must be text",
    "not a real date",
    "used twice",
    " overdue",
    "events checked",
    "last hash",
    "Change #",
    "facility added",
    "unknown milestone",
    "matches",
    "Nothing",
)


def _vi(runner: CliRunner, *args: str):
    return runner.invoke(app, [*args, "--lang", "vi"])


def _no_english(text: str) -> None:
    for words in ENGLISH:
        assert words not in text, (words, text)


def test_refusals_in_vietnamese(small, runner):
    assert _vi(runner, "mark-deployed", "thai-an", "--on", "2025-09-02").exit_code == 0
    again = _vi(runner, "mark-deployed", "thai-an", "--on", "2025-09-03")
    assert again.exit_code == 1
    assert again.stderr == (
        "emrtrack: Bệnh viện Đa khoa Thái An (thai-an) đã được ghi nhận là đã triển khai ngày 02/09/2025; "
        "để ghi ngày 03/09/2025 thay thế, hãy chạy lại lệnh với --correct\n"
    )
    future = _vi(runner, "mark-deployed", "thai-an", "--on", "2099-01-01", "--correct")
    assert future.exit_code == 1
    assert re.fullmatch(
        r"emrtrack: ngày 01/01/2099 chưa đến \(hôm nay là \d\d/\d\d/\d{4} theo múi giờ "
        r"Asia/Ho_Chi_Minh\); chỉ ghi nhận một mốc khi nó đã xảy ra\n",
        future.stderr,
    )
    milestone = _vi(runner, "mark", "thai-an", "built")
    assert milestone.exit_code == 2
    assert milestone.stderr == "emrtrack: không có mốc 'built'; hãy chọn một trong: appraised, deployed, annex-signed\n"
    ambiguous = _vi(runner, "mark-deployed", "da khoa")
    assert ambiguous.exit_code == 1
    assert ambiguous.stderr.startswith("emrtrack: 'da khoa' khớp với 3 cơ sở: ")
    requirement = _vi(runner, "status", "-r", "zz")
    assert requirement.stderr == (
        "emrtrack: không có văn bản 'zz' trong sổ theo dõi (các văn bản hiện có: 2898/SYT-VP, 13/2025/TT-BYT)\n"
    )
    both = _vi(runner, "report", "--overdue", "--due-within", "5")
    assert (
        both.stderr
        == "emrtrack: --overdue, --due-within, --exempt và --broken-commitments chọn những cơ sở khác nhau: chỉ dùng một tùy chọn\n"
    )
    for result in (again, future, milestone, ambiguous, requirement, both):
        _no_english(result.stderr)


def test_bad_yaml_in_vietnamese(small, runner, tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "facilities:\n"
        "  - id: x-1\n    name: 123\n    ownership: public\n    kind: hospitl\n"
        "    milestones: {deployed: 2025-02-30}\n    colour: red\n"
        "  - id: x-1\n    name: B\n    ownership: public\n    kind: clinic\n",
        encoding="utf-8",
    )
    result = _vi(runner, "load", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"emrtrack: {path}:3: cơ sở 'x-1': name phải là chữ, không phải một số (hãy đặt giá trị trong dấu nháy)",
        f"emrtrack: {path}:5: cơ sở 'x-1': kind: giá trị 'hospitl' không hợp lệ (có phải ý bạn là 'hospital'?)",
        f"emrtrack: {path}:6: cơ sở 'x-1': mốc 'deployed': 2025-02-30 không phải là một ngày có thật",
        f"emrtrack: {path}:7: cơ sở 'x-1': không có trường 'colour' (cần là một trong: id, name, aliases, "
        "ownership, kind, managed_by, location, verified, milestones, distinct_from, codes, opened, closed, merged_into, former_names, former_managed_by, exceptions, withdrawn)",
        f"emrtrack: {path}:8: cơ sở 'x-1': mã này được dùng hai lần (lần đầu ở {path}:2)",
    ]
    _no_english(result.stderr)
    broken = tmp_path / "broken.yaml"
    broken.write_text("facilities:\n  - id: a\n\tname: b\n", encoding="utf-8")
    result = _vi(runner, "load", str(broken))
    assert result.stderr.startswith(f"emrtrack: {broken}:3: YAML không hợp lệ: ")
    assert result.stderr.endswith("; hãy thụt lề bằng dấu cách, không dùng tab\n")


def test_bad_csv_in_vietnamese(small, runner, tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,name,ownership,kind,deployed\nc-1,Phòng khám A,public,clinic,2025-13-01\nc-2,,public,clinik,\n",
        encoding="utf-8",
    )
    result = _vi(runner, "load", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"emrtrack: {path}:2:E: cơ sở 'c-1': mốc 'deployed': 2025-13-01 không phải là một ngày có thật",
        f"emrtrack: {path}:3: cơ sở 'c-2': thiếu trường bắt buộc 'name'",
        f"emrtrack: {path}:3:D: cơ sở 'c-2': kind: giá trị 'clinik' không hợp lệ (có phải ý bạn là 'clinic'?)",
    ]
    _no_english(result.stderr)
    header = tmp_path / "header.csv"
    header.write_text("id,name,ownership,kind,colour\n", encoding="utf-8")
    result = _vi(runner, "load", str(header))
    assert result.stderr == (
        f"emrtrack: {header}:1:E: không có cột 'colour' (cần là một trong: id, name, aliases, "
        "ownership, kind, managed_by, location, verified, appraised, deployed, annex-signed, "
        "appraised_on_or_before, appraised_source, deployed_on_or_before, deployed_source, "
        "annex-signed_on_or_before, annex-signed_source)\n"
    )


def test_history_undo_verify_and_overdue_in_vietnamese(small, runner):
    assert _vi(runner, "mark-deployed", "thai-an", "--on", "2025-09-02").exit_code == 0
    history = _vi(runner, "history", "thai-an")
    assert history.exit_code == 0
    assert "│ đã triển khai: ghi nhận ngày 02/09/2025 │" in history.stdout
    assert "│ thêm cơ sở" in history.stdout
    _no_english(history.stdout)
    undo = _vi(runner, "undo", "--yes")
    first, last = undo.stdout.splitlines()
    assert re.fullmatch(
        r"Thay đổi #2, ghi lúc \d\d/\d\d/\d{4} \d\d:\d\d:\d\d \(UTC\+7\) bởi \S+ \(mark deployed, cli\): "
        r"đã triển khai: ghi nhận cho thai-an ngày 02/09/2025; 1 sự kiện\.",
        first,
    )
    assert last == "Đã hoàn tác thay đổi #2; ghi thành thay đổi #3."
    _no_english(undo.stdout)
    after = _vi(runner, "history", "thai-an")
    assert "│ hoàn tác #2: đã triển" in after.stdout and "xoá ghi nhận" in after.stdout
    verify = _vi(runner, "verify")
    assert verify.exit_code == 0
    lines = verify.stdout.splitlines()
    assert lines[0] == "đạt: đã kiểm tra 13 sự kiện"
    assert re.fullmatch(r"mã băm cuối: [0-9a-f]{64}", lines[1])
    overdue = _vi(runner, "report", "--overdue", "--as-of", "2025-09-01", "--fail-on-overdue")
    assert overdue.exit_code == 3
    assert overdue.stderr == "emrtrack: 3 cơ sở quá hạn\n"


def test_vietnamese_writes_decimals_with_a_comma(runner, tmp_path, monkeypatch):
    from emrtrack.i18n import fmt_number, set_language

    set_language("vi")
    assert (fmt_number(60.0), fmt_number(0.75, 2, trim=True), fmt_number(2.5, 2, trim=True)) == ("60,0", "0,75", "2,5")
    set_language("en")
    assert (fmt_number(60.0), fmt_number(0.75, 2, trim=True)) == ("60.0", "0.75")
    monkeypatch.setenv("EMRTRACK_DB", str(tmp_path / "r.db"))
    out = _vi(runner, "status", "--as-of", "2025-09-01").stdout
    assert "0,0%" in out and "0.0%" not in out


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_numbers_are_written_as_babel_writes_them_for_the_language(lang):
    from babel.numbers import format_decimal

    from emrtrack.i18n import fmt_int, fmt_number, fmt_percent, set_language

    set_language(lang)
    try:
        for n in (0, 7, 25, 999, 1000, 50_000, 200_000, 1_234_567, -1234):
            assert fmt_int(n) == format_decimal(n, locale=lang)
        for x in (0.0, 60.5, 99.96, 1234.25, 50_000.0):
            assert fmt_number(x) == format_decimal(x, format="#,##0.0", locale=lang)
            assert fmt_percent(x) == format_decimal(x, format="#,##0.0", locale=lang) + "%"
        assert fmt_number(0.75, 2, trim=True) == format_decimal(0.75, format="#,##0.##", locale=lang)
    finally:
        set_language("en")


def test_a_national_register_counts_with_thousands_grouped_in_each_language(runner, tmp_path):
    """Counts of thousands read as the language writes them, in tables and in sentences."""
    import yaml

    facilities = [
        {"id": f"f{i:04d}", "name": f"Trạm y tế {i}", "kind": "clinic", "ownership": "public"} for i in range(1200)
    ]
    doc = yaml.safe_load(SMALL)
    doc["facilities"] = facilities
    source = tmp_path / "many.yaml"
    source.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    db = str(tmp_path / "many.db")
    loaded = runner.invoke(app, ["--db", db, "load", str(source)])
    assert loaded.exit_code == 0, loaded.output
    assert "Facilities: 1,200 added" in loaded.stdout
    english = runner.invoke(app, ["--db", db, "status", "--as-of", "2025-09-01"], env={"COLUMNS": "200"})
    vietnamese = _vi(runner, "--db", db, "status", "--as-of", "2025-09-01")
    assert "1,200" in english.stdout and "1.200" not in english.stdout
    assert "1.200" in vietnamese.stdout and "1,200" not in vietnamese.stdout
