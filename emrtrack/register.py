"""The SQLite register: opening and migrating it, transactions, the history, and every query.

This is the only module that speaks SQL. State (facilities, requirements, milestones) is derived
from an append-only history: every write appends a `changes` row and its `events`, and updates
the current tables in the same transaction.
"""

from __future__ import annotations

import dataclasses
import getpass
import itertools
import json
import queue
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from emrtrack import migrations
from emrtrack.errors import AmbiguousFacility, FacilityNotFound, Refused, RegisterError
from emrtrack.i18n import N_, _, fmt_date, milestone_word, ngettext
from emrtrack.model import (
    KINDS,
    MILESTONES,
    OWNERSHIPS,
    Cohort,
    Facility,
    RegisterInfo,
    Requirement,
    Selection,
    Selector,
    Standing,
    State,
)
from emrtrack.views import (
    ChangeInfo,
    CohortStatus,
    Counts,
    HistoryEntry,
    LoadSummary,
    MarkResult,
    RequirementStatus,
    VerifyResult,
)
from emrtrack.rules import (
    cohort_index,
    days_overdue,
    expand_abbreviations,
    fold,
    latest_milestone,
    state_of,
    today,
)

if TYPE_CHECKING:
    from emrtrack.loader import LoadedFiles

BUSY_TIMEOUT_MS = 60_000
PAGE_SIZE = 16_384


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (e.g. a container without a passwd entry)
        return "unknown"


