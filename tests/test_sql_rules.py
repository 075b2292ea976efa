"""The SQL forms of the rules (store/sql_rules.py) give what the Python rules give, on every date that
matters; and each command's --format choices are exactly the formats its writer table has."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from emrtrack import options
from emrtrack.model import Reached, Selection, State
from emrtrack.output import writers
from emrtrack.rules import deadline_for, state_of
from emrtrack.store import Register

# Marks, history and verification are exercised on the register as the dispatch left it (no milestone).
pytestmark = pytest.mark.usefixtures("dispatch_day_db")


def _python_states(register: Register, requirement, as_of: date) -> dict[str, tuple[date, State]]:
    """Each facility in scope: its deadline and state on `as_of`, by the Python rules alone."""
    out = {}
    for fid, _name, _folded in register.facility_names():
        f = register.facility(fid)
        deadline = deadline_for(requirement, f.ownership, f.kind)
        if deadline is not None:
            out[fid] = (deadline, state_of(deadline, register.milestones(fid).get("deployed"), as_of))
    return out


def _dates(requirement) -> list[date]:
    days = {requirement.issued}
    for c in requirement.cohorts:
        days |= {c.deadline - timedelta(days=1), c.deadline, c.deadline + timedelta(days=1)}
    return sorted(days | {date(2025, 8, 20), date(2025, 9, 5), date(2027, 1, 1)})


def _marked(small: Path) -> Register:
    register = Register.open(small)
    for fid, on in (("do-luong-general", date(2025, 8, 31)), ("thai-an", date(2025, 10, 2))):
        register.mark([register.facility(fid)], "deployed", Reached(on), actor="test")
    return register


def test_status_counts_in_sql_equal_the_python_rules(small) -> None:
    register = _marked(small)
    for requirement in register.requirements():
        for day in _dates(requirement):
            expected = Counter(state for _d, state in _python_states(register, requirement, day).values())
            total = register.status(requirement, day).total
            got = {
                State.DEPLOYED_ON_TIME: total.deployed_on_time,
                State.DEPLOYED_LATE: total.deployed_late,
                State.OVERDUE: total.overdue,
                State.NOT_YET_DUE: total.not_yet_due,
            }
            assert {s: n for s, n in got.items() if n} == dict(expected), (requirement.id, day)
            assert total.in_scope == sum(expected.values())


@pytest.mark.parametrize("selection", [Selection(), Selection.overdue(), Selection.due_within(30)])
def test_report_rows_in_sql_equal_the_python_rules(small, selection) -> None:
    register = _marked(small)
    for requirement in register.requirements():
        for day in _dates(requirement):
            states = _python_states(register, requirement, day)
            if selection.is_overdue:
                states = {f: v for f, v in states.items() if v[1] is State.OVERDUE}
            elif selection.is_due_within:
                states = {
                    f: v
                    for f, v in states.items()
                    if v[1] is State.NOT_YET_DUE and day <= v[0] <= day + timedelta(days=30)
                }
            count, rows = register.standings(requirement, day, selection)
            got = {s.facility.id: (s.deadline, s.state) for s in rows}
            assert (count, got) == (len(states), states), (requirement.id, day, selection)


@pytest.mark.parametrize(
    ("view", "choices"),
    [("status", options.StatusFormat), ("report", options.ReportFormat), ("history", options.HistoryFormat)],
)
def test_each_commands_format_choices_are_its_writer_tables_keys(view, choices) -> None:
    assert tuple(c.value for c in choices) == writers.formats(view)
