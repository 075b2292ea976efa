"""The register's schema history. A migration's name is its identity: never rename a shipped one."""

from __future__ import annotations

import re
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
    from emrtrack.store.chain import CHANGE_COLUMNS, EVENT_COLUMNS, GENESIS, event_hash

    db.execute("ALTER TABLE events ADD COLUMN prev_hash TEXT")
    db.execute("ALTER TABLE events ADD COLUMN hash TEXT")
    changes = {row[0]: row[1:] for row in db.execute(f"SELECT id, {', '.join(CHANGE_COLUMNS)} FROM changes").fetchall()}
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


@_step
def m003_views(db: Any) -> None:
    """Views for other tools (sqlite3, datasette): each facility's state under each requirement, today."""
    from emrtrack.store import sql_rules

    db.execute(sql_rules.legacy_facility_state_view())
    db.execute(sql_rules.LEGACY_OVERDUE_VIEW)


@_step
def m004_change_facts(db: Any) -> None:
    """Each change keeps its summary as structured facts too, so that it can be shown in any language.

    The English `summary` stays (the hashes cover it) and is not rewritten; `facts` is filled for the
    changes already recorded from their summaries, where the summary is one emrtrack wrote. `verify`
    checks that a change's facts still give its summary."""
    from emrtrack.store.codec import canonical, summary_text

    db.execute("ALTER TABLE changes ADD COLUMN facts TEXT")
    filled = []
    summaries = dict(db.execute("SELECT id, summary FROM changes ORDER BY id").fetchall())
    known: dict[int, dict[str, Any]] = {}
    for change_id, summary in summaries.items():
        facts = _facts_of(summary, known)
        if facts is not None and summary_text(facts) == summary:
            known[change_id] = facts
            filled.append((canonical(facts), change_id))
    # The history stays append-only: the trigger is lifted only to fill the new column.
    db.execute("DROP TRIGGER changes_append_only_update")
    db.conn.executemany("UPDATE changes SET facts = ? WHERE id = ?", filled)
    db.execute("""CREATE TRIGGER changes_append_only_update BEFORE UPDATE ON changes
           BEGIN SELECT RAISE(ABORT, 'history is append-only'); END""")


@_step
def m005_bounds_and_obligations(db: Any) -> None:
    """Milestones known as "on or before" a date, with their evidence; requirements with several obligations.

    Every milestone recorded so far is exact and keeps its date. The views are rebuilt: `obligation_state`
    (each obligation of each requirement, with the bound and the new state) and, over it, `facility_state`
    and `overdue`, which keep their earlier columns first."""
    from emrtrack.store import sql_rules

    db.execute("ALTER TABLE milestones ADD COLUMN exact INTEGER NOT NULL DEFAULT 1")
    db.execute("ALTER TABLE milestones ADD COLUMN source TEXT")
    db.execute("DROP VIEW overdue")
    db.execute("DROP VIEW facility_state")
    db.execute(sql_rules.obligation_state_view_m005())
    db.execute(sql_rules.FACILITY_STATE_VIEW)
    db.execute(sql_rules.OVERDUE_VIEW)


@_step
def m006_names_folded_without_invisible_characters(db: Any) -> None:
    """Names are folded without the invisible characters pasted into a word ("Lư\u00adơng" is "luong", not
    "lu ong"): the `folded` column is made again from each facility's name and aliases. The history is not
    touched (it keeps names as written); `verify` checks `folded` against the names."""
    import json

    from emrtrack.store.codec import folded_names

    changed = [
        (now, rowid)
        for rowid, name, aliases, folded in db.execute("SELECT rowid, name, aliases, folded FROM facilities").fetchall()
        if (now := folded_names(name, json.loads(aliases))) != folded
    ]
    db.conn.executemany("UPDATE facilities SET folded = ? WHERE rowid = ?", changed)


@_step
def m007_facilities_as_they_live(db: Any) -> None:
    """Facilities as they live: official codes, opening and closing, merging, earlier names and managing bodies,
    exceptions with their legal basis, and withdrawal, kept in `details` (canonical JSON, NULL when none; the
    facility's documents in the history carry the same keys). Every facility recorded so far has none, so its
    history and content stay as they were. The views are rebuilt over them, and three added for other tools."""
    from emrtrack.store import sql_rules

    db.execute("ALTER TABLE facilities ADD COLUMN details TEXT")
    db.execute("DROP VIEW overdue")
    db.execute("DROP VIEW facility_state")
    db.execute("DROP VIEW obligation_state")
    db.execute(sql_rules.obligation_state_view())
    db.execute(sql_rules.FACILITY_STATE_VIEW)
    db.execute(sql_rules.OVERDUE_VIEW)
    db.execute(sql_rules.EXCEPTIONS_VIEW)
    db.execute(sql_rules.FACILITY_CODES_VIEW)
    db.execute(sql_rules.FACILITY_LIFE_VIEW)


_MARK_SUMMARY = re.compile(
    r"(\S+) (recorded|corrected) for (\S+): (\d{4}-\d{2}-\d{2})"
    r"(?: \(was (\d{4}-\d{2}-\d{2})\))?\Z"
)
_LOAD_SUMMARY = re.compile(
    r"load of (.*): (\d+) facilities added, (\d+) updated"
    r"(?:, (\d+) requirements added or updated)?(?:, (\d+) milestones recorded)?\Z",
    re.S,
)
_UNDO_SUMMARY = re.compile(r"undo of #(\d+): (.*)\Z", re.S)


def _facts_of(summary: str, known: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    """The facts behind a summary written before changes kept them (`known`: facts of earlier changes)."""
    if m := _MARK_SUMMARY.match(summary):
        milestone, action, fid, on, was = m.groups()
        return {
            "command": "mark",
            "milestone": milestone,
            "action": action,
            "facility": fid,
            "date": on,
            "previous": was,
        }
    if m := _LOAD_SUMMARY.match(summary):
        source, added, updated, requirements, milestones = m.groups()
        return {
            "command": "load",
            "source": source,
            "facilities_added": int(added),
            "facilities_updated": int(updated),
            "requirements": int(requirements or 0),
            "milestones": int(milestones or 0),
        }
    if m := _UNDO_SUMMARY.match(summary):
        reverted = known.get(int(m.group(1)))
        return None if reverted is None else {"command": "undo", "change": int(m.group(1)), "of": reverted}
    return None


NAMES: tuple[str, ...] = tuple(name for name, _ in _STEPS)


def apply(conn: Any) -> None:
    """Apply pending migrations, each in a transaction with its record (sqlite-utils' Migrations)."""
    import sqlite_utils  # only needed when the schema is behind: keeps ordinary start-up fast

    migrations = sqlite_utils.Migrations(MIGRATION_SET)
    for name, fn in _STEPS:
        migrations(name=name)(fn)
    migrations.apply(sqlite_utils.Database(conn))
