"""The SQL views facility_state and overdue agree with the rules the commands use."""

from __future__ import annotations

from helpers import rows

from emrtrack.cli import app
from emrtrack.store import Register, migrations


def test_m003_views_is_a_named_migration_after_the_first():
    assert migrations.NAMES[0] == "m001_initial"
    assert migrations.NAMES[2] == "m003_views"


def test_facility_state_matches_standings_today(small, runner):
    assert runner.invoke(app, ["mark-deployed", "thai-an", "--on", "2025-10-02"]).exit_code == 0
    register = Register.open(small)
    today = register.today()
    expected = set()
    for req in register.requirements():
        _count, standings = register.standings(req, today)
        for s in standings:
            expected.add(
                (
                    s.facility.id,
                    req.id,
                    s.deadline.isoformat(),
                    s.reached and s.reached.date.isoformat(),
                    s.state.value,
                    s.days_overdue,
                    today.isoformat(),
                )
            )
    got = set(
        rows(
            small,
            "SELECT facility_id, requirement_id, deadline, deployed, state, days_overdue, as_of FROM facility_state",
        )
    )  # as another tool would see it
    assert got == expected
    assert len(got) == 8
    assert ("thai-an", "13/2025/TT-BYT", "2025-09-30", "2025-10-02", "deployed-late", 0, today.isoformat()) in got
    overdue = set(rows(small, "SELECT facility_id, requirement_id, days_overdue FROM overdue"))
    assert overdue == {(f, r, d) for f, r, _dl, _dep, st, d, _a in expected if st == "overdue"}
    assert ("do-luong-general", "2898/SYT-VP", (today - __import__("datetime").date(2025, 8, 31)).days) in overdue


def test_views_scope_excludes_facilities_a_requirement_does_not_apply_to(tmp_path, runner):
    path = tmp_path / "r.yaml"
    path.write_text(
        """\
requirements:
  - id: hospitals-only
    issued: 2025-01-01
    applies_to: {kind: hospital, ownership: public}
    deadline: 2025-06-30
facilities:
  - {id: a, name: A, ownership: public, kind: hospital}
  - {id: b, name: B, ownership: public, kind: clinic}
  - {id: c, name: C, ownership: non-public, kind: hospital}
""",
        encoding="utf-8",
    )
    db = tmp_path / "x.db"
    register = Register.open(db)
    from emrtrack.service.registers import load_files

    load_files(register, [path], actor="t")
    assert rows(db, "SELECT facility_id, deadline, state FROM facility_state") == [("a", "2025-06-30", "overdue")]
