"""Reading what is known, as it is known: a register's milestone vocabulary, milestones known by a bound
with their evidence (YAML and spreadsheets), requirements with several obligations, binding or not, and
selectors naming facilities. Each refusal is one line: FILE:LINE (FILE:ROW:COLUMN for a spreadsheet)."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from emrtrack import i18n
from emrtrack.errors import InputError
from emrtrack.model import DEFAULT_MILESTONE_DEFS, MILESTONES, Cohort, MilestoneDef, Obligation, Reached, Selector
from emrtrack.reading import read_files
from emrtrack.reading.tables import COLUMNS, FACT_COLUMNS, columns_for

D = date.fromisoformat
TODAY = D("2025-09-30")

VOCABULARY = """\
register:
  milestones:
    - {id: appraised, en: appraised by the Department's council, vi: đã được Hội đồng thẩm định}
    - {id: report-submitted, en: report submitted, vi: đã gửi báo cáo}
    - {id: deployed, en: deployed, vi: đã triển khai}
"""


def facility(milestones: str = "", fid: str = "nghe-an-lung") -> str:
    """A facilities section of one facility, with `milestones` (YAML lines, indented by 6) when given."""
    text = f"facilities:\n  - id: {fid}\n    name: Bệnh viện Phổi Nghệ An\n    ownership: public\n    kind: hospital\n"
    return text + ("    milestones:\n" + textwrap.indent(textwrap.dedent(milestones), "      ") if milestones else "")


def write(tmp_path: Path, text: str, name: str = "in.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def write_csv(tmp_path: Path, lines: list[str], name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems(paths: Path | list[Path], **options) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_files(paths if isinstance(paths, list) else [paths], TODAY, **options)
    return [str(p) for p in caught.value.problems]


def reached(path: Path | list[Path], **options) -> dict[str, Reached]:
    out = read_files(path if isinstance(path, list) else [path], TODAY, **options)
    [entry] = out.facilities
    return entry.milestones


# -- the milestone vocabulary ---------------------------------------------------------------------


def test_the_default_vocabulary_is_in_force_without_a_register(tmp_path: Path) -> None:
    path = write(tmp_path, facility("appraised: 2025-08-01\ndeployed: 2025-09-01\nannex-signed: 2025-09-02\n"))
    out = read_files([path], TODAY)
    assert out.milestone_ids == MILESTONES == ("appraised", "deployed", "annex-signed")
    assert out.register is None and out.register_fields == frozenset()
    assert out.facilities[0].milestones == {
        "appraised": Reached(D("2025-08-01")),
        "deployed": Reached(D("2025-09-01")),
        "annex-signed": Reached(D("2025-09-02")),
    }


def test_a_register_vocabulary_is_read_in_order_and_used_for_the_facilities(tmp_path: Path) -> None:
    path = write(tmp_path, VOCABULARY + facility("report-submitted: 2025-07-14\ndeployed: 2025-08-30\n"))
    out = read_files([path], TODAY)
    assert out.register is not None
    assert out.register.milestones == (
        MilestoneDef("appraised", "appraised by the Department's council", "đã được Hội đồng thẩm định"),
        MilestoneDef("report-submitted", "report submitted", "đã gửi báo cáo"),
        MilestoneDef("deployed", "deployed", "đã triển khai"),
    )
    assert out.register.name is None and out.register.timezone == "Asia/Ho_Chi_Minh"
    assert out.register_fields == frozenset({"milestones"})
    assert out.milestone_ids == ("appraised", "report-submitted", "deployed")
    assert out.facilities[0].milestones == {
        "report-submitted": Reached(D("2025-07-14")),
        "deployed": Reached(D("2025-08-30")),
    }


def test_the_register_section_is_read_first_whatever_its_place_in_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, facility("report-submitted: 2025-07-14\n") + VOCABULARY)
    assert reached(path) == {"report-submitted": Reached(D("2025-07-14"))}


def test_a_register_without_milestones_keeps_the_vocabulary_in_force(tmp_path: Path) -> None:
    path = write(tmp_path, "register:\n  name: R\n" + facility("annex-signed: 2025-09-02\n"))
    out = read_files([path], TODAY)
    assert out.register_fields == frozenset({"name"})
    assert out.register is not None and out.register.milestones == DEFAULT_MILESTONE_DEFS
    assert out.milestone_ids == MILESTONES
    assert out.facilities[0].milestones == {"annex-signed": Reached(D("2025-09-02"))}


def test_the_stored_vocabulary_is_in_force_until_a_file_replaces_it(tmp_path: Path) -> None:
    stored = ("deployed", "report-submitted")
    first = write(tmp_path, facility("report-submitted: 2025-07-14\n"), "first.yaml")
    vocabulary = write(tmp_path, VOCABULARY, "vocabulary.yaml")
    last = write(tmp_path, facility("appraised: 2025-08-01\n", fid="other"), "last.yaml")
    out = read_files([first, vocabulary, last], TODAY, milestones=stored)
    assert [e.milestones for e in out.facilities] == [
        {"report-submitted": Reached(D("2025-07-14"))},
        {"appraised": Reached(D("2025-08-01"))},
    ]
    assert out.milestone_ids == ("appraised", "report-submitted", "deployed")
    # before the vocabulary file, "appraised" is not a milestone of the register
    assert problems([last, vocabulary], milestones=stored) == [
        f"{last}:7: facility 'other': milestones: unknown field 'appraised' (expected one of: deployed, "
        "report-submitted)"
    ]


def test_an_unknown_milestone_is_refused_with_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, VOCABULARY + facility("report-submited: 2025-07-14\nannex-signed: 2025-09-01\n"))
    assert problems(path) == [
        f"{path}:12: facility 'nghe-an-lung': milestones: unknown field 'report-submited' "
        "(did you mean 'report-submitted'?)",
        f"{path}:13: facility 'nghe-an-lung': milestones: unknown field 'annex-signed' "
        "(expected one of: appraised, report-submitted, deployed)",
    ]


def test_bad_vocabulary_entries_are_each_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        register:
          milestones:
            - {id: appraised, en: appraised, vi: đã thẩm định}
            - {id: report/submitted, en: report submitted, vi: đã gửi báo cáo}
            - {id: appraised, en: again, vi: lần nữa}
            - {id: deployed, en: deployed}
            - {id: verified, en: verified, vi: đã xác minh}
            - {id: deployed-source, en: x, vi: x}
            - {id: signed, en: 12, vi: đã ký, label: signed}
            - signed
            - {en: nameless, vi: không tên}
        """,
    )
    assert problems(path) == [
        f"{path}:4: register: milestones[1]: id 'report/submitted' must be a short slug of letters, digits "
        "and - . _ (e.g. annex-signed)",
        f"{path}:5: register: milestones[2]: id 'appraised' is given twice (first in milestones[0])",
        f"{path}:6: register: milestones[3]: missing required field 'vi'",
        f"{path}:7: register: milestones[4]: id 'verified': its spreadsheet column 'verified' could not be told "
        "apart from column 'verified'",
        f"{path}:8: register: milestones[5]: id 'deployed-source': its spreadsheet column 'deployed-source' could "
        "not be told apart from column 'deployed_source'",
        f"{path}:9: register: milestones[6]: unknown field 'label' (expected one of: id, en, vi)",
        f"{path}:9: register: milestones[6]: en must be text, not a number (put it in quotes)",
        f"{path}:10: register: milestones[7] must be a mapping of fields, not text",
        f"{path}:11: register: milestones[8]: missing required field 'id'",
    ]


