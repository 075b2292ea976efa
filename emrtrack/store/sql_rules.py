"""The rules of `emrtrack.rules` in SQL, where the register is too large to bring them into Python.

Each SQL form below names the Python rule it mirrors; the tests hold each pair equal (test_views,
test_register's status and standings tests). Change one, change its twin."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from emrtrack.model import KINDS, OWNERSHIPS, Obligation, Requirement, Selection, Selector


def _has_any(*keys: str) -> str:
    """SQL true for a facility `f` whose later facts give one of `keys`. `details` is tested first, in a CASE: SQLite
    then reads no JSON for the facilities without any (most), which an `AND` does not spare it."""
    given = " OR ".join(f"json_extract(f.details, '$.{k}') IS NOT NULL" for k in keys)
    return f"CASE WHEN f.details IS NULL THEN 0 ELSE ({given}) END"


# A facility whose own facts change its deadline or its scope on some day (see `status_counts`); and one a report
# judges by its own facts: those, and one whose managing body changed (a report grouped by it names the day's)
LIVED_SQL = _has_any("exceptions", "opened")
JUDGED_WHOLE_SQL = _has_any("exceptions", "opened", "former_managed_by")


def order_case(column: str, values: tuple[str, ...]) -> str:
    """SQL giving a value's position in `values` (the order reports group by)."""
    whens = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values))
    return f"CASE {column} {whens} ELSE {len(values)} END"


def _in(column: str, values: tuple[str, ...], params: dict[str, Any], prefix: str) -> str:
    names = []
    for i, v in enumerate(values):
        params[f"{prefix}_{i}"] = v
        names.append(f":{prefix}_{i}")
    return f"{column} IN ({', '.join(names)})"


def selector_sql(selector: Selector, params: dict[str, Any], prefix: str) -> str:
    """SQL true for the facilities `f` that `selector` picks out. Mirrors `Selector.matches`."""
    parts = [
        _in(column, values, params, f"{prefix}_{name}")
        for column, values, name in (
            ("f.kind", selector.kinds, "kind"),
            ("f.ownership", selector.ownerships, "ownership"),
            ("f.id", selector.facilities, "id"),
        )
        if values
    ]
    return " AND ".join(parts) or "1"


def cohort_case(requirement: Requirement, obligation: Obligation) -> tuple[str, dict[str, Any]]:
    """SQL giving the index of a facility's cohort under an obligation of `requirement`, NULL when out of
    scope. Mirrors `rules.cohort_index`: in scope when both `applies_to` match; the first matching cohort wins."""
    params: dict[str, Any] = {}
    scope = selector_sql(requirement.applies_to, params, "scope")
    narrowed = selector_sql(obligation.applies_to, params, "ob")
    whens = " ".join(
        f"WHEN {selector_sql(c.selector, params, f'c{i}')} THEN {i}" for i, c in enumerate(obligation.cohorts)
    )
    return f"(CASE WHEN {scope} AND {narrowed} THEN (CASE {whens} END) END)", params


def named_facilities(requirements: list[Requirement]) -> tuple[str, ...]:
    """Every facility id a scope or cohort of these requirements names (status counts them one by one)."""
    named: set[str] = {f for r in requirements for f in r.applies_to.facilities}
    for r in requirements:
        for o in r.obligations:
            named.update(o.applies_to.facilities)
            for c in o.cohorts:
                named.update(c.selector.facilities)
    return tuple(sorted(named))


