"""One function per command: plain values in, a view out. "Today" and the as-of date are settled here.

Each takes an open `Register` (see `registers.open_register`), except `load`, which may have to make one."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from emrtrack import __version__, rules
from emrtrack.errors import UsageError
from emrtrack.i18n import _, fmt_date
from emrtrack.model import (
    DEFAULT_MILESTONE_DEFS,
    Facility,
    MilestoneDef,
    Obligation,
    Reached,
    RegisterInfo,
    Requirement,
    Selection,
    Standing,
)
from emrtrack.progress import NOBODY, Phases
from emrtrack.rules import standing_under_each
from emrtrack.service import registers
from emrtrack.service.life import writable
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

if TYPE_CHECKING:
    from emrtrack.reading.entries import ReadOptions


def _unknown_milestone(wanted: str, choices: list[str]) -> UsageError:
    """The error for a milestone the register does not know, with the nearest one if there is one."""
    close = difflib.get_close_matches(wanted, choices, n=1, cutoff=0.6)
    if close:
        text = _("unknown milestone {milestone}: did you mean {close}? (choose one of: {choices})")
    else:
        text = _("unknown milestone {milestone}; choose one of: {choices}")
    return UsageError(
        text.format(milestone=repr(wanted), close=repr(close[0]) if close else "", choices=", ".join(choices))
    )


def _as_of(register: Register, as_of: date | None) -> date:
    if as_of is not None:
        _in_range(as_of)
    return as_of or register.today()


def _in_range(day: date) -> None:
    """Refuse a date outside those the tool takes (the command line refuses them already, as typed)."""
    if not rules.FIRST_DATE <= day <= rules.LAST_DATE:
        raise UsageError(
            _(rules.OUT_OF_RANGE).format(
                value=repr(day.isoformat()), first=rules.FIRST_DATE.isoformat(), last=rules.LAST_DATE.isoformat()
            )
        )


CONFIRM_YEARS = 5  # a mark this long before the earliest requirement was issued is likely a mistyped year


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _requirements(register: Register, wanted: str | None, day: date, *, every_by_default: bool) -> list[Requirement]:
    """The requirements asked for: one by id, `all`, or with none given the default one (or every one). Every
    one means every one issued by `day`: a report as of a past date does not show a document not yet issued."""
    if wanted == "all" or (wanted is None and every_by_default):
        found = register.requirements()
        if not found:
            register.requirement(None)  # raises the "no requirement yet" error
        return [r for r in found if r.issued <= day]
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
        statuses = [register.status(r, day) for r in _requirements(register, requirement, day, every_by_default=True)]
        return StatusView(
            as_of=day,
            register_name=info.name,
            notes=info.notes,
            statuses=statuses,
            provenance=provenance(register, day) if with_provenance else None,
            milestones=info.milestones,
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
    obligation: str | None = None,
    count_late: bool = False,
    count_targets: bool = False,
    with_provenance: bool = False,
) -> Iterator[ReportView]:
    """The facilities `selection` picks under the requirement asked for (or `all`), streamed: the view is
    read inside one snapshot of the register, so its counts, rows and `late` agree.

    `obligation` is a milestone, `all`, or None for each requirement's principal obligation. `late` counts
    the facilities overdue under binding requirements (plan targets too with `count_targets`)."""
    with register.snapshot():
        day = _as_of(register, as_of)
        wanted = _requirements(register, requirement, day, every_by_default=False)
        covered = [(req, o) for req in wanted for o in _obligations(register, req, obligation, several=len(wanted) > 1)]
        parts = [
            ReportPart(
                req,
                *register.standings(req, day, selection, group_by=group_by, limit=limit, obligation=o),
                o,
                register.unconfirmed(req, day, o),
            )
            for req, o in covered
        ]
        late = 0
        if count_late:  # a report of the overdue has counted them already
            late = sum(
                p.count
                if selection.is_overdue
                else register.standings(p.requirement, day, Selection.overdue(), limit=0, obligation=p.covers)[0]
                for p in parts
                if p.requirement.binding or count_targets
            )
        info = register.info()
        yield ReportView(
            as_of=day,
            selection=selection,
            group_by=group_by,
            parts=parts,
            several=requirement == "all",
            limit=limit,
            late=late,
            provenance=provenance(register, day) if with_provenance else None,
            milestones=info.milestones,
            every_obligation=obligation == "all",
        )


def _obligations(register: Register, req: Requirement, wanted: str | None, *, several: bool) -> list[Obligation]:
    """The obligations of `req` a report covers: its principal one (`wanted` None), every one (`all`), or the
    one for the milestone named; with several requirements, those without it are left out."""
    if wanted is None:
        return [req.principal]
    if wanted == "all":
        return list(req.obligations)
    found = req.obligation(wanted)
    if found is not None:
        return [found]
    if several:
        return []
    known = register.info().milestone_ids
    if wanted not in known:
        raise _unknown_milestone(wanted, [*known, "all"])
    raise UsageError(
        _("{id} sets no obligation for {milestone} (its obligations: {known})").format(
            id=req.id, milestone=wanted, known=", ".join(o.milestone for o in req.obligations)
        )
    )


def show(register: Register, query: str, *, as_of: date | None = None) -> ShowView:
    """Everything known about one facility: its facts and milestones, its standing under each requirement
    on `as_of`, and its history."""
    found = register.resolve(query)
    day = _as_of(register, as_of)
    milestones = register.milestones(found.id)
    info = register.info()
    return ShowView(
        facility=found,
        as_of=day,
        milestones=milestones,
        standings=standing_under_each([r for r in register.requirements() if r.issued <= day], found, milestones, day),
        history=register.history(found.id, limit=None),
        milestone_defs=info.milestones,
        timezone=info.timezone,
    )


def history(register: Register, query: str | None = None, *, limit: int = 20) -> HistoryView:
    """The latest `limit` events, of one facility or of the whole register."""
    found = register.resolve(query) if query else None
    events = register.history(found.id if found else None, limit=limit + 1)
    info = register.info()
    return HistoryView(
        facility=found,
        events=events[:limit],
        more=len(events) > limit,
        limit=limit,
        milestones=info.milestones,
        timezone=info.timezone,
    )


@dataclass
class MarkPlan:
    """What a mark would record: the facilities, the milestone and what is known of its date."""

    facilities: list[Facility]
    milestone: str
    reached: Reached
    vocabulary: tuple[MilestoneDef, ...] = DEFAULT_MILESTONE_DEFS


def plan_mark(
    register: Register,
    queries: list[str],
    milestone: str,
    *,
    on: date | None = None,
    on_or_before: date | None = None,
    source: str | None = None,
    every: bool = False,
    requirement: str | None = None,
    confirmed: bool = False,
) -> MarkPlan:
    """The facilities `queries` name (or, with `every`, each one in scope of the requirement that has not
    reached the milestone: in scope of its obligation for that milestone, else of the requirement), and the
    milestone as known: on `on` (default today), or on or before `on_or_before`, with its `source`.

    A date more than five years before the earliest requirement was issued is refused unless `confirmed`
    (--yes): it is more likely a mistyped year than a record."""
    vocabulary = register.info().milestones
    known = [m.id for m in vocabulary]
    if milestone not in known:
        raise _unknown_milestone(milestone, known)
    if on is not None and on_or_before is not None:
        raise UsageError(_("--on and --on-or-before say different things: give one of them"))
    if every and queries:
        raise UsageError(_("--all marks every facility in scope: give it without FACILITY names"))
    if not every and not queries:
        raise UsageError(_("name at least one FACILITY, or give --all"))
    if on_or_before is not None:
        reached = Reached(on_or_before, exact=False, source=source)
    else:
        reached = Reached(on or register.today(), source=source)
    _in_range(reached.date)
    requirements = register.requirements()
    if requirements and not confirmed:
        earliest = min(requirements, key=lambda r: r.issued)
        if reached.date < _years_before(earliest.issued, CONFIRM_YEARS):
            raise UsageError(
                _(
                    "{date} is more than five years before the earliest requirement ({requirement}, issued "
                    "{issued}): if that is the date meant, give --yes"
                ).format(date=fmt_date(reached.date), requirement=earliest.id, issued=fmt_date(earliest.issued))
            )
    if every:
        req = register.requirement(requirement)
        obligation = req.obligation(milestone) or Obligation(milestone, req.principal.cohorts)
        _count, rows = register.standings(req, register.today(), group_by="none", obligation=obligation)
        found = [s.facility for s in rows if s.reached is None]
    else:
        found = list({f.id: f for f in map(register.resolve, queries)}.values())
        for f in found:
            writable(register, f)
    return MarkPlan(found, milestone, reached, vocabulary)


def mark(
    register: Register,
    plan: MarkPlan,
    *,
    by: str | None = None,
    ref: str | None = None,
    note: str | None = None,
    correct: bool = False,
) -> list[MarkResult]:
    """Record what `plan_mark` planned, as one change."""
    if not plan.facilities:
        return []
    return register.mark(
        plan.facilities, plan.milestone, plan.reached, actor=by or default_actor(), ref=ref, note=note, correct=correct
    )


def load(
    db: Path | None,
    files: list[Path],
    *,
    by: str | None = None,
    dry_run: bool = False,
    correct: bool = False,
    notify: Callable[[str], None],
    progress: Phases = NOBODY,
    shipped: bool = True,
    allow_similar: bool = False,
    options: ReadOptions | None = None,
) -> LoadSummary:
    """Files into the register at `db` (see `registers.load_into`), spreadsheets read as `options` say."""
    return registers.load_into(
        db,
        files,
        actor=by or default_actor(),
        dry_run=dry_run,
        correct=correct,
        notify=notify,
        progress=progress,
        shipped=shipped,
        allow_similar=allow_similar,
        options=options,
    )


def undoable(register: Register, change_id: int | None = None) -> ChangeInfo | None:
    """The change `undo` would revert: change #`change_id` (refused when it cannot be undone alone), or the
    latest that can be, None when there is none."""
    change = register.last_change() if change_id is None else register.undoable(change_id)
    return None if change is None else replace(change, timezone=register.info().timezone)


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
    return progress(req, count, list(rows), day, register.lived_facilities())


def _scope_steps(
    requirement: Requirement, count: int, as_of: date, start: date, end: date, lived: list[Facility]
) -> tuple[tuple[date, int], ...]:
    """How many facilities were in scope of `requirement` from each day in [start, end] the number changed, from
    the `count` on `as_of` and the facilities whose life changes it (`lived`): those that open, close, merge or
    are exempt for a while. Empty when it never changes."""
    principal = requirement.principal
    mine = [f for f in lived if rules.cohort_index(requirement, f.ownership, f.kind, f.id) is not None]

    def counted(f: Facility, day: date) -> bool:
        return rules.open_on(f, day) and rules.exceptions_on(f, requirement, principal, day).exemption is None

    base = count - sum(counted(f, as_of) for f in mine)
    days: set[date] = set()
    for f in mine:
        days.update(d for d in (f.opened, f.closed, f.merged_on) if d is not None)
        for e in f.exceptions:
            days.update(d for d in (e.granted, e.start, e.until and e.until + timedelta(days=1)) if d is not None)
    steps: list[tuple[date, int]] = []
    for day in sorted(d for d in days | {start} if start <= d <= end):
        n = base + sum(counted(f, day) for f in mine)
        if not steps or steps[-1][1] != n:
            steps.append((day, n))
    return tuple(steps) if len(steps) > 1 else ()


def progress(
    requirement: Requirement, count: int, rows: list[Standing], as_of: date, lived: list[Facility] | None = None
) -> Progress:
    """The chart's data: deployment dates by `as_of`, and when 100% would be reached at the pace of the
    last PACE_WEEKS weeks (None when nothing was deployed in them)."""
    shown = [s.reached for s in rows if s.reached is not None and s.reached.date <= as_of]
    deployed = tuple(sorted(r.date for r in shown))
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
    chart = Progress(
        requirement,
        as_of,
        count,
        deployed,
        start,
        tuple(c.deadline for c in requirement.cohorts),
        forecast,
        pace,
        bounded=sum(not r.exact for r in shown),
    )
    if not lived:
        return chart
    return replace(chart, scope_steps=_scope_steps(requirement, count, as_of, start, chart.end, lived))


def template_info(db: Path | None) -> RegisterInfo:
    """The facts of the register at `db` (or the usual place) a list to fill in follows (its milestones and code
    schemes), read without creating one: the defaults when there is no register yet."""
    register = Register.open_read_only(db or registers.default_register_path())
    if register is None:
        return RegisterInfo()
    try:
        return register.info()
    finally:
        register.close()


def template_format(output: Path | None, format: str | None) -> str:
    """The format of a template to write: as asked, else the one the file's extension names (CSV without a file)."""
    if output is None:
        if format == "xlsx":
            raise UsageError(_("--format xlsx writes a file: give it with --output FILE.xlsx"))
        return "csv"
    fmt = format or output.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise UsageError(_("give --format xlsx or csv, or an --output file ending in .xlsx or .csv"))
    return fmt


def last_change_id(db: Path | None) -> int | None:
    """The number of the register's latest change, read as it is (None when there is no register)."""
    register = Register.open_read_only(db or registers.default_register_path())
    if register is None:
        return None
    try:
        return register.last_change_id()
    finally:
        register.close()