def test_a_vocabulary_that_is_empty_or_not_a_list_is_refused(tmp_path: Path) -> None:
    empty = write(tmp_path, "register:\n  milestones: []\n", "empty.yaml")
    blank = write(tmp_path, "register:\n  milestones:\n", "blank.yaml")
    mapping = write(tmp_path, "register:\n  milestones: {deployed: deployed}\n", "mapping.yaml")
    assert problems([empty, blank, mapping]) == [
        f"{empty}:2: register: milestones is empty",
        f"{blank}:2: register: milestones is empty",
        f"{mapping}:2: register: milestones must be a list, not a mapping",
    ]


def test_a_vocabulary_with_a_problem_still_names_its_milestones_for_what_follows(tmp_path: Path) -> None:
    """One mistake in the vocabulary is one problem, not one more for every facility using it."""
    path = write(
        tmp_path,
        VOCABULARY.replace("en: report submitted, ", "")
        + facility("report-submitted: 2025-07-14\nannex-signed: 2025-09-01\n"),
    )
    assert problems(path) == [
        f"{path}:4: register: milestones[1]: missing required field 'en'",
        f"{path}:13: facility 'nghe-an-lung': milestones: unknown field 'annex-signed' "
        "(expected one of: appraised, report-submitted, deployed)",
    ]


