"""Spreadsheets out (openpyxl): a report or a status as an .xlsx to attach to a dispatch.

Each sheet opens with a header block saying what the figures are (requirement, deadline, as-of date,
when and by which version it was made, and the SHA-256 of the register's content), then one table
with a frozen header row, real dates, and columns wide enough for Vietnamese names.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from emrtrack.i18n import _, milestone_label
from emrtrack.model import DEPLOYED, Selection
from emrtrack.output import wording
from emrtrack.output.columns import Shown, sheet_columns
from emrtrack.output.text import (
    capitalised,
    count_labels,
    count_values,
    describe_cohort,
    document_kind,
    grouped,
    milestone_named,
    obligation_statuses,
    ownership_label,
    plan_notes,
    requirement_name,
    safe,
    spreadsheet_safe,
    status_layout,
    unconfirmed_lines,
)
from emrtrack.views import Counts, Provenance, ReportPart, ReportView, StatusView

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _date_format() -> str:
    return "dd/mm/yyyy" if _("%Y-%m-%d") == "%d/%m/%Y" else "yyyy-mm-dd"


def sheet_title(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (no []:*?/\\, at most 31 characters), unique in the workbook."""
    base = _BAD_SHEET_CHARS.sub("-", name)[:31] or "Sheet"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _value(v: Any) -> Any:
    return spreadsheet_safe(safe(v)) if isinstance(v, str) else v


class _Sheet:
    """Writes rows and remembers how wide each column needs to be."""

    def __init__(self, ws: Any):
        from openpyxl.styles import Font

        self.ws = ws
        self.row = 0
        self.widths: dict[int, int] = {}
        self.bold = Font(bold=True)
        self.date_format = _date_format()

    def put(self, values: list[Any], *, bold: bool = False, fit: bool = True) -> int:
        self.row += 1
        for col, v in enumerate(values, 1):
            c = self.ws.cell(row=self.row, column=col, value=_value(v))
            if isinstance(v, (date, datetime)):
                c.number_format = self.date_format + (" hh:mm" if isinstance(v, datetime) else "")
                width = 16 if isinstance(v, datetime) else 10
            elif isinstance(v, float) and 0 <= v <= 1:
                c.number_format = "0.0%"
                width = 6
            else:
                width = len(str(v)) if v is not None else 0
            if bold:
                c.font = self.bold
            if fit:
                self.widths[col] = max(self.widths.get(col, 0), width)
        return self.row

    def header_block(self, items: list[tuple[str, Any]]) -> None:
        for label, value in items:
            self.put([label, value], fit=False)
            self.ws.cell(row=self.row, column=1).font = self.bold
        self.widths[1] = max(self.widths.get(1, 0), *(len(label) for label, _v in items))
        self.row += 1

    def table_header(self, names: list[str]) -> None:
        self.put(names, bold=True)
        self.ws.freeze_panes = self.ws.cell(row=self.row + 1, column=1).coordinate
        self.header_row = self.row

    def finish(self) -> None:
        from openpyxl.utils import get_column_letter

        for col, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = min(max(width, 4) + 2, 80)
        if getattr(self, "header_row", None) and self.row > self.header_row:
            last = get_column_letter(max(self.widths))
            self.ws.auto_filter.ref = f"A{self.header_row}:{last}{self.row}"


def _provenance_items(p: Provenance) -> list[tuple[str, Any]]:
    return [
        (_("As of"), p.as_of),
        (_("Generated ({zone})").format(zone=p.timezone), p.generated.replace(tzinfo=None, microsecond=0)),
        (_("Tool version"), f"emrtrack {p.version}"),
        (_("Register content SHA-256"), p.content_hash),
    ]


def _requirement_items(part: ReportPart, view: ReportView) -> list[tuple[str, Any]]:
    """What a report sheet is about: the requirement, its title and kind (when a plan target), the
    obligation covered (when not deployment, or when the report covers every one) and its deadlines."""
    req, o = part.requirement, part.covers
    items: list[tuple[str, Any]] = [(_("Requirement"), req.id)]
    if req.title:
        items.append((_("Title"), req.title))
    if not req.binding:
        items.append((_("Kind of document"), capitalised(document_kind(req))))
    if req.replaces:
        items.append((_("Replaces"), req.replaces))
    if o.milestone != DEPLOYED or view.every_obligation:
        items.append((_("Milestone"), milestone_label(o.milestone, view.milestones)))
    deadline = _("Deadline") if req.binding else _("Target date")
    if len(o.cohorts) == 1 and o.cohorts[0].selector.is_everything and o.applies_to.is_everything:
        items.append((deadline, o.cohorts[0].deadline))
    else:
        for i, c in enumerate(o.cohorts):
            items.append((f"{deadline} ({describe_cohort(c.selector, i, o.applies_to)})", c.deadline))
    return items


