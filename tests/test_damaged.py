"""Damaged registers: truncated at several sizes, a page overwritten with random bytes, a file that is not SQLite,
a register from a newer emrtrack. Every command answers in one line naming the problem and the remedy (restore
a backup), exit code 1, never a traceback, and leaves the file as it was; `verify` names what it found. A `-wal`
file left by a crash is normal: SQLite recovers its commits."""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import rows, run

RESTORE = "restore a backup with: emrtrack restore BACKUP-FILE"
PAGE = 16_384


def _truncate(size: int | Callable[[int], int]) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        data = path.read_bytes()
        keep = size(len(data)) if callable(size) else size
        path.write_bytes(data[:keep])

    return damage


def _overwrite_page(page: Callable[[Path], int]) -> Callable[[Path], None]:
    """Random bytes over page `page` (1-based), after the file's 100-byte header on the first."""

    def damage(path: Path) -> None:
        number = page(path)
        noise = random.Random(number).randbytes(PAGE)
        data = bytearray(path.read_bytes())
        start = (number - 1) * PAGE + (100 if number == 1 else 0)
        data[start : number * PAGE] = noise[: number * PAGE - start]
        if number > 1:
            data[start] = 0xFF  # never a valid page type, whatever the noise
        path.write_bytes(bytes(data))

    return damage


def _root_page(table: str) -> Callable[[Path], int]:
    return lambda path: rows(path, "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))[0][0]


def _not_sqlite(path: Path) -> None:
    path.write_text("facilities:\n  - id: not-a-register\n" * 200, encoding="utf-8")


def _newer(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('emrtrack', 'm999_future', '')"
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    # what is done to the file, and what the line says of it
    "truncated-in-header": (_truncate(50), "the register file is damaged"),
    "truncated-to-header": (_truncate(100), "the register file is damaged"),
    "truncated-to-one-page": (_truncate(PAGE), "the register file is damaged"),
    "truncated-to-half": (_truncate(lambda n: n // 2 // PAGE * PAGE), "the register file is damaged"),
    "truncated-mid-page": (_truncate(lambda n: n - PAGE // 2), "the register file is damaged"),
    "first-page-overwritten": (_overwrite_page(lambda path: 1), "the register file is damaged"),
    "facilities-page-overwritten": (_overwrite_page(_root_page("facilities")), "the register file is damaged"),
    "events-page-overwritten": (_overwrite_page(_root_page("events")), "the register file is damaged"),
    "not-sqlite": (_not_sqlite, "this file is not an emrtrack register"),
    "newer-version": (_newer, "this register was written by a newer emrtrack"),
}

COMMANDS = {
    "status": ["status"],
    "report": ["report", "--overdue"],
    "show": ["show", "do", "luong"],
    "history": ["history", "do", "luong"],
    "mark-deployed": ["mark-deployed", "do luong", "--on", "2025-08-20"],
    "load": ["load", "{data}"],
    "verify": ["verify"],
    "export": ["export", "--output", "{out}/facilities.yaml"],
    "backup": ["backup", "{out}/backup.db"],
}


@pytest.fixture(scope="module")
def damaged_files(tmp_path_factory: pytest.TempPathFactory, _dispatch_day_template: Path) -> dict[str, Path]:
    """Each damage done once to a copy of the dispatch-day register."""
    folder = tmp_path_factory.mktemp("damaged")
    made = {}
    for kind, (damage, _said) in DAMAGE.items():
        path = folder / f"{kind}.db"
        shutil.copyfile(_dispatch_day_template, path)
        damage(path)
        made[kind] = path
    return made


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", DAMAGE)
def test_every_command_names_the_damage_and_the_remedy(
    kind: str, command: str, damaged_files: dict[str, Path], tmp_path: Path
) -> None:
    register = tmp_path / "register.db"
    shutil.copyfile(damaged_files[kind], register)
    before = register.read_bytes()
    data = tmp_path / "one.yaml"
    data.write_text(
        "facilities:\n  - {id: new-one, name: Trạm Y tế Mới, ownership: public, kind: other}\n", encoding="utf-8"
    )
    (tmp_path / "out").mkdir()
    args = [a.format(data=data, out=tmp_path / "out") for a in COMMANDS[command]]
    r = run(*args, "--db", str(register))
    said = DAMAGE[kind][1]
    assert r.exit_code == 1, r.stdout
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith(f"emrtrack: {register}: {said}"), r.stderr
    remedy = "upgrade emrtrack" if kind == "newer-version" else RESTORE
    assert remedy in r.stderr
    assert register.read_bytes() == before  # nothing written, not even a journal mode
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []  # no export, no backup


def test_a_write_ahead_log_left_by_a_crash_keeps_its_commits(dispatch_day_db: Path, tmp_path: Path) -> None:
    """A register copied with its `-wal` file while a process had committed changes into it (as a crash leaves
    it): SQLite replays the log, and every command sees the commits."""
    r = run("mark-deployed", "do luong", "--on", "2025-08-20")
    assert r.exit_code == 0
    live = sqlite3.connect(dispatch_day_db)
    live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    live.execute("PRAGMA wal_autocheckpoint = 0")
    # a second mark committed by another process, still in the log when it "crashes"
    r = run("mark-deployed", "nghi loc", "--on", "2025-08-21")
    assert r.exit_code == 0
    wal = Path(f"{dispatch_day_db}-wal")
    assert wal.stat().st_size > 0
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    shutil.copyfile(dispatch_day_db, crashed / "register.db")
    shutil.copyfile(wal, crashed / "register.db-wal")
    live.close()
    register = crashed / "register.db"
    db = ["--db", str(register)]
    show = run("show", "nghi", "loc", *db)
    assert show.exit_code == 0 and "2025-08-21" in show.stdout
    verify = run("verify", *db)
    assert (verify.exit_code, verify.stdout.startswith("ok: ")) == (0, True), verify.stderr
    for args in (["status"], ["report", "--overdue"], ["history", "nghi", "loc"], ["export"]):
        r = run(*args, *db)
        assert (r.exit_code, r.stderr) == (0, ""), args
    assert run("backup", str(tmp_path / "b.db"), *db).exit_code == 0
    assert rows(tmp_path / "b.db", "SELECT date FROM milestones WHERE facility_id = 'nghi-loc-general'") == [
        ("2025-08-21",)
    ]
    assert run("mark", "nghi loc", "appraised", "--on", "2025-08-01", *db).exit_code == 0


def test_verify_reads_every_page(dispatch_day_db: Path, tmp_path: Path) -> None:
    """Damage deep inside the file, on a page a command may never read: `verify` reads them all and names it."""
    more = tmp_path / "more.yaml"
    more.write_text(
        "facilities:\n"
        + "".join(
            f"  - {{id: x-{i:04d}, name: Trạm Y tế số {i}, ownership: public, kind: other}}\n" for i in range(600)
        ),
        encoding="utf-8",
    )
    assert run("load", str(more)).exit_code == 0
    settle = sqlite3.connect(dispatch_day_db)
    settle.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    settle.close()
    pages = dispatch_day_db.stat().st_size // PAGE
    leaves = [
        page
        for page in range(2, pages + 1)
        if page not in {root for (root,) in rows(dispatch_day_db, "SELECT rootpage FROM sqlite_master")}
    ]
    _overwrite_page(lambda path: leaves[-1])(dispatch_day_db)
    before = dispatch_day_db.read_bytes()
    r = run("verify")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith(f"emrtrack: {dispatch_day_db}: the register file is damaged (")
    assert r.stderr.endswith(f"): {RESTORE}\n")
    assert dispatch_day_db.read_bytes() == before