# -- milestones known as bounds, in YAML ------------------------------------------------------------


def test_a_milestone_is_a_date_or_a_mapping_of_on_or_on_or_before_and_a_source(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        facility(
            """\
            appraised: 2025-08-01
            deployed: {on_or_before: 2025-09-24, source: "VietNamNet, 26 September 2025"}
            annex-signed:
              on: "2025-09-02"
              source: Báo Nghệ An
            """
        ),
    )
    assert reached(path) == {
        "appraised": Reached(D("2025-08-01"), exact=True, source=None),
        "deployed": Reached(D("2025-09-24"), exact=False, source="VietNamNet, 26 September 2025"),
        "annex-signed": Reached(D("2025-09-02"), exact=True, source="Báo Nghệ An"),
    }
    on_alone = write(tmp_path, facility("deployed: {on: 2025-09-01}\n"), "on.yaml")
    assert reached(on_alone) == {"deployed": Reached(D("2025-09-01"))}
    bound_alone = write(tmp_path, facility("deployed: {on_or_before: 2025-09-30}\n"), "bound.yaml")
    assert reached(bound_alone) == {"deployed": Reached(D("2025-09-30"), exact=False)}


def test_refused_forms_of_a_milestone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        facility(
            """\
            appraised: {on: 2025-08-01, on_or_before: 2025-08-31}
            deployed: {source: VietNamNet}
            annex-signed: {on_or_befor: 2025-09-01}
            """
        )
        + facility(
            """\
            appraised: {on: 2025-10-01}
            deployed: {on_or_before: 2025-10-02, source: soon}
            annex-signed: {on_or_before: 2025-02-30}
            """,
            fid="other",
        ).replace("facilities:\n", "")
        + facility(
            """\
            appraised: {on: 31/08/2025}
            deployed: {on_or_before: 2025-09-01, source: ""}
            annex-signed: {on: 2025-09-01, source: [a, b]}
            """,
            fid="third",
        ).replace("facilities:\n", ""),
    )
    assert problems(path) == [
        f"{path}:7: facility 'nghe-an-lung': milestone 'appraised': give either 'on' (the date it was reached) or "
        "'on_or_before' (a date it was reached by), not both",
        f"{path}:8: facility 'nghe-an-lung': milestone 'deployed': give 'on' (the date it was reached) or "
        "'on_or_before' (a date it was reached by)",
        f"{path}:9: facility 'nghe-an-lung': milestone 'annex-signed': unknown field 'on_or_befor' "
        "(did you mean 'on_or_before'?)",
        f"{path}:15: facility 'other': milestone 'appraised' is dated 2025-10-01, in the future (today is 2025-09-30)",
        f"{path}:16: facility 'other': milestone 'deployed' is dated 2025-10-02, in the future (today is 2025-09-30)",
        f"{path}:17: facility 'other': milestone 'annex-signed': on_or_before: 2025-02-30 is not a real date",
        f"{path}:23: facility 'third': milestone 'appraised': on: '31/08/2025' is not a date written YYYY-MM-DD",
        f"{path}:24: facility 'third': milestone 'deployed': source is empty",
        f"{path}:25: facility 'third': milestone 'annex-signed': source must be text, not a list",
    ]


def test_a_milestone_date_given_twice_in_block_form_is_placed_at_the_bound(tmp_path: Path) -> None:
    path = write(tmp_path, facility("deployed:\n  source: x\n  on: 2025-09-01\n  on_or_before: 2025-09-24\n"))
    assert problems(path) == [
        f"{path}:10: facility 'nghe-an-lung': milestone 'deployed': give either 'on' (the date it was reached) or "
        "'on_or_before' (a date it was reached by), not both"
    ]


def test_an_exact_date_in_the_future_is_refused_as_before(tmp_path: Path) -> None:
    path = write(tmp_path, facility("deployed: 2025-10-01\n"))
    assert problems(path) == [
        f"{path}:7: facility 'nghe-an-lung': milestone 'deployed' is dated 2025-10-01, in the future "
        "(today is 2025-09-30)"
    ]


