"""A facility added under the name of one the register holds is refused with both named, unless the file says
they differ (distinct_from) or the load is told to (--allow-similar): a district's list with its own ids does not
quietly double the register."""

from __future__ import annotations

from pathlib import Path

from helpers import rows, run, table_hash

DISTRICT = """\
facilities:
  - id: bv-do-luong
    name: BỆNH VIỆN ĐA KHOA ĐÔ LƯƠNG
    ownership: public
    kind: hospital
{extra}"""


def _file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "district.yaml"
    path.write_text(DISTRICT.format(extra=extra), encoding="utf-8")
    return path


def test_a_facility_under_a_name_the_register_holds_is_refused_naming_both(shipped_db: Path, tmp_path: Path) -> None:
    path = _file(tmp_path)
    before = table_hash(shipped_db)
    for args in ((), ("--dry-run",)):
        r = run("load", str(path), *args)
        assert (r.exit_code, r.stdout) == (1, "")
        assert r.stderr == (
            f"emrtrack: {path}:2: facility 'bv-do-luong': the register has this name as 'do-luong-general' "
            "(Bệnh viện Đa khoa Đô Lương): give that id to update it, or say they differ with distinct_from: "
            "[do-luong-general] (or load with --allow-similar)\nemrtrack: Nothing was loaded.\n"
        )
    assert table_hash(shipped_db) == before
    assert run("mark-deployed", "do luong", "--on", "2025-08-20").exit_code == 0  # still one Đô Lương


def test_an_alias_counts_as_a_name(shipped_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "alias.csv"
    path.write_text("id,name,ownership,kind\ndl-2,Do Luong General Hospital,public,hospital\n", encoding="utf-8")
    r = run("load", str(path))
    assert r.exit_code == 1 and "the register has this name as 'do-luong-general'" in r.stderr


def test_the_file_or_the_load_may_say_they_differ(shipped_db: Path, tmp_path: Path) -> None:
    distinct = _file(tmp_path).read_text(encoding="utf-8") + "    distinct_from: [do-luong-general]\n"
    path = tmp_path / "distinct.yaml"
    path.write_text(distinct, encoding="utf-8")
    assert run("load", str(path)).exit_code == 0
    other = tmp_path / "other.csv"
    other.write_text("id,name,ownership,kind\ndl-3,Bệnh viện Đa khoa Đô Lương,public,hospital\n", encoding="utf-8")
    assert run("load", str(other)).exit_code == 1
    assert run("load", str(other), "--allow-similar").exit_code == 0
    assert rows(shipped_db, "SELECT COUNT(*) FROM facilities") == [(27,)]


def test_distinct_from_names_a_facility_that_exists(shipped_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(DISTRICT.format(extra="    distinct_from: [do-luong-genral]\n"), encoding="utf-8")
    r = run("load", str(path))
    assert (r.exit_code, r.stderr) == (
        1,
        f"emrtrack: {path}:2: facility 'bv-do-luong': distinct_from names facility 'do-luong-genral', which is not "
        "in the register or the files\n",
    )


def test_a_new_register_from_files_alone_is_not_checked_against_itself(tmp_path: Path) -> None:
    """Loading a whole export into an empty register adds every facility at once: none is in the register yet."""
    path = tmp_path / "two.csv"
    path.write_text(
        "id,name,ownership,kind\nx-1,Trạm y tế xã,public,clinic\nx-2,Trạm y tế xã,public,clinic\n", encoding="utf-8"
    )
    db = tmp_path / "new.db"
    assert run("--db", str(db), "load", "--no-shipped", str(path)).exit_code == 0