def status_counts(
    milestones: tuple[str, ...], judged: tuple[str, ...], named: tuple[str, ...]
) -> tuple[str, dict[str, Any]]:
    """SQL counting facilities, for `status`, in one pass over the register on :as_of. Each row starts with
    a set number. Set 0: facilities by (ownership, kind, named id) and, for each milestone of `judged` (those
    some obligation sets), what is known of it as one key: the date it is shown reached, and for a bound `~`
    and the last day it was confirmed not reached ("2025-09-24~2025-07-09"; `reached_key` reads it); then
    how many of them reached each of `milestones` (the funnel). Set 1: by (ownership, kind, named id, freshest
    date known). Set 2: each facility whose own facts may change its deadline or scope (`LIVED_SQL`), by id,
    with its keys as in set 0 (it is counted in set 0 too: `rules` then judges it whole where its facts apply).
    A facility's id is kept in sets 0 and 1 only when a scope names it (`named`), and the dates of most
    milestones are empty, so the groups stay few. The state of each group is then `rules.state_of`; the
    freshest date is the latest of `verified` and the milestones reached."""
    params: dict[str, Any] = {}
    named_sql = f"CASE WHEN {_in('f.id', named, params, 'named')} THEN f.id END" if named else "NULL"
    # a facility whose deadline or scope its own facts change (exceptions, an opening day) is also listed on its
    # own, for `rules` to judge it whole (its codes and earlier names change nothing here)
    lived_sql = f"CASE WHEN {LIVED_SQL} THEN f.id END"
    every = tuple(dict.fromkeys((*milestones, *judged)))
    joins, columns, fresh, keys = [], [], ["COALESCE(verified, '')"], []
    for i, m in enumerate(every):
        params[f"m{i}"] = m
        joins.append(
            f"LEFT JOIN milestones m{i} ON m{i}.facility_id = f.id AND m{i}.milestone = :m{i} AND m{i}.date <= :as_of"
        )
        columns.append(f"m{i}.date AS d{i}")
        if m in judged:  # its date, and for a bound "~" and the last day confirmed not reached: one key
            columns.append(
                f"m{i}.date || CASE WHEN m{i}.exact THEN '' ELSE '~' || "
                f"CASE WHEN f.verified < m{i}.date THEN f.verified ELSE '' END END AS k{i}"
            )
            keys.append(f"k{i}")
        fresh.append(f"COALESCE(d{i}, '')")
    keys = [f"k{every.index(m)}" for m in judged]  # in the order of `judged`, which status_rows reads them in
    judged_keys = "".join(", " + k for k in keys)
    funnel = "".join(f", SUM(d{every.index(m)} IS NOT NULL)" for m in milestones)
    fresh_sql = f"MAX({', '.join(fresh)})" if len(fresh) > 1 else fresh[0]
    empty = ", NULL" * (len(keys) + len(milestones))
    sql = f"""
    WITH p AS MATERIALIZED (
        SELECT f.ownership, f.kind, {named_sql} AS named, {lived_sql} AS lived,
               CASE WHEN f.verified <= :as_of THEN f.verified END AS verified{"".join(", " + c for c in columns)}
        FROM facilities f {" ".join(joins)} WHERE {open_sql(":as_of")})
    SELECT 0, ownership, kind, named, COUNT(*){judged_keys}{funnel} FROM p
    GROUP BY ownership, kind, named{judged_keys}
    UNION ALL
    SELECT 1, ownership, kind, named, COUNT(*), {fresh_sql} AS fresh{empty[len(", NULL") :]} FROM p
    GROUP BY ownership, kind, named, fresh
    UNION ALL
    SELECT 2, ownership, kind, lived, 1{judged_keys}{", NULL" * len(milestones)} FROM p WHERE lived IS NOT NULL"""
    return sql, params