def test_a_milestone_problem_in_vietnamese(tmp_path: Path) -> None:
    path = write(tmp_path, facility("deployed: {on_or_before: 2025-10-01}\n"))
    i18n.set_language("vi")
    try:
        [got] = problems(path)
    finally:
        i18n.set_language("en")
    assert got.startswith(f"{path}:7: cơ sở 'nghe-an-lung': ")
    assert "2025-10-01" not in got  # dates as Vietnamese write them


# -- spreadsheets ----------------------------------------------------------------------------------


def test_the_columns_follow_the_vocabulary() -> None:
    assert COLUMNS == columns_for(MILESTONES)
    assert COLUMNS == FACT_COLUMNS + (
        "appraised",
        "deployed",
        "annex-signed",
        "appraised_on_or_before",
        "appraised_source",
        "deployed_on_or_before",
        "deployed_source",
        "annex-signed_on_or_before",
        "annex-signed_source",
    )
    assert columns_for(("report-submitted",)) == FACT_COLUMNS + (
        "report-submitted",
        "report-submitted_on_or_before",
        "report-submitted_source",
    )


def test_csv_bound_and_source_columns(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            "id,name,ownership,kind,Deployed On Or Before,deployed-source,appraised,appraised_source,deployed",
            'a,A,public,hospital,2025-09-24,"VietNamNet, 26 September 2025",2025-08-01,Báo Nghệ An,',
            "b,B,public,clinic,,,2025-08-02,,2025-09-01",
            "c,C,public,clinic,2025-09-20,,,,",
            "d,D,public,clinic,,,,,",
        ],
    )
    out = read_files([path], TODAY)
    assert {e.facility.id: e.milestones for e in out.facilities} == {
        "a": {
            "deployed": Reached(D("2025-09-24"), exact=False, source="VietNamNet, 26 September 2025"),
            "appraised": Reached(D("2025-08-01"), source="Báo Nghệ An"),
        },
        "b": {"appraised": Reached(D("2025-08-02")), "deployed": Reached(D("2025-09-01"))},
        "c": {"deployed": Reached(D("2025-09-20"), exact=False)},
        "d": {},
    }
    assert [(e.file, e.line) for e in out.facilities] == [(str(path), row) for row in (2, 3, 4, 5)]


def test_csv_refuses_a_date_and_a_bound_together_and_a_source_without_a_date(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            "id,name,ownership,kind,deployed,deployed_on_or_before,deployed_source,appraised_source",
            "a,A,public,hospital,2025-09-01,2025-09-24,,",
            "b,B,public,hospital,,,VietNamNet,",
            "c,C,public,hospital,,2025-10-01,,",
            "d,D,public,hospital,,24/09/2025,x,",
            ",E,public,hospital,,,,Báo Nghệ An",
        ],
    )
    assert problems(path) == [
        f"{path}:2:F: facility 'a': milestone 'deployed': give a date in column 'deployed' or in column "
        "'deployed_on_or_before', not both",
        f"{path}:3:G: facility 'b': milestone 'deployed': a source is given without a date: fill in column "
        "'deployed' or column 'deployed_on_or_before'",
        f"{path}:4:F: facility 'c': milestone 'deployed' is dated 2025-10-01, in the future (today is 2025-09-30)",
        f"{path}:6: facility on row 6: missing required field 'id'",
        f"{path}:6:H: facility on row 6: milestone 'appraised': a source is given without a date: fill in column "
        "'appraised' or column 'appraised_on_or_before'",
    ]


def test_a_bad_exact_date_beside_a_source_is_named_as_its_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["id,name,ownership,kind,deployed,deployed_source", "a,A,public,hospital,2025-13-01,x"])
    assert problems(path) == [f"{path}:2:E: facility 'a': milestone 'deployed': 2025-13-01 is not a real date"]


