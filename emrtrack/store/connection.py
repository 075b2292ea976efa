"""The register file: opening it (write-ahead log, busy timeout), its schema, transactions and snapshots."""

from __future__ import annotations

import os
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
    """Open (creating if needed) and migrate the register at `path`. A register whose file or folder cannot be
    written is opened for reading only: reading commands work, and a write is refused (see `transaction`)."""
    check_size(path)
    if path.is_file() and not writable(path):
        return _connect_read_only(path)
    conn: sqlite3.Connection | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )  # a large write runs on a helper thread
        guard(conn)
        # before anything is written, even the journal mode: a newer schema, or code planted in the file
        migrate(conn, path, check_only=True)
        check_schema(conn, path, migrated=False)
        if conn.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new file: larger pages than
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # SQLite's 4 KiB write a large load faster
        use_wal(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path)
        check_schema(conn, path)
        _touch_tables(conn)
    except RegisterError:
        if conn is not None:
            conn.close()
        raise
    except (sqlite3.DatabaseError, OSError) as e:
        if conn is not None:
            conn.close()
        raise RegisterError(_cannot_open(path, e)) from None
    return conn


def connect_read_only(path: Path) -> sqlite3.Connection | None:
    """An existing register, for reading only and as it is (never created nor migrated); None if none, or if it
    cannot be read."""
    if not path.is_file():
        return None
    try:
        check_size(path)
        return _open_read_only(path)
    except (sqlite3.Error, OSError, RegisterError):
        return None


