"""The rules of `emrtrack.rules` in SQL, where the register is too large to bring them into Python.

Each SQL form below names the Python rule it mirrors; the tests hold each pair equal (test_views,
test_register's status and standings tests). Change one, change its twin."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from emrtrack.model import KINDS, OWNERSHIPS, Requirement, Selection, Selector


def order_case(column: str, values: tuple[str, ...]) -> str:
    """SQL giving a value's position in `values` (the order reports group by)."""
    whens = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values))
    return f"CASE {column} {whens} ELSE {len(values)} END"


def selector_sql(selector: Selector, params: dict[str, Any], prefix: str) -> str:
    """SQL true for the facilities `f` that `selector` picks out. Mirrors `Selector.matches`."""
    parts = []
    for column, values in (("f.kind", selector.kinds), ("f.ownership", selector.ownerships)):
        if values:
            names = []
            for i, v in enumerate(values):
                params[f"{prefix}_{column[2:]}_{i}"] = v
                names.append(f":{prefix}_{column[2:]}_{i}")
            parts.append(f"{column} IN ({', '.join(names)})")
    return " AND ".join(parts) or "1"


def cohort_case(requirement: Requirement) -> tuple[str, dict[str, Any]]:
    """SQL giving the index of a facility's cohort under `requirement`, NULL when out of scope.
    Mirrors `rules.cohort_index`: in scope when `applies_to` matches; the first matching cohort wins."""
    params: dict[str, Any] = {}
    scope = selector_sql(requirement.applies_to, params, "scope")
    whens = " ".join(
        f"WHEN {selector_sql(c.selector, params, f'c{i}')} THEN {i}" for i, c in enumerate(requirement.cohorts)
    )
    return f"(CASE WHEN {scope} THEN (CASE {whens} END) END)", params


# Facilities counted by (ownership, kind, deployment date reached by :as_of) with the other milestones
# reached, and by (ownership, kind, freshest date known on :as_of). The state of each group is then
# `rules.state_of` of its deployment date; the freshest date is the latest of `verified` and the milestones.
STATUS_COUNTS = """
    WITH p AS MATERIALIZED (
        SELECT f.ownership, f.kind, d.date AS deployed, a.date IS NOT NULL AS appraised,
               x.date IS NOT NULL AS annex,
               MAX(COALESCE(CASE WHEN f.verified <= :as_of THEN f.verified END, ''),
                   COALESCE(d.date, ''), COALESCE(a.date, ''), COALESCE(x.date, '')) AS fresh
        FROM facilities f
        LEFT JOIN milestones d ON d.facility_id = f.id AND d.milestone = 'deployed' AND d.date <= :as_of
        LEFT JOIN milestones a ON a.facility_id = f.id AND a.milestone = 'appraised' AND a.date <= :as_of
        LEFT JOIN milestones x ON x.facility_id = f.id AND x.milestone = 'annex-signed'
                               AND x.date <= :as_of)
    SELECT 0, ownership, kind, deployed, COUNT(*), SUM(appraised), SUM(annex)
    FROM p GROUP BY ownership, kind, deployed
    UNION ALL
    SELECT 1, ownership, kind, fresh, COUNT(*), 0, 0 FROM p GROUP BY ownership, kind, fresh"""


def standings_query(
    requirement: Requirement, as_of: date, selection: Selection, group_by: str, limit: int | None
) -> tuple[str, str, dict[str, Any]]:
    """(count SQL, rows SQL, parameters) for the facilities in scope of `requirement` that `selection`
    picks on `as_of`, grouped and most overdue first. Each row: the facility's columns, its cohort, its
    folded names, and the milestones reached by `as_of` as `name=date,...`.

    The selection mirrors `rules.state_of`: overdue is not deployed by `as_of` and `as_of` past the
    deadline; due within N days is not deployed and the deadline in [as_of, as_of + N days]."""
    cohort_sql, params = cohort_case(requirement)
    deadline = (
        "(CASE cohort "
        + " ".join(f"WHEN {i} THEN '{c.deadline.isoformat()}'" for i, c in enumerate(requirement.cohorts))
        + " END)"
    )
    base = f"""
        SELECT * FROM (
            SELECT f.id, f.name, f.aliases, f.ownership, f.kind, f.managed_by, f.location, f.verified,
                   {cohort_sql} AS cohort, f.folded,
                   (SELECT group_concat(m.milestone || '=' || m.date) FROM milestones m
                    WHERE m.facility_id = f.id AND m.date <= :as_of) AS reached
            FROM facilities f)
        WHERE cohort IS NOT NULL"""
    deployed = "(instr(',' || COALESCE(reached, '') , ',deployed=') > 0)"
    where = ""
    params = {**params, "as_of": as_of.isoformat()}
    if selection.is_overdue:
        where = f" AND NOT {deployed} AND :as_of > {deadline}"
    elif selection.is_due_within:
        where = f" AND NOT {deployed} AND {deadline} >= :as_of AND {deadline} <= :due_by"
        params["due_by"] = (as_of + timedelta(days=selection.days or 0)).isoformat()
    group_order = {"ownership": order_case("ownership", OWNERSHIPS), "kind": order_case("kind", KINDS), "none": "NULL"}[
        group_by
    ]
    order = f" ORDER BY {group_order}, {deployed}, {deadline}, folded, id"
    count = f"SELECT COUNT(*) FROM ({base}{where})"
    rows = base + where + order + (f" LIMIT {int(limit)}" if limit is not None else "")
    return count, rows, params