def standings_query(
    requirement: Requirement,
    obligation: Obligation,
    as_of: date,
    selection: Selection,
    group_by: str,
    limit: int | None,
) -> tuple[str, str, dict[str, Any]]:
    """(count SQL, rows SQL, parameters) for the facilities in scope of an obligation of `requirement` that
    `selection` picks on `as_of`, grouped and most overdue first. Each row: the facility's columns, its
    cohort, its folded names, the milestones reached by `as_of` as `name=date[~],...` (`~`: on or before),
    the source recorded for the obligation's milestone, and the facility's own deadline.

    In scope: open on `as_of` (`rules.open_on`) and not exempt (only an exemption selection lists the exempt).
    The selection mirrors `rules.state_of` against each facility's own deadline (`rules.facility_deadline`):
    overdue is the milestone not shown reached by `as_of` and `as_of` past it; due within N days is not reached
    and the deadline in [as_of, as_of + N days], or a commitment or an exemption ending in that window; a broken
    commitment is `rules.commitment_broken`."""
    cohort_sql, params = cohort_case(requirement, obligation)
    cohort_deadline = (
        "(CASE "
        + cohort_sql
        + " "
        + " ".join(f"WHEN {i} THEN '{c.deadline.isoformat()}'" for i, c in enumerate(obligation.cohorts))
        + " END)"
    )
    args = (":requirement", ":milestone", ":principal", ":as_of")
    exempt = exempt_sql(*args)
    committed = last_granted_sql("commitment", "date", *args)

    def facilities(lived: bool) -> str:
        """The facilities whose own facts change their deadline, scope or managing body (`lived`), judged by
        them; or the others (most), judged as before such facts existed: no JSON to read."""
        columns = (
            f"""{facility_deadline_sql(cohort_deadline, *args)} AS deadline, {committed} AS committed,
                   {exempt} AS exempt, {managed_by_on(":as_of")} AS managed_on"""
            if lived
            else f"{cohort_deadline} AS deadline, NULL AS committed, 0 AS exempt, f.managed_by AS managed_on"
        )
        return f"""
            SELECT f.id, f.name, f.aliases, f.ownership, f.kind, f.managed_by, f.location, f.verified, f.details,
                   {cohort_sql} AS cohort, f.folded,
                   (SELECT group_concat(m.milestone || '=' || m.date || CASE WHEN m.exact THEN '' ELSE '~' END)
                    FROM milestones m WHERE m.facility_id = f.id AND m.date <= :as_of) AS reached,
                   (SELECT m.source FROM milestones m WHERE m.facility_id = f.id AND m.milestone = :milestone
                    AND m.date <= :as_of) AS source,
                   {columns}
            FROM facilities f
            WHERE {"" if lived else "NOT "}({JUDGED_WHOLE_SQL}) AND {open_sql(":as_of")}"""

    base = f"""
        SELECT * FROM ({facilities(False)} UNION ALL {facilities(True)})
        WHERE cohort IS NOT NULL"""
    done = "(instr(',' || COALESCE(reached, ''), :marker) > 0)"
    params = {
        **params,
        "as_of": as_of.isoformat(),
        "milestone": obligation.milestone,
        "marker": f",{obligation.milestone}=",
        "requirement": requirement.id,
        "principal": int(obligation == requirement.principal),
    }
    order_first = ""
    where = " AND exempt" if selection.is_exempt else " AND NOT exempt"
    if selection.is_overdue:
        where += f" AND NOT {done} AND :as_of > deadline"
    elif selection.is_due_within:
        params["due_by"] = (as_of + timedelta(days=selection.days or 0)).isoformat()
        ending = (
            _exception_where("exemption", *args) + " AND json_extract(e.value, '$.until') BETWEEN :as_of AND :due_by"
        )
        where = (
            f" AND (NOT exempt AND NOT {done} AND (deadline BETWEEN :as_of AND :due_by"
            f" OR committed BETWEEN :as_of AND :due_by)"
            f" OR exempt AND EXISTS (SELECT 1 FROM json_each(details, '$.exceptions') e WHERE {ending}))"
        )
    elif selection.is_broken_commitments:
        where += f" AND NOT {done} AND committed < :as_of"
        order_first = "committed, "
    group_order = {
        "ownership": order_case("ownership", OWNERSHIPS),
        "kind": order_case("kind", KINDS),
        "managed-by": "managed_on IS NULL, managed_on",
        "none": "NULL",
    }[group_by]
    order = f" ORDER BY {order_first}{group_order}, {done}, deadline, folded, id"
    if selection.is_broken_commitments:
        order = f" ORDER BY {order_first}folded, id"
    count = f"SELECT COUNT(*) FROM ({base}{where})"
    rows = base + where + order + (f" LIMIT {int(limit)}" if limit is not None else "")
    return count, rows, params


def unconfirmed_query(requirement: Requirement, obligation: Obligation, as_of: date) -> tuple[str, dict[str, Any]]:
    """SQL counting the facilities in scope whose milestone is known only as on or before a date past their
    deadline, not confirmed missing on or after it: by (bound, source). Mirrors `rules.state_of`'s
    deployed-unconfirmed."""
    cohort_sql, params = cohort_case(requirement, obligation)
    deadline = (
        "(CASE cohort "
        + " ".join(f"WHEN {i} THEN '{c.deadline.isoformat()}'" for i, c in enumerate(obligation.cohorts))
        + " END)"
    )
    sql = f"""
        SELECT bound, source, COUNT(*) FROM (
            SELECT m.date AS bound, m.source, f.verified, {cohort_sql} AS cohort
            FROM facilities f JOIN milestones m ON m.facility_id = f.id AND m.milestone = :milestone
                 AND m.exact = 0 AND m.date <= :as_of)
        WHERE cohort IS NOT NULL AND bound > {deadline}
          AND NOT (verified IS NOT NULL AND verified < bound AND verified >= {deadline})
        GROUP BY bound, source ORDER BY bound, source"""
    return sql, {**params, "as_of": as_of.isoformat(), "milestone": obligation.milestone}


