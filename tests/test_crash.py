"""Crashes: a load or a mark killed (SIGKILL) at any point leaves the whole old state or the whole new one."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import CLI, integrity, rows, subprocess_env, table_hash

FACILITIES = 8_000


def _large_file(path: Path) -> None:
    lines = ["facilities:"]
    for i in range(FACILITIES):
        lines += [
            f"  - id: crash-{i:05d}",
            f"    name: Trạm Y tế xã số {i}",
            "    ownership: public",
            "    kind: other",
            "    verified: 2025-07-09",
            "    milestones:",
            "      appraised: 2025-07-01",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _counts(db: Path) -> tuple[int, int, int]:
    return rows(
        db, "SELECT (SELECT COUNT(*) FROM facilities), (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM changes)"
    )[0]


def _current(db: Path) -> tuple:
    """The current tables and the size of the history (timestamps and hashes differ between two runs)."""
    return (
        rows(db, "SELECT * FROM facilities ORDER BY id"),
        rows(db, "SELECT * FROM milestones ORDER BY facility_id, milestone"),
        rows(db, "SELECT * FROM requirements ORDER BY id"),
        rows(db, "SELECT * FROM meta ORDER BY key"),
        _counts(db),
    )


def _kill_after(args: list[str], env: dict[str, str], delay: float) -> int:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    return proc.wait()


def _kill_while_writing_directly(args: list[str], env: dict[str, str], journal: Path, timeout: float) -> int:
    """Kill the load the moment its rollback journal appears (it writes straight into the file then): a
    kill in that window, whatever the machine's speed, where a kill after a fixed delay may miss it."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and not journal.exists() and time.monotonic() < deadline:
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    return proc.wait()


@pytest.mark.slow
def test_load_killed_at_several_points(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    _large_file(big)
    base = tmp_path / "base.db"
    env = subprocess_env(base)
    assert subprocess.run([*CLI, "status"], env=env, capture_output=True).returncode == 0
    old_hash, old_counts = table_hash(base), _counts(base)
    # one complete load, to know how long it takes and what the new state is
    full = tmp_path / "full.db"
    full.write_bytes(base.read_bytes())
    started = time.monotonic()
    assert subprocess.run([*CLI, "load", str(big)], env=subprocess_env(full), capture_output=True).returncode == 0
    duration = time.monotonic() - started
    new_state, new_counts = _current(full), _counts(full)
    assert new_counts == (25 + FACILITIES, old_counts[1] + 2 * FACILITIES, old_counts[2] + 1)
    fractions = (0.2, 0.4, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, None)  # None: as the journal appears
    outcomes, journals = [], []
    for fraction in fractions:
        db = tmp_path / f"kill-{fraction}.db"
        db.write_bytes(base.read_bytes())
        env = subprocess_env(db)
        if fraction is None:
            _kill_while_writing_directly([*CLI, "load", str(big)], env, Path(f"{db}-journal"), 4 * duration)
        else:
            _kill_after([*CLI, "load", str(big)], env, duration * fraction)
        journals.append(Path(f"{db}-journal").exists())  # killed while writing straight into the file
        # the next command finds what the killed one left and is not troubled
        verify = subprocess.run([*CLI, "verify"], env=env, capture_output=True, text=True)
        assert verify.returncode == 0, verify.stderr
        assert rows(db, "PRAGMA journal_mode") == [("wal",)]
        assert integrity(db) == "ok"
        got = table_hash(db)
        is_new = _current(db) == new_state
        assert got == old_hash or is_new, f"partial state after a kill at {fraction} of the load"
        outcomes.append("new" if is_new else "old")
        # the interrupted register still takes the load afterwards
        if got == old_hash:
            assert subprocess.run([*CLI, "load", str(big)], env=env, capture_output=True).returncode == 0
            assert table_hash(db) != old_hash and _counts(db) == new_counts
    print(
        f"load of {FACILITIES} facilities in {duration:.2f}s; kills at {fractions}: {outcomes}; "
        f"rollback journal left: {journals}"
    )
    assert "old" in outcomes
    assert any(journals)  # some kills came while the load wrote without the log


@pytest.mark.slow
def test_mark_killed_at_several_points(tmp_path: Path) -> None:
    base = tmp_path / "base.db"
    env = subprocess_env(base)
    assert subprocess.run([*CLI, "status"], env=env, capture_output=True).returncode == 0
    old_hash, old_counts = table_hash(base), _counts(base)
    args = [*CLI, "mark-deployed", "do luong", "--on", "2025-08-20", "--note", "crash test"]
    full = tmp_path / "full.db"
    full.write_bytes(base.read_bytes())
    started = time.monotonic()
    assert subprocess.run(args, env=subprocess_env(full), capture_output=True).returncode == 0
    duration = time.monotonic() - started
    new_counts = _counts(full)
    assert new_counts == (25, old_counts[1] + 1, old_counts[2] + 1)
    outcomes = []
    for i, fraction in enumerate((0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.1)):
        db = tmp_path / f"kill-{i}.db"
        db.write_bytes(base.read_bytes())
        env = subprocess_env(db)
        _kill_after(args, env, duration * fraction)
        assert integrity(db) == "ok"
        counts = _counts(db)
        if table_hash(db) == old_hash:
            outcomes.append("old")
        else:
            assert counts == new_counts
            assert rows(
                db, "SELECT date FROM milestones WHERE facility_id = 'do-luong-general' AND milestone = 'deployed'"
            ) == [("2025-08-20",)]
            assert rows(db, "SELECT note FROM changes ORDER BY id DESC LIMIT 1") == [("crash test",)]
            outcomes.append("new")
        verify = subprocess.run([*CLI, "verify"], env=env, capture_output=True, text=True)
        assert verify.returncode == 0, verify.stderr
    print(f"mark in {duration:.2f}s; outcomes {outcomes}")
    assert "old" in outcomes
