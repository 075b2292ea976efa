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
from emrtrack.model import (
    DEFAULT_MILESTONE_DEFS,
    OWNERSHIPS,
    CodeScheme,
    Facility,
    Obligation,
    Reached,
    RegisterInfo,
    Requirement,
    Selection,
    Standing,
)
from emrtrack.rules import (
    cohort_index,
    commitment_broken,
    days_late,
    days_overdue,
    exceptions_on,
    facility_deadline,
    known_after,
    latest_milestone,
    pick_requirement,
    state_of,
)
from emrtrack.store import sql_rules
from emrtrack.store.codec import (
    FACILITY_COLUMNS,
    MILESTONE_COLUMNS,
    facility_from_row,
    facility_life,
    milestone_defs_from_json,
    reached_from_row,
    requirement_from_doc,
    to_date,
)
from emrtrack.views import CohortStatus, Counts, ExceptionCounts, ObligationStatus, RequirementStatus

StatusRows = tuple[
    tuple[str, ...],
    dict[str, list[tuple[Any, ...]]],
    list[tuple[Any, ...]],
    list[tuple[Any, ...]],
    dict[str, list[tuple[Any, ...]]],
    dict[str, Facility],
]


def info(conn: sqlite3.Connection) -> RegisterInfo:
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    return RegisterInfo(
        name=json.loads(meta["name"]) if "name" in meta else None,
        timezone=json.loads(meta["timezone"]) if "timezone" in meta else RegisterInfo().timezone,
        notes=tuple(json.loads(meta["notes"])) if "notes" in meta else (),
        milestones=milestone_defs_from_json(meta["milestones"]) if "milestones" in meta else DEFAULT_MILESTONE_DEFS,
        code_schemes=tuple(CodeScheme(**c) for c in json.loads(meta["code_schemes"])) if "code_schemes" in meta else (),
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


def milestones(conn: sqlite3.Connection, facility_id: str) -> dict[str, Reached]:
    """A facility's milestones, in the register's order."""
    got = {
        m: reached_from_row(d, exact, source)
        for m, d, exact, source in conn.execute(
            "SELECT milestone, date, exact, source FROM milestones WHERE facility_id = ?", (facility_id,)
        )
    }
    order = info(conn).milestone_ids
    return {m: got[m] for m in (*order, *sorted(set(got) - set(order))) if m in got}


REGISTER_FIELDS = ("name", "timezone", "notes", "milestones", "code_schemes")  # the register facts a file may give


def register_fields(conn: sqlite3.Connection) -> frozenset[str]:
    """The register facts a file gave (the others have their defaults)."""
    return frozenset(k for (k,) in conn.execute("SELECT key FROM meta") if k in REGISTER_FIELDS)


def facility_facts(conn: sqlite3.Connection) -> Iterator[tuple[Facility, dict[str, Reached]]]:
    """Every facility by id, with its milestones in the register's order, read as it goes (two cursors walked
    side by side), so that a national register is never all in memory."""
    order = info(conn).milestone_ids
    rank = {m: i for i, m in enumerate(order)}
    marks = conn.execute("SELECT facility_id, milestone, date, exact, source FROM milestones ORDER BY facility_id")
    pending = next(marks, None)
    for row in conn.execute(f"SELECT {FACILITY_COLUMNS} FROM facilities ORDER BY id"):
        facility = facility_from_row(row)
        got: list[tuple[str, str, str, int, str | None]] = []
        while pending is not None and pending[0] <= facility.id:
            if pending[0] == facility.id:
                got.append(pending)
            pending = next(marks, None)
        got.sort(key=lambda m: (rank.get(m[1], len(rank)), m[1]))
        yield facility, {m: reached_from_row(d, exact, source) for _fid, m, d, exact, source in got}


def _reached(text: str) -> dict[str, Reached]:
    """The `reached` column of `standings_query`: `name=date[~],...` (`~`: on or before)."""
    out = {}
    for pair in text.split(","):
        name, day = pair.split("=")
        out[name] = Reached(date.fromisoformat(day.rstrip("~")), not day.endswith("~"))
    return out


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
        ("milestones", f"SELECT {MILESTONE_COLUMNS} FROM milestones ORDER BY facility_id, milestone"),
    ):
        for row in conn.execute(sql):
            if table == "milestones" and row[3] == 1 and row[4] is None:  # exact, no source: as before bounds
                row = row[:3]
            elif table == "facilities" and row[8] is None:  # no later facts: as before they existed
                row = row[:8]
            digest.update(json.dumps([table, *row], ensure_ascii=False, separators=(",", ":")).encode())
            digest.update(b"\n")
    return digest.hexdigest()


