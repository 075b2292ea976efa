"""The command line for what is known as it is known: marks on or before a date, of several facilities or all
in scope, confirmed first; reports by obligation; the template and completion following the register's
milestones; verify replaying bounds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from helpers import SHIPPED, rows, run, table_hash

from emrtrack import completion

pytestmark = pytest.mark.usefixtures("dispatch_day_db")


def test_mark_on_or_before_with_its_source(dispatch_day_db: Path) -> None:
    r = run("mark-deployed", "do luong", "--on-or-before", "2025-09-24", "--ref", "4120/SYT-VP")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == (
        "Recorded: Bệnh viện Đa khoa Đô Lương (do-luong-general) deployed on or before 2025-09-24. Change #2.\n"
    )
    assert rows(dispatch_day_db, "SELECT date, exact, source FROM milestones") == [("2025-09-24", 0, "4120/SYT-VP")]
    assert rows(dispatch_day_db, "SELECT new FROM events WHERE change_id = 2") == [
        ('{"on_or_before":"2025-09-24","source":"4120/SYT-VP"}',)
    ]
    # other evidence for the same bound is a correction; the same again changes nothing
    other = run("mark-deployed", "do luong", "--on-or-before", "2025-09-24", "--source", "another letter")
    assert other.exit_code == 1 and "run the command again with --correct" in other.stderr
    # a later bound says less than what is known; an exact date within refines
    assert (
        "Already recorded"
        in run("mark-deployed", "do luong", "--on-or-before", "2025-09-24", "--ref", "4120/SYT-VP").stdout
    )
    assert "Already recorded" in run("mark-deployed", "do luong", "--on-or-before", "2025-10-30").stdout
    refined = run("mark-deployed", "do luong", "--on", "2025-09-10", "--source", "go-live report")
    assert refined.stdout == (
        "Updated: Bệnh viện Đa khoa Đô Lương (do-luong-general) deployed on 2025-09-10 "
        "(was on or before 2025-09-24). Change #3.\n"
    )
    assert rows(dispatch_day_db, "SELECT action FROM events WHERE change_id = 3") == [("refined",)]
    # a date outside the bound contradicts it: only with --correct
    refused = run("mark-deployed", "do luong", "--on", "2025-10-01")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "emrtrack: Bệnh viện Đa khoa Đô Lương (do-luong-general) already has deployed on 2025-09-10; to record "
        "2025-10-01 instead, run the command again with --correct\n"
    )
    assert run("mark-deployed", "do luong", "--on", "2025-09-01", "--on-or-before", "2025-09-02").exit_code == 2
    assert run("verify").exit_code == 0


def test_marking_several_facilities_lists_them_and_asks_first(dispatch_day_db: Path) -> None:
    before = table_hash(dispatch_day_db)
    args = ("mark-deployed", "do luong", "hoan my", "--on-or-before", "2025-09-24")
    refused = run(*args)  # not a terminal, no --yes: nothing is recorded
    assert refused.exit_code == 2
    assert refused.stdout == (
        "To record: deployed on or before 2025-09-24, for 2 facilities:\n"
        "  do-luong-general  Bệnh viện Đa khoa Đô Lương\n"
        "  hoan-my-vinh      Bệnh viện Đa khoa Hoàn Mỹ Vinh\n"
    )
    assert "needs confirmation: run it again with --yes" in refused.stderr
    assert table_hash(dispatch_day_db) == before
    done = run(*args, "--yes", "--ref", "VietNamNet, 26 September 2025")
    assert done.exit_code == 0
    assert done.stdout.splitlines()[3:] == ["2 facilities updated in change #2."]  # after the list
    assert rows(dispatch_day_db, "SELECT COUNT(*), MIN(change_id), MAX(change_id) FROM events WHERE change_id > 1") == [
        (2, 2, 2)
    ]
    summary = rows(dispatch_day_db, "SELECT summary FROM changes WHERE id = 2")
    assert summary == [("deployed recorded for 2 facilities: on or before 2025-09-24",)]
    # milestone sources default to the --ref for a bound
    assert rows(dispatch_day_db, "SELECT DISTINCT source FROM milestones") == [("VietNamNet, 26 September 2025",)]


def test_mark_all_in_scope_that_have_not_reached_it(dispatch_day_db: Path) -> None:
    assert run("mark-deployed", "do luong", "--on", "2025-08-20").exit_code == 0
    r = run("mark", "--all", "deployed", "--on-or-before", "2025-09-24", "--yes", "--ref", "VNN")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0] == "To record: deployed on or before 2025-09-24, for 24 facilities:"
    assert r.stdout.splitlines()[25:] == ["24 facilities updated in change #3."]
    assert rows(dispatch_day_db, "SELECT exact, COUNT(*) FROM milestones GROUP BY exact") == [(0, 24), (1, 1)]
    again = run("mark", "--all", "deployed", "--on-or-before", "2025-09-24", "--yes")
    assert again.stdout == "Nothing to record: no facility in scope lacks this milestone.\n"
    # in scope of another requirement (-r): Circular 13 covers all 25, none of which has the annex yet
    annex = run("mark", "--all", "annex-signed", "-r", "13/2025/TT-BYT", "--on", "2025-10-01", "--yes")
    assert annex.stdout.splitlines()[0] == "To record: annex signed on 2025-10-01, for 25 facilities:"
    assert run("mark", "do luong", "--all", "deployed").exit_code == 2
    assert "name at least one FACILITY" in run("mark", "deployed").stderr


def test_unknown_milestone_and_obligation_are_refused() -> None:
    r = run("mark", "do luong", "deploy")
    assert (r.exit_code, r.stderr) == (
        2,
        "emrtrack: unknown milestone 'deploy': did you mean 'deployed'? (choose one of: appraised, deployed, "
        "annex-signed)\n",
    )
    far = run("mark", "do luong", "xyz")
    assert far.stderr == "emrtrack: unknown milestone 'xyz'; choose one of: appraised, deployed, annex-signed\n"
    r = run("report", "--obligation", "report-submitted")
    assert r.exit_code == 2
    assert "unknown milestone 'report-submitted'" in r.stderr


def test_the_template_follows_the_register_milestones(shipped_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "list.csv"
    assert run("template", "--output", str(out)).exit_code == 0
    header = out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[8:13] == ["appraised", "report-submitted", "deployed", "annex-signed", "paper-records-stopped"]
    assert "paper-records-stopped_on_or_before" in header and "deployed_source" in header
    xlsx = tmp_path / "list.xlsx"
    assert run("template", "--output", str(xlsx), "--lang", "vi").exit_code == 0
    help_rows = {r[0]: r[2] for r in openpyxl.load_workbook(xlsx).worksheets[1].iter_rows(min_row=2, values_only=True)}
    vi_header = run("template", "--lang", "vi").stdout.strip().split(",")  # the columns' Vietnamese names
    assert list(help_rows) == vi_header and len(vi_header) == len(header)
    assert help_rows["đã dừng bệnh án giấy"] == "ngày đạt mốc: đã dừng bệnh án giấy"


def test_the_template_of_no_register_has_the_default_milestones_and_makes_none(tmp_path: Path) -> None:
    out = tmp_path / "list.csv"
    missing = tmp_path / "none.db"
    assert run("template", "--output", str(out), "--db", str(missing)).exit_code == 0
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")[8:11] == [
        "appraised",
        "deployed",
        "annex-signed",
    ]
    assert not missing.exists()


def test_completion_offers_the_register_milestones(shipped_db: Path) -> None:
    assert completion.milestones("", shipped_db)[:2] == [
        ("appraised", "appraised as qualified"),
        ("report-submitted", "report submitted"),
    ]
    assert completion.milestones("pa", shipped_db) == [("paper-records-stopped", "paper records stopped")]
    assert completion.milestones("a", shipped_db, every=True)[-1] == ("all", "every obligation")


def test_verify_replays_bounds_and_finds_one_altered(shipped_db: Path) -> None:
    ok = run("verify")
    assert ok.exit_code == 0 and ok.stdout.startswith("ok: 57 events checked\n")
    conn = sqlite3.connect(shipped_db)
    conn.execute("UPDATE milestones SET exact = 1 WHERE facility_id = 'nghe-an-lung'")  # a bound made a date
    conn.commit()
    conn.close()
    bad = run("verify")
    assert bad.exit_code == 1
    assert bad.stderr.startswith(
        "emrtrack: verify failed after 57 good events: the current tables do not match the history: milestone "
        "deployed of 'nghe-an-lung' is "
    )


def test_status_json_of_the_dispatch_day_register_keeps_its_shape() -> None:
    doc = json.loads(run("status", "--as-of", "2025-09-01", "--format", "json").stdout)
    assert [r["id"] for r in doc["requirements"]] == ["2898/SYT-VP", "13/2025/TT-BYT"]
    assert doc["requirements"][0]["deployed_unconfirmed"] == 0


def test_loading_the_shipped_data_over_exact_dates_keeps_them(dispatch_day_db: Path) -> None:
    assert run("mark-deployed", "nghi loc", "--on", "2025-08-30").exit_code == 0
    r = run("load", str(SHIPPED))
    assert r.exit_code == 0 and "Milestones: 24 recorded." in r.stdout
    assert rows(dispatch_day_db, "SELECT date, exact FROM milestones WHERE facility_id = 'nghi-loc-general'") == [
        ("2025-08-30", 1)
    ]


def test_what_recording_over_what_is_known_is() -> None:
    from datetime import date

    from emrtrack.model import Reached
    from emrtrack.store.changes import implied, milestone_action

    bound = Reached(date(2025, 9, 24), exact=False, source="VNN")
    bare = Reached(date(2025, 9, 24), exact=False)
    assert implied(bound, Reached(date(2025, 10, 1), exact=False))  # a later bound says less
    assert implied(bound, bare) and implied(Reached(date(2025, 9, 10)), bare)
    assert not implied(bare, bound)  # the same bound, with evidence where there was none
    assert not implied(bound, Reached(date(2025, 9, 24), exact=False, source="other"))
    assert milestone_action(None, bound) == "recorded"
    assert milestone_action(bare, bound) == "refined"
    assert milestone_action(bound, Reached(date(2025, 9, 24), exact=False, source="other")) == "corrected"
    assert milestone_action(bound, Reached(date(2025, 9, 1))) == "refined"  # a date within the bound
    assert milestone_action(bound, Reached(date(2025, 9, 10), exact=False)) == "refined"  # a narrower bound
    assert milestone_action(bound, Reached(date(2025, 9, 25))) == "corrected"  # outside it
    assert milestone_action(Reached(date(2025, 9, 1)), Reached(date(2025, 9, 1), source="letter")) == "refined"
    assert milestone_action(Reached(date(2025, 9, 1)), Reached(date(2025, 9, 2))) == "corrected"


def test_a_requirement_is_named_by_a_unique_beginning_of_its_id() -> None:
    r = run("report", "-r", "2898", "--overdue", "--as-of", "2025-09-01", "--format", "csv")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 26
    assert r.stdout.splitlines()[1].startswith("2898/SYT-VP,")
    unknown = run("report", "-r", "46")
    assert unknown.exit_code == 1
    assert unknown.stderr == "emrtrack: no requirement '46' in the register (known: 2898/SYT-VP, 13/2025/TT-BYT)\n"


def test_the_template_without_a_file_is_csv_on_standard_output(shipped_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "list.csv"
    assert run("template", "--output", str(out)).exit_code == 0
    shown = run("template")
    assert shown.exit_code == 0 and shown.stderr == ""
    assert shown.stdout == out.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    assert run("template", "--format", "csv").stdout == shown.stdout
    xlsx = run("template", "--format", "xlsx")
    assert xlsx.exit_code == 2
    assert "--format xlsx writes a file: give it with --output FILE.xlsx" in xlsx.stderr


def test_all_wins_over_limit_and_says_so(shipped_db: Path) -> None:
    every = run("report", "--all")
    both = run("report", "--all", "--limit", "5")
    assert both.exit_code == 0 and both.stdout == every.stdout
    assert both.stderr == "--all shows every row: --limit 5 is not used.\n"
    assert (
        run("report", "--all", "--lang", "vi", "--limit", "5").stderr == "--all hiện mọi dòng: không dùng --limit 5.\n"
    )
    assert every.stderr == "" and run("report", "--limit", "5").stderr == ""
