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

from emrtrack.i18n import _
from emrtrack.model import Requirement
from emrtrack.output.columns import sheet_columns
from emrtrack.output.text import describe_cohort, grouped, ownership_label, safe, spreadsheet_safe
from emrtrack.views import Counts, Provenance, ReportView, StatusView

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


def _requirement_items(req: Requirement) -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = [(_("Requirement"), req.id)]
    if req.title:
        items.append((_("Title"), req.title))
    if len(req.cohorts) == 1 and req.cohorts[0].selector.is_everything:
        items.append((_("Deadline"), req.cohorts[0].deadline))
    else:
        for i, c in enumerate(req.cohorts):
            items.append((f"{_('Deadline')} ({describe_cohort(c.selector, i)})", c.deadline))
    return items


def write_report_xlsx(view: ReportView, out: Path | IO[bytes]) -> None:
    """One sheet per requirement, grouped as the table is (ownership, public first, by default)."""
    from openpyxl import Workbook

    provenance = _provenance(view.provenance)
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    group, columns = sheet_columns(view.group_by)
    for part in view.parts:
        req = part.requirement
        sheet = _Sheet(wb.create_sheet(sheet_title(req.id, taken)))
        if provenance.register_name:
            sheet.put([provenance.register_name], bold=True, fit=False)
        sheet.header_block(
            _requirement_items(req)
            + [(_("Facilities listed"), view.selection.label()), (_("Count"), part.count)]
            + _provenance_items(provenance)
        )
        sheet.table_header(([group.header()] if group else []) + ["#"] + [c.header() for c in columns])
        for _key, rows in grouped(part.rows, view.group_by):
            for i, s in enumerate(rows, 1):
                values: list[Any] = [group.sheet(s)] if group and group.sheet else []
                values.append(i)
                values += [c.sheet(s) for c in columns if c.sheet]
                sheet.put(values)
        sheet.finish()
    if not view.parts:
        wb.create_sheet("-")
    wb.save(out)


def _counts(c: Counts) -> list[Any]:
    return [c.in_scope, c.deployed_on_time, c.deployed_late, c.overdue, c.not_yet_due, round(c.compliance, 3)]


def write_status_xlsx(view: StatusView, out: Path | IO[bytes]) -> None:
    """The status table (per requirement and deadline) and the split by ownership, on one sheet."""
    from openpyxl import Workbook

    provenance = _provenance(view.provenance)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Status")
    sheet = _Sheet(ws)
    if provenance.register_name:
        sheet.put([provenance.register_name], bold=True, fit=False)
    sheet.header_block(_provenance_items(provenance))
    counts = [_("In scope"), _("On time"), _("Late"), _("Overdue"), _("Not yet due"), _("Compliance")]
    sheet.table_header([_("Requirement"), _("Applies to"), _("Deadline"), *counts])
    for s in view.statuses:
        for i, c in enumerate(s.cohorts):
            sheet.put([s.requirement.id, describe_cohort(c.selector, i), c.deadline, *_counts(c.counts)])
    sheet.row += 1
    sheet.put([_("Requirement"), _("Ownership"), "", *counts], bold=True)
    for s in view.statuses:
        for o, by_ownership in s.by_ownership.items():
            sheet.put([s.requirement.id, ownership_label(o), "", *_counts(by_ownership)])
    sheet.finish()
    ws.auto_filter.ref = None
    wb.save(out)


def _provenance(provenance: Provenance | None) -> Provenance:
    if provenance is None:
        raise ValueError("a spreadsheet needs the view's provenance")
    return provenance
