"""The domain's vocabulary: requirements and their obligations, facilities, milestones as known, states and
the report Selection. Plain data (the outputs word it: output.wording)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, timedelta

OWNERSHIPS: tuple[str, ...] = ("public", "non-public")
KINDS: tuple[str, ...] = ("hospital", "medical-centre", "specialised-centre", "clinic", "other")
MILESTONES: tuple[str, ...] = ("appraised", "deployed", "annex-signed")  # a register's default vocabulary
Day = date  # `date` for annotations inside classes with a field named `date`
DEPLOYED = "deployed"  # the milestone a requirement's `deadline`/`deadlines` set
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class MilestoneDef:
    """One milestone of a register's vocabulary: its id and its labels in English and Vietnamese."""

    id: str
    en: str
    vi: str

    def label(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


DEFAULT_MILESTONE_DEFS: tuple[MilestoneDef, ...] = (
    MilestoneDef("appraised", "appraised", "đã thẩm định"),
    MilestoneDef("deployed", "deployed", "đã triển khai"),
    MilestoneDef("annex-signed", "annex signed", "đã ký phụ lục"),
)


@dataclass(frozen=True)
class Reached:
    """A milestone as it is known: reached on `date` (exact), or on or before `date` (a bound), with the
    evidence for it. A bound's other end is the last day the facility was confirmed not to have reached it."""

    date: date
    exact: bool = True
    source: str | None = None

    def earliest(self, known_after: Day | None) -> Day | None:
        """The earliest day it can have been reached: its date when exact, else the day after `known_after`
        (the last day it was confirmed not reached), None when nothing bounds it below."""
        if self.exact:
            return self.date
        return None if known_after is None or known_after >= self.date else known_after + timedelta(days=1)


class State(str, enum.Enum):
    """Where a facility stands against one requirement on a given date."""

    DEPLOYED_ON_TIME = "deployed-on-time"
    DEPLOYED_LATE = "deployed-late"
    DEPLOYED_UNCONFIRMED = "deployed-unconfirmed"  # reached, known only as "on or before" a date past the deadline
    OVERDUE = "overdue"
    NOT_YET_DUE = "not-yet-due"


@dataclass(frozen=True)
class Selector:
    """Which facilities a deadline applies to: by kind, ownership and/or id. An empty tuple means any value."""

    kinds: tuple[str, ...] = ()
    ownerships: tuple[str, ...] = ()
    facilities: tuple[str, ...] = ()

    def matches(self, ownership: str, kind: str, facility_id: str | None = None) -> bool:
        return (
            (not self.kinds or kind in self.kinds)
            and (not self.ownerships or ownership in self.ownerships)
            and (not self.facilities or facility_id in self.facilities)
        )

    @property
    def is_everything(self) -> bool:
        return not self.kinds and not self.ownerships and not self.facilities

    def as_dict(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if self.kinds:
            out["kind"] = list(self.kinds)
        if self.ownerships:
            out["ownership"] = list(self.ownerships)
        if self.facilities:
            out["facilities"] = list(self.facilities)
        return out


@dataclass(frozen=True)
class Cohort:
    """A deadline for the facilities a selector picks out."""

    selector: Selector
    deadline: date


@dataclass(frozen=True)
class Obligation:
    """One thing a document requires: a milestone reached by a deadline (or one per cohort, first match
    wins), by the facilities `applies_to` picks out within the document's scope."""

    milestone: str
    cohorts: tuple[Cohort, ...]
    applies_to: Selector = Selector()
    principal: bool = False

    @property
    def final_deadline(self) -> date:
        return max(c.deadline for c in self.cohorts)


@dataclass(frozen=True)
class Requirement:
    """A regulatory document and the obligations it sets.

    Given only `cohorts` (a file's `deadline`/`deadlines`), its one obligation is `deployed` by them. Its
    principal obligation (the one marked so, else `deployed`, else the first) is what reports cover unless
    told otherwise; `cohorts` is always the principal obligation's. A document that is not `binding` is a
    plan target: being late on it is being behind plan, not non-compliance."""

    id: str
    issued: date
    cohorts: tuple[Cohort, ...] = ()
    applies_to: Selector = Selector()
    title: str | None = None
    issuer: str | None = None
    in_force: date | None = None
    source: str | None = None
    refs: tuple[str, ...] = ()
    default: bool = False
    obligations: tuple[Obligation, ...] = ()
    binding: bool = True
    replaces: str | None = None

    def __post_init__(self) -> None:
        if not self.obligations:
            object.__setattr__(self, "obligations", (Obligation(DEPLOYED, self.cohorts),))
        object.__setattr__(self, "cohorts", self.principal.cohorts)

    @property
    def principal(self) -> Obligation:
        marked = [o for o in self.obligations if o.principal]
        if marked:
            return marked[0]
        return next((o for o in self.obligations if o.milestone == DEPLOYED), self.obligations[0])

    def obligation(self, milestone: str) -> Obligation | None:
        return next((o for o in self.obligations if o.milestone == milestone), None)

    @property
    def final_deadline(self) -> date:
        return self.principal.final_deadline


@dataclass(frozen=True)
class Basis:
    """The document that grants or records an exception or a withdrawal: its reference, date and issuer."""

    ref: str
    date: date | None = None
    issuer: str | None = None


EXTENSION, EXEMPTION, COMMITMENT = "extension", "exemption", "commitment"
EXCEPTION_KINDS: tuple[str, ...] = (EXTENSION, EXEMPTION, COMMITMENT)


@dataclass(frozen=True)
class Exception_:
    """An exception to a requirement for one facility, from the day it was `granted` (for --as-of):

    - an extension: a later deadline (`on`) that replaces the requirement's for this facility;
    - an exemption: out of the requirement's scope from `start`, until `until` (inclusive) if given;
    - a commitment: the date (`on`) the facility promised; its legal deadline stays.

    `milestone` names the obligation (None: the principal one; for an exemption, the whole requirement)."""

    kind: str
    requirement: str
    granted: date
    on: date | None = None
    start: date | None = None
    until: date | None = None
    milestone: str | None = None
    basis: Basis | None = None
    note: str | None = None

    def applies(self, requirement: str, milestone: str, principal: bool) -> bool:
        """Whether it bears on `milestone` (principal or not) of the requirement `requirement`."""
        if self.requirement != requirement:
            return False
        if self.milestone is None:
            return principal or self.kind == EXEMPTION
        return self.milestone == milestone


@dataclass(frozen=True)
class Exceptions:
    """The exceptions that bear on one obligation of one facility on a day: the extension and the commitment
    in force (the last granted by then) and the exemption holding that day."""

    extension: Exception_ | None = None
    exemption: Exception_ | None = None
    commitment: Exception_ | None = None


@dataclass(frozen=True)
class FormerValue:
    """An earlier official name (or managing body) and the last day it was used."""

    value: str
    until: date


@dataclass(frozen=True)
class Withdrawal:
    """A facility entered by mistake and withdrawn from every report (kept in the history, restorable)."""

    on: date
    basis: Basis | None = None


@dataclass(frozen=True)
class Facility:
    """A medical examination and treatment facility, keyed by a stable slug.

    Its life: `opened` (in scope from that day), `closed` (out of scope from that day), merged into
    `merged_into` on `merged_on` (out of scope from that day), its earlier names and managing bodies, its
    official codes (scheme → value), its exceptions, and whether it was withdrawn."""

    id: str
    name: str
    ownership: str
    kind: str
    aliases: tuple[str, ...] = ()
    managed_by: str | None = None
    location: str | None = None
    verified: date | None = None
    codes: tuple[tuple[str, str], ...] = ()
    opened: date | None = None
    closed: date | None = None
    merged_into: str | None = None
    merged_on: date | None = None
    former_names: tuple[FormerValue, ...] = ()
    former_managed_by: tuple[FormerValue, ...] = ()
    exceptions: tuple[Exception_, ...] = ()
    withdrawn: Withdrawal | None = None

    @property
    def has_life(self) -> bool:
        """Whether it has any fact beyond the first release's (codes, lifecycle, exceptions, withdrawal)."""
        return bool(
            self.codes
            or self.opened
            or self.closed
            or self.merged_into
            or self.former_names
            or self.former_managed_by
            or self.exceptions
            or self.withdrawn
        )

    def name_on(self, day: date) -> str:
        """Its official name on `day` (an earlier name while it was in use)."""
        return _value_on(self.former_names, day) or self.name

    def managed_by_on(self, day: date) -> str | None:
        return _value_on(self.former_managed_by, day) or self.managed_by

    def code(self, scheme: str) -> str | None:
        return dict(self.codes).get(scheme)


def _value_on(former: tuple[FormerValue, ...], day: date) -> str | None:
    """The earlier value in use on `day`, None when the present one was."""
    return next((f.value for f in sorted(former, key=lambda f: f.until) if day <= f.until), None)


@dataclass(frozen=True)
class CodeScheme:
    """A scheme of official codes (e.g. `kcb`, the examination-and-treatment facility code): its label and
    the pattern (a regular expression) every code of it matches."""

    id: str
    label: str
    pattern: str


@dataclass(frozen=True)
class RegisterInfo:
    """Facts about the register as a whole."""

    name: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    notes: tuple[str, ...] = ()
    milestones: tuple[MilestoneDef, ...] = DEFAULT_MILESTONE_DEFS
    code_schemes: tuple[CodeScheme, ...] = ()

    def code_scheme(self, scheme: str) -> CodeScheme | None:
        return next((c for c in self.code_schemes if c.id == scheme), None)

    @property
    def milestone_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.milestones)

    def milestone_def(self, milestone: str) -> MilestoneDef | None:
        return next((m for m in self.milestones if m.id == milestone), None)


@dataclass
class Standing:
    """One facility's standing under one obligation of a requirement on a date.

    `reached` is the obligation's milestone as known on that date (None when not shown reached by then);
    `days_late` is the least lateness the record proves (0 unless the state is deployed-late)."""

    facility: Facility
    requirement_id: str
    deadline: date
    state: State
    days_overdue: int
    reached: Reached | None
    latest_milestone: str | None
    latest_milestone_date: date | None = None
    milestones: dict[str, Reached] = field(default_factory=dict)
    milestone: str = DEPLOYED
    days_late: int = 0
    binding: bool = True
    exceptions: Exceptions = Exceptions()
    original_deadline: date | None = None  # the requirement's deadline, where the facility's own differs
    days_past_commitment: int = 0


@dataclass(frozen=True)
class Selection:
    """Which facilities a report lists: every one in scope, the overdue, or those due within some days.

    One value instead of loose flags: the store filters by it, the outputs title and word a report by it
    (output.wording)."""

    kind: str = "all"  # "all", "overdue", "due-within", "broken-commitments" or "exempt"
    days: int | None = None  # for "due-within"

    @classmethod
    def broken_commitments(cls) -> Selection:
        """Facilities past the date they promised without the milestone, most days past the promise first."""
        return cls("broken-commitments")

    @classmethod
    def exempt(cls) -> Selection:
        """Facilities out of scope by an exemption on the day."""
        return cls("exempt")

    @property
    def is_broken_commitments(self) -> bool:
        return self.kind == "broken-commitments"

    @property
    def is_exempt(self) -> bool:
        return self.kind == "exempt"

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
