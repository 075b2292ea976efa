"""The register file: opening it (write-ahead log, busy timeout), its schema, transactions and snapshots."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from emrtrack.errors import RegisterError
from emrtrack.i18n import _
from emrtrack.store import migrations

BUSY_TIMEOUT_MS = 60_000
PAGE_SIZE = 16_384


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the register at `path`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )  # a large write runs on a helper thread
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            migrate(conn, path, check_only=True)  # before anything is written, even the journal mode
        except RegisterError:
            conn.close()
            raise
        if conn.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new file: larger pages than
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # SQLite's 4 KiB write a large load faster
        use_wal(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path)
    except (sqlite3.DatabaseError, OSError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else e
        raise RegisterError(_("{path}: cannot open the register: {error}").format(path=path, error=reason)) from None
    return conn


def connect_read_only(path: Path) -> sqlite3.Connection | None:
    """An existing register, for reading only and as it is (never created nor migrated); None if none."""
    if not path.is_file():
        return None
    try:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return None


def use_wal(conn: sqlite3.Connection) -> None:
    """Write-ahead logging: readers go on while someone writes. Left as it is while another
    process writes with a rollback journal (a large load, see `direct_writes`); that one switches back.
    Syncs as the mode in use asks (a connection opened during such a load keeps FULL: safe, if slower)."""
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as e:
        if "locked" not in str(e):
            raise
    wal = conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # NORMAL: with the log, a power cut may lose the last write but never damages the file;
    # without it, only FULL syncs keep the file whole
    conn.execute(f"PRAGMA synchronous = {'NORMAL' if wal else 'FULL'}")


@contextmanager
def direct_writes(conn: sqlite3.Connection) -> Iterator[None]:
    """A large write goes straight into the register file, under a rollback journal, instead of
    through the write-ahead log, which writes every page twice (into the log, then into the file).
    Only when no one else has the register open: SQLite refuses otherwise, and the log is kept."""
    try:
        direct = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    except sqlite3.OperationalError:  # "database is locked": another connection is open
        direct = False
    if direct:
        conn.execute("PRAGMA synchronous = FULL")  # see `use_wal`
    try:
        yield
    finally:
        if direct:
            try:
                use_wal(conn)
            except sqlite3.Error:  # the load's outcome stands; the next open switches back
                pass


def migrate(conn: sqlite3.Connection, path: Path, check_only: bool = False) -> None:
    """Apply the schema steps this register lacks; refuse one written by a newer emrtrack."""
    applied: list[str] = []
    has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='_sqlite_migrations'").fetchone()
    if has_table:
        applied = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id", (migrations.MIGRATION_SET,)
            )
        ]
    unknown = [n for n in applied if n not in migrations.NAMES]
    if unknown:
        raise RegisterError(
            _(
                "{path}: this register was written by a newer emrtrack (schema step {step}); "
                "upgrade emrtrack to use it. Nothing was changed."
            ).format(path=path, step=repr(unknown[-1]))
        )
    if len(applied) < len(migrations.NAMES) and not check_only:
        with transaction(conn):  # one process upgrades; another opening it meanwhile waits, then has nothing to do
            migrations.apply(conn)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction; taking the write lock at the start so reads inside are current."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        rollback(conn)
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:  # e.g. readers kept the register busy past the timeout: nothing is written
        rollback(conn)
        raise


def rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:  # SQLite ends it itself on some errors (disk full, interrupted)
        conn.execute("ROLLBACK")


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """Reads that all see one state of the register, whatever other officers write meanwhile
    (a report's count, its rows and its exit code agree)."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")  # nothing was written: this only ends the read
