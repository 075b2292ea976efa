"""Ctrl-C during a load ends with one line that says whether the load was recorded, exit code 130, never a
traceback; and what the line says is what the register holds."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import CLI, subprocess_env, table_hash

FACILITIES = 20_000


def _large_file(path: Path) -> None:
    lines = ["facilities:"]
    for i in range(FACILITIES):
        lines += [
            f"  - id: t-{i:05d}",
            f"    name: Trạm y tế thử {i}",
            "    ownership: public",
            "    kind: clinic",
            "    milestones: {deployed: 2025-08-20}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_ctrl_c_during_a_load_says_whether_it_was_recorded(shipped_db: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    _large_file(big)
    env = subprocess_env(shipped_db)
    before = table_hash(shipped_db)
    said = set()
    for delay in (0.4, 1.2, 2.5):
        proc = subprocess.Popen(
            [*CLI, "load", str(big)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        if proc.returncode == 0:  # the load had ended before the signal came
            said.add("ended")
            break
        assert proc.returncode == 130, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        if err.startswith("Interrupted, but the load was recorded, as change #"):
            said.add("recorded")
            assert table_hash(shipped_db) != before
            break
        assert err == "Interrupted: nothing was loaded; the register is as it was.\n"
        assert table_hash(shipped_db) == before
        said.add("nothing")
    assert said