def write_report_xlsx(view: ReportView, out: Path | IO[bytes]) -> None:
    """One sheet per requirement (and obligation), grouped as the table is (ownership, public first, by
    default); a line in the header block for each bound the timing of some facilities is unconfirmed by."""
    from openpyxl import Workbook

    provenance = _provenance(view.provenance)
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for part in view.parts:
        req, o = part.requirement, part.covers
        rows = list(part.rows)
        group, columns = sheet_columns(view.group_by, rows)
        shown = Shown(view.as_of, Selection(), view.milestones, o.milestone, req.binding)
        name = req.id if not view.every_obligation else f"{req.id} {o.milestone}"
        sheet = _Sheet(wb.create_sheet(sheet_title(name, taken)))
        if provenance.register_name:
            sheet.put([provenance.register_name], bold=True, fit=False)
        named = milestone_named(o.milestone, view.milestones)
        unconfirmed = [(_("Timing unconfirmed"), line) for line in unconfirmed_lines(part, view.milestones)]
        sheet.header_block(
            _requirement_items(part, view)
            + [
                (_("Facilities listed"), wording.label(view.selection, binding=req.binding, milestone=named)),
                (_("Count"), part.count),
            ]
            + unconfirmed
            + _provenance_items(provenance)
        )
        sheet.table_header(([group.header(shown)] if group else []) + ["#"] + [c.header(shown) for c in columns])
        for _key, grouped_rows in grouped(rows, view.group_by):
            for i, s in enumerate(grouped_rows, 1):
                values: list[Any] = [group.sheet(s, shown)] if group and group.sheet else []
                values.append(i)
                values += [c.sheet(s, shown) for c in columns if c.sheet]
                sheet.put(values)
        sheet.finish()
    if not view.parts:
        wb.create_sheet("-")
    wb.save(out)


def _counts(c: Counts, unconfirmed: bool) -> list[Any]:
    return [*count_values(c, unconfirmed), round(c.compliance, 3)]


def write_status_xlsx(view: StatusView, out: Path | IO[bytes]) -> None:
    """The status table (per requirement, obligation and deadline) and the split by ownership, on one sheet;
    the milestone and unconfirmed columns as the table shows them, and a line for each plan target."""
    from openpyxl import Workbook

    provenance = _provenance(view.provenance)
    with_milestone, unconfirmed = status_layout(view)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Status")
    sheet = _Sheet(ws)
    if provenance.register_name:
        sheet.put([provenance.register_name], bold=True, fit=False)
    sheet.header_block(_provenance_items(provenance))
    counts = count_labels(unconfirmed)
    milestone = [_("Milestone")] if with_milestone else []
    sheet.table_header([_("Requirement"), *milestone, _("Applies to"), _("Deadline"), *counts])
    for s in view.statuses:
        for o in obligation_statuses(s):
            label = [milestone_label(o.obligation.milestone, view.milestones)] if with_milestone else []
            for i, c in enumerate(o.cohorts):
                sheet.put(
                    [
                        requirement_name(s.requirement),
                        *label,
                        describe_cohort(c.selector, i, o.obligation.applies_to),
                        c.deadline,
                        *_counts(c.counts, unconfirmed),
                    ]
                )
    notes = plan_notes(view)
    if notes:
        sheet.row += 1
        for line in notes:
            sheet.put([line], fit=False)
    sheet.row += 1
    sheet.put([_("Requirement"), *milestone, _("Ownership"), "", *counts], bold=True)
    for s in view.statuses:
        for o in obligation_statuses(s):
            label = [milestone_label(o.obligation.milestone, view.milestones)] if with_milestone else []
            for own, by_ownership in o.by_ownership.items():
                sheet.put(
                    [
                        requirement_name(s.requirement),
                        *label,
                        ownership_label(own),
                        "",
                        *_counts(by_ownership, unconfirmed),
                    ]
                )
    sheet.finish()
    ws.auto_filter.ref = None
    wb.save(out)


def _provenance(provenance: Provenance | None) -> Provenance:
    if provenance is None:
        raise ValueError("a spreadsheet needs the view's provenance")
    return provenance
