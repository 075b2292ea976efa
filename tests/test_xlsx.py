"""Spreadsheets out: report and status as .xlsx, opened again with openpyxl and checked cell by cell."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from emrtrack.cli import app
from emrtrack.store import Register

HEADER = [
    "Ownership",
    "#",
    "Facility",
    "Id",
    "Kind",
    "Deadline",
    "State",
    "Days overdue",
    "Latest milestone",
    "Milestone date",
    "Verified",
]


def _rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_report_xlsx_has_header_block_frozen_header_dates_and_groups(small, runner, tmp_path):
    out = tmp_path / "overdue.xlsx"
    before = datetime.now(timezone.utc).replace(microsecond=0)
    result = runner.invoke(app, ["report", "--as-of", "2025-09-10", "-f", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Wrote {out}.\n"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["2898-SYT-VP"]
    ws = wb["2898-SYT-VP"]
    rows = _rows(ws)
    register = Register.open(small)
    digest = register.content_hash()
    assert [r[:2] for r in rows[:6]] == [
        ["Test register", None],
        ["Requirement", "2898/SYT-VP"],
        ["Title", "Đẩy nhanh tiến độ"],
        ["Deadline", datetime(2025, 8, 31)],
        ["Facilities listed", "all in scope"],
        ["Count", 4],
    ]
    assert rows[6][:2] == ["As of", datetime(2025, 9, 10)]
    vietnam = ZoneInfo("Asia/Ho_Chi_Minh")
    assert rows[7][0] == "Generated (Asia/Ho_Chi_Minh)"
    assert (
        before.astimezone(vietnam).replace(tzinfo=None, microsecond=0)
        <= rows[7][1]
        <= datetime.now(vietnam).replace(tzinfo=None)
    )
    assert rows[8][:2] == ["Tool version", "emrtrack 1.0.0"]
    assert rows[9][:2] == ["Register content SHA-256", digest]
    assert rows[10] == [None] * 11
    assert rows[11] == HEADER
    assert ws.freeze_panes == "A13"
    assert ws.auto_filter.ref == "A12:K16"
    d = datetime
    assert rows[12:] == [
        [
            "Public",
            1,
            "Bệnh viện Đa khoa Đô Lương",
            "do-luong-general",
            "hospital",
            d(2025, 8, 31),
            "overdue",
            10,
            None,
            None,
            d(2025, 7, 9),
        ],
        [
            "Public",
            2,
            "Trung tâm Y tế Hưng Nguyên",
            "hung-nguyen-centre",
            "medical centre",
            d(2025, 8, 31),
            "deployed on time",
            None,
            "deployed",
            d(2025, 8, 20),
            None,
        ],
        [
            "Non-public",
            1,
            "Bệnh viện Đa khoa Thái An",
            "thai-an",
            "hospital",
            d(2025, 8, 31),
            "overdue",
            10,
            None,
            None,
            None,
        ],
        [
            "Non-public",
            2,
            "Bệnh viện Đa khoa Hoàn Mỹ Vinh",
            "hoan-my-vinh",
            "hospital",
            d(2025, 8, 31),
            "deployed 5 days late",
            None,
            "deployed",
            d(2025, 9, 5),
            None,
        ],
    ]
    assert ws["F13"].is_date and ws["F13"].number_format == "yyyy-mm-dd"
    # the name column is wide enough for the longest Vietnamese name
    assert ws.column_dimensions["C"].width == len("Bệnh viện Đa khoa Hoàn Mỹ Vinh") + 2


def test_report_xlsx_in_vietnamese_with_one_sheet_per_requirement(small, runner, tmp_path):
    out = tmp_path / "all.xlsx"
    result = runner.invoke(
        app, ["report", "-r", "all", "--overdue", "--as-of", "2025-10-01", "-f", "xlsx", "-o", str(out), "--lang", "vi"]
    )
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["2898-SYT-VP", "13-2025-TT-BYT"]
    ws = wb["13-2025-TT-BYT"]
    rows = _rows(ws)
    assert [r[:2] for r in rows[:5]] == [
        ["Test register", None],
        ["Văn bản", "13/2025/TT-BYT"],
        ["Thời hạn (bệnh viện)", datetime(2025, 9, 30)],
        ["Thời hạn (các cơ sở khác)", datetime(2026, 12, 31)],
        ["Cơ sở được liệt kê", "quá hạn (đã qua thời hạn, chưa triển khai)"],
    ]
    header = rows.index(
        [
            "Sở hữu",
            "#",
            "Cơ sở",
            "Mã",
            "Loại hình",
            "Thời hạn",
            "Tình trạng",
            "Số ngày quá hạn",
            "Mốc gần nhất",
            "Ngày đạt mốc",
            "Ngày xác minh",
        ]
    )
    assert rows[header + 1 :] == [
        [
            "Công lập",
            1,
            "Bệnh viện Đa khoa Đô Lương",
            "do-luong-general",
            "bệnh viện",
            datetime(2025, 9, 30),
            "quá hạn",
            1,
            None,
            None,
            datetime(2025, 7, 9),
        ],
        [
            "Ngoài công lập",
            1,
            "Bệnh viện Đa khoa Thái An",
            "thai-an",
            "bệnh viện",
            datetime(2025, 9, 30),
            "quá hạn",
            1,
            None,
            None,
            None,
        ],
    ]
    assert ws.cell(row=header + 2, column=6).number_format == "dd/mm/yyyy"


def test_status_xlsx(small, runner, tmp_path):
    out = tmp_path / "status.xlsx"
    result = runner.invoke(app, ["status", "--as-of", "2025-09-10", "-f", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out)["Status"]
    rows = _rows(ws)
    assert rows[6] == [
        "Requirement",
        "Applies to",
        "Deadline",
        "In scope",
        "On time",
        "Late",
        "Overdue",
        "Not yet due",
        "Compliance",
    ]
    assert ws.freeze_panes == "A8"
    assert rows[7:10] == [
        ["2898/SYT-VP", "all facilities", datetime(2025, 8, 31), 4, 1, 1, 2, 0, 0.25],
        ["13/2025/TT-BYT", "hospital", datetime(2025, 9, 30), 3, 1, 0, 0, 2, pytest.approx(0.333)],
        ["13/2025/TT-BYT", "other facilities", datetime(2026, 12, 31), 1, 1, 0, 0, 0, 1],
    ]
    assert ws["I8"].number_format == "0.0%"
    # the split by ownership: its own header, and no empty column where the first table has the deadline
    assert rows[11:16] == [
        ["Requirement", "Ownership", "In scope", "On time", "Late", "Overdue", "Not yet due", "Compliance", None],
        ["2898/SYT-VP", "Public", 2, 1, 0, 1, 0, 0.5, None],
        ["2898/SYT-VP", "Non-public", 2, 0, 1, 1, 0, 0, None],
        ["13/2025/TT-BYT", "Public", 2, 1, 0, 0, 1, 0.5, None],
        ["13/2025/TT-BYT", "Non-public", 2, 1, 0, 0, 1, 0.5, None],
    ]
    assert ws.auto_filter.ref is None


def test_xlsx_needs_an_output_file(small, runner):
    for cmd in (["report"], ["status"]):
        result = runner.invoke(app, [*cmd, "-f", "xlsx"])
        assert result.exit_code == 2
        assert result.stderr == "emrtrack: --format xlsx writes a file: give it with --output FILE.xlsx\n"


def test_markdown_to_a_file(small, runner, tmp_path):
    out = tmp_path / "list.md"
    result = runner.invoke(app, ["report", "--overdue", "--as-of", "2025-09-01", "-f", "markdown", "-o", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert (
        out.read_text(encoding="utf-8").splitlines()[2]
        == "As of 2025-09-01, 3 facilities are past their deadline and have not yet deployed EMR."
    )


def test_content_hash_follows_content_not_history(small, runner):
    register = Register.open(small)
    first = register.content_hash()
    assert len(first) == 64 and int(first, 16) >= 0
    assert first == Register.open(small).content_hash()
    assert runner.invoke(app, ["mark-deployed", "thai-an", "--on", "2025-09-02"]).exit_code == 0
    second = register.content_hash()
    assert second != first
    assert runner.invoke(app, ["undo", "--yes"]).exit_code == 0
    assert register.content_hash() == first
