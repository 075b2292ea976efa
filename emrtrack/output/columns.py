"""The report's columns, defined once: the JSON and CSV fields, the table's columns and the spreadsheet's are
all read from REPORT_COLUMNS.

The tuple is in the order of the machine formats (JSON keys, CSV columns): a key added later comes last, so
that the earlier ones keep their place. Tables and spreadsheets show the columns that have a label, the row
number first, then the `first` column (the facility's name), then the others in this order; a column that
names the group (ownership, kind) is left out of a table grouped by it, and opens a spreadsheet grouped by
it; a column with `needed` is shown only when some row of the part needs it (a date known only as "on or
before" it, a source), so that a report of a register without them looks as it always has. A table
footnotes the sources of dates (see `Shown`); a spreadsheet gives them a column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from emrtrack.i18n import N_, _, fmt_date, fmt_int, milestone_label
from emrtrack.model import DEFAULT_MILESTONE_DEFS, DEPLOYED, MilestoneDef, Reached, Selection, Standing, State
from emrtrack.output import wording
from emrtrack.output.text import (
    basis_text,
    capitalised,
    iso,
    kind_label,
    ownership_label,
    reached_cell,
    standing_state,
)


def _always(selection: Selection) -> bool:
    return True


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def mark(n: int) -> str:
    """A footnote's mark: ¹, ², ³..."""
    return str(n).translate(_SUPERSCRIPT)


@dataclass(frozen=True)
class Shown:
    """What a people's format shows a report part against: the date, the selection, the register's
    milestone vocabulary, and the obligation covered (its milestone, and whether its document binds).

    A table says each source of a date once: in a line under its heading for the bounds the timing of some
    facilities is unconfirmed by (`said`: those bounds and sources), else as a footnote (`notes`: each
    source's number), marked beside the date."""

    as_of: date
    selection: Selection
    vocabulary: tuple[MilestoneDef, ...] = DEFAULT_MILESTONE_DEFS
    milestone: str = DEPLOYED
    binding: bool = True
    said: frozenset[tuple[date, str | None]] = frozenset()
    notes: dict[str, int] = field(default_factory=dict)

    def footnoted(self, r: Reached | None) -> str | None:
        """The source a table footnotes for a date (None: none, or said under the heading)."""
        if r is None or r.source is None or (r.date, r.source) in self.said:
            return None
        return r.source

    def with_notes(self, rows: Sequence[Standing]) -> Shown:
        """The same, numbering the sources the `rows` footnote, in order of appearance."""
        notes: dict[str, int] = {}
        for s in rows:
            source = self.footnoted(s.reached)
            if source is not None and source not in notes:
                notes[source] = len(notes) + 1
        return dataclasses.replace(self, notes=notes)


@dataclass(frozen=True)
class ReportColumn:
    """One column of a report, in each format that has it."""

    key: str | None  # the field in JSON (and CSV, unless `csv` is False); None: only people's formats have it
    label: str | None  # its header in tables and spreadsheets (an N_ message); None: only machine formats have it
    field: Callable[[Standing], Any] | None = None  # its value in JSON and CSV
    cell: Callable[[Standing, Shown], str] | None = None  # its text in a table; None: not in tables
    sheet: Callable[[Standing, Shown], Any] | None = None  # its value in a spreadsheet (real dates, numbers)
    literal: bool = False  # text from the register: a table shows it literally, never as markup
    groups: str | None = None  # the --group-by value whose groups it names
    first: bool = False  # tables and spreadsheets show it first, after the row number
    right: bool = False  # right-justified in a table
    in_table: Callable[[Selection], bool] = _always  # whether a table of this selection shows it
    heading: Callable[[Shown], str] | None = None  # its header, when what the part covers words it
    csv: bool = True  # CSV has it too (JSON has every keyed column)
    needed: Callable[[Standing], bool] | None = None  # people's formats show it only when some row needs it
    drop: int | None = None  # a narrow table leaves it out, the lowest first; None: never left out
    whole: bool = False  # a table never wraps it (a date, a number): it keeps its width

    def header(self, shown: Shown | None = None) -> str:
        """Its header: in a table or a spreadsheet of a part covering `shown` (None: a binding document's
        deployment, all in scope)."""
        if self.heading is not None:
            return self.heading(shown or Shown(date.min, Selection()))
        return _(self.label) if self.label else ""


def _days_cell(s: Standing, shown: Shown) -> str:
    days = wording.days_shown(shown.selection, s, shown.as_of)
    return "" if days is None else fmt_int(days)


def _days_heading(shown: Shown) -> str:
    return wording.days_label(shown.selection, binding=shown.binding)


def _latest_reached(s: Standing) -> Reached | None:
    if not s.latest_milestone:
        return None
    known = s.milestones.get(s.latest_milestone)
    if known is not None and known.date == s.latest_milestone_date:
        return known
    return Reached(s.latest_milestone_date) if s.latest_milestone_date else None