# -- a facility's lifecycle and exceptions (`details`), mirroring `rules.open_on`, `rules.exceptions_on` and
# `rules.facility_deadline`. Facilities without details (most) skip the JSON entirely.
def open_sql(day: str) -> str:
    """SQL true when the facility `f` is in the register's scope on `day` (an SQL expression). Mirrors
    `rules.open_on`."""
    return (
        f"(CASE WHEN f.details IS NULL THEN 1 ELSE (json_extract(f.details, '$.withdrawn') IS NULL"
        f" AND COALESCE(json_extract(f.details, '$.opened'), '') <= {day}"
        f" AND COALESCE(json_extract(f.details, '$.closed'), '9999') > {day}"
        f" AND COALESCE(json_extract(f.details, '$.merged_into.on'), '9999') > {day}) END)"
    )


def _exception_where(kind: str, requirement: str, milestone: str, principal: str, day: str) -> str:
    """SQL true for the exceptions `e` (json_each rows) of `kind` bearing on the obligation, granted by `day`.
    Mirrors `Exception_.applies`."""
    applies = f"json_extract(e.value, '$.milestone') = {milestone}"
    if kind == "exemption":
        applies = f"(json_extract(e.value, '$.milestone') IS NULL OR {applies})"
    else:
        applies = f"(({principal}) AND json_extract(e.value, '$.milestone') IS NULL OR {applies})"
    return (
        f"json_extract(e.value, '$.kind') = '{kind}' AND json_extract(e.value, '$.requirement') = {requirement}"
        f" AND {applies} AND json_extract(e.value, '$.granted') <= {day}"
    )


def exempt_sql(requirement: str, milestone: str, principal: str, day: str) -> str:
    """SQL true when an exemption of the facility `f` holds on `day`."""
    where = _exception_where("exemption", requirement, milestone, principal, day)
    return (
        f"(CASE WHEN f.details IS NULL THEN 0 ELSE EXISTS (SELECT 1 FROM json_each(f.details, '$.exceptions') e"
        f" WHERE {where} AND COALESCE(json_extract(e.value, '$.from'), '') <= {day}"
        f" AND COALESCE(json_extract(e.value, '$.until'), '9999') >= {day}) END)"
    )


def last_granted_sql(kind: str, field: str, requirement: str, milestone: str, principal: str, day: str) -> str:
    """SQL: `field` of the facility's last granted exception of `kind` (on one day, the later listed)."""
    where = _exception_where(kind, requirement, milestone, principal, day)
    return (
        f"(SELECT json_extract(e.value, '$.{field}') FROM json_each(f.details, '$.exceptions') e WHERE {where}"
        f" ORDER BY json_extract(e.value, '$.granted') DESC, e.key DESC LIMIT 1)"
    )


def managed_by_on(day: str) -> str:
    """SQL: the facility's managing body on `day` (an earlier one while it was in charge). Mirrors
    `Facility.managed_by_on`."""
    return (
        "(CASE WHEN f.details IS NULL THEN f.managed_by ELSE COALESCE((SELECT json_extract(n.value, '$.name')"
        f" FROM json_each(f.details, '$.former_managed_by') n WHERE json_extract(n.value, '$.until') >= {day}"
        " ORDER BY json_extract(n.value, '$.until') LIMIT 1), f.managed_by) END)"
    )


def facility_deadline_sql(deadline: str, requirement: str, milestone: str, principal: str, day: str) -> str:
    """SQL: the facility's own deadline, from the requirement's `deadline`. Mirrors `rules.facility_deadline`."""
    extended = (
        f"COALESCE({last_granted_sql('extension', 'deadline', requirement, milestone, principal, day)}, {deadline})"
    )
    opened = "json_extract(f.details, '$.opened')"
    return (
        f"(CASE WHEN f.details IS NULL THEN {deadline} ELSE (SELECT CASE WHEN o > d THEN o ELSE d END FROM"
        f" (SELECT {extended} AS d, COALESCE({opened}, '') AS o)) END)"
    )


