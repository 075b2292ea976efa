"""Inputs and outputs an office meets: a device for a file, a text longer than a spreadsheet cell, a console
whose encoding cannot write Vietnamese."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import CLI, run, subprocess_env, table_hash


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="a system without /dev/zero")
def test_a_device_is_refused_at_the_size_limit_not_read_until_memory_runs_out(shipped_db: Path) -> None:
    before = table_hash(shipped_db)
    r = run("load", "/dev/zero")
    assert (r.exit_code, r.stderr) == (1, "emrtrack: /dev/zero:1: the file is over the limit of 64 MiB\n")
    assert table_hash(shipped_db) == before


@pytest.mark.parametrize("suffix", ["yaml", "csv"])
def test_a_text_longer_than_a_spreadsheet_cell_is_refused(shipped_db: Path, tmp_path: Path, suffix: str) -> None:
    name = "Đ" * 32_768
    path = tmp_path / f"long.{suffix}"
    if suffix == "yaml":
        path.write_text(
            f"facilities:\n  - id: long\n    name: {name}\n    ownership: public\n    kind: clinic\n", encoding="utf-8"
        )
        where = "3"
    else:
        path.write_text(f"id,name,ownership,kind\nlong,{name},public,clinic\n", encoding="utf-8")
        where = "2:B"
    r = run("load", str(path))
    assert (r.exit_code, r.stderr) == (
        1,
        f"emrtrack: {path}:{where}: facility 'long': name is 32,768 characters long; the limit is 32,767 "
        "(what a spreadsheet cell holds)\n",
    )
    exactly = tmp_path / "exactly.csv"
    exactly.write_text(f"id,name,ownership,kind\nlong,{'Đ' * 32_767},public,clinic\n", encoding="utf-8")
    assert run("load", str(exactly)).exit_code == 0


def test_a_console_that_cannot_write_vietnamese_gets_utf8(shipped_db: Path) -> None:
    env = {**subprocess_env(shipped_db), "PYTHONIOENCODING": "cp1258"}
    r = subprocess.run([*CLI, "report", "--overdue", "--as-of", "2025-09-01"], env=env, capture_output=True, timeout=60)
    assert (r.returncode, r.stderr) == (0, b"")
    assert "Bệnh viện Đa khoa Đô Lương" in r.stdout.decode("utf-8")
