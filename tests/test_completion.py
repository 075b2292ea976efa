"""Tab completion through the shell's protocol, with the register given by --db before or after the
command; and the settings given before a command live in the context, not in the environment."""

from __future__ import annotations

import os
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