# -- the views other tools read (created by the schema's migrations) ------------------------------
# Today in the register's time zone, for the views. SQLite knows no time-zone names, so the zones
# with a fixed offset used in the region are listed; any other zone falls back to UTC. Mirrors `rules.today`.
TODAY = """date('now', CASE COALESCE((SELECT json_extract(value, '$') FROM meta WHERE key = 'timezone'),
                                  'Asia/Ho_Chi_Minh')
    WHEN 'Asia/Ho_Chi_Minh' THEN '+7 hours' WHEN 'Asia/Saigon' THEN '+7 hours'
    WHEN 'Asia/Bangkok' THEN '+7 hours' WHEN 'Asia/Vientiane' THEN '+7 hours'
    WHEN 'Asia/Phnom_Penh' THEN '+7 hours' WHEN 'Asia/Jakarta' THEN '+7 hours' ELSE '+0 hours' END)"""


def _json_selector_matches(selector: str, fields: tuple[str, ...] = ("kind", "ownership", "facilities")) -> str:
    """SQL: the JSON selector at `selector` (kind/ownership/facilities lists) matches the facility `f`.
    Mirrors `Selector.matches`. (Schema m003's view knew only `fields` kind and ownership.)"""
    columns = {"kind": "f.kind", "ownership": "f.ownership", "facilities": "f.id"}
    return " AND ".join(
        f"(json_extract({selector}, '$.{field}') IS NULL OR EXISTS "
        f"(SELECT 1 FROM json_each({selector}, '$.{field}') v WHERE v.value = {columns[field]}))"
        for field in fields
    )


def obligation_state_view_m005() -> str:
    """The `obligation_state` view as schema m005 created it (before lifecycle and exceptions; see
    `obligation_state_view` for today's): each facility under each obligation of each requirement, today: its
    deadline, the milestone's date (`reached`, exact or an on-or-before `bound`), the last day confirmed
    not reached, the state and days overdue or late. Mirrors `rules.deadline_for`, `rules.known_after`,
    `rules.state_of`, `rules.days_overdue` and `rules.days_late`. A requirement stored without `obligations`
    has one: `deployed` by its `deadlines`."""
    cohort_matches = _json_selector_matches("json_extract(c.value, '$.applies_to')")
    scope_matches = _json_selector_matches("json_extract(o.doc, '$.applies_to')")
    narrowed = _json_selector_matches("json_extract(o.ob, '$.applies_to')")
    deadline = (
        "(SELECT json_extract(c.value, '$.deadline') FROM json_each(o.ob, '$.deadlines') c "
        f"WHERE {cohort_matches} ORDER BY c.key LIMIT 1)"
    )
    return f"""
        CREATE VIEW obligation_state AS
        WITH today AS (SELECT {TODAY} AS d),
        obligations AS (
            SELECT r.id AS requirement_id, r.doc, ob.value AS ob,
                   json_extract(ob.value, '$.milestone') AS milestone,
                   CASE WHEN json_extract(r.doc, '$.obligations') IS NULL THEN 1
                        ELSE COALESCE(json_extract(ob.value, '$.principal'), 0) END AS principal,
                   COALESCE(json_extract(r.doc, '$.binding'), 1) AS binding
            FROM requirements r, json_each(COALESCE(json_extract(r.doc, '$.obligations'),
                json_array(json_object('milestone', 'deployed', 'deadlines', json_extract(r.doc, '$.deadlines'))))) ob),
        scoped AS (
            SELECT f.id AS facility_id, f.name, f.ownership, f.kind, o.requirement_id, o.milestone, o.principal,
                   o.binding, {deadline} AS deadline, m.date AS reached,
                   CASE WHEN m.date IS NULL THEN NULL WHEN m.exact THEN 'exact' ELSE 'on-or-before' END AS bound,
                   m.source,
                   CASE WHEN m.exact = 0 AND f.verified < m.date THEN f.verified END AS known_after,
                   (SELECT d FROM today) AS as_of
            FROM facilities f CROSS JOIN obligations o
            LEFT JOIN milestones m ON m.facility_id = f.id AND m.milestone = o.milestone
                                   AND m.date <= (SELECT d FROM today)
            WHERE {scope_matches} AND {narrowed}),
        judged AS (
            SELECT *,
                   CASE WHEN reached IS NOT NULL THEN
                            CASE WHEN reached <= deadline THEN 'deployed-on-time'
                                 WHEN bound = 'exact' OR known_after >= deadline THEN 'deployed-late'
                                 ELSE 'deployed-unconfirmed' END
                        WHEN as_of > deadline THEN 'overdue' ELSE 'not-yet-due' END AS state
            FROM scoped WHERE deadline IS NOT NULL)
        SELECT facility_id, name, ownership, kind, requirement_id, milestone, principal, binding, deadline,
               reached, bound, source, known_after, state,
               CASE WHEN state = 'overdue' THEN CAST(julianday(as_of) - julianday(deadline) AS INTEGER)
                    ELSE 0 END AS days_overdue,
               CASE WHEN state = 'deployed-late' THEN CAST(julianday(CASE WHEN bound = 'exact' THEN reached
                    ELSE date(known_after, '+1 day') END) - julianday(deadline) AS INTEGER) ELSE 0 END AS days_late,
               as_of
        FROM judged"""


