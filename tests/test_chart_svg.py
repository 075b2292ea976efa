"""The SVG chart's layout: every text lies inside the picture (its width estimated as the chart estimates it,
from its font size and text-anchor), no two texts overlap, the labels of the dated lines (deadlines, forecast,
as-of date) least of all; the time axis has month (or week, or day) ticks with labels that do not collide; in
English and Vietnamese, from the shipped data through the command line and from progress made up here."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from itertools import combinations

import pytest

from emrtrack import i18n
from emrtrack.cli import app
from emrtrack.model import Cohort, Requirement, Selector
from emrtrack.output import chart
from emrtrack.output.chart_layout import Box, crosses, place_labels, text_box, text_width, time_axis, wrap
from emrtrack.views import Progress

SVG = "{http://www.w3.org/2000/svg}"
MARKERS = ("deadline-label", "forecast-date-label", "as-of-label")
D = date.fromisoformat


def _boxes(root: ET.Element) -> list[tuple[str, Box]]:
    """Each text's class (or its words) and where it lies, as the chart estimates its width."""
    size = float(root.get("font-size", "16"))
    found = []
    for t in root.iter(f"{SVG}text"):
        box = text_box(
            float(t.get("x")), float(t.get("y")), t.text, float(t.get("font-size", size)), t.get("text-anchor", "start")
        )
        found.append((t.get("class") or t.text, box))
    return found


def check_layout(picture: str) -> ET.Element:
    """The SVG (or the one in an HTML page) parsed, after checking that its texts fit and do not overlap."""
    if picture.startswith("<!DOCTYPE html>"):
        picture = re.search(r"<svg .*</svg>", picture, re.S).group(0)
    root = ET.fromstring(picture)
    x0, y0, width, height = map(float, root.get("viewBox").split())
    assert (x0, y0, str(int(width)), str(int(height))) == (0, 0, root.get("width"), root.get("height"))
    assert root.get("font-family").startswith("DejaVu Sans")
    boxes = _boxes(root)
    outside = [name for name, box in boxes if not box.within(width, height)]
    assert outside == [], outside
    markers = [(name, box) for name, box in boxes if name in MARKERS]
    assert not [(a, b) for (a, p), (b, q) in combinations(markers, 2) if p.intersects(q)]
    overlaps = [(a, b) for (a, p), (b, q) in combinations(boxes, 2) if p.intersects(q)]
    assert overlaps == [], overlaps
    return root


def _texts(root: ET.Element, cls: str) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text") if t.get("class") == cls]


def _in(lang: str, draw):
    i18n.set_language(lang)
    try:
        return draw()
    finally:
        i18n.set_language("en")


DISPATCH = Requirement(id="2898/SYT-VP", issued=D("2025-07-09"), cohorts=(Cohort(Selector(), D("2025-08-31")),))
CIRCULAR = Requirement(
    id="13/2025/TT-BYT",
    issued=D("2025-06-06"),
    cohorts=(Cohort(Selector(), D("2025-09-30")), Cohort(Selector(), D("2026-12-31"))),
)


