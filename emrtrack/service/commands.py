"""One function per command: plain values in, a view out. "Today" and the as-of date are settled here.

Each takes an open `Register` (see `registers.open_register`), except `load`, which may have to make one."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from emrtrack import __version__
from emrtrack.errors import UsageError
from emrtrack.i18n import _
from emrtrack.model import MILESTONES, Requirement, Selection, Standing
from emrtrack.rules import standing_under_each
from emrtrack.service import registers
from emrtrack.store import Register, default_actor
from emrtrack.views import (
    PACE_WEEKS,
    ChangeInfo,
    HistoryView,
    LoadSummary,
    MarkResult,
    Progress,
    Provenance,
    ReportPart,
    ReportView,
    ShowView,
    StatusView,
    VerifyResult,
)


def _as_of(register: Register, as_of: date | None) -> date:
    return as_of or register.today()


def _requirements(register: Register, wanted: str | None, *, every_by_default: bool) -> list[Requirement]:
    """The requirements asked for: one by id, `all`, or with none given the default one (or every one)."""
    if wanted == "all" or (wanted is None and every_by_default):
        found = register.requirements()
        if not found:
            register.requirement(None)  # raises the "no requirement yet" error
        return found
    return [register.requirement(wanted)]


def provenance(register: Register, as_of: date) -> Provenance:
    info = register.info()
    return Provenance(
        register_name=info.name,
        as_of=as_of,
        generated=datetime.now(ZoneInfo(info.timezone)),
        version=__version__,
        content_hash=register.content_hash(),
        timezone=info.timezone,
    )


def status(
    register: Register, *, as_of: date | None = None, requirement: str | None = None, with_provenance: bool = False
) -> StatusView:
    """Counts by state for every requirement (or the one asked for) on `as_of`."""
    with register.snapshot():
        day = _as_of(register, as_of)
        info = register.info()
        statuses = [register.status(r, day) for r in _requirements(register, requirement, every_by_default=True)]
        return StatusView(
            as_of=day,
            register_name=info.name,
            notes=info.notes,
            statuses=statuses,
            provenance=provenance(register, day) if with_provenance else None,
        )


@contextmanager
def report(
    register: Register,
    *,
    as_of: date | None = None,
    requirement: str | None = None,
    selection: Selection = Selection(),
    group_by: str = "ownership",
    limit: int | None = None,
    count_late: bool = False,
    with_provenance: bool = False,
) -> Iterator[ReportView]:
    """The facilities `selection` picks under the requirement asked for (or `all`), streamed: the view is
    read inside one snapshot of the register, so its counts, rows and `late` agree."""
    with register.snapshot():
        day = _as_of(register, as_of)
        wanted = _requirements(register, requirement, every_by_default=False)
        parts = [
            ReportPart(req, *register.standings(req, day, selection, group_by=group_by, limit=limit)) for req in wanted
        ]
        late = 0
        if count_late:  # a report of the overdue has counted them already
            late = (
                sum(p.count for p in parts)
                if selection.is_overdue
                else sum(register.standings(req, day, Selection.overdue(), limit=0)[0] for req in wanted)
            )
        yield ReportView(
            as_of=day,
            selection=selection,
            group_by=group_by,
            parts=parts,
            several=requirement == "all",
            limit=limit,
            late=late,
            provenance=provenance(register, day) if with_provenance else None,
        )


def show(register: Register, query: str, *, as_of: date | None = None) -> ShowView:
    """Everything known about one facility: its facts and milestones, its standing under each requirement
    on `as_of`, and its history."""
    found = register.resolve(query)
    day = _as_of(register, as_of)
    milestones = register.milestones(found.id)
    return ShowView(
        facility=found,
        as_of=day,
        milestones=milestones,
        standings=standing_under_each(register.requirements(), found, milestones, day),
        history=register.history(found.id, limit=None),
    )


def history(register: Register, query: str | None = None, *, limit: int = 20) -> HistoryView:
    """The latest `limit` events, of one facility or of the whole register."""
    found = register.resolve(query) if query else None
    events = register.history(found.id if found else None, limit=limit + 1)
    return HistoryView(facility=found, events=events[:limit], more=len(events) > limit, limit=limit)


def mark(
    register: Register,
    query: str,
    milestone: str,
    *,
    on: date | None = None,
    by: str | None = None,
    ref: str | None = None,
    note: str | None = None,
    correct: bool = False,
) -> MarkResult:
    """Record that the facility `query` names reached `milestone` on `on` (default: today)."""
    if milestone not in MILESTONES:
        raise UsageError(
            _("unknown milestone {milestone}; choose one of: {choices}").format(
                milestone=repr(milestone), choices=", ".join(MILESTONES)
            )
        )
    found = register.resolve(query)
    return register.mark(
        found, milestone, on or register.today(), actor=by or default_actor(), ref=ref, note=note, correct=correct
    )


def load(
    db: Path | None,
    files: list[Path],
    *,
    by: str | None = None,
    dry_run: bool = False,
    correct: bool = False,
    notify: Callable[[str], None],
    on_step: Callable[[str], None] | None = None,
) -> LoadSummary:
    """Files into the register at `db` (see `registers.load_into`)."""
    return registers.load_into(
        db, files, actor=by or default_actor(), dry_run=dry_run, correct=correct, notify=notify, on_step=on_step
    )


def undoable(register: Register) -> ChangeInfo | None:
    """The change `undo` would revert, or None."""
    return register.last_change()


def undo(register: Register, change: ChangeInfo, *, by: str | None = None) -> int:
    """Revert `change` (which `undoable` gave); the id of the change that records the undo."""
    return register.undo(change, actor=by or default_actor())


def verify(register: Register) -> VerifyResult:
    return register.verify()


def chart(register: Register, *, requirement: str | None = None, as_of: date | None = None) -> Progress:
    """Deployments over time against those in scope of the requirement, and a forecast."""
    day = _as_of(register, as_of)
    req = register.requirement(requirement)
    count, rows = register.standings(req, day, group_by="none")
    return progress(req, count, list(rows), day)


def progress(requirement: Requirement, count: int, rows: list[Standing], as_of: date) -> Progress:
    """The chart's data: deployment dates by `as_of`, and when 100% would be reached at the pace of the
    last PACE_WEEKS weeks (None when nothing was deployed in them)."""
    deployed = tuple(sorted(s.deployed for s in rows if s.deployed is not None and s.deployed <= as_of))
    window_start = as_of - timedelta(weeks=PACE_WEEKS)
    recent = sum(1 for d in deployed if d > window_start)
    pace = recent / PACE_WEEKS
    remaining = count - len(deployed)
    forecast: date | None
    if remaining <= 0:
        forecast = deployed[-1] if deployed else as_of
    elif recent == 0:
        forecast = None
    else:
        forecast = as_of + timedelta(days=math.ceil(remaining / (recent / (PACE_WEEKS * 7))))
    start = min([requirement.issued, as_of, *deployed[:1]])
    return Progress(
        requirement, as_of, count, deployed, start, tuple(c.deadline for c in requirement.cohorts), forecast, pace
    )


def template_format(output: Path, format: str | None) -> str:
    """The format of a template to write: as asked, else the one the file's extension names."""
    fmt = format or output.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise UsageError(_("give --format xlsx or csv, or an --output file ending in .xlsx or .csv"))
    return fmt
