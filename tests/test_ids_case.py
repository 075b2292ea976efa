"""Facility ids are compared without regard to case: an id typed in capitals names the facility the register
holds (a load updates it, a command finds it), and two ids that differ only in case are one id used twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from helpers import rows, run, table_hash

CAPITALS = """\
facilities:
  - id: DO-LUONG-GENERAL
    name: Bệnh viện Đa khoa Đô Lương (tên mới)
    ownership: public
    kind: hospital
"""


def test_a_load_with_an_id_in_capitals_updates_the_facility_the_register_holds(
    shipped_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "capitals.yaml"
    path.write_text(CAPITALS, encoding="utf-8")
    r = run("load", str(path))
    assert r.exit_code == 0, r.stderr
    assert "Facilities: 0 added, 1 updated" in r.stdout
    assert rows(shipped_db, "SELECT COUNT(*) FROM facilities") == [(25,)]
    assert rows(shipped_db, "SELECT name FROM facilities WHERE id = 'do-luong-general'") == [
        ("Bệnh viện Đa khoa Đô Lương (tên mới)",)
    ]
    assert run("load", str(path)).stdout.endswith("Nothing changed; no history recorded.\n")
    assert "do-luong-general" in run("show", "DO-LUONG-GENERAL").stdout


def test_two_ids_that_differ_only_in_case_are_one_id_used_twice(shipped_db: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_text("id,name,ownership,kind\nnew-clinic,Phòng khám A,non-public,clinic\n", encoding="utf-8")
    two.write_text("id,name,ownership,kind\nNEW-Clinic,Phòng khám B,non-public,clinic\n", encoding="utf-8")
    before = table_hash(shipped_db)
    r = run("load", str(one), str(two))
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == f"emrtrack: {two}:2: facility 'NEW-Clinic': the id is used twice (first at {one}:2)\n"
    assert table_hash(shipped_db) == before


def test_history_says_what_a_fact_was_and_is(shipped_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "capitals.yaml"
    path.write_text(CAPITALS, encoding="utf-8")
    assert run("load", str(path)).exit_code == 0
    from emrtrack.output.messages import describe_event
    from emrtrack.store import Register

    event = Register.open(shipped_db).history("do-luong-general", limit=1)[0]
    said = describe_event(event)
    # the name and the managing body the file changed are kept as earlier ones, used until yesterday
    yesterday = (Register.open(shipped_db).today() - timedelta(days=1)).isoformat()
    assert said == (
        "facility updated: aliases: Do Luong General Hospital → —, "
        f"former_managed_by: — → province (until {yesterday}), "
        f"former_names: — → Bệnh viện Đa khoa Đô Lương (until {yesterday}), "
        "location: Đô Lương (former district) → —, "
        "managed_by: province → —, name: Bệnh viện Đa khoa Đô Lương → Bệnh viện Đa khoa Đô Lương (tên mới), "
        "verified: 2025-07-09 → —"
    ), said
