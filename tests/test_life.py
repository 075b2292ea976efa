"""Facilities as they live: exceptions with their legal basis (extension, exemption, commitment), opening,
closing, merging and renaming, official codes, withdrawal; each through the command line, as of dates before
and after it took effect, with the register's content and `verify` checked."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import rows, run, table_hash

REQ = "2898/SYT-VP"  # deadline 2025-08-31 for every facility of the dispatch-day register


def _report(*args: str) -> dict[str, Any]:
    r = run("report", *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def _ids(*args: str) -> list[str]:
    return [f["id"] for f in _report(*args)["facilities"]]


def _row(fid: str, *args: str) -> dict[str, Any]:
    return next(f for f in _report(*args)["facilities"] if f["id"] == fid)


def _status(as_of: str) -> dict[str, Any]:
    r = run("status", "--as-of", as_of, "--format", "json", "-r", REQ)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)["requirements"][0]


def _verified() -> None:
    r = run("verify")
    assert r.exit_code == 0 and r.stdout.startswith("ok: "), r.stdout + r.stderr


def _facility_file(tmp_path: Path, fid: str, file: str = "life.yaml", register: str = "", **extra: Any) -> Path:
    """A YAML file giving the facility `fid` as the register holds it, with `extra` facts."""
    exported = run("export")
    assert exported.exit_code == 0, exported.stderr
    entry = next(f for f in yaml.safe_load(exported.stdout)["facilities"] if f["id"] == fid)
    entry.pop("milestones", None)
    entry.update(extra)
    path = tmp_path / file
    path.write_text(register + yaml.safe_dump({"facilities": [entry]}, allow_unicode=True, sort_keys=False))
    return path


# -- exceptions ------------------------------------------------------------------------------------
def test_an_extension_counts_from_the_day_it_was_granted(dispatch_day_db: Path) -> None:
    r = run(
        "extend", "do luong", "--requirement", "2898", "--until", "2025-10-31", "--basis", "3500/SYT-NVY",
        "--basis-date", "2025-09-05", "--issuer", "Sở Y tế Nghệ An", "--by", "Lan",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert r.stdout == (
        "Recorded for Bệnh viện Đa khoa Đô Lương (do-luong-general): extension of 2898/SYT-VP to 2025-10-31, "
        "by 3500/SYT-NVY of 2025-09-05 (Sở Y tế Nghệ An). Change #2.\n"
    )
    # before it was granted, the facility is overdue against the dispatch's deadline
    assert "do-luong-general" in _ids("--overdue", "--as-of", "2025-09-01")
    assert _status("2025-09-01")["exceptions"]["extension"] == 0
    # once granted, it is not yet due: its own deadline, the original and the document are shown
    assert "do-luong-general" not in _ids("--overdue", "--as-of", "2025-09-10")
    row = _row("do-luong-general", "--as-of", "2025-09-10")
    assert (row["deadline"], row["original_deadline"], row["state"]) == ("2025-10-31", "2025-08-31", "not-yet-due")
    assert row["extended_by"] == "3500/SYT-NVY of 2025-09-05 (Sở Y tế Nghệ An)"
    status = _status("2025-09-10")
    assert status["exceptions"] == {"exempt": 0, "extension": 1, "commitment": 0, "broken_commitment": 0}
    assert (status["in_scope"], status["overdue"], status["not_yet_due"]) == (25, 24, 1)
    # deployed before its extended deadline: on time, and counted so
    assert run("mark-deployed", "do luong", "--on", "2025-10-20").exit_code == 0
    assert _row("do-luong-general", "--as-of", "2025-10-25")["state"] == "deployed-on-time"
    assert _status("2025-10-25")["deployed_on_time"] == 1
    table = run("report", "--as-of", "2025-09-10", "-r", REQ, "--all")
    assert "┃ Original" in table.stdout and "│ 3500/SYT-NVY of" in table.stdout
    line = run("status", "--as-of", "2025-09-10", "-r", REQ).stdout
    assert "2898/SYT-VP: exceptions: 1 on an extension." in line
    _verified()


def test_an_exemption_leaves_the_scope_while_it_holds_and_is_listed_when_it_ends(dispatch_day_db: Path) -> None:
    r = run(
        "exempt", "hung nguyen", "-r", REQ, "--from", "2025-07-21", "--until", "2025-09-30", "--basis", "3700/SYT",
        "--basis-date", "2025-08-01",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    status = _status("2025-09-10")
    assert (status["in_scope"], status["exceptions"]["exempt"]) == (24, 1)
    assert "hung-nguyen-medical-centre" not in _ids("--as-of", "2025-09-10")
    exempt = _report("--exempt", "--as-of", "2025-09-10")
    assert exempt["count"] == 1
    assert (exempt["facilities"][0]["state"], exempt["facilities"][0]["exempt_until"]) == ("exempt", "2025-09-30")
    # an exemption ending within the window is listed by --due-within, with the days it has left
    due = run("report", "--due-within", "30", "--as-of", "2025-09-10", "-r", REQ)
    assert "Trung tâm Y tế Hưng Nguyên" in due.stdout and "│        20 │" in due.stdout
    # before it was granted, and once it has ended, the facility is in scope and overdue
    assert "hung-nguyen-medical-centre" in _ids("--as-of", "2025-07-25")
    assert _status("2025-10-01")["in_scope"] == 25
    assert _row("hung-nguyen-medical-centre", "--overdue", "--as-of", "2025-10-01")["days_overdue"] == 31
    _verified()


def test_a_broken_commitment_is_listed_most_days_past_first(dispatch_day_db: Path) -> None:
    for who, day in (("thai an", "2025-09-05"), ("dong au", "2025-08-20"), ("bao son", "2025-09-20")):
        r = run("commit", who, "--date", day, "--basis", "BC 12", "--basis-date", "2025-07-14", "-r", REQ)
        assert r.exit_code == 0, r.stderr
    report = _report("--broken-commitments", "--as-of", "2025-09-10")
    assert [(f["id"], f["committed"]) for f in report["facilities"]] == [
        ("dong-au-general", "2025-08-20"),
        ("thai-an-general", "2025-09-05"),
    ]
    table = run("report", "--broken-commitments", "--as-of", "2025-09-10", "-r", REQ, "--group-by", "none")
    assert table.stdout.splitlines()[0] == (
        "2 facilities past the date they committed to under 2898/SYT-VP (deadline 2025-08-31) as of 2025-09-10"
    )
    header, first = table.stdout.splitlines()[2], table.stdout.splitlines()[4]
    assert "┃ State   ┃ Days past commitment ┃" in header and header.endswith("┃ Committed  ┃")
    assert "│ overdue │                   21 │" in first and first.endswith("│ 2025-08-20 │")  # Đông Âu, first
    # the legal deadline stays: a facility with a commitment is still overdue against it
    assert _row("thai-an-general", "--as-of", "2025-09-10")["state"] == "overdue"
    assert run("mark-deployed", "thai an", "--on", "2025-09-08").exit_code == 0
    assert _ids("--broken-commitments", "--as-of", "2025-09-10") == ["dong-au-general"]
    assert _status("2025-09-10")["exceptions"]["broken_commitment"] == 1
    _verified()


def test_an_exception_is_undone_like_any_change(dispatch_day_db: Path) -> None:
    before = table_hash(dispatch_day_db)
    assert (
        run("extend", "do luong", "--until", "2025-10-31", "--basis", "X", "--basis-date", "2025-09-05").exit_code == 0
    )
    assert "do-luong-general" not in _ids("--overdue", "--as-of", "2025-09-10")
    undo = run("undo", "--yes")
    assert undo.exit_code == 0, undo.stderr
    assert "extension of 2898/SYT-VP for do-luong-general: deadline 2025-10-31 (X)" in undo.stdout
    assert "do-luong-general" in _ids("--overdue", "--as-of", "2025-09-10")
    assert rows(dispatch_day_db, "SELECT details FROM facilities WHERE id = 'do-luong-general'") == [(None,)]
    assert table_hash(dispatch_day_db) != before  # the history keeps both changes
    _verified()


def test_exception_commands_refuse_what_cannot_be(dispatch_day_db: Path) -> None:
    before = table_hash(dispatch_day_db)
    for args, said in (
        (("extend", "do luong", "--until", "2025-10-31", "--basis", "X", "-r", "9999/nothing"), "no requirement"),
        (("extend", "do luong", "--until", "2025-10-31", "--basis", "X", "--granted", "2099-01-01"), "future"),
        (("exempt", "do luong", "--from", "2025-09-01", "--until", "2025-08-01", "--basis", "X"), "before --from"),
        (("commit", "nowhere at all", "--date", "2025-09-01", "--basis", "X"), "no facility"),
        (("extend", "do luong", "--until", "2025-10-31", "--basis", "X", "--obligation", "annex-signed"), "sets no"),
    ):
        r = run(*args)
        assert r.exit_code in (1, 2), (args, r.stdout)
        assert said in r.stderr.lower(), (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert table_hash(dispatch_day_db) == before


# -- the YAML forms --------------------------------------------------------------------------------
SCHEMES = """\
register:
  code_schemes:
    kcb: {label: "Mã cơ sở KCB", pattern: '^[0-9]{5}$'}
