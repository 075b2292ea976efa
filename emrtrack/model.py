"""The domain's vocabulary: requirements, facilities, milestones, states and the report Selection. Plain data;
the Selection also words its own headings, in the interface language (i18n)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from emrtrack.i18n import _, fmt_date, ngettext

OWNERSHIPS: tuple[str, ...] = ("public", "non-public")
KINDS: tuple[str, ...] = ("hospital", "medical-centre", "specialised-centre", "clinic", "other")
MILESTONES: tuple[str, ...] = ("appraised", "deployed", "annex-signed")
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


class State(str, enum.Enum):
    """Where a facility stands against one requirement on a given date."""

    DEPLOYED_ON_TIME = "deployed-on-time"
    DEPLOYED_LATE = "deployed-late"
    OVERDUE = "overdue"
    NOT_YET_DUE = "not-yet-due"


@dataclass(frozen=True)
class Selector:
    """Which facilities a deadline applies to. An empty tuple means any value."""

    kinds: tuple[str, ...] = ()
    ownerships: tuple[str, ...] = ()

    def matches(self, ownership: str, kind: str) -> bool:
        return (not self.kinds or kind in self.kinds) and (not self.ownerships or ownership in self.ownerships)

    @property
    def is_everything(self) -> bool:
        return not self.kinds and not self.ownerships

    def as_dict(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if self.kinds:
            out["kind"] = list(self.kinds)
        if self.ownerships:
            out["ownership"] = list(self.ownerships)
        return out


@dataclass(frozen=True)
class Cohort:
    """A deadline for the facilities a selector picks out."""

    selector: Selector
    deadline: date


@dataclass(frozen=True)
class Requirement:
    """A regulatory document that sets one deadline, or one per cohort (first match wins)."""

    id: str
    issued: date
    cohorts: tuple[Cohort, ...]
    applies_to: Selector = Selector()
    title: str | None = None
    issuer: str | None = None
    in_force: date | None = None
    source: str | None = None
    refs: tuple[str, ...] = ()
    default: bool = False

    @property
    def final_deadline(self) -> date:
        return max(c.deadline for c in self.cohorts)


@dataclass(frozen=True)
class Facility:
    """A medical examination and treatment facility, keyed by a stable slug."""

    id: str
    name: str
    ownership: str
    kind: str
    aliases: tuple[str, ...] = ()
    managed_by: str | None = None
    location: str | None = None
    verified: date | None = None


@dataclass(frozen=True)
class RegisterInfo:
    """Facts about the register as a whole."""

    name: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    notes: tuple[str, ...] = ()


@dataclass
class Standing:
    """One facility's standing under one requirement on a date."""

    facility: Facility
    requirement_id: str
    deadline: date
    state: State
    days_overdue: int
    deployed: date | None
    latest_milestone: str | None
    latest_milestone_date: date | None = None
    milestones: dict[str, date] = field(default_factory=dict)


@dataclass(frozen=True)
class Selection:
    """Which facilities a report lists: every one in scope, the overdue, or those due within some days.

    One value instead of loose flags: the store filters by it, the outputs title and word a report by it."""

    kind: str = "all"  # "all", "overdue" or "due-within"
    days: int | None = None  # for "due-within"

    @classmethod
    def overdue(cls) -> Selection:
        return cls("overdue")

    @classmethod
    def due_within(cls, days: int) -> Selection:
        return cls("due-within", days)

    @property
    def is_all(self) -> bool:
        return self.kind == "all"

    @property
    def is_overdue(self) -> bool:
        return self.kind == "overdue"

    @property
    def is_due_within(self) -> bool:
        return self.kind == "due-within"

    # -- how the outputs word it -------------------------------------------------------------------
    def label(self) -> str:
        """Which facilities are listed, as a spreadsheet's header block says it."""
        if self.is_overdue:
            return _("overdue (past the deadline, not deployed)")
        if self.is_due_within:
            return _("not deployed, deadline within {days} days").format(days=self.days)
        return _("all in scope")

    def heading(self, count: int, requirement: str, deadlines: str, as_of: date) -> str:
        """A report's heading: how many facilities are listed against the requirement, as of a date."""
        if self.is_overdue:
            text = ngettext(
                "{n} facility overdue against {id} (deadline {deadlines}) as of {date}",
                "{n} facilities overdue against {id} (deadline {deadlines}) as of {date}",
                count,
            )
        elif self.is_due_within:
            text = ngettext(
                "{n} facility due within {days} days against {id} (deadline {deadlines}) as of {date}",
                "{n} facilities due within {days} days against {id} (deadline {deadlines}) as of {date}",
                count,
            )
        else:
            text = ngettext(
                "{n} facility in scope of {id} (deadline {deadlines}) as of {date}",
                "{n} facilities in scope of {id} (deadline {deadlines}) as of {date}",
                count,
            )
        return text.format(n=count, id=requirement, deadlines=deadlines, date=fmt_date(as_of), days=self.days)

    def lead(self, count: int, as_of: date) -> str:
        """The sentence a dispatch's list opens with: how many facilities, as of a date."""
        if self.is_overdue:
            text = ngettext(
                "As of {date}, {n} facility is past its deadline and has not yet deployed EMR.",
                "As of {date}, {n} facilities are past their deadline and have not yet deployed EMR.",
                count,
            )
        elif self.is_due_within:
            text = ngettext(
                "As of {date}, {n} facility has not yet deployed EMR and is due within {days} days.",
                "As of {date}, {n} facilities have not yet deployed EMR and are due within {days} days.",
                count,
            )
        else:
            text = ngettext(
                "As of {date}, {n} facility is in scope.", "As of {date}, {n} facilities are in scope.", count
            )
        return text.format(date=fmt_date(as_of), n=count, days=self.days)

    def group_heading(self, who: str, count: int) -> str:
        """The line above one group of a dispatch's list: who they are and how many."""
        if self.is_overdue:
            text = _("{who} that have not yet deployed EMR ({n}):")
        elif self.is_due_within:
            text = _("{who} due to deploy EMR within {days} days ({n}):")
        else:
            text = _("{who} ({n}):")
        return text.format(who=who, n=count, days=self.days)

    def none_listed(self) -> str:
        """What a report's table says when the selection lists no facility."""
        return _("No facility in scope.") if self.is_all else _("None.")

    def days_label(self) -> str:
        """The header of a report table's days column: days left before the deadline, or days overdue."""
        return _("Days left") if self.is_due_within else _("Days overdue")

    def days_shown(self, standing: Standing, as_of: date) -> int | None:
        """A report table's days: left before the deadline (due within), else overdue (None if not)."""
        if self.is_due_within:
            return (standing.deadline - as_of).days
        return standing.days_overdue if standing.state is State.OVERDUE else None
