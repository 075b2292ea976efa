"""Tab completion through the shell's protocol, with the register given by --db before or after the
command; and the settings given before a command live in the context, not in the environment."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run

from emrtrack.cli import app


def _complete(runner, words: str) -> list[str]:
    """What bash is offered for the last word of `words` (as `emrtrack ... <TAB>`)."""
    cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    env = {"_EMRTRACK_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
    result = runner.invoke(app, [], env=env, prog_name="emrtrack")
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.stdout.split()


@pytest.mark.parametrize(
    "words",
    [
        "emrtrack mark --db {db} th",
        "emrtrack --db {db} mark th",
        "emrtrack mark-deployed --db {db} th",
        "emrtrack --db {db} show th",
        "emrtrack --db {db} history th",
    ],
)
def test_facility_completion_reads_the_register_given_with_db_before_or_after_the_command(
    small, runner, tmp_path, monkeypatch, words
) -> None:
    default = tmp_path / "default.db"
    monkeypatch.setenv("EMRTRACK_DB", str(default))
    assert _complete(runner, words.format(db=small)) == ["thai-an"]
    assert not default.exists()


@pytest.mark.parametrize("words", ["emrtrack --db {db} report -r 13", "emrtrack report --db {db} -r 13"])
def test_requirement_completion_reads_the_register_given_with_db(small, runner, tmp_path, monkeypatch, words) -> None:
    monkeypatch.setenv("EMRTRACK_DB", str(tmp_path / "default.db"))
    assert _complete(runner, words.format(db=small)) == ["13/2025/TT-BYT"]


def test_completion_with_a_db_that_does_not_exist_offers_nothing_and_creates_nothing(runner, tmp_path) -> None:
    missing = tmp_path / "missing.db"
    assert _complete(runner, f"emrtrack mark --db {missing} th") == []
    assert _complete(runner, f"emrtrack --db {missing} mark th") == []
    assert not missing.exists()


def test_db_before_the_command_is_used_and_not_written_into_the_environment(small, tmp_path, monkeypatch) -> None:
    other = tmp_path / "other.db"
    monkeypatch.setenv("EMRTRACK_DB", str(other))
    result = run("--db", str(small), "report", "--format", "csv")
    assert result.exit_code == 0
    assert [line.split(",")[1] for line in result.stdout.splitlines()[1:]] == [
        "do-luong-general",
        "hung-nguyen-centre",
        "thai-an",
        "hoan-my-vinh",
    ]
    assert os.environ["EMRTRACK_DB"] == str(other)
    assert not other.exists()
    # the command's own --db wins over the one before it
    assert run("--db", str(other), "report", "--db", str(small), "--format", "csv").stdout == result.stdout
    assert not other.exists()


def test_importing_the_command_line_reads_no_argument_and_sets_no_language(tmp_path) -> None:
    code = (
        "import sys\nsys.argv = ['emrtrack', '--lang', 'vi', 'status']\n"
        "from emrtrack import i18n\nimport emrtrack.cli\nprint(i18n.current())"
    )
    env = {**os.environ, "EMRTRACK_LANG": "en", "EMRTRACK_DB": str(tmp_path / "none.db")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout == "en\n"
    assert not Path(tmp_path / "none.db").exists()


# -- facilities by name: what completion offers, then through a real bash --------------------------------
@pytest.mark.parametrize(
    ("typed", "before", "expected"),
    [
        ("do", (), ["do-luong-general", "dong-au-general"]),  # by id first
        ("lu", (), ["do-luong-general", "nghe-an-lung"]),  # a word of a name or alias starts with it
        ("do lu", (), ["do-luong-general"]),  # a name of several words, quoted as one
        ("lu", ("do",), ["do-luong-general"]),  # ... or typed as words before
        ("", ("do", "luong"), ["do-luong-general"]),
        ("bvdk do lu", (), ["do-luong-general"]),  # abbreviations written out
        ("TTYT Qu", (), ["quy-hop-medical-centre"]),
        ("hoan mi", (), ["hoan-my-vinh"]),  # i and y as one
        ("hoa", (), ["hoan-my-vinh", "thai-thuong-hoang"]),  # a word begun, not every "Đa khoa"
        ("zz", (), []),
    ],
)
def test_facilities_offered_by_id_then_by_the_words_of_a_name(
    shipped_db: Path, typed: str, before: tuple[str, ...], expected: list[str]
) -> None:
    from emrtrack.completion import facilities

    assert [fid for fid, _ in facilities(typed, shipped_db, before)] == expected


def _bash_complete(words: list[str], tmp_path: Path) -> list[str]:
    """COMPREPLY in a real bash, from the script `emrtrack` prints for it, for `words` as bash splits a line
    (quotes kept) with the cursor at the end of the last one."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    exe = bindir / "emrtrack"  # the command the script runs, from this checkout
    exe.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m emrtrack "$@"\n', encoding="utf-8")
    exe.chmod(0o755)
    script = "\n".join(
        [
            'eval "$(_EMRTRACK_COMPLETE=source_bash emrtrack)"',
            "COMP_WORDS=(" + " ".join(map(shlex.quote, words)) + ")",
            f"COMP_CWORD={len(words) - 1}",
            "COMP_LINE=" + shlex.quote(" ".join(words)),
            "COMP_POINT=${#COMP_LINE}",
            "func=$(complete -p emrtrack | sed -E 's/.* -F ([^ ]+) .*/\\1/')",
            '"$func" emrtrack "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
            'printf "%s\\n" "${COMPREPLY[@]}"',
        ]
    )
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_an_id_begun_with_the_register_given_by_db_or_the_environment(
    shipped_db: Path, tmp_path: Path, monkeypatch
) -> None:
    assert _bash_complete(["emrtrack", "show", "do"], tmp_path) == ["do-luong-general", "dong-au-general"]
    monkeypatch.setenv("EMRTRACK_DB", str(tmp_path / "none.db"))
    assert _bash_complete(["emrtrack", "--db", str(shipped_db), "mark", "hoan-m"], tmp_path) == ["hoan-my-vinh"]
    assert _bash_complete(["emrtrack", "show", "do"], tmp_path) == []  # no register: nothing offered
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["emrtrack", "show", "luo"], ["do-luong-general"]),  # a word of the name
        (["emrtrack", "show", '"do lu'], ["do-luong-general"]),  # a name of several words, quoted
        (["emrtrack", "show", "'do lu"], ["do-luong-general"]),
        (["emrtrack", "mark", '"bvdk do lu'], ["do-luong-general"]),
        (["emrtrack", "mark-deployed", "thai-an-general", "do\\ lu"], ["do-luong-general"]),
        (["emrtrack", "history", '"hoan mi'], ["hoan-my-vinh"]),
    ],
)
def test_bash_completes_the_id_of_a_name_typed(
    shipped_db: Path, tmp_path: Path, words: list[str], expected: list[str]
) -> None:
    assert _bash_complete(words, tmp_path) == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["emrtrack", "show", "do", "lu"], ["luong"]),  # as the README has it: `show do lu<TAB>`
        (["emrtrack", "show", "bvdk", "do", "lu"], ["luong"]),  # an abbreviation written out
        (["emrtrack", "history", "hoan", "m"], ["my"]),
        (["emrtrack", "show", "do", ""], ["luong"]),  # the next word of the names "do" begins
        (["emrtrack", "show", "do", "xy"], []),
    ],
)
def test_bash_completes_a_name_typed_without_quotes_a_word_at_a_time(
    shipped_db: Path, tmp_path: Path, words: list[str], expected: list[str]
) -> None:
    assert _bash_complete(words, tmp_path) == expected


def test_a_name_of_several_words_needs_no_quotes_in_show_and_history(shipped_db: Path) -> None:
    shown = run("show", "do", "luong")
    assert shown.exit_code == 0 and shown.stdout == run("show", "do luong").stdout
    assert "do-luong-general" in shown.stdout
    assert run("history", "do", "luong").stdout == run("history", "do-luong-general").stdout
    assert run("history").stdout != run("history", "do", "luong").stdout


def test_next_words_of_the_names_typed() -> None:
    from emrtrack.completion import next_words

    rows = [("a", "Bệnh viện Đa khoa Đô Lương", "benh vien da khoa do luong"), ("b", "Đông Âu", "dong au")]
    assert next_words(rows, "lu", ["do"]) == ["luong"]
    assert next_words(rows, "", ["da", "khoa"]) == ["do"]
    assert next_words(rows, "", ["luong"]) == []  # the last word: nothing follows
    assert next_words(rows, "a", ["dong"]) == ["au"]
    assert next_words(rows, "x", []) == []
