"""Rich tables for people: status and a report (one facility and the history: output.record_tables); and the
console they are drawn on.

Each writer takes what it renders and a text stream, and draws on a console made for that stream. Rich is
imported inside the functions that draw, so that commands that draw no table start without it. Text from
the register is shown literally: never read as Rich markup, its control characters escaped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from emrtrack.i18n import _, fmt_date, fmt_number, milestone_label, ngettext
from emrtrack.output import wording
from emrtrack.output.columns import ReportColumn, Shown, mark, table_columns
from emrtrack.output.text import (
    count_labels,
    count_values,
    days_phrase,
    deadlines_text,
    describe_cohort,
    group_title,
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
from emrtrack.views import Counts, ReportPart, ReportView, StatusView

if TYPE_CHECKING:  # Rich is imported by the functions that draw tables: other outputs start without it
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

FAST_ROWS = 100


def make_console(out: IO[str] | None = None) -> Console:
    """A console on `out` (standard output by default) for tables: no highlighting, no soft wrapping; on a
    file or a pipe (with $COLUMNS unset) 200 columns wide, so that tables take the width their content needs.
    A write to a closed pipe raises BrokenPipeError, as any other write would."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # handled at the command line's boundary, like any other closed pipe

    console = _Console(file=out, highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 200  # a file or a pipe: let tables take the width their content needs
    return console


def cell(text: str | None) -> Text:
    """Register text as a table cell: shown literally, its control characters escaped."""
    from rich.text import Text

    return Text(safe(text))


# -- status ----------------------------------------------------------------------------------------
def _count_columns(table: Table, unconfirmed: bool) -> None:
    for name in count_labels(unconfirmed):
        table.add_column(name, justify="right")


def _count_cells(c: Counts, unconfirmed: bool) -> list[str]:
    return [*map(str, count_values(c, unconfirmed)), f"{fmt_number(c.compliance_pct)}%"]


def write_status_table(view: StatusView, out: IO[str]) -> None:
    """Counts by state per requirement, obligation and deadline, the same by ownership, milestones, data age
    and notes."""
    from rich.table import Table
    from rich.text import Text

    console, as_of = make_console(out), view.as_of
    with_milestone, unconfirmed = status_layout(view)
    title = _("{register}: status as of {date}").format(
        register=safe(view.register_name) or _("EMR register"), date=fmt_date(as_of)
    )
    table = Table(title=title, title_justify="left")
    table.add_column(_("Requirement"))
    if with_milestone:
        table.add_column(_("Milestone"))
    table.add_column(_("Applies to"))
    table.add_column(_("Deadline"))
    table.add_column(_("Days"), justify="right")
    _count_columns(table, unconfirmed)
    for s in view.statuses:
        for o in obligation_statuses(s):
            label = [cell(milestone_label(o.obligation.milestone, view.milestones))] if with_milestone else []
            for i, c in enumerate(o.cohorts):
                table.add_row(
                    cell(requirement_name(s.requirement)),
                    *label,
                    describe_cohort(c.selector, i, o.obligation.applies_to),
                    fmt_date(c.deadline),
                    days_phrase(c.deadline, as_of),
                    *_count_cells(c.counts, unconfirmed),
                )
    console.print(table)
    for line in plan_notes(view):
        console.print(Text(safe(line)))
    split = Table(title=_("By ownership"), title_justify="left")
    split.add_column(_("Requirement"))
    if with_milestone:
        split.add_column(_("Milestone"))
    split.add_column(_("Ownership"))
    _count_columns(split, unconfirmed)
    for s in view.statuses:
        for o in obligation_statuses(s):
            label = [cell(milestone_label(o.obligation.milestone, view.milestones))] if with_milestone else []
            for own, counts in o.by_ownership.items():
                split.add_row(
                    cell(requirement_name(s.requirement)),
                    *label,
                    ownership_label(own),
                    *_count_cells(counts, unconfirmed),
                )
    console.print(split)
    for s in view.statuses:
        funnel = " · ".join(f"{milestone_label(m, view.milestones)} {n}" for m, n in s.funnel.items())
        line = ngettext(
            "{id}: milestones reached by {n} facility in scope: {funnel}.",
            "{id}: milestones reached by {n} facilities in scope: {funnel}.",
            s.total.in_scope,
        ).format(id=s.requirement.id, n=s.total.in_scope, funnel=funnel)
        if s.oldest_data and s.median_data:
            line = line + _(
                " Data last confirmed: oldest {oldest} ({oldest_days} days ago), "
                "median {median} ({median_days} days ago)"
            ).format(
                oldest=fmt_date(s.oldest_data),
                oldest_days=(as_of - s.oldest_data).days,
                median=fmt_date(s.median_data),
                median_days=(as_of - s.median_data).days,
            )
            line += _("; {n} never confirmed.").format(n=s.never_verified) if s.never_verified else "."
        console.print(Text(safe(line)))
    if view.notes:
        console.print(Text(_("Notes:"), style="bold"))
        for note in view.notes:
            console.print(Text(f"- {safe(note)}"))


# -- report ----------------------------------------------------------------------------------------
def report_heading(view: ReportView, part: ReportPart) -> str:
    """A report part's heading: how many listed against what, as of the date; the obligation is named when
    it is not deployment, or when the report covers every obligation."""
    req, o = part.requirement, part.covers
    named = milestone_named(o.milestone, view.milestones)
    if named is None and view.every_obligation:
        named = milestone_label(o.milestone, view.milestones)
    return wording.heading(
        view.selection, part.count, req.id, deadlines_text(req, o), view.as_of, binding=req.binding, milestone=named
    )


def write_report_table(view: ReportView, out: IO[str]) -> None:
    """Per requirement (and obligation), a heading, a line for each bound the timing of some facilities is
    unconfirmed by, and one numbered table per group, at most `view.limit` rows in all."""
    from rich.table import Table
    from rich.text import Text

    console = make_console(out)
    group_by, selection, limit = view.group_by, view.selection, view.limit
    for part in view.parts:
        req, count = part.requirement, part.count
        console.print(Text(safe(report_heading(view, part)), style="bold"))
        for line in unconfirmed_lines(part, view.milestones):
            console.print(Text(safe(line)))
        if not count:
            console.print(wording.none_listed(selection))
            continue
        shown = 0
        groups = list(grouped(part.rows, group_by))
        seen = [s for _k, g in groups for s in g]
        said = frozenset((bound, source) for bound, source, _n in part.unconfirmed)
        context = Shown(view.as_of, selection, view.milestones, part.covers.milestone, req.binding, said)
        context = context.with_notes(seen)
        columns = table_columns(group_by, selection, seen)
        getters = [(c.cell, c.literal) for c in columns if c.cell is not None]
        truncated = limit is not None and count > len(seen)
        for n, (key, group) in enumerate(groups, 1):
            size = _("{n} shown").format(n=len(group)) if truncated and n == len(groups) else str(len(group))
            title = f"{group_title(key, group_by)} ({size})" if group_by != "none" else None

            def new_table(
                title: str | None = title, columns: list[ReportColumn] = columns, context: Shown = context
            ) -> Table:
                table = Table(title=title, title_justify="left")
                table.add_column("#", justify="right")
                for c in columns:
                    table.add_column(c.header(context), justify="right" if c.right else "left")
                return table

            rows: list[list[str | Text]] = []
            for i, s in enumerate(group, 1):
                row: list[str | Text] = [str(i)]
                for get, literal in getters:
                    value = get(s, context)
                    row.append(cell(value) if literal else value)
                rows.append(row)
            print_rows(console, new_table, rows)
            shown += len(group)
        for source, n in context.notes.items():
            console.print(Text(f"{mark(n)} " + safe(_("Source: {source}").format(source=source))))
        if limit is not None and count > shown:
            console.print(
                _(
                    "... and {n} more not shown (--limit {limit}). "
                    "Use --all to list every one, or --format csv or json for a file."
                ).format(n=count - shown, limit=limit)
            )


def print_rows(console: Console, new_table: Callable[[], Table], rows: list[list[str | Text]]) -> None:
    """Print a table exactly as Rich would, but fast for many rows.

    Rich lays out and renders each cell on its own, which takes seconds for ten thousand rows. Its
    layout depends only on each column's widest cell and longest word: so Rich renders the frame
    (title, header, borders, column widths) around two rows made of those cells, and every row is
    then written the same way by hand, with Rich wrapping only the cells too wide for their column.
    The hand-written form of the two sample rows must equal Rich's lines, else Rich renders all."""
    from rich.text import Text

    table = new_table()
    if (
        len(rows) < FAST_ROWS
        or any(isinstance(c, Text) and c.spans for row in rows for c in row)
        or any(isinstance(c, str) and ("[" in c or ":" in c) for row in rows for c in row)
    ):
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    from rich.cells import cell_len

    texts = [[c.plain if isinstance(c, Text) else c for c in row] for row in rows]
    sizes = [[cell_len(c) for c in row] for row in texts]
    ncols = len(table.columns)
    words = [[max(map(cell_len, c.split()), default=0) for c in row] for row in texts]
    widest = [max(range(len(rows)), key=[row[j] for row in sizes].__getitem__) for j in range(ncols)]
    longest_word = [max(range(len(rows)), key=[row[j] for row in words].__getitem__) for j in range(ncols)]
    samples = [[texts[r][j] for j, r in enumerate(widest)], [texts[r][j] for j, r in enumerate(longest_word)]]
    for sample in samples:
        table.add_row(*(Text(c) for c in sample))
    with console.capture() as capture:
        console.print(table)
    frame = capture.get().split("\n")
    top = next((line for line in frame if line.startswith("┏") and line.endswith("┓")), None)
    widths = [len(part) - 2 for part in top[1:-1].split("┳")] if top else []
    columns = table.columns

    def lines_of(row: list[str], row_sizes: list[int]) -> list[str]:
        cells: list[list[str]] = []
        for text, size, width, col in zip(row, row_sizes, widths, columns, strict=False):
            if size <= width and "\n" not in text:
                pad = " " * (width - size)
                cells.append([f" {pad}{text} " if col.justify == "right" else f" {text}{pad} "])
            else:  # too wide for its column: Rich's own wrapping, as in the whole table
                wrapped = Text(text).wrap(
                    console, width, justify=col.justify, overflow=col.overflow, no_wrap=bool(col.no_wrap)
                )
                cells.append([f" {line.plain}{' ' * (width - cell_len(line.plain))} " for line in wrapped])
        height = max(len(c) for c in cells)
        return [
            "│" + "│".join(c[i] if i < len(c) else " " * (w + 2) for c, w in zip(cells, widths, strict=False)) + "│"
            for i in range(height)
        ]

    if len(widths) == ncols:
        mine = [line for sample in samples for line in lines_of(sample, [cell_len(c) for c in sample])]
        at = [i for i in range(len(frame) - len(mine) + 1) if frame[i : i + len(mine)] == mine]
    else:
        at = []
    if len(at) != 1:
        table = new_table()
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    out = console.file
    out.write("\n".join(frame[: at[0]]) + "\n")
    for start in range(0, len(rows), 1000):
        out.write(
            "\n".join(line for i in range(start, min(start + 1000, len(rows))) for line in lines_of(texts[i], sizes[i]))
            + "\n"
        )
    out.write("\n".join(frame[at[0] + len(mine) :]))
    out.flush()


# -- one facility, the history ---------------------------------------------------------------------
