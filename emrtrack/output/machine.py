"""Machine formats and the text to paste: status as JSON, a report as JSON, CSV or Markdown, history as JSON.

Each writer takes what it renders and a text stream. JSON and CSV keep the register's text as it is (a CSV
cell a spreadsheet would run as a formula excepted); Markdown shows it escaped.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from typing import IO, Any

from emrtrack.i18n import _, fmt_date, fmt_int, milestone_label, ngettext
from emrtrack.model import Obligation, Requirement, Standing, State
from emrtrack.output import wording
from emrtrack.output.columns import CSV_FIELDS, CSV_GETTERS, standing_fields
from emrtrack.output.text import (
    basis_text,
    deadlines_text,
    group_who,
    grouped,
    iso,
    kind_label,
    md,
    milestone_named,
    obligation_statuses,
    overdue_phrase,
    reached_phrase,
    spreadsheet_safe,
    standing_state,
    unconfirmed_lines,
)
from emrtrack.views import (
    CohortStatus,
    Counts,
    HistoryView,
    ReportPart,
    ReportView,
    StatusView,
)


# -- status ----------------------------------------------------------------------------------------
def counts_json(c: Counts) -> dict[str, Any]:
    return {
        "in_scope": c.in_scope,
        "deployed_on_time": c.deployed_on_time,
        "deployed_late": c.deployed_late,
        "deployed_unconfirmed": c.deployed_unconfirmed,
        "overdue": c.overdue,
        "not_yet_due": c.not_yet_due,
        "compliance_pct": c.compliance_pct,
    }


def _deadlines_json(o: Obligation) -> list[dict[str, Any]]:
    return [{"applies_to": c.selector.as_dict(), "deadline": iso(c.deadline)} for c in o.cohorts]


def obligation_json(r: Requirement, o: Obligation) -> dict[str, Any]:
    """One obligation of a requirement: the milestone, its deadlines, whom it applies to within the
    requirement's scope, and whether it is the principal one (what reports cover by default)."""
    return {
        "milestone": o.milestone,
        "deadlines": _deadlines_json(o),
        "applies_to": o.applies_to.as_dict(),
        "principal": o == r.principal,
    }


def requirement_json(r: Requirement) -> dict[str, Any]:
    """A requirement: `deadline` and `deadlines` are its principal obligation's; `binding` False for a plan
    target; `obligations` every one it sets, the principal included."""
    return {
        "id": r.id,
        "title": r.title,
        "issuer": r.issuer,
        "issued": iso(r.issued),
        "in_force": iso(r.in_force),
        "deadline": iso(r.final_deadline),
        "deadlines": _deadlines_json(r.principal),
        "applies_to": r.applies_to.as_dict(),
        "source": r.source,
        "refs": list(r.refs),
        "binding": r.binding,
        "replaces": r.replaces,
        "obligations": [obligation_json(r, o) for o in r.obligations],
    }


def _cohorts_json(cohorts: list[CohortStatus]) -> list[dict[str, Any]]:
    return [{"applies_to": c.selector.as_dict(), "deadline": iso(c.deadline), **counts_json(c.counts)} for c in cohorts]


def write_status_json(view: StatusView, out: IO[str]) -> None:
    as_of = view.as_of
    doc = {
        "as_of": as_of.isoformat(),
        "register": view.register_name,
        "requirements": [
            {
                "id": s.requirement.id,
                "deadline": iso(s.requirement.final_deadline),
                "binding": s.requirement.binding,
                **counts_json(s.total),
                "by_ownership": {o: counts_json(c) for o, c in s.by_ownership.items()},
                "cohorts": _cohorts_json(s.cohorts),
                "exceptions": vars(s.exceptions),
                "obligations": [
                    {
                        "milestone": o.obligation.milestone,
                        "principal": o.obligation == s.requirement.principal,
                        "deadline": iso(o.obligation.final_deadline),
                        "applies_to": o.obligation.applies_to.as_dict(),
                        **counts_json(o.total),
                        "by_ownership": {own: counts_json(c) for own, c in o.by_ownership.items()},
                        "cohorts": _cohorts_json(o.cohorts),
                        "exceptions": vars(o.exceptions),
                    }
                    for o in obligation_statuses(s)
                ],
                "milestones": s.funnel,
                "data_age": {
                    "oldest": iso(s.oldest_data),
                    "median": iso(s.median_data),
                    "oldest_days": (as_of - s.oldest_data).days if s.oldest_data else None,
                    "median_days": (as_of - s.median_data).days if s.median_data else None,
                    "never_verified": s.never_verified,
                },
            }
            for s in view.statuses
        ],
        "notes": list(view.notes),
    }
    out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


