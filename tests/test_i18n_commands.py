"""The main commands in English and in Vietnamese; facility data is never translated."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from emrtrack import i18n
from emrtrack.cli import app


def _run(runner, args, lang):
    return runner.invoke(app, [*args, "--lang", lang])


def test_every_message_in_the_code_is_in_the_catalogue():
    with (i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / "emrtrack.po").open("rb") as f:
        catalog = read_po(f, locale="vi")
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    found = {
        msg if isinstance(msg, str) else msg[0]
        for _file, _line, msg, _comments, _ctx in extract_from_dir(
            str(i18n.LOCALE_DIR.parent), keywords=keywords, method_map=[("**.py", "python")]
        )
    }
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert len(found) > 100
    assert found - known == set()


def test_status_in_both_languages(small, runner):
    en = _run(runner, ["status", "--as-of", "2025-09-10"], "en")
    vi = _run(runner, ["status", "--as-of", "2025-09-10"], "vi")
    assert en.exit_code == vi.exit_code == 0
    assert en.stdout.splitlines()[0].rstrip() == "Test register: status as of 2025-09-10"
    assert vi.stdout.splitlines()[0].rstrip() == "Test register: tình hình tính đến ngày 10/09/2025"
    assert (
        "│ 2898/SYT-VP    │ all facilities   │ 2025-08-31 │  10 days past │        4 │       1 │    1 │       2 │"
        in en.stdout
    )
    assert "│ 2898/SYT-VP    │ mọi cơ sở      │ 31/08/2025 │ đã qua 10 ngày │" in vi.stdout
    assert (
        "┃ Requirement    ┃ Ownership  ┃ In scope ┃ On time ┃ Late ┃ Overdue ┃ Not yet due ┃ Compliance ┃" in en.stdout
    )
    assert "Ngoài công lập" in vi.stdout and "Non-public" not in vi.stdout
    assert (
        "2898/SYT-VP: milestones reached by 4 facilities in scope: appraised 1 · deployed 2 · annex signed 0."
        in en.stdout
    )
    assert (
        "2898/SYT-VP: các mốc đạt được trong 4 cơ sở thuộc phạm vi: đã thẩm định 1 · đã triển khai 2 · "
        "đã ký phụ lục 0." in vi.stdout
    )


def test_report_table_in_both_languages(small, runner):
    en = _run(runner, ["report", "--overdue", "--as-of", "2025-09-01"], "en")
    vi = _run(runner, ["report", "--overdue", "--as-of", "2025-09-01"], "vi")
    assert (
        en.stdout.splitlines()[0] == "3 facilities overdue against 2898/SYT-VP (deadline 2025-08-31) as of 2025-09-01"
    )
    assert (
        vi.stdout.splitlines()[0] == "3 cơ sở quá hạn theo 2898/SYT-VP (thời hạn 31/08/2025) tính đến ngày 01/09/2025"
    )
    assert vi.stdout.splitlines()[1].rstrip() == "Công lập (1)"
    assert (
        "│ 1 │ Bệnh viện Đa khoa Đô Lương │ do-luong-general │ bệnh viện │ 31/08/2025 │               1 │ chưa có"
        in vi.stdout
    )
    assert (
        "│ 1 │ Bệnh viện Đa khoa Đô Lương │ do-luong-general │ hospital │ 2025-08-31 │            1 │ none" in en.stdout
    )


def test_mark_show_undo_and_errors_in_both_languages(small, runner):
    vi = _run(runner, ["mark-deployed", "thai an", "--on", "2025-09-02"], "vi")
    assert vi.exit_code == 0
    assert vi.stdout == "Đã ghi nhận: Bệnh viện Đa khoa Thái An (thai-an) đã triển khai ngày 02/09/2025. Thay đổi #2.\n"
    en = _run(runner, ["mark-deployed", "thai an", "--on", "2025-09-02"], "en")
    assert (
        en.stdout == "Already recorded: Bệnh viện Đa khoa Thái An (thai-an) deployed on 2025-09-02. Nothing changed.\n"
    )
    show = _run(runner, ["show", "thai-an", "--as-of", "2025-09-03"], "vi")
    assert "│ Đã triển khai   │ 02/09/2025                │" in show.stdout
    assert "│ 2898/SYT-VP    │ 31/08/2025 │ đã triển khai muộn 2 ngày │" in show.stdout
    undo = _run(runner, ["undo", "--yes"], "vi")
    assert undo.stdout.splitlines()[-1] == "Đã hoàn tác thay đổi #2; ghi thành thay đổi #3."
    missing = _run(runner, ["mark-deployed", "zzzz qqqq"], "vi")
    assert missing.exit_code == 1
    assert missing.stderr == "emrtrack: không có cơ sở nào khớp với 'zzzz qqqq'\n"
    missing = _run(runner, ["mark-deployed", "zzzz qqqq"], "en")
    assert missing.stderr == "emrtrack: no facility matches 'zzzz qqqq'\n"
    ambiguous = _run(runner, ["mark-deployed", "da khoa"], "vi")
    assert ambiguous.exit_code == 1
    assert ambiguous.stderr == (
        "emrtrack: 'da khoa' khớp với 3 cơ sở: Bệnh viện Đa khoa Đô Lương (do-luong-general); Bệnh viện Đa khoa "
        "Hoàn Mỹ Vinh (hoan-my-vinh); Bệnh viện Đa khoa Thái An (thai-an). Không làm gì cả; hãy chỉ rõ một "
        "cơ sở bằng mã của nó.\n"
    )


def test_load_summary_in_both_languages(small, runner, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("id,name,ownership,kind\nnew-1,Phòng khám A,public,clinic\n", encoding="utf-8")
    vi = _run(runner, ["load", str(path), "--dry-run"], "vi")
    assert vi.stdout == (
        "Chạy thử: không ghi gì. Nếu nạp thì kết quả sẽ là:\n"
        "Cơ sở: thêm 1, cập nhật 0, giữ nguyên 0; 4 cơ sở có trong "
        "sổ nhưng không có trong các tệp này (vẫn giữ).\n"
        "Văn bản: thêm 0, cập nhật 0.\nMốc: ghi nhận 0.\n"
    )
    en = _run(runner, ["load", str(path)], "en")
    assert en.stdout == (
        "Facilities: 1 added, 0 updated, 0 unchanged; 4 in the register but not in these "
        "files (kept).\nRequirements: 0 added, 0 updated.\nMilestones: 0 recorded.\n"
        "Recorded as change #2.\n"
    )
