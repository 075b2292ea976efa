"""The report's columns, defined once: the JSON and CSV fields, the table's columns and the spreadsheet's are
all read from REPORT_COLUMNS.

The tuple is in the order of the machine formats (JSON keys, CSV columns). Tables and spreadsheets show the
columns that have a label, the row number first, then the `first` column (the facility's name), then the
others in this order; a column that names the group (ownership, kind) is left out of a table grouped by it,
and opens a spreadsheet grouped by it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from emrtrack.i18n import N_, _, fmt_date, milestone_label
from emrtrack.model import Selection, Standing, State
from emrtrack.output.text import iso, kind_label, ownership_label, state_label


def _always(selection: Selection) -> bool:
    return True


@dataclass(frozen=True)
class ReportColumn:
    """One column of a report, in each format that has it."""

    key: str | None  # the field in JSON and CSV; None: only people's formats have it
    label: str | None  # its header in tables and spreadsheets (an N_ message); None: only machine formats have it
    field: Callable[[Standing], Any] | None = None  # its value in JSON and CSV
    cell: Callable[[Standing, date, Selection], str] | None = None  # its text in a table; None: not in tables
    sheet: Callable[[Standing], Any] | None = None  # its value in a spreadsheet (real dates, numbers)
    literal: bool = False  # text from the register: a table shows it literally, never as markup
    groups: str | None = None  # the --group-by value whose groups it names
    first: bool = False  # tables and spreadsheets show it first, after the row number
    right: bool = False  # right-justified in a table
    in_table: Callable[[Selection], bool] = _always  # whether a table of this selection shows it
    heading: Callable[[Selection], str] | None = None  # the table's header, when the selection words it

    def header(self, selection: Selection | None = None) -> str:
        """Its header: in a table of `selection`, or in a spreadsheet (no selection)."""
        if selection is not None and self.heading is not None:
            return self.heading(selection)
        return _(self.label) if self.label else ""


def _days_cell(s: Standing, as_of: date, selection: Selection) -> str:
    days = selection.days_shown(s, as_of)
    return "" if days is None else str(days)


def _latest_cell(s: Standing, as_of: date, selection: Selection) -> str:
    if not s.latest_milestone:
        return _("none")
    return f"{milestone_label(s.latest_milestone)} {fmt_date(s.latest_milestone_date)}"


REPORT_COLUMNS: tuple[ReportColumn, ...] = (
    ReportColumn(
        "id",
        N_("Id"),
        literal=True,
        field=lambda s: s.facility.id,
        cell=lambda s, as_of, sel: s.facility.id,
        sheet=lambda s: s.facility.id,
    ),
    ReportColumn(
        "name",
        N_("Facility"),
        literal=True,
        first=True,
        field=lambda s: s.facility.name,
        cell=lambda s, as_of, sel: s.facility.name,
        sheet=lambda s: s.facility.name,
    ),
    ReportColumn(
        "ownership",
        N_("Ownership"),
        groups="ownership",
        field=lambda s: s.facility.ownership,
        cell=lambda s, as_of, sel: ownership_label(s.facility.ownership),
        sheet=lambda s: ownership_label(s.facility.ownership),
    ),
    ReportColumn(
        "kind",
        N_("Kind"),
        groups="kind",
        field=lambda s: s.facility.kind,
        cell=lambda s, as_of, sel: kind_label(s.facility.kind),
        sheet=lambda s: kind_label(s.facility.kind),
    ),
    ReportColumn(
        "deadline",
        N_("Deadline"),
        field=lambda s: iso(s.deadline),
        cell=lambda s, as_of, sel: fmt_date(s.deadline),
        sheet=lambda s: s.deadline,
    ),
    ReportColumn(
        "state",
        N_("State"),
        in_table=lambda sel: not sel.is_overdue,  # a list of the overdue: one state
        field=lambda s: s.state.value,
        cell=lambda s, as_of, sel: state_label(s.state),
        sheet=lambda s: state_label(s.state),
    ),
    ReportColumn(
        "days_overdue",
        N_("Days overdue"),
        right=True,
        heading=Selection.days_label,
        field=lambda s: s.days_overdue,
        cell=_days_cell,
        sheet=lambda s: s.days_overdue if s.state is State.OVERDUE else None,
    ),
    ReportColumn(
        "latest_milestone",
        N_("Latest milestone"),
        field=lambda s: s.latest_milestone,
        cell=_latest_cell,
        sheet=lambda s: milestone_label(s.latest_milestone) if s.latest_milestone else None,
    ),
    ReportColumn(None, N_("Milestone date"), sheet=lambda s: s.latest_milestone_date),
    ReportColumn(
        "verified",
        N_("Verified"),
        field=lambda s: iso(s.facility.verified),
        cell=lambda s, as_of, sel: fmt_date(s.facility.verified) or _("never"),
        sheet=lambda s: s.facility.verified,
    ),
    ReportColumn("deployed", None, field=lambda s: iso(s.deployed)),
)

REPORT_FIELDS: tuple[str, ...] = tuple(c.key for c in REPORT_COLUMNS if c.key)
_SHOWN = tuple(c for c in REPORT_COLUMNS if c.label and c.first) + tuple(
    c for c in REPORT_COLUMNS if c.label and not c.first
)


def standing_fields(s: Standing) -> dict[str, Any]:
    """A report's row as JSON and CSV give it: every machine field, in order."""
    return {c.key: c.field(s) for c in REPORT_COLUMNS if c.key and c.field}


def table_columns(group_by: str, selection: Selection) -> list[ReportColumn]:
    """The columns of a report's table (after the row number), in order."""
    return [c for c in _SHOWN if c.cell and c.groups != group_by and c.in_table(selection)]


def sheet_columns(group_by: str) -> tuple[ReportColumn | None, list[ReportColumn]]:
    """A report sheet's columns: the one naming the group (None when not grouped), which comes before the
    row number, and the others after it, in order."""
    group = next((c for c in _SHOWN if c.sheet and c.groups == group_by), None)
    return group, [c for c in _SHOWN if c.sheet and c.groups != group_by]