# -- report ----------------------------------------------------------------------------------------
def write_report_json(view: ReportView, out: IO[str]) -> None:
    """Stream the report as JSON; one part gives the documented object, `all` (requirements or obligations)
    a list of them."""
    several = view.several or view.every_obligation
    if several:
        out.write('{"as_of": ' + json.dumps(view.as_of.isoformat()) + ', "reports": [')
    for i, part in enumerate(view.parts):
        if several and i:
            out.write(", ")
        head: dict[str, Any] = {
            "requirement": requirement_json(part.requirement),
            "count": part.count,
            "obligation": part.covers.milestone,
            "unconfirmed": [
                {"on_or_before": iso(bound), "source": source, "count": n} for bound, source, n in part.unconfirmed
            ],
        }
        if not several:
            head = {"as_of": view.as_of.isoformat(), **head}
        out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "facilities": [')
        for j, s in enumerate(part.rows):
            out.write((",\n  " if j else "\n  ") + json.dumps(standing_fields(s), ensure_ascii=False))
        out.write("\n]}")
    if several:
        out.write("]}")
    out.write("\n")


def write_report_csv(view: ReportView, out: IO[str]) -> None:
    """One row per facility and requirement (and obligation), under a header of the field names."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("requirement", *CSV_FIELDS))
    for part in view.parts:
        requirement = spreadsheet_safe(part.requirement.id)
        for s in part.rows:
            writer.writerow([requirement, *(spreadsheet_safe(field(s)) for field in CSV_GETTERS)])


def _markdown_header(part: ReportPart, view: ReportView) -> str:
    req, o = part.requirement, part.covers
    named = milestone_named(o.milestone, view.milestones) or (
        milestone_label(o.milestone, view.milestones) if view.every_obligation else None
    )
    due = wording.due(deadlines_text(req, o), binding=req.binding, milestone=None if named is None else md(named))
    text = _("Requirement **{id}**, {due}") if req.binding else _("Plan target **{id}**, {due}")
    return text.format(id=md(req.id), due=due)


def _markdown_detail(s: Standing, view: ReportView, said: set[tuple[date, str | None]]) -> str:
    """What a dispatch's list says of one facility after its name: its kind (unless grouped by it) and where
    it stands; a date known only as "on or before" it is said so, with its source (unless the lines under
    the lead have said it: `said`, their bounds and sources)."""
    as_of, group_by, selection = view.as_of, view.group_by, view.selection
    parts = [kind_label(s.facility.kind)] if group_by != "kind" else []
    if s.state is State.OVERDUE:
        parts.append(overdue_phrase(s.days_overdue, binding=s.binding))
    elif selection.is_due_within:
        left = (s.deadline - as_of).days
        parts.append(
            (_("deadline {date}") if s.binding else _("target date {date}")).format(date=fmt_date(s.deadline))
            + ", "
            + (_("due today") if left == 0 else ngettext("{n} day left", "{n} days left", left).format(n=fmt_int(left)))
        )
    else:
        parts.append(standing_state(s))
    if s.reached is not None and not s.reached.exact:
        when = reached_phrase(s.reached)
        source = s.reached.source
        if source and (s.reached.date, source) not in said:
            when = _("{when}, per {source}").format(when=when, source=md(source))
        parts.append(when)
    granted = s.exceptions
    if granted.extension is not None and granted.extension.on is not None:
        extended = _("extended to {date}").format(date=fmt_date(granted.extension.on))
        if granted.extension.basis is not None:
            extended = _("{extended} by {basis}").format(
                extended=extended, basis=md(basis_text(granted.extension.basis))
            )
        parts.append(extended)
    if granted.exemption is not None:
        until = granted.exemption.until
        parts.append(_("exempt until {date}").format(date=fmt_date(until)) if until else _("exempt"))
    if granted.commitment is not None and granted.commitment.on is not None:
        parts.append(_("committed to {date}").format(date=fmt_date(granted.commitment.on)))
    return "; ".join(parts)


def write_report_markdown(view: ReportView, out: IO[str]) -> None:
    """The list a dispatch carries: per requirement, grouped (public first) and numbered, ready to paste; the
    facilities whose timing is unconfirmed are said in a line each (bound and source) under the lead."""
    group_by, selection = view.group_by, view.selection
    for n, part in enumerate(view.parts):
        req = part.requirement
        milestone = milestone_named(part.covers.milestone, view.milestones)
        if milestone is not None:
            milestone = md(milestone)
        if n:
            out.write("\n")
        out.write(_markdown_header(part, view))
        out.write(f": {md(req.title)}\n\n" if req.title else "\n\n")
        out.write(wording.lead(selection, part.count, view.as_of, binding=req.binding, milestone=milestone) + "\n")
        said = {(bound, source) for bound, source, _n in part.unconfirmed}
        for line in unconfirmed_lines(part, view.milestones, escape=md):
            out.write("\n" + line + "\n")
        for key, group in grouped(part.rows, group_by):
            who = group_who(group_by, key, group)
            out.write("\n" + wording.group_heading(selection, who, len(group), milestone=milestone) + "\n\n")
            for i, s in enumerate(group, 1):
                out.write(f"{i}. {md(s.facility.name)} ({_markdown_detail(s, view, said)})\n")


# -- history ---------------------------------------------------------------------------------------
def write_history_json(view: HistoryView, out: IO[str]) -> None:
    out.write(
        json.dumps(
            [
                {
                    "event": e.event_id,
                    "change": e.change_id,
                    "recorded_at": e.recorded_at,
                    "by": e.actor,
                    "source": e.source,
                    "command": e.command,
                    "reverts": e.reverts,
                    "ref": e.ref,
                    "note": e.note,
                    "entity": e.entity,
                    "key": e.key,
                    "milestone": e.milestone,
                    "action": e.action,
                    "old": e.old,
                    "new": e.new,
                }
                for e in view.events
            ],
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
