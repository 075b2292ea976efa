"""The history as a file a team keeps beside the register (in git, say), and its check on its own.

JSON Lines, one change a line, oldest first: the change's columns, its structured facts and its events, each
with its links in the hash chain. Written the same way every time (keys in a fixed order, no spaces, UTF-8), so
two exports of one history are byte-identical and a later export only appends lines. Checked with the chain's
own hashing (`emrtrack.store.chain`) and the kinds of problem `verify` reports, plus three that only a file can
have: a line that is not JSON (`LINE_NOT_JSON`), one that is not a change as written here (`LINE_BAD_SHAPE`),
and a file with no line at all (`HISTORY_EMPTY`). Every problem found in a file names its line (`values["line"]`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from itertools import chain
from pathlib import Path
from typing import IO, Any

import orjson

from emrtrack.errors import EmrtrackError
from emrtrack.i18n import _
from emrtrack.store.chain import CHANGE_COLUMNS, EVENT_COLUMNS, GENESIS, event_hasher
from emrtrack.store.codec import summary_text
from emrtrack.store.connection import snapshot
from emrtrack.store.verify import Replay
from emrtrack.views import VerifyProblem, VerifyResult

# A line's keys, in the order written: the change's id and the columns its events' hashes cover, its facts,
# then its events, each with the columns its hash covers (less its change's id: the line's) and its links.
CHANGE_KEYS = ("id", *CHANGE_COLUMNS, "facts", "events")
EVENT_KEYS = (*(c for c in EVENT_COLUMNS if c != "change_id"), "prev_hash", "hash")

# The problems only a file can have (the others are `verify`'s own kinds).
LINE_NOT_JSON = "line-not-json"  # values: line
LINE_BAD_SHAPE = "line-bad-shape"  # values: line, field (a path such as "events[2].hash"; "" for the whole line)
HISTORY_EMPTY = "history-empty"  # no values

_NOT_JSON = object()  # what `_parse` gives for a line that is not JSON

Hasher = Callable[[str, tuple[Any, ...]], str]


class UnwritableHistory(EmrtrackError):
    """The history holds a value emrtrack never writes (a blob, a fraction), which JSON would not give back as
    it is: `verify` reports that event as altered. `what` is "event" or "change", `id` its id."""

    def __init__(self, what: str, id: int, value: object):
        self.what, self.id = what, id
        text = (
            _("the history cannot be written: event #{id} holds a value emrtrack never writes (run verify)")
            if what == "event"
            else _("the history cannot be written: change #{id} holds a value emrtrack never writes (run verify)")
        )
        super().__init__(text.format(id=id))


# -- writing -----------------------------------------------------------------------------------------
def write_history(conn: sqlite3.Connection, out: IO[str]) -> int:
    """Write the register's whole history to `out` as JSON Lines, oldest change first; the number of changes.

    Events are read with a cursor, a change's one after another, and written as they come. What the tables
    hold is written as it is (an event whose change is missing is left out, a gap the file's check finds): run
    `verify` first to know that it is the history emrtrack recorded. Open `out` with `newline=""` (and UTF-8),
    so that every system writes the same bytes."""
    written = 0
    with _one_state(conn):
        for row in conn.execute(f"SELECT id, {', '.join(CHANGE_COLUMNS)}, facts FROM changes ORDER BY id"):
            _write_change(conn, row, out)
            written += 1
    return written


@contextmanager
def _one_state(conn: sqlite3.Connection) -> Iterator[None]:
    """Reads that all see one state of the register (the caller's transaction, if it has one)."""
    if conn.in_transaction:
        yield
    else:
        with snapshot(conn):
            yield


def _write_change(conn: sqlite3.Connection, row: tuple[Any, ...], out: IO[str]) -> None:
    """One line: the change, then its events in order, written one by one."""
    _check_plain(row, "change")
    head = dict(zip(CHANGE_KEYS[:-1], (*row[:-1], _facts_value(row[-1])), strict=True))
    out.write(orjson.dumps(head)[:-1].decode() + ',"events":[')
    separator = ""
    events = conn.execute(f"SELECT {', '.join(EVENT_KEYS)} FROM events WHERE change_id = ? ORDER BY id", (row[0],))
    for event in events:
        _check_plain(event, "event")
        out.write(separator + orjson.dumps(dict(zip(EVENT_KEYS, event, strict=True))).decode())
        separator = ","
    out.write("]}\n")


def _facts_value(facts: Any) -> Any:
    """A change's facts as the line holds them: the stored JSON as JSON; stored text that is not JSON, as text
    (the file's check then reports the facts as altered, as `verify` does)."""
    if not isinstance(facts, str):
        return facts
    try:
        return orjson.loads(facts)
    except orjson.JSONDecodeError:
        return facts


def _check_plain(row: tuple[Any, ...], what: str) -> None:
    """Refuse a value that JSON would not give back as it is (emrtrack writes only text, integers and NULL)."""
    for value in row:
        if not _plain(value):
            raise UnwritableHistory(what, row[0], value)


def _plain(value: Any) -> bool:
    """Text, an integer or null: what emrtrack writes into the history (a bool or a fraction is not)."""
    return value is None or type(value) is str or type(value) is int


# -- checking ----------------------------------------------------------------------------------------
def verify_history(path: Path) -> VerifyResult:
    """Check a history file on its own: each line is a change as written here, each event's hash recomputes
    from its content, its change and the hash before it, the chain starts at GENESIS and runs in order with no
    gap, each event's old value is what the history before it gives, and each change's facts give its summary.

    Returns how many events were checked, the last good hash and the first problem found (None when all is
    well), as `Register.verify()` does. A file cut at the end of a line holds an earlier history, and verifies:
    its last hash, compared with the one `emrtrack verify` gives (or quoted in a letter), tells."""
    with path.open("rb") as lines:
        return _FileCheck().run(lines)


class _FileCheck:
    """The chain followed line by line: where it has got to, and the facts replayed so far."""

    def __init__(self) -> None:
        self.prev, self.expected_id, self.last_change, self.count = GENESIS, 1, 0, 0
        self.replay = Replay()

    def run(self, lines: Iterator[bytes]) -> VerifyResult:
        """The result for the whole file: the first line with a problem stops the check."""
        number = 0
        for number, raw in enumerate(lines, start=1):
            problem = self.line(raw)
            if problem is not None:
                problem = replace(problem, values={**problem.values, "line": number})
                return VerifyResult(self.count, self.prev, _moved_or_deleted(problem, chain([raw], lines)))
        return VerifyResult(self.count, self.prev, VerifyProblem(HISTORY_EMPTY) if number == 0 else None)

    def line(self, raw: bytes) -> VerifyProblem | None:
        """The first problem of one line (a change and its events), or None."""
        doc = _parse(raw)
        if doc is _NOT_JSON:
            return VerifyProblem(LINE_NOT_JSON)
        field = _misshapen(doc)
        if field is not None:
            return VerifyProblem(LINE_BAD_SHAPE, values={"field": field})
        change_id = doc["id"]
        if not doc["events"]:
            return VerifyProblem("empty-change", values={"change": change_id})
        change = tuple(doc[c] for c in CHANGE_COLUMNS)
        hasher, plain = event_hasher(change), all(map(_plain, change))
        for event in doc["events"]:
            problem = self.event(change_id, event, hasher, plain)
            if problem is not None:
                return problem
        if doc["facts"] is not None and not _facts_give(doc["facts"], doc["summary"]):
            return VerifyProblem("facts-altered", values={"change": change_id})
        return None

    def event(self, change_id: int, event: dict[str, Any], hasher: Hasher, plain: bool) -> VerifyProblem | None:
        """One event checked as `verify` checks it (the same kinds, in the same order); if good, followed."""
        eid, stored_prev, stored = event["id"], event["prev_hash"], event["hash"]
        content = tuple(change_id if c == "change_id" else event[c] for c in EVENT_COLUMNS)

        def bad(kind: str, **values: Any) -> VerifyProblem:
            return VerifyProblem(kind, event=eid, values=values)

        if stored is None:
            return bad("no-hash")
        if not (plain and all(map(_plain, content))) or hasher(stored_prev or "", content) != stored:
            return bad("altered", id=change_id)
        if eid != self.expected_id or stored_prev != self.prev:
            if eid > self.expected_id and stored_prev != self.prev:
                return bad("event-deleted", id=self.expected_id)
            return bad("out-of-order")
        if change_id < self.last_change:
            return bad("change-out-of-order", id=change_id, last=self.last_change)
        kind = self.replay.apply(event["entity"], event["key"], event["milestone"], event["old"], event["new"])
        if kind == "unknown-entity":
            return bad(kind, entity=event["entity"])
        if kind is not None:
            return bad(kind)
        self.prev, self.expected_id, self.last_change = stored, eid + 1, change_id
        self.count += 1
        return None


def _parse(raw: bytes) -> Any:
    """A line's JSON (UTF-8; its line end is whitespace to JSON), or _NOT_JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def _misshapen(doc: Any) -> str | None:
    """Where a parsed line is not a change as `write_history` writes it ("" for the whole line), or None.

    Only the shape: a value of the wrong kind in a hashed field is for the hash to catch ("altered")."""
    if not isinstance(doc, dict):
        return ""
    field = _odd_key(doc, CHANGE_KEYS, "")
    if field is not None:
        return field
    if not isinstance(doc["events"], list):
        return "events"
    for i, event in enumerate(doc["events"]):
        where = f"events[{i}]"
        if not isinstance(event, dict):
            return where
        field = _odd_key(event, EVENT_KEYS, where + ".")
        if field is not None:
            return field
    return None


def _odd_key(doc: dict[str, Any], keys: tuple[str, ...], prefix: str) -> str | None:
    """The first key missing from `doc` or not one of `keys`, or an id that is not an integer; else None."""
    odd = [k for k in keys if k not in doc] + sorted(k for k in doc if k not in keys)
    if odd:
        return prefix + odd[0]
    if type(doc["id"]) is not int:
        return prefix + "id"
    return None


def _facts_give(facts: Any, summary: Any) -> bool:
    """A change's facts (not covered by the hashes) still give its summary (which is), as `verify` checks."""
    try:
        return isinstance(summary, str) and summary_text(facts) == summary
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return False


def _moved_or_deleted(problem: VerifyProblem, rest: Iterable[bytes]) -> VerifyProblem:
    """An event missing where the chain expected it is "event-deleted", unless it comes later (further on in its
    line, or on a later line): then the events were reordered, and the one found in its place is "out-of-order"."""
    if problem.kind != "event-deleted":
        return problem
    missing = problem.values["id"]
    for raw in rest:
        doc = _parse(raw)
        events = doc.get("events") if isinstance(doc, dict) else None
        if isinstance(events, list) and any(isinstance(e, dict) and _is_id(e.get("id"), missing) for e in events):
            return VerifyProblem("out-of-order", event=problem.event, values={"line": problem.values["line"]})
    return problem


def _is_id(value: Any, wanted: int) -> bool:
    """`value` is the event id `wanted` (an integer, not a bool or a fraction equal to it)."""
    return type(value) is int and value == wanted
