"""Code planted in a register file: a view, a trigger or a table that emrtrack's schema steps did not make. The
register is data, never code that runs: such a register is refused in one line, before anything in it can run,
by every command, by `verify` and by `restore`; and every connection runs with `trusted_schema` off, so that a
view or trigger cannot call a function with side effects."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers import ROOT, rows, run

from emrtrack.store import connection

REFUSED = "so it is not opened; restore a backup with: emrtrack restore BACKUP-FILE"


def _plant(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


PLANTED = {
    "trigger writing elsewhere": (
        ("trigger", "planted"),  # named first: a trigger is what could run
        [
            "CREATE TABLE loot (what TEXT)",
            "CREATE TRIGGER planted AFTER INSERT ON milestones BEGIN INSERT INTO loot VALUES (new.facility_id); END",
        ],
    ),
    "view": (
        ("view", "everything"),
        ["CREATE VIEW everything AS SELECT * FROM facilities"],
    ),
    "table": (
        ("table", "notes"),
        ["CREATE TABLE notes (x)"],
    ),
    "append-only trigger replaced": (
        ("trigger", "events_append_only_delete"),
        [
            "DROP TRIGGER events_append_only_delete",
            "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events BEGIN SELECT 1; END",
        ],
    ),
}


@pytest.mark.parametrize("planted", PLANTED)
@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["report", "--overdue"],
        ["show", "do", "luong"],
        ["history"],
        ["mark-deployed", "do luong", "--on", "2025-08-20"],
        ["verify"],
        ["export"],
    ],
    ids=lambda a: a[0],
)
def test_a_register_with_planted_objects_is_refused_by_every_command(
    planted: str, args: list[str], dispatch_day_db: Path
) -> None:
    (kind, name), sql = PLANTED[planted]
    _plant(dispatch_day_db, *sql)
    before = dispatch_day_db.read_bytes()
    r = run(*args)
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        f"emrtrack: {dispatch_day_db}: the register holds a {kind} emrtrack did not make ('{name}'), {REFUSED}\n",
    )
    assert dispatch_day_db.read_bytes() == before
    if planted == "trigger writing elsewhere":
        assert rows(dispatch_day_db, "SELECT COUNT(*) FROM loot") == [(0,)]


def test_a_planted_trigger_never_runs_during_an_upgrade(tmp_path: Path) -> None:
    """A register of an earlier schema is upgraded when opened: a trigger planted in it is refused first, so the
    upgrade's writes cannot set it off."""
    register = tmp_path / "old.db"
    shutil.copyfile(ROOT / "tests" / "data" / "schema" / "register-m003.db", register)
    _plant(
        register,
        "CREATE TRIGGER planted AFTER UPDATE ON facilities BEGIN INSERT INTO meta VALUES (new.id || '!', 'x'); END",
    )
    before = register.read_bytes()
    r = run("status", "--db", str(register))
    assert (r.exit_code, r.stderr) == (
        1,
        f"emrtrack: {register}: the register holds a trigger emrtrack did not make ('planted'), {REFUSED}\n",
    )
    assert register.read_bytes() == before


def test_restore_refuses_a_backup_with_a_planted_trigger(dispatch_day_db: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.db"
    assert run("backup", str(backup)).exit_code == 0
    _plant(
        backup,
        "CREATE TRIGGER planted AFTER INSERT ON milestones BEGIN DELETE FROM facilities; END",
    )
    before = dispatch_day_db.read_bytes()
    r = run("restore", str(backup), "--yes")
    assert (r.exit_code, r.stderr) == (
        1,
        f"emrtrack: {backup}: the register holds a trigger emrtrack did not make ('planted'), {REFUSED}\n",
    )
    assert dispatch_day_db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_verify_names_an_object_planted_while_the_register_is_open(dispatch_day_db: Path) -> None:
    from emrtrack.errors import RegisterError
    from emrtrack.store import Register

    register = Register.open(dispatch_day_db)
    try:
        _plant(dispatch_day_db, "CREATE VIEW late_addition AS SELECT 1")
        with pytest.raises(RegisterError) as found:
            register.verify()
        assert str(found.value) == (
            f"{dispatch_day_db}: the register holds a view emrtrack did not make ('late_addition'), {REFUSED}"
        )
    finally:
        register.close()


def test_a_view_cannot_call_a_function_with_side_effects(dispatch_day_db: Path) -> None:
    """Every register connection runs with trusted_schema off: a function the program registers (without
    declaring it harmless) cannot be called from a view or trigger, only from the program's own SQL."""
    conn = connection.connect(dispatch_day_db)
    try:
        assert conn.execute("PRAGMA trusted_schema").fetchone() == (0,)
        called: list[object] = []
        conn.create_function("side_effect", 1, lambda x: called.append(x) or 1)
        assert conn.execute("SELECT side_effect(1)").fetchone() == (1,)  # the program's own call
        conn.execute("CREATE TEMP VIEW sneaky AS SELECT side_effect(id) FROM facilities")
        conn.execute("CREATE TEMP TRIGGER sneaky_trigger AFTER INSERT ON meta BEGIN SELECT side_effect(1); END")
        # temporary objects are the connection's own, and trusted: the same view in the register file is not
        conn.execute("DROP VIEW sneaky")
        conn.execute("DROP TRIGGER sneaky_trigger")
        conn.execute("CREATE VIEW sneaky AS SELECT side_effect(id) FROM facilities")
        with pytest.raises(sqlite3.OperationalError, match="unsafe use of side_effect"):
            conn.execute("SELECT * FROM sneaky").fetchall()
        assert called == [1]
    finally:
        conn.close()
    for read_only in (connection.connect_read_only(dispatch_day_db),):
        assert read_only is not None
        assert read_only.execute("PRAGMA trusted_schema").fetchone() == (0,)
        read_only.close()


def test_the_expected_schema_is_what_an_upgraded_register_holds(tmp_path: Path) -> None:
    """Every register saved by an earlier schema, once upgraded, holds exactly what a new one does: nothing in it
    is taken for planted."""
    for saved in sorted((ROOT / "tests" / "data" / "schema").glob("register-m00*.db")):
        copy = tmp_path / saved.name
        shutil.copyfile(saved, copy)
        for suffix in ("-wal", "-shm"):
            if Path(f"{saved}{suffix}").exists():
                shutil.copyfile(f"{saved}{suffix}", f"{copy}{suffix}")
        conn = connection.connect(copy)
        try:
            assert connection.unknown_objects(conn) == [], saved.name
        finally:
            conn.close()