def test_xlsx_bound_columns_with_date_cells(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "name", "ownership", "kind", "deployed_on_or_before", "deployed_source", "annex-signed"])
    ws.append(["a", "A", "public", "hospital", D("2025-09-24"), "VietNamNet", "2025-09-25"])
    ws.append(["b", "B", "public", "hospital", D("2025-09-24"), 2025, None])
    ws.append(["c", "C", "public", "hospital", None, None, D("2025-09-01")])
    wb.save(path)
    out = read_files([path], TODAY)
    assert [e.milestones for e in out.facilities] == [
        {
            "deployed": Reached(D("2025-09-24"), exact=False, source="VietNamNet"),
            "annex-signed": Reached(D("2025-09-25")),
        },
        {"deployed": Reached(D("2025-09-24"), exact=False, source="2025")},
        {"annex-signed": Reached(D("2025-09-01"))},
    ]


def test_a_spreadsheet_takes_the_columns_of_the_vocabulary_in_force(tmp_path: Path) -> None:
    vocabulary = write(tmp_path, VOCABULARY)
    path = write_csv(
        tmp_path,
        [
            "id,name,ownership,kind,report_submitted,report-submitted_on_or_before,Report Submitted Source",
            "a,A,public,hospital,2025-07-14,,",
            "b,B,public,hospital,,2025-07-15,công văn",
        ],
    )
    out = read_files([vocabulary, path], TODAY)
    assert [e.milestones for e in out.facilities] == [
        {"report-submitted": Reached(D("2025-07-14"))},
        {"report-submitted": Reached(D("2025-07-15"), exact=False, source="công văn")},
    ]
    stored = read_files([path], TODAY, milestones=("deployed", "report-submitted"))
    assert [e.milestones for e in stored.facilities] == [e.milestones for e in out.facilities]
    # without that vocabulary, the columns are unknown; under it, the default ones are
    assert problems(path) == [
        f"{path}:1:E: unknown column 'report_submitted' (expected one of: {', '.join(COLUMNS)})",
        f"{path}:1:F: unknown column 'report-submitted_on_or_before' (did you mean 'deployed_on_or_before'?)",
        f"{path}:1:G: unknown column 'Report Submitted Source' (expected one of: {', '.join(COLUMNS)})",
    ]
    annex = write_csv(tmp_path, ["id,name,ownership,kind,annex_signed", "a,A,public,hospital,2025-09-01"], "a.csv")
    [got] = problems([vocabulary, annex])
    assert got.startswith(f"{annex}:1:E: unknown column 'annex_signed' (expected one of: id, name, ")
    assert got.endswith(", deployed_on_or_before, deployed_source)")


def test_missing_column_names_the_columns_of_the_vocabulary(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["id,name,kind", "a,A,clinic"])
    assert problems(path, milestones=("deployed",)) == [
        f"{path}:1: missing column 'ownership': the first row must name the columns (id, name, aliases, ownership, "
        "kind, managed_by, location, verified, deployed, deployed_on_or_before, deployed_source)"
    ]


def test_the_quick_path_and_the_reader_agree_on_rows_with_and_without_bounds(tmp_path: Path) -> None:
    from emrtrack.reading.tables import _plain_entry, _row_node, _TableReader

    columns = dict(
        enumerate(("id", "name", "ownership", "kind", "deployed", "deployed_on_or_before", "deployed_source"))
    )
    plain = ["a", "A", "public", "hospital", "2025-09-01", "", " "]
    bound = ["a", "A", "public", "hospital", "", "2025-09-01", "x"]
    assert _plain_entry("f.csv", 2, bound, columns, TODAY) is None  # left to the reader
    quick = _plain_entry("f.csv", 2, plain, columns, TODAY)
    reader = _TableReader("f.csv", TODAY)
    node = _row_node("f.csv", 2, plain, columns, [])
    assert node is not None
    assert quick == reader.facility(node, 2)
    assert quick is not None and quick.milestones == {"deployed": Reached(D("2025-09-01"))}


# -- requirements: obligations, binding, replaces -------------------------------------------------

OBLIGATIONS = """\
requirements:
  - id: 2898/SYT-VP
    issued: 2025-07-09
    obligations:
      - milestone: report-submitted
        deadline: 2025-07-15
        applies_to: {facilities: [nghe-an-lung, do-luong-general]}
      - milestone: deployed
        deadline: 2025-08-31        # or deadlines: [...] per cohort
        principal: true
  - id: 13/2025/TT-BYT
    issued: 2025-06-06
    replaces: 46/2018/TT-BYT
    binding: true
    deadlines:
      - applies_to: {kind: [hospital]}
        deadline: 2025-09-30
      - deadline: 2026-12-31
  - id: 586/QĐ-BYT
    issued: 2025-03-09
    binding: false
    applies_to: {ownership: public}
    obligations:
      - milestone: appraised
        deadlines:
          - applies_to: {kind: clinic}
            deadline: 2025-12-31
          - deadline: 2026-06-30
      - milestone: deployed
        deadline: 2026-12-31
"""


