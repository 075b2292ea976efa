"""A picture of progress: facilities deployed over time against those in scope, the deadline, a forecast.

The data (views.Progress) is computed by the service; it is drawn here as text for the terminal or as a
self-contained SVG (optionally wrapped in an HTML page) to attach to a letter. Each writer takes the
progress and a text stream (or a path, for a file).
"""

from __future__ import annotations

import os
import shutil
import textwrap
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import IO

from emrtrack.i18n import _, fmt_date, fmt_int, fmt_number, ngettext
from emrtrack.output import svg_chart
from emrtrack.views import PACE_WEEKS, Progress


def summary(p: Progress) -> list[str]:
    pct = round(100 * p.done / p.in_scope, 1) if p.in_scope else 0.0
    lines = [
        _("{id}: {done} of {total} facilities in scope have deployed EMR ({pct}%) as of {date}.").format(
            id=p.requirement.id,
            done=fmt_int(p.done),
            total=fmt_int(p.in_scope),
            pct=fmt_number(pct),
            date=fmt_date(p.as_of),
        )
    ]
    dates = ", ".join(fmt_date(d) for d in p.deadlines)
    lines.append((_("Deadline: {dates}.") if p.requirement.binding else _("Target date: {dates}.")).format(dates=dates))
    if p.in_scope and p.done >= p.in_scope:
        lines.append(_("100% reached on {date}.").format(date=fmt_date(p.forecast)))
    elif p.forecast is None:
        lines.append(
            ngettext(
                "Forecast: no progress in {weeks} week.", "Forecast: no progress in {weeks} weeks.", PACE_WEEKS
            ).format(weeks=PACE_WEEKS)
        )
    else:
        lines.append(
            _("Forecast: at the pace of the last {weeks} weeks ({pace} a week), 100% on {date}.").format(
                weeks=PACE_WEEKS, pace=fmt_number(p.pace_per_week, 2, trim=True), date=fmt_date(p.forecast)
            )
        )
    return lines


