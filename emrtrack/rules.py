"""Deadlines and states: the rules, without I/O or presentation (name folding is in naming.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from emrtrack.model import (
    COMMITMENT,
    EXEMPTION,
    EXTENSION,
    MILESTONES,
    Exception_,
    Exceptions,
    Facility,
    Obligation,
    Reached,
    Requirement,
    State,
)
from emrtrack.naming import fold

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_WRITTEN_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\Z")  # day first, as Vietnamese (and British) write it

# The dates the tool takes: a date outside these is a slip of the keyboard (0001-01-01, 2205-08-20)
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)

# What is wrong with a date as typed (templates, translated where shown; {value} is the text quoted)
NOT_A_DATE = "{value} is not a date: write it day/month/year (31/12/2025) or YYYY-MM-DD"
NOT_A_REAL_DATE = "{value} is not a real date"
OUT_OF_RANGE = "{value} is out of range: give a date from {first} to {last}"


class DateError(ValueError):
    """A date as typed that is not one: `template` (one of the above) and its `fields` (the value quoted)."""

    def __init__(self, template: str, value: str):
        self.template = template
        self.fields = {"value": value, "first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()}
        super().__init__(template.format(**self.fields))


def written_date(text: str) -> date | None:
    """A date written day/month/year (dd/mm/yyyy or d/m/yyyy), None when it is not written so or is not a
    real date (`written_date_problem` says which)."""
    found = _WRITTEN_DATE.match(text)
    if found is None:
        return None
    try:
        return date(int(found[3]), int(found[2]), int(found[1]))
    except ValueError:
        return None


def written_date_problem(text: str) -> tuple[str, str]:
    """What is wrong with `text` (which neither ISO nor `written_date` reads): a template and its value."""
    found = _WRITTEN_DATE.match(text)
    if found is not None and 1 <= int(found[2]) <= 12 and 1 <= int(found[1]) <= 31:
        return NOT_A_REAL_DATE, text  # day and month in their places, but no such day (31/02/2025)
    if _ISO_DATE.match(text):
        return NOT_A_REAL_DATE, text
    return NOT_A_DATE, repr(text)


def parse_date(text: str) -> date:
    """A calendar date written YYYY-MM-DD, dd/mm/yyyy or d/m/yyyy (day first), from FIRST_DATE to LAST_DATE;
    DateError says what is wrong in plain words."""
    value = text.strip()
    if _ISO_DATE.match(value):
        try:
            d: date | None = date.fromisoformat(value)
        except ValueError:
            d = None
    else:
        d = written_date(value)
    if d is None:
        raise DateError(*written_date_problem(value))
    if not FIRST_DATE <= d <= LAST_DATE:
        raise DateError(OUT_OF_RANGE, repr(value))
    return d


def today(timezone: str) -> date:
    """Today's date in the register's time zone (not in UTC)."""
    return datetime.now(ZoneInfo(timezone)).date()


def local_time(recorded_at: str, timezone: str) -> datetime:
    """A moment the history recorded in UTC ("2025-09-02T14:03:11Z"), in the register's time zone."""
    return datetime.fromisoformat(recorded_at.replace("Z", "+00:00")).astimezone(ZoneInfo(timezone))


def cohort_index(
    requirement: Requirement,
    ownership: str,
    kind: str,
    facility_id: str | None = None,
    obligation: Obligation | None = None,
) -> int | None:
    """Which of an obligation's cohorts (default: the principal one's) a facility falls in (the first that
    matches), None when the requirement or the obligation does not apply to it."""
    obligation = obligation or requirement.principal
    if not requirement.applies_to.matches(ownership, kind, facility_id):
        return None
    if not obligation.applies_to.matches(ownership, kind, facility_id):
        return None
    return next((i for i, c in enumerate(obligation.cohorts) if c.selector.matches(ownership, kind, facility_id)), None)


def deadline_for(
    requirement: Requirement,
    ownership: str,
    kind: str,
    facility_id: str | None = None,
    obligation: Obligation | None = None,
) -> date | None:
    """The deadline an obligation (default: the principal one) sets for a facility, None when out of scope."""
    obligation = obligation or requirement.principal
    index = cohort_index(requirement, ownership, kind, facility_id, obligation)
    return None if index is None else obligation.cohorts[index].deadline


def known_after(reached: Reached | None, verified: date | None) -> date | None:
    """The last day a milestone known only as a bound is confirmed not reached: the facility's `verified`
    date when it lies before the bound (verified without the milestone), else None."""
    if reached is None or reached.exact or verified is None or verified >= reached.date:
        return None
    return verified


def state_of(deadline: date, reached: date | Reached | None, as_of: date, after: date | None = None) -> State:
    """A facility's state on `as_of`. Deadlines are inclusive; a milestone counts as reached on `as_of` only
    when it is shown reached by then (an exact date or a bound on or before `as_of`).

    A bound (reached on or before B, not yet reached on `after`) is on time when B is on or before the
    deadline, late when `after` is on or after it, and otherwise reached with its timing unconfirmed: the
    state never claims what some day in the interval would contradict."""
    if isinstance(reached, date):
        reached = Reached(reached)
    if reached is not None and reached.date <= as_of:
        if reached.date <= deadline:
            return State.DEPLOYED_ON_TIME
        earliest = reached.earliest(after)
        if earliest is not None and earliest > deadline:
            return State.DEPLOYED_LATE
        return State.DEPLOYED_UNCONFIRMED
    return State.OVERDUE if as_of > deadline else State.NOT_YET_DUE


def days_overdue(deadline: date, reached: date | Reached | None, as_of: date) -> int:
    """Days past the deadline without the milestone shown reached on `as_of` (0 when not overdue)."""
    if state_of(deadline, reached, as_of) is State.OVERDUE:
        return (as_of - deadline).days
    return 0