"""


def test_the_yaml_forms_load_and_go_out_the_same(dispatch_day_db: Path, tmp_path: Path) -> None:
    exceptions = [
        {"kind": "extension", "requirement": REQ, "deadline": "2025-10-31", "granted": "2025-09-05",
         "basis": {"ref": "3500/SYT-NVY", "date": "2025-09-05", "issuer": "Sở Y tế Nghệ An"}, "note": "thiết bị"},
        {"kind": "exemption", "requirement": "13/2025/TT-BYT", "from": "2025-07-21", "until": "2026-06-30",
         "granted": "2025-08-01", "basis": {"ref": "1234/SYT", "date": "2025-08-01"}},
        {"kind": "commitment", "requirement": REQ, "date": "2025-08-15",
         "basis": {"ref": "Báo cáo 112/BC-BVĐL", "date": "2025-07-14"}},
    ]  # fmt: skip
    path = _facility_file(
        tmp_path,
        "do-luong-general",
        register=SCHEMES,
        codes={"kcb": "40012"},
        opened="1965-01-01",
        former_names=[{"name": "Bệnh viện Đa khoa huyện Đô Lương", "until": "2025-06-30"}],
        exceptions=exceptions,
    )
    r = run("load", str(path))
    assert r.exit_code == 0, r.stderr
    assert "1 updated" in r.stdout
    details = json.loads(rows(dispatch_day_db, "SELECT details FROM facilities WHERE id = 'do-luong-general'")[0][0])
    assert details["codes"] == {"kcb": "40012"}
    assert details["exceptions"][2]["granted"] == "2025-07-14"  # granted defaults to the basis's date
    # loading the same again changes nothing; the export gives it back as loaded
    again = run("load", str(path))
    assert again.stdout.endswith("Nothing changed; no history recorded.\n")
    exported = yaml.safe_load(run("export").stdout)
    assert exported["register"]["code_schemes"] == {"kcb": {"label": "Mã cơ sở KCB", "pattern": "^[0-9]{5}$"}}
    block = next(f for f in exported["facilities"] if f["id"] == "do-luong-general")
    assert block["exceptions"][0]["basis"] == {
        "ref": "3500/SYT-NVY",
        "date": _d("2025-09-05"),
        "issuer": "Sở Y tế Nghệ An",
    }
    # the code names the facility exactly; the earlier name finds it too
    for query in ("40012", "benh vien da khoa huyen do luong"):
        shown = run("show", query)
        assert shown.exit_code == 0, shown.stderr
        assert "do-luong-general" in shown.stdout
    show = run("show", "do luong", "--as-of", "2025-09-10").stdout
    for fact in (
        "Codes",
        "kcb 40012",
        "Opened",
        "Earlier name",
        "Bệnh viện Đa khoa huyện Đô Lương (until 2025-06-30)",
        "extension of 2898/SYT-VP to 2025-10-31, by 3500/SYT-NVY of 2025-09-05 (Sở Y tế Nghệ An) — thiết bị",
    ):
        assert fact in show, fact  # fmt: skip
    _verified()


def _d(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)


@pytest.mark.parametrize(
    "extra, said",
    [
        ({"codes": {"kcb": "4001"}}, "codes: kcb '4001' does not match the scheme's pattern ^[0-9]{5}$"),
        ({"codes": {"bhyt": "40012"}}, "codes: unknown code scheme 'bhyt' (declare it in register: code_schemes)"),
        ({"merged_into": {"id": "nowhere", "on": "2025-09-01"}}, "merged_into: no facility 'nowhere'"),
        ({"merged_into": {"id": "do-luong-general", "on": "2025-09-01"}}, "a facility cannot merge into itself"),
        ({"exceptions": [{"kind": "extension", "requirement": "9/X", "deadline": "2025-10-31", "granted": "2025-09-01"}]},
         "exceptions: no requirement '9/X' in the register or the files"),
        ({"exceptions": [{"kind": "extension", "requirement": REQ, "date": "2025-10-31", "granted": "2025-09-01"}]},
         "missing required field 'deadline'"),
        ({"exceptions": [{"kind": "extension", "requirement": REQ, "deadline": "2025-10-31"}]},
         "say when it took effect"),
        ({"exceptions": [{"kind": "waiver", "requirement": REQ, "granted": "2025-09-01"}]}, "unknown value 'waiver'"),
        ({"closed": "1990-01-01", "opened": "2000-01-01"}, "closed 1990-01-01 is not after opened 2000-01-01"),
    ],
)  # fmt: skip
def test_bad_life_facts_are_refused_with_their_place(
    dispatch_day_db: Path, tmp_path: Path, extra: dict[str, Any], said: str
) -> None:
    path = _facility_file(tmp_path, "do-luong-general", register=SCHEMES, **extra)
    before = table_hash(dispatch_day_db)
    r = run("load", str(path))
    assert r.exit_code == 1, r.stdout
    assert f"{path}:" in r.stderr and said in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert table_hash(dispatch_day_db) == before


def test_a_code_used_twice_is_refused_naming_both(dispatch_day_db: Path, tmp_path: Path) -> None:
    assert (
        run(
            "load", str(_facility_file(tmp_path, "do-luong-general", register=SCHEMES, codes={"kcb": "40012"}))
        ).exit_code
        == 0
    )
    before = table_hash(dispatch_day_db)
    path = _facility_file(tmp_path, "quy-hop-medical-centre", file="second.yaml", codes={"kcb": "40012"})
    r = run("load", str(path))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        f"emrtrack: {path}:2: facility 'quy-hop-medical-centre': codes: kcb '40012' is already the code of "
        "'do-luong-general'",
        "emrtrack: Nothing was loaded.",
    ]
    assert table_hash(dispatch_day_db) == before


# -- lifecycle -------------------------------------------------------------------------------------
def test_a_merged_facility_leaves_scope_on_the_merge_date_and_refuses_writes(
    dispatch_day_db: Path, tmp_path: Path
) -> None:
    path = _facility_file(
        tmp_path, "quy-hop-medical-centre", merged_into={"id": "do-luong-general", "on": "2025-09-01"}
    )
    assert run("load", str(path)).exit_code == 0
    assert "quy-hop-medical-centre" in _ids("--as-of", "2025-08-31")
    assert "quy-hop-medical-centre" not in _ids("--as-of", "2025-09-01")
    assert (_status("2025-08-31")["in_scope"], _status("2025-09-01")["in_scope"]) == (25, 24)
    before = table_hash(dispatch_day_db)
    r = run("mark-deployed", "quy hop", "--on", "2025-09-05")
    assert r.exit_code == 1
    assert r.stderr == (
        "emrtrack: Trung tâm Y tế Quỳ Hợp (quy-hop-medical-centre) merged into do-luong-general on 2025-09-01: "
        "record it on do-luong-general instead (its own history stays, and is shown by emrtrack show "
        "quy-hop-medical-centre)\n"
    )
    assert table_hash(dispatch_day_db) == before
    shown = run("show", "quy hop")
    assert shown.exit_code == 0
    assert shown.stderr == (
        "Trung tâm Y tế Quỳ Hợp (quy-hop-medical-centre) merged into do-luong-general on 2025-09-01; "
        "its history stays here.\n"
    )
    assert "Merged into" in shown.stdout
    _verified()


def test_a_rename_keeps_the_old_name_for_past_dates(dispatch_day_db: Path, tmp_path: Path) -> None:
    from emrtrack.store import Register

    path = _facility_file(tmp_path, "do-luong-general", name="Bệnh viện Đa khoa khu vực Đô Lương")
    assert run("load", str(path)).exit_code == 0
    today = Register.open(dispatch_day_db).today()
    old, new = "Bệnh viện Đa khoa Đô Lương", "Bệnh viện Đa khoa khu vực Đô Lương"
    assert _row("do-luong-general", "--as-of", "2025-09-01")["name"] == old
    assert _row("do-luong-general", "--as-of", today.isoformat())["name"] == new
    assert run("show", "benh vien da khoa do luong").stdout.splitlines()[0] == new  # the old name finds it
    from emrtrack.output.messages import describe_event

    yesterday = (today - timedelta(days=1)).isoformat()
    event = Register.open(dispatch_day_db).history("do-luong-general", limit=1)[0]
    assert describe_event(event) == (
        f"facility updated: former_names: — → {old} (until {yesterday}), name: {old} → {new}"
    )
    _verified()


def test_a_facility_opened_after_the_deadline_is_due_when_it_opens(dispatch_day_db: Path, tmp_path: Path) -> None:
    path = _facility_file(tmp_path, "vinh-medical-university-hospital", opened="2025-10-01")
    assert run("load", str(path)).exit_code == 0
    assert "vinh-medical-university-hospital" not in _ids("--as-of", "2025-09-15")
    row = _row("vinh-medical-university-hospital", "--as-of", "2025-10-05")
    assert (row["deadline"], row["original_deadline"], row["state"], row["days_overdue"]) == (
        "2025-10-01",
        "2025-08-31",
        "overdue",
        4,
    )
    assert _status("2025-09-15")["in_scope"] == 24


def test_a_closed_facility_leaves_scope_from_the_day_it_closed(dispatch_day_db: Path, tmp_path: Path) -> None:
    path = _facility_file(tmp_path, "nghe-an-lung", closed="2025-09-15")
    assert run("load", str(path)).exit_code == 0
    assert "nghe-an-lung" in _ids("--as-of", "2025-09-14")
    assert "nghe-an-lung" not in _ids("--as-of", "2025-09-15")


def test_reports_group_by_the_managing_body_of_the_day(dispatch_day_db: Path, tmp_path: Path) -> None:
    from emrtrack.store import Register

    path = _facility_file(tmp_path, "nghe-an-lung", managed_by="Ministry of Health")
    assert run("load", str(path)).exit_code == 0
    today = Register.open(dispatch_day_db).today().isoformat()

    def titles(as_of: str) -> list[str]:
        r = run("report", "--group-by", "managed-by", "--as-of", as_of, "-r", REQ, "--all")
        assert r.exit_code == 0, r.stderr
        return [line for line in r.stdout.splitlines()[1:] if line and line[0] not in "┏┃┡│└"]

    # today under its new body; on a day before the change, under the body it had then
    assert titles(today) == ["Ministry of Health (1)", "Ministry of defence (1)", "Police (1)", "Private (12)",
                             "Province (9)", "University (1)"]  # fmt: skip
    assert titles("2025-09-10") == ["Ministry of defence (1)", "Police (1)", "Private (12)", "Province (10)",
                                    "University (1)"]  # fmt: skip
    assert _row("nghe-an-lung", "--as-of", "2025-09-10")["managed_by"] == "province"


# -- withdrawal ------------------------------------------------------------------------------------
def test_a_withdrawn_facility_leaves_every_report_and_comes_back(dispatch_day_db: Path) -> None:
    r = run("withdraw", "an phat", "--basis", "entered twice")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Withdrawn: Bệnh viện Đa khoa An Phát (an-phat-general) is out of every report")
    assert _status("2025-09-10")["in_scope"] == 24
    assert "an-phat-general" not in _ids("--as-of", "2025-09-10")
    refused = run("mark-deployed", "an phat")
    assert refused.exit_code == 1 and "reinstate it first (emrtrack reinstate an-phat-general)" in refused.stderr
    assert run("withdraw", "an phat", "--basis", "again").exit_code == 1
    back = run("reinstate", "an phat")
    assert back.exit_code == 0 and back.stdout.startswith("Reinstated: ")
    assert _status("2025-09-10")["in_scope"] == 25
    assert run("reinstate", "an phat").exit_code == 1
    history = run("history", "an phat").stdout
    assert "withdrawn" in history
    _verified()


def test_the_chart_steps_the_in_scope_line_on_the_days_facilities_leave_and_come_back(
    dispatch_day_db: Path, tmp_path: Path
) -> None:
    from datetime import date

    from emrtrack.service import commands
    from emrtrack.store import Register

    assert run("load", str(_facility_file(tmp_path, "nghe-an-lung", closed="2025-10-15"))).exit_code == 0
    assert run("exempt", "quy hop", "-r", REQ, "--from", "2025-09-01", "--until", "2025-09-30", "--basis", "X",
               "--basis-date", "2025-08-20").exit_code == 0  # fmt: skip
    chart = commands.chart(Register.open(dispatch_day_db), requirement=REQ, as_of=date(2025, 11, 1))
    assert chart.in_scope == 24
    assert chart.scope_steps == (
        (date(2025, 7, 9), 25),
        (date(2025, 9, 1), 24),  # exempt from 1 September
        (date(2025, 10, 1), 25),  # the exemption ended on 30 September
        (date(2025, 10, 15), 24),  # closed
    )
    out = tmp_path / "chart.svg"
    assert run("chart", "-r", REQ, "--as-of", "2025-11-01", "--output", str(out)).exit_code == 0
    svg = out.read_text(encoding="utf-8")
    assert svg.count('<polyline points="') >= 1 and 'class="in-scope"' in svg
    line = next(row for row in svg.splitlines() if row.startswith("<polyline") and 'class="in-scope"' in row)
    assert len(line.split('points="')[1].split('"')[0].split()) == 8  # four levels, each a start and an end


def test_codes_go_in_and_out_of_a_list_a_column_per_scheme(dispatch_day_db: Path, tmp_path: Path) -> None:
    schemes = tmp_path / "schemes.yaml"
    schemes.write_text(SCHEMES, encoding="utf-8")
    assert run("load", str(schemes)).exit_code == 0
    template = run("template")
    assert template.stdout.splitlines()[0].endswith(",annex-signed_source,code_kcb")  # a column per declared scheme
    listed = tmp_path / "list.csv"
    listed.write_text(
        "id,name,ownership,kind,code_kcb\nvinh-x,Phòng khám Đa khoa X,non-public,clinic,04001\n", encoding="utf-8"
    )
    assert run("load", str(listed)).exit_code == 0
    assert run("show", "04001").stdout.splitlines()[0] == "Phòng khám Đa khoa X"
    exported = run("export", "--format", "csv").stdout.splitlines()
    assert exported[0].endswith(",code_kcb")
    assert next(line for line in exported if line.startswith("vinh-x,")).endswith(",04001")
    # a code used twice, or malformed, is refused with its row; nothing is loaded
    before = table_hash(dispatch_day_db)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,name,ownership,kind,code_kcb\nvinh-y,Phòng khám Y,non-public,clinic,04001\n"
        "vinh-z,Phòng khám Z,non-public,clinic,4001\n",
        encoding="utf-8",
    )
    r = run("load", str(bad))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        f"emrtrack: {bad}:2: facility 'vinh-y': codes: kcb '04001' is already the code of 'vinh-x'",
        f"emrtrack: {bad}:3: facility 'vinh-z': codes: kcb '4001' does not match the scheme's pattern ^[0-9]{{5}}$",
        "emrtrack: Nothing was loaded.",
    ]
    assert table_hash(dispatch_day_db) == before