def obligation_state_view() -> str:
    """The `obligation_state` view (schema m007): as m005's, for the facilities open today (`rules.open_on`)
    and not exempt, against each one's own deadline (an extension's, or its opening day); with the
    requirement's deadline where it differs (`original_deadline`), the extension's basis, and the date the
    facility committed to (`committed`) with the days past it."""
    cohort_matches = _json_selector_matches("json_extract(c.value, '$.applies_to')")
    scope_matches = _json_selector_matches("json_extract(o.doc, '$.applies_to')")
    narrowed = _json_selector_matches("json_extract(o.ob, '$.applies_to')")
    deadline = (
        "(SELECT json_extract(c.value, '$.deadline') FROM json_each(o.ob, '$.deadlines') c "
        f"WHERE {cohort_matches} ORDER BY c.key LIMIT 1)"
    )
    day = "(SELECT d FROM today)"
    args = ("o.requirement_id", "o.milestone", "o.principal", day)
    return f"""
        CREATE VIEW obligation_state AS
        WITH today AS (SELECT {TODAY} AS d),
        obligations AS (
            SELECT r.id AS requirement_id, r.doc, ob.value AS ob,
                   json_extract(ob.value, '$.milestone') AS milestone,
                   CASE WHEN json_extract(r.doc, '$.obligations') IS NULL THEN 1
                        ELSE COALESCE(json_extract(ob.value, '$.principal'), 0) END AS principal,
                   COALESCE(json_extract(r.doc, '$.binding'), 1) AS binding
            FROM requirements r, json_each(COALESCE(json_extract(r.doc, '$.obligations'),
                json_array(json_object('milestone', 'deployed', 'deadlines', json_extract(r.doc, '$.deadlines'))))) ob),
        cohorted AS (
            SELECT f.*, o.requirement_id, o.milestone AS ob_milestone, o.principal, o.binding,
                   {deadline} AS requirement_deadline,
                   {last_granted_sql("extension", "basis.ref", *args)} AS extension_basis,
                   {last_granted_sql("commitment", "date", *args)} AS committed
            FROM facilities f CROSS JOIN obligations o
            WHERE {scope_matches} AND {narrowed} AND {open_sql(day)} AND NOT {exempt_sql(*args)}),
        scoped AS (
            SELECT f.id AS facility_id, f.name, f.ownership, f.kind, f.requirement_id, f.ob_milestone AS milestone,
                   f.principal, f.binding,
                   {
        facility_deadline_sql("f.requirement_deadline", "f.requirement_id", "f.ob_milestone", "f.principal", day)
    } AS deadline,
                   f.requirement_deadline, f.extension_basis, f.committed, m.date AS reached,
                   CASE WHEN m.date IS NULL THEN NULL WHEN m.exact THEN 'exact' ELSE 'on-or-before' END AS bound,
                   m.source,
                   CASE WHEN m.exact = 0 AND f.verified < m.date THEN f.verified END AS known_after,
                   {day} AS as_of
            FROM cohorted f
            LEFT JOIN milestones m ON m.facility_id = f.id AND m.milestone = f.ob_milestone AND m.date <= {day}
            WHERE f.requirement_deadline IS NOT NULL),
        judged AS (
            SELECT *,
                   CASE WHEN reached IS NOT NULL THEN
                            CASE WHEN reached <= deadline THEN 'deployed-on-time'
                                 WHEN bound = 'exact' OR known_after >= deadline THEN 'deployed-late'
                                 ELSE 'deployed-unconfirmed' END
                        WHEN as_of > deadline THEN 'overdue' ELSE 'not-yet-due' END AS state
            FROM scoped)
        SELECT facility_id, name, ownership, kind, requirement_id, milestone, principal, binding, deadline,
               reached, bound, source, known_after, state,
               CASE WHEN state = 'overdue' THEN CAST(julianday(as_of) - julianday(deadline) AS INTEGER)
                    ELSE 0 END AS days_overdue,
               CASE WHEN state = 'deployed-late' THEN CAST(julianday(CASE WHEN bound = 'exact' THEN reached
                    ELSE date(known_after, '+1 day') END) - julianday(deadline) AS INTEGER) ELSE 0 END AS days_late,
               as_of,
               CASE WHEN deadline <> requirement_deadline THEN requirement_deadline END AS original_deadline,
               extension_basis, committed,
               CASE WHEN committed < as_of AND reached IS NULL
                    THEN CAST(julianday(as_of) - julianday(committed) AS INTEGER) ELSE 0 END AS days_past_commitment
        FROM judged"""


