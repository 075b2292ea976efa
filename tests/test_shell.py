"""Shell completion, python -m emrtrack, and the progress indicator for slow loads."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

from rich.console import Console

from emrtrack import __version__
from emrtrack.cli import app
from emrtrack.completion import facilities as _complete_facility
from emrtrack.completion import requirements as _complete_requirement
from emrtrack.output.progress_bar import when_slow


def test_facility_completion_by_id_and_by_folded_name(small):
    assert _complete_facility("thai") == [("thai-an", "Bệnh viện Đa khoa Thái An")]
    assert _complete_facility("h") == [
        ("hoan-my-vinh", "Bệnh viện Đa khoa Hoàn Mỹ Vinh"),
        ("hung-nguyen-centre", "Trung tâm Y tế Hưng Nguyên"),
    ]
    # no diacritics, any case, an alias, part of a name
    assert _complete_facility("DO LUONG") == [("do-luong-general", "Bệnh viện Đa khoa Đô Lương")]
    assert _complete_facility("hoan my") == [("hoan-my-vinh", "Bệnh viện Đa khoa Hoàn Mỹ Vinh")]
    assert [fid for fid, _n in _complete_facility("")] == [
        "do-luong-general",
        "hoan-my-vinh",
        "hung-nguyen-centre",
        "thai-an",
    ]
    assert _complete_facility("zzz") == []


def test_completion_reads_the_register_given_with_db(small, tmp_path, monkeypatch):
    monkeypatch.setenv("EMRTRACK_DB", str(tmp_path / "none.db"))
    assert _complete_facility("thai") == []
    assert _complete_facility("thai", small) == [("thai-an", "Bệnh viện Đa khoa Thái An")]


def test_requirement_completion(small):
    assert _complete_requirement("13") == [("13/2025/TT-BYT", "")]
    assert _complete_requirement("2898/syt") == [("2898/SYT-VP", "Đẩy nhanh tiến độ")]
    assert _complete_requirement("a") == [("all", "every requirement")]


def test_completion_never_creates_a_register(tmp_path, monkeypatch):
    db = tmp_path / "none.db"
    monkeypatch.setenv("EMRTRACK_DB", str(db))
    assert _complete_facility("a") == []
    assert _complete_requirement("") == []
    assert not db.exists()


def test_completion_through_the_shell_protocol(small, runner):
    """What bash runs when the user presses tab: `emrtrack mark-deployed th<TAB>`."""
    env = {"_EMRTRACK_COMPLETE": "complete_bash", "COMP_WORDS": "emrtrack mark-deployed th", "COMP_CWORD": "2"}
    result = runner.invoke(app, [], env=env, prog_name="emrtrack")
    assert result.stdout.split() == ["thai-an"]


def test_python_dash_m(small):
    result = subprocess.run(
        [sys.executable, "-m", "emrtrack", "--version"], capture_output=True, text=True, env={**os.environ}, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout == f"emrtrack {__version__}\n"


def test_progress_shows_only_when_the_work_is_slow():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80)
    with when_slow(2, "Loading", delay=0.5, console=console) as progress:
        progress.step("Reading one.yaml")
    assert out.getvalue() == ""
    with when_slow(2, "Loading", delay=0.05, console=console) as progress:
        progress.step("Reading national.yaml")
        time.sleep(0.3)
        progress.step("Writing the register")
        time.sleep(0.3)
    shown = out.getvalue()
    assert "Reading national.yaml" in shown and "0/2" in shown
    assert "Writing the register" in shown and "1/2" in shown


def test_no_progress_when_stderr_is_not_a_terminal(small, runner, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("id,name,ownership,kind\nnew-1,A,public,clinic\n", encoding="utf-8")
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 0
    assert result.stderr == ""