def _in_latest(s: Standing) -> bool:
    """Whether the latest milestone a row shows is the obligation's own (then it needs no column of its own)."""
    return s.reached is not None and s.latest_milestone == s.milestone and s.latest_milestone_date == s.reached.date


def _latest_cell(s: Standing, shown: Shown) -> str:
    if not s.latest_milestone:
        return _("none")
    text = f"{milestone_label(s.latest_milestone, shown.vocabulary)} {reached_cell(_latest_reached(s))}".rstrip()
    source = shown.footnoted(s.reached) if _in_latest(s) else None
    return text if source is None else f"{text} {mark(shown.notes[source])}"


def _sheet_date(r: Reached | None) -> Any:
    """A date in a spreadsheet: a real date when exact, else its text ("≤ 24/09/2025")."""
    if r is None:
        return None
    return r.date if r.exact else reached_cell(r)


def _reached_table_cell(s: Standing, shown: Shown) -> str:
    source = shown.footnoted(s.reached)
    text = reached_cell(s.reached)
    return text if source is None else f"{text} {mark(shown.notes[source])}"


def _reached_heading(shown: Shown) -> str:
    return capitalised(milestone_label(shown.milestone, shown.vocabulary))


def _deployed(s: Standing) -> Reached | None:
    return s.reached if s.milestone == DEPLOYED else s.milestones.get(DEPLOYED)


REPORT_COLUMNS: tuple[ReportColumn, ...] = (
    ReportColumn(
        "id",
        N_("Id"),
        drop=1,
        literal=True,
        field=lambda s: s.facility.id,
        cell=lambda s, shown: s.facility.id,
        sheet=lambda s, shown: s.facility.id,
    ),
    ReportColumn(
        "name",
        N_("Facility"),
        literal=True,
        first=True,
        field=lambda s: s.facility.name,
        cell=lambda s, shown: s.facility.name,
        sheet=lambda s, shown: s.facility.name,
    ),
    ReportColumn(
        "ownership",
        N_("Ownership"),
        drop=4,
        groups="ownership",
        field=lambda s: s.facility.ownership,
        cell=lambda s, shown: ownership_label(s.facility.ownership),
        sheet=lambda s, shown: ownership_label(s.facility.ownership),
    ),
    ReportColumn(
        "kind",
        N_("Kind"),
        drop=2,
        groups="kind",
        field=lambda s: s.facility.kind,
        cell=lambda s, shown: kind_label(s.facility.kind),
        sheet=lambda s, shown: kind_label(s.facility.kind),
    ),
    ReportColumn(
        "deadline",
        N_("Deadline"),
        drop=7,
        whole=True,
        heading=lambda shown: _("Deadline") if shown.binding else _("Target date"),
        field=lambda s: iso(s.deadline),
        cell=lambda s, shown: fmt_date(s.deadline),
        sheet=lambda s, shown: s.deadline,
    ),
    ReportColumn(
        "state",
        N_("State"),
        drop=8,
        in_table=lambda sel: not sel.is_overdue,  # a list of the overdue: one state
        field=lambda s: "exempt" if s.exceptions.exemption else s.state.value,
        cell=lambda s, shown: standing_state(s),
        sheet=lambda s, shown: standing_state(s),
    ),
    ReportColumn(
        "days_overdue",
        N_("Days overdue"),
        whole=True,
        right=True,
        heading=_days_heading,
        field=lambda s: s.days_overdue,
        cell=_days_cell,
        sheet=lambda s, shown: s.days_overdue if s.state is State.OVERDUE else None,
    ),
    # the obligation's milestone where its date is not exact or has a source, and the latest milestone
    # does not show it; the source: footnoted in a table, a column of its own in a spreadsheet
    ReportColumn(
        None,
        N_("Reached"),
        drop=6,
        whole=True,
        heading=_reached_heading,
        cell=_reached_table_cell,
        sheet=lambda s, shown: _sheet_date(s.reached),
        needed=lambda s: (
            s.reached is not None and (not s.reached.exact or s.reached.source is not None) and not _in_latest(s)
        ),
    ),
    ReportColumn(
        None,
        N_("Source"),
        literal=True,
        sheet=lambda s, shown: s.reached.source if s.reached else None,
        needed=lambda s: s.reached is not None and s.reached.source is not None,
    ),
    ReportColumn(
        "latest_milestone",
        N_("Latest milestone"),
        drop=5,
        field=lambda s: s.latest_milestone,
        cell=_latest_cell,
        sheet=lambda s, shown: milestone_label(s.latest_milestone, shown.vocabulary) if s.latest_milestone else None,
    ),
    ReportColumn(None, N_("Milestone date"), sheet=lambda s, shown: _sheet_date(_latest_reached(s))),
    ReportColumn(
        "verified",
        N_("Verified"),
        drop=3,
        whole=True,
        field=lambda s: iso(s.facility.verified),
        cell=lambda s, shown: fmt_date(s.facility.verified) or _("never"),
        sheet=lambda s, shown: s.facility.verified,
    ),
    # machine formats only, from here on
    ReportColumn("deployed", None, field=lambda s: iso(r.date) if (r := _deployed(s)) else None),
    ReportColumn("days_late", None, field=lambda s: s.days_late),
    ReportColumn(
        "bound", None, field=lambda s: None if s.reached is None else "exact" if s.reached.exact else "on-or-before"
    ),
    ReportColumn("source", None, field=lambda s: s.reached.source if s.reached else None),
    ReportColumn("milestone", None, field=lambda s: s.milestone),
    ReportColumn("reached", None, field=lambda s: iso(s.reached.date) if s.reached else None),
    ReportColumn("binding", None, field=lambda s: s.binding, csv=False),
    # a facility's life and exceptions: shown only where some row has them
    ReportColumn(
        "original_deadline",
        N_("Original deadline"),
        whole=True,
        field=lambda s: iso(s.original_deadline),
        cell=lambda s, shown: fmt_date(s.original_deadline),
        sheet=lambda s, shown: s.original_deadline,
        needed=lambda s: s.original_deadline is not None,
    ),
    ReportColumn(
        "extended_by",
        N_("Extended by"),
        literal=True,
        field=lambda s: basis_text(e.basis) if (e := s.exceptions.extension) else None,
        cell=lambda s, shown: basis_text(e.basis) if (e := s.exceptions.extension) else "",
        sheet=lambda s, shown: basis_text(e.basis) if (e := s.exceptions.extension) else None,
        needed=lambda s: s.exceptions.extension is not None,
    ),
    ReportColumn(
        "committed",
        N_("Committed"),
        whole=True,
        field=lambda s: iso(e.on) if (e := s.exceptions.commitment) else None,
        cell=lambda s, shown: fmt_date(e.on) if (e := s.exceptions.commitment) else "",
        sheet=lambda s, shown: e.on if (e := s.exceptions.commitment) else None,
        needed=lambda s: s.exceptions.commitment is not None,
    ),
    ReportColumn(
        "exempt_until",
        N_("Exempt until"),
        whole=True,
        field=lambda s: iso(e.until) if (e := s.exceptions.exemption) else None,
        cell=lambda s, shown: (fmt_date(e.until) or _("no end")) if (e := s.exceptions.exemption) else "",
        sheet=lambda s, shown: e.until if (e := s.exceptions.exemption) else None,
        needed=lambda s: s.exceptions.exemption is not None,
    ),
    ReportColumn(
        "codes",
        N_("Code"),
        literal=True,
        csv=False,
        field=lambda s: dict(s.facility.codes),
        cell=lambda s, shown: " ".join(code for _scheme, code in s.facility.codes),
        sheet=lambda s, shown: " ".join(code for _scheme, code in s.facility.codes) or None,
        needed=lambda s: bool(s.facility.codes),
    ),
    ReportColumn(
        "managed_by",
        N_("Managed by"),
        literal=True,
        groups="managed-by",
        field=lambda s: s.facility.managed_by,
        sheet=lambda s, shown: s.facility.managed_by,
        needed=lambda s: False,
    ),
)

