"""emrtrack chart: progress data, forecast at the last 8 weeks' pace, text and SVG/HTML output."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

from emrtrack.cli import app
from emrtrack.service.commands import progress
from emrtrack.store import Register

SVG = "{http://www.w3.org/2000/svg}"


def _mark(runner, *pairs):
    for fid, on in pairs:
        assert runner.invoke(app, ["mark-deployed", fid, "--on", on]).exit_code == 0


def test_forecast_at_the_pace_of_the_last_eight_weeks(small, runner):
    register = Register.open(small)
    req = register.requirement(None)
    count, rows = register.standings(req, date(2025, 9, 10), group_by="none")
    p = progress(req, count, list(rows), date(2025, 9, 10))
    # 2 of 4 deployed (08-20 and 09-05), both within 8 weeks: 2 in 56 days, 2 to go -> 56 days more
    assert (p.in_scope, p.deployed, p.start) == (4, (date(2025, 8, 20), date(2025, 9, 5)), date(2025, 7, 9))
    assert p.pace_per_week == 0.25
    assert p.forecast == date(2025, 11, 5)
    # 8 weeks later with nothing new, only the 09-05 deployment is still in the window
    count, rows = register.standings(req, date(2025, 10, 30), group_by="none")
    p = progress(req, count, list(rows), date(2025, 10, 30))
    assert p.forecast == date(2026, 2, 19)  # 1 per 56 days, 2 to go: 112 days
    count, rows = register.standings(req, date(2025, 12, 1), group_by="none")
    p = progress(req, count, list(rows), date(2025, 12, 1))
    assert p.forecast is None


def test_chart_in_the_terminal(small, runner):
    result = runner.invoke(app, ["chart", "--as-of", "2025-09-10"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "2898/SYT-VP: 2 of 4 facilities in scope have deployed EMR (50.0%) as of 2025-09-10.",
        "Deadline: 2025-08-31.",
        "Forecast: at the pace of the last 8 weeks (0.25 a week), 100% on 2025-11-05.",
    ]
    assert lines[4].startswith("4 ┤─") and lines[13].startswith("0 ┤")
    assert lines[-1] == "█ deployed  ─ in scope (4)  │ deadline  · forecast  ▲ 2025-09-10"
    assert lines[-3].split() == ["2025-07-09", "2025-11-05"]
    none = runner.invoke(app, ["chart", "--as-of", "2025-12-01", "--lang", "vi"])
    assert none.stdout.splitlines()[2] == "Dự báo: không có tiến triển trong 8 tuần qua."
    _mark(runner, ("do-luong-general", "2025-09-20"), ("thai-an", "2025-09-25"))
    done = runner.invoke(app, ["chart", "--as-of", "2025-10-01"])
    assert (
        done.stdout.splitlines()[0]
        == "2898/SYT-VP: 4 of 4 facilities in scope have deployed EMR (100.0%) as of 2025-10-01."
    )
    assert done.stdout.splitlines()[2] == "100% reached on 2025-09-25."


def test_chart_svg_file(small, runner, tmp_path):
    out = tmp_path / "progress.svg"
    result = runner.invoke(app, ["chart", "--as-of", "2025-09-10", "-r", "2898/SYT-VP", "--output", str(out)])
    assert result.exit_code == 0
    assert result.stderr == f"Wrote {out}.\n"
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    assert root.tag == f"{SVG}svg" and root.get("width") == "800"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[0] == "EMR deployment against 2898/SYT-VP"
    assert "2898/SYT-VP: 2 of 4 facilities in scope have deployed EMR (50.0%) as of 2025-09-10." in texts
    assert "deadline 2025-08-31" in texts and "in scope: 4" in texts and "deployed: 2" in texts
    assert texts[-1] == "Forecast: at the pace of the last 8 weeks (0.25 a week), 100% on 2025-11-05."
    lines = {ln.get("class"): ln for ln in root.iter(f"{SVG}line") if ln.get("class") != "tick"}
    assert set(lines) == {"in-scope", "deadline", "forecast", "forecast-date", "as-of", None}
    # x runs from 2025-07-09 (x=60) to 2025-11-05 (x=762: room for half of "Nov 2025" to its right) over 119
    # days; y from 4 (the plot's top) to 0, 280 lower
    assert lines["deadline"].get("x1") == str(round(60 + 53 / 119 * 702, 1))
    top = float(lines["in-scope"].get("y1"))
    assert (lines["forecast"].get("x2"), float(lines["forecast"].get("y2"))) == ("762.0", top)
    assert lines["forecast-date"].get("x1") == "762.0" and lines["as-of"].get("x1") == str(
        round(60 + 63 / 119 * 702, 1)
    )
    steps = next(root.iter(f"{SVG}polyline")).get("points").split()
    assert [float(pt.split(",")[1]) - top for pt in steps] == [280.0, 280.0, 210.0, 210.0, 140.0, 140.0]
    labels = {t.get("class"): t.text for t in root.iter(f"{SVG}text")}
    assert labels["forecast-date-label"] == "forecast 2025-11-05" and labels["as-of-label"] == "as of 2025-09-10"


def test_chart_html_in_vietnamese_and_bad_output(small, runner, tmp_path):
    out = tmp_path / "progress.html"
    result = runner.invoke(app, ["chart", "--as-of", "2025-09-10", "--output", str(out), "--lang", "vi"])
    assert result.exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith(
        '<!DOCTYPE html>\n<html lang="vi">\n<head><meta charset="utf-8">'
        "<title>Tiến độ triển khai bệnh án điện tử theo 2898/SYT-VP</title></head>"
    )
    assert re.search(r"<svg [^>]*>", page) and page.rstrip().endswith("</html>")
    assert "hạn 31/08/2025" in page
    bad = runner.invoke(app, ["chart", "--output", str(tmp_path / "x.png")])
    assert bad.exit_code == 2
    assert bad.stderr == "emrtrack: --output must be a .svg or .html file\n"


def test_an_as_of_date_before_the_requirement_was_issued_starts_the_axis():
    from datetime import date

    from emrtrack.model import Cohort, Requirement, Selector
    from emrtrack.output.chart import text
    from emrtrack.service.commands import progress

    req = Requirement(id="R", issued=date(2025, 7, 9), cohorts=(Cohort(Selector(), date(2025, 8, 31)),))
    p = progress(req, 3, [], date(2025, 7, 1))
    assert p.start == date(2025, 7, 1)
    lines = text(p).splitlines()
    axis = lines[lines.index(next(line for line in lines if "└" in line)) + 1]
    assert axis == "   ▲" + " " * 59  # the first column: the as-of date is where the axis starts
    assert lines[-2 - 1].startswith("   2025-07-01")


def test_one_deployment_of_twenty_five_shows_in_the_terminal(dispatch_day_db, runner):
    _mark(runner, ("nghe-an-lung", "2025-07-20"))
    result = runner.invoke(app, ["chart", "--as-of", "2025-07-25"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2898/SYT-VP: 1 of 25 facilities in scope")
    plot = lines[4:14]
    assert plot[0].startswith("25 ┤─") and plot[-1].startswith(" 0 ┤")
    assert "█" in plot[-1] and not any("█" in line for line in plot[:-1])  # one row high: the least drawn
    # drawn from the day of the deployment: the columns before it stay empty; the forecast follows
    assert plot[-1].split("┤")[1].startswith("  █·")


def test_rows_of_the_text_chart_show_any_count_and_fill_only_for_all():
    from emrtrack.output.chart import _rows

    assert [_rows(n, 25, 10) for n in (0, 1, 2, 3, 12, 24, 25)] == [0, 1, 1, 1, 5, 9, 10]
    assert [_rows(n, 1, 10) for n in (0, 1)] == [0, 10]
    assert _rows(1, 50_000, 10) == 1
