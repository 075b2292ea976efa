"""Properties: load is idempotent, status agrees with the rules, names always find their facility,
name folding is idempotent, and --as-of reports are monotone."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from helpers import rows
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from emrtrack.errors import AmbiguousFacility
from emrtrack.model import KINDS, OWNERSHIPS, State
from emrtrack.naming import fold
from emrtrack.reading import read_files
from emrtrack.rules import deadline_for, state_of
from emrtrack.store import Register

TODAY = date(2026, 1, 1)
SYLLABLES = [
    "Bệnh",
    "viện",
    "Đa",
    "khoa",
    "Đô",
    "Lương",
    "Nghi",
    "Lộc",
    "Quỳnh",
    "Lưu",
    "Hưng",
    "Nguyên",
    "Thái",
    "Hoà",
    "Yên",
    "Thành",
    "Diễn",
    "Châu",
    "Tương",
    "Dương",
    "Kỳ",
    "Sơn",
    "Anh",
    "Sáu",
]
word = st.sampled_from(SYLLABLES)
name = st.lists(word, min_size=2, max_size=5).map(" ".join)
day = st.dates(min_value=date(2025, 1, 1), max_value=TODAY)
facility = st.fixed_dictionaries(
    {
        "name": name,
        "aliases": st.lists(name, max_size=2),
        "ownership": st.sampled_from(OWNERSHIPS),
        "kind": st.sampled_from(KINDS),
        "deployed": st.none() | day,
    }
)
facilities = st.lists(facility, min_size=1, max_size=12)


def _yaml(facs: list[dict]) -> str:
    lines = [
        "requirements:",
        "  - id: R1",
        "    issued: 2025-01-01",
        "    default: true",
        "    deadlines:",
        "      - applies_to: {kind: [hospital]}",
        "        deadline: 2025-06-30",
        "      - deadline: 2025-12-31",
        "facilities:",
    ]
    for i, f in enumerate(facs):
        lines += [
            f"  - id: f{i}",
            f'    name: "{f["name"]}"',
            f"    ownership: {f['ownership']}",
            f"    kind: {f['kind']}",
        ]
        if f["aliases"]:
            lines.append("    aliases: [" + ", ".join(f'"{a}"' for a in f["aliases"]) + "]")
        if f["deployed"]:
            lines += ["    milestones:", f"      deployed: {f['deployed']}"]
    return "\n".join(lines) + "\n"


def _register(facs: list[dict], tmp: Path) -> tuple[Register, object]:
    path = tmp / "f.yaml"
    path.write_text(_yaml(facs), encoding="utf-8")
    register = Register.open(tmp / "r.db")
    loaded = read_files([path], TODAY)
    return register, loaded


def _dump(register: Register) -> tuple:
    return (
        rows(register.path, "SELECT * FROM facilities ORDER BY id"),
        rows(register.path, "SELECT * FROM milestones ORDER BY facility_id, milestone"),
        rows(register.path, "SELECT * FROM requirements"),
    )


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(facilities)
def test_load_twice_equals_load_once(facs: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        register, loaded = _register(facs, Path(tmp))
        register.load(loaded, source="p", actor="t")
        once, events = _dump(register), rows(register.path, "SELECT COUNT(*) FROM events")
        summary = register.load(loaded, source="p", actor="t")
        assert not summary.changed and summary.unchanged == len(facs)
        assert _dump(register) == once
        assert rows(register.path, "SELECT COUNT(*) FROM events") == events
        assert register.verify().ok
        register.close()


@SETTINGS
@given(facilities, day)
def test_status_equals_the_rules(facs: list[dict], as_of: date) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        register, loaded = _register(facs, Path(tmp))
        register.load(loaded, source="p", actor="t")
        req = register.requirement(None)
        got = register.status(req, as_of).total
        expected = dict.fromkeys(State, 0)
        for f in facs:
            deadline = deadline_for(req, f["ownership"], f["kind"])
            expected[state_of(deadline, f["deployed"], as_of)] += 1
        assert (got.in_scope, got.deployed_on_time, got.deployed_late, got.overdue, got.not_yet_due) == (
            len(facs),
            expected[State.DEPLOYED_ON_TIME],
            expected[State.DEPLOYED_LATE],
            expected[State.OVERDUE],
            expected[State.NOT_YET_DUE],
        )
        register.close()


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


def _variants(text: str) -> list[str]:
    return [text, text.upper(), text.lower(), fold(text), fold(text).upper(), f"  {text.swapcase()} "]


@SETTINGS
@given(facilities)
def test_found_by_own_name_and_aliases(facs: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        register, loaded = _register(facs, Path(tmp))
        register.load(loaded, source="p", actor="t")
        all_folded = [{fold(n) for n in (f["name"], *f["aliases"])} for f in facs]
        for i, f in enumerate(facs):
            for written in (f["name"], *f["aliases"]):
                for query in _variants(written):
                    try:
                        assert register.resolve(query).id == f"f{i}"
                    except AmbiguousFacility as e:
                        others = [j for j, names in enumerate(all_folded) if j != i and fold(written) in names]
                        assert others, f"{query!r} ambiguous: {e}"
                        assert f"f{i}" in [fid for fid, _ in e.candidates]
        register.close()


@SETTINGS
@given(facilities, day, st.integers(min_value=1, max_value=400))
def test_as_of_is_monotone(facs: list[dict], d1: date, gap: int) -> None:
    d2 = d1 + timedelta(days=gap)
    with tempfile.TemporaryDirectory() as tmp:
        register, loaded = _register(facs, Path(tmp))
        register.load(loaded, source="p", actor="t")
        req = register.requirement(None)
        early = {s.facility.id: s.state for s in register.standings(req, d1)[1]}
        late = {s.facility.id: s.state for s in register.standings(req, d2)[1]}
        for fid, state in early.items():
            if state is State.DEPLOYED_ON_TIME:
                assert late[fid] is State.DEPLOYED_ON_TIME
            if state in (State.DEPLOYED_LATE, State.OVERDUE):
                assert late[fid] in (State.DEPLOYED_LATE, State.OVERDUE)
        assert register.status(req, d2).total.deployed_on_time >= register.status(req, d1).total.deployed_on_time
        register.close()


# -- spreadsheet rows: the quick path for plain rows agrees with the reader --------------------------
_cell_text = st.sampled_from(
    [
        "",
        " ",
        "bv-1",
        "BV_2.a/b",
        " bv-3 ",
        "-bad",
        "a b",
        "Bệnh viện Đa khoa",
        " Bệnh viện Phổi ",
        "public",
        "non-public",
        "Public",
        "hospital",
        "clinic",
        "other",
        "2025-06-30",
        " 2025-01-02 ",
        "2025-02-30",
        "2026-01-02",
        "2025-6-3",
        "30/06/2025",
        "a;b",
        " ; ",
        ";x ; y;",
        "Tỉnh",
        "\u00a0",
        "x\ny",
    ]
)
# what a cell of an .xlsx sheet may hold besides text (never taken by the quick path, always checked)
_cell_value = (
    st.integers(-5, 3000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 1, 1))
    | st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1))
)
_cell = st.none() | _cell_text | st.text(max_size=6) | _cell_value


_GOOD = {
    "id": st.sampled_from(["bv-1", " BV_2.a/b "]),
    "name": st.sampled_from(["Bệnh viện Phổi", " Tỉnh "]),
    "ownership": st.sampled_from(OWNERSHIPS),
    "kind": st.sampled_from(KINDS),
    "aliases": st.sampled_from(["a;b", ";x ; y;", " ; ", "BV Phổi"]),
}
_GOOD_DATE = st.dates(min_value=date(2024, 1, 1), max_value=TODAY).map(date.isoformat)


@settings(max_examples=1000, deadline=None)
@given(
    optional=st.lists(st.sampled_from((2, *range(5, 11))), unique=True),
    drop=st.integers(0, 30),
    extra=st.lists(st.none() | _cell, max_size=2),
    data=st.data(),
)
def test_plain_rows_are_read_as_the_reader_reads_them(optional, drop, extra, data):
    from emrtrack.reading.tables import COLUMNS, _plain_entry, _row_node, _TableReader

    assert COLUMNS[:4] == ("id", "name", "aliases", "ownership")
    # the required columns (id, name, ownership, kind), one of them now and then left out, and others
    header = data.draw(st.permutations([c for c in (0, 1, 3, 4, *optional) if c != drop]))
    for gap in data.draw(st.lists(st.integers(0, len(header)), max_size=2)):  # columns with no name
        header.insert(gap, None)
    columns = {i: COLUMNS[c] for i, c in enumerate(header) if c is not None}
    # a cell per column, a good value more often than not, then perhaps cells under no column name
    good = {
        field: _GOOD.get(field, _cell_text if field in ("managed_by", "location") else st.none() | _GOOD_DATE)
        for field in columns.values()
    }
    cells = [
        data.draw(
            (good[columns[i]] if data.draw(st.integers(0, 9)) else _cell)
            if i in columns
            else st.none() | st.just(" ") | _cell
        )
        for i in range(len(header))
    ] + extra
    quick = _plain_entry("f.csv", 7, list(cells), columns, TODAY)
    reader = _TableReader("f.csv", TODAY)
    problems: list = []
    node = _row_node("f.csv", 7, list(cells), columns, problems)
    thorough = reader.facility(node, 7) if node is not None else None
    if problems or reader.problems:
        event("a row with a problem")
        assert quick is None
    elif thorough is not None:
        if all(c is None or (isinstance(c, str) and c.strip().isprintable()) for c in cells):
            event("a valid row of text")
            assert quick is not None  # every valid row of printable text (as CSV gives) takes the quick path...
        elif all(c is None or isinstance(c, str) for c in cells):
            event("a valid row with a line broken inside a cell")
            assert quick is None  # ...one with a line break or another invisible character is read with care
            return
        else:
            event("a valid row with a number, true/false or date cell")
            assert quick is None  # ...a row from a spreadsheet with other cells is checked in full
            return
        assert quick == thorough  # ...and gives the same facility, milestones in the same order
        assert list(quick.milestones) == list(thorough.milestones)
        assert reader.facility_ids == [(quick.facility.id, "f.csv", 7)]
    else:
        event("a blank row")
        assert quick is None
