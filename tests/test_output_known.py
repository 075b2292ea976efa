"""Every output says what is known as it is known: a date known only as "on or before" it (with its source),
the timing a bound leaves unconfirmed, days late, each obligation of a document, and plan targets ("behind
plan", not "overdue"). The views are built by hand, so these tests hold the outputs alone."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest

from emrtrack import i18n
from emrtrack.model import (
    DEFAULT_MILESTONE_DEFS,
    Cohort,
    Facility,
    MilestoneDef,
    Obligation,
    Reached,
    Requirement,
    Selection,
    Selector,
    Standing,
    State,
)
from emrtrack.output import chart, machine, record_tables, tables, wording, xlsx
from emrtrack.output.messages import describe_event, describe_facts
from emrtrack.output.text import state_text
from emrtrack.views import (
    CohortStatus,
    Counts,
    HistoryEntry,
    ObligationStatus,
    Progress,
    Provenance,
    ReportPart,
    ReportView,
    RequirementStatus,
    ShowView,
    StatusView,
)

D = date.fromisoformat
AS_OF = D("2025-10-01")
VNN = "VietNamNet, 26 September 2025"
PAPER = "Báo Nghệ An"

A = Facility("a-hospital", "Bệnh viện A", "public", "hospital", verified=D("2025-07-09"))
B = Facility("b-hospital", "Bệnh viện B", "non-public", "hospital")
C = Facility("c-centre", "Trung tâm C", "public", "medical-centre", verified=D("2025-07-09"))
E = Facility("e-clinic", "Phòng khám E", "non-public", "clinic")

REPORT = Obligation(
    "report-submitted", (Cohort(Selector(), D("2025-07-15")),), Selector(facilities=("a-hospital", "b-hospital"))
)
DEPLOY = Obligation("deployed", (Cohort(Selector(), D("2025-08-31")),), principal=True)
DISPATCH = Requirement("2898/SYT-VP", D("2025-07-09"), title="Đẩy nhanh tiến độ", obligations=(REPORT, DEPLOY))
PLAN = Requirement(
    "586/QĐ-BYT", D("2026-03-09"), cohorts=(Cohort(Selector(), D("2026-12-31")),), binding=False, replaces="1/QĐ-BYT"
)
ANNEX = Obligation("annex-signed", (Cohort(Selector(), D("2025-12-31")),))
SIGNING = Requirement("R/2", D("2025-07-01"), obligations=(DEPLOY, ANNEX))
VOCABULARY = (
    DEFAULT_MILESTONE_DEFS[0],
    MilestoneDef("report-submitted", "report submitted", "đã gửi báo cáo"),
    *DEFAULT_MILESTONE_DEFS[1:],
)
PROVENANCE = Provenance("Test register", AS_OF, datetime(2025, 10, 1, 9, 0), "1.0.0", "0" * 64, "Asia/Ho_Chi_Minh")


def standing(
    f: Facility,
    state: State,
    *,
    reached: Reached | None = None,
    overdue: int = 0,
    late: int = 0,
    req: Requirement = DISPATCH,
    deadline: date = D("2025-08-31"),
    milestone: str = "deployed",
    other: dict[str, Reached] | None = None,
) -> Standing:
    """A report row as the store gives it: its milestones reached by the date, the latest of them."""
    milestones = dict(other or {})
    if reached is not None:
        milestones[milestone] = reached
    latest = max(milestones.items(), key=lambda kv: kv[1].date) if milestones else None
    return Standing(
        facility=f,
        requirement_id=req.id,
        deadline=deadline,
        state=state,
        days_overdue=overdue,
        reached=reached,
        latest_milestone=latest[0] if latest else None,
        latest_milestone_date=latest[1].date if latest else None,
        milestones=milestones,
        milestone=milestone,
        days_late=late,
        binding=req.binding,
    )


def dispatch_rows() -> list[Standing]:
    """2898/SYT-VP on 2025-10-01: one deployed on or before 24/09 (unconfirmed), one overdue, one 5 days late,
    one on or before 25/08 (on time, with another source)."""
    return [
        standing(A, State.DEPLOYED_UNCONFIRMED, reached=Reached(D("2025-09-24"), False, VNN)),
        standing(C, State.OVERDUE, overdue=31),
        standing(B, State.DEPLOYED_LATE, reached=Reached(D("2025-09-05")), late=5),
        standing(E, State.DEPLOYED_ON_TIME, reached=Reached(D("2025-08-25"), False, PAPER)),
    ]


def report_view(
    parts: list[ReportPart] | None = None,
    selection: Selection = Selection(),
    *,
    as_of: date = AS_OF,
    group_by: str = "ownership",
    every_obligation: bool = False,
) -> ReportView:
    if parts is None:
        parts = [ReportPart(DISPATCH, 4, iter(dispatch_rows()), None, [(D("2025-09-24"), VNN, 1)])]
    return ReportView(
        as_of,
        selection,
        group_by,
        parts,
        False,
        None,
        provenance=PROVENANCE,
        milestones=VOCABULARY,
        every_obligation=every_obligation,
    )


def overdue_view() -> ReportView:
    """`report --overdue` on 2025-10-01 when every facility deployed on or before 24/09: none listed."""
    return report_view([ReportPart(DISPATCH, 0, iter([]), None, [(D("2025-09-24"), VNN, 25)])], Selection.overdue())


def plan_view(selection: Selection = Selection.overdue()) -> ReportView:
    rows = [
        standing(C, State.OVERDUE, overdue=10, req=PLAN, deadline=D("2026-12-31")),
        standing(B, State.DEPLOYED_LATE, reached=Reached(D("2027-01-04")), late=4, req=PLAN, deadline=D("2026-12-31")),
    ]
    if selection.is_overdue:
        rows = rows[:1]
    return report_view([ReportPart(PLAN, len(rows), iter(rows))], selection, as_of=D("2027-01-10"), group_by="none")


def annex_view() -> ReportView:
    """`--obligation all` on R/2, its annex-signed part: A signed on or before 20/01 (deadline 31/12), B not."""
    rows = [
        standing(
            A,
            State.DEPLOYED_UNCONFIRMED,
            reached=Reached(D("2026-01-20"), False, PAPER),
            req=SIGNING,
            deadline=D("2025-12-31"),
            milestone="annex-signed",
            other={"appraised": Reached(D("2026-02-01"))},
        ),
        standing(B, State.OVERDUE, overdue=41, req=SIGNING, deadline=D("2025-12-31"), milestone="annex-signed"),
    ]
    part = ReportPart(SIGNING, 2, iter(rows), ANNEX, [(D("2026-01-20"), PAPER, 1)])
    return report_view([part], as_of=D("2026-02-10"), group_by="none", every_obligation=True)


def render(writer: Callable[[Any, io.StringIO], None], view: Any) -> str:
    out = io.StringIO()
    writer(view, out)
    return out.getvalue()


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def in_vietnamese(make: Callable[[], str]) -> str:
    i18n.set_language("vi")
    try:
        return make()
    finally:
        i18n.set_language("en")


# -- JSON and CSV ----------------------------------------------------------------------------------
def test_json_rows_keep_the_old_keys_and_add_what_is_known() -> None:
    doc = json.loads(render(machine.write_report_json, report_view()))
    assert list(doc) == ["as_of", "requirement", "count", "obligation", "unconfirmed", "facilities"]
    assert (doc["obligation"], doc["unconfirmed"]) == (
        "deployed",
        [{"on_or_before": "2025-09-24", "source": VNN, "count": 1}],
    )
    requirement = doc["requirement"]
    assert (requirement["deadline"], requirement["binding"], requirement["replaces"]) == ("2025-08-31", True, None)
    assert requirement["obligations"] == [
        {
            "milestone": "report-submitted",
            "deadlines": [{"applies_to": {}, "deadline": "2025-07-15"}],
            "applies_to": {"facilities": ["a-hospital", "b-hospital"]},
            "principal": False,
        },
        {
            "milestone": "deployed",
            "deadlines": [{"applies_to": {}, "deadline": "2025-08-31"}],
            "applies_to": {},
            "principal": True,
        },
    ]
    first, overdue, late, on_time = doc["facilities"]
    assert first == {
        "id": "a-hospital",
        "name": "Bệnh viện A",
        "ownership": "public",
        "kind": "hospital",
        "deadline": "2025-08-31",
        "state": "deployed-unconfirmed",
        "days_overdue": 0,
        "latest_milestone": "deployed",
        "verified": "2025-07-09",
        "deployed": "2025-09-24",
        "days_late": 0,
        "bound": "on-or-before",
        "source": VNN,
        "milestone": "deployed",
        "reached": "2025-09-24",
        "binding": True,
        "original_deadline": None,
        "extended_by": None,
        "committed": None,
        "exempt_until": None,
        "codes": {},
        "managed_by": None,
    }
    assert {k: overdue[k] for k in ("state", "days_overdue", "deployed", "reached", "bound", "source")} == {
        "state": "overdue",
        "days_overdue": 31,
        "deployed": None,
        "reached": None,
        "bound": None,
        "source": None,
    }
    assert [late[k] for k in ("state", "days_late", "bound", "deployed")] == ["deployed-late", 5, "exact", "2025-09-05"]
    assert (on_time["state"], on_time["bound"], on_time["source"]) == ("deployed-on-time", "on-or-before", PAPER)


def test_json_of_another_obligation_keeps_deployed_for_the_deployment_date() -> None:
    doc = json.loads(render(machine.write_report_json, annex_view()))
    assert list(doc) == ["as_of", "reports"]  # every obligation: one object per part, each naming its own
    (part,) = doc["reports"]
    assert (part["obligation"], part["count"]) == ("annex-signed", 2)
    row = part["facilities"][0]
    assert (row["milestone"], row["reached"], row["bound"], row["deployed"], row["latest_milestone"]) == (
        "annex-signed",
        "2026-01-20",
        "on-or-before",
        None,
        "appraised",
    )


def test_plan_targets_say_so_in_json() -> None:
    doc = json.loads(render(machine.write_report_json, plan_view()))
    assert (doc["requirement"]["binding"], doc["requirement"]["replaces"]) == (False, "1/QĐ-BYT")
    assert [(f["state"], f["days_overdue"], f["binding"]) for f in doc["facilities"]] == [("overdue", 10, False)]


def test_csv_adds_its_columns_after_the_old_ones() -> None:
    rows = list(csv.reader(io.StringIO(render(machine.write_report_csv, report_view()))))
    assert rows[0] == [
        "requirement",
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
        "days_late",
        "bound",
        "source",
        "milestone",
        "reached",
        "original_deadline",
        "extended_by",
        "committed",
        "exempt_until",
        "managed_by",
    ]
    none = ["", "", "", "", ""]  # no exception, no managing body
    assert rows[1:] == [
        ["2898/SYT-VP", "a-hospital", "Bệnh viện A", "public", "hospital", "2025-08-31", "deployed-unconfirmed", "0",
         "deployed", "2025-07-09", "2025-09-24", "0", "on-or-before", VNN, "deployed", "2025-09-24", *none],
        ["2898/SYT-VP", "c-centre", "Trung tâm C", "public", "medical-centre", "2025-08-31", "overdue", "31", "",
         "2025-07-09", "", "0", "", "", "deployed", "", *none],
        ["2898/SYT-VP", "b-hospital", "Bệnh viện B", "non-public", "hospital", "2025-08-31", "deployed-late", "0",
         "deployed", "", "2025-09-05", "5", "exact", "", "deployed", "2025-09-05", *none],
        ["2898/SYT-VP", "e-clinic", "Phòng khám E", "non-public", "clinic", "2025-08-31", "deployed-on-time", "0",
         "deployed", "", "2025-08-25", "0", "on-or-before", PAPER, "deployed", "2025-08-25", *none],
    ]  # fmt: skip


# -- tables ----------------------------------------------------------------------------------------
def test_report_table_shows_bounds_their_sources_and_days_late() -> None:
    assert lines(render(tables.write_report_table, report_view())) == [
        "4 facilities in scope of 2898/SYT-VP (deadline 2025-08-31) as of 2025-10-01",
        "1 facility deployed on or before 2025-09-24 (VietNamNet, 26 September 2025): timing against the deadline "
        "2025-08-31 unconfirmed.",
        "Public (2)",
        "┏━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┓",
        "┃ # ┃ Facility    ┃ Id         ┃ Kind           ┃ Deadline   ┃ State                        ┃ Days overdue ┃ Latest milestone      ┃ Verified   ┃",
        "┡━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━┩",
        "│ 1 │ Bệnh viện A │ a-hospital │ hospital       │ 2025-08-31 │ deployed, timing unconfirmed │              │ deployed ≤ 2025-09-24 │ 2025-07-09 │",
        "│ 2 │ Trung tâm C │ c-centre   │ medical centre │ 2025-08-31 │ overdue                      │           31 │ none                  │ 2025-07-09 │",
        "└───┴─────────────┴────────────┴────────────────┴────────────┴──────────────────────────────┴──────────────┴───────────────────────┴────────────┘",
        "Non-public (2)",
        "┏━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┓",
        "┃ # ┃ Facility     ┃ Id         ┃ Kind     ┃ Deadline   ┃ State                ┃ Days overdue ┃ Latest milestone        ┃ Verified ┃",
        "┡━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━┩",
        "│ 1 │ Bệnh viện B  │ b-hospital │ hospital │ 2025-08-31 │ deployed 5 days late │              │ deployed 2025-09-05     │ never    │",
        "│ 2 │ Phòng khám E │ e-clinic   │ clinic   │ 2025-08-31 │ deployed on time     │              │ deployed ≤ 2025-08-25 ¹ │ never    │",
        "└───┴──────────────┴────────────┴──────────┴────────────┴──────────────────────┴──────────────┴─────────────────────────┴──────────┘",
        "¹ Source: Báo Nghệ An",  # said once; VietNamNet's bound is said under the heading
    ]  # fmt: skip


def test_an_overdue_list_says_why_it_is_short_in_both_languages() -> None:
    assert lines(render(tables.write_report_table, overdue_view())) == [
        "0 facilities overdue against 2898/SYT-VP (deadline 2025-08-31) as of 2025-10-01",
        "25 facilities deployed on or before 2025-09-24 (VietNamNet, 26 September 2025): timing against the deadline "
        "2025-08-31 unconfirmed.",
        "None.",
    ]
    assert lines(in_vietnamese(lambda: render(tables.write_report_table, overdue_view()))) == [
        "0 cơ sở quá hạn theo 2898/SYT-VP (thời hạn 31/08/2025) tính đến ngày 01/10/2025",
        "25 cơ sở đã triển khai không muộn hơn 24/09/2025 (VietNamNet, 26 September 2025): chưa xác nhận có kịp thời "
        "hạn 31/08/2025 hay không.",
        "Không có.",
    ]


def test_another_obligation_is_named_and_its_date_shown_when_the_latest_milestone_hides_it() -> None:
    assert lines(render(tables.write_report_table, annex_view())) == [
        "2 facilities in scope of R/2 (annex signed by 2025-12-31) as of 2026-02-10",
        "1 facility reached “annex signed” on or before 2026-01-20 (Báo Nghệ An): timing against the deadline "
        "2025-12-31 unconfirmed.",
        "┏━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┓",
        "┃ # ┃ Facility    ┃ Id         ┃ Ownership  ┃ Kind     ┃ Deadline   ┃ State                       ┃ Days overdue ┃ Annex signed ┃ Latest milestone     ┃ Verified   ┃",
        "┡━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━┩",
        "│ 1 │ Bệnh viện A │ a-hospital │ Public     │ hospital │ 2025-12-31 │ reached, timing unconfirmed │              │ ≤ 2026-01-20 │ appraised 2026-02-01 │ 2025-07-09 │",
        "│ 2 │ Bệnh viện B │ b-hospital │ Non-public │ hospital │ 2025-12-31 │ overdue                     │           41 │              │ none                 │ never      │",
        "└───┴─────────────┴────────────┴────────────┴──────────┴────────────┴─────────────────────────────┴──────────────┴──────────────┴──────────────────────┴────────────┘",
    ]  # fmt: skip


def test_a_plan_target_is_worded_behind_plan() -> None:
    assert lines(render(tables.write_report_table, plan_view())) == [
        "1 facility behind plan against 586/QĐ-BYT (target date 2026-12-31) as of 2027-01-10",
        "┏━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┓",
        "┃ # ┃ Facility    ┃ Id       ┃ Ownership ┃ Kind           ┃ Target date ┃ Days behind plan ┃ Latest milestone ┃ Verified   ┃",
        "┡━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━┩",
        "│ 1 │ Trung tâm C │ c-centre │ Public    │ medical centre │ 2026-12-31  │               10 │ none             │ 2025-07-09 │",
        "└───┴─────────────┴──────────┴───────────┴────────────────┴─────────────┴──────────────────┴──────────────────┴────────────┘",
    ]  # fmt: skip
    every = lines(render(tables.write_report_table, plan_view(Selection())))
    assert every[0] == "2 facilities in scope of 586/QĐ-BYT (target date 2026-12-31) as of 2027-01-10"
    assert "│ behind plan                 │               10 │" in every[4]
    assert "│ deployed 4 days behind plan │                  │" in every[5]
    vi = lines(in_vietnamese(lambda: render(tables.write_report_table, plan_view())))
    assert vi[0] == "1 cơ sở chậm so với kế hoạch theo 586/QĐ-BYT (ngày mục tiêu 31/12/2026) tính đến ngày 10/01/2027"
    assert "┃ Ngày mục tiêu ┃ Số ngày chậm so với kế hoạch ┃" in vi[2]


# -- the dispatch's list ---------------------------------------------------------------------------
def test_markdown_says_which_dates_are_unconfirmed_in_both_languages() -> None:
    assert render(machine.write_report_markdown, report_view()) == (
        "Requirement **2898/SYT-VP**, deadline 2025-08-31: Đẩy nhanh tiến độ\n\n"
        "As of 2025-10-01, 4 facilities are in scope.\n\n"
        "1 facility deployed on or before 2025-09-24 (VietNamNet, 26 September 2025): timing against the deadline "
        "2025-08-31 unconfirmed.\n\n"
        "Public facilities (2):\n\n"
        "1. Bệnh viện A (hospital; deployed, timing unconfirmed; on or before 2025-09-24)\n"
        "2. Trung tâm C (medical centre; 31 days overdue)\n\n"
        "Non-public facilities (2):\n\n"
        "1. Bệnh viện B (hospital; deployed 5 days late)\n"
        "2. Phòng khám E (clinic; deployed on time; on or before 2025-08-25, per Báo Nghệ An)\n"
    )
    assert in_vietnamese(lambda: render(machine.write_report_markdown, report_view())) == (
        "Văn bản **2898/SYT-VP**, thời hạn 31/08/2025: Đẩy nhanh tiến độ\n\n"
        "Tính đến ngày 01/10/2025, có 4 cơ sở thuộc phạm vi áp dụng.\n\n"
        "1 cơ sở đã triển khai không muộn hơn 24/09/2025 (VietNamNet, 26 September 2025): chưa xác nhận có kịp thời "
        "hạn 31/08/2025 hay không.\n\n"
        "Các cơ sở công lập (2):\n\n"
        "1. Bệnh viện A (bệnh viện; đã triển khai, chưa xác nhận thời điểm; không muộn hơn 24/09/2025)\n"
        "2. Trung tâm C (trung tâm y tế; quá hạn 31 ngày)\n\n"
        "Các cơ sở ngoài công lập (2):\n\n"
        "1. Bệnh viện B (bệnh viện; đã triển khai muộn 5 ngày)\n"
        "2. Phòng khám E (phòng khám; đã triển khai đúng hạn; không muộn hơn 25/08/2025, theo Báo Nghệ An)\n"
    )


def test_markdown_of_an_overdue_list_with_none_says_why() -> None:
    assert render(machine.write_report_markdown, overdue_view()) == (
        "Requirement **2898/SYT-VP**, deadline 2025-08-31: Đẩy nhanh tiến độ\n\n"
        "As of 2025-10-01, 0 facilities are past their deadline and have not yet deployed EMR.\n\n"
        "25 facilities deployed on or before 2025-09-24 (VietNamNet, 26 September 2025): timing against the deadline "
        "2025-08-31 unconfirmed.\n"
    )


def test_markdown_of_a_plan_target_and_of_another_obligation() -> None:
    assert render(machine.write_report_markdown, plan_view()) == (
        "Plan target **586/QĐ-BYT**, target date 2026-12-31\n\n"
        "As of 2027-01-10, 1 facility is behind plan: past its target date, it has not yet deployed EMR.\n\n"
        "Facilities that have not yet deployed EMR (1):\n\n"
        "1. Trung tâm C (medical centre; 10 days behind plan)\n"
    )
    assert in_vietnamese(lambda: render(machine.write_report_markdown, plan_view())) == (
        "Mục tiêu kế hoạch **586/QĐ-BYT**, ngày mục tiêu 31/12/2026\n\n"
        "Tính đến ngày 10/01/2027, có 1 cơ sở chậm so với kế hoạch: đã qua ngày mục tiêu mà chưa triển khai bệnh án "
        "điện tử.\n\n"
        "Các cơ sở chưa triển khai bệnh án điện tử (1):\n\n"
        "1. Trung tâm C (trung tâm y tế; chậm 10 ngày so với kế hoạch)\n"
    )
    assert render(machine.write_report_markdown, annex_view()) == (
        "Requirement **R/2**, annex signed by 2025-12-31\n\n"
        "As of 2026-02-10, 2 facilities are in scope.\n\n"
        "1 facility reached “annex signed” on or before 2026-01-20 (Báo Nghệ An): timing against the deadline "
        "2025-12-31 unconfirmed.\n\n"
        "Facilities (2):\n\n"
        "1. Bệnh viện A (hospital; reached, timing unconfirmed; on or before 2026-01-20)\n"
        "2. Bệnh viện B (hospital; 41 days overdue)\n"
    )


def test_selection_wording_for_other_obligations() -> None:
    overdue, due = Selection.overdue(), Selection.due_within(7)
    assert wording.lead(overdue, 2, AS_OF, milestone="annex signed") == (
        "As of 2025-10-01, 2 facilities are past their deadline and have not yet reached “annex signed”."
    )
    assert wording.group_heading(overdue, "Clinics", 2, milestone="annex signed") == (
        "Clinics that have not yet reached “annex signed” (2):"
    )
    assert wording.group_heading(due, "Clinics", 2, milestone="annex signed") == (
        "Clinics due to reach “annex signed” within 7 days (2):"
    )
    assert wording.label(overdue, binding=False) == "behind plan (past the target date, not deployed)"
    assert wording.label(due, milestone="annex signed") == "“annex signed” not reached, deadline within 7 days"
    # the defaults word a binding document's deployment as they always have
    heading = wording.heading(overdue, 3, "R", "2025-08-31", AS_OF)
    assert heading == "3 facilities overdue against R (deadline 2025-08-31) as of 2025-10-01"
    assert wording.label(overdue) == "overdue (past the deadline, not deployed)"
    assert (
        wording.days_label(overdue) == "Days overdue"
        and wording.days_label(overdue, binding=False) == "Days behind plan"
    )


@pytest.mark.parametrize(
    ("state", "milestone", "binding", "days", "english", "vietnamese"),
    [
        (State.DEPLOYED_UNCONFIRMED, "deployed", True, 0, "deployed, timing unconfirmed", "đã triển khai, chưa xác nhận thời điểm"),
        (State.DEPLOYED_LATE, "deployed", True, 1, "deployed 1 day late", "đã triển khai muộn 1 ngày"),
        (State.DEPLOYED_LATE, "deployed", True, 0, "deployed late", "đã triển khai muộn"),
        (State.DEPLOYED_LATE, "deployed", False, 3, "deployed 3 days behind plan", "đã triển khai chậm 3 ngày so với kế hoạch"),
        (State.DEPLOYED_LATE, "annex-signed", True, 3, "reached 3 days late", "đã đạt mốc muộn 3 ngày"),
        (State.DEPLOYED_ON_TIME, "annex-signed", False, 0, "reached on time", "đã đạt mốc đúng hạn"),
        (State.OVERDUE, "deployed", False, 9, "behind plan", "chậm so với kế hoạch"),
        (State.OVERDUE, "annex-signed", True, 9, "overdue", "quá hạn"),
        (State.NOT_YET_DUE, "deployed", False, 0, "not yet due", "chưa đến hạn"),
    ],
)  # fmt: skip
def test_states_are_worded_for_their_obligation_and_document(
    state: State, milestone: str, binding: bool, days: int, english: str, vietnamese: str
) -> None:
    assert state_text(state, milestone, binding=binding, days_late=days) == english
    assert in_vietnamese(lambda: state_text(state, milestone, binding=binding, days_late=days)) == vietnamese


# -- status ----------------------------------------------------------------------------------------
def _status_view() -> StatusView:
    deployed_counts = Counts(in_scope=4, deployed_on_time=1, deployed_late=1, deployed_unconfirmed=1, overdue=1)
    principal = ObligationStatus(
        DEPLOY,
        deployed_counts,
        [CohortStatus(Selector(), D("2025-08-31"), deployed_counts)],
        {
            "public": Counts(in_scope=2, deployed_unconfirmed=1, overdue=1),
            "non-public": Counts(in_scope=2, deployed_on_time=1, deployed_late=1),
        },
    )
    reported = Counts(in_scope=2, overdue=2)
    report = ObligationStatus(
        REPORT,
        reported,
        [CohortStatus(Selector(), D("2025-07-15"), reported)],
        {"public": Counts(in_scope=1, overdue=1), "non-public": Counts(in_scope=1, overdue=1)},
    )
    dispatch = RequirementStatus(
        DISPATCH,
        AS_OF,
        principal.total,
        principal.cohorts,
        principal.by_ownership,
        {"appraised": 0, "report-submitted": 0, "deployed": 3},
        None,
        None,
        4,
        [report, principal],
    )
    planned = Counts(in_scope=4, deployed_on_time=3, not_yet_due=1)
    plan = RequirementStatus(
        PLAN,
        AS_OF,
        planned,
        [CohortStatus(Selector(), D("2026-12-31"), planned)],
        {"public": Counts(in_scope=2, deployed_on_time=1, not_yet_due=1), "non-public": Counts(2, 2)},
        {"deployed": 3},
        None,
        None,
        4,
    )  # no `obligations`: the principal one alone, as a status made before obligations were
    return StatusView(AS_OF, "Test register", (), [dispatch, plan], PROVENANCE, VOCABULARY)


def test_status_table_has_a_row_per_obligation_and_cohort_and_counts_the_unconfirmed() -> None:
    assert lines(render(tables.write_status_table, _status_view())) == [
        "Test register: status as of 2025-10-01",
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━┓",
        "┃ Requirement              ┃ Milestone        ┃ Applies to         ┃ Deadline   ┃          Days ┃ In scope ┃ On time ┃ Late ┃ Unconfirmed ┃ Overdue ┃ Not yet due ┃ Compliance ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━┩",
        "│ 2898/SYT-VP              │ report submitted │ 2 named facilities │ 2025-07-15 │  78 days past │        2 │       0 │    0 │           0 │       2 │           0 │       0.0% │",
        "│ 2898/SYT-VP              │ deployed         │ all facilities     │ 2025-08-31 │  31 days past │        4 │       1 │    1 │           1 │       1 │           0 │      25.0% │",
        "│ 586/QĐ-BYT (plan target) │ deployed         │ all facilities     │ 2026-12-31 │ 456 days left │        4 │       3 │    0 │           0 │       0 │           1 │      75.0% │",
        "└──────────────────────────┴──────────────────┴────────────────────┴────────────┴───────────────┴──────────┴─────────┴──────┴─────────────┴─────────┴─────────────┴────────────┘",
        "586/QĐ-BYT is a plan target, not a binding document: the facilities counted overdue against it are behind plan.",
        "By ownership",
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━┓",
        "┃ Requirement              ┃ Milestone        ┃ Ownership  ┃ In scope ┃ On time ┃ Late ┃ Unconfirmed ┃ Overdue ┃ Not yet due ┃ Compliance ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━┩",
        "│ 2898/SYT-VP              │ report submitted │ Public     │        1 │       0 │    0 │           0 │       1 │           0 │       0.0% │",
        "│ 2898/SYT-VP              │ report submitted │ Non-public │        1 │       0 │    0 │           0 │       1 │           0 │       0.0% │",
        "│ 2898/SYT-VP              │ deployed         │ Public     │        2 │       0 │    0 │           1 │       1 │           0 │       0.0% │",
        "│ 2898/SYT-VP              │ deployed         │ Non-public │        2 │       1 │    1 │           0 │       0 │           0 │      50.0% │",
        "│ 586/QĐ-BYT (plan target) │ deployed         │ Public     │        2 │       1 │    0 │           0 │       0 │           1 │      50.0% │",
        "│ 586/QĐ-BYT (plan target) │ deployed         │ Non-public │        2 │       2 │    0 │           0 │       0 │           0 │     100.0% │",
        "└──────────────────────────┴──────────────────┴────────────┴──────────┴─────────┴──────┴─────────────┴─────────┴─────────────┴────────────┘",
        "2898/SYT-VP: milestones reached by 4 facilities in scope: appraised 0 · report submitted 0 · deployed 3.",
        "586/QĐ-BYT: milestones reached by 4 facilities in scope: deployed 3.",
    ]  # fmt: skip
    vi = lines(in_vietnamese(lambda: render(tables.write_status_table, _status_view())))
    assert "┃ Mốc            ┃ Áp dụng cho          ┃" in vi[2] and "┃ Chưa xác nhận ┃" in vi[2]
    assert "│ đã gửi báo cáo │ 2 cơ sở được nêu tên │" in vi[4]
    assert vi[8] == (
        "586/QĐ-BYT là mục tiêu kế hoạch, không phải văn bản bắt buộc: các cơ sở được tính là quá hạn theo văn bản "
        "này là chậm so với kế hoạch."
    )


def test_status_without_bounds_or_obligations_keeps_its_columns() -> None:
    view = _status_view()
    view.statuses = view.statuses[1:]  # the plan target: one obligation, deployment, nothing unconfirmed
    out = lines(render(tables.write_status_table, view))
    assert out[2] == (
        "┃ Requirement              ┃ Applies to     ┃ Deadline   ┃          Days ┃ In scope ┃ On time ┃ Late ┃ Overdue ┃ "
        "Not yet due ┃ Compliance ┃"
    )


def test_status_json_counts_the_unconfirmed_and_each_obligation() -> None:
    doc = json.loads(render(machine.write_status_json, _status_view()))
    dispatch, plan = doc["requirements"]
    counts = {"in_scope": 4, "deployed_on_time": 1, "deployed_late": 1, "deployed_unconfirmed": 1, "overdue": 1}
    assert {k: dispatch[k] for k in (*counts, "compliance_pct", "binding")} == {
        **counts,
        "compliance_pct": 25.0,  # proven on time ÷ in scope: the unconfirmed are not proof
        "binding": True,
    }
    assert [(o["milestone"], o["principal"], o["deadline"], o["in_scope"], o["overdue"]) for o in dispatch["obligations"]] == [
        ("report-submitted", False, "2025-07-15", 2, 2),
        ("deployed", True, "2025-08-31", 4, 1),
    ]  # fmt: skip
    assert dispatch["obligations"][0]["applies_to"] == {"facilities": ["a-hospital", "b-hospital"]}
    assert dispatch["obligations"][1]["cohorts"] == dispatch["cohorts"]
    assert dispatch["obligations"][1]["by_ownership"] == dispatch["by_ownership"]
    assert dispatch["by_ownership"]["public"]["deployed_unconfirmed"] == 1
    assert plan["binding"] is False
    assert [(o["milestone"], o["principal"], o["not_yet_due"]) for o in plan["obligations"]] == [("deployed", True, 1)]


# -- spreadsheets ----------------------------------------------------------------------------------
def _sheet_rows(view: Any, writer: Callable[[Any, Any], None], tmp_path: Any) -> dict[str, list[list[Any]]]:
    path = tmp_path / "out.xlsx"
    writer(view, path)
    wb = openpyxl.load_workbook(path)
    return {name: [list(r) for r in wb[name].iter_rows(values_only=True)] for name in wb.sheetnames}


def test_report_xlsx_gives_bounds_their_source_and_the_timing_unconfirmed(tmp_path: Any) -> None:
    (rows,) = _sheet_rows(report_view(), xlsx.write_report_xlsx, tmp_path).values()
    assert [r[:2] for r in rows[:7]] == [
        ["Test register", None],
        ["Requirement", "2898/SYT-VP"],
        ["Title", "Đẩy nhanh tiến độ"],
        ["Deadline", datetime(2025, 8, 31)],
        ["Facilities listed", "all in scope"],
        ["Count", 4],
        [
            "Timing unconfirmed",
            "1 facility deployed on or before 2025-09-24 (VietNamNet, 26 September 2025): timing against the "
            "deadline 2025-08-31 unconfirmed.",
        ],
    ]
    header = rows.index(
        ["Ownership", "#", "Facility", "Id", "Kind", "Deadline", "State", "Days overdue", "Source",
         "Latest milestone", "Milestone date", "Verified"]
    )  # fmt: skip
    assert rows[header + 1 :] == [
        ["Public", 1, "Bệnh viện A", "a-hospital", "hospital", datetime(2025, 8, 31), "deployed, timing unconfirmed",
         None, VNN, "deployed", "≤ 2025-09-24", datetime(2025, 7, 9)],
        ["Public", 2, "Trung tâm C", "c-centre", "medical centre", datetime(2025, 8, 31), "overdue", 31, None, None,
         None, datetime(2025, 7, 9)],
        ["Non-public", 1, "Bệnh viện B", "b-hospital", "hospital", datetime(2025, 8, 31), "deployed 5 days late",
         None, None, "deployed", datetime(2025, 9, 5), None],
        ["Non-public", 2, "Phòng khám E", "e-clinic", "clinic", datetime(2025, 8, 31), "deployed on time", None,
         PAPER, "deployed", "≤ 2025-08-25", None],
    ]  # fmt: skip


def test_report_xlsx_of_a_plan_target_and_of_every_obligation(tmp_path: Any) -> None:
    (plan,) = _sheet_rows(plan_view(), xlsx.write_report_xlsx, tmp_path).values()
    assert [r[:2] for r in plan[1:6]] == [
        ["Requirement", "586/QĐ-BYT"],
        ["Kind of document", "Plan target"],
        ["Replaces", "1/QĐ-BYT"],
        ["Target date", datetime(2026, 12, 31)],
        ["Facilities listed", "behind plan (past the target date, not deployed)"],
    ]
    assert ["#", "Facility", "Id", "Ownership", "Kind", "Target date", "State", "Days behind plan"] == plan[12][:8]
    sheets = _sheet_rows(annex_view(), xlsx.write_report_xlsx, tmp_path)
    assert list(sheets) == ["R-2 annex-signed"]
    rows = sheets["R-2 annex-signed"]
    assert rows[2][:2] == ["Milestone", "annex signed"]
    assert rows[3][:2] == ["Deadline", datetime(2025, 12, 31)]
    header = next(i for i, r in enumerate(rows) if r[0] == "#")
    assert rows[header][7:10] == ["Days overdue", "Annex signed", "Source"]
    assert rows[header + 1][7:10] == [None, "≤ 2026-01-20", PAPER]


def test_status_xlsx_as_the_table(tmp_path: Any) -> None:
    (rows,) = _sheet_rows(_status_view(), xlsx.write_status_xlsx, tmp_path).values()
    head = rows.index(
        ["Requirement", "Milestone", "Applies to", "Deadline", "In scope", "On time", "Late", "Unconfirmed",
         "Overdue", "Not yet due", "Compliance"]
    )  # fmt: skip
    assert rows[head + 1 : head + 4] == [
        ["2898/SYT-VP", "report submitted", "2 named facilities", datetime(2025, 7, 15), 2, 0, 0, 0, 2, 0, 0],
        ["2898/SYT-VP", "deployed", "all facilities", datetime(2025, 8, 31), 4, 1, 1, 1, 1, 0, 0.25],
        ["586/QĐ-BYT (plan target)", "deployed", "all facilities", datetime(2026, 12, 31), 4, 3, 0, 0, 0, 1, 0.75],
    ]
    assert rows[head + 5][0].startswith("586/QĐ-BYT is a plan target")
    split = rows.index(
        ["Requirement", "Milestone", "Ownership", "In scope", "On time", "Late", "Unconfirmed", "Overdue",
         "Not yet due", "Compliance", None]
    )  # fmt: skip
    assert rows[split + 3] == ["2898/SYT-VP", "deployed", "Public", 2, 0, 0, 1, 1, 0, 0, None]


# -- the chart -------------------------------------------------------------------------------------
def _progress(bounded: int) -> Progress:
    deployed = (D("2025-08-20"), D("2025-09-24"), D("2025-09-24"))
    return Progress(DISPATCH, AS_OF, 4, deployed, D("2025-07-09"), (D("2025-08-31"),), None, 0.0, bounded)


def test_the_chart_legend_says_bounds_are_drawn_at_their_date() -> None:
    legend = chart.text(_progress(0)).splitlines()[-1]
    assert legend == "█ deployed  ─ in scope (4)  │ deadline  · forecast  ▲ 2025-10-01"
    assert chart.text(_progress(2)).splitlines()[-1] == (
        "█ deployed (2 known only as on or before a date: drawn at that date)  ─ in scope (4)  │ deadline  · forecast  "
        "▲ 2025-10-01"
    )
    assert in_vietnamese(lambda: chart.text(_progress(2))).splitlines()[-1] == (
        "█ đã triển khai (2 cơ sở chỉ biết là không muộn hơn một ngày: vẽ tại ngày đó)  ─ thuộc phạm vi (4)  │ thời hạn"
        "  · dự báo  ▲ 01/10/2025"
    )
    root = ET.fromstring(chart.svg(_progress(2)))
    notes = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "bounded"]
    assert notes == ["2 deployments known only as on or before a date: drawn as reached on that date."]
    assert not [t for t in ET.fromstring(chart.svg(_progress(0))).iter() if t.get("class") == "bounded"]


def test_the_chart_of_a_plan_target_says_target_date() -> None:
    p = Progress(PLAN, AS_OF, 4, (), D("2025-07-09"), (D("2026-12-31"),), None, 0.0)
    text = chart.text(p).splitlines()
    assert text[1] == "Target date: 2026-12-31."
    assert text[-1] == "█ deployed  ─ in scope (4)  │ target date  · forecast  ▲ 2025-10-01"


# -- one facility, the history ---------------------------------------------------------------------
def _event(action: str, old: str | None, new: str | None) -> HistoryEntry:
    change = (1, 2, "2025-10-01T00:00:00Z", "t", "cli", "mark deployed", None, None)
    return HistoryEntry(*change, "milestone", "a", "deployed", action, old, new)


def test_show_gives_each_milestone_as_known_and_each_obligation_its_state() -> None:
    view = ShowView(
        A,
        AS_OF,
        {"deployed": Reached(D("2025-09-24"), False, VNN), "report-submitted": Reached(D("2025-10-05"))},
        [
            (DISPATCH, REPORT, D("2025-07-15"), State.OVERDUE, 78),
            (DISPATCH, DEPLOY, D("2025-08-31"), State.DEPLOYED_UNCONFIRMED, 0),
            (PLAN, PLAN.principal, D("2026-12-31"), State.DEPLOYED_ON_TIME, 0),
            (SIGNING, ANNEX, None, None, 0),
        ],
        [],
        VOCABULARY,
    )
    out = lines(render(record_tables.write_facility_table, view))
    assert out[10:15] == [
        "│ Appraised        │ not recorded                                                   │",
        "│ Report submitted │ 2025-10-05 (after 2025-10-01)                                  │",
        "│ Deployed         │ on or before 2025-09-24; source: VietNamNet, 26 September 2025 │",
        "│ Annex signed     │ not recorded                                                   │",
        "└──────────────────┴────────────────────────────────────────────────────────────────┘",
    ]
    assert out[17:24] == [
        "┃ Requirement              ┃ Milestone        ┃ Deadline   ┃ State                        ┃ Days overdue ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩",
        "│ 2898/SYT-VP              │ report submitted │ 2025-07-15 │ overdue                      │ 78           │",
        "│ 2898/SYT-VP              │ deployed         │ 2025-08-31 │ deployed, timing unconfirmed │              │",
        "│ 586/QĐ-BYT (plan target) │ deployed         │ 2026-12-31 │ deployed on time             │              │",
        "│ R/2                      │ annex signed     │            │ not in scope                 │              │",
        "└──────────────────────────┴──────────────────┴────────────┴──────────────────────────────┴──────────────┘",
    ]


def test_history_decodes_what_was_known_of_each_date() -> None:
    bound = '{"on_or_before":"2025-09-24","source":"VietNamNet, 26 September 2025"}'
    assert describe_event(_event("recorded", None, "2025-08-20")) == "deployed recorded: 2025-08-20"
    assert describe_event(_event("recorded", None, bound)) == (
        "deployed recorded: on or before 2025-09-24 (source: VietNamNet, 26 September 2025)"
    )
    assert describe_event(_event("refined", bound, '{"on":"2025-09-02","source":"SYT"}')) == (
        "deployed refined: 2025-09-02 (was on or before 2025-09-24) (source: SYT)"
    )
    assert describe_event(_event("corrected", "2025-08-20", "2025-08-21")) == (
        "deployed corrected: 2025-08-21 (was 2025-08-20)"
    )
    assert describe_event(_event("cleared", bound, None)) == "deployed cleared (was on or before 2025-09-24)"
    assert in_vietnamese(lambda: describe_event(_event("recorded", None, bound))) == (
        "đã triển khai: ghi nhận không muộn hơn 24/09/2025 (nguồn: VietNamNet, 26 September 2025)"
    )
    assert in_vietnamese(lambda: describe_event(_event("refined", bound, "2025-09-02"))) == (
        "đã triển khai: làm rõ thành ngày 02/09/2025 (trước là không muộn hơn 24/09/2025)"
    )


def _mark_facts() -> Iterable[dict[str, Any]]:
    from emrtrack.store.codec import mark_facts

    bound, exact = Reached(D("2025-09-24"), False, VNN), Reached(D("2025-09-02"))
    yield mark_facts("deployed", "a", exact, None, "recorded")
    yield mark_facts("deployed", 25, bound, None, "recorded")
    yield mark_facts("deployed", "a", exact, bound, "refined")
    yield mark_facts("deployed", "a", bound, exact, "corrected")
    yield mark_facts("annex-signed", 2, Reached(D("2025-08-01"), False), Reached(D("2025-08-05"), False), "refined")


def test_the_facts_of_a_mark_read_as_the_summary_the_history_keeps() -> None:
    from emrtrack.store.codec import summary_text

    for facts in _mark_facts():
        assert describe_facts(facts) == summary_text(facts)
        undo = {"command": "undo", "change": 3, "of": facts}
        assert describe_facts(undo) == summary_text(undo)
    said = [in_vietnamese(lambda facts=facts: describe_facts(facts)) for facts in _mark_facts()]
    assert said == [
        "đã triển khai: ghi nhận cho a ngày 02/09/2025",
        "đã triển khai: ghi nhận cho 25 cơ sở không muộn hơn 24/09/2025",
        "đã triển khai: làm rõ cho a thành ngày 02/09/2025 (trước là không muộn hơn 24/09/2025)",
        "đã triển khai: đính chính cho a thành không muộn hơn 24/09/2025 (trước là 02/09/2025)",
        "đã ký phụ lục: làm rõ cho 2 cơ sở thành không muộn hơn 01/08/2025 (trước là không muộn hơn 05/08/2025)",
    ]


def test_what_a_mark_did_says_what_was_known_before() -> None:
    from emrtrack.output.messages import mark_plan, mark_result
    from emrtrack.views import MarkResult

    bound, exact = Reached(D("2025-09-24"), False, VNN), Reached(D("2025-09-02"))
    refined = MarkResult(B, "deployed", exact, bound, True, 3)
    corrected = MarkResult(B, "deployed", Reached(D("2025-09-03")), exact, True, 4)
    assert mark_result(refined) == (
        "Updated: Bệnh viện B (b-hospital) deployed on 2025-09-02 (was on or before 2025-09-24). Change #3."
    )
    assert mark_result(corrected) == (
        "Corrected: Bệnh viện B (b-hospital) deployed on 2025-09-03 (was 2025-09-02). Change #4."
    )  # as earlier releases said it
    assert in_vietnamese(lambda: mark_result(refined)) == (
        "Đã cập nhật: Bệnh viện B (b-hospital) đã triển khai ngày 02/09/2025 (trước là không muộn hơn 24/09/2025). "
        "Thay đổi #3."
    )
    assert in_vietnamese(lambda: mark_plan([A, B], "deployed", bound)).splitlines() == [
        "Sẽ ghi nhận: đã triển khai không muộn hơn 24/09/2025, cho 2 cơ sở:",
        "  a-hospital  Bệnh viện A",
        "  b-hospital  Bệnh viện B",
    ]
