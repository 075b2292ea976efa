"""What the store and the services hand to the outputs: plain dataclasses, no behaviour beyond arithmetic.

The outputs render these; nothing here reads the register or formats text for people."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from emrtrack.model import (
    DEFAULT_MILESTONE_DEFS,
    DEFAULT_TIMEZONE,
    Facility,
    MilestoneDef,
    Obligation,
    Reached,
    RegisterInfo,
    Requirement,
    Selection,
    Selector,
    Standing,
    State,
)


@dataclass
class LoadSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_files: int = 0
    requirements_added: int = 0
    requirements_updated: int = 0
    milestones_recorded: int = 0  # new dates, corrections included
    milestones_corrected: int = 0  # of which dates that replaced another (needs `correct`)
    register_updated: bool = False
    change_id: int | None = None
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            self.added
            or self.updated
            or self.requirements_added
            or self.requirements_updated
            or self.milestones_recorded
            or self.register_updated
        )


@dataclass
class MarkResult:
    """One facility's part of a mark: what it had (`previous`), what it has now, whether that changed."""

    facility: Facility
    milestone: str
    reached: Reached
    previous: Reached | None
    changed: bool
    change_id: int | None = None

    @property
    def date(self) -> datetime.date:
        return self.reached.date


@dataclass
class Counts:
    in_scope: int = 0
    deployed_on_time: int = 0
    deployed_late: int = 0
    deployed_unconfirmed: int = 0  # reached, on or before a date past the deadline: timing unconfirmed
    overdue: int = 0
    not_yet_due: int = 0

    def add(self, other: Counts) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    @property
    def compliance(self) -> float:
        """Proven on time ÷ in scope (0 when nothing is in scope): the one definition of compliance. A milestone
        known only as "on or before" a date past the deadline is not proof, so it does not count."""
        return self.deployed_on_time / self.in_scope if self.in_scope else 0.0

    @property
    def compliance_pct(self) -> float:
        """Compliance as a percentage with one decimal, as tables and JSON show it."""
        return round(100 * self.compliance, 1)


@dataclass
class ExceptionCounts:
    """How many facilities in an obligation's scope its exceptions touch on a date: `exempt` (left out of
    `in_scope`), on an `extension`, with a `commitment`, and past their commitment without the milestone."""

    exempt: int = 0
    extension: int = 0
    commitment: int = 0
    broken_commitment: int = 0

    def add(self, other: ExceptionCounts) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))


@dataclass
class CohortStatus:
    selector: Selector
    deadline: date
    counts: Counts


@dataclass
class ObligationStatus:
    """The counts under one obligation of a requirement, per cohort and by ownership."""

    obligation: Obligation
    total: Counts
    cohorts: list[CohortStatus]
    by_ownership: dict[str, Counts]
    exceptions: ExceptionCounts = field(default_factory=ExceptionCounts)


@dataclass
class RequirementStatus:
    """A requirement's counts on a date: `total`, `cohorts` and `by_ownership` are its principal
    obligation's; `obligations` holds every obligation's, the principal included, in the document's order."""

    requirement: Requirement
    as_of: date
    total: Counts
    cohorts: list[CohortStatus]
    by_ownership: dict[str, Counts]
    funnel: dict[str, int]
    oldest_data: date | None
    median_data: date | None
    never_verified: int
    obligations: list[ObligationStatus] = field(default_factory=list)
    exceptions: ExceptionCounts = field(default_factory=ExceptionCounts)  # the principal obligation's


@dataclass
class HistoryEntry:
    event_id: int
    change_id: int
    recorded_at: str
    actor: str
    source: str
    command: str
    ref: str | None
    note: str | None
    entity: str
    key: str
    milestone: str | None
    action: str
    old: str | None
    new: str | None
    facility_name: str | None = None
    reverts: int | None = None  # the change an undo reverted


@dataclass
class ChangeInfo:
    id: int
    recorded_at: str
    actor: str
    source: str
    command: str
    summary: str  # the English sentence the history keeps (and its hash covers)
    facts: dict[str, Any] | None = None  # the same, as structured facts the outputs word in any language
    events: list[HistoryEntry] = field(default_factory=list)
    timezone: str = DEFAULT_TIMEZONE  # the register's: where its times are shown


