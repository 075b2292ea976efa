"""End to end, through a real process: `python -m emrtrack` and the installed `emrtrack` script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import table_hash

SCRIPT = shutil.which("emrtrack", path=str(Path(sys.executable).parent)) or shutil.which("emrtrack")


def emrtrack(
    *args: str, cwd: Path, env: dict[str, str] | None = None, script: bool = False
) -> subprocess.CompletedProcess:
    if script:
        assert SCRIPT is not None, "the emrtrack script is not installed next to this Python"
    command = [SCRIPT] if script else [sys.executable, "-m", "emrtrack"]
    full_env = {k: v for k, v in os.environ.items() if k not in ("EMRTRACK_DEBUG", "COLUMNS", "NO_COLOR")}
    full_env.update(env or {})
    return subprocess.run(
        [*command, *args], cwd=cwd, env=full_env, capture_output=True, text=True, encoding="utf-8", timeout=60
    )


def test_quick_start_on_a_fresh_register(db_path: Path, tmp_path: Path) -> None:
    from emrtrack.rules import today

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = emrtrack("report", "--overdue", cwd=elsewhere, script=True)
    assert r.returncode == 0
    assert r.stderr == (
        f"Created a new register at {db_path} with the shipped data (nghe-an-2898.yaml: 25 facilities).\n"
    )
    day = today("Asia/Ho_Chi_Minh")
    # none is overdue on deployment today, and a line says why the list is short
    assert r.stdout.splitlines() == [
        f"0 facilities overdue against 2898/SYT-VP (deadline 2025-08-31) as of {day}",
        "25 facilities deployed on or before 2025-09-24 (Minister of Health, 24 September 2025, reported by "
        "VietNamNet on 26 September 2025 [4]): timing against the deadline 2025-08-31 unconfirmed.",
        "None.",
    ]
    dispatch_day = emrtrack("report", "--overdue", "--as-of", "2025-09-01", cwd=elsewhere, script=True)
    out = dispatch_day.stdout.splitlines()
    assert out[0] == "25 facilities overdue against 2898/SYT-VP (deadline 2025-08-31) as of 2025-09-01"
    assert out[1].rstrip() == "Public (13)"
    assert out[19].rstrip() == "Non-public (12)"
    body = [line for line in out if line.startswith("│")]
    assert len(body) == 25
    assert all("│ 2025-08-31 │            1 │ none" in line for line in body)
    assert "\x1b[" not in r.stdout


def test_python_m_emrtrack_report_csv(db_path: Path, tmp_path: Path) -> None:
    r = emrtrack("report", "--overdue", "--as-of", "2025-09-01", "--format", "csv", cwd=tmp_path)
    assert r.returncode == 0
    assert r.stderr.startswith("Created a new register at ")
    assert len(r.stdout.splitlines()) == 26
    assert {line.split(",")[7] for line in r.stdout.splitlines()[1:]} == {"1"}


def test_bad_file_gives_one_line_and_exit_1(shipped_db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "facilities:\n  - id: x\n    name: X\n    ownership: public\n    kind: clinic\n    verified: 2025-02-30\n",
        encoding="utf-8",
    )
    before = table_hash(shipped_db)
    r = emrtrack("load", str(bad), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == f"emrtrack: {bad}:6: facility 'x': verified: 2025-02-30 is not a real date\n"
    assert table_hash(shipped_db) == before


def test_unresolvable_facility_gives_one_line(shipped_db: Path, tmp_path: Path) -> None:
    r = emrtrack("show", "115", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr


def test_debug_shows_the_traceback(shipped_db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("facilities: [\n", encoding="utf-8")
    r = emrtrack("load", str(bad), cwd=tmp_path, env={"EMRTRACK_DEBUG": "1"})
    assert r.returncode == 1
    assert "Traceback (most recent call last)" in r.stderr
    assert "emrtrack.errors.InputError" in r.stderr


def test_fail_on_overdue_exit_code(shipped_db: Path, tmp_path: Path) -> None:
    r = emrtrack("report", "--overdue", "--as-of", "2025-09-01", "--fail-on-overdue", "-f", "json", cwd=tmp_path)
    assert r.returncode == 3
    assert r.stderr == "emrtrack: 25 overdue\n"


def test_version_through_the_script(tmp_path: Path) -> None:
    from emrtrack import __version__

    r = emrtrack("--version", cwd=tmp_path, script=True)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"emrtrack {__version__}\n", "")


def test_no_color_and_a_pipe_give_no_escape_codes(shipped_db: Path, tmp_path: Path) -> None:
    r = emrtrack("status", "--as-of", "2025-09-01", cwd=tmp_path, env={"NO_COLOR": "1"})
    assert r.returncode == 0
    assert "\x1b[" not in r.stdout


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_output_piped_into_a_reader_that_stops_early_is_not_an_error(tmp_path: Path, fmt: str) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(
        "facilities:\n"
        + "".join(
            f"  - {{id: c{i}, name: Phòng khám số {i}, ownership: non-public, kind: clinic}}\n" for i in range(4000)
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "EMRTRACK_DB": str(tmp_path / "r.db")}
    subprocess.run([sys.executable, "-m", "emrtrack", "load", str(big)], env=env, check=True, capture_output=True)
    proc = subprocess.run(
        f"set -o pipefail; {sys.executable} -m emrtrack report --all --as-of 2027-01-02 -r 13/2025/TT-BYT "
        f"--format {fmt} | head -c 10",
        shell=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        executable="/bin/bash",
    )
    assert len(proc.stdout) == 10
    assert proc.stderr == ""
    assert proc.returncode == 0
