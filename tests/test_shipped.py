"""The shipped register tells the truth: what the dispatch of 9 July 2025, Circular 13 and Plan 586 ask, and
what is known of each facility as it is known (deployed on or before 24 September 2025, per the Minister)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from helpers import run

from emrtrack.rules import today

pytestmark = pytest.mark.usefixtures("shipped_db")

PUBLIC = [
    "nghe-an-police-hospital",
    "do-luong-general",
    "nghi-loc-general",
    "nghe-an-dermatology",
    "nghe-an-friendship-general",
    "nghe-an-lung",
    "nghe-an-rehabilitation",
    "military-hospital-4",
    "nghe-an-psychiatric",
    "vinh-medical-university-hospital",
    "nghe-an-hematology-blood-transfusion",
    "hung-nguyen-medical-centre",
    "quy-hop-medical-centre",
]
NON_PUBLIC = [
    "general-115",
    "an-phat-general",
    "bao-son-general",
    "dong-au-general",
    "hoan-my-vinh",
    "phu-dien-general",
    "thai-an-general",
    "tth-vinh-general",
    "surgical-115",
    "nghe-an-dental-maxillofacial",
    "thai-thuong-hoang",
    "nguyen-phuc-traditional-medicine",
]
SOURCE = "Minister of Health, 24 September 2025, reported by VietNamNet on 26 September 2025 [4]"


def _csv(*args: str) -> list[dict[str, str]]:
    r = run("report", *args, "--format", "csv")
    assert r.exit_code == 0 and r.stderr == ""
    return list(csv.DictReader(io.StringIO(r.stdout)))


def test_on_1_september_2025_the_dispatch_lists_its_13_public_then_12_non_public_1_day_overdue() -> None:
    rows = _csv("--overdue", "--as-of", "2025-09-01")
    assert [r["id"] for r in rows] == PUBLIC + NON_PUBLIC
    assert [r["ownership"] for r in rows] == ["public"] * 13 + ["non-public"] * 12
    assert {(r["milestone"], r["state"], r["days_overdue"], r["deadline"]) for r in rows} == {
        ("deployed", "overdue", "1", "2025-08-31")
    }
    table = run("report", "--overdue", "--as-of", "2025-09-01").stdout.splitlines()
    assert table[0] == "25 facilities overdue against 2898/SYT-VP (deadline 2025-08-31) as of 2025-09-01"
    assert (table[1].rstrip(), table[19].rstrip()) == ("Public (13)", "Non-public (12)")


def test_on_16_july_2025_the_25_are_late_on_the_15_july_report() -> None:
    rows = _csv("--overdue", "--obligation", "report-submitted", "--as-of", "2025-07-16")
    assert [r["id"] for r in rows] == PUBLIC + NON_PUBLIC
    assert {(r["milestone"], r["state"], r["days_overdue"], r["deadline"]) for r in rows} == {
        ("report-submitted", "overdue", "1", "2025-07-15")
    }
    heading = run("report", "--overdue", "--obligation", "report-submitted", "--as-of", "2025-07-16").stdout
    assert heading.splitlines()[0] == (
        "25 facilities overdue against 2898/SYT-VP (report submitted by 2025-07-15) as of 2025-07-16"
    )


def test_today_none_is_overdue_on_deployment_and_a_line_says_why() -> None:
    day = today("Asia/Ho_Chi_Minh")
    r = run("report", "--overdue")
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout == (
        f"0 facilities overdue against 2898/SYT-VP (deadline 2025-08-31) as of {day}\n"
        f"25 facilities deployed on or before 2025-09-24 ({SOURCE}): timing against the deadline 2025-08-31 "
        "unconfirmed.\n"
        "None.\n"
    )
    doc = json.loads(run("report", "--overdue", "--format", "json").stdout)
    assert (doc["count"], doc["facilities"]) == (0, [])
    assert doc["unconfirmed"] == [{"on_or_before": "2025-09-24", "source": SOURCE, "count": 25}]


def test_today_none_is_overdue_in_vietnamese_either() -> None:
    day = today("Asia/Ho_Chi_Minh").strftime("%d/%m/%Y")
    r = run("report", "--overdue", "--lang", "vi")
    assert r.stdout.splitlines() == [
        f"0 cơ sở quá hạn theo 2898/SYT-VP (thời hạn 31/08/2025) tính đến ngày {day}",
        f"25 cơ sở đã triển khai không muộn hơn 24/09/2025 ({SOURCE}): chưa xác nhận có kịp thời hạn 31/08/2025 "
        "hay không.",
        "Không có.",
    ]


def test_status_today_shows_the_dispatch_unconfirmed_and_circular_13_hospitals_on_time() -> None:
    doc = json.loads(run("status", "--format", "json").stdout)
    by_id = {r["id"]: r for r in doc["requirements"]}
    assert list(by_id) == ["2898/SYT-VP", "13/2025/TT-BYT", "586/QĐ-BYT"]
    dispatch = by_id["2898/SYT-VP"]
    assert (dispatch["in_scope"], dispatch["deployed_unconfirmed"], dispatch["deployed_on_time"]) == (25, 25, 0)
    assert (dispatch["overdue"], dispatch["compliance_pct"]) == (0, 0.0)  # an unproven deployment is no compliance
    assert [(o["milestone"], o["in_scope"], o["overdue"]) for o in dispatch["obligations"]] == [
        ("report-submitted", 25, 25),
        ("deployed", 25, 0),
    ]
    hospitals = by_id["13/2025/TT-BYT"]["cohorts"][0]
    assert (hospitals["applies_to"], hospitals["deadline"]) == ({"kind": ["hospital"]}, "2025-09-30")
    assert (hospitals["in_scope"], hospitals["deployed_on_time"], hospitals["compliance_pct"]) == (22, 22, 100.0)
    plan = by_id["586/QĐ-BYT"]
    assert plan["binding"] is False
    assert [(o["milestone"], o["deadline"], o["in_scope"]) for o in plan["obligations"]] == [
        ("deployed", "2026-12-31", 25),
        ("paper-records-stopped", "2027-01-01", 22),
    ]
    table = run("status").stdout
    assert "│ 2898/SYT-VP              │ deployed              │ all facilities      │ 2025-08-31 │" in table
    assert "586/QĐ-BYT is a plan target, not a binding document" in table


def test_a_status_of_a_past_date_leaves_out_the_plan_not_yet_issued() -> None:
    doc = json.loads(run("status", "--as-of", "2025-10-01", "--format", "json").stdout)
    assert [r["id"] for r in doc["requirements"]] == ["2898/SYT-VP", "13/2025/TT-BYT"]
    doc = json.loads(run("status", "--as-of", "2026-03-09", "--format", "json").stdout)
    assert [r["id"] for r in doc["requirements"]] == ["2898/SYT-VP", "13/2025/TT-BYT", "586/QĐ-BYT"]


def test_fail_on_overdue_counts_binding_documents_unless_asked(tmp_path: Path) -> None:
    """On 1 January 2027 every hospital is past the plan's date for stopping paper records: behind plan, which
    fails the run only with --include-targets."""
    day = ("--as-of", "2027-01-02")
    plan = ("--requirement", "586/QĐ-BYT", "--obligation", "paper-records-stopped", "--overdue")
    behind = run("report", *plan, *day)
    assert behind.stdout.splitlines()[0] == (
        "22 facilities behind plan against 586/QĐ-BYT (paper records stopped by the target date 2027-01-01) "
        "as of 2027-01-02"
    )
    assert run("report", *plan, *day, "--fail-on-overdue", "--format", "csv").exit_code == 0
    failed = run("report", *plan, *day, "--fail-on-overdue", "--include-targets", "--format", "csv")
    assert (failed.exit_code, failed.stderr) == (3, "emrtrack: 22 overdue\n")
