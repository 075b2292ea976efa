"""A long YAML file is composed a part of its facilities at a time (reading.yaml_files._Parts): what is read, and
every problem found, in the same words, at the same lines and in the same order, is what composing the file
whole gives; a file whose parts cannot stand alone is composed whole."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emrtrack.errors import InputError
from emrtrack.reading import read_files, yaml_files

TODAY = date(2026, 1, 1)
HEAD = """\
register:
  name: Sổ theo dõi
  timezone: Asia/Ho_Chi_Minh
requirements:
  - id: KH-1
    title: Kế hoạch
    issuer: Sở Y tế
    issued: 2025-01-01
    deadline: 2025-08-31
    default: true
"""


def _read(paths: list[Path]) -> tuple[object, ...]:
    """What reading gives, or the problems: everything compared, as plain values."""
    try:
        out = read_files(paths, TODAY)
    except InputError as e:
        return ("problems", [(p.file, p.line, p.message) for p in e.problems])
    return ("read", out.register, out.requirements, out.facilities, out.facility_ids, out.notes)


def _both(paths: list[Path], monkeypatch: pytest.MonkeyPatch, items: int) -> tuple[tuple[object, ...], int]:
    """What reading gives in parts of `items` facilities (and how many parts were composed), then whole."""
    composed = []
    real = yaml_files._Parts.composed

    def counted(self: yaml_files._Parts):  # type: ignore[no-untyped-def]
        for part in real(self):
            composed.append(part[1])
            yield part

    with monkeypatch.context() as m:
        m.setattr(yaml_files, "PART_ITEMS", items)
        m.setattr(yaml_files, "PARTS_FROM", 0)
        m.setattr(yaml_files._Parts, "composed", counted)
        in_parts = _read(paths)
    with monkeypatch.context() as m:
        m.setattr(yaml_files, "_in_parts", lambda text: None)
        whole = _read(paths)
    assert in_parts == whole
    return in_parts, len(composed)


def _facility(i: int, indent: str, broken: str | None) -> str:
    lines = [
        f"{indent}- id: f-{i:03d}",
        f'{indent}  name: "Trạm Y tế xã số {i}"',
        f"{indent}  ownership: public",
        f"{indent}  kind: other",
        f"{indent}  milestones: {{deployed: 2025-0{1 + i % 9}-1{i % 10}}}",
    ]
    if broken == "date":
        lines[4] = f"{indent}  milestones: {{deployed: 2025-13-40}}"
    elif broken == "key":
        lines.append(f"{indent}  colour: blue")
    elif broken == "name":
        del lines[1]
    elif broken == "twice":
        lines.append(f"{indent}  kind: hospital")
    elif broken == "id":
        lines[0] = f"{indent}- id: f-000"
    elif broken == "tab":
        lines[3] = f"{indent}  kind:\tother"
    elif broken == "quote":  # a quoted name running over the next item's first line
        lines[1] = f'{indent}  name: "Trạm Y tế xã'
        lines.append(f'{indent}- số {i}"')
    elif broken == "anchor":
        lines[2] = f"{indent}  ownership: &o public"
    elif broken == "document":
        lines.append("---")
    elif broken == "syntax":
        lines.append(f"{indent}  : x")
    return "\n".join(lines)


BROKEN = ("date", "key", "name", "twice", "id", "tab", "quote", "anchor", "document", "syntax")


@st.composite
def files(draw: st.DrawFn) -> tuple[str, int, set[str]]:
    """A register file of 1 to 14 facilities in one of the layouts people write, up to 3 of them broken: the text,
    the number of facilities and the kinds of breakage."""
    n = draw(st.integers(min_value=1, max_value=14))
    indent = draw(st.sampled_from(["", "  ", "    "]))
    broken = draw(st.dictionaries(st.integers(min_value=0, max_value=n - 1), st.sampled_from(BROKEN), max_size=3))
    items = []
    for i in range(n):
        items.append(_facility(i, indent, broken.get(i)))
        items.append(draw(st.sampled_from(["", "", "\n", f"{indent}# a comment", "\n# at the margin"])))
    block = "facilities:  # the list\n" + "\n".join(x for x in items if x) + "\n"
    return (HEAD + block if draw(st.booleans()) else block + HEAD), n, set(broken.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=files(), items=st.integers(min_value=1, max_value=4))
def test_reading_in_parts_gives_what_reading_whole_gives(
    file: tuple[str, int, set[str]], items: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, n, broken = file
    path = tmp_path / "register.yaml"
    path.write_text(text, encoding="utf-8")
    _got, parts = _both([path], monkeypatch, items)
    if not broken & {"quote", "anchor", "document", "syntax"}:  # every part stands alone: all are composed
        assert parts == -(-n // items)


def test_a_long_register_is_read_in_parts_with_the_lines_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = HEAD + "facilities:\n" + "\n".join(_facility(i, "  ", "date" if i == 37 else None) for i in range(60))
    path = tmp_path / "register.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    got, parts = _both([path], monkeypatch, 7)
    assert parts == 9  # 60 facilities, 7 to a part
    line = HEAD.count("\n") + 2 + 37 * 5 + 4  # the 38th facility's milestones
    assert got == (
        "problems",
        [
            (
                str(path),
                line,
                "facility 'f-037': milestone 'deployed': 2025-13-40 is not a real date",
            )
        ],
    )
    assert text.split("\n")[line - 1] == "    milestones: {deployed: 2025-13-40}"


def test_each_part_holds_its_facilities_and_the_next_file_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tmp_path / "a.yaml"
    first.write_text(HEAD + "facilities:\n" + "\n".join(_facility(i, "", None) for i in range(25)) + "\n")
    second = tmp_path / "b.yaml"
    second.write_text(
        "facilities:\n" + "\n".join(_facility(i, "  ", "id" if i == 3 else None).replace("f-", "g-") for i in range(10))
    )
    got, parts = _both([first, second], monkeypatch, 4)
    assert parts == 7 + 3
    assert got[0] == "problems"
    assert [line for _file, line, _message in got[1]] == [17]  # g-000 twice in b.yaml: lines 2 and 17
    assert "g-000" in got[1][0][2]


SECOND_DOCUMENT = (
    "not valid YAML: a second document starts here, and a file holds one document: delete the '---' or '...' line "
    "between them, or move the second into a file of its own"
)
NOT_A_KEY = "not valid YAML: while parsing a block mapping did not find expected key (the construct began on line 37)"


@pytest.mark.parametrize(
    ("broken", "parts", "problems"),
    [
        # the name's quote runs over a line that looks like an item's first: the part ending there is not YAML
        (
            "quote",
            2,
            [
                (37, "facility 'f-005': missing required field 'ownership'"),
                (37, "facility 'f-005': missing required field 'kind'"),
            ],
        ),
        ("anchor", 0, None),  # seen before any part is composed; read whole, without a problem
        ("document", 0, [(42, SECOND_DOCUMENT)]),
        ("syntax", 2, [(42, NOT_A_KEY)]),  # the third part is not YAML: the whole file says where
    ],
)
def test_a_file_whose_parts_cannot_stand_alone_is_read_whole(
    broken: str, parts: int, problems: list[tuple[int, str]] | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(
        HEAD + "facilities:\n" + "\n".join(_facility(i, "  ", broken if i == 5 else None) for i in range(12))
    )
    got, composed = _both([path], monkeypatch, 2)
    assert composed == parts
    if problems is None:
        assert got[0] == "read" and [e.facility.id for e in got[3]] == [f"f-{i:03d}" for i in range(12)]
    else:
        assert got == ("problems", [(str(path), line, message) for line, message in problems])


def test_the_limit_on_items_holds_for_a_file_composed_whole_and_for_each_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A national register has more items than a file composed whole may (its nodes all in memory at once): in
    parts, only each part is held to the limit."""
    monkeypatch.setattr(yaml_files, "MAX_ITEMS", 500)
    monkeypatch.setattr(yaml_files, "PART_ITEMS", 10)
    monkeypatch.setattr(yaml_files, "PARTS_FROM", 0)
    path = tmp_path / "register.yaml"
    path.write_text(HEAD + "facilities:\n" + "\n".join(_facility(i, "  ", None) for i in range(100)) + "\n")
    assert len(read_files([path], TODAY).facilities) == 100
    path.write_text(
        HEAD + "facilities:\n" + "\n".join(_facility(i, "  ", "anchor" if i == 9 else None) for i in range(100))
    )
    with pytest.raises(InputError) as e:  # an anchor ties the parts together: composed whole, over the limit
        read_files([path], TODAY)
    assert [(p.line, p.message) for p in e.value.problems] == [
        (
            1,
            "the file holds about 711 lines and items; the limit is 500: is it a register? Split a large one into files",
        )
    ]
    monkeypatch.setattr(yaml_files, "PART_ITEMS", 100)  # a part over the limit: the file is held to it as a whole
    path.write_text(HEAD + "facilities:\n" + "\n".join(_facility(i, "  ", None) for i in range(100)) + "\n")
    with pytest.raises(InputError) as e:
        read_files([path], TODAY)
    assert [(p.line, p.message) for p in e.value.problems] == [
        (
            1,
            "the file holds about 712 lines and items; the limit is 500: is it a register? Split a large one into files",
        )
    ]
