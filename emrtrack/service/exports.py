"""`export`: the register's present facts as a file `load` reads (YAML, or a CSV/XLSX facility list)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from emrtrack.errors import Refused, UsageError
from emrtrack.i18n import _
from emrtrack.model import Facility, Reached, Requirement
from emrtrack.rules import cohort_index
from emrtrack.store import Register
from emrtrack.views import ExportView, VerifyResult

FORMATS = ("yaml", "csv", "xlsx")
_EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xlsx": "xlsx"}


def export_format(output: Path | None, format: str | None) -> str:
    """The format to write: as asked, else the one the file's extension names, else YAML."""
    if format is None:
        if output is None:
            return "yaml"
        named = _EXTENSIONS.get(output.suffix.lower())
        if named is None:
            raise UsageError(
                _(
                    "--output needs a file format: add --format (one of: {formats}) or use one of their extensions"
                ).format(formats=", ".join(FORMATS))
            )
        return named
    if format == "xlsx" and output is None:
        raise UsageError(_("--format xlsx writes a file: give it with --output FILE.xlsx"))
    return format


def _in_scope(
    requirement: Requirement, facilities: Iterator[tuple[Facility, dict[str, Reached]]]
) -> Iterator[tuple[Facility, dict[str, Reached]]]:
    for f, milestones in facilities:
        if any(cohort_index(requirement, f.ownership, f.kind, f.id, o) is not None for o in requirement.obligations):
            yield f, milestones


def check_extends(old: Path, new: Path) -> None:
    """Refuse to replace the history file `old` with `new` unless `new` extends it (the same lines, then more):
    a file that holds another register's history, or one edited since, is kept as evidence."""
    if not old.exists():
        return
    with old.open("rb") as was, new.open("rb") as now:
        for line, before in enumerate(was, 1):
            if now.readline() != before:
                raise Refused(
                    _(
                        "{file} holds another history than this register's (from line {line}): it is kept; give "
                        "another file, or check it with `emrtrack verify --history {file}`"
                    ).format(file=old, line=line)
                )


def verify_history(path: Path) -> VerifyResult:
    """Check a history file that `export --history` wrote, on its own: every hash, in order, from the start."""
    from emrtrack.store.history_file import verify_history as check

    return check(path)


def export(register: Register, *, requirement: str | None = None) -> ExportView:
    """The register's facts; with `requirement`, that requirement alone and the facilities in its scope."""
    requirements = register.requirements()
    facilities = register.facility_facts()
    if requirement is not None:
        picked = register.requirement(requirement)
        requirements = [picked]
        facilities = _in_scope(picked, facilities)
    return ExportView(register.info(), register.register_fields(), requirements, facilities)
