"""`Register`: the one entry point to a register file, a small facade over the store's modules.

State (facilities, requirements, milestones) is derived from an append-only history: every write appends
a `changes` row and its `events`, and updates the current tables in the same transaction."""

from __future__ import annotations

import getpass
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from emrtrack.model import Facility, Obligation, Reached, RegisterInfo, Requirement, Selection, Standing
from emrtrack.progress import NOBODY, Phases
from emrtrack.rules import today
from emrtrack.store import connection, queries, sql_rules
from emrtrack.store.names import Names, facility_names
from emrtrack.views import ChangeInfo, HistoryEntry, LoadSummary, MarkResult, RequirementStatus, VerifyResult

if TYPE_CHECKING:
    from emrtrack.reading import LoadedFiles


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (e.g. a container without a passwd entry)
        return "unknown"


class Register:
    """An open register file. The modules that write, replay or read the history are imported by the methods
    that use them: a command that only reads the current tables starts without them."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path
        self.names = Names(conn)
        self._status_rows: dict[date, queries.StatusRows] = {}
        self._version: int | None = None  # SQLite's data_version when the caches were filled

    @classmethod
    def open(cls, path: Path) -> Register:
        """Open (creating if needed) and migrate the register at `path`."""
        return cls(connection.connect(path), path)

    @classmethod
    def open_read_only(cls, path: Path) -> Register | None:
        """An existing register, for reading only and as it is (never created nor migrated); None if none."""
        conn = connection.connect_read_only(path)
        return None if conn is None else cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    def snapshot(self) -> AbstractContextManager[None]:
        return connection.snapshot(self.conn)

    def _changed(self) -> None:
        self._status_rows.clear()
        self.names.forget()

    def _current(self) -> None:
        """Forget what was read when another connection (another officer, another process) has committed since:
        SQLite's data_version moves then, and only then."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self._changed()
            self._version = version

    # -- reading ---------------------------------------------------------------------------------
    def is_empty(self) -> bool:
        return self.conn.execute("SELECT 1 FROM changes LIMIT 1").fetchone() is None

    def info(self) -> RegisterInfo:
        return queries.info(self.conn)

    def today(self) -> date:
        return today(self.info().timezone)

    def requirements(self) -> list[Requirement]:
        return queries.requirements(self.conn)

    def requirement(self, wanted: str | None) -> Requirement:
        return queries.requirement(self.conn, wanted)

    def facility(self, facility_id: str) -> Facility:
        return queries.facility(self.conn, facility_id)

    def backup(self, dest: Path) -> VerifyResult:
        """The register as one snapshot, however many write meanwhile, in the file `dest`, checked by `verify`."""
        from emrtrack.store.backup import backup

        return backup(self.conn, dest)

    def write_history(self, out: IO[str]) -> int:
        """The whole history as JSON Lines, one change a line (see store.history_file); the changes written."""
        from emrtrack.store.history_file import write_history

        return write_history(self.conn, out)

    def register_fields(self) -> frozenset[str]:
        return queries.register_fields(self.conn)

    def facility_facts(self) -> Iterator[tuple[Facility, dict[str, Reached]]]:
        """Every facility by id with its milestones, read as it goes."""
        return queries.facility_facts(self.conn)

    def milestones(self, facility_id: str) -> dict[str, Reached]:
        return queries.milestones(self.conn, facility_id)

    def content_hash(self) -> str:
        return queries.content_hash(self.conn)

    def __contains__(self, facility_id: object) -> bool:
        """Whether the register holds a facility with this id."""
        return self.conn.execute("SELECT 1 FROM facilities WHERE id = ?", (facility_id,)).fetchone() is not None

    def lived_facilities(self) -> list[Facility]:
        return queries.lived_facilities(self.conn)

    def facility_count(self) -> int:
        count: int = self.conn.execute("SELECT COUNT(*) FROM facilities").fetchone()[0]
        return count

    def resolve(self, query: str) -> Facility:
        self._current()
        return self.names.resolve(query)

    def facility_names(self) -> list[tuple[str, str, str]]:
        return facility_names(self.conn)

    def status(self, requirement: Requirement, as_of: date) -> RequirementStatus:
        """The counts behind `status`; one pass over the register per date serves every requirement."""
        self._current()
        if as_of not in self._status_rows:
            requirements = self.requirements()
            judged = tuple(dict.fromkeys(o.milestone for r in requirements for o in r.obligations))
            named = sql_rules.named_facilities(requirements)
            self._status_rows[as_of] = queries.status_rows(self.conn, as_of, self.info().milestone_ids, judged, named)
        return queries.status(requirement, as_of, self._status_rows[as_of])

    def standings(
        self,
        requirement: Requirement,
        as_of: date,
        selection: Selection = Selection(),
        *,
        group_by: str = "ownership",
        limit: int | None = None,
        obligation: Obligation | None = None,
    ) -> tuple[int, Iterator[Standing]]:
        return queries.standings(
            self.conn, requirement, as_of, selection, group_by=group_by, limit=limit, obligation=obligation
        )

    def unconfirmed(
        self, requirement: Requirement, as_of: date, obligation: Obligation | None = None
    ) -> list[tuple[date, str | None, int]]:
        return queries.unconfirmed(self.conn, requirement, obligation or requirement.principal, as_of)

    def history(
        self, facility_id: str | None = None, *, change_id: int | None = None, limit: int | None = 20
    ) -> list[HistoryEntry]:
        from emrtrack.store import history

        return history.history(self.conn, facility_id, change_id=change_id, limit=limit)

    def last_change(self) -> ChangeInfo | None:
        from emrtrack.store import history

        return history.last_change(self.conn)

    def last_change_id(self) -> int | None:
        """The number of the latest change (None: none, or no history table)."""
        try:
            row = self.conn.execute("SELECT MAX(id) FROM changes").fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    def undoable(self, change_id: int) -> ChangeInfo:
        """Change #`change_id` if it can be undone on its own, else a refusal saying why."""
        from emrtrack.store import history

        return history.undoable(self.conn, change_id)

    def verify(self) -> VerifyResult:
        from emrtrack.store import verify

        return verify.verify(self.conn)

    # -- writing ---------------------------------------------------------------------------------
    def load(
        self,
        loaded: LoadedFiles,
        *,
        source: str,
        actor: str,
        dry_run: bool = False,
        correct: bool = False,
        allow_similar: bool = False,
        progress: Phases = NOBODY,
    ) -> LoadSummary:
        from emrtrack.store import changes

        try:
            return changes.load(
                self.conn,
                loaded,
                source=source,
                actor=actor,
                dry_run=dry_run,
                correct=correct,
                allow_similar=allow_similar,
                progress=progress,
            )
        finally:
            self._changed()

    def mark(
        self,
        facilities: list[Facility],
        milestone: str,
        reached: Reached,
        *,
        actor: str,
        ref: str | None = None,
        note: str | None = None,
        correct: bool = False,
    ) -> list[MarkResult]:
        from emrtrack.store import changes

        timezone = self.info().timezone
        try:
            return changes.mark(
                self.conn,
                facilities,
                milestone,
                reached,
                actor=actor,
                today=today(timezone),
                timezone=timezone,
                ref=ref,
                note=note,
                correct=correct,
            )
        finally:
            self._changed()

    def undo(self, change: ChangeInfo, *, actor: str) -> int:
        from emrtrack.store import history

        try:
            return history.undo(self.conn, change, actor=actor)
        finally:
            self._changed()

    def update_facility(
        self,
        before: Facility,
        after: Facility,
        *,
        facts: dict[str, Any],
        actor: str,
        ref: str | None = None,
        note: str | None = None,
    ) -> int:
        """One facility's life changed (an exception, a withdrawal), as one change in the history."""
        from emrtrack.store import changes

        try:
            return changes.update_facility(self.conn, before, after, facts=facts, actor=actor, ref=ref, note=note)
        finally:
            self._changed()
