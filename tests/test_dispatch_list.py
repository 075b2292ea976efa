"""report --format markdown: the list a dispatch carries, in English and Vietnamese; --due-within."""

from __future__ import annotations

from emrtrack.cli import app

OVERDUE_EN = """\
Requirement **2898/SYT-VP**, deadline 2025-08-31: Đẩy nhanh tiến độ

As of 2025-09-01, 3 facilities are past their deadline and have not yet deployed EMR.

Public hospitals that have not yet deployed EMR (1):

1. Bệnh viện Đa khoa Đô Lương (hospital; 1 day overdue)

Non-public hospitals that have not yet deployed EMR (2):

1. Bệnh viện Đa khoa Hoàn Mỹ Vinh (hospital; 1 day overdue)
2. Bệnh viện Đa khoa Thái An (hospital; 1 day overdue)
"""

OVERDUE_VI = """\
Văn bản **2898/SYT-VP**, thời hạn 31/08/2025: Đẩy nhanh tiến độ

Tính đến ngày 01/09/2025, có 3 cơ sở đã quá hạn mà chưa triển khai bệnh án điện tử.

Các bệnh viện công lập chưa triển khai bệnh án điện tử (1):

1. Bệnh viện Đa khoa Đô Lương (bệnh viện; quá hạn 1 ngày)

Các bệnh viện ngoài công lập chưa triển khai bệnh án điện tử (2):

1. Bệnh viện Đa khoa Hoàn Mỹ Vinh (bệnh viện; quá hạn 1 ngày)
2. Bệnh viện Đa khoa Thái An (bệnh viện; quá hạn 1 ngày)
"""


def test_overdue_markdown_reads_like_the_dispatch(small, runner):
    result = runner.invoke(app, ["report", "--overdue", "--as-of", "2025-09-01", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert result.stdout == OVERDUE_EN


def test_overdue_markdown_in_vietnamese_by_option_env_and_locale(small, runner, monkeypatch):
    args = ["report", "--overdue", "--as-of", "2025-09-01", "--format", "markdown"]
    assert runner.invoke(app, [*args, "--lang", "vi"]).stdout == OVERDUE_VI
    assert runner.invoke(app, ["--lang", "vi", *args]).stdout == OVERDUE_VI
    monkeypatch.setenv("EMRTRACK_LANG", "vi")
    assert runner.invoke(app, args).stdout == OVERDUE_VI
    assert runner.invoke(app, [*args, "--lang", "en"]).stdout == OVERDUE_EN
    monkeypatch.delenv("EMRTRACK_LANG")
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    assert runner.invoke(app, args).stdout == OVERDUE_VI
    monkeypatch.setenv("LC_ALL", "en_GB.UTF-8")
    assert runner.invoke(app, args).stdout == OVERDUE_EN


def test_mixed_kinds_are_called_facilities_and_groups_follow_group_by(small, runner):
    result = runner.invoke(app, ["report", "--as-of", "2025-09-01", "--format", "markdown", "--group-by", "kind"])
    assert result.exit_code == 0
    assert (
        result.stdout
        == """\
Requirement **2898/SYT-VP**, deadline 2025-08-31: Đẩy nhanh tiến độ

As of 2025-09-01, 4 facilities are in scope.

Hospitals (3):

1. Bệnh viện Đa khoa Đô Lương (1 day overdue)
2. Bệnh viện Đa khoa Hoàn Mỹ Vinh (1 day overdue)
3. Bệnh viện Đa khoa Thái An (1 day overdue)

Medical centres (1):

1. Trung tâm Y tế Hưng Nguyên (deployed on time)
"""
    )
    result = runner.invoke(app, ["report", "--as-of", "2025-09-10", "--format", "markdown"])
    assert "Public facilities (2):\n\n1. Bệnh viện Đa khoa Đô Lương (hospital; overdue)" not in result.stdout
    assert (
        "Public facilities (2):\n\n1. Bệnh viện Đa khoa Đô Lương (hospital; 10 days overdue)\n"
        "2. Trung tâm Y tế Hưng Nguyên (medical centre; deployed on time)\n" in result.stdout
    )
    assert (
        "Non-public hospitals (2):\n\n1. Bệnh viện Đa khoa Thái An (hospital; 10 days overdue)\n"
        "2. Bệnh viện Đa khoa Hoàn Mỹ Vinh (hospital; deployed 5 days late)\n" in result.stdout
    )


def test_due_within_lists_only_those_not_deployed_with_a_deadline_in_the_window(small, runner):
    args = ["report", "-r", "13/2025/TT-BYT", "--format", "markdown", "--as-of"]
    result = runner.invoke(app, [*args, "2025-09-10", "--due-within", "20"])
    assert result.exit_code == 0
    assert (
        result.stdout
        == """\
Requirement **13/2025/TT-BYT**, deadline 2025-09-30 (hospital); 2026-12-31 (other facilities)

As of 2025-09-10, 2 facilities have not yet deployed EMR and are due within 20 days.

Public hospitals due to deploy EMR within 20 days (1):

1. Bệnh viện Đa khoa Đô Lương (hospital; deadline 2025-09-30, 20 days left)

Non-public hospitals due to deploy EMR within 20 days (1):

1. Bệnh viện Đa khoa Thái An (hospital; deadline 2025-09-30, 20 days left)
"""
    )
    # one day short of the deadline: nothing is due yet
    short = runner.invoke(app, [*args, "2025-09-10", "--due-within", "19"])
    assert "As of 2025-09-10, 0 facilities have not yet deployed EMR" in short.stdout
    assert "1." not in short.stdout
    # the deadline day itself is still due (deadlines are inclusive); the day after it is overdue, not due
    today = runner.invoke(app, [*args, "2025-09-30", "--due-within", "0", "--lang", "vi"])
    assert "1. Bệnh viện Đa khoa Đô Lương (bệnh viện; hạn 30/09/2025, đến hạn hôm nay)\n" in today.stdout
    after = runner.invoke(app, [*args, "2025-10-01", "--due-within", "400"])
    assert "Bệnh viện Đa khoa Đô Lương" not in after.stdout
    assert "1. Trung tâm Y tế Hưng Nguyên" not in after.stdout  # deployed
    assert after.stdout.count("\n1. ") == 0


def test_due_within_table_and_conflict_with_overdue(small, runner):
    result = runner.invoke(app, ["report", "--as-of", "2025-08-25", "--due-within", "7"])
    assert result.exit_code == 0
    assert (
        result.stdout.splitlines()[0]
        == "3 facilities due within 7 days against 2898/SYT-VP (deadline 2025-08-31) as of 2025-08-25"
    )
    bad = runner.invoke(app, ["report", "--overdue", "--due-within", "7"])
    assert bad.exit_code == 2
    assert bad.stderr == (
        "emrtrack: --overdue, --due-within, --exempt and --broken-commitments select different facilities: give one\n"
    )


def test_group_by_none(small, runner):
    """Ungrouped reports used to fail in SQL (ORDER BY 0 is read as a column number)."""
    result = runner.invoke(
        app, ["report", "--overdue", "--as-of", "2025-09-01", "-f", "markdown", "--group-by", "none"]
    )
    assert result.exit_code == 0, result.stderr
    assert (
        result.stdout.split("\n\n", 2)[2]
        == """\
Facilities that have not yet deployed EMR (3):

1. Bệnh viện Đa khoa Đô Lương (hospital; 1 day overdue)
2. Bệnh viện Đa khoa Hoàn Mỹ Vinh (hospital; 1 day overdue)
3. Bệnh viện Đa khoa Thái An (hospital; 1 day overdue)
"""
    )
