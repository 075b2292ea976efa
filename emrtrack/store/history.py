"""The history: changes and their events, appended with their links in the hash chain and applied to the
current tables; undo (the opposite events, appended); and the history as people read it back."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import Any

from emrtrack.errors import Refused
from emrtrack.i18n import _
from emrtrack.store.bulk import Writer
from emrtrack.store.chain import CHANGE_COLUMNS, GENESIS, event_hasher
from emrtrack.store.codec import (
    EVENT_COLUMNS,
    FACILITY_COLUMNS,
    MILESTONE_COLUMNS,
    Event,
    canonical,
    doc_row,
    milestone_row,
    reached_from_value,
    row_doc,
    row_folded,
    stored_milestone_values,
    summary_text,
    undo_facts,
)
from emrtrack.store.connection import transaction
from emrtrack.views import ChangeInfo, HistoryEntry

_REVERSE = {
    "added": "removed",
    "removed": "added",
    "recorded": "cleared",
    "cleared": "recorded",
    "updated": "updated",
    "corrected": "corrected",
    "refined": "corrected",
}


def new_change(
    conn: sqlite3.Connection,
    *,
    actor: str,
    source: str,
    command: str,
    facts: dict[str, Any] | None,
    summary: str | None = None,
    ref: str | None = None,
    note: str | None = None,
    reverts: int | None = None,
) -> int:
    """Append a change: who, from where, what (its facts, and the English sentence made from them)."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    if summary is None:
        assert facts is not None
        summary = summary_text(facts)
    cur = conn.execute(
        "INSERT INTO changes (recorded_at, actor, source, command, summary, ref, note, reverts, facts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (now, actor, source, command, summary, ref, note, reverts, canonical(facts) if facts is not None else None),
    )
    return int(cur.lastrowid or 0)


def record(conn: sqlite3.Connection, change_id: int, events: list[Event]) -> None:
    """Append events (entity, key, milestone, action, old, new) to the history and apply them."""
    with Writer(conn, behind=False) as write:
        apply_events(events, write)
        append_events(conn, change_id, events, write)


def append_events(conn: sqlite3.Connection, change_id: int, events: list[Event], write: Writer) -> None:
    """Append events to the history, each with its link in the hash chain."""
    write.drain()  # the reads below, on this thread
    event_hash = event_hasher(
        conn.execute(f"SELECT {', '.join(CHANGE_COLUMNS)} FROM changes WHERE id = ?", (change_id,)).fetchone()
    )
    last = conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    next_id, prev = (last[0] + 1, last[1] or GENESIS) if last else (1, GENESIS)
    for start in range(0, len(events), Writer.BATCH):  # a batch is hashed while the one before is written
        rows = []
        for i, e in enumerate(events[start : start + Writer.BATCH], start=next_id + start):
            content = (i, change_id, *e)
            h = event_hash(prev, content)
            rows.append((*content, prev, h))
            prev = h
        write.rows("events", EVENT_COLUMNS, rows)


def apply_events(events: list[Event], write: Writer) -> None:
    """Bring the current tables in line with the events."""
    put_facilities, del_facilities, put_milestones, del_milestones = [], [], [], []
    for entity, key, milestone, _action, _old, new in events:
        if entity == "facility":
            if new is None:
                del_facilities.append((key,))
            else:
                row = doc_row(new)
                put_facilities.append((*row, row_folded(row)))
        elif entity == "milestone":
            if new is None:
                del_milestones.append((key, milestone))
            else:
                put_milestones.append(milestone_row(key, str(milestone), reached_from_value(new)))
        elif entity == "requirement":
            if new is None:
                write("DELETE FROM requirements WHERE id = ?", [(key,)])
            else:
                write(
                    "INSERT INTO requirements (id, position, doc) VALUES (?, "
                    "(SELECT COALESCE(MAX(position), 0) + 1 FROM requirements), ?) "
                    "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                    [(key, new)],
                )
        elif entity == "register":
            if new is None:
                write("DELETE FROM meta WHERE key = ?", [(key,)])
            else:
                write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [(key, new)])
    if put_facilities:
        write.rows("facilities", FACILITY_COLUMNS + ", folded", put_facilities, replace=True)
    if put_milestones:
        write.rows("milestones", MILESTONE_COLUMNS, put_milestones, replace=True)
    if del_milestones:
        write("DELETE FROM milestones WHERE facility_id = ? AND milestone = ?", del_milestones)
    if del_facilities:
        write("DELETE FROM facilities WHERE id = ?", del_facilities)


def _change(row: tuple[Any, ...]) -> ChangeInfo:
    change_id, recorded_at, actor, source, command, summary, facts = row
    return ChangeInfo(
        change_id, recorded_at, actor, source, command, summary, facts=json.loads(facts) if facts else None
    )


_CHANGE_SELECT = "SELECT id, recorded_at, actor, source, command, summary, facts FROM changes c"


def _with_events(row: tuple[Any, ...], conn: sqlite3.Connection) -> ChangeInfo:
    change = _change(row)
    change.events = history(conn, change_id=change.id, limit=None)
    return change


