"""The --help pages: in Vietnamese when the language is Vietnamese, else exactly as they always were.

Help texts are built as the command line module is imported, so these run the program in a new process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _help(*args: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("EMRTRACK_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    environ.update({"LANG": "C.UTF-8", "COLUMNS": "80", "PYTHONIOENCODING": "utf-8"}, **env)
    r = subprocess.run(
        [sys.executable, "-m", "emrtrack", *args],
        env=environ,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    return r.stdout


ENGLISH_APP_HELP = (
    "Usage: emrtrack [OPTIONS] COMMAND [ARGS]...\n"
    "\n"
    "  Track who has deployed electronic medical records (EMR) against which\n"
    "  deadline.\n"
    "\n"
    "  The register is a local SQLite file, loaded from YAML; see README for the\n"
    "  format.\n"
    "\n"
    "Options:\n"
    "  --version             Show the version and exit.\n"
    "  --lang en|vi          Interface language (default: $EMRTRACK_LANG, else your\n"
    "                        locale).\n"
    "  --db PATH             The register file. Default: $EMRTRACK_DB, else\n"
    "                        register.db in your data directory.\n"
    "  --create              Create the register named by --db if there is none\n"
    "                        (load creates one without it).\n"
    "  --install-completion  Install completion for the current shell.\n"
    "  --show-completion     Show completion for the current shell, to copy it or\n"
    "                        customize the installation.\n"
    "  -h, --help            Show this message and exit.\n"
    "\n"
    "Commands:\n"
    "  load           Load facilities and requirements (YAML, CSV, XLSX).\n"
    "  template       Write an empty facility list to fill in (.xlsx or .csv).\n"
    "  export         Write the register's present facts in a format load reads.\n"
    "  status         Who is on time, late, overdue or not yet due, at a glance.\n"
    "  mark-deployed  Record that facilities have deployed EMR.\n"
    "  mark           Record a milestone for one or more facilities.\n"
    "  report         List facilities and their state, or only the overdue.\n"
    "  chart          Draw deployment progress against the deadline.\n"
    "  show           Everything known about one facility.\n"
    "  history        The register's history of changes, newest first.\n"
    "  undo           Show the latest change and revert it.\n"
    "  extend         Give one facility a later deadline, by a document.\n"
    "  exempt         Exempt one facility from a requirement, by a document.\n"
    "  commit         Record the date a facility committed to.\n"
    "  withdraw       Withdraw a facility entered by mistake.\n"
    "  reinstate      Put a withdrawn facility back in the reports.\n"
    "  verify         Check that the history was not altered.\n"
    "  backup         Back the register up into one file, safely.\n"
    "  restore        Put a backup in the place of the register.\n"
)

ENGLISH_MARK_DEPLOYED_HELP = (
    "Usage: emrtrack mark-deployed [OPTIONS] [FACILITY...]\n"
    "\n"
    "  Record that facilities have deployed EMR.\n"
    "\n"
    "  The same as: emrtrack mark FACILITY... deployed.\n"
    "\n"
    '  Example: emrtrack mark-deployed "do luong" --on 2025-08-20 --ref 3120/SYT-VP\n'
    "\n"
    "Arguments:\n"
    "  FACILITY...  Facility ids, names or aliases; case and diacritics do not\n"
    "               matter (e.g. 'do luong').\n"
    "\n"
    "Options:\n"
    "  --on DATE             The date it happened (31/08/2025 or 2025-08-31);\n"
    "                        default today.\n"
    "  --on-or-before DATE   It happened on or before this date, exactly when is\n"
    "                        not known (e.g. a statement that all had).\n"
    "  --ref TEXT            The document this rests on, e.g. a dispatch number.\n"
    "  --source TEXT         The evidence for the date, shown beside it in reports\n"
    "                        (default for --on-or-before: the --ref).\n"
    "  --note TEXT           A note kept with the change.\n"
    "  --all                 Every facility in scope of the requirement that has\n"
    "                        not reached the milestone.\n"
    "  -r, --requirement ID  With --all: whose scope (default: the register's\n"
    "                        default requirement).\n"
    "  -y, --yes             Do not ask for confirmation.\n"
    "  --by NAME             Who records this (default: your login name).\n"
    "  --correct             Replace a date already recorded (kept in history as a\n"
    "                        correction).\n"
    "  --lang en|vi          Interface language (default: $EMRTRACK_LANG, else your\n"
    "                        locale).\n"
    "  --db PATH             The register file. Default: $EMRTRACK_DB, else\n"
    "                        register.db in your data directory.\n"
    "  -h, --help            Show this message and exit.\n"
)

ENGLISH_REPORT_HELP = (
    "Usage: emrtrack report [OPTIONS]\n"
    "\n"
    "  List facilities and their state, or only the overdue.\n"
    "\n"
    "  Grouped by ownership (public first), most overdue first.\n"
    "\n"
    "  Example: emrtrack report --overdue --as-of 2025-09-01 --format csv >\n"
    "  overdue.csv\n"
    "\n"
    "Options:\n"
    "  --overdue                       Only facilities past their deadline and not\n"
    "                                  deployed.\n"
    "  --as-of DATE                    Report as of this date (31/08/2025 or\n"
    "                                  2025-08-31); default today.\n"
    "  -r, --requirement ID            A requirement id, or 'all' (default: the\n"
    "                                  register's default).\n"
    "  --group-by <ownership|kind|managed-by|none>\n"
    "                                  ownership, kind, managed-by or none.\n"
    "                                  [default: ownership]\n"
    "  -f, --format <table|csv|json|markdown|xlsx>\n"
    "                                  table, csv, json, markdown or xlsx (xlsx\n"
    "                                  needs --output).  [default: table]\n"
    "  --limit N                       Rows shown in a table (machine formats and\n"
    "                                  --all show all).  [default: 50; x>=1]\n"
    "  --all                           Show every row in a table (wins over\n"
    "                                  --limit).\n"
    "  --fail-on-overdue               Exit with code 3 when any facility is\n"
    "                                  overdue (on binding documents).\n"
    "  --include-targets               With --fail-on-overdue: count plan targets\n"
    "                                  too, not only binding documents.\n"
    "  --obligation MILESTONE|all      Which obligation: a milestone, or 'all'\n"
    "                                  (default: the requirement's principal one,\n"
    "                                  e.g. deployed).\n"
    "  -o, --output PATH               Write to this file instead of the screen\n"
    "                                  (needed for xlsx).\n"
    "  --due-within DAYS               Only facilities not yet deployed whose\n"
    "                                  deadline falls in the next DAYS days.\n"
    "                                  [x>=0]\n"
    "  --exempt                        Only facilities exempt on the day, with\n"
    "                                  their exemption.\n"
    "  --broken-commitments            Only facilities past the date they committed\n"
    "                                  to without it done, most days past first.\n"
    "  --lang en|vi                    Interface language (default: $EMRTRACK_LANG,\n"
    "                                  else your locale).\n"
    "  --db PATH                       The register file. Default: $EMRTRACK_DB,\n"
    "                                  else register.db in your data directory.\n"
    "  -h, --help                      Show this message and exit.\n"
)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--help",), ENGLISH_APP_HELP),
        (("mark-deployed", "--help"), ENGLISH_MARK_DEPLOYED_HELP),
        (("report", "--help"), ENGLISH_REPORT_HELP),
        (("--lang", "en", "report", "-h"), ENGLISH_REPORT_HELP),
    ],
)
def test_english_help_is_unchanged(args: tuple[str, ...], expected: str) -> None:
    assert _help(*args) == expected


def test_lang_on_the_command_line_wins_over_the_environment() -> None:
    assert _help("report", "--help", "--lang", "en", EMRTRACK_LANG="vi") == ENGLISH_REPORT_HELP
    assert _help("mark-deployed", "--lang=vi", "--help", EMRTRACK_LANG="en") == _help(
        "mark-deployed", "--help", EMRTRACK_LANG="vi"
    )


@pytest.mark.parametrize("how", ["env", "before", "after", "locale"])
def test_app_help_in_vietnamese(how: str) -> None:
    shown = {
        "env": lambda: _help("--help", EMRTRACK_LANG="vi"),
        "before": lambda: _help("--lang", "vi", "--help"),
        "after": lambda: _help("--help", "--lang=vi"),
        "locale": lambda: _help("--help", LANG="vi_VN.UTF-8"),
    }[how]()
    lines = shown.splitlines()
    assert lines[:8] == [
        "Cách dùng: emrtrack [TÙY_CHỌN] LỆNH [THAM_SỐ]...",
        "",
        "  Theo dõi việc các cơ sở triển khai bệnh án điện tử (EMR) theo thời hạn của",
        "  từng văn bản.",
        "",
        "  Sổ theo dõi là một tệp SQLite trên máy, được nạp từ YAML; định dạng tệp xem",
        "  trong README.",
        "",
    ]
    assert "  --version             Hiện phiên bản rồi thoát." in lines
    assert "  --lang en|vi          Ngôn ngữ giao diện (mặc định: $EMRTRACK_LANG, nếu" in lines
    assert lines[8] == "Tùy chọn:"
    assert "  -h, --help            Hiện hướng dẫn này rồi thoát." in lines
    assert "  --install-completion  Cài đặt tự động hoàn thành lệnh cho shell đang dùng." in lines
    commands = lines[lines.index("Lệnh:") + 1 :]
    assert commands == [
        "  load           Nạp cơ sở và văn bản (YAML, CSV, XLSX).",
        "  template       Tạo danh sách cơ sở trống để điền (.xlsx hoặc .csv).",
        "  export         Xuất dữ liệu hiện tại của sổ ra định dạng load đọc được.",
        "  status         Tình hình chung: đúng hạn, muộn, quá hạn, chưa đến hạn.",
        "  mark-deployed  Ghi nhận các cơ sở đã triển khai bệnh án điện tử.",
        "  mark           Ghi nhận một mốc cho một hoặc nhiều cơ sở.",
        "  report         Liệt kê cơ sở và tình trạng, hoặc chỉ các cơ sở quá hạn.",
        "  chart          Vẽ tiến độ triển khai so với thời hạn.",
        "  show           Toàn bộ thông tin về một cơ sở.",
        "  history        Lịch sử thay đổi của sổ theo dõi, mới nhất trước.",
        "  undo           Xem thay đổi gần nhất và hoàn tác.",
        "  extend         Gia hạn cho một cơ sở theo một văn bản.",
        "  exempt         Miễn áp dụng văn bản yêu cầu cho một cơ sở, theo văn bản.",
        "  commit         Ghi ngày hoàn thành mà cơ sở đã cam kết.",
        "  withdraw       Rút một cơ sở đã nhập nhầm.",
        "  reinstate      Đưa một cơ sở đã rút trở lại các báo cáo.",
        "  verify         Kiểm tra để bảo đảm lịch sử không bị sửa đổi.",
        "  backup         Sao lưu sổ theo dõi vào một tệp, an toàn.",
        "  restore        Đặt một bản sao lưu vào vị trí của sổ theo dõi.",
    ]  # every summary whole on its line, none cut short with "..."


@pytest.mark.parametrize("lang", [{"EMRTRACK_LANG": "vi"}, {}])
def test_mark_deployed_help_in_vietnamese(lang: dict[str, str]) -> None:
    shown = _help("mark-deployed", "--help", **lang) if lang else _help("mark-deployed", "--lang", "vi", "-h")
    lines = shown.splitlines()
    assert lines[:7] == [
        "Cách dùng: emrtrack mark-deployed [TÙY_CHỌN] [CƠ_SỞ...]",
        "",
        "  Ghi nhận các cơ sở đã triển khai bệnh án điện tử.",
        "",
        "  Tương đương: emrtrack mark CƠ_SỞ... deployed.",
        "",
        '  Ví dụ: emrtrack mark-deployed "do luong" --on 2025-08-20 --ref 3120/SYT-VP',
    ]
    for line in [
        "  CƠ_SỞ...  Mã, tên hoặc tên khác của các cơ sở; không phân biệt chữ hoa, chữ",
        "            thường và dấu (ví dụ 'do luong').",
        "  --on NGÀY             Ngày diễn ra (31/08/2025 hoặc 2025-08-31); mặc định là",
        "  --on-or-before NGÀY   Mốc đã đạt không muộn hơn ngày này, không rõ chính xác",
        "  --ref NỘI_DUNG        Văn bản làm căn cứ, ví dụ số công văn.",
        "  --note NỘI_DUNG       Ghi chú lưu kèm thay đổi.",
        "  -y, --yes             Không hỏi xác nhận.",
        "  --by TÊN              Người ghi nhận (mặc định: tên đăng nhập của bạn).",
        "  --correct             Thay ngày đã ghi nhận trước đó (lịch sử lưu lại dưới",
    ]:
        assert line in lines, line


def test_report_help_in_vietnamese() -> None:
    lines = _help("report", "--help", EMRTRACK_LANG="vi").splitlines()
    assert lines[:10] == [
        "Cách dùng: emrtrack report [TÙY_CHỌN]",
        "",
        "  Liệt kê cơ sở và tình trạng, hoặc chỉ các cơ sở quá hạn.",
        "",
        "  Nhóm theo hình thức sở hữu (công lập trước), cơ sở quá hạn lâu nhất đứng",
        "  đầu.",
        "",
        "  Ví dụ: emrtrack report --overdue --as-of 2025-09-01 --format csv >",
        "  overdue.csv",
        "",
    ]
    for line in [
        "  --overdue                       Chỉ các cơ sở đã qua thời hạn mà chưa triển",
        "  --all                           Hiện mọi dòng trong bảng (được ưu tiên hơn",
        "  --fail-on-overdue               Thoát với mã 3 khi có cơ sở quá hạn (theo",
        "  --due-within SỐ_NGÀY            Chỉ các cơ sở chưa triển khai có thời hạn",
        "                                  rơi vào SỐ_NGÀY ngày tới.  [x>=0]",
        "                                  cần --output).  [mặc định: table]",
    ]:
        assert line in lines, line


def test_every_help_page_is_translated() -> None:
    """Every command's page shows its example as "Ví dụ: emrtrack …", never "Example:"."""
    import typer

    from emrtrack.cli import app

    for name in typer.main.get_command(app).commands:
        vi = _help(name, "--help", EMRTRACK_LANG="vi")
        assert f"  Ví dụ: emrtrack {name}" in vi, name
        assert "Example:" not in vi, name


def test_load_help_describes_how_spreadsheets_are_read() -> None:
    assert (
        "  --sheet NAME              The worksheet of an .xlsx file to read (default:\n"
        "                            the first visible one).\n"
        "  --ignore-unknown-columns  Leave out, with a note, the columns of a CSV or\n"
        "                            .xlsx list that emrtrack does not know.\n"
    ) in _help("load", "--help")