def check_size(path: Path) -> None:
    """Refuse a register file cut short (a copy that stopped halfway, a disk that failed), by its size alone: a
    whole file holds whole pages, as many as its header says, unless a `-wal` or `-journal` file beside it holds
    what it still lacks (SQLite then settles it). SQLite itself finds the pages that are missing only when a
    command reads them."""
    try:
        size = path.stat().st_size
        if size == 0 or any(_holds_data(Path(f"{path}{suffix}")) for suffix in ("-wal", "-journal")):
            return
        with path.open("rb") as f:
            header = f.read(100)
    except OSError:
        return  # SQLite says what is wrong with it
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
        return
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65_536 if page_size == 1 else page_size
    pages, changed, valid_for = (int.from_bytes(header[i : i + 4], "big") for i in (28, 24, 92))
    expected = pages * page_size if pages and changed == valid_for else size
    if page_size >= 512 and (size % page_size or size < expected):
        problem = _("the file ends after {size} bytes, within its pages ({expected} bytes)").format(
            size=size, expected=max(expected, (size // page_size + 1) * page_size)
        )
        raise RegisterError(
            f"{path}: "
            + _("the register file is damaged ({problem}): restore a backup with: emrtrack restore BACKUP-FILE").format(
                problem=problem
            )
        )


def _holds_data(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def writable(path: Path) -> bool:
    """Whether the register at `path` can be written: its file, and its folder (where SQLite keeps the
    write-ahead log beside it). A read-only file system or an immutable file stops even the administrator."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A register that cannot be written, opened for reading as `connect` opens one for writing: checked."""
    try:
        conn = _open_read_only(path)
    except (sqlite3.DatabaseError, OSError) as e:
        raise RegisterError(_cannot_open(path, e)) from None
    try:
        migrate(conn, path, check_only=True)
        if pending(conn):
            raise RegisterError(
                f"{path}: "
                + _(
                    "this register was written by an earlier emrtrack and must be upgraded, which needs it to be "
                    "writable: its file or folder is read-only. Nothing was changed."
                )
            )
        check_schema(conn, path)
        _touch_tables(conn)
    except RegisterError:
        conn.close()
        raise
    except sqlite3.DatabaseError as e:
        conn.close()
        raise RegisterError(_cannot_open(path, e)) from None
    return conn


def _open_read_only(path: Path) -> sqlite3.Connection:
    """The register at `path` opened read-only. In write-ahead-log mode SQLite needs the `-shm` file beside it;
    where none can be made (a read-only folder or file system) and no `-wal` holds changes not yet in the file,
    the file alone is the register, and is read as unchanging."""
    uri = path.absolute().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=1, isolation_level=None, check_same_thread=False)
    try:
        guard(conn)
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as e:
        conn.close()
        if getattr(e, "sqlite_errorname", "SQLITE_CANTOPEN") != "SQLITE_CANTOPEN" or "unable to open" not in str(e):
            raise
    wal = Path(f"{path}-wal")
    if _holds_data(wal):
        raise RegisterError(
            f"{path}: "
            + _(
                "the register cannot be read here: its file or folder is read-only and its latest changes are "
                "still in {wal}; open it once where it can be written"
            ).format(wal=wal.name)
        )
    conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None, check_same_thread=False)
    guard(conn)
    return conn


def guard(conn: sqlite3.Connection) -> None:
    """What the register file holds is data, never code that runs: a view or trigger planted in it cannot call
    a function with side effects (`trusted_schema`), nor, where SQLite offers it, alter the schema directly
    (defensive mode). A register with a view, trigger or table emrtrack did not make is refused (`check_schema`)."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA trusted_schema = OFF")
    defensive = getattr(sqlite3, "SQLITE_DBCONFIG_DEFENSIVE", None)
    if defensive is not None and hasattr(conn, "setconfig"):
        conn.setconfig(defensive, True)


def _touch_tables(conn: sqlite3.Connection) -> None:
    """Read the first row of every table: a damaged root page is found when the register is opened (a few pages
    read, however large the register), not halfway through a command. `verify` reads every page."""
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        conn.execute(f'SELECT * FROM "{name}" LIMIT 1').fetchall()


def _cannot_open(path: Path, e: BaseException) -> str:
    """The line for a register that cannot be opened: what is wrong with it and what to do, where that is known."""
    from emrtrack.errors import storage_problem

    known = storage_problem(e, path)
    if known is not None:
        return known
    reason = e.strerror if isinstance(e, OSError) and e.strerror else e
    return _("{path}: cannot open the register: {error}").format(path=path, error=reason)


_EXPECTED: dict[tuple[str, ...], frozenset[tuple[str, str, str, str | None]]] = {}
# where sqlite-utils' Migrations records the steps applied (SQLite's own tables, named sqlite_*, are let be too)
_BOOKKEEPING = {("table", "_sqlite_migrations"), ("index", "idx__sqlite_migrations_migration_set_name")}


def expected_schema() -> frozenset[tuple[str, str, str, str | None]]:
    """Every object (type, name, table, SQL) emrtrack's schema steps make, as made in an empty database."""
    if migrations.NAMES not in _EXPECTED:

        class Steps:  # what a step uses of sqlite-utils' Database
            def __init__(self, conn: sqlite3.Connection):
                self.conn = conn

            def execute(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Cursor:
                return self.conn.execute(sql, params)

        scratch = sqlite3.connect(":memory:")
        try:
            for _name, step in migrations._STEPS:
                step(Steps(scratch))
            _EXPECTED[migrations.NAMES] = frozenset(
                scratch.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
            )
        finally:
            scratch.close()
    return _EXPECTED[migrations.NAMES]


def unknown_objects(conn: sqlite3.Connection, *, migrated: bool = True) -> list[tuple[str, str]]:
    """The views, triggers, tables and indexes in the register that emrtrack's schema does not make (or makes
    otherwise), as (type, name). Before the schema is upgraded (not `migrated`), only triggers are compared:
    they are what could run during the upgrade."""
    expected = expected_schema()
    found = []
    for kind, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"):
        if (kind, name) in _BOOKKEEPING or (kind == "table" and name.startswith("sqlite_")):
            continue
        if (kind, name, table, sql) not in expected and (migrated or kind == "trigger"):
            found.append((kind, name))
    return found


def check_schema(conn: sqlite3.Connection, path: Path, *, migrated: bool = True) -> None:
    """Refuse a register that holds a view, trigger, table or index emrtrack did not make: the register file
    holds data, and code planted in it must not run. An empty file (a new register) holds nothing."""
    found = unknown_objects(conn, migrated=migrated)
    if found:
        kind, name = found[0]
        raise RegisterError(f"{path}: " + planted_line(kind, name))


def planted_line(kind: str, name: str) -> str:
    """The line for a register holding a `kind` of object (SQLite's word: table, view, trigger, index) named
    `name` that emrtrack did not make."""
    kinds = {"table": _("table"), "view": _("view"), "trigger": _("trigger"), "index": _("index")}
    return _(
        "the register holds a {kind} emrtrack did not make ({name}), so it is not opened; restore a backup "
        "with: emrtrack restore BACKUP-FILE"
    ).format(kind=kinds.get(kind, kind), name=repr(name))


def pending(conn: sqlite3.Connection) -> bool:
    """Whether the register lacks schema steps of this release."""
    has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='_sqlite_migrations'").fetchone()
    if not has_table:
        return True
    applied = conn.execute(
        "SELECT COUNT(*) FROM _sqlite_migrations WHERE migration_set = ?", (migrations.MIGRATION_SET,)
    ).fetchone()[0]
    return bool(applied < len(migrations.NAMES))


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
    """One write transaction; taking the write lock at the start so reads inside are current. A write the
    register's place refuses (a full disk, a read-only file or folder) or a damaged register ends it with
    nothing written, in a line naming the register (see `errors.storage_problem`)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as e:
        _refused(conn, e)
        raise
    try:
        yield
    except BaseException as e:
        rollback(conn)
        _refused(conn, e)
        raise
    try:
        conn.execute("COMMIT")
    except BaseException as e:  # e.g. readers kept the register busy past the timeout: nothing is written
        rollback(conn)
        _refused(conn, e)
        raise


def rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:  # SQLite ends it itself on some errors (disk full, interrupted)
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:  # a damaged or vanished file: SQLite has already given up the transaction
            pass


def _refused(conn: sqlite3.Connection, e: BaseException) -> None:
    """Raise, in place of `e`, the line naming the register for a write the disk or the register refused."""
    from emrtrack.errors import storage_problem

    if isinstance(e, (sqlite3.Error, OSError)):
        line = storage_problem(e, register_path(conn))
        if line is not None:
            raise RegisterError(line) from None


def register_path(conn: sqlite3.Connection) -> str | None:
    """The file the connection has open (None: in memory, or it cannot be told)."""
    try:
        row = conn.execute("PRAGMA database_list").fetchone()
    except sqlite3.Error:
        return None
    return str(row[2]) if row and row[2] else None


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """Reads that all see one state of the register, whatever other officers write meanwhile
    (a report's count, its rows and its exit code agree)."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")  # nothing was written: this only ends the read
