"""The pure rules: folding names, deadlines by cohort, states on a date."""

from __future__ import annotations

from datetime import date

import pytest

from emrtrack.model import Cohort, Facility, Reached, Requirement, Selector, State
from emrtrack.rules import (
    days_overdue,
    deadline_for,
    fold,
    latest_milestone,
    milestones_as_of,
    pick_requirement,
    state_of,
)

D = date.fromisoformat
DEADLINE = D("2025-08-31")

CIRCULAR_13 = Requirement(
    id="13/2025/TT-BYT",
    issued=D("2025-06-06"),
    cohorts=(Cohort(Selector(kinds=("hospital",)), D("2025-09-30")), Cohort(Selector(), D("2026-12-31"))),
)
PUBLIC_HOSPITALS = Requirement(
    id="EXAMPLE/1",
    issued=D("2025-06-01"),
    cohorts=(Cohort(Selector(), D("2025-12-31")),),
    applies_to=Selector(kinds=("hospital", "medical-centre"), ownerships=("public",)),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bệnh viện Đa khoa Đô Lương", "benh vien da khoa do luong"),
        ("đô lương", "do luong"),
        ("ĐÔ LƯƠNG", "do luong"),
        ("DO LUONG", "do luong"),
        ("Đ", "d"),
        ("đ", "d"),
        ("  Quân   y 4 ", "quan y 4"),
        ("Trung tâm Huyết học - Truyền máu", "trung tam huyet hoc truyen mau"),
        ("Bệnh viện Răng Hàm Mặt", "benh vien rang ham mat"),
        ("Hoàn Mỹ", "hoan my"),
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_of_d_with_stroke_is_not_done_by_decomposition_alone() -> None:
    import unicodedata

    assert unicodedata.normalize("NFKD", "Đ") == "Đ"  # why fold needs its own rule
    assert fold("Đông Âu") == fold("Dong Au") == "dong au"


def test_fold_precomposed_and_decomposed_are_equal() -> None:
    import unicodedata

    name = "Bệnh viện Phổi Nghệ An"
    assert (
        fold(unicodedata.normalize("NFD", name)) == fold(unicodedata.normalize("NFC", name)) == "benh vien phoi nghe an"
    )


@pytest.mark.parametrize(
    ("ownership", "kind", "expected"),
    [
        ("public", "hospital", D("2025-09-30")),
        ("non-public", "hospital", D("2025-09-30")),
        ("public", "specialised-centre", D("2026-12-31")),
        ("public", "medical-centre", D("2026-12-31")),
        ("non-public", "clinic", D("2026-12-31")),
    ],
)
def test_deadline_for_cohorts_first_match_wins(ownership: str, kind: str, expected: date) -> None:
    assert deadline_for(CIRCULAR_13, ownership, kind) == expected


@pytest.mark.parametrize(
    ("ownership", "kind", "expected"),
    [
        ("public", "hospital", D("2025-12-31")),
        ("public", "medical-centre", D("2025-12-31")),
        ("public", "clinic", None),
        ("non-public", "hospital", None),
    ],
)
def test_deadline_for_out_of_scope_is_none(ownership: str, kind: str, expected: date | None) -> None:
    assert deadline_for(PUBLIC_HOSPITALS, ownership, kind) == expected


def test_deadline_for_when_no_cohort_matches_is_none() -> None:
    only_hospitals = Requirement(
        id="X", issued=D("2025-01-01"), cohorts=(Cohort(Selector(kinds=("hospital",)), D("2025-09-30")),)
    )
    assert deadline_for(only_hospitals, "public", "clinic") is None
    assert deadline_for(only_hospitals, "public", "hospital") == D("2025-09-30")


def test_scope_is_where_a_requirement_gives_a_deadline() -> None:
    facilities = [
        Facility("a", "A", "public", "hospital"),
        Facility("b", "B", "non-public", "hospital"),
        Facility("c", "C", "public", "clinic"),
        Facility("d", "D", "public", "medical-centre"),
    ]
    assert [f.id for f in facilities if deadline_for(PUBLIC_HOSPITALS, f.ownership, f.kind)] == ["a", "d"]
    assert [f.id for f in facilities if deadline_for(CIRCULAR_13, f.ownership, f.kind)] == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("deployed", "as_of", "state", "late"),
    [
        (None, "2025-08-30", State.NOT_YET_DUE, 0),
        (None, "2025-08-31", State.NOT_YET_DUE, 0),  # the deadline day itself is still in time
        (None, "2025-09-01", State.OVERDUE, 1),
        (None, "2025-10-01", State.OVERDUE, 31),
        ("2025-08-31", "2025-08-31", State.DEPLOYED_ON_TIME, 0),  # inclusive deadline
        ("2025-08-31", "2025-12-01", State.DEPLOYED_ON_TIME, 0),
        ("2025-09-01", "2025-09-01", State.DEPLOYED_LATE, 0),
        ("2025-09-01", "2025-08-31", State.NOT_YET_DUE, 0),  # a later deployment is unknown on as_of
        ("2025-09-05", "2025-09-02", State.OVERDUE, 2),
        ("2025-07-01", "2025-07-01", State.DEPLOYED_ON_TIME, 0),
    ],
)
def test_state_of_and_days_overdue(deployed: str | None, as_of: str, state: State, late: int) -> None:
    d = D(deployed) if deployed else None
    assert state_of(DEADLINE, d, D(as_of)) is state
    assert days_overdue(DEADLINE, d, D(as_of)) == late


def R(day: str, exact: bool = True) -> Reached:
    return Reached(D(day), exact)


def _reached(**dates: str) -> dict[str, Reached]:
    return {k.replace("_", "-"): R(v) for k, v in dates.items()}


