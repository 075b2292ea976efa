"""Machine formats and the text to paste: status as JSON, a report as JSON, CSV or Markdown, history as JSON.

Each writer takes what it renders and a text stream. JSON and CSV keep the register's text as it is (a CSV
cell a spreadsheet would run as a formula excepted); Markdown shows it escaped.
"""

from __future__ import annotations

import csv
import json
from typing import IO, Any

from emrtrack.i18n import _, fmt_date, ngettext
from emrtrack.model import Requirement, State
from emrtrack.output.columns import REPORT_FIELDS, standing_fields
from emrtrack.output.text import (
    deadlines_text,
    group_who,
    grouped,
    iso,
    kind_label,
    md,
    spreadsheet_safe,
    state_label,
)
from emrtrack.views import Counts, HistoryView, ReportView, StatusView


# -- status ----------------------------------------------------------------------------------------
def counts_json(c: Counts) -> dict[str, Any]:
    return {
        "in_scope": c.in_scope,
        "deployed_on_time": c.deployed_on_time,
        "deployed_late": c.deployed_late,
        "overdue": c.overdue,
        "not_yet_due": c.not_yet_due,
        "compliance_pct": c.compliance_pct,
    }


def requirement_json(r: Requirement) -> dict[str, Any]:
    return {
        "id": r.id,
        "title": r.title,
        "issuer": r.issuer,
        "issued": iso(r.issued),
        "in_force": iso(r.in_force),
        "deadline": iso(r.final_deadline),
        "deadlines": [{"applies_to": c.selector.as_dict(), "deadline": iso(c.deadline)} for c in r.cohorts],
        "applies_to": r.applies_to.as_dict(),
        "source": r.source,
        "refs": list(r.refs),
    }


def write_status_json(view: StatusView, out: IO[str]) -> None:
    as_of = view.as_of
    doc = {
        "as_of": as_of.isoformat(),
        "register": view.register_name,
        "requirements": [
            {
                "id": s.requirement.id,
                "deadline": iso(s.requirement.final_deadline),
                **counts_json(s.total),
                "by_ownership": {o: counts_json(c) for o, c in s.by_ownership.items()},
                "cohorts": [
                    {"applies_to": c.selector.as_dict(), "deadline": iso(c.deadline), **counts_json(c.counts)}
                    for c in s.cohorts
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
    """Stream the report as JSON; one requirement gives the documented object, `all` a list of them."""
    several = view.several
    if several:
        out.write('{"as_of": ' + json.dumps(view.as_of.isoformat()) + ', "reports": [')
    for i, part in enumerate(view.parts):
        if several and i:
            out.write(", ")
        head = {"requirement": requirement_json(part.requirement), "count": part.count}
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
    """One row per facility and requirement, under a header of the field names."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("requirement", *REPORT_FIELDS))
    for part in view.parts:
        for s in part.rows:
            d = standing_fields(s)
            writer.writerow([spreadsheet_safe(part.requirement.id)] + [spreadsheet_safe(d[k]) for k in REPORT_FIELDS])


def write_report_markdown(view: ReportView, out: IO[str]) -> None:
    """The list a dispatch carries: per requirement, grouped (public first) and numbered, ready to paste."""
    as_of, group_by, selection = view.as_of, view.group_by, view.selection
    for n, part in enumerate(view.parts):
        req = part.requirement
        if n:
            out.write("\n")
        out.write(_("Requirement **{id}**, deadline {deadlines}").format(id=md(req.id), deadlines=deadlines_text(req)))
        out.write(f": {md(req.title)}\n\n" if req.title else "\n\n")
        out.write(selection.lead(part.count, as_of) + "\n")
        for key, group in grouped(part.rows, group_by):
            out.write("\n" + selection.group_heading(group_who(group_by, key, group), len(group)) + "\n\n")
            for i, s in enumerate(group, 1):
                detail = kind_label(s.facility.kind) if group_by != "kind" else ""
                if s.state is State.OVERDUE:
                    more = ngettext("{n} day overdue", "{n} days overdue", s.days_overdue).format(n=s.days_overdue)
                elif selection.is_due_within:
                    left = (s.deadline - as_of).days
                    more = (
                        _("deadline {date}").format(date=fmt_date(s.deadline))
                        + ", "
                        + (
                            _("due today")
                            if left == 0
                            else ngettext("{n} day left", "{n} days left", left).format(n=left)
                        )
                    )
                else:
                    more = state_label(s.state)
                detail = f"{detail}; {more}" if detail else more
                out.write(f"{i}. {md(s.facility.name)} ({detail})\n")


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