def status_rows(
    conn: sqlite3.Connection, as_of: date, milestones: tuple[str, ...], judged: tuple[str, ...], named: tuple[str, ...]
) -> StatusRows:
    """Facilities counted for `status` on `as_of` (see `sql_rules.status_counts`): for each milestone an
    obligation judges, by (ownership, kind, named id, date, exact, known after); how many reached each of the
    register's `milestones`, by (ownership, kind, named id); by (ownership, kind, named id, freshest date); and
    for each milestone, the facilities whose own facts may change their deadline or scope, with those facts."""
    sql, params = sql_rules.status_counts(milestones, judged, named)
    by_milestone: dict[str, list[tuple[Any, ...]]] = {m: [] for m in judged}
    lived_by_milestone: dict[str, list[tuple[Any, ...]]] = {m: [] for m in judged}
    reached: dict[tuple[str, str, str | None], list[int]] = {}
    fresh = []
    width = len(judged)
    for r in conn.execute(sql, {**params, "as_of": as_of.isoformat()}):
        key, n = r[1:4], r[4]
        if r[0] == 1:
            fresh.append((*key, r[5], n))
            continue
        into = by_milestone if r[0] == 0 else lived_by_milestone
        for i, m in enumerate(judged):
            into[m].append((*key, r[5 + i], n))
        if r[0] == 2:
            continue
        counts = reached.setdefault(key, [0] * len(milestones))
        for k, c in enumerate(r[5 + width :]):
            counts[k] += c
    funnel = [(*key, dict(zip(milestones, counts, strict=True))) for key, counts in reached.items()]
    lived = {  # the facilities listed on their own, with the facts `rules` judges them by
        fid: facility_life(fid, ownership, kind, details)
        for fid, ownership, kind, details in conn.execute(
            f"SELECT id, ownership, kind, details FROM facilities f WHERE {sql_rules.LIVED_SQL}"
        )
    }
    return milestones, by_milestone, funnel, fresh, lived_by_milestone, lived


def _reached_key(key: str | None) -> tuple[Reached | None, date | None]:
    """A milestone as `sql_rules.status_counts` keys it: "DATE" (exact), "DATE~" or "DATE~AFTER" (a bound, and
    the last day it was confirmed not reached), None (not reached)."""
    if key is None:
        return None, None
    day, bound, after = key.partition("~")
    return Reached(date.fromisoformat(day), exact=not bound), to_date(after)


