"""Rich tables for people: status and a report (one facility and the history: output.record_tables); and the
console they are drawn on.

Each writer takes what it renders and a text stream, and draws on a console made for that stream. Rich is
imported inside the functions that draw, so that commands that draw no table start without it. Text from
the register is shown literally: never read as Rich markup, its control characters escaped.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, cast

from emrtrack.i18n import _, fmt_date, fmt_int, fmt_percent, milestone_label, ngettext
from emrtrack.output import wording
from emrtrack.output.columns import Shown, mark, table_columns
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
STATUS_BLOCKS = 100  # a status narrower than this shows a block per requirement, not a table of ten columns
SHORT_CELL = 12  # a narrowed table keeps a cell up to this wide on one line ("bệnh viện", "chưa có")
NAME_WIDTH = 22  # the width a facility's name keeps in a narrowed table before other columns may stay


class _NoTrailingSpaces:
    """A text stream that drops the spaces Rich pads a wrapped or titled line with before its end, so that
    what is copied into a letter or compared in a file has none. Everything else is the stream's own."""

    def __init__(self, out: IO[str]):
        self._out, self._pending = out, ""

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        if lines:
            self._out.write("\n".join(line.rstrip(" ") for line in lines) + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._out.write(self._pending)
            self._pending = ""
        self._out.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding... as the stream has them
        return getattr(self._out, name)


def make_console(out: IO[str] | None = None) -> Console:
    """A console on `out` (standard output by default) for tables: no highlighting, no soft wrapping; on a
    file or a pipe (with $COLUMNS unset) 200 columns wide, so that tables take the width their content needs.
    A write to a closed pipe raises BrokenPipeError, as any other write would."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # handled at the command line's boundary, like any other closed pipe

    console = _Console(file=cast("IO[str]", _NoTrailingSpaces(out or sys.stdout)), highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 200  # a file or a pipe: let tables take the width their content needs
    return console


def fit_columns(
    width: int,
    headers: list[str],
    rows: list[list[str]],
    drop: list[int | None],
    whole: list[bool],
    at_least: dict[int, int] | None = None,
) -> tuple[list[int], list[int] | None]:
    """Which columns of a boxed table fit in `width` columns, and their widths.

    A column's narrowest width is its longest word (header included), a cell of up to SHORT_CELL columns
    kept on one line ("bệnh viện"), or its widest cell when it is `whole` (a date, a number: never wrapped);
    while those of the columns kept, with their padding and borders, do
    not fit, the column with the lowest `drop` goes (None: never). Returns the indexes of the columns kept
    and their widths: None when they fit as wide as their content (Rich lays them out as it always has),
    else each at least its narrowest, the room left shared among the columns that wrap, each in proportion
    to what it lacks. `at_least`: the width a column (a facility's name) keeps, up to its widest, before
    another column may stay."""
    from rich.cells import cell_len

    def words(text: str) -> int:
        return max(map(cell_len, text.split()), default=0)

    def lines(text: str) -> int:
        return max(map(cell_len, text.split("\n")), default=0)

    def least(text: str, whole: bool) -> int:
        return lines(text) if whole else min(lines(text), max(words(text), SHORT_CELL))

    n = len(headers)
    widest = [max([lines(headers[j]), *(lines(r[j]) for r in rows)]) for j in range(n)]
    narrowest = [max([words(headers[j]), *(least(r[j], whole[j]) for r in rows)]) for j in range(n)]
    for j, kept in (at_least or {}).items():
        narrowest[j] = max(narrowest[j], min(widest[j], kept))
    keep = list(range(n))

    def frame(kept: list[int]) -> int:
        return 3 * len(kept) + 1

    while sum(narrowest[j] for j in keep) + frame(keep) > width:
        droppable = [j for j in keep if drop[j] is not None]
        if not droppable:
            break
        keep.remove(min(droppable, key=lambda j: drop[j] or 0))
    if sum(widest[j] for j in keep) + frame(keep) <= width:
        return keep, None
    widths = [narrowest[j] for j in keep]
    room = width - frame(keep) - sum(widths)
    while room > 0:
        # to the column that wraps (before one only its header wraps in) and lacks the largest share of what
        # it would need to be as wide as its content
        short = [
            (not whole[j], (widest[j] - widths[i]) / (widest[j] - narrowest[j]), widest[j] - widths[i], i)
            for i, j in enumerate(keep)
            if widths[i] < widest[j]
        ]
        if not short:
            break
        widths[max(short)[3]] += 1
        room -= 1
    return keep, widths


def fit_all(
    width: int, headers: list[str], rows: list[list[str]], whole: list[bool], at_least: dict[int, int] | None = None
) -> tuple[bool, list[int] | None]:
    """Whether every column of a boxed table fits in `width` (none cut, none left out), and their widths as
    fit_columns gives them."""
    keep, widths = fit_columns(width, headers, rows, [1] * len(headers), whole, at_least)
    return len(keep) == len(headers), widths


def _width(widths: list[int] | None, i: int) -> int | None:
    return None if widths is None else widths[i]


def left_out_line(names: list[str]) -> str:
    """The line under a narrowed table naming the columns it leaves out, and how to see them."""
    return _("Not shown at this width: {columns}. A wider terminal shows them, as does --format csv or json.").format(
        columns=", ".join(names)
    )


def cell(text: str | None) -> Text:
    """Register text as a table cell: shown literally, its control characters escaped."""
    from rich.text import Text

    return Text(safe(text))


def heading(text: str) -> Text:
    """A table's title, shown literally: a register's name or a facility's with `[` and `]` in it is text, never
    Rich markup."""
    from rich.text import Text

    return Text(safe(text), style="table.title")


# -- status ----------------------------------------------------------------------------------------
def _count_columns(table: Table, unconfirmed: bool) -> None:
    for name in count_labels(unconfirmed):
        table.add_column(name, justify="right")


def _count_cells(c: Counts, unconfirmed: bool) -> list[str]:
    return [*map(fmt_int, count_values(c, unconfirmed)), fmt_percent(c.compliance_pct)]


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
    main_headers = [_("Requirement"), *([_("Milestone")] if with_milestone else []), _("Applies to")]
    main_headers += [_("Deadline"), _("Days"), *count_labels(unconfirmed)]
    main_rows: list[list[str]] = []
    split_headers = [_("Requirement"), *([_("Milestone")] if with_milestone else []), _("Ownership")]
    split_headers += count_labels(unconfirmed)
    split_rows: list[list[str]] = []
    for s in view.statuses:
        for o in obligation_statuses(s):
            label = [safe(milestone_label(o.obligation.milestone, view.milestones))] if with_milestone else []
            for i, c in enumerate(o.cohorts):
                main_rows.append(
                    [
                        safe(requirement_name(s.requirement)),
                        *label,
                        describe_cohort(c.selector, i, o.obligation.applies_to),
                        fmt_date(c.deadline),
                        days_phrase(c.deadline, as_of),
                        *_count_cells(c.counts, unconfirmed),
                    ]
                )
            for own, counts in o.by_ownership.items():
                split_rows.append(
                    [
                        safe(requirement_name(s.requirement)),
                        *label,
                        ownership_label(own),
                        *_count_cells(counts, unconfirmed),
                    ]
                )
    named = 3 if with_milestone else 2  # the columns that name a row; the others: a date, days, counts
    main_fits, main_widths = fit_all(
        console.width, main_headers, main_rows, [False] * named + [True] * (len(main_headers) - named)
    )
    split_fits, split_widths = fit_all(
        console.width, split_headers, split_rows, [False] * named + [True] * (len(split_headers) - named)
    )
    if console.width < STATUS_BLOCKS or not (main_fits and split_fits):
        _status_blocks(console, view, title, with_milestone, unconfirmed)
        _status_lines(console, view)
        return
    table = Table(title=heading(title), title_justify="left")
    for i, name in enumerate(main_headers):
        right = i >= named + 2 or i == named + 1
        table.add_column(
            cell(name), justify="right" if right else "left", width=_width(main_widths, i), overflow="fold"
        )
    for row in main_rows:
        table.add_row(*(cell(v) if i < named else v for i, v in enumerate(row)))
    console.print(table)
    for line in plan_notes(view):
        console.print(Text(safe(line)))
    split = Table(title=heading(_("By ownership")), title_justify="left")
    for i, name in enumerate(split_headers):
        right = i >= named
        split.add_column(
            cell(name), justify="right" if right else "left", width=_width(split_widths, i), overflow="fold"
        )
    for row in split_rows:
        split.add_row(*(cell(v) if i < named - 1 else v for i, v in enumerate(row)))
    console.print(split)
    _status_lines(console, view)


def _packed(items: list[str], width: int, indent: str = "  ", more: str = "    ") -> list[str]:
    """Items ("On time: 0") on as few lines as fit in `width`, separated by " · ", never split; the first line
    indented by `indent`, the next ones by `more`."""
    from rich.cells import cell_len

    lines: list[str] = []
    for item in items:
        if lines and cell_len(lines[-1]) + 3 + cell_len(item) <= width:
            lines[-1] += " · " + item
        else:
            lines.append((more if lines else indent) + item)
    return lines


def _count_items(c: Counts, unconfirmed: bool) -> list[str]:
    labels = count_labels(unconfirmed)
    return [
        _("{label}: {value}").format(label=k, value=v)
        for k, v in zip(labels, _count_cells(c, unconfirmed), strict=True)
    ]


def _status_blocks(console: Console, view: StatusView, title: str, with_milestone: bool, unconfirmed: bool) -> None:
    """The status for a narrow terminal: one block per requirement, obligation and deadline, of label: value
    lines, and its counts by ownership."""
    from rich.text import Text

    width = console.width
    console.print(Text(title, style="bold"))
    for line in plan_notes(view):
        console.print(Text(safe(line)))
    for s in view.statuses:
        for o in obligation_statuses(s):
            head = safe(requirement_name(s.requirement))
            if with_milestone:
                head = f"{head} · {safe(milestone_label(o.obligation.milestone, view.milestones))}"
            for i, c in enumerate(o.cohorts):
                console.print()
                console.print(Text(f"{head} · {describe_cohort(c.selector, i, o.obligation.applies_to)}", style="bold"))
                deadline = f"{fmt_date(c.deadline)} ({days_phrase(c.deadline, view.as_of)})"
                for line in _packed([_("{label}: {value}").format(label=_("Deadline"), value=deadline)], width):
                    console.print(Text(line))
                for line in _packed(_count_items(c.counts, unconfirmed), width):
                    console.print(Text(line))
            if o.by_ownership:
                console.print()
                console.print(Text(f"{head} · {_('By ownership').lower()}", style="bold"))
            for own, counts in o.by_ownership.items():
                items = _count_items(counts, unconfirmed)
                for line in _packed([f"{ownership_label(own)} — {items[0]}", *items[1:]], width):
                    console.print(Text(line))
    console.print()


def _status_lines(console: Console, view: StatusView) -> None:
    """The lines under a status: milestones reached, data age, notes."""
    from rich.text import Text

    as_of = view.as_of
    for s in view.statuses:
        funnel = " · ".join(f"{milestone_label(m, view.milestones)} {fmt_int(n)}" for m, n in s.funnel.items())
        line = ngettext(
            "{id}: milestones reached by {n} facility in scope: {funnel}.",
            "{id}: milestones reached by {n} facilities in scope: {funnel}.",
            s.total.in_scope,
        ).format(id=s.requirement.id, n=fmt_int(s.total.in_scope), funnel=funnel)
        if s.oldest_data and s.median_data:
            line = line + _(
                " Data last confirmed: oldest {oldest} ({oldest_days} days ago), "
                "median {median} ({median_days} days ago)"
            ).format(
                oldest=fmt_date(s.oldest_data),
                oldest_days=fmt_int((as_of - s.oldest_data).days),
                median=fmt_date(s.median_data),
                median_days=fmt_int((as_of - s.median_data).days),
            )
            line += _("; {n} never confirmed.").format(n=fmt_int(s.never_verified)) if s.never_verified else "."
        console.print(Text(safe(line)))
        excepted = wording.exception_counts_line(s.requirement.id, s.exceptions)
        if excepted:
            console.print(Text(safe(excepted)))
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
        tables: list[tuple[str | None, list[list[str | Text]]]] = []
        for n, (key, group) in enumerate(groups, 1):
            size = (
                _("{n} shown").format(n=fmt_int(len(group))) if truncated and n == len(groups) else fmt_int(len(group))
            )
            title = f"{group_title(key, group_by)} ({size})" if group_by != "none" else None
            rows: list[list[str | Text]] = []
            for i, s in enumerate(group, 1):
                row: list[str | Text] = [str(i)]
                for get, literal in getters:
                    value = get(s, context)
                    row.append(cell(value) if literal else value)
                rows.append(row)
            tables.append((title, rows))
        headers = ["#", *(c.header(context) for c in columns)]
        every = [[c.plain if isinstance(c, Text) else c for c in row] for _t, rows in tables for row in rows]
        keep, widths = fit_columns(
            console.width,
            headers,
            every,
            [None, *(c.drop for c in columns)],
            [True, *(c.whole for c in columns)],
            {1: NAME_WIDTH},
        )
        right = [True, *(c.right for c in columns)]
        for title, rows in tables:

            def new_table(
                title: str | None = title,
                kept: list[tuple[str, bool, int | None]] = [  # noqa: B006 (read only)
                    (headers[j], right[j], _width(widths, i)) for i, j in enumerate(keep)
                ],
            ) -> Table:
                table = Table(title=heading(title) if title else None, title_justify="left")
                for header, on_right, width in kept:
                    table.add_column(
                        cell(header), justify="right" if on_right else "left", width=width, overflow="fold"
                    )
                return table

            print_rows(console, new_table, [[row[j] for j in keep] for row in rows])
            shown += len(rows)
        if len(keep) < len(headers):
            console.print(Text(left_out_line([headers[j] for j in range(len(headers)) if j not in keep])))
        visible = " ".join(str(row[j]) for _t, rows in tables for row in rows for j in keep)
        for source, n in context.notes.items():
            if f" {mark(n)}" in visible:  # its mark is in a column shown (a narrow table may leave it out)
                console.print(Text(f"{mark(n)} " + safe(_("Source: {source}").format(source=source))))
        if limit is not None and count > shown:
            console.print(
                _(
                    "... and {n} more not shown (--limit {limit}). "
                    "Use --all to list every one, or --format csv or json for a file."
                ).format(n=fmt_int(count - shown), limit=fmt_int(limit))
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