def test_obligations_binding_and_replaces(tmp_path: Path) -> None:
    facilities = facility("deployed: {on_or_before: 2025-09-24, source: VietNamNet}\n") + facility(
        "", fid="do-luong-general"
    ).replace("facilities:\n", "")
    path = write(tmp_path, VOCABULARY + OBLIGATIONS + facilities)
    out = read_files([path], TODAY)
    dispatch, circular, plan = (e.requirement for e in out.requirements)
    assert dispatch.obligations == (
        Obligation(
            "report-submitted",
            (Cohort(Selector(), D("2025-07-15")),),
            applies_to=Selector(facilities=("nghe-an-lung", "do-luong-general")),
        ),
        Obligation("deployed", (Cohort(Selector(), D("2025-08-31")),), principal=True),
    )
    assert dispatch.principal.milestone == "deployed" and dispatch.cohorts == (Cohort(Selector(), D("2025-08-31")),)
    assert dispatch.binding is True and dispatch.replaces is None and dispatch.applies_to == Selector()
    assert circular.replaces == "46/2018/TT-BYT" and circular.binding is True
    assert circular.obligations == (
        Obligation(
            "deployed",
            (Cohort(Selector(kinds=("hospital",)), D("2025-09-30")), Cohort(Selector(), D("2026-12-31"))),
        ),
    )
    assert plan.binding is False and plan.applies_to == Selector(ownerships=("public",))
    assert plan.obligations == (
        Obligation(
            "appraised",
            (Cohort(Selector(kinds=("clinic",)), D("2025-12-31")), Cohort(Selector(), D("2026-06-30"))),
        ),
        Obligation("deployed", (Cohort(Selector(), D("2026-12-31")),)),
    )
    assert plan.principal.milestone == "deployed"
    assert [(e.line, e.file) for e in out.requirements] == [(7, str(path)), (16, str(path)), (24, str(path))]


