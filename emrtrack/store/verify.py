"""Tamper evidence: recompute the history's hash chain, replay it, and compare the replay with the
current tables. The first problem found is reported; none means the register is as its history says."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from emrtrack.store.chain import CHANGE_COLUMNS, EVENT_COLUMNS, GENESIS, event_hasher
from emrtrack.store.codec import FACILITY_COLUMNS, row_doc, row_folded, stored_milestone_values, summary_text
from emrtrack.views import VerifyProblem, VerifyResult


class Replay:
    """The facts as the events so far leave them (and the requirements in the order they were first added):
    the history replayed, event after event."""

    def __init__(self) -> None:
        self.state: dict[str, dict[Any, str]] = {"facility": {}, "milestone": {}, "requirement": {}, "register": {}}
        self.order: list[str] = []

    def apply(self, entity: str, key: str, milestone: str | None, old: str | None, new: str | None) -> str | None:
        """Apply one event; the kind of problem if it cannot follow the ones before it."""
        table = self.state.get(entity)
        if table is None:
            return "unknown-entity"
        entity_key: Any = (key, milestone) if entity == "milestone" else key
        if table.get(entity_key) != old:
            return "old-mismatch"
        if new is None:
            table.pop(entity_key, None)
            if entity == "requirement":
                self.order.remove(key)
        else:
            if entity == "requirement" and key not in table:
                self.order.append(key)
            table[entity_key] = new
        return None


def verify(conn: sqlite3.Connection, *, whole: bool = False) -> VerifyResult:
    """Recompute the hash chain and replay the history; compare the replay with the current tables.

    Returns how many events were checked and the first problem found (None when all is well). Unless the file
    is known to be `whole` (checked already), SQLite first reads every page of it, and a damaged register, or one
    holding a view, trigger or table emrtrack did not make, is refused in a line saying what was found."""
    if not whole:
        check_file(conn)

    # emrtrack writes only text, integers and NULL into the history: a number with a fraction (or
    # an infinity) or a blob was put there by other means, and hashing it could even hide the change
    def written_by_emrtrack(columns: tuple[str, ...]) -> str:
        return " AND ".join(f"typeof({c}) IN ('text', 'integer', 'null')" for c in columns)

    changes = {
        row[0]: row[1:]
        for row in conn.execute(
            f"SELECT id, {', '.join(CHANGE_COLUMNS)}, {written_by_emrtrack(CHANGE_COLUMNS)} FROM changes"
        )
    }
    replay = Replay()
    prev, expected_id, last_change, count = GENESIS, 1, 0, 0
    with_events: set[int] = set()
    # each change's part of the JSON, written once (None for a change with a value emrtrack does not write)
    hashers: dict[int, Callable[[str, tuple[Any, ...] | list[Any]], str] | None] = {}

    def bad(kind: str, eid: int, **values: Any) -> VerifyResult:
        return VerifyResult(count, prev, VerifyProblem(kind, event=eid, values=values))

    malformed = {e for (e,) in conn.execute(f"SELECT id FROM events WHERE NOT ({written_by_emrtrack(EVENT_COLUMNS)})")}
    for row in conn.execute(f"SELECT {', '.join(EVENT_COLUMNS)}, prev_hash, hash FROM events ORDER BY id"):
        content, stored_prev, stored = row[:8], row[8], row[9]
        eid, change_id, entity, key, milestone, _action, old, new = content
        if change_id not in hashers:
            change = changes.get(change_id)
            if change is None:
                return bad("change-missing", eid, id=change_id)
            hashers[change_id] = event_hasher(change[:-1]) if change[-1] else None  # None: not written by emrtrack
        event_hash = hashers[change_id]
        if stored is None:
            return bad("no-hash", eid)
        if eid in malformed or event_hash is None or event_hash(stored_prev or "", content) != stored:
            return bad("altered", eid, id=change_id)
        if eid != expected_id or stored_prev != prev:
            if eid > expected_id and stored_prev != prev:
                return bad("event-deleted", eid, id=expected_id)
            return bad("out-of-order", eid)
        if change_id < last_change:
            return bad("change-out-of-order", eid, id=change_id, last=last_change)
        problem = replay.apply(entity, key, milestone, old, new)
        if problem == "unknown-entity":
            return bad(problem, eid, entity=entity)
        if problem is not None:
            return bad(problem, eid)
        prev, expected_id, last_change = stored, eid + 1, change_id
        with_events.add(change_id)
        count += 1
    empty = sorted(set(changes) - with_events)
    if empty:
        return VerifyResult(count, prev, VerifyProblem("empty-change", values={"change": empty[0]}))
    for change_id, summary, facts in conn.execute(
        "SELECT id, summary, facts FROM changes WHERE facts IS NOT NULL ORDER BY id"
    ):
        if not _facts_give(facts, summary):
            return VerifyResult(count, prev, VerifyProblem("facts-altered", values={"change": change_id}))
    return VerifyResult(count, prev, _compare_current(conn, replay.state, replay.order))


def _compare_current(
    conn: sqlite3.Connection, state: dict[str, dict[Any, str]], order: list[str]
) -> VerifyProblem | None:
    """The first difference between the replayed history and the current tables, or None."""
    facilities = {}
    for row in conn.execute(f"SELECT {FACILITY_COLUMNS}, folded FROM facilities"):
        aliases = json.loads(row[2])
        facilities[row[0]] = row_doc(row[:-1], aliases)
        if row[-1] != row_folded(row[:-1], aliases):
            return VerifyProblem("names-altered", values={"facility": row[0]})
    milestones = stored_milestone_values(conn)
    requirements = dict(conn.execute("SELECT id, doc FROM requirements"))
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    for entity, current in (
        ("facility", facilities),
        ("milestone", milestones),
        ("requirement", requirements),
        ("register", meta),
    ):
        replayed = state[entity]
        if replayed == current:
            continue
        for k in sorted(set(replayed) | set(current), key=str):
            if replayed.get(k) != current.get(k):
                key, milestone = k if entity == "milestone" else (k, None)
                return VerifyProblem(
                    "tables-differ",
                    values={
                        "entity": entity,
                        "key": key,
                        "milestone": milestone,
                        "current": current.get(k),
                        "replayed": replayed.get(k),
                    },
                )
    positions = [r for (r,) in conn.execute("SELECT id FROM requirements ORDER BY position, id")]
    if positions != order:
        return VerifyProblem("order-altered")
    return None


def _facts_give(facts: Any, summary: str) -> bool:
    """A change's structured facts (not covered by the hashes) still give its summary (which is)."""
    try:
        return isinstance(facts, str) and summary_text(json.loads(facts)) == summary
    except (ValueError, KeyError, TypeError):
        return False


def check_file(conn: sqlite3.Connection) -> None:
    """Refuse a register SQLite finds damaged (any page, not only those a command reads) or that holds objects
    emrtrack's schema does not make, in one line naming the register, what was found and the remedy."""
    from emrtrack.errors import RegisterError
    from emrtrack.i18n import _
    from emrtrack.store import connection

    path = connection.register_path(conn)
    place = f"{path}: " if path else ""
    try:
        found = [row[0] for row in conn.execute("PRAGMA quick_check(2)")]
    except sqlite3.DatabaseError as e:
        found = [str(e)]
    if found != ["ok"]:
        raise RegisterError(
            place
            + _("the register file is damaged ({problem}): restore a backup with: emrtrack restore BACKUP-FILE").format(
                problem=found[0]
            )
        )
    planted = connection.unknown_objects(conn)
    if planted:
        raise RegisterError(place + connection.planted_line(*planted[0]))
