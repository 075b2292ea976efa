"""The chart as a self-contained SVG: deployments as a step line against those in scope, month ticks (week or
day ticks on a short span) on the time axis, a labelled line for each deadline, the forecast and the as-of date.

Every text is laid out from an estimate of its width (chart_layout) that no sans-serif font exceeds, so each
lies inside the picture and the labels of the dated lines never overlap: they are stacked in rows above the plot.
The words (the summary sentences) come from chart.summary, passed in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from itertools import groupby

from emrtrack.i18n import _, fmt_date, fmt_int, ngettext
from emrtrack.output.chart_layout import (
    FONT_FAMILY,
    Box,
    TimeAxis,
    crosses,
    labelled_ticks,
    place_labels,
    regular_width,
    text_box,
    text_width,
    time_axis,
    wrap,
)
from emrtrack.views import Progress

SIZE, TITLE_SIZE = 12, 16  # font sizes
LINE = 16  # from one line of text to the next
PAD = 16  # around the picture's texts
RIGHT = 30  # at least, between the plot and the picture's right edge: room for half the last tick's label
BLUE, RED, GREEN, GREY, DARK = "#2563eb", "#c22", "#2a7", "#777", "#333"


@dataclass(frozen=True)
class Frame:
    """Where the plot lies in the picture, and where a day and a count fall in it."""

    start: date
    span: int  # days
    top: int  # the count at the top of the plot
    left: float
    right: float
    y_top: float
    y_bottom: float

    def x(self, day: date) -> float:
        """The x of a day."""
        return round(self.left + (day - self.start).days / self.span * (self.right - self.left), 1)

    def y(self, n: float) -> float:
        """The y of a count."""
        return round(self.y_bottom - n / self.top * (self.y_bottom - self.y_top), 1)


def _text(x: float, y: float, text: str, *attrs: str, anchor: str = "start") -> str:
    """A <text> element; `attrs` are further attributes, written as they are."""
    more = "".join(f" {a}" for a in attrs)
    if anchor != "start":
        more = f' text-anchor="{anchor}"' + more
    return f'<text x="{round(x, 1)}" y="{round(y, 1)}"{more}>{escape(text)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, *attrs: str) -> str:
    """A <line> element; `attrs` are further attributes, written as they are."""
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" {" ".join(attrs)}/>'


def _y_step(top: int) -> int:
    """A round step (1, 2 or 5 times a power of ten) that divides 0..top into at most five parts."""
    power = 1
    while power * 10 * 5 < top:
        power *= 10
    return next(power * m for m in (1, 2, 5, 10) if power * m * 5 >= top)


def _captions(p: Progress, said: Sequence[str], width: float) -> tuple[list[str], float]:
    """The title and the lines under it, wrapped to the picture; the baseline of the last."""
    title = _("EMR deployment against {id}").format(id=p.requirement.id)
    parts, y = [], 28.0
    for line in wrap(title, TITLE_SIZE, width - 2 * PAD):
        parts.append(_text(PAD, y, line, f'font-size="{TITLE_SIZE}"', 'font-weight="bold"'))
        y += TITLE_SIZE + 6
    y += 2 - LINE
    for line in wrap(said[0], SIZE, width - 2 * PAD):
        y += LINE
        parts.append(_text(PAD, y, line, f'fill="{DARK}"'))
    if p.bounded:
        note = ngettext(
            "{n} deployment known only as on or before a date: drawn as reached on that date.",
            "{n} deployments known only as on or before a date: drawn as reached on that date.",
            p.bounded,
        ).format(n=fmt_int(p.bounded))
        for line in wrap(note, SIZE, width - 2 * PAD):
            y += LINE
            parts.append(_text(PAD, y, line, 'class="bounded"', f'fill="{BLUE}"'))
    return parts, y


def _markers(p: Progress) -> list[tuple[date, str, str, str]]:
    """The dated lines, in order along the axis: their day, label, class and colour."""
    deadline = _("deadline {date}") if p.requirement.binding else _("target date {date}")
    marks = [(d, deadline.format(date=fmt_date(d)), "deadline", RED) for d in p.deadlines]
    if p.forecast is not None and p.done < p.in_scope:
        label = _("forecast {date}").format(date=fmt_date(p.forecast))
        marks.append((min(p.forecast, p.end), label + (" →" if p.forecast > p.end else ""), "forecast-date", GREY))
    marks.append((p.as_of, _("as of {date}").format(date=fmt_date(p.as_of)), "as-of", DARK))
    return sorted(marks, key=lambda m: m[0])


def _marker_rows(p: Progress, frame: Frame, width: float) -> list[tuple[float, float, int, str, str, str]]:
    """The dated lines' x, their labels' left end and row (0: just above the plot), label, class and colour."""
    marks = _markers(p)
    xs = [frame.x(day) for day, *_rest in marks]
    widths = [text_width(label, SIZE) for _day, label, *_rest in marks]
    placed = place_labels(xs, widths, PAD / 2, width - PAD / 2, text_width("  ", SIZE))
    return [(s.x, s.x0, s.row, label, cls, colour) for s, (_day, label, cls, colour) in zip(placed, marks, strict=True)]


def _marker_parts(rows: list[tuple[float, float, int, str, str, str]], frame: Frame) -> list[str]:
    """The dated lines, each from its label down to the time axis, and their labels."""
    parts = []
    dashes = {"deadline": "none", "forecast-date": "5 4", "as-of": "2 3"}
    for x, x0, row, label, cls, colour in rows:
        baseline = frame.y_top - 12 - row * LINE  # clear of the count's top label
        style = (f'class="{cls}"', f'stroke="{colour}"', 'stroke-width="2"', f'stroke-dasharray="{dashes[cls]}"')
        parts.append(_line(x, baseline - SIZE, x, frame.y_bottom, *style))
        parts.append(_text(x0, baseline, label, f'class="{cls}-label"', f'fill="{colour}"'))
    return parts


def _axes(axis: TimeAxis, frame: Frame, width: float) -> list[str]:
    """The axes, the count's grid lines and labels, and the time axis's ticks and labels."""
    y0 = frame.y(0)
    parts = [
        _line(frame.left, y0, frame.right, y0, f'stroke="{DARK}"'),
        _line(frame.left, y0, frame.left, frame.y_top, f'stroke="{DARK}"'),
    ]
    for n in range(0, frame.top + 1, _y_step(frame.top)):
        parts.append(_line(frame.left - 4, frame.y(n), frame.right, frame.y(n), 'stroke="#eee"'))
        parts.append(_text(frame.left - 8, frame.y(n) + 4, fmt_int(n), 'class="count"', anchor="end"))
    labelled = set(labelled_ticks(axis, frame.x, SIZE))
    for day in axis.ticks:
        x = frame.x(day)
        parts.append(_line(x, y0, x, y0 + (6 if day in labelled else 3), f'stroke="{DARK}"', 'class="tick"'))
        label = axis.label(day)
        if day in labelled and text_box(x, y0 + 19, label, SIZE, "middle").within(width - 2, math.inf):
            parts.append(_text(x, y0 + 19, label, 'class="tick-label"', anchor="middle"))
    return parts


Points = list[tuple[float, float]]


def _curves(p: Progress, frame: Frame) -> tuple[Points, Points]:
    """The deployments as a step line (one step a day), and the forecast from the last (none when there is no
    forecast or all have deployed)."""
    points = [(frame.x(p.start), frame.y(0))]
    count = 0
    for d, same_day in groupby(p.deployed):
        points.append((frame.x(d), frame.y(count)))
        count += len(list(same_day))
        points.append((frame.x(d), frame.y(count)))
    x, y = frame.x(p.as_of), frame.y(p.done)
    points.append((x, y))
    if p.forecast is None or p.done >= p.in_scope:
        return points, []
    end = min(p.forecast, p.end)
    share = (end - p.as_of).days / max((p.forecast - p.as_of).days, 1)
    return points, [(x, y), (frame.x(end), frame.y(p.done + share * (p.in_scope - p.done)))]


def _deployed(steps: Points, forecast: Points) -> list[str]:
    """The step line of deployments, its last point, and the forecast from it."""
    path = " ".join(f"{px},{py}" for px, py in steps)
    parts = [
        f'<polyline class="deployed" points="{path}" fill="none" stroke="{BLUE}" stroke-width="3"/>',
        f'<circle cx="{steps[-1][0]}" cy="{steps[-1][1]}" r="4" fill="{BLUE}"/>',
    ]
    if forecast:
        (x1, y1), (x2, y2) = forecast
        style = ('class="forecast"', f'stroke="{GREY}"', 'stroke-width="2"', 'stroke-dasharray="2 4"')
        parts.append(_line(x1, y1, x2, y2, *style))
    return parts


Spot = tuple[float, float, str]  # x, baseline, text-anchor
# where the deployed count may go from the as-of point, nearest first: right below (the step line comes from the
# left and below), left above (the forecast goes right and up), then the other sides, then further up or down
NEAR_POINT = ((8, 16), (-8, -8), (8, -8), (-8, 16), (8, 32), (-8, -24), (8, -24), (-8, 32), (8, 48), (-8, -40))


def _best(
    text: str, spots: Sequence[Spot], inside: Box, avoid: tuple[Sequence[Box], Sequence[Points], Sequence[float]]
) -> Spot:
    """Of the `spots` for a text, the first inside the box that overlaps no text, crosses no curve and no
    vertical line (`avoid`: the texts' boxes, the curves' points, the lines' x); else the first inside that
    overlaps no text and crosses no curve; else no text; else the first inside; else the first."""
    taken, curves, lines = avoid
    boxes = [text_box(x, y, text, SIZE, anchor) for x, y, anchor in spots]
    fit = [inside.x0 <= b.x0 and b.x1 <= inside.x1 and inside.y0 <= b.y0 and b.y1 <= inside.y1 for b in boxes]
    free = [f and not any(b.intersects(t) for t in taken) for f, b in zip(fit, boxes, strict=True)]
    off = [f and not any(crosses(b, c) for c in curves) for f, b in zip(free, boxes, strict=True)]
    clear = [f and not any(b.x0 - 2 < x < b.x1 + 2 for x in lines) for f, b in zip(off, boxes, strict=True)]
    return next((spots[w.index(True)] for w in (clear, off, free, fit) if any(w)), spots[0])


def _count_labels(
    p: Progress, frame: Frame, width: float, lines: Sequence[float], curves: Sequence[Points]
) -> list[str]:
    """The counts in scope (under its line, left or right) and deployed (by the as-of point), each placed
    clear of the curves and the dated lines where it can be, on a white box hiding any line still under it."""
    inside = Box(PAD / 2, frame.y_top, width - PAD / 2, frame.y_bottom - 2)
    scope = _("in scope: {n}").format(n=fmt_int(p.in_scope))
    y = frame.y(p.in_scope) + 15 if p.in_scope else frame.y(0) - 6
    scope_spots = [(frame.left + 6, y, "start"), (frame.right - 6, y, "end")]
    sx, sy, s_anchor = _best(scope, scope_spots, inside, ([], curves, lines))
    deployed = _("deployed: {n}").format(n=fmt_int(p.done))
    x, y = frame.x(p.as_of), frame.y(p.done)
    spots = [(x + dx, y + dy, "start" if dx > 0 else "end") for dx, dy in NEAR_POINT]
    turn = curves[0][-2][0]  # where the step line last rose: left of it, below its top, is clear of it
    spots += [(turn - 8, y + 16, "end"), (turn - 8, y + 32, "end")]
    taken = [text_box(sx, sy, scope, SIZE, s_anchor)]
    dx, dy, d_anchor = _best(deployed, spots, inside, (taken, curves, lines))
    return [
        *_backed(sx, sy, scope, s_anchor, 'class="in-scope-label"', f'fill="{GREEN}"'),
        *_backed(dx, dy, deployed, d_anchor, 'class="deployed-label"', f'fill="{BLUE}"'),
    ]


def _backed(x: float, y: float, text: str, anchor: str, *attrs: str) -> list[str]:
    """A text on a translucent white box about as large as it is, hiding the lines under it."""
    width = regular_width(text, SIZE) + 2
    left = x - {"start": 1.0, "middle": width / 2, "end": width - 1}[anchor]
    size = f'x="{left:.1f}" y="{y - SIZE:.1f}" width="{width:.1f}" height="{SIZE + 3}"'
    rect = f'<rect {size} fill="white" fill-opacity="0.85"/>'
    return [rect, _text(x, y, text, *attrs, anchor=anchor)]


def svg(p: Progress, said: Sequence[str], width: int = 800, plot_height: int = 280) -> str:
    """The chart, `width` wide; `said`: the summary's sentences (the first under the title, the last under the
    plot)."""
    top = max(p.most_in_scope, 1)
    widest = max(text_width(fmt_int(n), SIZE) for n in range(0, top + 1, _y_step(top)))
    left = max(60.0, math.ceil(widest + 8 + PAD))
    axis = time_axis(p.start, p.end)
    right = width - max(RIGHT, math.ceil(max((text_width(axis.label(t), SIZE) for t in axis.ticks), default=0) / 2 + 4))
    captions, caption_y = _captions(p, said, width)
    frame = Frame(p.start, max((p.end - p.start).days, 1), top, left, right, 0.0, 0.0)  # its x only, at first
    rows = _marker_rows(p, frame, width)
    y_top = caption_y + 16 + (max(r[2] for r in rows) + 1) * LINE
    frame = Frame(p.start, frame.span, top, left, right, y_top, y_top + plot_height)
    body = [*captions, *_axes(axis, frame, width)]
    style = ('class="in-scope"', f'stroke="{GREEN}"', 'stroke-width="2"', 'stroke-dasharray="6 4"')
    if p.scope_steps:  # the number in scope changed: a step line, each step on the day it did
        points: list[str] = []
        for i, (day, n) in enumerate(p.scope_steps):
            x = frame.left if i == 0 else frame.x(day)
            if points:
                points.append(f"{x:.1f},{float(points[-1].split(',')[1]):.1f}")
            points.append(f"{x:.1f},{frame.y(n):.1f}")
        points.append(f"{frame.right:.1f},{frame.y(p.scope_steps[-1][1]):.1f}")
        body.append(f'<polyline points="{" ".join(points)}" fill="none" {" ".join(style)}/>')
    else:
        body.append(_line(frame.left, frame.y(p.in_scope), frame.right, frame.y(p.in_scope), *style))
    body += _marker_parts(rows, frame)
    steps, forecast = _curves(p, frame)
    body += _deployed(steps, forecast)
    body += _count_labels(p, frame, width, [r[0] for r in rows], [steps, forecast])
    y = frame.y_bottom + 19 + 8
    for line in wrap(said[-1], SIZE, width - 2 * PAD):
        y += LINE
        body.append(_text(PAD, y, line, 'class="forecast-note"', f'fill="{DARK}"'))
    height = math.ceil(y + PAD)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT_FAMILY}" font-size="{SIZE}">'
    )
    return "\n".join([head, f'<rect width="{width}" height="{height}" fill="white"/>', *body, "</svg>"]) + "\n"