def _spread(n: int, first: date, last: date) -> tuple[date, ...]:
    """`n` deployment dates spread evenly from `first` to `last`."""
    days = (last - first).days
    return tuple(first + timedelta(days=i * days // max(n - 1, 1)) for i in range(n))


SITUATIONS = {
    # a long span: two deadlines a year and a quarter apart, the forecast past the last
    "long": Progress(
        CIRCULAR, D("2025-11-01"), 30, _spread(10, D("2025-07-01"), D("2025-10-30")), D("2025-06-06"),
        (D("2025-09-30"), D("2026-12-31")), D("2027-03-01"), 0.6,
    ),
    # the forecast three days after the deadline, the as-of date a week before it
    "forecast near the deadline": Progress(
        DISPATCH, D("2025-08-24"), 25, _spread(20, D("2025-07-20"), D("2025-08-23")), D("2025-07-09"),
        (D("2025-08-31"),), D("2025-09-03"), 4.0,
    ),
    # the as-of date two days after the deadline, the forecast far
    "as of near the deadline": Progress(
        DISPATCH, D("2025-09-02"), 25, _spread(3, D("2025-07-20"), D("2025-08-30")), D("2025-07-09"),
        (D("2025-08-31"),), D("2026-02-01"), 0.375,
    ),
    # all three on one day
    "all on one day": Progress(
        DISPATCH, D("2025-08-31"), 4, (D("2025-08-01"),), D("2025-07-09"), (D("2025-08-31"),), D("2025-08-31"), 0.1
    ),
    # a short span: a week from the dispatch to its first deadline, nothing deployed
    "a week": Progress(DISPATCH, D("2025-07-09"), 25, (), D("2025-07-09"), (D("2025-07-15"),), None, 0.0),
    # national scale: 50,000 in scope, 31,250 deployed, some known only as on or before a date
    "national": Progress(
        CIRCULAR, D("2026-06-30"), 50_000, _spread(31_250, D("2025-06-10"), D("2026-06-29")), D("2025-06-06"),
        (D("2025-09-30"), D("2026-12-31")), D("2026-12-20"), 680.0, bounded=12_000,
    ),
    # nothing in scope, and a million and more
    "none in scope": Progress(DISPATCH, D("2025-09-01"), 0, (), D("2025-07-09"), (D("2025-08-31"),), D("2025-09-01"), 0.0),
    "a million": Progress(
        CIRCULAR, D("2026-06-30"), 1_234_567, _spread(500, D("2025-06-10"), D("2026-06-29")), D("2025-06-06"),
        (D("2025-09-30"), D("2026-12-31")), D("2030-01-01"), 1.0,
    ),
    # the as-of date is the day of the dispatch, of its deadline and of the one deployment
    "one day": Progress(DISPATCH, D("2025-07-09"), 5, (D("2025-07-09"),), D("2025-07-09"), (D("2025-07-09"),),
                        D("2025-07-10"), 1.0),
    # everything deployed: no forecast line
    "all deployed": Progress(
        DISPATCH, D("2025-10-01"), 25, (D("2025-09-24"),) * 25, D("2025-07-09"), (D("2025-08-31"),), D("2025-09-24"),
        3.1, bounded=25,
    ),
}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "vi"])
@pytest.mark.parametrize("name", list(SITUATIONS))
def test_every_label_fits_and_none_overlaps(name, lang):
    p = SITUATIONS[name]
    root = check_layout(_in(lang, lambda: chart.svg(p)))
    check_layout(_in(lang, lambda: chart.html(p)))
    names = [t.get("class") for t in root.iter(f"{SVG}text")]
    assert names.count("deadline-label") == len(p.deadlines) and names.count("as-of-label") == 1
    assert names.count("forecast-date-label") == (p.forecast is not None and p.done < p.in_scope)
    assert len(_texts(root, "tick-label")) >= 2
    # the counts' labels are off the step line and the forecast
    curves = [[tuple(map(float, pt.split(","))) for pt in next(root.iter(f"{SVG}polyline")).get("points").split()]]
    curves += [[(float(ln.get("x1")), float(ln.get("y1"))), (float(ln.get("x2")), float(ln.get("y2")))]
               for ln in root.iter(f"{SVG}line") if ln.get("class") == "forecast"]  # fmt: skip
    for name, box in _boxes(root):
        if name in ("in-scope-label", "deployed-label"):
            assert not any(crosses(box, c) for c in curves), name


@pytest.mark.parametrize("lang", ["en", "vi"])
@pytest.mark.parametrize(
    "fixture, as_of", [("shipped_db", "2025-09-10"), ("shipped_db", "2025-10-01"), ("dispatch_day_db", "2025-07-20")]
)
def test_the_shipped_data_charted_through_the_command_line(fixture, as_of, lang, request, runner, tmp_path):
    request.getfixturevalue(fixture)
    for suffix in ("svg", "html"):
        out = tmp_path / f"chart.{suffix}"
        result = runner.invoke(app, ["chart", "--as-of", as_of, "--output", str(out), "--lang", lang])
        assert result.exit_code == 0, result.output
        root = check_layout(out.read_text(encoding="utf-8"))
        assert _texts(root, "as-of-label") and _texts(root, "deadline-label")


def test_numbers_are_written_as_the_language_writes_them():
    p = SITUATIONS["national"]
    en = ET.fromstring(chart.svg(p))
    vi = _in("vi", lambda: ET.fromstring(chart.svg(p)))
    assert _texts(en, "count") == ["0", "10,000", "20,000", "30,000", "40,000", "50,000"]
    assert _texts(vi, "count") == ["0", "10.000", "20.000", "30.000", "40.000", "50.000"]
    assert _texts(en, "in-scope-label") == ["in scope: 50,000"] and _texts(en, "deployed-label") == ["deployed: 31,250"]
    assert _texts(vi, "in-scope-label") == ["thuộc phạm vi: 50.000"]
    assert _texts(vi, "deployed-label") == ["đã triển khai: 31.250"]
    assert _texts(en, "bounded")[0].startswith("12,000 deployments known only as on or before a date")


