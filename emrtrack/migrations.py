"""The register's schema history. A migration's name is its identity: never rename a shipped one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MIGRATION_SET = "emrtrack"

_STEPS: list[tuple[str, Callable[[Any], None]]] = []


def _step(fn: Callable[[Any], None]) -> Callable[[Any], None]:
    _STEPS.append((fn.__name__, fn))
    return fn


@_step
def m001_initial(db: Any) -> None:
    """The first register: facts derived from an append-only history of changes and events."""
    for sql in (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # `doc` is the requirement as canonical JSON; `position` keeps the order it was loaded in.
        "CREATE TABLE requirements (id TEXT PRIMARY KEY, position INTEGER NOT NULL, doc TEXT NOT NULL)",
        """CREATE TABLE facilities (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, aliases TEXT NOT NULL, ownership TEXT NOT NULL,
            kind TEXT NOT NULL, managed_by TEXT, location TEXT, verified TEXT,
            folded TEXT NOT NULL)""",
        """CREATE TABLE milestones (
            facility_id TEXT NOT NULL, milestone TEXT NOT NULL, date TEXT NOT NULL,
            PRIMARY KEY (facility_id, milestone)) WITHOUT ROWID""",
        # One row per user action (a load, a mark, an undo); `reverts` names the change an undo reverted.
        """CREATE TABLE changes (
            id INTEGER PRIMARY KEY, recorded_at TEXT NOT NULL, actor TEXT NOT NULL, source TEXT NOT NULL,
            command TEXT NOT NULL, summary TEXT NOT NULL, ref TEXT, note TEXT,
            reverts INTEGER REFERENCES changes(id))""",
        # Every fact that changed: old and new values (JSON for facilities and requirements,
        # a date for milestones). The current tables are what replaying these gives.
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY, change_id INTEGER NOT NULL REFERENCES changes(id),
            entity TEXT NOT NULL, key TEXT NOT NULL, milestone TEXT, action TEXT NOT NULL,
            old TEXT, new TEXT)""",
        "CREATE INDEX events_by_key ON events (key, id)",
        "CREATE INDEX events_by_change ON events (change_id)",
        "CREATE INDEX facilities_by_name ON facilities (name)",
        # History is append-only: the register refuses to rewrite it.
        """CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
           BEGIN SELECT RAISE(ABORT, 'history is append-only'); END""",
        """CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
           BEGIN SELECT RAISE(ABORT, 'history is append-only'); END""",
        """CREATE TRIGGER changes_append_only_update BEFORE UPDATE ON changes
           BEGIN SELECT RAISE(ABORT, 'history is append-only'); END""",
        """CREATE TRIGGER changes_append_only_delete BEFORE DELETE ON changes
           BEGIN SELECT RAISE(ABORT, 'history is append-only'); END""",
    ):
        db.execute(sql)


@_step
def m002_hash_chain(db: Any) -> None:
    """Tamper evidence: each event carries the SHA-256 of its content, its change and the previous event."""
    from emrtrack.chain import CHANGE_COLUMNS, EVENT_COLUMNS, GENESIS, event_hash

    db.execute("ALTER TABLE events ADD COLUMN prev_hash TEXT")
    db.execute("ALTER TABLE events ADD COLUMN hash TEXT")
    changes = {row[0]: row[1:] for row in db.execute(
        f"SELECT id, {', '.join(CHANGE_COLUMNS)} FROM changes").fetchall()}
    prev = GENESIS
    filled = []
    for event in db.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY id").fetchall():
        h = event_hash(prev, event, changes[event[1]])
        filled.append((prev, h, event[0]))
        prev = h
    # The history stays append-only: the trigger is lifted only to fill the new columns.
    db.execute("DROP TRIGGER events_append_only_update")
    db.conn.executemany("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", filled)
    db.execute("""CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
           BEGIN SELECT RAISE(ABORT, 'history is append-only'); END""")


# Today in the register's time zone, for the views. SQLite knows no time-zone names, so the zones
# with a fixed offset used in the region are listed; any other zone falls back to UTC.
_TODAY_SQL = """date('now', CASE COALESCE((SELECT json_extract(value, '$') FROM meta WHERE key = 'timezone'),
                                  'Asia/Ho_Chi_Minh')
    WHEN 'Asia/Ho_Chi_Minh' THEN '+7 hours' WHEN 'Asia/Saigon' THEN '+7 hours'
    WHEN 'Asia/Bangkok' THEN '+7 hours' WHEN 'Asia/Vientiane' THEN '+7 hours'
    WHEN 'Asia/Phnom_Penh' THEN '+7 hours' WHEN 'Asia/Jakarta' THEN '+7 hours' ELSE '+0 hours' END)"""


def _matches(selector: str, kind: str, ownership: str) -> str:
    """SQL: the JSON selector at `selector` (kind/ownership lists) matches the facility."""
    return " AND ".join(
        f"(json_extract({selector}, '$.{field}') IS NULL OR EXISTS "
        f"(SELECT 1 FROM json_each({selector}, '$.{field}') v WHERE v.value = {column}))"
        for field, column in (("kind", kind), ("ownership", ownership)))


@_step
def m003_views(db: Any) -> None:
    """Views for other tools (sqlite3, datasette): each facility's state under each requirement, today."""
    cohort_matches = _matches("json_extract(c.value, '$.applies_to')", "f.kind", "f.ownership")
    scope_matches = _matches("json_extract(r.doc, '$.applies_to')", "f.kind", "f.ownership")
    deadline = ("(SELECT json_extract(c.value, '$.deadline') FROM json_each(r.doc, '$.deadlines') c "
                f"WHERE {cohort_matches} ORDER BY c.key LIMIT 1)")
    db.execute(f"""
        CREATE VIEW facility_state AS
        WITH today AS (SELECT {_TODAY_SQL} AS d),
        scoped AS (
            SELECT f.id AS facility_id, f.name, f.ownership, f.kind, r.id AS requirement_id,
                   {deadline} AS deadline,
                   (SELECT m.date FROM milestones m WHERE m.facility_id = f.id AND m.milestone = 'deployed'
                    AND m.date <= (SELECT d FROM today)) AS deployed,
                   (SELECT d FROM today) AS as_of
            FROM facilities f CROSS JOIN requirements r
            WHERE {scope_matches})
        SELECT facility_id, name, ownership, kind, requirement_id, deadline, deployed,
               CASE WHEN deployed IS NOT NULL THEN
                        CASE WHEN deployed <= deadline THEN 'deployed-on-time' ELSE 'deployed-late' END
                    WHEN as_of > deadline THEN 'overdue' ELSE 'not-yet-due' END AS state,
               CASE WHEN deployed IS NULL AND as_of > deadline
                    THEN CAST(julianday(as_of) - julianday(deadline) AS INTEGER) ELSE 0 END AS days_overdue,
               as_of
        FROM scoped WHERE deadline IS NOT NULL""")
    db.execute("""
        CREATE VIEW overdue AS
        SELECT facility_id, name, ownership, kind, requirement_id, deadline, days_overdue, as_of
        FROM facility_state WHERE state = 'overdue'""")


NAMES: tuple[str, ...] = tuple(name for name, _ in _STEPS)


def apply(conn: Any) -> None:
    """Apply pending migrations, each in a transaction with its record (sqlite-utils' Migrations)."""
    import sqlite_utils  # only needed when the schema is behind: keeps ordinary start-up fast

    migrations = sqlite_utils.Migrations(MIGRATION_SET)
    for name, fn in _STEPS:
        migrations(name=name)(fn)
    migrations.apply(sqlite_utils.Database(conn))