def days_late(deadline: date, reached: date | Reached | None, as_of: date, after: date | None = None) -> int:
    """Days a milestone was reached after the deadline, as far as the record proves it (0 unless late)."""
    if isinstance(reached, date):
        reached = Reached(reached)
    if reached is None or state_of(deadline, reached, as_of, after) is not State.DEPLOYED_LATE:
        return 0
    earliest = reached.earliest(after)
    assert earliest is not None  # late means bounded below
    return (earliest - deadline).days


def open_on(facility: Facility, day: date) -> bool:
    """Whether a facility is in the register's scope on `day`: opened by then, not yet closed nor merged into
    another (a facility leaves on the day it closes or merges), and not withdrawn (entered by mistake: out of
    every report, whatever the day)."""
    if facility.withdrawn is not None:
        return False
    if facility.opened is not None and day < facility.opened:
        return False
    if facility.closed is not None and day >= facility.closed:
        return False
    return facility.merged_on is None or day < facility.merged_on


def exceptions_on(facility: Facility, requirement: Requirement, obligation: Obligation, day: date) -> Exceptions:
    """What `facility`'s exceptions make of `obligation` on `day`. An exception counts from the day it was
    granted: an extension granted on 5 September does not make a facility on time as of 1 September."""
    if not facility.exceptions:
        return Exceptions()
    principal = obligation is requirement.principal or obligation == requirement.principal
    granted = [
        e
        for e in facility.exceptions
        if e.granted <= day and e.applies(requirement.id, obligation.milestone, principal)
    ]

    def last(kind: str) -> Exception_ | None:  # the last granted; on the same day, the later listed
        of_kind = [(e.granted, i, e) for i, e in enumerate(granted) if e.kind == kind]
        return max(of_kind, key=lambda t: (t[0], t[1]))[2] if of_kind else None

    holding = [
        e
        for e in granted
        if e.kind == EXEMPTION and (e.start is None or e.start <= day) and (e.until is None or day <= e.until)
    ]
    return Exceptions(last(EXTENSION), holding[-1] if holding else None, last(COMMITMENT))


def facility_deadline(deadline: date, facility: Facility, extension: Exception_ | None) -> date:
    """A facility's own deadline: an extension's, when it has one; and a facility that opened after the
    deadline is due on the day it opened (it must have deployed when it opens)."""
    if extension is not None and extension.on is not None:
        deadline = extension.on
    if facility.opened is not None and facility.opened > deadline:
        return facility.opened
    return deadline


def commitment_broken(commitment: Exception_ | None, reached: Reached | None, as_of: date) -> int:
    """Days past a facility's own promised date without the milestone shown reached on `as_of` (0 when the
    promise is kept, not yet due, or there is none)."""
    if commitment is None or commitment.on is None or as_of <= commitment.on:
        return 0
    if reached is not None and reached.date <= as_of:
        return 0
    return (as_of - commitment.on).days


def standing_under_each(
    requirements: Iterable[Requirement], facility: Facility, milestones: dict[str, Reached], as_of: date
) -> list[tuple[Requirement, Obligation, date | None, State | None, int]]:
    """One facility under each obligation of each requirement on `as_of`: (requirement, obligation,
    deadline, state, days overdue or late); the deadline and state are None where it does not apply."""
    out: list[tuple[Requirement, Obligation, date | None, State | None, int]] = []
    for requirement in requirements:
        for obligation in requirement.obligations:
            deadline = deadline_for(requirement, facility.ownership, facility.kind, facility.id, obligation)
            granted = exceptions_on(facility, requirement, obligation, as_of)
            if deadline is None or not open_on(facility, as_of) or granted.exemption is not None:
                out.append((requirement, obligation, None, None, 0))
                continue
            deadline = facility_deadline(deadline, facility, granted.extension)
            reached = milestones.get(obligation.milestone)
            after = known_after(reached, facility.verified)
            state = state_of(deadline, reached, as_of, after)
            days = days_late(deadline, reached, as_of, after) or days_overdue(deadline, reached, as_of)
            out.append((requirement, obligation, deadline, state, days))
    return out


def milestones_as_of(
    milestones: dict[str, Reached], as_of: date, order: tuple[str, ...] = MILESTONES
) -> dict[str, Reached]:
    """The milestones shown reached on or before `as_of`, in the register's order (then any other)."""
    known = [m for m in order if m in milestones] + [m for m in milestones if m not in order]
    return {m: milestones[m] for m in known if milestones[m].date <= as_of}


def latest_milestone(
    milestones: dict[str, Reached], as_of: date, order: tuple[str, ...] = MILESTONES
) -> tuple[str, date] | None:
    """The most recent milestone reached by `as_of` (the later in the register's order on a tie)."""
    reached = milestones_as_of(milestones, as_of, order)
    if not reached:
        return None
    position = {m: i for i, m in enumerate(reached)}
    name = max(reached, key=lambda m: (reached[m].date, position[m]))
    return name, reached[name].date


def pick_requirement(requirements: list[Requirement], wanted: str | None) -> Requirement | None:
    """The requirement named (by id, folded id, or a unique beginning of it), else the default one, else the
    only/first one."""
    if not requirements:
        return None
    if wanted is None:
        for r in requirements:
            if r.default:
                return r
        return requirements[0]
    for r in requirements:
        if r.id == wanted:
            return r
    folded = fold(wanted)
    for r in requirements:
        if fold(r.id) == folded:
            return r
    # a unique beginning of an id, as officers say a document by its number ("2898" for 2898/SYT-VP)
    started = [r for r in requirements if fold(r.id).startswith(folded)] if folded else []
    return started[0] if len(started) == 1 else None
