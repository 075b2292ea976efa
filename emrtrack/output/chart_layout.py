"""The geometry of the SVG chart: how wide a text is, where the time axis's ticks go, which row a label takes.

Nothing here measures a real font: a text's width is estimated from a table of DejaVu Sans Bold advance widths
(the widest face the chart names, at least as wide as the regular DejaVu Sans, Arial or Helvetica a browser may
use instead) with a margin on top, so a label laid out to fit does fit whatever sans-serif font draws it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from emrtrack.i18n import _, fmt_date

FONT_FAMILY = "DejaVu Sans, Arial, Helvetica, sans-serif"
# advance widths in em of DejaVu Sans Bold; a letter with diacritics is as wide as its base letter
_WIDTHS = {
    **dict.fromkeys("0123456789", 0.696),
    **dict(zip("abcdefghijklmnopqrstuvwxyz", (0.675, 0.716, 0.593, 0.716, 0.678, 0.435, 0.716, 0.712, 0.343, 0.343,
                                                0.665, 0.343, 1.042, 0.712, 0.687, 0.716, 0.716, 0.493, 0.595, 0.478,
                                                0.712, 0.652, 0.924, 0.645, 0.652, 0.582), strict=True)),
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (0.774, 0.762, 0.734, 0.830, 0.683, 0.683, 0.821, 0.837, 0.372, 0.372,
                                                0.775, 0.637, 0.995, 0.837, 0.850, 0.733, 0.850, 0.770, 0.720, 0.682,
                                                0.812, 0.774, 1.103, 0.771, 0.724, 0.725), strict=True)),
    " ": 0.348, ".": 0.380, ",": 0.380, ":": 0.400, ";": 0.400, "/": 0.365, "-": 0.415, "(": 0.457, ")": 0.457,
    "%": 1.002, "·": 0.380, "–": 0.500, "—": 1.000, "'": 0.306, '"': 0.521, "#": 0.838, "&": 0.872, "+": 0.838,
    "đ": 0.716, "Đ": 0.838, "→": 0.838,
}  # fmt: skip
_UNKNOWN = 1.0  # any other character: a full em, wider than any above
_MARGIN = 1.05
ASCENT, DESCENT = 0.95, 0.25  # of the font size, above and below the baseline
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def text_width(text: str, size: float) -> float:
    """The width of `text` at font `size`, estimated generously (see the module's docstring)."""
    em = 0.0
    for char in text:
        if not unicodedata.combining(char):
            em += _WIDTHS.get(char, _WIDTHS.get(unicodedata.normalize("NFD", char)[0], _UNKNOWN))
    return em * size * _MARGIN


def regular_width(text: str, size: float) -> float:
    """About the width of `text` in DejaVu Sans, not bold: for a box behind it that should hide little else."""
    return text_width(text, size) / (1.1 * _MARGIN)


@dataclass(frozen=True)
class Box:
    """A rectangle: left, top, right, bottom."""

    x0: float
    y0: float
    x1: float
    y1: float

    def intersects(self, other: Box) -> bool:
        """Whether the two overlap (touching is not overlapping)."""
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def within(self, width: float, height: float) -> bool:
        """Whether the box lies inside a picture of that size."""
        return self.x0 >= 0 and self.y0 >= 0 and self.x1 <= width and self.y1 <= height


def _segment_hits(box: Box, a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether the segment from a to b passes through the box (Liang-Barsky clipping)."""
    (x, y), dx, dy = a, b[0] - a[0], b[1] - a[1]
    low, high = 0.0, 1.0
    for step, room in ((-dx, x - box.x0), (dx, box.x1 - x), (-dy, y - box.y0), (dy, box.y1 - y)):
        if step == 0:
            if room < 0:
                return False
        elif step < 0:
            low = max(low, room / step)
        else:
            high = min(high, room / step)
        if low > high:
            return False
    return True


def crosses(box: Box, points: Sequence[tuple[float, float]]) -> bool:
    """Whether the line through `points` passes through the box."""
    return any(_segment_hits(box, a, b) for a, b in zip(points, points[1:], strict=False))


def text_box(x: float, y: float, text: str, size: float, anchor: str = "start") -> Box:
    """Where a text drawn at (x, y), y its baseline, with that text-anchor lies."""
    width = text_width(text, size)
    left = x - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
    return Box(left, y - ASCENT * size, left + width, y + DESCENT * size)


def wrap(text: str, size: float, width: float) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` (a single word wider than that stands alone)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and text_width(lines[-1] + " " + word, size) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


# -- the time axis -------------------------------------------------------------------------------
def month_label(day: date) -> str:
    """A month on the time axis: Sep 2025, or 09/2025 in Vietnamese."""
    # Translators: a strftime pattern for a month on a chart's time axis; %b is the month's English short name.
    pattern = _("%b %Y").replace("%b", MONTHS[day.month - 1])
    return day.strftime(pattern)


@dataclass(frozen=True)
class TimeAxis:
    """The ticks of a time axis, how each is labelled, and its number, by which labels are thinned (a month's
    count since year 0, or a week's or day's since day 1)."""

    ticks: list[date]
    label: Callable[[date], str]
    key: Callable[[date], int]


def _months(day: date) -> int:
    """The month's count since year 0 (January 2025: 24300)."""
    return day.year * 12 + day.month - 1


def time_axis(start: date, end: date) -> TimeAxis:
    """The ticks of an axis from `start` to `end`: the first of each month, or on a span shorter than about two
    months each Monday (each day under two weeks)."""
    days = (end - start).days
    if days >= 60:
        first = date(start.year, start.month, 1)
        ticks = []
        while first <= end:
            if first >= start:
                ticks.append(first)
            first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return TimeAxis(ticks, month_label, _months)
    step = 7 if days >= 14 else 1
    first = start + timedelta(days=(-start.weekday()) % step)
    ticks = [first + timedelta(days=i) for i in range(0, (end - first).days + 1, step)]
    return TimeAxis(ticks, fmt_date, lambda day: (day.toordinal() - 1) // step)


def labelled_ticks(axis: TimeAxis, x: Callable[[date], float], size: float) -> list[date]:
    """The ticks to label: every one, or every 2nd, 3rd, 4th, 6th, 12th... (months at a round number: January,
    April, July, October for every 3rd), the fewest left out so that no two labels, centred on their ticks, come
    closer than two spaces."""
    gap = text_width("  ", size)
    for every in (1, 2, 3, 4, 6, 12, 24, 48):
        chosen = [t for t in axis.ticks if axis.key(t) % every == 0]
        if all(
            x(b) - x(a) >= (text_width(axis.label(a), size) + text_width(axis.label(b), size)) / 2 + gap
            for a, b in zip(chosen, chosen[1:], strict=False)
        ):
            return chosen
    return axis.ticks[:1]


# -- labels of the lines marking dates -----------------------------------------------------------
@dataclass(frozen=True)
class Placed:
    """A label of a vertical line at `x`: its text runs from x0 to x1 on row `row` (0: the nearest the plot)."""

    x: float
    x0: float
    x1: float
    row: int


def _clear(x0: float, x1: float, row: int, placed: Sequence[Placed], gap: float) -> bool:
    """Whether a label from x0 to x1 on that row keeps `gap` from every label on it."""
    return all(other.row != row or not (x0 < other.x1 + gap and other.x0 < x1 + gap) for other in placed)


def _fits(x: float, x0: float, x1: float, row: int, placed: Sequence[Placed], gap: float) -> bool:
    """Whether a label may go on that row: clear of the labels on it, its line (at x, running down from the row)
    crossing no label on that row or below, and no line from that row or above crossing it."""
    if not _clear(x0, x1, row, placed, gap):
        return False
    for other in placed:
        if other.row <= row and other.x0 - 2 < x < other.x1 + 2:
            return False
        if other.row >= row and x0 - 2 < other.x < x1 + 2:
            return False
    return True


def _choices(x: float, width: float, left: float, right: float, rows: int) -> list[Placed]:
    """The places a label of the line at x may take, the preferred first: a lower row first, and on it right of
    the line unless that runs past `right`; kept within [left, right], and off its line unless it is too wide
    for either side."""
    sides = [min(max(x + 4, left), right - width), max(min(x - 4 - width, right - width), left)]
    if sides[0] != x + 4:
        sides.reverse()
    clear = [x0 for x0 in sides if x0 >= x + 2 or x0 + width <= x - 2]
    return [Placed(x, x0, x0 + width, row) for row in range(rows) for x0 in clear or sides]


def _search(choices: Sequence[list[Placed]], placed: list[Placed], gap: float) -> list[Placed] | None:
    """The first way, depth first, to place the labels after those `placed`, each in one of its `choices`."""
    if len(placed) == len(choices):
        return placed
    for spot in choices[len(placed)]:
        if _fits(spot.x, spot.x0, spot.x1, spot.row, placed, gap):
            found = _search(choices, [*placed, spot], gap)
            if found is not None:
                return found
    return None


def place_labels(xs: Sequence[float], widths: Sequence[float], left: float, right: float, gap: float) -> list[Placed]:
    """Places for the labels of vertical lines at `xs` (in order), on the fewest rows where no label overlaps
    another or is crossed by a line; failing that (or for more than six labels), each on the lowest row clear of
    the labels before it."""
    if len(xs) <= 6:
        for rows in range(1, len(xs) + 1):
            choices = [_choices(x, w, left, right, rows) for x, w in zip(xs, widths, strict=True)]
            found = _search(choices, [], gap)
            if found is not None:
                return found
    placed: list[Placed] = []
    for x, width in zip(xs, widths, strict=True):
        spots = _choices(x, width, left, right, len(xs))
        placed.append(next(c for c in spots if _clear(c.x0, c.x1, c.row, placed, gap)))
    return placed