# -- text ----------------------------------------------------------------------------------------
def _y_labels(in_scope: int, height: int) -> dict[int, str]:
    """The y axis's labels by row (0: the top): the in-scope count at the top, 0 at the bottom, and a value
    between them on a row near the middle, a whole one where some row stands for one exactly."""
    labels = {0: fmt_int(in_scope), height - 1: "0"}
    if in_scope < 2 or height < 5:
        return labels
    rows = sorted(range(2, height - 2), key=lambda y: abs(y - height // 2))
    exact = [y for y in rows if (height - y) * in_scope % height == 0]
    y = exact[0] if exact else height // 2
    value = round((height - y) * in_scope / height)
    if 0 < value < in_scope:
        labels[y] = fmt_int(value)
    return labels


def _wrapped(line: str, columns: int | None, parts: str | None = None) -> list[str]:
    """A line wrapped at words to `columns` (None: as it is); with `parts`, between the parts it separates first."""
    if columns is None or len(line) <= columns:
        return [line]
    if parts is None:
        return textwrap.wrap(line, columns, break_long_words=False, break_on_hyphens=False) or [line]
    lines: list[str] = []
    for part in line.split(parts):
        if lines and len(lines[-1]) + len(parts) + len(part) <= columns:
            lines[-1] += parts + part
        else:
            lines.extend(_wrapped(part, columns))
    return lines


def _rows(n: float, top: int, height: int) -> int:
    """How many of `height` rows a count of `top` fills: at least one for any count above 0, all of them only
    for `top` itself."""
    rows = round(n / top * height)
    if n > 0:
        rows = max(rows, 1)
    if n < top:
        rows = min(rows, height - 1)
    return rows


def text(p: Progress, width: int = 60, height: int = 10, columns: int | None = None) -> str:
    """A text chart: █ deployed (a date known only as "on or before" it drawn at that date, as the legend
    says), ─ in scope, │ deadline, · forecast, ▲ as-of date; `width` columns of plot, fewer when the
    terminal's `columns` (None: no limit) leave less room, every line fitting in them."""
    labels = _y_labels(p.in_scope, height)
    label_width = max(map(len, labels.values()))
    if columns is not None:
        width = max(min(width, columns - label_width - 2), 20)
    span = max((p.end - p.start).days, 1)
    top = max(p.in_scope, 1)

    def col(day: date) -> int:
        return round((day - p.start).days / span * (width - 1))

    grid = [[" "] * width for _ in range(height)]
    for x in range(width):
        day = p.start + timedelta(days=round(x / (width - 1) * span))
        if day <= p.as_of:
            filled = _rows(p.deployed_by(day), top, height)
            for y in range(filled):
                grid[height - 1 - y][x] = "█"
        elif p.forecast is not None and p.done < p.in_scope:
            total = max((p.forecast - p.as_of).days, 1)
            share = min((day - p.as_of).days / total, 1.0)
            level = _rows(p.done + share * (p.in_scope - p.done), top, height)
            if level > 0:
                grid[height - level][x] = "·"
    for x in range(width):
        if grid[0][x] == " ":
            grid[0][x] = "─"
    for d in p.deadlines:
        x = col(d)
        for y in range(height):
            if grid[y][x] in (" ", "─"):
                grid[y][x] = "│"
    lines = []
    for y, row in enumerate(grid):
        label = labels.get(y, "")
        lines.append(f"{label:>{label_width}} ┤{''.join(row)}")
    axis = [" "] * width
    axis[col(p.as_of)] = "▲"
    lines.append(" " * label_width + " └" + "─" * width)
    lines.append(" " * label_width + "  " + "".join(axis))
    left, right = fmt_date(p.start), fmt_date(p.end)
    lines.append(" " * label_width + "  " + left + " " * max(width - len(left) - len(right), 1) + right)
    if p.bounded:
        deployed = ngettext(
            "deployed ({n} known only as on or before a date: drawn at that date)",
            "deployed ({n} known only as on or before a date: drawn at that date)",
            p.bounded,
        ).format(n=fmt_int(p.bounded))
    else:
        deployed = _("deployed")
    legend = _("█ {deployed}  ─ in scope ({n})  │ {deadline}  · forecast  ▲ {date}").format(
        deployed=deployed,
        n=fmt_int(p.in_scope),
        deadline=_("deadline") if p.requirement.binding else _("target date"),
        date=fmt_date(p.as_of),
    )
    said = [w for line in summary(p) for w in _wrapped(line, columns)]
    return "\n".join([*said, "", *lines, "", *_wrapped(legend, columns, "  ")])


# -- SVG ---------------------------------------------------------------------------------------
def svg(p: Progress, width: int = 800) -> str:
    """The chart as an SVG picture, `width` wide (see svg_chart)."""
    return svg_chart.svg(p, summary(p), width)


def html(p: Progress) -> str:
    title = escape(_("EMR deployment against {id}").format(id=p.requirement.id))
    return (
        f'<!DOCTYPE html>\n<html lang="{_("en")}">\n<head><meta charset="utf-8"><title>{title}</title></head>\n'
        f"<body>\n{svg(p)}</body>\n</html>\n"
    )


# -- writers -------------------------------------------------------------------------------------
def _write(content: str, out: Path | IO[str]) -> None:
    if isinstance(out, Path):
        out.write_text(content, encoding="utf-8")
    else:
        out.write(content)


def write_chart_text(p: Progress, out: IO[str]) -> None:
    """The text chart, for the terminal: as wide as it is (or $COLUMNS says), at most 60 columns of plot."""
    tty = getattr(out, "isatty", lambda: False)()
    columns = shutil.get_terminal_size().columns if tty or "COLUMNS" in os.environ else None
    out.write(text(p, columns=columns) + "\n")
    out.flush()


def write_chart_svg(p: Progress, out: Path | IO[str]) -> None:
    """The chart as a self-contained SVG."""
    _write(svg(p), out)


def write_chart_html(p: Progress, out: Path | IO[str]) -> None:
    """The chart as an HTML page holding the SVG."""
    _write(html(p), out)
