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


def explain(e: Exception) -> tuple[list[str], int]:
    """The lines a user sees for an error, and the exit code."""
    import sqlite3

    from emrtrack.i18n import _

    if isinstance(e, EmrtrackError):
        return str(e).splitlines() or [type(e).__name__], e.exit_code
    if isinstance(e, sqlite3.Error):
        return [_("the register could not be used: {error}").format(error=e)], 1
    if isinstance(e, OSError) and e.strerror:  # a file or folder that cannot be read or written
        return [f"{e.filename}: {e.strerror}" if e.filename else e.strerror], 1
    return [
        _("unexpected error: {kind}: {error} (run with EMRTRACK_DEBUG=1 to see where)").format(
            kind=type(e).__name__, error=e
        )
    ], 1
