"""The SQL forms of the rules for what is known as it is known (bounds, obligations, scopes naming facilities)
give what the Python rules give, on a register that holds every case."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import rows

from emrtrack.model import Obligation, Requirement, Selection, State
from emrtrack.rules import standing_under_each, today
from emrtrack.service.registers import load_files
from emrtrack.store import Register

KNOWN = """
register:
  name: cases
  milestones:
    - {id: report-submitted, en: report submitted, vi: đã gửi báo cáo}
    - {id: deployed, en: deployed, vi: đã triển khai}
requirements:
  - id: R1
    issued: 2025-07-01
    obligations:
      - milestone: report-submitted
        deadline: 2025-07-15
        applies_to: {facilities: [exact-early, bound-unconfirmed, nothing]}
      - milestone: deployed
        principal: true
        deadlines:
          - {applies_to: {kind: [hospital]}, deadline: 2025-08-31}
          - deadline: 2025-12-31
  - id: R2
    issued: 2025-07-01
    binding: false
    applies_to: {ownership: [public]}
    deadline: 2026-06-30
facilities:
  - {id: exact-early, name: A, ownership: public, kind: hospital, verified: 2025-07-01,
     milestones: {deployed: 2025-08-20, report-submitted: 2025-07-10}}
  - {id: exact-late, name: B, ownership: public, kind: hospital, milestones: {deployed: 2025-09-05}}
  - {id: bound-on-time, name: C, ownership: non-public, kind: hospital,
     milestones: {deployed: {on_or_before: 2025-08-25, source: S1}}}
  - {id: bound-unconfirmed, name: D, ownership: public, kind: hospital, verified: 2025-07-09,
     milestones: {deployed: {on_or_before: 2025-09-24, source: S2}, report-submitted: {on_or_before: 2025-07-20}}}
  - {id: bound-late, name: E, ownership: non-public, kind: hospital, verified: 2025-09-02,
     milestones: {deployed: {on_or_before: 2025-09-24, source: S2}}}
  - {id: bound-no-lower, name: F, ownership: public, kind: hospital, verified: 2025-10-01,
     milestones: {deployed: {on_or_before: 2025-09-24}}}
  - {id: clinic-bound, name: G, ownership: public, kind: clinic, verified: 2025-07-09,
     milestones: {deployed: {on_or_before: 2026-01-10}}}
  - {id: nothing, name: H, ownership: public, kind: medical-centre}