def last_change(conn: sqlite3.Connection) -> ChangeInfo | None:
    """The latest change that can still be undone (not an undo, not undone already).

    The first change, the load that created the register, is never undone: undoing it would empty the
    register; a corrected file is loaded instead."""
    row = conn.execute(
        f"{_CHANGE_SELECT} WHERE reverts IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM changes u WHERE u.reverts = c.id) "
        "AND id > (SELECT MIN(id) FROM changes) ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else _with_events(row, conn)


def undoable(conn: sqlite3.Connection, change_id: int) -> ChangeInfo:
    """Change #`change_id`, if it can be undone on its own; else a refusal that says why (none such, the load
    that created the register, an undo itself, undone already, or facts a later change touched since)."""
    row = conn.execute(f"{_CHANGE_SELECT} WHERE id = ?", (change_id,)).fetchone()
    if row is None:
        last = conn.execute("SELECT MAX(id) FROM changes").fetchone()[0]
        raise Refused(_("there is no change #{id} (the last is #{last})").format(id=change_id, last=last))
    if change_id == conn.execute("SELECT MIN(id) FROM changes").fetchone()[0]:
        raise Refused(
            _("change #{id} created the register and is never undone: load a corrected file instead").format(
                id=change_id
            )
        )
    reverts = conn.execute("SELECT reverts FROM changes WHERE id = ?", (change_id,)).fetchone()[0]
    if reverts is not None:
        raise Refused(
            _("change #{id} is the undo of #{of}: record what is right again instead").format(id=change_id, of=reverts)
        )
    undone = conn.execute("SELECT id FROM changes WHERE reverts = ?", (change_id,)).fetchone()
    if undone is not None:
        raise Refused(_("change #{id} was undone already, by change #{undo}").format(id=change_id, undo=undone[0]))
    change = _with_events(row, conn)
    for e in change.events:
        if _current_value(conn, e.entity, e.key, e.milestone) != e.new:
            later = conn.execute(
                "SELECT c.id, c.actor FROM events e JOIN changes c ON c.id = e.change_id WHERE e.entity = ? "
                "AND e.key = ? AND e.milestone IS ? AND e.change_id > ? ORDER BY e.id DESC LIMIT 1",
                (e.entity, e.key, e.milestone, change_id),
            ).fetchone()
            what = e.key if e.milestone is None else _("{milestone} of {id}").format(milestone=e.milestone, id=e.key)
            raise Refused(
                _(
                    "cannot undo change #{id} alone: change #{later} (by {actor}) changed {what} since; undo that "
                    "one first, or record what is right with --correct"
                ).format(id=change_id, later=later[0] if later else "?", actor=later[1] if later else "?", what=what)
            )
    # a facility the change added goes with its undo: so must each milestone it has, and one a later change
    # recorded would stay behind
    for e in change.events:
        if e.entity != "facility" or e.old is not None:
            continue
        own = {x.milestone for x in change.events if x.entity == "milestone" and x.key == e.key}
        since = [
            m
            for (m,) in conn.execute("SELECT milestone FROM milestones WHERE facility_id = ?", (e.key,))
            if m not in own
        ]
        if since:
            later = conn.execute(
                "SELECT c.id, c.actor FROM events e JOIN changes c ON c.id = e.change_id WHERE e.entity = 'milestone' "
                "AND e.key = ? AND e.milestone = ? ORDER BY e.id DESC LIMIT 1",
                (e.key, since[0]),
            ).fetchone()
            raise Refused(
                _(
                    "cannot undo change #{id} alone: change #{later} (by {actor}) changed {what} since; undo that "
                    "one first, or record what is right with --correct"
                ).format(
                    id=change_id,
                    later=later[0],
                    actor=later[1],
                    what=_("{milestone} of {id}").format(milestone=since[0], id=e.key),
                )
            )
    return change


def undo(conn: sqlite3.Connection, change: ChangeInfo, *, actor: str) -> int:
    """Revert `change` alone by appending the opposite events; history keeps both. Refused (see `undoable`) when
    it cannot be undone now: undone meanwhile, or a later change touched the same facts."""
    with transaction(conn):
        change = undoable(conn, change.id)
        events: list[Event] = [  # newest first: undone in reverse order
            (e.entity, e.key, e.milestone, _REVERSE.get(e.action, e.action), e.new, e.old) for e in change.events
        ]
        undo_id = new_change(
            conn,
            actor=actor,
            source="cli",
            command="undo",
            facts=undo_facts(change.id, change.facts),
            summary=f"undo of #{change.id}: {change.summary}",
            reverts=change.id,
        )
        record(conn, undo_id, events)
    return undo_id


def _current_value(conn: sqlite3.Connection, entity: str, key: str, milestone: str | None) -> str | None:
    if entity == "facility":
        row = conn.execute(f"SELECT {FACILITY_COLUMNS} FROM facilities WHERE id = ?", (key,)).fetchone()
        return row_doc(row) if row else None
    if entity == "milestone":
        return stored_milestone_values(conn, "WHERE facility_id = ? AND milestone = ?", (key, milestone)).get(
            (key, str(milestone))
        )
    if entity == "requirement":
        row = conn.execute("SELECT doc FROM requirements WHERE id = ?", (key,)).fetchone()
    else:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def history(
    conn: sqlite3.Connection, facility_id: str | None = None, *, change_id: int | None = None, limit: int | None = 20
) -> list[HistoryEntry]:
    """Events, newest first, for one facility, one change, or the whole register."""
    where: list[str] = []
    params: list[Any] = []
    if facility_id is not None:
        where.append("e.key = ? AND e.entity IN ('facility', 'milestone')")
        params.append(facility_id)
    if change_id is not None:
        where.append("e.change_id = ?")
        params.append(change_id)
    sql = (
        "SELECT e.id, c.id, c.recorded_at, c.actor, c.source, c.command, c.ref, c.note, e.entity, e.key, "
        "e.milestone, e.action, e.old, e.new, f.name, c.reverts FROM events e JOIN changes c ON c.id = e.change_id "
        "LEFT JOIN facilities f ON f.id = e.key AND e.entity IN ('facility', 'milestone')"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY e.id DESC"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [HistoryEntry(*row) for row in conn.execute(sql, params)]
