"""A full disk: a `load`, a `mark`, an `export` or a `backup` that runs out of space ends in one plain line, exit
code 1; the register is exactly as before and verifies, and no part of a file is left behind.

Each test runs twice: on a small tmpfs that the test fills (where this machine lets a test mount one), and with
stand-ins for it (SQLite's page limit for the register and for a backup, /dev/full for an exported file), so
that the behaviour is tested wherever the tests run."""

from __future__ import annotations

import os
import sqlite3
import types
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import rows, run, table_hash
from places import MOUNTED, STAND_IN, copy_register, fill, listing, tmpfs

from emrtrack.store import backup as backup_module
from emrtrack.store import connection

FULL = "the disk is full: nothing was written; free some space and try again"


@dataclass
class Disk:
    folder: Path
    kind: str
    monkeypatch: pytest.MonkeyPatch

    def fill(self, leave: int) -> None:
        """No more room on the disk than `leave` bytes (about; stand-ins: none at all)."""
        if self.kind == MOUNTED:
            fill(self.folder, leave)
            return
        tight = connection.guard

        def no_room(conn: sqlite3.Connection) -> None:  # the register may not grow by a single page
            tight(conn)
            conn.execute(f"PRAGMA max_page_count = {max(conn.execute('PRAGMA page_count').fetchone()[0], 1)}")

        self.monkeypatch.setattr(connection, "guard", no_room)

        def full_file(path: Path) -> Path:  # a file written here fills up at once, as on a full disk
            made = self.folder / f".{path.name}.fulldisk.tmp"
            made.symlink_to("/dev/full")
            return made

        from emrtrack.output import writers

        self.monkeypatch.setattr(writers, "beside", full_file)
        self.monkeypatch.setattr(backup_module, "beside", full_file)

    def free(self) -> None:
        (self.folder / "filler").unlink(missing_ok=True)


@pytest.fixture(params=[MOUNTED, STAND_IN])
def disk(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "disk"
    if request.param == STAND_IN:
        folder.mkdir()
        yield Disk(folder, STAND_IN, monkeypatch)
        return
    with tmpfs(folder, "4m") as mounted:
        yield Disk(folder, MOUNTED if mounted else STAND_IN, monkeypatch)


def _facilities(path: Path, count: int) -> Path:
    lines = ["facilities:"]
    for i in range(count):
        lines += [
            f"  - id: full-{i:04d}",
            f"    name: Trạm Y tế xã số {i}",
            "    ownership: public",
            "    kind: other",
            "    milestones: {appraised: 2025-07-01}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _unchanged(register: Path, before: str, disk: Disk) -> None:
    disk.free()
    assert table_hash(register) == before
    r = run("verify", "--db", str(register))
    assert (r.exit_code, r.stdout.splitlines()[0].startswith("ok: ")) == (0, True), r.stderr


def test_a_mark_on_a_full_disk_writes_nothing(disk: Disk, dispatch_day_db: Path) -> None:
    register = copy_register(dispatch_day_db, disk.folder / "register.db")
    before = table_hash(register)
    disk.fill(leave=64 * 1024)  # room for SQLite's shared memory, not for the change
    r = run("mark-deployed", "--all", "--on", "2025-08-20", "--yes", "--db", str(register))
    assert (r.exit_code, r.stderr) == (1, f"emrtrack: {register}: {FULL}\n")
    assert r.stdout.startswith("To record: deployed on 2025-08-20, for 25 facilities:") and "Change #" not in r.stdout
    _unchanged(register, before, disk)
    assert rows(register, "SELECT COUNT(*) FROM milestones")[0][0] == 0


def test_a_load_on_a_full_disk_writes_nothing(disk: Disk, dispatch_day_db: Path, tmp_path: Path) -> None:
    register = copy_register(dispatch_day_db, disk.folder / "register.db")
    before = table_hash(register)
    data = _facilities(tmp_path / "many.yaml", 400)
    disk.fill(leave=64 * 1024)
    r = run("load", str(data), "--db", str(register))
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"emrtrack: {register}: {FULL}\n")
    _unchanged(register, before, disk)
    assert rows(register, "SELECT COUNT(*) FROM facilities")[0][0] == 25


def test_an_export_to_a_full_disk_leaves_the_file_as_it_was(disk: Disk, dispatch_day_db: Path) -> None:
    out = disk.folder / "facilities.yaml"
    out.write_text("what was there\n", encoding="utf-8")
    before = table_hash(dispatch_day_db)
    disk.fill(leave=0)
    r = run("export", "--output", str(out))
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr in (f"emrtrack: {out}: {FULL}\n", f"emrtrack: {FULL}\n")
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert out.read_text(encoding="utf-8") == "what was there\n"
    assert [n for n in listing(disk.folder) if n != "filler"] == ["facilities.yaml"]  # no part of a file left
    _unchanged(dispatch_day_db, before, disk)


def test_a_backup_to_a_full_disk_leaves_no_part_of_a_file(disk: Disk, dispatch_day_db: Path) -> None:
    dest = disk.folder / "backup.db"
    before = table_hash(dispatch_day_db)
    disk.fill(leave=0)
    r = run("backup", str(dest))
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"emrtrack: {dest}: {FULL}\n")
    assert [n for n in listing(disk.folder) if n != "filler"] == []
    _unchanged(dispatch_day_db, before, disk)


def test_a_register_on_a_disk_too_full_to_open_it_says_so(disk: Disk, dispatch_day_db: Path) -> None:
    """With no room even for SQLite's shared memory (32 KiB), no command can open the register: each says the
    disk is full, and the register is as it was. (Stand-ins: the register may not grow, which reading allows.)"""
    before = table_hash(dispatch_day_db)  # read before the copy: opening the copy would make its shared memory
    register = copy_register(dispatch_day_db, disk.folder / "register.db")
    disk.fill(leave=0)
    for args in (["status"], ["mark-deployed", "--all", "--on", "2025-08-20", "--yes"], ["verify"]):
        r = run(*args, "--db", str(register))
        if disk.kind == MOUNTED or args[0] == "mark-deployed":
            assert (r.exit_code, r.stderr) == (1, f"emrtrack: {register}: {FULL}\n"), args
        else:
            assert r.exit_code == 0, r.stderr
    _unchanged(register, before, disk)
    assert os.path.exists(register)


def test_the_stand_ins_are_what_a_full_disk_does(tmp_path: Path) -> None:
    """SQLite's page limit fails a write as a full disk does (SQLITE_FULL), and /dev/full as a full file system
    does (ENOSPC): the stand-ins exercise the same paths."""
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as found:
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 100)
    assert str(found.value) == "database or disk is full"
    with pytest.raises(OSError) as written, open("/dev/full", "w") as full:
        full.write("x")
        full.flush()
    assert written.value.errno == 28
    assert isinstance(backup_module.sqlite3, types.ModuleType)
