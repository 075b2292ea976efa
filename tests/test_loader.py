"""Reading register files: a valid file, and every class of invalid input reported as FILE:LINE."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from emrtrack.errors import InputError
from emrtrack.model import Cohort, Reached, Selector
from emrtrack.reading import read_files
from emrtrack.service.registers import shipped_data_path

D = date.fromisoformat
TODAY = D("2025-09-15")

FACILITY = """\
facilities:
  - id: do-luong-general
    name: Bệnh viện Đa khoa Đô Lương
    ownership: public
    kind: hospital
"""


def write(tmp_path: Path, text: str, name: str = "in.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path | list[Path]) -> list[str]:
    paths = path if isinstance(path, list) else [path]
    with pytest.raises(InputError) as caught:
        read_files(paths, TODAY)
    return [str(p) for p in caught.value.problems]


def test_valid_file_with_everything(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        register:
          name: Nghệ An EMR register
          timezone: Asia/Ho_Chi_Minh
          notes: [one, two]
        requirements:
          - id: 13/2025/TT-BYT
            issuer: Bộ Y tế
            issued: 2025-06-06
            in_force: 2025-07-21
            refs: [Replaces Circular 46/2018/TT-BYT]
            deadlines:
              - applies_to: {kind: [hospital]}
                deadline: 2025-09-30
              - deadline: 2026-12-31
          - id: EXAMPLE/1
            deadline: 2025-12-31
            issued: 2025-06-01
            default: true
            applies_to: {ownership: [public], kind: [hospital, medical-centre]}
        facilities:
          - id: do-luong-general
            name: Bệnh viện Đa khoa Đô Lương
            aliases: [Do Luong General Hospital]
            ownership: public
            kind: hospital
            managed_by: province
            location: Đô Lương
            verified: 2025-07-09
            milestones:
              appraised: 2025-08-01
              deployed: "2025-08-20"
        """,
    )
    out = read_files([path], TODAY)
    assert out.register is not None
    assert out.register.name == "Nghệ An EMR register"
    assert out.register.timezone == "Asia/Ho_Chi_Minh"
    assert out.register.notes == ("one", "two")
    assert out.register_fields == frozenset({"name", "timezone", "notes"})
    c13, example = (e.requirement for e in out.requirements)
    assert c13.id == "13/2025/TT-BYT" and c13.issuer == "Bộ Y tế" and c13.issued == D("2025-06-06")
    assert c13.in_force == D("2025-07-21") and c13.refs == ("Replaces Circular 46/2018/TT-BYT",)
    assert c13.cohorts == (Cohort(Selector(kinds=("hospital",)), D("2025-09-30")), Cohort(Selector(), D("2026-12-31")))
    assert c13.default is False
    assert example.default is True
    assert example.applies_to == Selector(kinds=("hospital", "medical-centre"), ownerships=("public",))
    assert example.cohorts == (Cohort(Selector(), D("2025-12-31")),)
    [entry] = out.facilities
    f = entry.facility
    assert (f.id, f.name, f.aliases, f.ownership, f.kind, f.managed_by, f.location, f.verified) == (
        "do-luong-general",
        "Bệnh viện Đa khoa Đô Lương",
        ("Do Luong General Hospital",),
        "public",
        "hospital",
        "province",
        "Đô Lương",
        D("2025-07-09"),
    )
    assert entry.milestones == {"appraised": Reached(D("2025-08-01")), "deployed": Reached(D("2025-08-20"))}
    assert (entry.file, entry.line) == (str(path), 21)


def test_facilities_alone_are_a_valid_file(tmp_path: Path) -> None:
    out = read_files([write(tmp_path, FACILITY)], TODAY)
    assert out.register is None and out.requirements == []
    assert [e.facility.id for e in out.facilities] == ["do-luong-general"]
    assert out.facilities[0].facility.aliases == () and out.facilities[0].facility.verified is None


def test_shipped_data_is_valid() -> None:
    out = read_files([shipped_data_path()], D("2026-03-09"))
    assert len(out.facilities) == 25
    assert [e.facility.ownership for e in out.facilities].count("public") == 13
    assert [e.requirement.id for e in out.requirements] == ["2898/SYT-VP", "13/2025/TT-BYT", "586/QĐ-BYT"]
    assert [e.requirement.default for e in out.requirements] == [True, False, False]
    assert [e.requirement.binding for e in out.requirements] == [True, True, False]
    assert len(out.register.notes) == 4
    assert {e.milestones["deployed"] for e in out.facilities} == {
        Reached(
            D("2025-09-24"),
            exact=False,
            source="Minister of Health, 24 September 2025, reported by VietNamNet on 26 September 2025 [4]",
        )
    }