"""

DAYS = [
    date(2025, 7, 15),
    date(2025, 7, 16),
    date(2025, 8, 31),
    date(2025, 9, 1),
    date(2025, 9, 24),
    date(2025, 10, 1),
    date(2026, 1, 1),
    date(2026, 1, 10),
    date(2026, 7, 1),
]


@pytest.fixture
def known(tmp_path: Path) -> Register:
    path = tmp_path / "known.yaml"
    path.write_text(KNOWN, encoding="utf-8")
    register = Register.open(tmp_path / "known.db")
    load_files(register, [path], actor="test")
    yield register
    register.close()


def _python(register: Register, requirement: Requirement, obligation: Obligation, day: date) -> dict:
    """Each facility in scope of the obligation: (deadline, state, days) by the Python rules alone."""
    out = {}
    for fid, _name, _folded in register.facility_names():
        f = register.facility(fid)
        if f.verified is not None and f.verified > day:
            f = dataclasses.replace(f, verified=None)
        for _r, o, deadline, state, days in standing_under_each([requirement], f, register.milestones(fid), day):
            if o == obligation and deadline is not None:
                out[fid] = (deadline, state, days)
    return out


def test_the_register_holds_every_case(known: Register) -> None:
    r1 = known.requirement("R1")
    states = {f: s for f, (_d, s, _n) in _python(known, r1, r1.principal, date(2025, 10, 1)).items()}
    assert states == {
        "exact-early": State.DEPLOYED_ON_TIME,
        "exact-late": State.DEPLOYED_LATE,
        "bound-on-time": State.DEPLOYED_ON_TIME,
        "bound-unconfirmed": State.DEPLOYED_UNCONFIRMED,
        "bound-late": State.DEPLOYED_LATE,
        "bound-no-lower": State.DEPLOYED_UNCONFIRMED,
        "clinic-bound": State.NOT_YET_DUE,
        "nothing": State.NOT_YET_DUE,
    }


def test_status_counts_in_sql_equal_the_python_rules(known: Register) -> None:
    for requirement in known.requirements():
        for day in DAYS:
            status = known.status(requirement, day)
            for o, counted in zip(requirement.obligations, status.obligations, strict=True):
                expected = Counter(
                    state.value.replace("-", "_") for _d, state, _n in _python(known, requirement, o, day).values()
                )
                got = {k: v for k, v in vars(counted.total).items() if v and k != "in_scope"}
                assert got == dict(expected), (requirement.id, o.milestone, day)
                assert counted.total.in_scope == sum(expected.values())


@pytest.mark.parametrize("selection", [Selection(), Selection.overdue(), Selection.due_within(60)])
def test_report_rows_in_sql_equal_the_python_rules(known: Register, selection: Selection) -> None:
    for requirement in known.requirements():
        for o in requirement.obligations:
            for day in DAYS:
                expected = _python(known, requirement, o, day)
                if selection.is_overdue:
                    expected = {f: v for f, v in expected.items() if v[1] is State.OVERDUE}
                elif selection.is_due_within:
                    expected = {
                        f: v
                        for f, v in expected.items()
                        if v[1] is State.NOT_YET_DUE and day <= v[0] <= day + timedelta(days=60)
                    }
                count, got_rows = known.standings(requirement, day, selection, obligation=o)
                got = {s.facility.id: (s.deadline, s.state, s.days_late or s.days_overdue) for s in got_rows}
                assert (count, got) == (len(expected), expected), (requirement.id, o.milestone, day, selection)


def test_unconfirmed_counts_in_sql_equal_the_python_rules(known: Register) -> None:
    for requirement in known.requirements():
        for o in requirement.obligations:
            for day in DAYS:
                expected = Counter()
                for fid, (_d, state, _n) in _python(known, requirement, o, day).items():
                    if state is State.DEPLOYED_UNCONFIRMED:
                        reached = known.milestones(fid)[o.milestone]
                        expected[reached.date, reached.source] += 1
                got = {(bound, source): n for bound, source, n in known.unconfirmed(requirement, day, o)}
                assert got == dict(expected), (requirement.id, o.milestone, day)


def test_the_obligation_state_view_equals_the_python_rules_today(known: Register, tmp_path: Path) -> None:
    day = today("Asia/Ho_Chi_Minh")
    got = {
        (r, m, f): (date.fromisoformat(d), s, over or late)
        for f, r, m, d, s, over, late in rows(
            tmp_path / "known.db",
            "SELECT facility_id, requirement_id, milestone, deadline, state, days_overdue, days_late "
            "FROM obligation_state",
        )
    }
    expected = {
        (requirement.id, o.milestone, fid): (deadline, state.value, days)
        for requirement in known.requirements()
        for o in requirement.obligations
        for fid, (deadline, state, days) in _python(known, requirement, o, day).items()
    }
    assert got == expected
    principal = rows(
        tmp_path / "known.db",
        "SELECT facility_id, deployed, bound, source, known_after, binding FROM facility_state "
        "WHERE requirement_id = 'R1' AND facility_id IN ('bound-unconfirmed', 'exact-late') ORDER BY facility_id",
    )
    assert principal == [
        ("bound-unconfirmed", "2025-09-24", "on-or-before", "S2", "2025-07-09", 1),
        ("exact-late", "2025-09-05", "exact", None, None, 1),
    ]
    # R2 is a plan target whose date (2026-06-30) has passed: its overdue are listed, as not binding
    overdue = "SELECT DISTINCT binding FROM overdue WHERE requirement_id = 'R2'"
    assert rows(tmp_path / "known.db", overdue) == [(0,)]