@dataclass(frozen=True)
class VerifyProblem:
    """The first thing `verify` found wrong: its kind, the event where, and what it found (as values: `id`
    names the change, or the event, that the kind is about).

    Kinds: change-missing, no-hash, altered, event-deleted, out-of-order, change-out-of-order,
    unknown-entity, old-mismatch (each at an event); empty-change, facts-altered (a change); names-altered,
    tables-differ, order-altered (the current tables against the replayed history)."""

    kind: str
    event: int | None = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class VerifyResult:
    events: int
    head: str
    problem: VerifyProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


# -- what each command shows -----------------------------------------------------------------------
@dataclass(frozen=True)
class Provenance:
    """Where a report's figures come from: printed in a spreadsheet's header block."""

    register_name: str | None
    as_of: date
    generated: datetime.datetime  # in the register's time zone
    version: str
    content_hash: str
    timezone: str


@dataclass
class StatusView:
    as_of: date
    register_name: str | None
    notes: tuple[str, ...]
    statuses: list[RequirementStatus]
    provenance: Provenance | None = None
    milestones: tuple[MilestoneDef, ...] = DEFAULT_MILESTONE_DEFS


@dataclass
class ReportPart:
    """One requirement's rows of a report: how many, and the rows (streamed, at most the limit)."""

    requirement: Requirement
    count: int
    rows: Iterator[Standing]
    obligation: Obligation | None = None  # None: the requirement's principal obligation
    # in scope, reached on or before a date past the deadline (timing unconfirmed): how many by (bound, source)
    unconfirmed: list[tuple[date, str | None, int]] = field(default_factory=list)

    @property
    def covers(self) -> Obligation:
        return self.obligation or self.requirement.principal


@dataclass
class ReportView:
    as_of: date
    selection: Selection
    group_by: str
    parts: list[ReportPart]
    several: bool  # `--requirement all`: one part per requirement
    limit: int | None  # rows shown in a table (None: all)
    late: int = 0  # facilities overdue under the requirements reported on, when asked to count them
    provenance: Provenance | None = None
    milestones: tuple[MilestoneDef, ...] = DEFAULT_MILESTONE_DEFS
    every_obligation: bool = False  # `--obligation all`: one part per obligation


@dataclass
class ShowView:
    facility: Facility
    as_of: date
    milestones: dict[str, Reached]
    standings: list[tuple[Requirement, Obligation, date | None, State | None, int]]
    history: list[HistoryEntry]
    milestone_defs: tuple[MilestoneDef, ...] = DEFAULT_MILESTONE_DEFS
    timezone: str = DEFAULT_TIMEZONE


@dataclass
class HistoryView:
    facility: Facility | None
    events: list[HistoryEntry]
    more: bool  # older events were left out
    limit: int
    milestones: tuple[MilestoneDef, ...] = DEFAULT_MILESTONE_DEFS
    timezone: str = DEFAULT_TIMEZONE


PACE_WEEKS = 8  # the recent pace a forecast follows


@dataclass(frozen=True)
class Progress:
    """Deployments over time against those in scope, for a chart."""

    requirement: Requirement
    as_of: date
    in_scope: int
    deployed: tuple[date, ...]  # deployment dates on or before as_of, sorted
    start: date
    deadlines: tuple[date, ...]
    forecast: date | None  # when 100% would be reached at the recent pace; None if no progress
    pace_per_week: float
    bounded: int = 0  # of the dates, those known only as "on or before" (drawn at that date)
    # how many were in scope from each day the number changed (facilities opening, closing, merging, exempt);
    # empty when it never did
    scope_steps: tuple[tuple[date, int], ...] = ()

    @property
    def most_in_scope(self) -> int:
        return max([self.in_scope, *(n for _d, n in self.scope_steps)])

    @property
    def done(self) -> int:
        return len(self.deployed)

    @property
    def end(self) -> date:
        last = max(self.as_of, *self.deadlines)
        if self.forecast is not None:
            last = max(last, min(self.forecast, last + datetime.timedelta(days=365)))
        return last

    def deployed_by(self, day: date) -> int:
        return sum(1 for d in self.deployed if d <= day)


@dataclass
class ExportView:
    """The register's present facts, to write in a format `load` reads: its facts as a whole (`register_fields`:
    those it holds, of name, timezone, notes and milestones), its requirements, and its facilities with their
    milestones, by id (read as they are written)."""

    info: RegisterInfo
    register_fields: frozenset[str]
    requirements: list[Requirement]
    facilities: Iterable[tuple[Facility, dict[str, Reached]]]
