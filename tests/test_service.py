"""The use cases without the command line: each returns a view, settles "today" once, refuses bad values."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from emrtrack.errors import UsageError
from emrtrack.model import Reached, Selection, State
from emrtrack.service import commands
from emrtrack.views import ReportView

# Marks, history and verification are exercised on the register as the dispatch left it (no milestone).
pytestmark = pytest.mark.usefixtures("dispatch_day_db")


@pytest.fixture
def register(dispatch_day_register):
    """The open register these tests use: the dispatch-day data, not the shipped register."""
    return dispatch_day_register


def test_status_view_counts_every_requirement_on_the_date(register) -> None:
    view = commands.status(register, as_of=date(2025, 9, 1))
    assert view.as_of == date(2025, 9, 1)
    assert view.register_name == register.info().name
    assert [s.requirement.id for s in view.statuses] == [r.id for r in register.requirements()]
    dispatch = next(s for s in view.statuses if s.requirement.id == "2898/SYT-VP")
    assert (dispatch.total.in_scope, dispatch.total.overdue, dispatch.total.compliance) == (25, 25, 0.0)
    assert view.provenance is None
    with_provenance = commands.status(register, as_of=date(2025, 9, 1), with_provenance=True)
    assert with_provenance.provenance is not None
    assert with_provenance.provenance.content_hash == register.content_hash()


def test_status_defaults_to_today_in_the_registers_time_zone(register) -> None:
    assert commands.status(register).as_of == register.today()


def test_report_view_streams_the_selection_and_counts_the_late_in_one_snapshot(register) -> None:
    with commands.report(register, as_of=date(2025, 9, 1), selection=Selection.overdue(), count_late=True) as view:
        assert isinstance(view, ReportView)
        assert [(p.requirement.id, p.count) for p in view.parts] == [("2898/SYT-VP", 25)]
        rows = list(view.parts[0].rows)
        assert len(rows) == 25 and {s.state for s in rows} == {State.OVERDUE}
        assert {s.days_overdue for s in rows} == {1}
        assert view.late == 25 and not view.several
    with commands.report(register, as_of=date(2025, 8, 1), requirement="all", count_late=True, limit=3) as view:
        assert view.several and view.late == 0
        assert [len(list(p.rows)) for p in view.parts] == [3, 3]


def _mark(register, query: str, milestone: str, *, on: date | None = None, **options):
    """Mark one facility as the command line does (plan, then record); its one result."""
    (result,) = commands.mark(register, commands.plan_mark(register, [query], milestone, on=on), **options)
    return result


def test_mark_refuses_an_unknown_milestone_and_records_a_known_one(register) -> None:
    with pytest.raises(UsageError, match="unknown milestone 'deploy'"):
        _mark(register, "do luong", "deploy", on=date(2025, 8, 20))
    result = _mark(register, "do luong", "deployed", on=date(2025, 8, 20), by="officer", ref="3120/SYT-VP")
    assert (result.facility.id, result.date, result.changed) == ("do-luong-general", date(2025, 8, 20), True)
    again = _mark(register, "do luong", "deployed", on=date(2025, 8, 20))
    assert not again.changed


def test_mark_several_facilities_or_all_in_scope_as_one_change(register) -> None:
    plan = commands.plan_mark(
        register, ["do luong", "hoan my", "Đô Lương"], "deployed", on_or_before=date(2025, 9, 24), source="VNN"
    )
    assert [f.id for f in plan.facilities] == ["do-luong-general", "hoan-my-vinh"]  # each once
    assert plan.reached == Reached(date(2025, 9, 24), exact=False, source="VNN")
    results = commands.mark(register, plan, by="officer", ref="VietNamNet, 26 September 2025")
    assert {r.change_id for r in results} == {2} and all(r.changed for r in results)
    every = commands.plan_mark(register, [], "deployed", on_or_before=date(2025, 9, 24), every=True)
    assert len(every.facilities) == 23 and "do-luong-general" not in {f.id for f in every.facilities}
    assert {r.change_id for r in commands.mark(register, every)} == {3}
    assert commands.plan_mark(register, [], "deployed", every=True).facilities == []
    with pytest.raises(UsageError, match="--on and --on-or-before"):
        commands.plan_mark(register, ["do luong"], "deployed", on=date(2025, 9, 1), on_or_before=date(2025, 9, 2))
    with pytest.raises(UsageError, match="without FACILITY"):
        commands.plan_mark(register, ["do luong"], "deployed", every=True)
    with pytest.raises(UsageError, match="name at least one FACILITY"):
        commands.plan_mark(register, [], "deployed")


def test_report_by_obligation(register, tmp_path) -> None:
    with pytest.raises(UsageError, match="2898/SYT-VP sets no obligation for appraised"):
        with commands.report(register, obligation="appraised"):
            pass
    with pytest.raises(UsageError, match="unknown milestone 'deploy'"):
        with commands.report(register, obligation="deploy"):
            pass
    with commands.report(register, as_of=date(2025, 9, 1), obligation="all") as view:
        assert view.every_obligation and [p.covers.milestone for p in view.parts] == ["deployed"]


def test_show_and_history_views(register) -> None:
    _mark(register, "do luong", "deployed", on=date(2025, 8, 20), by="officer")
    shown = commands.show(register, "do luong", as_of=date(2025, 9, 1))
    assert shown.facility.id == "do-luong-general"
    assert shown.milestones == {"deployed": Reached(date(2025, 8, 20))}
    assert [(r.id, state) for r, _obligation, _deadline, state, _days in shown.standings] == [
        ("2898/SYT-VP", State.DEPLOYED_ON_TIME),
        ("13/2025/TT-BYT", State.DEPLOYED_ON_TIME),
    ]
    assert [e.action for e in shown.history] == ["recorded", "added"]
    view = commands.history(register, limit=1)
    assert view.facility is None and view.more and len(view.events) == 1
    assert commands.history(register, "do luong", limit=5).more is False


def test_undo_reverts_what_undoable_shows(register) -> None:
    assert commands.undoable(register) is None  # the load that created the register is never undone
    _mark(register, "do luong", "deployed", on=date(2025, 8, 20), by="officer")
    change = commands.undoable(register)
    assert change is not None and change.facts == {
        "command": "mark",
        "milestone": "deployed",
        "action": "recorded",
        "facility": "do-luong-general",
        "date": "2025-08-20",
        "previous": None,
    }
    undo_id = commands.undo(register, change, by="officer")
    assert register.milestones("do-luong-general") == {}
    assert register.history(limit=1)[0].change_id == undo_id
    assert commands.verify(register).ok


def test_chart_progress_and_its_forecast(register) -> None:
    for name, on in (("do luong", date(2025, 8, 20)), ("hoan my", date(2025, 8, 27))):
        _mark(register, name, "deployed", on=on, by="officer")
    p = commands.chart(register, as_of=date(2025, 9, 1))
    assert (p.in_scope, p.done, p.deployed) == (25, 2, (date(2025, 8, 20), date(2025, 8, 27)))
    assert p.pace_per_week == 2 / 8
    assert p.forecast == date(2025, 9, 1) + timedelta(days=644)  # 23 to go at 2 in 56 days


def test_template_format_from_the_option_or_the_extension(tmp_path) -> None:
    assert commands.template_format(tmp_path / "a.xlsx", None) == "xlsx"
    assert commands.template_format(tmp_path / "a.txt", "csv") == "csv"
    with pytest.raises(UsageError, match="give --format xlsx or csv"):
        commands.template_format(tmp_path / "a.txt", None)


def test_the_shipped_data_is_found_from_a_source_checkout_too(monkeypatch) -> None:
    """Run from the repository without installing, `emrtrack.data` is no package: data/ beside it is used."""
    from importlib import resources

    from emrtrack.service import registers

    def no_package(name: str):
        raise ModuleNotFoundError(name)

    import emrtrack

    monkeypatch.setattr(resources, "files", no_package)
    beside_the_package = Path(emrtrack.__file__).resolve().parent.parent / "data" / registers.SHIPPED_DATA
    assert registers.shipped_data_path() == beside_the_package
    assert (Path(__file__).resolve().parent.parent / "data" / registers.SHIPPED_DATA).is_file()  # in the checkout
