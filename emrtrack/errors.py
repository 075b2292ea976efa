"""The project's own exceptions. Each carries the exit code and the message a user sees."""

from __future__ import annotations

from dataclasses import dataclass


class EmrtrackError(Exception):
    """Base class: a problem the user can act on, shown as one line on stderr."""

    exit_code = 1


class UsageError(EmrtrackError):
    """The command was called in a way that cannot work (exit code 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, with its position."""

    file: str
    line: int
    message: str
    column: str | None = None  # set for spreadsheets and CSV: FILE:ROW:COLUMN

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}" if self.column else f"{self.line}"
        return f"{self.file}:{where}: {self.message}"


class InputError(EmrtrackError):
    """An input file is invalid; every problem found is listed, one per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class FacilityNotFound(EmrtrackError):
    """No facility matches the name given."""

    def __init__(self, query: str, suggestions: list[tuple[str, str]]):
        self.query = query
        self.suggestions = suggestions
        from emrtrack.i18n import _

        message = _("no facility matches {query}").format(query=repr(query))
        if suggestions:
            names = "; ".join(f"{name} ({fid})" for fid, name in suggestions)
            message += _(". Did you mean: {names}?").format(names=names)
        super().__init__(message)


class AmbiguousFacility(EmrtrackError):
    """Several facilities match the name given; nothing is done."""

    SHOWN = 10

    def __init__(self, query: str, candidates: list[tuple[str, str]], total: int | None = None):
        self.query = query
        self.candidates = candidates
        self.total = total if total is not None else len(candidates)
        from emrtrack.i18n import _

        names = "; ".join(f"{name} ({fid})" for fid, name in candidates[: self.SHOWN])
        if self.total > self.SHOWN:
            names += "; " + _("and {n} more").format(n=self.total - self.SHOWN)
        super().__init__(
            _("{query} matches {n} facilities: {names}. Nothing was done; name one by its id.").format(
                query=repr(query), n=self.total, names=names
            )
        )


class Refused(EmrtrackError):
    """The change asked for is not allowed as asked (a future date, a silent correction)."""


class RegisterError(EmrtrackError):
    """The register file cannot be used (unknown schema, unknown requirement, unreadable)."""


def is_damage(e: BaseException) -> bool:
    """Whether SQLite found the file damaged, or not a database at all."""
    import sqlite3

    name = getattr(e, "sqlite_errorname", "") or ""
    text = str(e)
    return isinstance(e, sqlite3.DatabaseError) and (
        name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text
    )


def storage_problem(e: BaseException, place: object | None = None) -> str | None:
    """The one line for an error that comes from where the register or a file is kept: a full disk, a read-only
    file or folder, a damaged register or a file that is not one, with what to do; None for any other error.
    `place` (the register or file, where known) starts the line."""
    import errno
    import sqlite3

    from emrtrack.i18n import _

    line: str | None = None
    if isinstance(e, sqlite3.Error):
        name = getattr(e, "sqlite_errorname", "") or ""
        text = str(e)
        if name.startswith("SQLITE_FULL") or name == "SQLITE_IOERR_SHMSIZE" or "disk is full" in text:
            line = _("the disk is full: nothing was written; free some space and try again")
        elif name.startswith("SQLITE_READONLY") or "readonly database" in text:
            line = _(
                "the register cannot be written: its file or its folder is read-only, so nothing was changed; "
                "commands that only read it still work"
            )
        elif name == "SQLITE_NOTADB" or "not a database" in text:
            line = _(
                "this file is not an emrtrack register (it is not an SQLite database): name the register with "
                "--db, or restore a backup with: emrtrack restore BACKUP-FILE"
            )
        elif name.startswith("SQLITE_CORRUPT") or "malformed" in text:
            line = _("the register file is damaged ({problem}): restore a backup with: emrtrack restore BACKUP-FILE")
            line = line.format(problem=text)
    elif isinstance(e, OSError) and e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        line = _("the disk is full: nothing was written; free some space and try again")
        place = place or intended_file(e.filename)
    elif isinstance(e, OSError) and e.errno in (errno.EROFS, errno.EPERM, errno.EACCES):
        line = _("this place cannot be written (it is read-only, or not yours to write): nothing was written")
        place = place or intended_file(e.filename)
    if line is None:
        return None
    return f"{place}: {line}" if place else line


def intended_file(name: object) -> object:
    """The file a temporary one was to become (files.beside: `.NAME.XXXXXXXX.tmp` in the same folder): the file a
    user named, where an error names the temporary one."""
    import os
    import re

    if not isinstance(name, str):
        return name
    folder, base = os.path.split(name)
    found = re.fullmatch(r"\.(.+)\.[a-z0-9_]{8}\.tmp", base)
    return os.path.join(folder, found.group(1)) if found else name


def explain(e: Exception) -> tuple[list[str], int]:
    """The lines a user sees for an error, and the exit code."""
    import sqlite3

    from emrtrack.i18n import _

    if isinstance(e, EmrtrackError):
        return str(e).splitlines() or [type(e).__name__], e.exit_code
    known = storage_problem(e)
    if known is not None:
        return [known], 1
    if isinstance(e, sqlite3.Error):
        return [_("the register could not be used: {error}").format(error=e)], 1
    if isinstance(e, OSError) and e.strerror:  # a file or folder that cannot be read or written
        return [f"{intended_file(e.filename)}: {e.strerror}" if e.filename else e.strerror], 1
    return [
        _("unexpected error: {kind}: {error} (run with EMRTRACK_DEBUG=1 to see where)").format(
            kind=type(e).__name__, error=e
        )
    ], 1