REPORT_FIELDS: tuple[str, ...] = tuple(c.key for c in REPORT_COLUMNS if c.key)  # JSON's keys
CSV_FIELDS: tuple[str, ...] = tuple(c.key for c in REPORT_COLUMNS if c.key and c.csv)  # CSV's columns
CSV_GETTERS: tuple[Callable[[Standing], Any], ...] = tuple(  # their values, in that order
    c.field for c in REPORT_COLUMNS if c.key and c.csv and c.field
)
_SHOWN = tuple(c for c in REPORT_COLUMNS if c.label and c.first) + tuple(
    c for c in REPORT_COLUMNS if c.label and not c.first
)


def standing_fields(s: Standing) -> dict[str, Any]:
    """A report's row as JSON gives it: every machine field, in order (CSV takes CSV_FIELDS of them)."""
    return {c.key: c.field(s) for c in REPORT_COLUMNS if c.key and c.field}


def _wanted(column: ReportColumn, rows: Sequence[Standing]) -> bool:
    needed = column.needed
    return needed is None or any(needed(s) for s in rows)


def table_columns(group_by: str, selection: Selection, rows: Sequence[Standing] = ()) -> list[ReportColumn]:
    """The columns of a report part's table (after the row number), in order, for its `rows`."""
    return [c for c in _SHOWN if c.cell and c.groups != group_by and c.in_table(selection) and _wanted(c, rows)]


def sheet_columns(group_by: str, rows: Sequence[Standing] = ()) -> tuple[ReportColumn | None, list[ReportColumn]]:
    """A report sheet's columns: the one naming the group (None when not grouped), which comes before the
    row number, and the others after it, in order, for its `rows`."""
    group = next((c for c in _SHOWN if c.sheet and c.groups == group_by), None)
    return group, [c for c in _SHOWN if c.sheet and c.groups != group_by and _wanted(c, rows)]
