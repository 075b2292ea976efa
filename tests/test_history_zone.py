"""History and undo show when a change was recorded in the register's time zone, not in UTC."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers import SMALL, run
from typer.testing import CliRunner

from emrtrack.i18n import fmt_offset
from emrtrack.rules import local_time


def test_a_moment_in_utc_is_shown_in_the_registers_zone() -> None:
    moment = local_time("2025-09-02T20:03:11Z", "Asia/Ho_Chi_Minh")
    assert moment == datetime(2025, 9, 3, 3, 3, 11, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (moment.day, moment.hour, fmt_offset(moment)) == (3, 3, "UTC+7")
    assert fmt_offset(local_time("2025-09-02T20:03:11Z", "UTC")) == "UTC"
    assert fmt_offset(local_time("2025-01-02T20:03:11Z", "Asia/Kolkata")) == "UTC+5:30"
    assert fmt_offset(local_time("2025-01-02T20:03:11Z", "America/Sao_Paulo")) == "UTC-3"


def _at(columns: int, *args: str) -> str:
    from emrtrack.cli import app

    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns)}, catch_exceptions=False).stdout


def _register(tmp_path: Path, zone: str) -> Path:
    source = tmp_path / f"{zone.replace('/', '-')}.yaml"
    source.write_text(SMALL.replace("timezone: Asia/Ho_Chi_Minh", f"timezone: {zone}"), encoding="utf-8")
    db = tmp_path / f"{zone.replace('/', '-')}.db"
    assert run("--db", str(db), "load", "--no-shipped", str(source)).exit_code == 0
    assert run("--db", str(db), "mark-deployed", "thai-an", "--on", "2025-09-02", "--by", "officer").exit_code == 0
    return db


@pytest.mark.parametrize(
    ("zone", "label", "lang"),
    [("Asia/Ho_Chi_Minh", "UTC+7", "en"), ("Asia/Ho_Chi_Minh", "UTC+7", "vi"), ("UTC", "UTC", "en")],
)
def test_history_and_undo_show_times_in_the_registers_zone(tmp_path: Path, zone: str, label: str, lang: str) -> None:
    db = str(_register(tmp_path, zone))
    recorded = json.loads(run("--db", db, "history", "--format", "json").stdout)[0]["recorded_at"]
    moment = datetime.fromisoformat(recorded.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    written = moment.strftime("%d/%m/%Y %H:%M:%S" if lang == "vi" else "%Y-%m-%d %H:%M:%S")
    table = _at(200, "--db", db, "history", "--lang", lang)
    assert written in table
    assert (f"Recorded ({label})" if lang == "en" else f"Thời điểm ghi ({label})") in table
    narrow = _at(60, "--db", db, "history", "--lang", lang)
    assert f"#2 · {written} ({label})" in narrow
    undo = run("--db", db, "undo", "--yes", "--lang", lang).stdout
    assert f"{written} ({label})" in undo.splitlines()[0]


def test_a_change_recorded_on_another_offset_says_its_own(tmp_path: Path) -> None:
    """A zone with summer time: a time whose offset differs from the newest one's carries its own."""
    from emrtrack.output.record_tables import write_history_table
    from emrtrack.views import HistoryEntry, HistoryView

    def entry(change: int, at: str) -> HistoryEntry:
        return HistoryEntry(
            change, change, at, "a", "cli", "mark", None, None, "facility", "x", None, "added", None, "{}"
        )

    view = HistoryView(
        facility=None,
        events=[entry(2, "2025-07-01T12:00:00Z"), entry(1, "2025-01-01T12:00:00Z")],
        more=False,
        limit=20,
        timezone="Europe/Paris",
    )
    import io

    out = io.StringIO()
    write_history_table(view, out)
    text = out.getvalue()
    assert "Recorded (UTC+2)" in text
    assert "2025-07-01 14:00:00 " in text and "2025-01-01 13:00:00 UTC+1" in text