def test_month_ticks_of_a_known_span(small, runner, tmp_path):
    out = tmp_path / "chart.svg"
    assert runner.invoke(app, ["chart", "--as-of", "2025-09-10", "--output", str(out)]).exit_code == 0
    root = check_layout(out.read_text(encoding="utf-8"))
    # 2025-07-09 to the forecast 2025-11-05: the first of each month between them, each labelled
    assert _texts(root, "tick-label") == ["Aug 2025", "Sep 2025", "Oct 2025", "Nov 2025"]
    ticks = [float(t.get("x1")) for t in root.iter(f"{SVG}line") if t.get("class") == "tick"]
    assert ticks == [round(60 + (D(d) - D("2025-07-09")).days / 119 * 702, 1) for d in ("2025-08-01", "2025-09-01",
                                                                                        "2025-10-01", "2025-11-01")]  # fmt: skip


def test_month_ticks_in_vietnamese(small, runner, tmp_path):
    out = tmp_path / "chart.svg"
    assert runner.invoke(app, ["chart", "--as-of", "2025-09-10", "--output", str(out), "--lang", "vi"]).exit_code == 0
    root = check_layout(out.read_text(encoding="utf-8"))
    assert _texts(root, "tick-label") == ["08/2025", "09/2025", "10/2025", "11/2025"]


def test_labels_are_thinned_on_a_long_span_and_weeks_or_days_mark_a_short_one():
    long = ET.fromstring(chart.svg(SITUATIONS["long"]))
    # June 2025 to March 2027: 21 ticks, labelled every third month at the quarters
    assert len([t for t in long.iter(f"{SVG}line") if t.get("class") == "tick"]) == 21
    assert _texts(long, "tick-label") == ["Jul 2025", "Oct 2025", "Jan 2026", "Apr 2026", "Jul 2026", "Oct 2026",
                                          "Jan 2027"]  # fmt: skip
    axis = time_axis(D("2025-07-09"), D("2025-08-31"))  # under two months: Mondays
    assert axis.ticks[:2] == [D("2025-07-14"), D("2025-07-21")] and axis.label(axis.ticks[0]) == "2025-07-14"
    week = ET.fromstring(chart.svg(SITUATIONS["a week"]))
    assert _texts(week, "tick-label")[0] == "2025-07-09"  # a day each under two weeks (thinned to fit)
    vi = _in("vi", lambda: ET.fromstring(chart.svg(SITUATIONS["a week"])))
    assert _texts(vi, "tick-label")[0] == "09/07/2025"


def test_dated_labels_on_one_day_are_stacked_or_put_either_side():
    root = check_layout(chart.svg(SITUATIONS["all on one day"]))
    labels = {t.get("class"): t for t in root.iter(f"{SVG}text") if t.get("class") in MARKERS}
    assert labels["deadline-label"].text == "deadline 2025-08-31" and labels["as-of-label"].text == "as of 2025-08-31"
    assert labels["forecast-date-label"].text == "forecast 2025-08-31"
    # a line does not run through another's label
    lines = [ln for ln in root.iter(f"{SVG}line") if ln.get("class") in ("deadline", "forecast-date", "as-of")]
    for ln in lines:
        x, top = float(ln.get("x1")), float(ln.get("y1"))
        for name, box in _boxes(root):
            if name in MARKERS and box.y1 > top:
                assert not box.x0 < x < box.x1, (ln.get("class"), name)


def test_a_label_that_would_run_past_the_edge_goes_left_of_its_line():
    (placed,) = place_labels([790.0], [100.0], 8, 792, 10)
    assert (placed.x1, placed.row) == (786.0, 0)
    # no room left of the first line: its label goes above the second's, clear of the second line
    a, b = place_labels([100.0, 120.0], [100.0, 100.0], 8, 792, 10)
    assert (a.x0, a.row, b.x0, b.row) == (104.0, 1, 124.0, 0)
    # room on both sides: side by side on one row
    a, b = place_labels([300.0, 320.0], [100.0, 100.0], 8, 792, 10)
    assert (a.x1, a.row, b.x0, b.row) == (296.0, 0, 324.0, 0)
    assert wrap("đã triển khai: 5", 12, text_width("đã triển khai:", 12)) == ["đã triển khai:", "5"]
    # a letter with diacritics, composed or not, is as wide as its base letter; an unknown character an em
    assert text_width("đã", 12) == text_width("đa\u0303", 12) == text_width("đa", 12) < text_width("đ?", 12)