def _canonical(value: Any) -> str:
    """JSON with sorted keys, no spaces and non-ASCII as is: the text of a stored document."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _aliases(aliases: tuple[str, ...] | list[str]) -> str:
    """How the `aliases` column holds a list: as `json.dumps(aliases, ensure_ascii=False)` writes it."""
    return "[" + ", ".join(map(_json_string, aliases)) + "]"


_json_string = json.encoder.encode_basestring  # a string as JSON, non-ASCII as is


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _date(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


# -- storage forms of the model ------------------------------------------------------------------
_FACILITY_COLUMNS = "id, name, aliases, ownership, kind, managed_by, location, verified"


def _facility_row(f: Facility) -> tuple[Any, ...]:
    return (f.id, f.name, _aliases(f.aliases), f.ownership, f.kind,
            f.managed_by, f.location, _iso(f.verified))


def _facility_from_row(row: tuple[Any, ...] | sqlite3.Row) -> Facility:
    return Facility(id=row[0], name=row[1], aliases=tuple(json.loads(row[2])), ownership=row[3],
                    kind=row[4], managed_by=row[5], location=row[6], verified=_date(row[7]))


def _row_doc(row: tuple[Any, ...], aliases: list[str] | tuple[str, ...] | None = None) -> str:
    """A facility row as the canonical JSON its events carry (`aliases` given spares decoding them)."""
    fid, name, aliases_column, ownership, kind, managed_by, location, verified = row
    doc = {"id": fid, "name": name, "ownership": ownership, "kind": kind}
    if aliases is None:
        aliases = json.loads(aliases_column)
    if aliases:
        doc["aliases"] = aliases
    if managed_by is not None:
        doc["managed_by"] = managed_by
    if location is not None:
        doc["location"] = location
    if verified is not None:
        doc["verified"] = verified
    return _canonical(doc)


def _doc_row(doc: str) -> tuple[Any, ...]:
    d = json.loads(doc)
    return (d["id"], d["name"], _aliases(d.get("aliases", [])), d["ownership"],
            d["kind"], d.get("managed_by"), d.get("location"), d.get("verified"))


def _folded(name: str, aliases: list[str] | tuple[str, ...]) -> str:
    """The `folded` column: the folded name, then each folded alias that differs, one per line."""
    folded = [fold(name)]
    for alias in aliases:
        if (f := fold(alias)) not in folded:
            folded.append(f)
    return "\n".join(folded)


def _requirement_doc(r: Requirement) -> str:
    doc: dict[str, Any] = {
        "id": r.id, "title": r.title, "issuer": r.issuer, "issued": _iso(r.issued),
        "in_force": _iso(r.in_force), "source": r.source, "refs": list(r.refs) or None,
        "default": r.default or None,
        "applies_to": r.applies_to.as_dict() or None,
        "deadlines": [{"applies_to": c.selector.as_dict(), "deadline": c.deadline.isoformat()}
                      for c in r.cohorts],
    }
    return _canonical({k: v for k, v in doc.items() if v is not None})


def _requirement_from_doc(doc: str) -> Requirement:
    d = json.loads(doc)

    def sel(s: dict[str, list[str]] | None) -> Selector:
        s = s or {}
        return Selector(kinds=tuple(s.get("kind", ())), ownerships=tuple(s.get("ownership", ())))

    return Requirement(
        id=d["id"], issued=date.fromisoformat(d["issued"]),
        cohorts=tuple(Cohort(sel(c.get("applies_to")), date.fromisoformat(c["deadline"]))
                      for c in d["deadlines"]),
        applies_to=sel(d.get("applies_to")), title=d.get("title"), issuer=d.get("issuer"),
        in_force=_date(d.get("in_force")), source=d.get("source"), refs=tuple(d.get("refs", ())),
        default=bool(d.get("default")),
    )


_ENTITY_NAMES = {"facility": N_("facility"), "milestone": N_("milestone"), "requirement": N_("requirement"),
                 "register": N_("register")}


# -- the register --------------------------------------------------------------------------------
_EVENT_COLUMNS = "id, change_id, entity, key, milestone, action, old, new, prev_hash, hash"


class _Writer:
    """The statements of one write, run as they come, or, for a large one, on a helper thread.

    SQLite releases the interpreter lock while it writes, so on a machine with more than one core a
    large load's rows are written while the next ones are prepared (and hashed). Rows go many to a
    statement: each statement is then one long stretch of work outside the lock. The caller does not
    use the connection until the block ends, which waits for the last statement (and raises its error).
    """

    # facilities from which a helper thread pays for itself (more than one batch), and from which a
    # load writes straight into the register file (Register._direct_writes)
    BEHIND_FROM = 5_000
    BATCH = 5_000  # facilities, or events, prepared at a time
    SWITCH_INTERVAL = 0.000_25  # seconds a thread may hold the interpreter lock while another waits

    def __init__(self, conn: sqlite3.Connection, *, behind: bool):
        self.conn = conn
        # how many values one statement may take: Python 3.11 can ask SQLite; before, its old default
        self.max_variables = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if hasattr(conn, "getlimit") else 999
        self.error: BaseException | None = None
        self.stopping = False  # the write failed or was interrupted: what is still queued is not run
        self.jobs: queue.Queue[tuple[str, Any] | None] | None = None
        if behind:
            self.cache_size = conn.execute("PRAGMA cache_size").fetchone()[0]
            self.switch_interval: float | None = None  # what to restore, when lowered here
            self.thread = threading.Thread(target=self._work, name="emrtrack-writer", daemon=True)
            self.jobs = queue.Queue(maxsize=16)
            try:
                self.thread.start()
                # Room for every page a large write touches, not SQLite's 2 MiB: fewer trips to the disk.
                conn.execute("PRAGMA cache_size = -262144")
                # The helper thread needs the interpreter lock back after each statement; by default the
                # thread holding it keeps it for up to 5 ms, and the helper waits that long every time.
                # (Lowered by the first of several large writes at once, which restores it.)
                if (previous := sys.getswitchinterval()) > self.SWITCH_INTERVAL:
                    sys.setswitchinterval(self.SWITCH_INTERVAL)
                    self.switch_interval = previous
            except BaseException:
                self._stop_thread()
                raise

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self.jobs is not None:
            if kind is not None:  # the transaction will be rolled back: nothing more is worth writing
                self.stopping = True
            self._stop_thread()
        if self.error is not None and kind is None:
            raise self.error

    def _stop_thread(self) -> None:
        """Wait for the helper thread to end, even through Ctrl-C (raised again once it has ended): the
        caller rolls back next, and the thread must not write after that."""
        assert self.jobs is not None
        interrupted: BaseException | None = None
        sent = False
        while self.thread.is_alive():
            try:
                if not sent:
                    self.jobs.put(None)
                    sent = True
                self.thread.join()
            except BaseException as e:  # Ctrl-C: stop at once, cutting short the statement under way
                interrupted = interrupted or e
                self.stopping = True
                self.conn.interrupt()
        self.jobs = None
        if self.switch_interval is not None:
            sys.setswitchinterval(self.switch_interval)
        self.conn.execute(f"PRAGMA cache_size = {int(self.cache_size)}")
        if interrupted is not None:
            raise interrupted

    def __call__(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run `sql` once for each row."""
        if self.jobs is None:
            self.conn.executemany(sql, rows)
        else:
            self.jobs.put((sql, rows))

    def rows(self, table: str, columns: str, rows: list[tuple[Any, ...]], *, replace: bool = False) -> None:
        """Insert (or with `replace`, insert or replace) rows, as many to a statement as SQLite allows."""
        width = columns.count(",") + 1
        per = max(1, min(5_000, self.max_variables // width))
        head = f"INSERT {'OR REPLACE ' if replace else ''}INTO {table} ({columns}) VALUES "
        one = "(" + ", ".join("?" * width) + ")"
        for start in range(0, len(rows), per):
            batch = rows[start:start + per]
            sql = head + ", ".join([one] * len(batch))
            params = list(itertools.chain.from_iterable(batch))
            if self.jobs is None:
                self.conn.execute(sql, params)
            else:
                self.jobs.put((sql, [params]))

    def drain(self) -> None:
        """Wait until every statement given so far has run: the caller may then use the connection."""
        if self.jobs is not None:
            self.jobs.join()
        if self.error is not None:
            raise self.error

    def _work(self) -> None:
        assert self.jobs is not None
        while (job := self.jobs.get()) is not None:
            if self.error is None and not self.stopping:  # otherwise the rest are only taken off the queue
                try:
                    self.conn.executemany(*job)
                except BaseException as e:  # raised on the caller's thread by drain or at the end
                    self.error = e
                    self.stopping = True
            self.jobs.task_done()
        self.jobs.task_done()


class Register:
    """An open register file."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path
        self._names: list[tuple[int, str]] | None = None
        self._status_cache: dict[date, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]] = {}

    @classmethod
    def open(cls, path: Path) -> Register:
        """Open (creating if needed) and migrate the register at `path`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)  # a large write runs on a helper thread
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            register = cls(conn, path)
            register._refuse_newer_schema()  # before anything is written, even the journal mode
            if conn.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new file: larger pages than
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # SQLite's 4 KiB write a large load faster
            register._use_wal()
            conn.execute("PRAGMA foreign_keys = ON")
            register._migrate()
        except (sqlite3.DatabaseError, OSError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else e
            raise RegisterError(_("{path}: cannot open the register: {error}").format(path=path, error=reason)) from None
        return register

    def _use_wal(self) -> None:
        """Write-ahead logging: readers go on while someone writes. Left as it is while another
        process writes with a rollback journal (a large load, see `_direct_writes`); that one switches back.
        Syncs as the mode in use asks (a connection opened during such a load keeps FULL: safe, if slower)."""
        try:
            self.conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as e:
            if "locked" not in str(e):
                raise
        wal = self.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # NORMAL: with the log, a power cut may lose the last write but never damages the file;
        # without it, only FULL syncs keep the file whole
        self.conn.execute(f"PRAGMA synchronous = {'NORMAL' if wal else 'FULL'}")

    @contextmanager
    def _direct_writes(self) -> Iterator[None]:
        """A large write goes straight into the register file, under a rollback journal, instead of
        through the write-ahead log, which writes every page twice (into the log, then into the file).
        Only when no one else has the register open: SQLite refuses otherwise, and the log is kept."""
        try:
            direct = self.conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
        except sqlite3.OperationalError:  # "database is locked": another connection is open
            direct = False
        if direct:
            self.conn.execute("PRAGMA synchronous = FULL")  # see `_use_wal`
        try:
            yield
        finally:
            if direct:
                try:
                    self._use_wal()
                except sqlite3.Error:  # the load's outcome stands; the next open switches back
                    pass

    @classmethod
    def open_read_only(cls, path: Path) -> Register | None:
        """An existing register, for reading only and as it is (never created nor migrated); None if none."""
        if not path.is_file():
            return None
        try:
            return cls(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1), path)
        except sqlite3.Error:
            return None

    def close(self) -> None:
        self.conn.close()

    def _refuse_newer_schema(self) -> None:
        try:
            self._migrate(check_only=True)
        except RegisterError:
            self.conn.close()
            raise

    def _migrate(self, check_only: bool = False) -> None:
        applied: list[str] = []
        has_table = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='_sqlite_migrations'").fetchone()
        if has_table:
            applied = [r[0] for r in self.conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id",
                (migrations.MIGRATION_SET,))]
        unknown = [n for n in applied if n not in migrations.NAMES]
        if unknown:
            raise RegisterError(
                _("{path}: this register was written by a newer emrtrack (schema step {step}); "
                  "upgrade emrtrack to use it. Nothing was changed.").format(path=self.path, step=repr(unknown[-1])))
        if len(applied) < len(migrations.NAMES) and not check_only:
            with self.transaction():  # one process upgrades; another opening it meanwhile waits, then has nothing to do
                migrations.apply(self.conn)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; taking the write lock at the start so reads inside are current."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:  # e.g. readers kept the register busy past the timeout: nothing is written
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self.conn.in_transaction:  # SQLite ends it itself on some errors (disk full, interrupted)
            self.conn.execute("ROLLBACK")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that all see one state of the register, whatever other officers write meanwhile
        (a report's count, its rows and its exit code agree)."""
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")  # nothing was written: this only ends the read

    # -- reading the register ------------------------------------------------------------------
    def is_empty(self) -> bool:
        return self.conn.execute("SELECT 1 FROM changes LIMIT 1").fetchone() is None

    def info(self) -> RegisterInfo:
        meta = dict(self.conn.execute("SELECT key, value FROM meta"))
        return RegisterInfo(
            name=json.loads(meta["name"]) if "name" in meta else None,
            timezone=json.loads(meta["timezone"]) if "timezone" in meta else RegisterInfo().timezone,
            notes=tuple(json.loads(meta["notes"])) if "notes" in meta else (),
        )

    def today(self) -> date:
        return today(self.info().timezone)

    def requirements(self) -> list[Requirement]:
        return [_requirement_from_doc(doc) for (doc,) in
                self.conn.execute("SELECT doc FROM requirements ORDER BY position")]

    def requirement(self, wanted: str | None) -> Requirement:
        from emrtrack.rules import pick_requirement

        requirements = self.requirements()
        if not requirements:
            raise RegisterError(_("the register holds no requirement yet: load a file with 'requirements'"))
        picked = pick_requirement(requirements, wanted)
        if picked is None:
            known = ", ".join(r.id for r in requirements)
            raise RegisterError(_("no requirement {wanted} in the register (known: {known})")
                                .format(wanted=repr(wanted), known=known))
        return picked

    def facility(self, facility_id: str) -> Facility:
        row = self.conn.execute(f"SELECT {_FACILITY_COLUMNS} FROM facilities WHERE id = ?",
                                (facility_id,)).fetchone()
        if row is None:
            raise FacilityNotFound(facility_id, [])
        return _facility_from_row(row)

    def milestones(self, facility_id: str) -> dict[str, date]:
        got = dict(self.conn.execute("SELECT milestone, date FROM milestones WHERE facility_id = ?",
                                     (facility_id,)))
        return {m: date.fromisoformat(got[m]) for m in MILESTONES if m in got}

    def content_hash(self) -> str:
        """SHA-256 of the register's current content (register facts, requirements, facilities, milestones).

        Rows are hashed as canonical JSON lines in a fixed table and key order, so the same content gives
        the same hash whatever its history; a printed report can be matched to the data it came from."""
        import hashlib

        digest = hashlib.sha256()
        for table, sql in (
            ("meta", "SELECT key, value FROM meta ORDER BY key"),
            ("requirements", "SELECT id, doc FROM requirements ORDER BY id"),
            ("facilities", f"SELECT {_FACILITY_COLUMNS} FROM facilities ORDER BY id"),
            ("milestones", "SELECT facility_id, milestone, date FROM milestones ORDER BY facility_id, milestone"),
        ):
            for row in self.conn.execute(sql):
                digest.update(json.dumps([table, *row], ensure_ascii=False, separators=(",", ":")).encode())
                digest.update(b"\n")
        return digest.hexdigest()

    def facility_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM facilities").fetchone()[0]

    # -- naming a facility -----------------------------------------------------------------------
    def resolve(self, query: str) -> Facility:
        """The one facility `query` names: by id, folded name or alias, unique substring, or all words.

        Names are matched in memory over one read of the folded names: one pass per rule instead of
        one table scan each, which keeps naming a facility fast in a national register."""
        row = self.conn.execute(f"SELECT {_FACILITY_COLUMNS} FROM facilities WHERE id = ?",
                                (query.strip(),)).fetchone()
        if row is not None:
            return _facility_from_row(row)
        folded = fold(query)
        expanded = expand_abbreviations(folded)
        for wanted in dict.fromkeys(w for w in (folded, expanded) if w):  # as typed, then abbreviations written out
            total, found = self._match(wanted)
            if total == 1:
                return _facility_from_row(found[0][1:])
            if total:
                raise AmbiguousFacility(query, [(r[1], r[2]) for r in found], total)
        raise FacilityNotFound(query, self.suggest(expanded))

    def _match(self, folded: str) -> tuple[int, list[tuple[Any, ...]]]:
        """How many facilities the first matching rule finds (a whole name or alias, then part of one,
        then every word anywhere), and the first 51 of them by folded name."""
        names = self._folded_names()
        everything = "\n" + "\n".join(f for _, f in names) + "\n"  # to rule out a rule at once
        words = [f" {w} " for w in folded.split()]
        line = f"\n{folded}\n"
        rules = (
            (line in everything, lambda f: line in f"\n{f}\n"),
            (folded in everything, lambda f: folded in f),
            (all(w.strip() in everything for w in words),
             lambda f: all(w in f" {f.replace(chr(10), ' ')} " for w in words)),
        )
        for possible, rule in rules:
            matched = sorted((f.split("\n", 1)[0], rowid) for rowid, f in names if rule(f)) if possible else []
            if matched:
                first = self._rows_by_rowid([rowid for _, rowid in matched[:51]])
                return len(matched), sorted(first, key=lambda r: (fold(r[2]), r[1]))
        return 0, []

    def _folded_names(self) -> list[tuple[int, str]]:
        """(rowid, folded names and aliases) of every facility, read once per command."""
        if self._names is None:
            self._names = self.conn.execute("SELECT rowid, folded FROM facilities").fetchall()
        return self._names

    def _rows_by_rowid(self, rowids: list[int]) -> list[tuple[Any, ...]]:
        """(rowid, *facility columns) of these facilities."""
        sql = f"SELECT rowid, {_FACILITY_COLUMNS} FROM facilities"
        if len(rowids) > 500:
            wanted = set(rowids)
            return [r for r in self.conn.execute(sql) if r[0] in wanted]
        return self.conn.execute(f"{sql} WHERE rowid IN ({', '.join('?' * len(rowids))})", rowids).fetchall()

    def suggest(self, folded: str, limit: int = 3) -> list[tuple[str, str]]:
        """The facilities whose names or aliases are closest to `folded` (did-you-mean)."""
        if not folded:
            return []
        from rapidfuzz import fuzz, process

        # Each distinct folded name is scored once, then stands for every facility that bears it.
        bearers: dict[str, list[tuple[int, int]]] = {}
        position = 0
        for rowid, folded_names in self._folded_names():
            for n in folded_names.split("\n"):
                bearers.setdefault(n, []).append((position, rowid))
                position += 1
        scored = sorted((-score, pos, rowid)
                        for choice, score, _ in process.extract(folded, list(bearers), scorer=fuzz.WRatio,
                                                                limit=limit * 3, score_cutoff=60)
                        for pos, rowid in bearers[choice])[:limit * 3]
        facts = {r[0]: (r[1], r[2]) for r in self._rows_by_rowid([rowid for _, _, rowid in scored])}
        out: dict[str, str] = {}
        for _, _, rowid in scored:
            fid, name = facts[rowid]
            out.setdefault(fid, name)
        return list(out.items())[:limit]

    def facility_names(self) -> list[tuple[str, str, str]]:
        """(id, name, folded names and aliases) of every facility, by id."""
        return self.conn.execute("SELECT id, name, folded FROM facilities ORDER BY id").fetchall()

    def _new_change(self, *, actor: str, source: str, command: str, summary: str,
                    ref: str | None = None, note: str | None = None, reverts: int | None = None) -> int:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        cur = self.conn.execute(
            "INSERT INTO changes (recorded_at, actor, source, command, summary, ref, note, reverts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (now, actor, source, command, summary, ref, note, reverts))
        return int(cur.lastrowid or 0)

    def _record(self, change_id: int, events: list[tuple[str, str, str | None, str, str | None, str | None]]) -> None:
        """Append events (entity, key, milestone, action, old, new) to the history and apply them."""
        with _Writer(self.conn, behind=False) as write:
            self._apply_events(events, write)
            self._append_events(change_id, events, write)

    def _append_events(self, change_id: int, events: list[tuple[str, str, str | None, str, str | None, str | None]],
                       write: _Writer) -> None:
        """Append events to the history, each with its link in the hash chain."""
        self._status_cache.clear()
        self._names = None
        from emrtrack.chain import CHANGE_COLUMNS, GENESIS, event_hasher

        write.drain()  # the reads below, on this thread
        event_hash = event_hasher(self.conn.execute(
            f"SELECT {', '.join(CHANGE_COLUMNS)} FROM changes WHERE id = ?", (change_id,)).fetchone())
        last = self.conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        next_id, prev = (last[0] + 1, last[1] or GENESIS) if last else (1, GENESIS)
        for start in range(0, len(events), _Writer.BATCH):  # a batch is hashed while the one before is written
            rows = []
            for i, e in enumerate(events[start:start + _Writer.BATCH], start=next_id + start):
                content = (i, change_id, *e)
                h = event_hash(prev, content)
                rows.append((*content, prev, h))
                prev = h
            write.rows("events", _EVENT_COLUMNS, rows)

    def _apply_events(self, events: list[tuple[str, str, str | None, str, str | None, str | None]],
                      write: _Writer) -> None:
        """Bring the current tables in line with the events."""
        put_facilities, del_facilities, put_milestones, del_milestones = [], [], [], []
        for entity, key, milestone, _action, _old, new in events:
            if entity == "facility":
                if new is None:
                    del_facilities.append((key,))
                else:
                    row = _doc_row(new)
                    put_facilities.append((*row, _folded(row[1], json.loads(row[2]))))
            elif entity == "milestone":
                if new is None:
                    del_milestones.append((key, milestone))
                else:
                    put_milestones.append((key, milestone, new))
            elif entity == "requirement":
                if new is None:
                    write("DELETE FROM requirements WHERE id = ?", [(key,)])
                else:
                    write("INSERT INTO requirements (id, position, doc) VALUES (?, "
                          "(SELECT COALESCE(MAX(position), 0) + 1 FROM requirements), ?) "
                          "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc", [(key, new)])
            elif entity == "register":
                if new is None:
                    write("DELETE FROM meta WHERE key = ?", [(key,)])
                else:
                    write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [(key, new)])
        if put_facilities:
            write.rows("facilities", _FACILITY_COLUMNS + ", folded", put_facilities, replace=True)
        if put_milestones:
            write.rows("milestones", "facility_id, milestone, date", put_milestones, replace=True)
        if del_milestones:
            write("DELETE FROM milestones WHERE facility_id = ? AND milestone = ?", del_milestones)
        if del_facilities:
            write("DELETE FROM facilities WHERE id = ?", del_facilities)

    def load(self, loaded: LoadedFiles, *, source: str, actor: str, dry_run: bool = False,
             correct: bool = False) -> LoadSummary:
        """Upsert what the files hold, in one transaction. Nothing is ever deleted by a load, and a
        milestone date already recorded is replaced only with `correct` (as `mark` asks)."""
        summary = LoadSummary(dry_run=dry_run)
        large = not dry_run and len(loaded.facilities) >= _Writer.BEHIND_FROM
        try:
            with self._direct_writes() if large else nullcontext(), self.transaction():
                self._load(loaded, summary, source=source, actor=actor, correct=correct, large=large)
                if dry_run:
                    raise _Rollback()
        except _Rollback:
            pass
        return summary

    def _load(self, loaded: LoadedFiles, summary: LoadSummary, *, source: str, actor: str,
              correct: bool, large: bool) -> None:
        events: list[tuple[str, str, str | None, str, str | None, str | None]] = []
        conflicts: list[str] = []  # recorded dates a file would replace without `correct`
        # register facts
        if loaded.register is not None:
            meta = dict(self.conn.execute("SELECT key, value FROM meta"))
            given = {"name": loaded.register.name, "timezone": loaded.register.timezone,
                     "notes": list(loaded.register.notes)}
            for key in sorted(loaded.register_fields):
                new = json.dumps(given[key], ensure_ascii=False)
                if meta.get(key) != new:
                    events.append(("register", key, None, "updated" if key in meta else "added",
                                   meta.get(key), new))
                    summary.register_updated = True
        # requirements
        stored = dict(self.conn.execute("SELECT id, doc FROM requirements"))
        new_default = next((r.requirement.id for r in loaded.requirements if r.requirement.default), None)
        for entry in loaded.requirements:
            doc = _requirement_doc(entry.requirement)
            old = stored.get(entry.requirement.id)
            if old is None:
                summary.requirements_added += 1
                events.append(("requirement", entry.requirement.id, None, "added", None, doc))
            elif old != doc:
                summary.requirements_updated += 1
                events.append(("requirement", entry.requirement.id, None, "updated", old, doc))
        if new_default is not None:
            for rid, doc in stored.items():
                if rid != new_default and json.loads(doc).get("default") and \
                        rid not in {e.requirement.id for e in loaded.requirements}:
                    d = json.loads(doc)
                    d.pop("default")
                    summary.requirements_updated += 1
                    events.append(("requirement", rid, None, "updated", doc, _canonical(d)))
        # facilities and their milestones, whose rows are written as they are worked out (on a helper
        # thread for a large load: written while the next ones are prepared); a refusal undoes them
        existing = {row[0]: row for row in self.conn.execute(f"SELECT {_FACILITY_COLUMNS} FROM facilities")}
        recorded: dict[tuple[str, str], str] = {
            (fid, m): d for fid, m, d in self.conn.execute("SELECT facility_id, milestone, date FROM milestones")}
        facts = len(events)  # the events before this point are applied with the others, at the end
        mentioned = set()
        put_facilities: list[tuple[Any, ...]] = []
        put_milestones: list[tuple[str, str, str]] = []
        writing = not summary.dry_run

        def flush() -> None:
            if writing and put_facilities:
                write.rows("facilities", _FACILITY_COLUMNS + ", folded", put_facilities, replace=True)
            if writing and put_milestones:
                write.rows("milestones", "facility_id, milestone, date", put_milestones, replace=True)
            put_facilities.clear()
            put_milestones.clear()

        with _Writer(self.conn, behind=large) as write:
            for entry in loaded.facilities:
                f = entry.facility
                mentioned.add(f.id)
                row = _facility_row(f)
                old_row = existing.get(f.id)
                if old_row is None:
                    summary.added += 1
                    events.append(("facility", f.id, None, "added", None, _row_doc(row, f.aliases)))
                    put_facilities.append((*row, _folded(f.name, f.aliases)))
                elif tuple(old_row) != row:
                    summary.updated += 1
                    events.append(("facility", f.id, None, "updated", _row_doc(tuple(old_row)),
                                   _row_doc(row, f.aliases)))
                    put_facilities.append((*row, _folded(f.name, f.aliases)))
                else:
                    summary.unchanged += 1
                for m, d in entry.milestones.items():
                    iso = d.isoformat()
                    old_date = recorded.get((f.id, m))
                    if old_date != iso:
                        if old_date and not correct:
                            conflicts.append(_("{file}:{line}: facility {id!r}: {milestone} is recorded as {old}; "
                                               "the file says {new}").format(
                                file=entry.file, line=entry.line, id=f.id, milestone=milestone_word(m),
                                old=fmt_date(date.fromisoformat(old_date)), new=fmt_date(d)))
                            continue
                        summary.milestones_recorded += 1
                        summary.milestones_corrected += bool(old_date)
                        events.append(("milestone", f.id, m, "corrected" if old_date else "recorded", old_date, iso))
                        put_milestones.append((f.id, m, iso))
                if len(put_facilities) >= _Writer.BATCH:
                    flush()
            flush()
            if conflicts:
                raise Refused("\n".join([*conflicts, ngettext(
                    "Nothing was loaded: to replace the recorded date with the file's, load again with --correct.",
                    "Nothing was loaded: to replace the recorded dates with the file's, load again with --correct.",
                    len(conflicts))]))
            summary.not_in_files = sum(1 for fid in existing if fid not in mentioned)
            if events and writing:
                parts = [f"{summary.added} facilities added", f"{summary.updated} updated"]
                if summary.requirements_added or summary.requirements_updated:
                    parts.append(f"{summary.requirements_added + summary.requirements_updated} "
                                 "requirements added or updated")
                if summary.milestones_recorded:
                    parts.append(f"{summary.milestones_recorded} milestones recorded")
                write.drain()
                change_id = self._new_change(actor=actor, source=source, command="load",
                                             summary="load of " + source + ": " + ", ".join(parts))
                self._apply_events(events[:facts], write)
                self._append_events(change_id, events, write)
                summary.change_id = change_id

    def mark(self, facility: Facility, milestone: str, on: date, *, actor: str, ref: str | None = None,
             note: str | None = None, correct: bool = False) -> MarkResult:
        """Record a milestone; the same date again changes nothing, another date needs `correct`."""
        now = self.today()
        if on > now:
            raise Refused(_("{on} is in the future (today is {today} in {timezone}); "
                            "a milestone is recorded once it has happened")
                          .format(on=fmt_date(on), today=fmt_date(now), timezone=self.info().timezone))
        with self.transaction():
            row = self.conn.execute("SELECT date FROM milestones WHERE facility_id = ? AND milestone = ?",
                                    (facility.id, milestone)).fetchone()
            previous = date.fromisoformat(row[0]) if row else None
            if previous == on:
                return MarkResult(facility, milestone, on, previous, changed=False)
            if previous is not None and not correct:
                raise Refused(_("{name} ({id}) already has {milestone} on {previous}; "
                                "to record {on} instead, run the command again with --correct")
                              .format(name=facility.name, id=facility.id, milestone=milestone_word(milestone),
                                      previous=fmt_date(previous), on=fmt_date(on)))
            action = "corrected" if previous else "recorded"
            summary = f"{milestone} {action} for {facility.id}: {on}" + (f" (was {previous})" if previous else "")
            change_id = self._new_change(actor=actor, source="cli", command=f"mark {milestone}", summary=summary,
                                         ref=ref, note=note)
            self._record(change_id, [("milestone", facility.id, milestone, action, _iso(previous), on.isoformat())])
        return MarkResult(facility, milestone, on, previous, changed=True, change_id=change_id)

    def last_change(self) -> ChangeInfo | None:
        """The latest change that can still be undone (not an undo, not undone already).

        The first change, the load that created the register, is never undone: undoing it would empty the
        register; a corrected file is loaded instead."""
        row = self.conn.execute(
            "SELECT id, recorded_at, actor, source, command, summary FROM changes c WHERE reverts IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM changes u WHERE u.reverts = c.id) "
            "AND id > (SELECT MIN(id) FROM changes) ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        change = ChangeInfo(*row)
        change.events = self.history(change_id=change.id, limit=None)
        return change

    def undo(self, change: ChangeInfo, *, actor: str) -> int:
        """Revert `change` by appending the opposite events; history keeps both."""
        with self.transaction():
            latest = self.last_change()
            if latest is None or latest.id != change.id:
                raise Refused(_("the register changed since the undo was shown; run undo again"))
            events = []
            for e in change.events:  # newest first: undo in reverse order
                current = self._current_value(e.entity, e.key, e.milestone)
                if current != e.new:
                    raise Refused(_("cannot undo change #{id}: {key} was changed again since").format(id=change.id, key=e.key))
                events.append((e.entity, e.key, e.milestone, _reverse_action(e.action), e.new, e.old))
            undo_id = self._new_change(actor=actor, source="cli", command="undo",
                                       summary=f"undo of #{change.id}: {change.summary}", reverts=change.id)
            self._record(undo_id, events)
        return undo_id

    def _current_value(self, entity: str, key: str, milestone: str | None) -> str | None:
        if entity == "facility":
            row = self.conn.execute(f"SELECT {_FACILITY_COLUMNS} FROM facilities WHERE id = ?", (key,)).fetchone()
            return _row_doc(row) if row else None
        if entity == "milestone":
            row = self.conn.execute("SELECT date FROM milestones WHERE facility_id = ? AND milestone = ?",
                                    (key, milestone)).fetchone()
        elif entity == "requirement":
            row = self.conn.execute("SELECT doc FROM requirements WHERE id = ?", (key,)).fetchone()
        else:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- history -------------------------------------------------------------------------------
    def history(self, facility_id: str | None = None, *, change_id: int | None = None,
                limit: int | None = 20) -> list[HistoryEntry]:
        """Events, newest first, for one facility, one change, or the whole register."""
        where, params = [], []
        if facility_id is not None:
            where.append("e.key = ? AND e.entity IN ('facility', 'milestone')")
            params.append(facility_id)
        if change_id is not None:
            where.append("e.change_id = ?")
            params.append(change_id)
        sql = ("SELECT e.id, c.id, c.recorded_at, c.actor, c.source, c.command, c.ref, c.note, e.entity, e.key, "
               "e.milestone, e.action, e.old, e.new, f.name, c.reverts FROM events e JOIN changes c ON c.id = e.change_id "
               "LEFT JOIN facilities f ON f.id = e.key AND e.entity IN ('facility', 'milestone')"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY e.id DESC")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [HistoryEntry(*row) for row in self.conn.execute(sql, params)]

    # -- tamper evidence -------------------------------------------------------------------------
    def verify(self) -> VerifyResult:
        """Recompute the hash chain and replay the history; compare the replay with the current tables.

        Returns how many events were checked and the first problem found (None when all is well)."""
        from emrtrack.chain import CHANGE_COLUMNS, EVENT_COLUMNS, GENESIS, event_hash

        # emrtrack writes only text, integers and NULL into the history: a number with a fraction (or
        # an infinity) or a blob was put there by other means, and hashing it could even hide the change
        def written_by_emrtrack(columns: tuple[str, ...]) -> str:
            return " AND ".join(f"typeof({c}) IN ('text', 'integer', 'null')" for c in columns)

        changes = {row[0]: row[1:] for row in self.conn.execute(
            f"SELECT id, {', '.join(CHANGE_COLUMNS)}, {written_by_emrtrack(CHANGE_COLUMNS)} FROM changes")}
        state: dict[str, dict[Any, str]] = {"facility": {}, "milestone": {}, "requirement": {}, "register": {}}
        order: list[str] = []  # requirements in the order they were first added
        prev, expected_id, last_change, count = GENESIS, 1, 0, 0
        with_events: set[int] = set()
        cursor = self.conn.execute(f"SELECT {', '.join(EVENT_COLUMNS)}, prev_hash, hash, "
                                   f"{written_by_emrtrack(EVENT_COLUMNS)} FROM events ORDER BY id")
        for row in cursor:
            content, stored_prev, stored, well_formed = row[:8], row[8], row[9], row[10]
            eid, change_id, entity, key, milestone, _action, old, new = content

            def bad(message: str, eid: int = eid) -> VerifyResult:
                return VerifyResult(count, prev, _("event #{id}: {problem}").format(id=eid, problem=message))

            change = changes.get(change_id)
            if change is None:
                return bad(_("its change #{id} is missing (deleted)").format(id=change_id))
            if stored is None:
                return bad(_("it has no hash: it was inserted outside emrtrack"))
            if not (well_formed and change[-1]) or event_hash(stored_prev or "", content, change[:-1]) != stored:
                return bad(_("its content or its change #{id} was altered").format(id=change_id))
            if eid != expected_id or stored_prev != prev:
                if eid > expected_id and stored_prev != prev:
                    return bad(_("the event before it (#{id}) was deleted").format(id=expected_id))
                return bad(_("it was inserted out of order (its chain does not follow the event before it)"))
            if change_id < last_change:
                return bad(_("its change #{id} comes before change #{last}: inserted out of order")
                           .format(id=change_id, last=last_change))
            entity_key: Any = (key, milestone) if entity == "milestone" else key
            table = state.get(entity)
            if table is None:
                return bad(_("unknown kind of fact {entity}").format(entity=repr(entity)))
            if table.get(entity_key) != old:
                return bad(_("its old value does not match what the history before it recorded"))
            if new is None:
                table.pop(entity_key, None)
                if entity == "requirement":
                    order.remove(key)
            else:
                if entity == "requirement" and key not in table:
                    order.append(key)
                table[entity_key] = new
            prev, expected_id, last_change = stored, eid + 1, change_id
            with_events.add(change_id)
            count += 1
        empty = sorted(set(changes) - with_events)
        if empty:
            return VerifyResult(count, prev, _("change #{id} has no events (its events were deleted)").format(id=empty[0]))
        mismatch = self._compare_current(state, order)
        if mismatch:
            return VerifyResult(count, prev, _("the current tables do not match the history: {difference}")
                                .format(difference=mismatch))
        return VerifyResult(count, prev, None)

    def _compare_current(self, state: dict[str, dict[Any, str]], order: list[str]) -> str | None:
        """The first difference between the replayed history and the current tables, or None."""
        facilities = {}
        for row in self.conn.execute(f"SELECT {_FACILITY_COLUMNS}, folded FROM facilities"):
            doc = _row_doc(row[:8])
            facilities[row[0]] = doc
            if row[8] != _folded(row[1], json.loads(row[2])):
                return _("facility {id}: its search names were altered").format(id=repr(row[0]))
        milestones = {(f, m): d for f, m, d in self.conn.execute(
            "SELECT facility_id, milestone, date FROM milestones")}
        requirements = dict(self.conn.execute("SELECT id, doc FROM requirements"))
        meta = dict(self.conn.execute("SELECT key, value FROM meta"))
        for entity, current in (("facility", facilities), ("milestone", milestones),
                                ("requirement", requirements), ("register", meta)):
            replayed = state[entity]
            for k in sorted(set(replayed) | set(current), key=str):
                if replayed.get(k) != current.get(k):
                    what = _("{milestone} of {id}").format(milestone=k[1], id=repr(k[0])) \
                        if entity == "milestone" else repr(k)
                    return (_("{entity} {what} is {current} in the register but {replayed} in the history")
                            .format(entity=_(_ENTITY_NAMES[entity]), what=what, current=repr(current.get(k)),
                                    replayed=repr(replayed.get(k))))
        positions = [r for (r,) in self.conn.execute("SELECT id FROM requirements ORDER BY position, id")]
        if positions != order:
            return _("the order of the requirements was altered")
        return None

    # -- reports -------------------------------------------------------------------------------
    def status(self, requirement: Requirement, as_of: date) -> RequirementStatus:
        """The counts behind `status` for one requirement on `as_of`.

        One pass over the register per date gives counts by (ownership, kind): a requirement's scope
        and cohorts depend on nothing else, so every requirement is then counted from them."""
        by_deployed, by_fresh = self._status_counts(as_of)
        cohorts_by_class: dict[tuple[str, str], int | None] = {}

        def cohort_of(ownership: str, kind: str) -> int | None:
            if (ownership, kind) not in cohorts_by_class:
                cohorts_by_class[ownership, kind] = cohort_index(requirement, ownership, kind)
            return cohorts_by_class[ownership, kind]

        cohorts = [CohortStatus(c.selector, c.deadline, Counts()) for c in requirement.cohorts]
        by_ownership = {o: Counts() for o in OWNERSHIPS}
        funnel = dict.fromkeys(MILESTONES, 0)
        tally: dict[tuple[int, str, str], int] = {}
        for ownership, kind, deployed, n, appraised, annex in by_deployed:
            cohort = cohort_of(ownership, kind)
            if cohort is None:
                continue
            state = state_of(requirement.cohorts[cohort].deadline, _date(deployed), as_of)
            key = (cohort, ownership, state.value.replace("-", "_"))
            tally[key] = tally.get(key, 0) + n
            funnel["appraised"] += appraised
            funnel["deployed"] += n if deployed is not None else 0
            funnel["annex-signed"] += annex
        for (cohort, ownership, state_name), n in tally.items():
            counts = Counts(in_scope=n)
            setattr(counts, state_name, n)
            cohorts[cohort].counts.add(counts)
            by_ownership.setdefault(ownership, Counts()).add(counts)
        total = Counts()
        for c in cohorts:
            total.add(c.counts)
        fresh: dict[str, int] = {}
        for ownership, kind, day, n in by_fresh:
            if cohort_of(ownership, kind) is not None and day:
                fresh[day] = fresh.get(day, 0) + n
        known = sum(fresh.values())
        oldest = median = None
        if known:
            days = sorted(fresh)
            oldest = days[0]
            seen = 0
            for day in days:  # the value at offset known // 2 of the sorted list
                seen += fresh[day]
                if seen > known // 2:
                    median = day
                    break
        return RequirementStatus(
            requirement=requirement, as_of=as_of, total=total, cohorts=cohorts,
            by_ownership=by_ownership,
            funnel=funnel, oldest_data=_date(oldest), median_data=_date(median),
            never_verified=total.in_scope - known)

    def _status_counts(self, as_of: date) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Facilities counted by (ownership, kind, deployment date) and by (ownership, kind, freshest date)."""
        cached = self._status_cache.get(as_of)
        if cached is not None:
            return cached
        rows = self.conn.execute("""
            WITH p AS MATERIALIZED (
                SELECT f.ownership, f.kind, d.date AS deployed, a.date IS NOT NULL AS appraised,
                       x.date IS NOT NULL AS annex,
                       MAX(COALESCE(CASE WHEN f.verified <= :as_of THEN f.verified END, ''),
                           COALESCE(d.date, ''), COALESCE(a.date, ''), COALESCE(x.date, '')) AS fresh
                FROM facilities f
                LEFT JOIN milestones d ON d.facility_id = f.id AND d.milestone = 'deployed' AND d.date <= :as_of
                LEFT JOIN milestones a ON a.facility_id = f.id AND a.milestone = 'appraised' AND a.date <= :as_of
                LEFT JOIN milestones x ON x.facility_id = f.id AND x.milestone = 'annex-signed'
                                       AND x.date <= :as_of)
            SELECT 0, ownership, kind, deployed, COUNT(*), SUM(appraised), SUM(annex)
            FROM p GROUP BY ownership, kind, deployed
            UNION ALL
            SELECT 1, ownership, kind, fresh, COUNT(*), 0, 0 FROM p GROUP BY ownership, kind, fresh""",
            {"as_of": as_of.isoformat()}).fetchall()
        result = ([r[1:] for r in rows if r[0] == 0], [r[1:5] for r in rows if r[0] == 1])
        self._status_cache[as_of] = result
        return result

    def standings(self, requirement: Requirement, as_of: date, selection: Selection = Selection(), *,
                  group_by: str = "ownership", limit: int | None = None) -> tuple[int, Iterator[Standing]]:
        """Facilities in scope with their state on `as_of`, grouped and most overdue first.

        The overdue are those not deployed past their deadline; those due within N days are those not
        deployed whose deadline is in [as_of, as_of + N days].

        Returns the number of rows and an iterator over at most `limit` of them (streamed)."""
        cohort_sql, params = _cohort_case(requirement)
        deadline_sql = "CASE cohort " + " ".join(
            f"WHEN {i} THEN '{c.deadline.isoformat()}'" for i, c in enumerate(requirement.cohorts)) + " END"
        a = as_of.isoformat()
        base = f"""
            SELECT * FROM (
                SELECT f.id, f.name, f.aliases, f.ownership, f.kind, f.managed_by, f.location, f.verified,
                       {cohort_sql} AS cohort, f.folded,
                       (SELECT group_concat(m.milestone || '=' || m.date) FROM milestones m
                        WHERE m.facility_id = f.id AND m.date <= :as_of) AS reached
                FROM facilities f)
            WHERE cohort IS NOT NULL"""
        dl = f"({deadline_sql})"
        deployed_sql = "(instr(',' || COALESCE(reached, '') , ',deployed=') > 0)"
        where = ""
        if selection.is_overdue:
            where = f" AND NOT {deployed_sql} AND :as_of > {dl}"
        elif selection.is_due_within:
            where = f" AND NOT {deployed_sql} AND {dl} >= :as_of AND {dl} <= :due_by"
        group_order = {"ownership": _order_case("ownership", OWNERSHIPS),
                       "kind": _order_case("kind", KINDS), "none": "NULL"}[group_by]
        order = f" ORDER BY {group_order}, {deployed_sql}, {dl}, folded, id"
        qparams = {**params, "as_of": a}
        if selection.is_due_within:
            qparams["due_by"] = (as_of + timedelta(days=selection.days or 0)).isoformat()
        count = self.conn.execute(f"SELECT COUNT(*) FROM ({base}{where})", qparams).fetchone()[0]
        sql = base + where + order + (f" LIMIT {int(limit)}" if limit is not None else "")

        def rows() -> Iterator[Standing]:
            deadlines = [c.deadline for c in requirement.cohorts]
            for r in self.conn.execute(sql, qparams):
                facility = _facility_from_row(r)
                if facility.verified is not None and facility.verified > as_of:  # not yet verified that day
                    facility = dataclasses.replace(facility, verified=None)
                reached = {m: date.fromisoformat(d) for m, d in
                           (pair.split("=") for pair in r[10].split(","))} if r[10] else {}
                deadline = deadlines[r[8]]
                deployed = reached.get("deployed")
                state = state_of(deadline, deployed, as_of)
                latest = latest_milestone(reached, as_of)
                yield Standing(
                    facility=facility, requirement_id=requirement.id, deadline=deadline, state=state,
                    days_overdue=days_overdue(deadline, deployed, as_of),
                    deployed=deployed, latest_milestone=latest[0] if latest else None,
                    latest_milestone_date=latest[1] if latest else None, milestones=reached)

        return count, rows()


class _Rollback(Exception):
    """Raised inside a transaction to discard it (a dry run)."""


def _reverse_action(action: str) -> str:
    return {"added": "removed", "removed": "added", "recorded": "cleared", "cleared": "recorded",
            "updated": "updated", "corrected": "corrected"}.get(action, action)


def _order_case(column: str, values: tuple[str, ...]) -> str:
    return f"CASE {column} " + " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values)) + f" ELSE {len(values)} END"


def _selector_sql(selector: Selector, params: dict[str, Any], prefix: str) -> str:
    parts = []
    for column, values in (("f.kind", selector.kinds), ("f.ownership", selector.ownerships)):
        if values:
            names = []
            for i, v in enumerate(values):
                params[f"{prefix}_{column[2:]}_{i}"] = v
                names.append(f":{prefix}_{column[2:]}_{i}")
            parts.append(f"{column} IN ({', '.join(names)})")
    return " AND ".join(parts) or "1"


def _cohort_case(requirement: Requirement) -> tuple[str, dict[str, Any]]:
    """SQL giving the index of a facility's cohort under `requirement`, NULL when out of scope.

    The same rule as rules.deadline_for: in scope when `applies_to` matches; first matching cohort wins."""
    params: dict[str, Any] = {}
    scope = _selector_sql(requirement.applies_to, params, "scope")
    whens = " ".join(f"WHEN {_selector_sql(c.selector, params, f'c{i}')} THEN {i}"
                     for i, c in enumerate(requirement.cohorts))
    return f"(CASE WHEN {scope} THEN (CASE {whens} END) END)", params