# Exceptions, codes and earlier names, a row each, for other tools (schema m007).
EXCEPTIONS_VIEW = """
        CREATE VIEW exceptions AS
        SELECT f.id AS facility_id, json_extract(e.value, '$.kind') AS kind,
               json_extract(e.value, '$.requirement') AS requirement_id,
               json_extract(e.value, '$.milestone') AS milestone,
               COALESCE(json_extract(e.value, '$.deadline'), json_extract(e.value, '$.date')) AS deadline_or_date,
               json_extract(e.value, '$.from') AS exempt_from, json_extract(e.value, '$.until') AS exempt_until,
               json_extract(e.value, '$.granted') AS granted, json_extract(e.value, '$.basis.ref') AS basis_ref,
               json_extract(e.value, '$.basis.date') AS basis_date,
               json_extract(e.value, '$.basis.issuer') AS basis_issuer, json_extract(e.value, '$.note') AS note
        FROM facilities f, json_each(f.details, '$.exceptions') e WHERE f.details IS NOT NULL"""
FACILITY_CODES_VIEW = """
        CREATE VIEW facility_codes AS
        SELECT f.id AS facility_id, c.key AS scheme, c.value AS code
        FROM facilities f, json_each(f.details, '$.codes') c WHERE f.details IS NOT NULL"""
FACILITY_LIFE_VIEW = """
        CREATE VIEW facility_life AS
        SELECT id AS facility_id, name, managed_by, json_extract(details, '$.opened') AS opened,
               json_extract(details, '$.closed') AS closed, json_extract(details, '$.merged_into.id') AS merged_into,
               json_extract(details, '$.merged_into.on') AS merged_on,
               json_extract(details, '$.withdrawn.on') AS withdrawn_on,
               (SELECT group_concat(json_extract(n.value, '$.name') || ' (until ' || json_extract(n.value, '$.until')
                || ')', '; ') FROM json_each(details, '$.former_names') n) AS former_names
        FROM facilities"""


# Each facility under each requirement's principal obligation (what reports cover by default), with the
# columns earlier releases gave first: `deployed` is the principal milestone's date.
FACILITY_STATE_VIEW = """
        CREATE VIEW facility_state AS
        SELECT facility_id, name, ownership, kind, requirement_id, deadline, reached AS deployed, state,
               days_overdue, as_of, milestone, bound, source, known_after, days_late, binding
        FROM obligation_state WHERE principal"""


# The overdue under each requirement's principal obligation, as earlier releases listed them (the other
# obligations' overdue are in `obligation_state`).
OVERDUE_VIEW = """
        CREATE VIEW overdue AS
        SELECT facility_id, name, ownership, kind, requirement_id, deadline, days_overdue, as_of, milestone, binding
        FROM facility_state WHERE state = 'overdue'"""


def legacy_facility_state_view() -> str:
    """The `facility_state` view as schema m003 created it (before bounds and obligations): a migration's
    text never changes, so m003 keeps building exactly this."""
    cohort_matches = _json_selector_matches("json_extract(c.value, '$.applies_to')", ("kind", "ownership"))
    scope_matches = _json_selector_matches("json_extract(r.doc, '$.applies_to')", ("kind", "ownership"))
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


LEGACY_OVERDUE_VIEW = """
        CREATE VIEW overdue AS
        SELECT facility_id, name, ownership, kind, requirement_id, deadline, days_overdue, as_of
        FROM facility_state WHERE state = 'overdue'"""
