"""Backups that are safe while others write, and their restore: SQLite's online backup API copies the register
as one consistent snapshot (a copy of the file, taken while its write-ahead log holds recent changes, would lose
them), into a single self-contained file that is checked (`integrity_check`, then `verify`) before it is trusted."""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

from emrtrack.errors import RegisterError
from emrtrack.files import beside, mode_for
from emrtrack.i18n import _
from emrtrack.store import connection
from emrtrack.views import VerifyResult


def backup(conn: sqlite3.Connection, dest: Path) -> VerifyResult:
    """Copy the register on `conn` to `dest`: a snapshot of every change committed when the copy began, however
    many officers write meanwhile, in one file without a write-ahead log. Written beside `dest`, checked, then put
    in its place: a failed backup (a full disk, a damaged register) leaves what was there."""
    from emrtrack.errors import is_damage, storage_problem

    temporary = beside(dest)
    try:
        out = sqlite3.connect(temporary)
        try:
            conn.backup(out)  # in one step: the source is read as one snapshot
            out.execute("PRAGMA journal_mode = DELETE")  # the copy is one file
        finally:
            out.close()
        # the copy is the register page for page: damage found in it is the register's
        result = check(temporary, dest, copy_of=connection.register_path(conn))
        os.chmod(temporary, mode_for(dest))
        os.replace(temporary, dest)
    except (sqlite3.Error, OSError) as e:  # a full disk or a read-only place, said of `dest`; a damaged register
        temporary.unlink(missing_ok=True)
        line = storage_problem(e, connection.register_path(conn) if is_damage(e) else dest)
        if line is None:
            raise
        raise RegisterError(line) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return result


def check(path: Path, named: Path | None = None, *, replay: bool = True, copy_of: str | None = None) -> VerifyResult:
    """What `verify` finds in the register file at `path` (opened read-only), once SQLite finds it whole (with
    not `replay`, that alone); a damaged file, one that is not a register, or one holding a view, trigger or table
    emrtrack did not make, is refused in a sentence naming it as `named`; a damaged copy, as the register it is a
    copy of (`copy_of`), to be restored from a backup."""
    from emrtrack.store.verify import verify

    shown = named or path
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        connection.guard(conn)
    except sqlite3.Error as e:
        raise RegisterError(_("{path}: cannot be read as a register: {error}").format(path=shown, error=e)) from None
    try:
        found = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if found != "ok" and copy_of is not None:
            raise RegisterError(
                f"{copy_of}: "
                + _(
                    "the register file is damaged ({problem}): restore a backup with: emrtrack restore BACKUP-FILE"
                ).format(problem=found)
            )
        if found != "ok":
            raise RegisterError(_("{path}: the file is damaged ({problem})").format(path=shown, problem=found))
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone():
            raise RegisterError(_("{path}: this is not an emrtrack register").format(path=shown))
        planted = connection.unknown_objects(conn, migrated=not connection.pending(conn))
        if planted:
            raise RegisterError(f"{shown}: " + connection.planted_line(*planted[0]))
        return verify(conn, whole=True) if replay else VerifyResult(0, "")
    except sqlite3.DatabaseError as e:
        raise RegisterError(_("{path}: cannot be read as a register: {error}").format(path=shown, error=e)) from None
    finally:
        conn.close()


def restore(register: Path, source: Path) -> tuple[VerifyResult, Path | None]:
    """Put the backup `source` in the place of the register at `register`, once it is checked (upgraded to this
    release's schema first, if older): the register it replaces is kept beside it, renamed. What `verify`
    found in the backup, and where the replaced register was kept (None: there was none)."""
    temporary = beside(register)
    try:
        shutil.copyfile(source, temporary)
        check(temporary, source, replay=False)  # whole, and a register...
        upgraded = connection.connect(temporary)  # ...in this release's schema...
        upgraded.execute("PRAGMA journal_mode = DELETE")
        upgraded.close()
        result = check(temporary, source)  # ...its history unaltered
        if not result.ok:
            _remove(temporary)
            return result, None
        kept = None
        os.chmod(temporary, mode_for(register))
        if register.exists():
            kept = register.with_name(f"{register.name}.replaced-{datetime.now():%Y%m%d-%H%M%S}")
            _settle(register)
            os.replace(register, kept)
        os.replace(temporary, register)
    except BaseException:
        _remove(temporary)
        raise
    return result, kept


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _settle(path: Path) -> None:
    """Write the register's write-ahead log into the file itself, so that the file alone holds every change."""
    conn = sqlite3.connect(path, timeout=connection.BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