def _obligation_status(
    requirement: Requirement,
    obligation: Obligation,
    as_of: date,
    groups: list[tuple[Any, ...]],
    lived_groups: list[tuple[Any, ...]],
    lived: dict[str, Facility],
) -> ObligationStatus:
    cohorts = [CohortStatus(c.selector, c.deadline, Counts()) for c in obligation.cohorts]
    by_ownership = {o: Counts() for o in OWNERSHIPS}
    cohort_of: dict[tuple[str, str, str | None], int | None] = {}
    tally: dict[tuple[int, str, str], int] = {}
    states: dict[tuple[int, str | None], str] = {}
    excepted = ExceptionCounts()
    named_here = set(sql_rules.named_facilities([requirement]))  # ids its scopes and cohorts name

    def cohort_for(ownership: str, kind: str, named: str | None) -> int | None:
        key = (ownership, kind, named if named in named_here else None)
        if key not in cohort_of:
            cohort_of[key] = cohort_index(requirement, ownership, kind, key[2], obligation)
        return cohort_of[key]

    def plain_state(cohort: int, reached_key: str | None) -> str:
        known = (cohort, reached_key)
        if known not in states:
            reached, after = _reached_key(reached_key)
            state = state_of(obligation.cohorts[cohort].deadline, reached, as_of, after)
            states[known] = state.value.replace("-", "_")
        return states[known]

    for ownership, kind, named, reached_key, n in groups:
        cohort = cohort_for(ownership, kind, named)
        if cohort is not None:
            counted = (cohort, ownership, plain_state(cohort, reached_key))
            tally[counted] = tally.get(counted, 0) + n
    for ownership, kind, fid, reached_key, _n in lived_groups:  # each also counted above, as if it had no such facts
        facility = lived[fid]
        if facility.opened is None and not any(e.requirement == requirement.id for e in facility.exceptions):
            continue  # its facts concern other requirements: counted as it is above
        cohort = cohort_for(ownership, kind, fid)
        if cohort is None:
            continue
        tally[cohort, ownership, plain_state(cohort, reached_key)] -= 1  # judged whole instead
        granted = exceptions_on(facility, requirement, obligation, as_of)
        if granted.exemption is not None:
            excepted.exempt += 1
            continue
        reached, after = _reached_key(reached_key)
        deadline = facility_deadline(obligation.cohorts[cohort].deadline, facility, granted.extension)
        state_name = state_of(deadline, reached, as_of, after).value.replace("-", "_")
        excepted.extension += granted.extension is not None
        excepted.commitment += granted.commitment is not None
        excepted.broken_commitment += commitment_broken(granted.commitment, reached, as_of) > 0
        counted = (cohort, ownership, state_name)
        tally[counted] = tally.get(counted, 0) + 1
    for (cohort, ownership, state_name), n in tally.items():
        if not n:
            continue
        counts = Counts(in_scope=n)
        setattr(counts, state_name, n)
        cohorts[cohort].counts.add(counts)
        by_ownership.setdefault(ownership, Counts()).add(counts)
    total = Counts()
    for c in cohorts:
        total.add(c.counts)
    return ObligationStatus(obligation, total, cohorts, by_ownership, excepted)


def status(requirement: Requirement, as_of: date, counted: StatusRows) -> RequirementStatus:
    """The counts behind `status` for one requirement on `as_of`, from `status_rows`.

    One pass over the register per date gives counts by (ownership, kind, named id): a requirement's
    scopes and cohorts depend on nothing else, so every requirement is then counted from them."""
    milestones, by_milestone, by_funnel, by_fresh, lived_by_milestone, lived = counted
    obligations = [
        _obligation_status(
            requirement, o, as_of, by_milestone.get(o.milestone, []), lived_by_milestone.get(o.milestone, []), lived
        )
        for o in requirement.obligations
    ]
    principal = obligations[requirement.obligations.index(requirement.principal)]
    in_scope: dict[tuple[str, str, str | None], bool] = {}
    named_here = set(requirement.applies_to.facilities)

    def scoped(ownership: str, kind: str, named: str | None) -> bool:
        key = (ownership, kind, named if named in named_here else None)
        if key not in in_scope:
            in_scope[key] = requirement.applies_to.matches(ownership, kind, key[2])
        return in_scope[key]

    funnel = dict.fromkeys(milestones, 0)
    for ownership, kind, named, reached in by_funnel:
        if scoped(ownership, kind, named):
            for m, n in reached.items():
                funnel[m] += n
    fresh: dict[str, int] = {}
    for ownership, kind, named, day, n in by_fresh:
        if day and scoped(ownership, kind, named):
            fresh[day] = fresh.get(day, 0) + n
    known = sum(fresh.values())
    everyone = sum(n for ownership, kind, named, _day, n in by_fresh if scoped(ownership, kind, named))
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
        total=principal.total,
        cohorts=principal.cohorts,
        by_ownership=principal.by_ownership,
        funnel=funnel,
        oldest_data=to_date(oldest),
        median_data=to_date(median),
        never_verified=everyone - known,
        obligations=obligations,
        exceptions=principal.exceptions,
    )