def test_a_requirement_as_before_is_read_as_before(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements:\n  - id: R\n    issued: 2025-07-09\n    deadline: 2025-08-31\n")
    [entry] = read_files([path], TODAY).requirements
    r = entry.requirement
    assert r.obligations == (Obligation("deployed", (Cohort(Selector(), D("2025-08-31")),)),)
    assert (r.binding, r.replaces, r.cohorts) == (True, None, (Cohort(Selector(), D("2025-08-31")),))


def test_give_exactly_one_of_deadline_deadlines_and_obligations(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        requirements:
          - id: NONE
            issued: 2025-07-09
          - id: TWO
            issued: 2025-07-09
            deadline: 2025-08-31
            obligations:
              - {milestone: deployed, deadline: 2025-08-31}
          - id: THREE
            issued: 2025-07-09
            deadline: 2025-08-31
            deadlines: [{deadline: 2025-08-31}]
            obligations: [{milestone: deployed, deadline: 2025-08-31}]
        """,
    )
    message = "give either 'deadline' (one date), 'deadlines' (one per cohort) or 'obligations' (one per milestone)"
    assert problems(path) == [
        f"{path}:2: requirement 'NONE': {message}",
        f"{path}:4: requirement 'TWO': {message}",
        f"{path}:9: requirement 'THREE': {message}",
    ]


def test_refused_obligations(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        requirements:
          - id: A
            issued: 2025-07-09
            obligations: []
          - id: B
            issued: 2025-07-09
            obligations: {milestone: deployed}
          - id: C
            issued: 2025-07-09
            obligations:
              - milestone: deploy
                deadline: 2025-08-31
              - deadline: 2025-08-31
              - milestone: deployed
                deadline: 2025-08-31
                principal: true
              - milestone: deployed
                deadline: 2025-09-30
              - milestone: appraised
                deadline: 2025-09-30
                principal: true
              - milestone: annex-signed
              - milestone: annex-signed
                deadline: 2025-09-30
                deadlines: [{deadline: 2025-09-30}]
          - id: D
            issued: 2025-07-09
            obligations:
              - milestone: appraised
                deadline: 2025-07-01
                principal: "yes"
              - milestone: deployed
                deadlines:
                  - applies_to: {kind: hospital}
                    deadline: 2025-01-01
                  - applies_to: {kind: clinic}
                deadine: 2025-08-31
              - appraised
        """,
    )
    assert problems(path) == [
        f"{path}:4: requirement 'A': obligations is empty",
        f"{path}:7: requirement 'B': obligations must be a list, not a mapping",
        f"{path}:11: requirement 'C': obligations[0]: milestone: unknown value 'deploy' (did you mean 'deployed'?)",
        f"{path}:13: requirement 'C': obligations[1]: missing required field 'milestone'",
        f"{path}:17: requirement 'C': obligations[3]: milestone 'deployed' has an obligation already (obligations[2])",
        f"{path}:21: requirement 'C': obligations[4]: only one obligation may be the principal one "
        "(obligations[2] already is)",
        f"{path}:22: requirement 'C': obligations[5]: give either 'deadline' (one date) or 'deadlines' "
        "(one per cohort)",
        f"{path}:23: requirement 'C': obligations[6]: milestone 'annex-signed' has an obligation already "
        "(obligations[5])",
        f"{path}:23: requirement 'C': obligations[6]: give either 'deadline' (one date) or 'deadlines' "
        "(one per cohort)",
        f"{path}:30: requirement 'D': obligations[0]: deadline 2025-07-01 is before the issue date 2025-07-09",
        f"{path}:31: requirement 'D': obligations[0]: principal must be true or false, not text",
        f"{path}:35: requirement 'D': obligations[1]: deadlines[0]: deadline 2025-01-01 is before the issue date "
        "2025-07-09",
        f"{path}:36: requirement 'D': obligations[1]: deadlines[1]: missing required field 'deadline'",
        f"{path}:37: requirement 'D': obligations[1]: unknown field 'deadine' (did you mean 'deadline'?)",
        f"{path}:38: requirement 'D': obligations[2] must be a mapping of fields, not text",
    ]


def test_obligation_milestones_are_those_of_the_vocabulary_in_force(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        VOCABULARY
        + textwrap.dedent(
            """\
        requirements:
          - id: R
            issued: 2025-07-09
            obligations:
              - {milestone: report-submitted, deadline: 2025-07-15}
              - {milestone: annex-signed, deadline: 2025-09-30}
            """
        ),
    )
    assert problems(path) == [
        f"{path}:11: requirement 'R': obligations[1]: milestone: unknown value 'annex-signed' (expected one of: "
        "appraised, report-submitted, deployed)"
    ]


def test_a_deadline_for_deployed_needs_deployed_in_the_vocabulary(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        register:
          milestones:
            - {id: report-submitted, en: report submitted, vi: đã gửi báo cáo}
        requirements:
          - id: R
            issued: 2025-07-09
            deadline: 2025-08-31
          - id: S
            issued: 2025-07-09
            obligations: [{milestone: report-submitted, deadline: 2025-07-15}]
        """,
    )
    assert problems(path) == [
        f"{path}:7: requirement 'R': 'deadline' is when 'deployed' is due, and the register has no milestone "
        "'deployed' (its milestones: report-submitted): give 'obligations'"
    ]


def test_binding_and_replaces_are_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        requirements:
          - id: R
            issued: 2025-07-09
            deadline: 2025-08-31
            binding: "no"
            replaces: ""
            replace: 46/2018/TT-BYT
        """,
    )
    assert problems(path) == [
        f"{path}:5: requirement 'R': binding must be true or false, not text",
        f"{path}:6: requirement 'R': replaces is empty",
        f"{path}:7: requirement 'R': unknown field 'replace' (did you mean 'replaces'?)",
    ]


# -- selectors naming facilities, and the cross-check ------------------------------------------------


def test_a_selector_names_facilities_by_id(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        textwrap.dedent(
            """\
        requirements:
          - id: R
            issued: 2025-07-09
            applies_to: {facilities: nghe-an-lung, ownership: public}
            deadlines:
              - applies_to: {facilities: [nghe-an-lung], kind: hospital}
                deadline: 2025-08-31
              - deadline: 2025-12-31
        """
        )
        + facility(),
    )
    [entry] = read_files([path], TODAY).requirements
    assert entry.requirement.applies_to == Selector(ownerships=("public",), facilities=("nghe-an-lung",))
    assert entry.requirement.cohorts[0].selector == Selector(kinds=("hospital",), facilities=("nghe-an-lung",))


def test_refused_facility_selectors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        requirements:
          - id: R
            issued: 2025-07-09
            deadline: 2025-08-31
            applies_to:
              facilities: [nghe-an-lung, "bv phổi", 12]
          - id: S
            issued: 2025-07-09
            deadline: 2025-08-31
            applies_to: {facilities: []}
          - id: T
            issued: 2025-07-09
            deadline: 2025-08-31
            applies_to: {}
          - id: U
            issued: 2025-07-09
            deadline: 2025-08-31
            applies_to: {facility: [a]}
        """,
    )
    assert problems(path) == [
        f"{path}:6: requirement 'R': applies_to: facilities item must be text, not a number (put it in quotes)",
        f"{path}:10: requirement 'S': applies_to: facilities is empty",
        f"{path}:14: requirement 'T': applies_to is empty: name a kind, an ownership and/or facilities, "
        "or leave it out",
        f"{path}:18: requirement 'U': applies_to: unknown field 'facility' (did you mean 'facilities'?)",
    ]
    bad_id = write(
        tmp_path,
        "requirements:\n  - id: R\n    issued: 2025-07-09\n    deadline: 2025-08-31\n"
        "    applies_to:\n      facilities:\n        - nghe-an-lung\n        - bv phổi\n",
        "bad-id.yaml",
    )
    assert problems(bad_id) == [
        f"{bad_id}:8: requirement 'R': applies_to: facilities: id 'bv phổi' must be a short slug of letters, "
        "digits and - . _ / (e.g. do-luong-general)"
    ]


def test_a_selector_must_name_facilities_in_the_register_or_the_files(tmp_path: Path) -> None:
    requirements = write(
        tmp_path,
        VOCABULARY
        + textwrap.dedent(
            """\
        requirements:
          - id: 2898/SYT-VP
            issued: 2025-07-09
            applies_to: {facilities: [nghe-an-lung, stored-one, nowhere]}
            obligations:
              - milestone: report-submitted
                deadline: 2025-07-15
                applies_to: {facilities: [nghe-an-lung, do-luong-general, nowhere]}
              - milestone: deployed
                deadlines:
                  - {applies_to: {facilities: [later-one, elsewhere]}, deadline: 2025-08-31}
                  - {deadline: 2025-09-30}
          - id: R
            issued: 2025-07-09
            deadline: 2025-08-31
            """
        ),
        "requirements.yaml",
    )
    facilities = write(tmp_path, facility(), "facilities.yaml")
    later = write_csv(tmp_path, ["id,name,ownership,kind", "later-one,L,public,clinic"], "later.csv")
    assert problems([requirements, facilities, later], known_ids=frozenset({"stored-one", "other"})) == [
        f"{requirements}:7: requirement '2898/SYT-VP': applies_to names facility 'nowhere', which is not in the "
        "register or the files",
        f"{requirements}:7: requirement '2898/SYT-VP': applies_to names facility 'do-luong-general', which is not "
        "in the register or the files",
        f"{requirements}:7: requirement '2898/SYT-VP': applies_to names facility 'elsewhere', which is not in the "
        "register or the files",
    ]
    loaded = read_files(
        [requirements, facilities, later],
        TODAY,
        known_ids=frozenset({"stored-one", "nowhere", "do-luong-general", "elsewhere"}),
    )
    assert [e.requirement.id for e in loaded.requirements] == ["2898/SYT-VP", "R"]
    # without them, every unknown one is named (stored-one is not stored now)
    assert len(problems([requirements, facilities, later])) == 4


def test_an_empty_source_without_a_date_is_two_problems(tmp_path: Path) -> None:
    path = write(tmp_path, facility('deployed: {source: ""}\n'))
    assert problems(path) == [
        f"{path}:7: facility 'nghe-an-lung': milestone 'deployed': source is empty",
        f"{path}:7: facility 'nghe-an-lung': milestone 'deployed': give 'on' (the date it was reached) or "
        "'on_or_before' (a date it was reached by)",
    ]
