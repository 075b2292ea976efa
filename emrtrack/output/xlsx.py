"""Spreadsheets out (openpyxl): a report or a status as an .xlsx to attach to a dispatch.

Each sheet opens with a header block saying what the figures are (requirement, deadline, as-of date,
when and by which version it was made, and the SHA-256 of the register's content): labels in the first
column, each value spanning the others, so that a date never shows as ###. Then one table with a frozen
header row, real dates, and columns wide enough for Vietnamese names. Text is
always written as text: a name beginning with = + - @ is neither a formula nor given the apostrophe CSV
output needs. Each sheet prints landscape on A4, one page wide, the table's header on every page.
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


_FORMULA_START = ("=", "+", "-", "@")
_LINE_HEIGHT = 15  # points: one line of the default font


def _width(v: Any, date_format: str) -> int:
    """How many characters a cell's value takes as shown: a date as its format writes it."""
    if isinstance(v, datetime):
        return len(date_format) + len(" hh:mm")
    if isinstance(v, date):
        return len(date_format)
    if isinstance(v, float) and 0 <= v <= 1:
        return len("100.0%")
    return len(str(v)) if v is not None else 0


class _Sheet:
    """Writes rows and remembers how wide each column needs to be; `finish` sizes the columns, spans the
    header block's values across the table's width, and sets the print layout."""

    def __init__(self, ws: Any):
        from openpyxl.styles import Font

        self.ws = ws
        self.row = 0
        self.widths: dict[int, int] = {}
        self.spans: list[tuple[int, int, int, bool]] = []  # row, first column, width, whether text
        self.header_row = 0
        self.bold = Font(bold=True)
        self.date_format = _date_format()

    def cell(self, col: int, v: Any, *, bold: bool = False) -> Any:
        """Write one value in this row: text always as text (never a formula, and with no apostrophe added:
        a text cell beginning with = + - @ is marked as typed with a quote prefix, as Excel does)."""
        c = self.ws.cell(row=self.row, column=col)
        if isinstance(v, str):
            c.value = safe(v)
            c.data_type = "s"
            if c.value.startswith(_FORMULA_START):
                c.quotePrefix = True
        else:
            c.value = v
        if isinstance(v, (date, datetime)):
            c.number_format = self.date_format + (" hh:mm" if isinstance(v, datetime) else "")
        elif isinstance(v, float) and 0 <= v <= 1:
            c.number_format = "0.0%"
        if bold:
            c.font = self.bold
        return c

    def put(self, values: list[Any], *, bold: bool = False) -> int:
        self.row += 1
        for col, v in enumerate(values, 1):
            self.cell(col, v, bold=bold)
            self.widths[col] = max(self.widths.get(col, 0), _width(v, self.date_format))
        return self.row

    def spanned(self, v: Any, *, col: int = 1, bold: bool = False) -> None:
        """A value on a row of its own, from column `col` to the table's last (merged when the sheet is done)."""
        self.row += 1
        self.cell(col, v, bold=bold)
        self.spans.append((self.row, col, _width(v, self.date_format), isinstance(v, str)))

    def header_block(self, items: list[tuple[str, Any]]) -> None:
        """A label in the first column, its value across the others."""
        for label, value in items:
            self.spanned(value, col=2)
            self.cell(1, label, bold=True)
            self.widths[1] = max(self.widths.get(1, 0), len(label))
        self.row += 1

    def table_header(self, names: list[str]) -> None:
        self.put(names, bold=True)
        self.ws.freeze_panes = self.ws.cell(row=self.row + 1, column=1).coordinate
        self.header_row = self.row

    def finish(self, *, autofilter: bool = True) -> None:
        from openpyxl.styles import Alignment
        from openpyxl.utils import get_column_letter

        dims = self.ws.column_dimensions
        for col, width in self.widths.items():
            dims[get_column_letter(col)].width = min(max(width, 4) + 2, 80)
        last = max(self.widths, default=1)
        for row, col, width, text in self.spans:
            end = max(last, col)
            room = sum(dims[get_column_letter(c)].width or 0 for c in range(col, end + 1))
            cell = self.ws.cell(row=row, column=col)
            if width > room and not text:  # a number or a date: the last column widened to show it whole
                dims[get_column_letter(end)].width = (dims[get_column_letter(end)].width or 0) + width - room
            wrap = text and width > room
            cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=wrap)
            if wrap:
                self.ws.row_dimensions[row].height = _LINE_HEIGHT * -(-width // max(int(room) - 2, 1))
            if end > col:
                self.ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=end)
        if autofilter and self.header_row and self.row > self.header_row:
            self.ws.auto_filter.ref = f"A{self.header_row}:{get_column_letter(last)}{self.row}"
        print_layout(self.ws, self.header_row)


def print_layout(ws: Any, header_row: int = 0) -> None:
    """Landscape A4, as many pages tall as it takes but one page wide, the table's header on each page."""
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"


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
    default); a line in the header block for each bound the timing of some facilities is unconfirmed by.
    Its columns are the same whatever the data, so that reports of different dates compare."""
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
            sheet.spanned(provenance.register_name, bold=True)
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
        print_layout(wb.create_sheet("-"))
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
        sheet.spanned(provenance.register_name, bold=True)
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
            sheet.spanned(line)
    sheet.row += 1
    # the split by ownership: a table of its own, with no column for the deadline (an obligation's)
    sheet.put([_("Requirement"), *milestone, _("Ownership"), *counts], bold=True)
    for s in view.statuses:
        for o in obligation_statuses(s):
            label = [milestone_label(o.obligation.milestone, view.milestones)] if with_milestone else []
            for own, by_ownership in o.by_ownership.items():
                sheet.put(
                    [requirement_name(s.requirement), *label, ownership_label(own), *_counts(by_ownership, unconfirmed)]
                )
    sheet.finish(autofilter=False)
    wb.save(out)


def _provenance(provenance: Provenance | None) -> Provenance:
    if provenance is None:
        raise ValueError("a spreadsheet needs the view's provenance")
    return provenance
