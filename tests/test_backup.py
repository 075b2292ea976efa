"""backup and restore: a backup taken while officers write holds every change committed before it began, in one
file that verifies; restore checks a backup before it replaces the register, and keeps the one it replaces."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import rows, run, table_hash

from emrtrack.store import Register

WRITER = """
import sys
from datetime import date, timedelta
from pathlib import Path
from emrtrack.model import Reached
from emrtrack.store import Register
register = Register.open(Path(sys.argv[1]))
facility = register.facility(sys.argv[2])
for i in range(int(sys.argv[3])):
    day = date(2025, 8, 1) + timedelta(days=i % 20)
    register.mark([facility], "deployed", Reached(day), actor=sys.argv[2], correct=True)
"""


def _changes(path: Path) -> list[int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return [i for (i,) in conn.execute("SELECT id FROM changes ORDER BY id")]


@pytest.mark.slow
def test_a_backup_taken_while_four_officers_mark_holds_every_change_committed_before_it(
    shipped_db: Path, tmp_path: Path
) -> None:
    facilities = ["do-luong-general", "hoan-my-vinh", "thai-an-general", "nghi-loc-general"]
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(shipped_db), fid, "60"], stderr=subprocess.PIPE)
        for fid in facilities
    ]
    try:
        while len(_changes(shipped_db)) < 20:  # the officers are at work
            time.sleep(0.05)
        committed = _changes(shipped_db)[-1]  # before the backup begins
        dest = tmp_path / "backups" / "register.db"
        dest.parent.mkdir()
        r = subprocess.run(
            [sys.executable, "-m", "emrtrack", "--db", str(shipped_db), "backup", str(dest)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(f"Backed up the register to {dest}, and checked the copy:\nok: ")
        during = _changes(shipped_db)[-1]
    finally:
        for w in writers:
            assert w.wait(timeout=120) == 0, w.stderr.read() if w.stderr else ""
    held = _changes(dest)
    assert held == list(range(1, held[-1] + 1))  # whole: no change missing
    assert committed <= held[-1] <= during  # every change committed before it began, and a snapshot
    assert sorted(p.name for p in dest.parent.iterdir()) == ["register.db"]  # one file: no -wal, no -shm
    with sqlite3.connect(dest) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert run("--db", str(dest), "verify").exit_code == 0
    assert _changes(shipped_db)[-1] == 1 + 4 * 60  # the officers' work went on, whole


def test_restore_puts_a_backup_back_and_keeps_the_register_it_replaces(shipped_db: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backup.db"
    assert run("backup", str(dest)).exit_code == 0
    backed_up = Register.open_read_only(dest).content_hash()  # type: ignore[union-attr]
    assert run("mark-deployed", "do luong", "--on", "2025-08-20").exit_code == 0
    after_mark = table_hash(shipped_db)
    r = run("restore", str(dest), "--yes")
    assert r.exit_code == 0, r.stderr
    first, *rest = r.stdout.splitlines()
    kept = Path(first.rsplit(" kept as ", 1)[1].rstrip("."))
    assert first == f"Restored the register from {dest}; the one it replaced is kept as {kept}."
    assert rest[0].startswith("ok: ")
    assert Register.open(shipped_db).content_hash() == backed_up
    assert kept.parent == shipped_db.parent and kept.name.startswith("register.db.replaced-")
    assert table_hash(kept) == after_mark  # the register it replaced, with the mark
    assert rows(kept, "SELECT date FROM milestones WHERE facility_id = 'do-luong-general'") == [("2025-08-20",)]
    assert run("verify").exit_code == 0


@pytest.mark.parametrize("damage", ["truncated", "not a register", "altered"])
def test_a_damaged_or_altered_backup_is_refused_and_the_register_kept(
    shipped_db: Path, tmp_path: Path, damage: str
) -> None:
    dest = tmp_path / "backup.db"
    assert run("backup", str(dest)).exit_code == 0
    if damage == "truncated":
        dest.write_bytes(dest.read_bytes()[: dest.stat().st_size // 2])
    elif damage == "not a register":
        dest.write_text("facilities: []\n", encoding="utf-8")
    else:
        with sqlite3.connect(dest) as conn:
            conn.execute("DROP TRIGGER events_append_only_update")
            conn.execute("UPDATE events SET new = '2025-01-01' WHERE id = (SELECT MAX(id) FROM events)")
    before = table_hash(shipped_db)
    r = run("restore", str(dest), "--yes")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr.startswith(f"emrtrack: {dest}") and len(r.stderr.splitlines()) == 1, r.stderr
    assert table_hash(shipped_db) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("register.db.", ".register"))) == []


def test_restore_asks_first(shipped_db: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backup.db"
    assert run("backup", str(dest)).exit_code == 0
    r = run("restore", str(dest))  # not a terminal: no question can be asked
    assert (r.exit_code, r.stderr) == (2, "emrtrack: restore needs confirmation: run it again with --yes\n")


def test_a_new_register_follows_the_umask_as_any_new_file(tmp_path: Path) -> None:
    """So that officers who share a folder can share a register (a backup, an export: the same)."""
    import os
    import stat

    mask = os.umask(0o022)
    try:
        db = tmp_path / "new.db"
        assert run("--db", str(db), "--create", "status").exit_code == 0
        assert stat.S_IMODE(db.stat().st_mode) == 0o644
        dest = tmp_path / "backup.db"
        assert run("--db", str(db), "backup", str(dest)).exit_code == 0
        assert stat.S_IMODE(dest.stat().st_mode) == 0o644
    finally:
        os.umask(mask)


def test_a_backup_restored_where_there_is_no_register_yet(shipped_db: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backup.db"
    assert run("backup", str(dest)).exit_code == 0
    fresh = tmp_path / "elsewhere" / "register.db"
    fresh.parent.mkdir()
    r = run("--db", str(fresh), "restore", str(dest), "--yes")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == f"Restored the register from {dest} at {fresh}."
    assert Register.open(fresh).content_hash() == Register.open(shipped_db).content_hash()
    assert sorted(p.name for p in fresh.parent.iterdir() if "replaced" in p.name) == []