def test_shipped_data_is_refused_before_the_statement_it_rests_on() -> None:
    """Read on a day before 24 September 2025, the deployments it records would lie in the future."""
    with pytest.raises(InputError) as e:
        read_files([shipped_data_path()], D("2025-09-23"))
    assert len(e.value.problems) == 25
    assert (
        "milestone 'deployed' is dated 2025-09-24, in the future (today is 2025-09-23)" in e.value.problems[0].message
    )


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        facilities:
          - id: x
            name: X
            ownership: public
            kind: clinic
           bad: 1
        """,
    )
    [got] = problems(path)
    assert got.startswith(f"{path}:6: not valid YAML: ")  # the rest is the parser's own wording


def test_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, FACILITY + "    ownrship: public\n    colour: red\n")
    assert problems(path) == [
        f"{path}:6: facility 'do-luong-general': unknown field 'ownrship' (did you mean 'ownership'?)",
        f"{path}:7: facility 'do-luong-general': unknown field 'colour' (expected one of: id, name, aliases, "
        "ownership, kind, managed_by, location, verified, milestones, distinct_from, codes, opened, closed, "
        "merged_into, former_names, former_managed_by, exceptions, withdrawn)",
    ]


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, "facility:\n  - id: x\n")
    assert problems(path) == [f"{path}:1: the file: unknown field 'facility' (did you mean 'facilities'?)"]


def test_wrong_types(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        facilities:
          - id: a
            name: 115
            ownership: public
            kind: hospital
            aliases: {x: 1}
          - id: b
            name: B
            ownership: [public]
            kind: hospital
        requirements:
          - id: R
            issued: 2025-07-09
            deadline: 2025-08-31
            default: "yes please"
        """,
    )
    assert problems(path) == [
        f"{path}:3: facility 'a': name must be text, not a number (put it in quotes)",
        f"{path}:6: facility 'a': aliases must be a list of text, not a mapping",
        f"{path}:9: facility 'b': ownership must be text, not a list",
        f"{path}:15: requirement 'R': default must be true or false, not text",
    ]


def test_impossible_date(tmp_path: Path) -> None:
    path = write(tmp_path, FACILITY + "    verified: 2025-02-30\n")
    assert problems(path) == [f"{path}:6: facility 'do-luong-general': verified: 2025-02-30 is not a real date"]


def test_non_iso_date(tmp_path: Path) -> None:
    path = write(tmp_path, FACILITY + "    milestones:\n      deployed: 31/08/2025\n")
    assert problems(path) == [
        f"{path}:7: facility 'do-luong-general': milestone 'deployed': '31/08/2025' is not a date written YYYY-MM-DD"
    ]


def test_future_milestone_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, FACILITY + "    milestones:\n      deployed: 2025-09-16\n")
    assert problems(path) == [
        f"{path}:7: facility 'do-luong-general': milestone 'deployed' is dated 2025-09-16, in the future "
        "(today is 2025-09-15)"
    ]


def test_duplicate_facility_id(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        FACILITY + "  - id: do-luong-general\n    name: Đô Lương again\n    ownership: public\n    kind: hospital\n",
    )
    assert problems(path) == [f"{path}:6: facility 'do-luong-general': the id is used twice (first at {path}:2)"]


def test_duplicate_facility_id_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, FACILITY, "a.yaml")
    second = write(tmp_path, FACILITY, "b.yaml")
    assert problems([first, second]) == [
        f"{second}:2: facility 'do-luong-general': the id is used twice (first at {first}:2)"
    ]


def test_deadline_before_issue_date(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        requirements:
          - id: R/1
            issued: 2025-07-09
            deadline: 2025-07-08
          - id: R/2
            issued: 2025-07-09
            deadlines:
              - applies_to: {kind: hospital}
                deadline: 2025-09-30
              - deadline: 2025-01-01
        """,
    )
    assert problems(path) == [
        f"{path}:4: requirement 'R/1': deadline 2025-07-08 is before the issue date 2025-07-09",
        f"{path}:10: requirement 'R/2': deadlines[1]: deadline 2025-01-01 is before the issue date 2025-07-09",
    ]


def test_applies_to_with_unknown_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        requirements:
          - id: R/1
            issued: 2025-07-09
            deadline: 2025-12-31
            applies_to:
              kind: [hospital, hospitl]
        """,
    )
    assert problems(path) == [
        f"{path}:6: requirement 'R/1': applies_to: kind: unknown value 'hospitl' (did you mean 'hospital'?)"
    ]


def test_duplicate_key(tmp_path: Path) -> None:
    path = write(tmp_path, FACILITY + "    kind: clinic\n")
    assert problems(path) == [f"{path}:6: facility 'do-luong-general': field 'kind' is given twice (first on line 5)"]


