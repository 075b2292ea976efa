"""Shell completion, python -m emrtrack, and the progress indicator for slow loads."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

from helpers import SHIPPED
from rich.console import Console

from emrtrack import __version__
from emrtrack.cli import app
from emrtrack.completion import facilities as _complete_facility
from emrtrack.completion import requirements as _complete_requirement
from emrtrack.output.progress_bar import when_slow
from emrtrack.progress import Phases


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
    with when_slow(delay=0.5, console=console) as progress:
        progress.phase("read", file="one.yaml")
    assert out.getvalue() == ""
    with when_slow(delay=0.05, console=console) as progress:
        progress.phase("read", file="national.yaml")
        time.sleep(0.2)
        progress.total(1000)
        progress.advance(500)
        time.sleep(0.3)
        progress.advance(500)
        progress.phase("write", 40_000)
        progress.advance(10_000)
        time.sleep(0.3)
        progress.phase("history", 3)
        time.sleep(0.2)
    shown = out.getvalue()
    assert "Reading national.yaml" in shown and "500/1,000" in shown
    assert "Writing the register" in shown and "10,000/40,000" in shown
    assert "Recording the history" in shown and "0/3" in shown


class _Heard(Phases):
    def __init__(self) -> None:
        self.phases: list[list] = []

    def phase(self, name, total=None, *, file=None):
        self.phases.append([name, file, total, 0])

    def total(self, total):
        self.phases[-1][2] = total

    def advance(self, done=1):
        self.phases[-1][3] += done


def test_a_load_tells_each_phase_and_how_far_it_has_got(tmp_path):
    """Reading each file (its facilities counted), writing the register (its facilities), then the history."""
    from emrtrack.service.registers import load_files
    from emrtrack.store import Register

    table = tmp_path / "more.csv"
    table.write_text("id,name,ownership,kind\nnew-1,A,public,clinic\nnew-2,B,non-public,clinic\n", encoding="utf-8")
    heard = _Heard()
    register = Register.open(tmp_path / "r.db")
    load_files(register, [SHIPPED, table], actor="test", progress=heard)
    facilities = register.facility_count()
    assert facilities == 27
    assert heard.phases[:3] == [["read", SHIPPED.name, 25, 25], ["read", "more.csv", 2, 2], ["write", None, 27, 27]]
    assert heard.phases[3][0] == "history" and heard.phases[3][2] == heard.phases[3][3] > 27
    again = _Heard()
    load_files(register, [table], actor="test", progress=again)
    assert again.phases == [["read", "more.csv", 2, 2], ["write", None, 2, 2]]  # nothing changed: no history


def test_no_progress_when_stderr_is_not_a_terminal(small, runner, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("id,name,ownership,kind\nnew-1,A,public,clinic\n", encoding="utf-8")
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 0
    assert result.stderr == ""