# -- the views other tools read (created by the schema's migrations) ------------------------------
# Today in the register's time zone, for the views. SQLite knows no time-zone names, so the zones
# with a fixed offset used in the region are listed; any other zone falls back to UTC. Mirrors `rules.today`.
TODAY = """date('now', CASE COALESCE((SELECT json_extract(value, '$') FROM meta WHERE key = 'timezone'),
                                  'Asia/Ho_Chi_Minh')
    WHEN 'Asia/Ho_Chi_Minh' THEN '+7 hours' WHEN 'Asia/Saigon' THEN '+7 hours'
    WHEN 'Asia/Bangkok' THEN '+7 hours' WHEN 'Asia/Vientiane' THEN '+7 hours'
    WHEN 'Asia/Phnom_Penh' THEN '+7 hours' WHEN 'Asia/Jakarta' THEN '+7 hours' ELSE '+0 hours' END)"""


def _json_selector_matches(selector: str, kind: str, ownership: str) -> str:
    """SQL: the JSON selector at `selector` (kind/ownership lists) matches the facility. Mirrors `Selector.matches`."""
    return " AND ".join(
        f"(json_extract({selector}, '$.{field}') IS NULL OR EXISTS "
        f"(SELECT 1 FROM json_each({selector}, '$.{field}') v WHERE v.value = {column}))"
        for field, column in (("kind", kind), ("ownership", ownership))
    )


def facility_state_view() -> str:
    """The `facility_state` view: each facility's deadline, deployment, state and days overdue under each
    requirement, today. Mirrors `rules.deadline_for`, `rules.state_of` and `rules.days_overdue`."""
    cohort_matches = _json_selector_matches("json_extract(c.value, '$.applies_to')", "f.kind", "f.ownership")
    scope_matches = _json_selector_matches("json_extract(r.doc, '$.applies_to')", "f.kind", "f.ownership")
    deadline = (
        "(SELECT json_extract(c.value, '$.deadline') FROM json_each(r.doc, '$.deadlines') c "
        f"WHERE {cohort_matches} ORDER BY c.key LIMIT 1)"
    )
    return f"""
        CREATE VIEW facility_state AS
        WITH today AS (SELECT {TODAY} AS d),
        scoped AS (
            SELECT f.id AS facility_id, f.name, f.ownership, f.kind, r.id AS requirement_id,
                   {deadline} AS deadline,
                   (SELECT m.date FROM milestones m WHERE m.facility_id = f.id AND m.milestone = 'deployed'
                    AND m.date <= (SELECT d FROM today)) AS deployed,
                   (SELECT d FROM today) AS as_of
            FROM facilities f CROSS JOIN requirements r
            WHERE {scope_matches})
        SELECT facility_id, name, ownership, kind, requirement_id, deadline, deployed,
               CASE WHEN deployed IS NOT NULL THEN
                        CASE WHEN deployed <= deadline THEN 'deployed-on-time' ELSE 'deployed-late' END
                    WHEN as_of > deadline THEN 'overdue' ELSE 'not-yet-due' END AS state,
               CASE WHEN deployed IS NULL AND as_of > deadline
                    THEN CAST(julianday(as_of) - julianday(deadline) AS INTEGER) ELSE 0 END AS days_overdue,
               as_of
        FROM scoped WHERE deadline IS NOT NULL"""


OVERDUE_VIEW = """
        CREATE VIEW overdue AS
        SELECT facility_id, name, ownership, kind, requirement_id, deadline, days_overdue, as_of
        FROM facility_state WHERE state = 'overdue'"""