def test_python_tag_is_an_error_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    path = write(
        tmp_path,
        f"""\
        facilities:
          - id: x
            name: !!python/object/apply:os.system ["touch {marker}"]
            ownership: public
            kind: clinic
        """,
    )
    assert problems(path) == [
        f"{path}:3: facility 'x': name must be text, not a value tagged !!python/object/apply:os.system "
        "(tags are not allowed)"
    ]
    assert not marker.exists()


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        requirements:
          - id: R/1
            issued: 2025-07-09
            deadlin: 2025-08-31
        facilities:
          - id: a
            name: A
            ownership: publik
            kind: hospital
            verified: 2025-02-30
          - id: b
            name: B
            ownership: public
            kind: hospital
            verified: 31/08/2025
        """,
    )
    assert problems(path) == [
        f"{path}:2: requirement 'R/1': give either 'deadline' (one date), 'deadlines' (one per cohort) or "
        "'obligations' (one per milestone)",
        f"{path}:4: requirement 'R/1': unknown field 'deadlin' (did you mean 'deadline'?)",
        f"{path}:8: facility 'a': ownership: unknown value 'publik' (did you mean 'public'?)",
        f"{path}:10: facility 'a': verified: 2025-02-30 is not a real date",
        f"{path}:15: facility 'b': verified: '31/08/2025' is not a date written YYYY-MM-DD",
    ]


def test_problems_of_every_file_are_reported(tmp_path: Path) -> None:
    good = write(tmp_path, FACILITY.replace("do-luong-general", "other"), "good.yaml")
    bad1 = write(tmp_path, FACILITY.replace("kind: hospital", "kind: hospitall"), "bad1.yaml")
    bad2 = write(tmp_path, "facilities: [\n", "bad2.yaml")
    got = problems([bad1, good, bad2])
    # the wording of a syntax error is the YAML parser's (libyaml or pure Python): only its position is ours
    got[-1] = got[-1].split(": not valid YAML: ")[0] + ": not valid YAML"
    assert got == [
        f"{bad1}:5: facility 'do-luong-general': kind: unknown value 'hospitall' (did you mean 'hospital'?)",
        f"{bad2}:2: not valid YAML",
    ]


def test_missing_required_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "facilities:\n  - name: Nameless\n")
    assert problems(path) == [
        f"{path}:2: facility facilities[0]: missing required field 'ownership'",
        f"{path}:2: facility facilities[0]: missing required field 'kind'",
        f"{path}:2: facility facilities[0]: missing required field 'id'",
    ]


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    assert problems(path) == [f"{path}:1: the file is empty: expected 'register', 'requirements' and/or 'facilities'"]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("facilities:\n  - id: x\n    name: Đô\n".encode()[:-3] + b"\xe9\n")
    assert problems(path) == [
        f"{path}:3: the file is not UTF-8 text (byte {len(path.read_bytes()) - 2}: 0xe9); save it as UTF-8"
    ]


def test_unknown_timezone(tmp_path: Path) -> None:
    path = write(tmp_path, "register:\n  timezone: Asia/Hanoi_City\n")
    assert problems(path) == [
        f"{path}:2: register: timezone: unknown time zone 'Asia/Hanoi_City' (use a name such as Asia/Ho_Chi_Minh)"
    ]


def test_two_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        requirements:
          - id: A
            issued: 2025-01-01
            deadline: 2025-12-31
            default: true
          - id: B
            issued: 2025-01-01
            deadline: 2025-12-31
            default: true
        """,
    )
    assert problems(path) == [
        f"{path}:6: requirement 'B': only one requirement may be the default ('A' already is, at {path}:2)"
    ]


def test_duplicate_id_is_reported_even_when_an_entry_has_other_problems(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        FACILITY + "    verified: 2025-02-30\n"
        "  - id: do-luong-general\n    name: Đô Lương again\n    ownership: public\n    kind: hospitl\n",
    )
    assert problems(path) == [
        f"{path}:6: facility 'do-luong-general': verified: 2025-02-30 is not a real date",
        f"{path}:7: facility 'do-luong-general': the id is used twice (first at {path}:2)",
        f"{path}:10: facility 'do-luong-general': kind: unknown value 'hospitl' (did you mean 'hospital'?)",
    ]


def test_deadlines_that_are_not_a_list_get_one_message(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        requirements:
          - id: R
            issued: 2025-07-09
            deadlines: 2025-08-31
        """,
    )
    assert problems(path) == [f"{path}:4: requirement 'R': deadlines must be a list, not a date"]


def test_a_tab_in_the_indentation_is_named(tmp_path: Path) -> None:
    path = tmp_path / "tabs.yaml"
    path.write_text("facilities:\n  - id: x\n\tname: X\n", encoding="utf-8")
    found = problems(path)
    assert len(found) == 1 and found[0].startswith(f"{path}:3: not valid YAML: ")
    assert found[0].endswith("; indent with spaces, not tabs")
