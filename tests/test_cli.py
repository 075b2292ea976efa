"""The command line, through CliRunner: every command and option, exact output, exit codes, register content."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import DISPATCH_DAY, rows, run, table_hash

from emrtrack.naming import fold

PUBLIC_NAMES = {
    "Bệnh viện Hữu nghị Đa khoa Nghệ An",
    "Bệnh viện Phổi Nghệ An",
    "Bệnh viện Tâm thần Nghệ An",
    "Bệnh viện Phục hồi chức năng Nghệ An",
    "Bệnh viện Da liễu Nghệ An",
    "Trung tâm Huyết học - Truyền máu Nghệ An",
    "Bệnh viện Đa khoa Nghi Lộc",
    "Bệnh viện Đa khoa Đô Lương",
    "Trung tâm Y tế Hưng Nguyên",
    "Trung tâm Y tế Quỳ Hợp",
    "Bệnh viện Trường Đại học Y khoa Vinh",
    "Bệnh viện Quân y 4",
    "Bệnh viện Công an tỉnh Nghệ An",
}
NON_PUBLIC_NAMES = {
    "Bệnh viện Đa khoa 115 Nghệ An",
    "Bệnh viện Ngoại khoa 115 Nghệ An",
    "Bệnh viện Đa khoa Hoàn Mỹ Vinh",
    "Bệnh viện Đa khoa Đông Âu",
    "Bệnh viện Đa khoa Thái An",
    "Bệnh viện Đa khoa Phủ Diễn",
    "Bệnh viện Đa khoa Bảo Sơn",
    "Bệnh viện Đa khoa An Phát",
    "Bệnh viện Thái Thượng Hoàng",
    "Bệnh viện Đa khoa TTH Vinh",
    "Bệnh viện Y học cổ truyền Nguyễn Phúc",
    "Bệnh viện Răng Hàm Mặt Nghệ An",
}


@pytest.fixture(autouse=True)
def _dispatch_day(request: pytest.FixtureRequest) -> None:
    """Marks, history and verification are exercised on the register as the dispatch left it (no milestone),
    except where a test starts with no register at all (`new_register`) or with a small one of its own."""
    if request.node.get_closest_marker("new_register") or {"small", "small_one_requirement"} & set(
        request.fixturenames
    ):
        return
    request.getfixturevalue("dispatch_day_db")


def lines(text: str) -> list[str]:
    """Output lines without the padding Rich adds after a table title."""
    return [line.rstrip() for line in text.splitlines()]


def report_json(*args: str) -> dict:
    r = run("report", "--format", "json", *args)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


# -- the dispatch's lists, reproduced ---------------------------------------------------------------
def _check_reproduction(facilities: list[dict]) -> None:
    assert len(facilities) == 25
    assert [f["ownership"] for f in facilities] == ["public"] * 13 + ["non-public"] * 12
    assert {f["name"] for f in facilities[:13]} == PUBLIC_NAMES
    assert {f["name"] for f in facilities[13:]} == NON_PUBLIC_NAMES
    for group in (facilities[:13], facilities[13:]):  # all equally late: then by name, without diacritics
        assert [f["name"] for f in group] == sorted((f["name"] for f in group), key=fold)
    assert {(str(f["days_overdue"]), f["state"], f["deadline"], f["verified"]) for f in facilities} == {
        ("1", "overdue", "2025-08-31", "2025-07-09")
    }
    assert all(f["latest_milestone"] in (None, "") for f in facilities)


def test_reproduction_json(dispatch_day_db: Path) -> None:
    doc = report_json("--overdue", "--as-of", "2025-09-01")
    assert doc["as_of"] == "2025-09-01"
    assert doc["requirement"]["id"] == "2898/SYT-VP"
    assert doc["requirement"]["deadline"] == "2025-08-31"
    assert doc["count"] == 25
    assert list(doc) == ["as_of", "requirement", "count", "obligation", "unconfirmed", "facilities"]
    assert (doc["obligation"], doc["unconfirmed"]) == ("deployed", [])
    assert list(doc["facilities"][0]) == [
        "id",
        "name",
        "ownership",
        "kind",
        "deadline",
        "state",
        "days_overdue",
        "latest_milestone",
        "verified",
        "deployed",
        # new keys after the old ones
        "days_late",
        "bound",
        "source",
        "milestone",
        "reached",
        "binding",
        # a facility's life and exceptions
        "original_deadline",
        "extended_by",
        "committed",
        "exempt_until",
        "codes",
        "managed_by",
    ]
    assert {f["deployed"] for f in doc["facilities"]} == {None}
    _check_reproduction(doc["facilities"])


def test_reproduction_csv(dispatch_day_db: Path) -> None:
    r = run("report", "--overdue", "--as-of", "2025-09-01", "--format", "csv")
    assert r.exit_code == 0 and r.stderr == ""
    table = list(csv.DictReader(io.StringIO(r.stdout)))
    assert (
        r.stdout.splitlines()[0]
        == "requirement,id,name,ownership,kind,deadline,state,days_overdue,latest_milestone,verified,deployed,"
        "days_late,bound,source,milestone,reached,original_deadline,extended_by,committed,exempt_until,managed_by"
    )
    assert {row["requirement"] for row in table} == {"2898/SYT-VP"}
    _check_reproduction(table)


def test_reproduction_table(dispatch_day_db: Path) -> None:
    r = run("report", "--overdue", "--as-of", "2025-09-01")
    assert r.exit_code == 0 and r.stderr == ""
    out = lines(r.stdout)
    assert out[0] == "25 facilities overdue against 2898/SYT-VP (deadline 2025-08-31) as of 2025-09-01"
    assert out[1] == "Public (13)"
    assert out[19] == "Non-public (12)"
    body = [line for line in out if line.startswith("│")]
    assert len(body) == 25
    assert all("│ 2025-08-31 │            1 │ none             │ 2025-07-09 │" in line for line in body)
    assert body[1] == (
        "│  2 │ Bệnh viện Đa khoa Đô Lương               │ do-luong-general                     │ "
        "hospital           │ 2025-08-31 │            1 │ none             │ 2025-07-09 │"
    )
    assert "\x1b[" not in r.stdout


@pytest.mark.new_register
def test_created_register_is_said_on_stderr(db_path: Path) -> None:
    assert not db_path.exists()
    r = run("report", "--overdue", "--as-of", "2025-09-01", "--format", "csv")
    assert r.exit_code == 0
    assert r.stderr == (
        f"Created a new register at {db_path} with the shipped data (nghe-an-2898.yaml: 25 facilities).\n"
    )
    assert len(r.stdout.splitlines()) == 26
    again = run("report", "--overdue", "--as-of", "2025-09-01", "--format", "csv")
    assert again.stderr == "" and again.stdout == r.stdout


# -- exact text ------------------------------------------------------------------------------------
def test_exact_overdue_table(small_one_requirement: Path) -> None:
    r = run("report", "--overdue", "--as-of", "2025-09-03")
    assert r.exit_code == 0 and r.stderr == ""
    assert lines(r.stdout) == [
        "2 facilities overdue against R/1 (deadline 2025-08-31) as of 2025-09-03",
        "Public (1)",
        "┏━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┓",
        "┃ # ┃ Facility                   ┃ Id               ┃ Kind     ┃ Deadline   ┃ Days overdue ┃ Latest milestone     ┃ Verified   ┃",
        "┡━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━┩",
        "│ 1 │ Bệnh viện Đa khoa Đô Lương │ do-luong-general │ hospital │ 2025-08-31 │            3 │ appraised 2025-08-01 │ 2025-07-09 │",
        "└───┴────────────────────────────┴──────────────────┴──────────┴────────────┴──────────────┴──────────────────────┴────────────┘",
        "Non-public (1)",
        "┏━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┓",
        "┃ # ┃ Facility           ┃ Id             ┃ Kind   ┃ Deadline   ┃ Days overdue ┃ Latest milestone ┃ Verified ┃",
        "┡━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━┩",
        "│ 1 │ Phòng khám Hoàn Mỹ │ hoan-my-clinic │ clinic │ 2025-08-31 │            3 │ none             │ never    │",
        "└───┴────────────────────┴────────────────┴────────┴────────────┴──────────────┴──────────────────┴──────────┘",
    ]


def test_exact_full_report_table_group_by_none(small_one_requirement: Path) -> None:
    r = run("report", "--as-of", "2025-09-03", "--group-by", "none")
    assert r.exit_code == 0, r.stderr
    assert lines(r.stdout) == [
        "3 facilities in scope of R/1 (deadline 2025-08-31) as of 2025-09-03",
        "┏━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┓",
        "┃ # ┃ Facility                   ┃ Id                         ┃ Ownership  ┃ Kind           ┃ Deadline   ┃ State            ┃ Days overdue ┃ Latest milestone     ┃ Verified   ┃",
        "┡━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━┩",
        "│ 1 │ Bệnh viện Đa khoa Đô Lương │ do-luong-general           │ Public     │ hospital       │ 2025-08-31 │ overdue          │            3 │ appraised 2025-08-01 │ 2025-07-09 │",
        "│ 2 │ Phòng khám Hoàn Mỹ         │ hoan-my-clinic             │ Non-public │ clinic         │ 2025-08-31 │ overdue          │            3 │ none                 │ never      │",
        "│ 3 │ Trung tâm Y tế Hưng Nguyên │ hung-nguyen-medical-centre │ Public     │ medical centre │ 2025-08-31 │ deployed on time │              │ deployed 2025-08-20  │ 2025-07-09 │",
        "└───┴────────────────────────────┴────────────────────────────┴────────────┴────────────────┴────────────┴──────────────────┴──────────────┴──────────────────────┴────────────┘",
    ]


def test_exact_json_report(small_one_requirement: Path) -> None:
    r = run("report", "--overdue", "--as-of", "2025-09-03", "--format", "json")
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout == (
        '{"as_of": "2025-09-03", "requirement": {"id": "R/1", "title": "Deploy EMR", "issuer": "Sở Y tế", '
        '"issued": "2025-01-01", "in_force": null, "deadline": "2025-08-31", "deadlines": [{"applies_to": {}, '
        '"deadline": "2025-08-31"}], "applies_to": {}, "source": null, "refs": [], "binding": true, '
        '"replaces": null, "obligations": [{"milestone": "deployed", "deadlines": [{"applies_to": {}, '
        '"deadline": "2025-08-31"}], "applies_to": {}, "principal": true}]}, "count": 2, "obligation": "deployed", '
        '"unconfirmed": [], "facilities": [\n'
        '  {"id": "do-luong-general", "name": "Bệnh viện Đa khoa Đô Lương", "ownership": "public", '
        '"kind": "hospital", "deadline": "2025-08-31", "state": "overdue", "days_overdue": 3, '
        '"latest_milestone": "appraised", "verified": "2025-07-09", "deployed": null, "days_late": 0, '
        '"bound": null, "source": null, "milestone": "deployed", "reached": null, "binding": true, '
        '"original_deadline": null, "extended_by": null, "committed": null, "exempt_until": null, "codes": {}, '
        '"managed_by": null},\n'
        '  {"id": "hoan-my-clinic", "name": "Phòng khám Hoàn Mỹ", "ownership": "non-public", "kind": "clinic", '
        '"deadline": "2025-08-31", "state": "overdue", "days_overdue": 3, "latest_milestone": null, '
        '"verified": null, "deployed": null, "days_late": 0, "bound": null, "source": null, '
        '"milestone": "deployed", "reached": null, "binding": true, "original_deadline": null, "extended_by": null, '
        '"committed": null, "exempt_until": null, "codes": {}, "managed_by": null}\n'
        "]}\n"
    )


def test_exact_json_status(small_one_requirement: Path) -> None:
    r = run("status", "--as-of", "2025-09-03", "--format", "json")
    assert r.exit_code == 0 and r.stderr == ""
    counts = {"deployed_late": 0, "deployed_unconfirmed": 0, "not_yet_due": 0}
    by_ownership = {
        "public": {"in_scope": 2, "deployed_on_time": 1, "overdue": 1, "compliance_pct": 50.0, **counts},
        "non-public": {"in_scope": 1, "deployed_on_time": 0, "overdue": 1, "compliance_pct": 0.0, **counts},
    }
    no_exceptions = {"exempt": 0, "extension": 0, "commitment": 0, "broken_commitment": 0}
    cohorts = [
        {
            "applies_to": {},
            "deadline": "2025-08-31",
            "in_scope": 3,
            "deployed_on_time": 1,
            "overdue": 2,
            "compliance_pct": 33.3,
            **counts,
        }
    ]
    assert json.loads(r.stdout) == {
        "as_of": "2025-09-03",
        "register": "Test register",
        "requirements": [
            {
                "id": "R/1",
                "deadline": "2025-08-31",
                "binding": True,
                "in_scope": 3,
                "deployed_on_time": 1,
                "overdue": 2,
                "compliance_pct": 33.3,
                **counts,
                "by_ownership": by_ownership,
                "cohorts": cohorts,
                "exceptions": no_exceptions,  # how many the exceptions touch: here none
                # every obligation: here the one, deployment, which the figures above are
                "obligations": [
                    {
                        "milestone": "deployed",
                        "principal": True,
                        "deadline": "2025-08-31",
                        "applies_to": {},
                        "in_scope": 3,
                        "deployed_on_time": 1,
                        "overdue": 2,
                        "compliance_pct": 33.3,
                        **counts,
                        "by_ownership": by_ownership,
                        "cohorts": cohorts,
                        "exceptions": no_exceptions,
                    }
                ],
                "milestones": {"appraised": 1, "deployed": 1, "annex-signed": 0},
                "data_age": {
                    "oldest": "2025-08-01",
                    "median": "2025-08-20",
                    "oldest_days": 33,
                    "median_days": 14,
                    "never_verified": 1,
                },
            }
        ],
        "notes": [],
    }


def test_exact_markdown(small_one_requirement: Path) -> None:
    r = run("report", "--as-of", "2025-09-03", "--format", "markdown")
    assert r.exit_code == 0
    assert r.stdout == (
        "Requirement **R/1**, deadline 2025-08-31: Deploy EMR\n\n"
        "As of 2025-09-03, 3 facilities are in scope.\n\n"
        "Public facilities (2):\n\n"
        "1. Bệnh viện Đa khoa Đô Lương (hospital; 3 days overdue)\n"
        "2. Trung tâm Y tế Hưng Nguyên (medical centre; deployed on time)\n\n"
        "Non-public facilities (1):\n\n"
        "1. Phòng khám Hoàn Mỹ (clinic; 3 days overdue)\n"
    )


def test_status_table(dispatch_day_db: Path) -> None:
    r = run("status", "--as-of", "2025-09-01")
    assert r.exit_code == 0 and r.stderr == ""
    out = lines(r.stdout)
    assert out[0] == "Nghệ An EMR register: status as of 2025-09-01"
    assert out[4:8] == [
        "│ 2898/SYT-VP    │ all facilities   │ 2025-08-31 │    1 day past │       25 │       0 │    0 │      25 │           0 │       0.0% │",
        "│ 13/2025/TT-BYT │ hospital         │ 2025-09-30 │  29 days left │       22 │       0 │    0 │       0 │          22 │       0.0% │",
        "│ 13/2025/TT-BYT │ other facilities │ 2026-12-31 │ 486 days left │        3 │       0 │    0 │       0 │           3 │       0.0% │",
        "└────────────────┴──────────────────┴────────────┴───────────────┴──────────┴─────────┴──────┴─────────┴─────────────┴────────────┘",
    ]
    assert out[8] == "By ownership"
    assert out[12:16] == [
        "│ 2898/SYT-VP    │ Public     │       13 │       0 │    0 │      13 │           0 │       0.0% │",
        "│ 2898/SYT-VP    │ Non-public │       12 │       0 │    0 │      12 │           0 │       0.0% │",
        "│ 13/2025/TT-BYT │ Public     │       13 │       0 │    0 │       0 │          13 │       0.0% │",
        "│ 13/2025/TT-BYT │ Non-public │       12 │       0 │    0 │       0 │          12 │       0.0% │",
    ]
    assert out[17:] == [
        "2898/SYT-VP: milestones reached by 25 facilities in scope: appraised 0 · deployed 0 · annex signed 0. "
        "Data last confirmed: oldest 2025-07-09 (54 days ago), median 2025-07-09 (54 days ago).",
        "13/2025/TT-BYT: milestones reached by 25 facilities in scope: appraised 0 · deployed 0 · annex signed 0. "
        "Data last confirmed: oldest 2025-07-09 (54 days ago), median 2025-07-09 (54 days ago).",
        "Notes:",
        "- Dispatch 2898/SYT-VP (9 July 2025) names 26 units appraised as qualified for EMR, which must sign an "
        "annex with Social Insurance (BHXH); their names were not published [1].",
        "- Units not yet deployed were to send the Department director a written report by 15 July 2025: reasons, "
        "expected completion date, commitment [2].",
        "- On 24 September 2025 the Minister of Health said Nghệ An had activated EMR at 100% of its public and "
        "private facilities (VietNamNet, 26 September 2025); per-facility dates were not published [4].",
        "- Sources: [1] Báo Nghệ An (baonghean.vn), July 2025; [2] Vietnamese press on the same dispatch; "
        "[3] Circular 13/2025/TT-BYT, Art. 4; [4] VietNamNet, 26 September 2025.",
    ]


def test_status_one_requirement(dispatch_day_db: Path) -> None:
    r = run("status", "--as-of", "2025-10-01", "--requirement", "13/2025/TT-BYT", "--format", "json")
    doc = json.loads(r.stdout)
    assert [q["id"] for q in doc["requirements"]] == ["13/2025/TT-BYT"]
    q = doc["requirements"][0]
    assert (q["deadline"], q["in_scope"], q["overdue"], q["not_yet_due"]) == ("2026-12-31", 25, 22, 3)
    assert [(c["deadline"], c["overdue"], c["not_yet_due"]) for c in q["cohorts"]] == [
        ("2025-09-30", 22, 0),
        ("2026-12-31", 0, 3),
    ]


# -- as of a date ----------------------------------------------------------------------------------
@pytest.mark.parametrize("day", ["2025-07-09", "2025-08-30", "2025-08-31"])
def test_as_of_on_or_before_the_deadline_none_overdue(dispatch_day_db: Path, day: str) -> None:
    r = run("report", "--overdue", "--as-of", day, "--fail-on-overdue")
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout == f"0 facilities overdue against 2898/SYT-VP (deadline 2025-08-31) as of {day}\nNone.\n"
    doc = report_json("--as-of", day)
    assert doc["count"] == 25
    assert {f["state"] for f in doc["facilities"]} == {"not-yet-due"}


@pytest.mark.parametrize(("day", "late"), [("2025-09-01", 1), ("2025-09-10", 10), ("2026-01-01", 123)])
def test_as_of_after_the_deadline(dispatch_day_db: Path, day: str, late: int) -> None:
    doc = report_json("--overdue", "--as-of", day)
    assert doc["count"] == 25
    assert {f["days_overdue"] for f in doc["facilities"]} == {late}


def test_as_of_counts_only_milestones_on_or_before_it(dispatch_day_db: Path) -> None:
    assert run("mark-deployed", "do-luong-general", "--on", "2025-09-05").exit_code == 0
    for day, state in (("2025-09-04", "overdue"), ("2025-09-05", "deployed-late"), ("2025-12-01", "deployed-late")):
        doc = report_json("--as-of", day)
        assert [f["state"] for f in doc["facilities"] if f["id"] == "do-luong-general"] == [state]
    assert report_json("--overdue", "--as-of", "2025-09-04")["count"] == 25
    assert report_json("--overdue", "--as-of", "2025-09-05")["count"] == 24


def test_circular_13_cohorts(dispatch_day_db: Path) -> None:
    c13 = ("--requirement", "13/2025/TT-BYT")
    assert report_json("--overdue", "--as-of", "2025-09-30", *c13)["count"] == 0
    doc = report_json("--overdue", "--as-of", "2025-10-01", *c13)
    assert doc["count"] == 22
    assert {(f["kind"], f["deadline"], f["days_overdue"]) for f in doc["facilities"]} == {("hospital", "2025-09-30", 1)}
    everyone = {f["id"]: f for f in report_json("--as-of", "2025-10-01", *c13)["facilities"]}
    assert everyone["nghe-an-friendship-general"]["state"] == "overdue"
    blood = everyone["nghe-an-hematology-blood-transfusion"]
    assert (blood["kind"], blood["deadline"], blood["state"], blood["days_overdue"]) == (
        "specialised-centre",
        "2026-12-31",
        "not-yet-due",
        0,
    )
    late = report_json("--overdue", "--as-of", "2027-01-01", *c13)
    blood_late = [f for f in late["facilities"] if f["id"] == "nghe-an-hematology-blood-transfusion"]
    assert [(f["deadline"], f["days_overdue"]) for f in blood_late] == [("2026-12-31", 1)]


def test_report_every_requirement(dispatch_day_db: Path) -> None:
    doc = report_json("--overdue", "--as-of", "2025-10-01", "--requirement", "all")
    assert doc["as_of"] == "2025-10-01"
    assert [(p["requirement"]["id"], p["count"]) for p in doc["reports"]] == [
        ("2898/SYT-VP", 25),
        ("13/2025/TT-BYT", 22),
    ]


def test_report_group_by_kind(dispatch_day_db: Path) -> None:
    r = run("report", "--overdue", "--as-of", "2025-09-01", "--group-by", "kind", "--format", "csv")
    kinds = [row["kind"] for row in csv.DictReader(io.StringIO(r.stdout))]
    assert kinds == ["hospital"] * 22 + ["medical-centre"] * 2 + ["specialised-centre"]


def test_report_limit_in_a_table(dispatch_day_db: Path) -> None:
    r = run("report", "--overdue", "--as-of", "2025-09-01", "--limit", "3")
    assert r.exit_code == 0
    assert len([line for line in r.stdout.splitlines() if line.startswith("│")]) == 3
    assert lines(r.stdout)[-1] == (
        "... and 22 more not shown (--limit 3). Use --all to list every one, or --format csv or json for a file."
    )


def test_unknown_requirement(dispatch_day_db: Path) -> None:
    r = run("report", "--requirement", "46/2018/TT-BYT")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == (
        "emrtrack: no requirement '46/2018/TT-BYT' in the register (known: 2898/SYT-VP, 13/2025/TT-BYT)\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("report", "--format", "xml"),
        ("report", "--group-by", "district"),
        ("status", "--as-of", "2025-02-30"),
        ("report", "--as-of", "08/31/2025"),  # month first: refused, the message says the order
        ("report", "--as-of", "0001-01-01"),
        ("report", "--due-within", "99999999"),
        ("history", "--limit", "0"),
        ("frobnicate",),
    ],
)
def test_bad_usage_exits_2(dispatch_day_db: Path, args: tuple[str, ...]) -> None:
    before = table_hash(dispatch_day_db)
    r = run(*args)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "Traceback" not in r.stderr and r.stderr
    assert table_hash(dispatch_day_db) == before


def test_fail_on_overdue(dispatch_day_db: Path) -> None:
    r = run("report", "--overdue", "--as-of", "2025-09-01", "--fail-on-overdue", "--format", "csv")
    assert r.exit_code == 3
    assert r.stderr == "emrtrack: 25 overdue\n"
    assert len(r.stdout.splitlines()) == 26
    without = run("report", "--overdue", "--as-of", "2025-09-01", "--format", "csv")
    assert without.exit_code == 0 and without.stdout == r.stdout
    # the full report (every state) counts the overdue for its exit code too
    full = run("report", "--as-of", "2025-09-01", "--fail-on-overdue", "--format", "json")
    assert (full.exit_code, full.stderr) == (3, "emrtrack: 25 overdue\n")
    assert run("report", "--as-of", "2025-08-31", "--fail-on-overdue", "--format", "json").exit_code == 0


# -- naming a facility -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "fid", "name"),
    [
        ("do luong", "do-luong-general", "Bệnh viện Đa khoa Đô Lương"),
        ("DO LUONG", "do-luong-general", "Bệnh viện Đa khoa Đô Lương"),
        ("Đô Lương", "do-luong-general", "Bệnh viện Đa khoa Đô Lương"),
        ("do-luong-general", "do-luong-general", "Bệnh viện Đa khoa Đô Lương"),
        ("hoan my", "hoan-my-vinh", "Bệnh viện Đa khoa Hoàn Mỹ Vinh"),
        ("quan y 4", "military-hospital-4", "Bệnh viện Quân y 4"),
        ("Do Luong General Hospital", "do-luong-general", "Bệnh viện Đa khoa Đô Lương"),
    ],
)
def test_mark_deployed_resolves_folded_names(dispatch_day_db: Path, query: str, fid: str, name: str) -> None:
    r = run("mark-deployed", query, "--on", "2025-08-20")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"Recorded: {name} ({fid}) deployed on 2025-08-20. Change #2.\n"
    assert rows(dispatch_day_db, "SELECT facility_id, milestone, date FROM milestones") == [
        (fid, "deployed", "2025-08-20")
    ]


def test_ambiguous_name_is_refused_and_nothing_written(dispatch_day_db: Path) -> None:
    before = table_hash(dispatch_day_db)
    r = run("mark-deployed", "115", "--on", "2025-08-20")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == (
        "emrtrack: '115' matches 2 facilities: Bệnh viện Đa khoa 115 Nghệ An (general-115); "
        "Bệnh viện Ngoại khoa 115 Nghệ An (surgical-115). Nothing was done; name one by its id.\n"
    )
    assert table_hash(dispatch_day_db) == before


def test_typo_gets_did_you_mean(dispatch_day_db: Path) -> None:
    before = table_hash(dispatch_day_db)
    r = run("mark-deployed", "do luogn", "--on", "2025-08-20")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.startswith(
        "emrtrack: no facility matches 'do luogn'. Did you mean: Bệnh viện Đa khoa Đô Lương (do-luong-general)"
    )
    assert r.stderr.count("\n") == 1
    assert table_hash(dispatch_day_db) == before


def test_nothing_close_is_not_found(dispatch_day_db: Path) -> None:
    r = run("show", "zzzz qqqq")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", "emrtrack: no facility matches 'zzzz qqqq'\n")


# -- marks -----------------------------------------------------------------------------------------
def test_mark_same_date_again_changes_nothing(dispatch_day_db: Path) -> None:
    assert run("mark", "quan y 4", "appraised", "--on", "2025-08-01").exit_code == 0
    before = table_hash(dispatch_day_db)
    r = run("mark", "quan y 4", "appraised", "--on", "2025-08-01")
    assert r.exit_code == 0
    assert (
        r.stdout
        == "Already recorded: Bệnh viện Quân y 4 (military-hospital-4) appraised on 2025-08-01. Nothing changed.\n"
    )
    assert table_hash(dispatch_day_db) == before


def test_mark_other_date_needs_correct(dispatch_day_db: Path) -> None:
    assert run("mark", "hoan my", "annex-signed", "--on", "2025-08-25").exit_code == 0
    before = table_hash(dispatch_day_db)
    r = run("mark", "hoan my", "annex-signed", "--on", "2025-08-26")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == (
        "emrtrack: Bệnh viện Đa khoa Hoàn Mỹ Vinh (hoan-my-vinh) already has annex-signed on "
        "2025-08-25; to record 2025-08-26 instead, run the command again with --correct\n"
    )
    assert table_hash(dispatch_day_db) == before
    r = run(
        "mark",
        "hoan my",
        "annex-signed",
        "--on",
        "2025-08-26",
        "--correct",
        "--ref",
        "BHXH/12",
        "--note",
        "date on the annex",
        "--by",
        "officer",
    )
    assert r.exit_code == 0
    assert r.stdout == (
        "Corrected: Bệnh viện Đa khoa Hoàn Mỹ Vinh (hoan-my-vinh) annex signed on 2025-08-26 "
        "(was 2025-08-25). Change #3.\n"
    )
    assert rows(dispatch_day_db, "SELECT actor, ref, note, command FROM changes WHERE id = 3") == [
        ("officer", "BHXH/12", "date on the annex", "mark annex-signed")
    ]
    assert rows(dispatch_day_db, "SELECT action, old, new FROM events WHERE change_id = 3") == [
        ("corrected", "2025-08-25", "2025-08-26")
    ]


def test_mark_deployed_is_mark_deployed(dispatch_day_db: Path) -> None:
    r = run("mark", "nghe-an-lung", "deployed", "--on", "2025-08-30")
    assert r.stdout == "Recorded: Bệnh viện Phổi Nghệ An (nghe-an-lung) deployed on 2025-08-30. Change #2.\n"
    again = run("mark-deployed", "nghe-an-lung", "--on", "2025-08-30")
    assert again.stdout == (
        "Already recorded: Bệnh viện Phổi Nghệ An (nghe-an-lung) deployed on 2025-08-30. Nothing changed.\n"
    )


def test_mark_defaults_to_today_in_the_register_time_zone(dispatch_day_db: Path) -> None:
    from emrtrack.rules import today

    r = run("mark-deployed", "nghe-an-lung")
    assert r.exit_code == 0
    assert rows(dispatch_day_db, "SELECT date FROM milestones") == [(today("Asia/Ho_Chi_Minh").isoformat(),)]


def test_future_date_is_refused(dispatch_day_db: Path) -> None:
    from emrtrack.rules import today

    tomorrow = today("Asia/Ho_Chi_Minh") + timedelta(days=1)
    before = table_hash(dispatch_day_db)
    r = run("mark-deployed", "do luong", "--on", tomorrow.isoformat())
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == (
        f"emrtrack: {tomorrow} is in the future (today is {tomorrow - timedelta(days=1)} in "
        "Asia/Ho_Chi_Minh); a milestone is recorded once it has happened\n"
    )
    assert table_hash(dispatch_day_db) == before


def test_unknown_milestone_is_bad_usage(dispatch_day_db: Path) -> None:
    r = run("mark", "do luong", "installed", "--on", "2025-08-20")
    assert r.exit_code == 2
    assert r.stderr == "emrtrack: unknown milestone 'installed'; choose one of: appraised, deployed, annex-signed\n"


# -- undo ------------------------------------------------------------------------------------------
def test_undo_yes_reverts_and_keeps_both_in_history(dispatch_day_db: Path) -> None:
    assert run("mark-deployed", "do luong", "--on", "2025-08-20", "--by", "officer").exit_code == 0
    r = run("undo", "--yes", "--by", "officer")
    assert r.exit_code == 0
    out = r.stdout.splitlines()
    assert len(out) == 2
    assert out[0].startswith("Change #2, recorded ")
    assert out[0].endswith(
        " (UTC+7) by officer (mark deployed, cli): deployed recorded for do-luong-general: 2025-08-20; 1 event."
    )
    assert out[1] == "Reverted change #2; recorded as change #3."
    assert rows(dispatch_day_db, "SELECT * FROM milestones") == []
    assert rows(dispatch_day_db, "SELECT id, command, reverts FROM changes ORDER BY id") == [
        (1, "load", None),
        (2, "mark deployed", None),
        (3, "undo", 2),
    ]
    h = json.loads(run("history", "do luong", "--format", "json").stdout)
    assert [(e["change"], e["action"], e["old"], e["new"]) for e in h[:2]] == [
        (3, "cleared", "2025-08-20", None),
        (2, "recorded", None, "2025-08-20"),
    ]
    assert report_json("--overdue", "--as-of", "2025-09-01")["count"] == 25


def test_undo_without_yes_on_a_pipe_is_refused(dispatch_day_db: Path) -> None:
    assert run("mark-deployed", "do luong", "--on", "2025-08-20").exit_code == 0
    before = table_hash(dispatch_day_db)
    r = run("undo")
    assert r.exit_code == 2
    assert r.stdout.startswith("Change #2, recorded ")
    assert r.stderr == "emrtrack: undo needs confirmation: run it again with --yes\n"
    assert table_hash(dispatch_day_db) == before


def test_undo_of_a_load(dispatch_day_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(
        "facilities:\n  - id: new-clinic\n    name: Phòng khám Mới\n    ownership: non-public\n    kind: clinic\n",
        encoding="utf-8",
    )
    assert run("load", str(path)).exit_code == 0
    assert rows(dispatch_day_db, "SELECT COUNT(*) FROM facilities") == [(26,)]
    r = run("undo", "-y")
    assert r.exit_code == 0 and r.stdout.splitlines()[-1] == "Reverted change #2; recorded as change #3."
    assert rows(dispatch_day_db, "SELECT COUNT(*) FROM facilities") == [(25,)]


def test_nothing_to_undo(db_path: Path) -> None:
    from emrtrack.store import Register

    Register.open(db_path).close()
    r = run("undo", "--yes")
    assert (r.exit_code, r.stdout) == (
        0,
        "Nothing to undo (the load that created the register is never undone: load a corrected file instead).\n",
    )


def test_the_load_that_created_the_register_is_never_undone(dispatch_day_db: Path) -> None:
    before = table_hash(dispatch_day_db)
    r = run("undo", "--yes")
    assert r.exit_code == 0 and r.stdout.startswith("Nothing to undo")
    assert table_hash(dispatch_day_db) == before
    assert run("report", "--overdue", "--as-of", "2025-09-01", "--format", "json").stdout.count('"id": ') == 26


# -- show and history ------------------------------------------------------------------------------
def test_show(dispatch_day_db: Path) -> None:
    assert run("mark", "truyen mau", "appraised", "--on", "2025-08-01", "--ref", "2898/SYT-VP").exit_code == 0
    r = run("show", "truyen mau", "--as-of", "2025-10-01")
    assert r.exit_code == 0 and r.stderr == ""
    out = lines(r.stdout)
    assert out[:16] == [
        "Trung tâm Huyết học - Truyền máu Nghệ An",
        "┌──────────────┬──────────────────────────────────────────┐",
        "│ Id           │ nghe-an-hematology-blood-transfusion     │",
        "│ Name         │ Trung tâm Huyết học - Truyền máu Nghệ An │",
        "│ Aliases      │ Hematology and Blood Transfusion Center  │",
        "│ Ownership    │ Public                                   │",
        "│ Kind         │ specialised centre                       │",
        "│ Managed by   │ province                                 │",
        "│ Location     │                                          │",
        "│ Verified     │ 2025-07-09                               │",
        "│ Appraised    │ 2025-08-01                               │",
        "│ Deployed     │ not recorded                             │",
        "│ Annex signed │ not recorded                             │",
        "└──────────────┴──────────────────────────────────────────┘",
        "Standing as of 2025-10-01",
        "┏━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┓",
    ]
    assert out[17:21] == [
        "┡━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩",
        "│ 2898/SYT-VP    │ 2025-08-31 │ overdue     │ 31           │",
        "│ 13/2025/TT-BYT │ 2026-12-31 │ not yet due │              │",
        "└────────────────┴────────────┴─────────────┴──────────────┘",
    ]
    assert out[21] == "History, newest first"
    history = [line for line in out[22:] if line.startswith("│")]
    assert len(history) == 2
    assert "│ appraised recorded: 2025-08-01 │" in history[0] and "│ 2898/SYT-VP │" in history[0]
    assert "│ facility added" in history[1] and "│ nghe-an-2898.yaml (shipped) │" in history[1]


def test_history(dispatch_day_db: Path) -> None:
    assert run("mark-deployed", "do luong", "--on", "2025-08-20", "--by", "officer", "--note", "seen").exit_code == 0
    assert run("mark", "quan y 4", "appraised", "--on", "2025-08-01", "--by", "officer").exit_code == 0
    h = json.loads(run("history", "--format", "json").stdout)
    assert len(h) == 20  # the default limit
    assert [(e["change"], e["key"], e["milestone"], e["action"], e["by"], e["source"]) for e in h[:2]] == [
        (3, "military-hospital-4", "appraised", "recorded", "officer", "cli"),
        (2, "do-luong-general", "deployed", "recorded", "officer", "cli"),
    ]
    assert h[1]["note"] == "seen" and h[2]["change"] == 1
    one = json.loads(run("history", "do luong", "--limit", "1", "--format", "json").stdout)
    assert [(e["change"], e["new"]) for e in one] == [(2, "2025-08-20")]
    assert len(json.loads(run("history", "-n", "100", "--format", "json").stdout)) == 30 + 2
    table = run("history", "do luong")
    assert table.exit_code == 0
    out = lines(table.stdout)
    assert out[0] == "History of Bệnh viện Đa khoa Đô Lương, newest first"
    body = [line for line in out if line.startswith("│")]
    assert len(body) == 2
    cells = [c.strip() for c in body[0].strip("│").split("│")]
    assert cells[0] == "#2" and cells[2:] == [
        "Bệnh viện Đa khoa Đô Lương",
        "deployed recorded: 2025-08-20",
        "officer",
        "cli",
        "seen",
    ]


# -- load ------------------------------------------------------------------------------------------
def test_load_counts_and_idempotent_reload(dispatch_day_db: Path, tmp_path: Path) -> None:

    before = table_hash(dispatch_day_db)
    r = run("load", str(DISPATCH_DAY))
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout == (
        "Facilities: 0 added, 0 updated, 25 unchanged; 0 in the register but not in these files (kept).\n"
        "Requirements: 0 added, 0 updated.\n"
        "Milestones: 0 recorded.\n"
        "Nothing changed; no history recorded.\n"
    )
    assert table_hash(dispatch_day_db) == before


def test_load_dry_run_writes_nothing(dispatch_day_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(
        "facilities:\n  - id: do-luong-general\n    name: Bệnh viện Đa khoa Đô Lương\n"
        "    ownership: public\n    kind: hospital\n    milestones: {deployed: 2025-08-20}\n"
        "  - id: new-clinic\n    name: Phòng khám Mới\n    ownership: non-public\n    kind: clinic\n",
        encoding="utf-8",
    )
    before = table_hash(dispatch_day_db)
    r = run("load", str(path), "--dry-run")
    assert r.exit_code == 0
    assert r.stdout == (
        "Dry run: nothing was written. Loading would give:\n"
        "Facilities: 1 added, 1 updated, 0 unchanged; 24 in the register but not in these files (kept).\n"
        "Requirements: 0 added, 0 updated.\n"
        "Milestones: 1 recorded.\n"
    )
    assert table_hash(dispatch_day_db) == before
    real = run("load", str(path))
    assert real.stdout.splitlines()[0] == (
        "Facilities: 1 added, 1 updated, 0 unchanged; 24 in the register but not in these files (kept)."
    )
    assert real.stdout.splitlines()[-1] == "Recorded as change #2."
    assert table_hash(dispatch_day_db) != before


INVALID = {
    "syntax": ("facilities:\n  - id: x\n    name: X\n   kind: clinic\n", 4, "not valid YAML"),
    "unknown key": (
        "facilities:\n  - id: x\n    name: X\n    ownership: public\n    kind: clinic\n    nmae: Y\n",
        6,
        "facility 'x': unknown field 'nmae' (did you mean 'name'?)",
    ),
    "wrong type": (
        "facilities:\n  - id: x\n    name: X\n    ownership: public\n    kind: [clinic, other]\n",
        5,
        "facility 'x': kind must be text, not a list",
    ),
    "impossible date": (
        "facilities:\n  - id: x\n    name: X\n    ownership: public\n    kind: clinic\n    verified: 2025-02-30\n",
        6,
        "facility 'x': verified: 2025-02-30 is not a real date",
    ),
    "non-ISO date": (
        "facilities:\n  - id: x\n    name: X\n    ownership: public\n    kind: clinic\n    verified: 31/08/2025\n",
        6,
        "facility 'x': verified: '31/08/2025' is not a date written YYYY-MM-DD",
    ),
    "duplicate id": (
        "facilities:\n  - {id: x, name: X, ownership: public, kind: clinic}\n"
        "  - {id: x, name: Y, ownership: public, kind: clinic}\n",
        3,
        "facility 'x': the id is used twice (first at {file}:2)",
    ),
    "deadline before issue": (
        "requirements:\n  - id: R\n    issued: 2025-07-09\n    deadline: 2025-07-01\n",
        4,
        "requirement 'R': deadline 2025-07-01 is before the issue date 2025-07-09",
    ),
    "unknown kind in applies_to": (
        "requirements:\n  - id: R\n    issued: 2025-07-09\n    deadline: 2025-12-31\n"
        "    applies_to: {kind: [hopsital]}\n",
        5,
        "requirement 'R': applies_to: kind: unknown value 'hopsital' (did you mean 'hospital'?)",
    ),
    "duplicate key": (
        "facilities:\n  - id: x\n    name: X\n    ownership: public\n    kind: clinic\n    name: Y\n",
        6,
        "facility 'x': field 'name' is given twice (first on line 3)",
    ),
    "python tag": (
        "facilities:\n  - id: x\n    name: !!python/object/apply:os.getcwd []\n    ownership: public\n"
        "    kind: clinic\n",
        3,
        "facility 'x': name must be text, not a value tagged !!python/object/apply:os.getcwd (tags are not allowed)",
    ),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_yaml_through_the_cli(dispatch_day_db: Path, tmp_path: Path, case: str) -> None:
    text, line, message = INVALID[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    before = table_hash(dispatch_day_db)
    for args in (("load", str(path)), ("load", str(path), "--dry-run")):
        r = run(*args)
        assert r.exit_code == 1
        assert r.stdout == ""
        assert "Traceback" not in r.stderr
        assert r.stderr.splitlines()[0].startswith(f"emrtrack: {path}:{line}: {message.format(file=path)}")
        assert len(r.stderr.splitlines()) == 1
    assert table_hash(dispatch_day_db) == before


def test_invalid_file_among_valid_ones_loads_nothing(dispatch_day_db: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("facilities:\n  - {id: new-clinic, name: Mới, ownership: public, kind: clinic}\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "facilities:\n  - {id: x, name: X, ownership: private, kind: clinic}\n"
        "  - {id: y, name: Y, ownership: public, kind: clinik}\n",
        encoding="utf-8",
    )
    before = table_hash(dispatch_day_db)
    r = run("load", str(good), str(bad))
    assert r.exit_code == 1
    assert r.stderr == (
        f"emrtrack: {bad}:2: facility 'x': ownership: unknown value 'private' (expected one of: public, non-public)\n"
        f"emrtrack: {bad}:3: facility 'y': kind: unknown value 'clinik' (did you mean 'clinic'?)\n"
    )
    assert table_hash(dispatch_day_db) == before


def test_load_of_a_missing_file_is_bad_usage(dispatch_day_db: Path, tmp_path: Path) -> None:
    r = run("load", str(tmp_path / "missing.yaml"))
    assert r.exit_code == 2 and "does not exist" in r.stderr


# -- version and help ------------------------------------------------------------------------------
def test_version() -> None:
    from emrtrack import __version__

    r = run("--version")
    assert (r.exit_code, r.stdout, r.stderr) == (0, f"emrtrack {__version__}\n", "")
    assert __version__ == "1.0.0"


def _commands() -> list[str]:
    import typer

    from emrtrack.cli import app

    return sorted(typer.main.get_command(app).commands)


def test_the_documented_commands_exist() -> None:
    assert set(_commands()) >= {"load", "status", "mark-deployed", "mark", "report", "show", "history", "undo"}


@pytest.mark.parametrize("command", _commands())
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_command_has_help_with_an_example(command: str, flag: str) -> None:
    r = run(command, flag)
    assert r.exit_code == 0 and r.stderr == ""
    assert f"Usage: emrtrack {command}" in r.stdout
    assert "Example: emrtrack " in r.stdout
    if command != "template":  # the only command that never opens a register
        assert "--db" in r.stdout


def test_every_command_has_help_text_and_example_in_its_docstring() -> None:
    import typer

    from emrtrack.cli import app

    for name, command in typer.main.get_command(app).commands.items():
        assert command.help and command.help.strip(), name
        assert "Example: emrtrack " + name in command.help, name


@pytest.mark.parametrize(("args", "code"), [((), 2), (("-h",), 0), (("--help",), 0)])
def test_main_help(args: tuple[str, ...], code: int) -> None:
    r = run(*args)
    assert r.exit_code == code  # no arguments at all: the help on stderr, with the exit code of bad usage
    shown, other = (r.stdout, r.stderr) if code == 0 else (r.stderr, r.stdout)
    assert other == ""
    assert "Usage: emrtrack [OPTIONS] COMMAND [ARGS]..." in shown
    for command in ("load", "status", "mark-deployed", "mark", "report", "show", "history", "undo"):
        assert f" {command} " in shown
    assert "..." not in shown.split("Commands:")[1]  # every summary fits on its line


# -- where the register lives ----------------------------------------------------------------------
@pytest.mark.new_register
def test_db_option_overrides_the_environment(db_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "sub" / "other.db"
    typo = run("report", "--overdue", "--as-of", "2025-09-01", "--format", "csv", "--db", str(other))
    assert (typo.exit_code, typo.stdout) == (1, "")
    assert typo.stderr == (
        f"emrtrack: {other}: there is no register there (a typo in --db?): name an existing one, or create it with "
        f"emrtrack --db {other} --create COMMAND, or with load\n"
    )
    assert not other.exists() and not other.parent.exists()
    r = run("--db", str(other), "--create", "report", "--overdue", "--as-of", "2025-09-01", "--format", "csv")
    assert r.exit_code == 0
    assert r.stderr == (
        f"Created a new register at {other} with the shipped data (nghe-an-2898.yaml: 25 facilities).\n"
    )
    assert other.exists() and not db_path.exists()
    assert rows(other, "PRAGMA journal_mode") == [("wal",)]


def test_history_records_actor_source_and_utc_time(dispatch_day_db: Path) -> None:
    import re

    from emrtrack.store import default_actor

    assert run("mark-deployed", "do luong", "--on", "2025-08-20", "--ref", "3120/SYT-VP").exit_code == 0
    [(recorded_at, actor, source, ref)] = rows(
        dispatch_day_db, "SELECT recorded_at, actor, source, ref FROM changes WHERE id = 2"
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", recorded_at)
    assert (actor, source, ref) == (default_actor(), "cli", "3120/SYT-VP")
    assert rows(dispatch_day_db, "SELECT actor, source FROM changes WHERE id = 1") == [
        ("emrtrack", "nghe-an-2898.yaml (shipped)")
    ]


def test_report_to_a_csv_file_starts_with_a_byte_order_mark_for_spreadsheets(
    dispatch_day_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "overdue.csv"
    r = run("report", "--overdue", "--as-of", "2025-09-01", "--output", str(out))  # the format from the extension
    assert r.exit_code == 0 and r.stdout == "" and r.stderr == f"Wrote {out}.\n"
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfrequirement,id,name,")
    assert raw.decode("utf-8-sig") == run("report", "--overdue", "--as-of", "2025-09-01", "--format", "csv").stdout
    assert not run("report", "--overdue", "--as-of", "2025-09-01", "--format", "csv").stdout.startswith("\ufeff")


def test_output_with_an_unknown_extension_and_no_format_is_bad_usage(dispatch_day_db: Path, tmp_path: Path) -> None:
    r = run("report", "--overdue", "--output", str(tmp_path / "o.txt"))
    assert r.exit_code == 2
    assert r.stderr == (
        "emrtrack: --output needs a file format: add --format (one of: csv, json, markdown, xlsx) "
        "or use one of their extensions\n"
    )
    assert not (tmp_path / "o.txt").exists()


def test_markdown_keeps_parentheses_and_underscores_of_names_as_typed(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(
        "facilities:\n  - id: hop-luc-2\n    name: Phòng khám Đa khoa Hợp Lực (cơ sở 2) Vinh_2 *A*\n"
        "    ownership: non-public\n    kind: clinic\n",
        encoding="utf-8",
    )
    assert run("load", str(path)).exit_code == 0
    r = run("report", "--overdue", "--as-of", "2027-01-01", "-r", "13/2025/TT-BYT", "--format", "markdown")
    assert "Phòng khám Đa khoa Hợp Lực (cơ sở 2) Vinh_2 \\*A\\* (clinic; 1 day overdue)" in r.stdout


def test_a_limited_table_says_its_last_group_is_partial(dispatch_day_db: Path) -> None:
    out = lines(run("report", "--overdue", "--as-of", "2025-09-01", "--limit", "3").stdout)
    assert out[1] == "Public (3 shown)"
    assert out[-1] == (
        "... and 22 more not shown (--limit 3). Use --all to list every one, or --format csv or json for a file."
    )
    full = lines(run("report", "--overdue", "--as-of", "2025-09-01").stdout)
    assert "Public (13)" in full and "Non-public (12)" in full


def test_due_within_table_counts_days_left(dispatch_day_db: Path) -> None:
    out = lines(run("report", "--due-within", "30", "-r", "13/2025/TT-BYT", "--as-of", "2025-09-10").stdout)
    header = next(line for line in out if "Facility" in line)
    assert "Days left" in header and "Days overdue" not in header
    police = next(line for line in out if "nghe-an-police-hospital" in line)
    assert "│        20 │" in police


def test_history_says_when_older_events_are_not_shown(dispatch_day_db: Path) -> None:
    out = lines(run("history", "--limit", "3").stdout)
    assert out[-1] == "Older events are not shown: see more with --limit 15."
    assert sum(1 for line in out if line.startswith("│ #")) == 3
    whole = lines(run("history", "do luong").stdout)
    assert not whole[-1].startswith("Older events")


def test_show_as_of_marks_milestones_that_came_later(dispatch_day_db: Path) -> None:
    assert run("mark", "hoan my", "deployed", "--on", "2025-09-05").exit_code == 0
    out = run("show", "hoan my", "--as-of", "2025-09-01").stdout
    assert "│ Deployed     │ 2025-09-05 (after 2025-09-01)" in out
    assert "│ 2898/SYT-VP    │ 2025-08-31 │ overdue" in out
    assert "│ Deployed     │ 2025-09-05 " in run("show", "hoan my", "--as-of", "2025-09-05").stdout
    assert "│ Verified     │ 2025-07-09 (after 2025-07-01)" in run("show", "hoan my", "--as-of", "2025-07-01").stdout


def test_db_may_be_given_before_the_command(dispatch_day_db: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EMRTRACK_DB", str(tmp_path / "elsewhere.db"))
    r = run("--db", str(dispatch_day_db), "report", "--overdue", "--as-of", "2025-09-01", "--format", "json")
    assert r.exit_code == 0 and r.stderr == ""
    assert '"count": 25' in r.stdout
    assert not (tmp_path / "elsewhere.db").exists()


@pytest.mark.new_register
def test_a_failed_or_dry_run_load_into_a_new_register_leaves_nothing_behind(tmp_path: Path) -> None:
    new = tmp_path / "office" / "2026" / "new.db"
    bad = tmp_path / "bad.yaml"
    bad.write_text("facilities:\n  - id: x\n    name: X\n    ownership: public\n    kind: hospitl\n", encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(
        "facilities:\n  - id: x\n    name: Phòng khám X\n    ownership: public\n    kind: clinic\n", encoding="utf-8"
    )
    r = run("load", str(bad), "--db", str(new))
    assert r.exit_code == 1 and "hospitl" in r.stderr
    dry = run("load", str(good), "--dry-run", "--db", str(new))
    assert dry.exit_code == 0 and dry.stdout.startswith("Dry run: nothing was written.")
    assert "Facilities: 1 added, 0 updated, 0 unchanged; 25 in the register" in dry.stdout
    assert sorted(tmp_path.iterdir()) == sorted([bad, good])
    assert not (tmp_path / "office").exists()  # no register, no temporary file, no folder
    real = run("load", str(good), "--db", str(new))
    assert real.exit_code == 0
    assert real.stderr == (
        f"Created a new register at {new} with the shipped data (nghe-an-2898.yaml: 25 facilities).\n"
    )
    assert sorted(p.name for p in new.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["new.db"]
    assert rows(new, "SELECT COUNT(*) FROM facilities") == [(26,)]
    assert rows(new, "SELECT COUNT(*) FROM changes") == [(2,)]  # the shipped data, then the file


def test_load_replaces_a_recorded_date_only_with_correct(dispatch_day_db: Path, tmp_path: Path) -> None:
    assert run("mark-deployed", "do luong", "--on", "2025-08-20").exit_code == 0
    path = tmp_path / "old.yaml"
    path.write_text(
        "facilities:\n  - id: do-luong-general\n    name: Bệnh viện Đa khoa Đô Lương\n"
        "    aliases: [Do Luong General Hospital]\n    ownership: public\n    kind: hospital\n"
        "    managed_by: province\n    location: Đô Lương (former district)\n    verified: 2025-07-09\n"
        "    milestones: {deployed: 2025-08-25}\n",
        encoding="utf-8",
    )
    before = table_hash(dispatch_day_db)
    for extra in ((), ("--dry-run",)):
        r = run("load", str(path), *extra)
        assert r.exit_code == 1 and r.stdout == ""
        assert r.stderr == (
            f"emrtrack: {path}:2: facility 'do-luong-general': deployed is recorded as 2025-08-20; "
            "the file says 2025-08-25\n"
            "emrtrack: Nothing was loaded: to replace the recorded date with the file's, load again with --correct.\n"
        )
    assert table_hash(dispatch_day_db) == before
    r = run("load", str(path), "--correct")
    assert r.exit_code == 0
    assert "Milestones: 1 recorded, 1 of them corrected." in r.stdout
    assert rows(dispatch_day_db, "SELECT date FROM milestones WHERE facility_id = 'do-luong-general'") == [
        ("2025-08-25",)
    ]


def test_files_and_folders_that_cannot_be_used_get_one_plain_line(dispatch_day_db: Path, tmp_path: Path) -> None:
    r = run("report", "--overdue", "--output", str(tmp_path / "no-such-folder" / "o.csv"))
    assert (r.exit_code, r.stderr) == (
        1,
        f"emrtrack: {tmp_path / 'no-such-folder' / 'o.csv'}: No such file or directory\n",
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    r = run("--create", "status", "--db", str(blocker / "r.db"))
    assert (r.exit_code, r.stderr) == (1, f"emrtrack: {blocker / 'r.db'}: cannot create the register: File exists\n")
    import zipfile

    fake = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("hello.txt", "not a spreadsheet")
    r = run("load", str(fake))
    assert r.exit_code == 1 and r.stderr.startswith(f"emrtrack: {fake}:1: not a readable .xlsx spreadsheet (")
    assert "unexpected" not in r.stderr


def test_machine_formats_carry_the_deployment_date_and_verified_as_of_the_day(dispatch_day_db: Path) -> None:
    assert run("mark-deployed", "quan y 4", "--on", "2025-09-28").exit_code == 0
    doc = json.loads(run("report", "--as-of", "2025-10-01", "--format", "json").stdout)
    row = next(f for f in doc["facilities"] if f["id"] == "military-hospital-4")
    assert (row["state"], row["days_overdue"], row["deployed"]) == ("deployed-late", 0, "2025-09-28")
    csv_row = next(
        r
        for r in csv.DictReader(io.StringIO(run("report", "--as-of", "2025-10-01", "--format", "csv").stdout))
        if r["id"] == "military-hospital-4"
    )
    assert csv_row["deployed"] == "2025-09-28"
    early = json.loads(run("report", "--as-of", "2025-07-01", "--format", "json").stdout)
    assert {f["verified"] for f in early["facilities"]} == {None}  # verified on 2025-07-09: not yet on 07-01


def test_history_says_which_change_an_undo_reverted(dispatch_day_db: Path) -> None:
    assert run("mark", "quan y 4", "appraised", "--on", "2025-07-01").exit_code == 0
    assert run("undo", "--yes").exit_code == 0
    out = run("history", "quan y 4").stdout
    assert "undo of #2: appraised cleared (was 2025-07-01)" in out
    events = json.loads(run("history", "--format", "json", "--limit", "1").stdout)
    assert (events[0]["command"], events[0]["reverts"]) == ("undo", 2)


def test_an_empty_file_at_the_register_path_is_filled_like_a_new_register(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    r = run("report", "--overdue", "--as-of", "2025-09-01", "--format", "json", "--db", str(path))
    assert r.exit_code == 0 and r.stderr.startswith(f"Created a new register at {path}")
    assert json.loads(r.stdout)["count"] == 25
