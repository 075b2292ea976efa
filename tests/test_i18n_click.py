"""What Typer and Click print themselves (usage lines, help headings, usage errors) is in Vietnamese when the
language is Vietnamese, and exactly as Click writes it in English otherwise.

Help texts are built as the command line module is imported, so most of these run the program in a new process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emrtrack import click_words, i18n

# Click's and Typer's English, none of which may be left on a Vietnamese screen.
ENGLISH = (
    "Usage:",
    "Options",
    "Arguments",
    "Commands",
    "Error:",
    "Invalid value",
    "No such option",
    "No such command",
    "Missing argument",
    "Try ",
    "for help",
    "[required]",
    "[default:",
    "Show this message",
    "is not one of",
    "is not a valid",
    "is not a real date",
    "unexpected extra",
    "Possible options",
    "Did you mean",
    "completion for the current shell",
)


def _run(*args: str, db: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("EMRTRACK_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    environ.update(
        {"LANG": "C.UTF-8", "COLUMNS": "80", "PYTHONIOENCODING": "utf-8", "EMRTRACK_DB": str(db)},
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "emrtrack", *args],
        env=environ,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


# The placeholders of usage lines and option lists, as whole words in capitals.
PLACEHOLDERS = re.compile(r"\b(OPTIONS|COMMAND|ARGS|DATE|DAYS|FACILITY|FILE|ID|MILESTONE|NAME|PATH|TEXT)\b")


def _english_in(text: str) -> list[str]:
    return [phrase for phrase in ENGLISH if phrase in text] + PLACEHOLDERS.findall(text)


ERRORS = {
    "bad option": (("status", "--bogus"), "Lỗi: Không có tùy chọn --bogus"),
    "near option": (("status", "--as-o", "x"), "Lỗi: Không có tùy chọn --as-o (các tùy chọn gần giống: --as-of)"),
    "bad date": (
        ("status", "--as-of", "2025-13-45"),
        "Lỗi: Giá trị không hợp lệ cho '--as-of': 2025-13-45 không phải là một ngày có thật",
    ),
    "bad choice": (
        ("report", "--format", "xx"),
        "Lỗi: Giá trị không hợp lệ cho '--format' / '-f': 'xx' không phải là một trong các giá trị "
        "'table', 'csv', 'json', 'markdown', 'xlsx'.",
    ),
    "bad number": (
        ("report", "--limit", "x"),
        "Lỗi: Giá trị không hợp lệ cho '--limit': 'x' không phải là số nguyên hợp lệ.",
    ),
    "out of range": (("report", "--limit", "0"), "Lỗi: Giá trị không hợp lệ cho '--limit': 0 nằm ngoài khoảng x>=1."),
    "no value": (("report", "--limit"), "Lỗi: Tùy chọn '--limit' cần một giá trị."),
    "missing argument": (("show",), "Lỗi: Thiếu đối số 'CƠ_SỞ'."),
    "missing milestone": (("mark",), "Lỗi: Thiếu đối số 'MỐC'."),
    "extra argument": (("status", "a", "b"), "Lỗi: Thừa đối số (a b)"),
    "unknown command": (("frob",), "Lỗi: Không có lệnh 'frob'."),
    "near command": (("sho",), "Lỗi: Không có lệnh 'sho'. Có phải ý bạn là 'show'?"),
    "missing file": (
        ("load", "/no/such/file.yaml"),
        "Lỗi: Giá trị không hợp lệ cho 'TỆP...': Tệp '/no/such/file.yaml' không tồn tại.",
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_usage_errors_in_vietnamese(case: str, tmp_path: Path) -> None:
    args, error = ERRORS[case]
    r = _run(*args, db=tmp_path / "r.db", EMRTRACK_LANG="vi")
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    assert _english_in(r.stderr) == [], r.stderr
    lines = r.stderr.splitlines()
    assert lines[-1] == error
    if case != "no value":  # Click gives no context, hence no usage line, for an option without its value
        command = "emrtrack" if "command" in case else f"emrtrack {args[0]}"
        assert lines[0].startswith(f"Cách dùng: {command} [TÙY_CHỌN]")
        assert lines[1] == f"Chạy '{command} -h' để xem hướng dẫn."


def test_usage_errors_in_english_are_clicks_own(tmp_path: Path) -> None:
    r = _run("status", "--as-of", "2025-13-45", db=tmp_path / "r.db", EMRTRACK_LANG="en")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (
        "Usage: emrtrack status [OPTIONS]\n"
        "Try 'emrtrack status -h' for help.\n"
        "\n"
        "Error: Invalid value for '--as-of': 2025-13-45 is not a real date\n"
    )
    r = _run("frob", db=tmp_path / "r.db", LANG="C.UTF-8")
    assert r.stderr.splitlines()[-1] == "Error: No such command 'frob'."


def test_lang_option_translates_clicks_words(tmp_path: Path) -> None:
    r = _run("show", "--lang", "vi", db=tmp_path / "r.db", EMRTRACK_LANG="en")
    assert r.stderr.splitlines()[-1] == "Lỗi: Thiếu đối số 'CƠ_SỞ'."
    r = _run("--lang", "vi", "--bogus", db=tmp_path / "r.db")
    assert r.stderr.splitlines()[-1] == "Lỗi: Không có tùy chọn --bogus"


def _commands() -> list[str]:
    import typer

    from emrtrack.cli import app

    return list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", [None, *_commands()])
def test_every_help_page_has_no_english_of_clicks(command: str | None, tmp_path: Path) -> None:
    args = ("--help",) if command is None else (command, "--help")
    r = _run(*args, db=tmp_path / "r.db", EMRTRACK_LANG="vi")
    assert (r.returncode, r.stderr) == (0, "")
    assert _english_in(r.stdout) == [], r.stdout
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Cách dùng: emrtrack")
    assert "Tùy chọn:" in lines
    assert any(line.startswith("  -h, --help") and line.endswith("Hiện hướng dẫn này rồi thoát.") for line in lines)
    english = _run(*args, db=tmp_path / "r.db", EMRTRACK_LANG="en").stdout
    assert english.startswith("Usage: emrtrack") and "Options:" in english
    assert "Show this message and exit." in english


def test_no_arguments_shows_the_help_in_vietnamese(tmp_path: Path) -> None:
    r = _run(db=tmp_path / "r.db", EMRTRACK_LANG="vi")
    shown = r.stdout + r.stderr
    assert shown.startswith("Cách dùng: emrtrack [TÙY_CHỌN] LỆNH [THAM_SỐ]...")
    assert _english_in(shown) == []


def test_the_language_switches_back_and_forth_in_one_process(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from emrtrack.cli import app

    runner = CliRunner()
    env = {"EMRTRACK_DB": str(tmp_path / "r.db"), "EMRTRACK_LANG": ""}
    try:
        for lang, usage, error in [
            ("vi", "Cách dùng: emrtrack status [TÙY_CHỌN]", "Lỗi: Không có tùy chọn --bogus"),
            ("en", "Usage: emrtrack status [OPTIONS]", "Error: No such option: --bogus"),
            ("vi", "Cách dùng: emrtrack status [TÙY_CHỌN]", "Lỗi: Không có tùy chọn --bogus"),
        ]:
            r = runner.invoke(app, ["status", "--bogus", "--lang", lang], env=env, prog_name="emrtrack")
            assert r.exit_code == 2
            assert r.output.startswith(usage), r.output
            assert r.output.splitlines()[-1] == error
    finally:
        i18n.set_language("en")


def test_click_text() -> None:
    try:
        i18n.set_language("vi")
        assert click_words.click_text("Options") == "Tùy chọn"
        assert click_words.click_text("Missing argument 'X'.") == "Thiếu đối số 'X'."
        assert (
            click_words.click_text("Invalid value for '-n': 'x' is not a valid int.")
            == "Giá trị không hợp lệ cho '-n': 'x' không phải là số nguyên hợp lệ."
        )
        assert click_words.click_text("Missing argument 'M'. Choose from:\n\ta,\n\tb") == (
            "Thiếu đối số 'M'. Chọn một trong:\n\ta,\n\tb"
        )
        assert click_words.click_text("something of emrtrack's own") == "something of emrtrack's own"
        i18n.set_language("en")
        assert click_words.click_text("Missing argument 'X'.") == "Missing argument 'X'."
    finally:
        i18n.set_language("en")


def test_every_click_message_is_in_the_catalogue() -> None:
    import gettext

    translation = gettext.translation(i18n.DOMAIN, localedir=i18n.LOCALE_DIR, languages=["vi"])
    for message in click_words.CLICK_MESSAGES:
        assert translation.gettext(message) != message, message


@pytest.mark.parametrize(
    ("lang", "answers", "expected", "asked"),
    [
        ("vi", ["có"], True, "Hoàn tác thay đổi này? [c/K]"),
        ("vi", ["C"], True, "Hoàn tác thay đổi này? [c/K]"),
        ("vi", ["co"], True, "Hoàn tác thay đổi này? [c/K]"),
        ("vi", ["không"], False, "Hoàn tác thay đổi này? [c/K]"),
        ("vi", ["k"], False, "Hoàn tác thay đổi này? [c/K]"),
        ("vi", [""], False, "Hoàn tác thay đổi này? [c/K]"),
        ("vi", ["ừ", "có"], True, "Hoàn tác thay đổi này? [c/K]"),  # not understood: asked again
        ("en", ["y"], True, "Revert this change? [y/N]"),
        ("en", ["yes"], True, "Revert this change? [y/N]"),
        ("en", ["no"], False, "Revert this change? [y/N]"),
        ("en", ["có", "n"], False, "Revert this change? [y/N]"),  # Vietnamese words are not English ones
    ],
)
def test_a_question_is_answered_as_the_language_answers_it(
    lang: str, answers: list[str], expected: bool, asked: str, capsys: pytest.CaptureFixture[str]
) -> None:
    questions: list[str] = []

    def ask(text: str) -> str:
        questions.append(text)
        return answers[len(questions) - 1]

    i18n.set_language(lang)
    try:
        assert click_words.confirm(i18n._("Revert this change?"), ask) is expected
    finally:
        i18n.set_language("en")
    assert questions == [asked] * len(answers)
    if len(answers) > 1:
        again = "Hãy trả lời c (có) hoặc k (không).\n" if lang == "vi" else "Please answer y or n.\n"
        assert capsys.readouterr().err == again