def unconfirmed(
    conn: sqlite3.Connection, requirement: Requirement, obligation: Obligation, as_of: date
) -> list[tuple[date, str | None, int]]:
    """Facilities in scope whose milestone's timing against the deadline is unconfirmed on `as_of`: how many
    by (bound, source)."""
    sql, params = sql_rules.unconfirmed_query(requirement, obligation, as_of)
    return [(date.fromisoformat(bound), source, n) for bound, source, n in conn.execute(sql, params)]


def standings(
    conn: sqlite3.Connection,
    requirement: Requirement,
    as_of: date,
    selection: Selection,
    *,
    group_by: str = "ownership",
    limit: int | None = None,
    obligation: Obligation | None = None,
) -> tuple[int, Iterator[Standing]]:
    """Facilities in scope of an obligation (default: the principal one) with their state on `as_of`, as
    `selection` picks them, grouped and most overdue first. Returns the number of rows and an iterator over
    at most `limit` of them (streamed)."""
    obligation = obligation or requirement.principal
    count_sql, rows_sql, params = sql_rules.standings_query(requirement, obligation, as_of, selection, group_by, limit)
    count = conn.execute(count_sql, params).fetchone()[0]

    order = tuple(m.id for m in info(conn).milestones)

    def rows() -> Iterator[Standing]:
        deadlines = [c.deadline for c in obligation.cohorts]
        for r in conn.execute(rows_sql, params):
            facility = facility_from_row(r)
            if facility.verified is not None and facility.verified > as_of:  # not yet verified that day
                facility = dataclasses.replace(facility, verified=None)
            if facility.former_names or facility.former_managed_by:  # its name and managing body that day
                facility = dataclasses.replace(
                    facility, name=facility.name_on(as_of), managed_by=facility.managed_by_on(as_of)
                )
            reached = _reached(r[11]) if r[11] else {}
            if obligation.milestone in reached and r[12] is not None:
                reached[obligation.milestone] = dataclasses.replace(reached[obligation.milestone], source=r[12])
            required = deadlines[r[9]]
            granted = exceptions_on(facility, requirement, obligation, as_of)
            deadline = facility_deadline(required, facility, granted.extension)
            done = reached.get(obligation.milestone)
            after = known_after(done, facility.verified)
            latest = latest_milestone(reached, as_of, order)
            yield Standing(
                facility=facility,
                requirement_id=requirement.id,
                deadline=deadline,
                state=state_of(deadline, done, as_of, after),
                days_overdue=days_overdue(deadline, done, as_of),
                reached=done,
                latest_milestone=latest[0] if latest else None,
                latest_milestone_date=latest[1] if latest else None,
                milestones=reached,
                milestone=obligation.milestone,
                days_late=days_late(deadline, done, as_of, after),
                binding=requirement.binding,
                exceptions=granted,
                original_deadline=required if required != deadline else None,
                days_past_commitment=commitment_broken(granted.commitment, done, as_of),
            )

    return count, rows()


def lived_facilities(conn: sqlite3.Connection) -> list[Facility]:
    """The facilities with later facts (codes, lifecycle, exceptions, withdrawal): a small share of the register."""
    return [
        facility_from_row(row)
        for row in conn.execute(f"SELECT {FACILITY_COLUMNS} FROM facilities WHERE details IS NOT NULL ORDER BY id")
    ]