def test_milestones_as_of_keeps_usual_order_and_drops_later_ones() -> None:
    ms = _reached(annex_signed="2025-08-25", deployed="2025-08-20", appraised="2025-08-01")
    assert list(milestones_as_of(ms, D("2025-08-31"))) == ["appraised", "deployed", "annex-signed"]
    assert milestones_as_of(ms, D("2025-08-20")) == _reached(appraised="2025-08-01", deployed="2025-08-20")
    assert milestones_as_of(ms, D("2025-07-31")) == {}


def test_milestones_follow_the_register_order() -> None:
    ms = _reached(deployed="2025-08-20", report_submitted="2025-07-14", paper_records_stopped="2025-08-20")
    order = ("report-submitted", "deployed", "paper-records-stopped")
    assert list(milestones_as_of(ms, D("2025-08-31"), order)) == list(order)
    assert latest_milestone(ms, D("2025-08-31"), order) == ("paper-records-stopped", D("2025-08-20"))


def test_a_bound_counts_as_reached_only_from_its_date() -> None:
    ms = {"deployed": R("2025-09-24", exact=False)}
    assert milestones_as_of(ms, D("2025-09-23")) == {}
    assert latest_milestone(ms, D("2025-09-24")) == ("deployed", D("2025-09-24"))


def test_latest_milestone() -> None:
    ms = _reached(appraised="2025-08-01", deployed="2025-08-20", annex_signed="2025-08-25")
    assert latest_milestone(ms, D("2025-08-31")) == ("annex-signed", D("2025-08-25"))
    assert latest_milestone(ms, D("2025-08-21")) == ("deployed", D("2025-08-20"))
    assert latest_milestone(ms, D("2025-08-01")) == ("appraised", D("2025-08-01"))
    assert latest_milestone(ms, D("2025-07-31")) is None
    assert latest_milestone({}, D("2025-08-31")) is None


def test_latest_milestone_tie_goes_to_the_later_in_usual_order() -> None:
    same_day = _reached(appraised="2025-08-01", deployed="2025-08-01")
    assert latest_milestone(same_day, D("2025-08-01")) == ("deployed", D("2025-08-01"))
    # the latest by date wins over the usual order
    assert latest_milestone(_reached(appraised="2025-08-10", deployed="2025-08-01"), D("2025-09-01")) == (
        "appraised",
        D("2025-08-10"),
    )


def test_pick_requirement() -> None:
    default = Requirement(
        id="2898/SYT-VP", issued=D("2025-07-09"), cohorts=(Cohort(Selector(), DEADLINE),), default=True
    )
    reqs = [CIRCULAR_13, default]
    assert pick_requirement(reqs, None) is default
    assert pick_requirement([CIRCULAR_13, PUBLIC_HOSPITALS], None) is CIRCULAR_13
    assert pick_requirement(reqs, "13/2025/TT-BYT") is CIRCULAR_13
    assert pick_requirement(reqs, "2898 syt vp") is default
    assert pick_requirement(reqs, "nope") is None
    # a unique beginning of an id, as officers say a document by its number
    assert pick_requirement(reqs, "2898") is default
    assert pick_requirement(reqs, "13/2025") is CIRCULAR_13
    later = Requirement(id="13/2026/TT-BYT", issued=D("2026-01-01"), cohorts=(Cohort(Selector(), DEADLINE),))
    assert pick_requirement([CIRCULAR_13, later], "13") is None  # not unique: named in full, or not at all
    assert pick_requirement([CIRCULAR_13, later], "13/2026") is later
    assert pick_requirement([], None) is None


def test_final_deadline_is_the_latest_cohort() -> None:
    assert CIRCULAR_13.final_deadline == D("2026-12-31")


def test_domain_imports_neither_typer_nor_rich() -> None:
    import subprocess
    import sys

    code = (
        "import sys, emrtrack.model, emrtrack.rules; "
        "print(sorted(m for m in ('typer', 'rich', 'click') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_today_is_the_date_in_the_register_time_zone_not_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timezone

    import emrtrack.rules as rules

    instant = datetime(2025, 8, 31, 18, 30, tzinfo=timezone.utc)  # 01:30 on 1 September in Vietnam

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return instant.astimezone(tz)

    monkeypatch.setattr(rules, "datetime", Frozen)
    assert rules.today("Asia/Ho_Chi_Minh") == D("2025-09-01")
    assert rules.today("UTC") == D("2025-08-31")


def test_standing_under_each_requirement_of_one_facility() -> None:
    from emrtrack.model import Cohort, Facility, Requirement, Selector, State
    from emrtrack.rules import standing_under_each

    centre = Facility(id="c", name="C", ownership="public", kind="specialised-centre")
    dispatch = Requirement(id="D", issued=date(2025, 7, 9), cohorts=(Cohort(Selector(), date(2025, 8, 31)),))
    hospitals_only = Requirement(
        id="H",
        issued=date(2025, 6, 6),
        cohorts=(Cohort(Selector(), date(2025, 9, 30)),),
        applies_to=Selector(kinds=("hospital",)),
    )
    deployed = {"deployed": Reached(date(2025, 9, 5))}
    got = standing_under_each([dispatch, hospitals_only], centre, deployed, date(2025, 9, 3))
    assert got == [
        (dispatch, dispatch.principal, date(2025, 8, 31), State.OVERDUE, 3),
        (hospitals_only, hospitals_only.principal, None, None, 0),
    ]
    later = standing_under_each([dispatch], centre, deployed, date(2025, 9, 10))
    assert later == [(dispatch, dispatch.principal, date(2025, 8, 31), State.DEPLOYED_LATE, 5)]  # 5 days late
