"""Reading the register: its facts, one facility, the counts behind `status` and the rows behind `report`."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any

from emrtrack.errors import FacilityNotFound, RegisterError
from emrtrack.i18n import _
from emrtrack.model import MILESTONES, OWNERSHIPS, Facility, RegisterInfo, Requirement, Selection, Standing
from emrtrack.rules import cohort_index, days_overdue, latest_milestone, pick_requirement, state_of
from emrtrack.store import sql_rules
from emrtrack.store.codec import FACILITY_COLUMNS, facility_from_row, requirement_from_doc, to_date
from emrtrack.views import CohortStatus, Counts, RequirementStatus

StatusRows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def info(conn: sqlite3.Connection) -> RegisterInfo:
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    return RegisterInfo(
        name=json.loads(meta["name"]) if "name" in meta else None,
        timezone=json.loads(meta["timezone"]) if "timezone" in meta else RegisterInfo().timezone,
        notes=tuple(json.loads(meta["notes"])) if "notes" in meta else (),
    )


def requirements(conn: sqlite3.Connection) -> list[Requirement]:
    return [requirement_from_doc(doc) for (doc,) in conn.execute("SELECT doc FROM requirements ORDER BY position")]


def requirement(conn: sqlite3.Connection, wanted: str | None) -> Requirement:
    """The requirement named (see `rules.pick_requirement`); an error naming the known ones otherwise."""
    known = requirements(conn)
    if not known:
        raise RegisterError(_("the register holds no requirement yet: load a file with 'requirements'"))
    picked = pick_requirement(known, wanted)
    if picked is None:
        raise RegisterError(
            _("no requirement {wanted} in the register (known: {known})").format(
                wanted=repr(wanted), known=", ".join(r.id for r in known)
            )
        )
    return picked


def facility(conn: sqlite3.Connection, facility_id: str) -> Facility:
    row = conn.execute(f"SELECT {FACILITY_COLUMNS} FROM facilities WHERE id = ?", (facility_id,)).fetchone()
    if row is None:
        raise FacilityNotFound(facility_id, [])
    return facility_from_row(row)


def milestones(conn: sqlite3.Connection, facility_id: str) -> dict[str, date]:
    got = dict(conn.execute("SELECT milestone, date FROM milestones WHERE facility_id = ?", (facility_id,)))
    return {m: date.fromisoformat(got[m]) for m in MILESTONES if m in got}


def content_hash(conn: sqlite3.Connection) -> str:
    """SHA-256 of the register's current content (register facts, requirements, facilities, milestones).

    Rows are hashed as canonical JSON lines in a fixed table and key order, so the same content gives
    the same hash whatever its history; a printed report can be matched to the data it came from."""
    import hashlib

    digest = hashlib.sha256()
    for table, sql in (
        ("meta", "SELECT key, value FROM meta ORDER BY key"),
        ("requirements", "SELECT id, doc FROM requirements ORDER BY id"),
        ("facilities", f"SELECT {FACILITY_COLUMNS} FROM facilities ORDER BY id"),
        ("milestones", "SELECT facility_id, milestone, date FROM milestones ORDER BY facility_id, milestone"),
    ):
        for row in conn.execute(sql):
            digest.update(json.dumps([table, *row], ensure_ascii=False, separators=(",", ":")).encode())
            digest.update(b"\n")
    return digest.hexdigest()


def status_rows(conn: sqlite3.Connection, as_of: date) -> StatusRows:
    """Facilities counted by (ownership, kind, deployment date) and by (ownership, kind, freshest date)."""
    rows = conn.execute(sql_rules.STATUS_COUNTS, {"as_of": as_of.isoformat()}).fetchall()
    return [r[1:] for r in rows if r[0] == 0], [r[1:5] for r in rows if r[0] == 1]


def status(requirement: Requirement, as_of: date, counted: StatusRows) -> RequirementStatus:
    """The counts behind `status` for one requirement on `as_of`, from `status_rows`.

    One pass over the register per date gives counts by (ownership, kind): a requirement's scope
    and cohorts depend on nothing else, so every requirement is then counted from them."""
    by_deployed, by_fresh = counted
    cohorts_by_class: dict[tuple[str, str], int | None] = {}

    def cohort_of(ownership: str, kind: str) -> int | None:
        if (ownership, kind) not in cohorts_by_class:
            cohorts_by_class[ownership, kind] = cohort_index(requirement, ownership, kind)
        return cohorts_by_class[ownership, kind]

    cohorts = [CohortStatus(c.selector, c.deadline, Counts()) for c in requirement.cohorts]
    by_ownership = {o: Counts() for o in OWNERSHIPS}
    funnel = dict.fromkeys(MILESTONES, 0)
    tally: dict[tuple[int, str, str], int] = {}
    for ownership, kind, deployed, n, appraised, annex in by_deployed:
        cohort = cohort_of(ownership, kind)
        if cohort is None:
            continue
        state = state_of(requirement.cohorts[cohort].deadline, to_date(deployed), as_of)
        key = (cohort, ownership, state.value.replace("-", "_"))
        tally[key] = tally.get(key, 0) + n
        funnel["appraised"] += appraised
        funnel["deployed"] += n if deployed is not None else 0
        funnel["annex-signed"] += annex
    for (cohort, ownership, state_name), n in tally.items():
        counts = Counts(in_scope=n)
        setattr(counts, state_name, n)
        cohorts[cohort].counts.add(counts)
        by_ownership.setdefault(ownership, Counts()).add(counts)
    total = Counts()
    for c in cohorts:
        total.add(c.counts)
    fresh: dict[str, int] = {}
    for ownership, kind, day, n in by_fresh:
        if cohort_of(ownership, kind) is not None and day:
            fresh[day] = fresh.get(day, 0) + n
    known = sum(fresh.values())
    oldest = median = None
    if known:
        days = sorted(fresh)
        oldest = days[0]
        seen = 0
        for day in days:  # the value at offset known // 2 of the sorted list
            seen += fresh[day]
            if seen > known // 2:
                median = day
                break
    return RequirementStatus(
        requirement=requirement,
        as_of=as_of,
        total=total,
        cohorts=cohorts,
        by_ownership=by_ownership,
        funnel=funnel,
        oldest_data=to_date(oldest),
        median_data=to_date(median),
        never_verified=total.in_scope - known,
    )


def standings(
    conn: sqlite3.Connection,
    requirement: Requirement,
    as_of: date,
    selection: Selection,
    *,
    group_by: str = "ownership",
    limit: int | None = None,
) -> tuple[int, Iterator[Standing]]:
    """Facilities in scope with their state on `as_of`, as `selection` picks them, grouped and most overdue
    first. Returns the number of rows and an iterator over at most `limit` of them (streamed)."""
    count_sql, rows_sql, params = sql_rules.standings_query(requirement, as_of, selection, group_by, limit)
    count = conn.execute(count_sql, params).fetchone()[0]

    def rows() -> Iterator[Standing]:
        deadlines = [c.deadline for c in requirement.cohorts]
        for r in conn.execute(rows_sql, params):
            facility = facility_from_row(r)
            if facility.verified is not None and facility.verified > as_of:  # not yet verified that day
                facility = dataclasses.replace(facility, verified=None)
            reached = (
                {m: date.fromisoformat(d) for m, d in (pair.split("=") for pair in r[10].split(","))} if r[10] else {}
            )
            deadline = deadlines[r[8]]
            deployed = reached.get("deployed")
            latest = latest_milestone(reached, as_of)
            yield Standing(
                facility=facility,
                requirement_id=requirement.id,
                deadline=deadline,
                state=state_of(deadline, deployed, as_of),
                days_overdue=days_overdue(deadline, deployed, as_of),
                deployed=deployed,
                latest_milestone=latest[0] if latest else None,
                latest_milestone_date=latest[1] if latest else None,
                milestones=reached,
            )

    return count, rows()
