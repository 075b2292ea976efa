"""The history as a file: written as JSON Lines the same way every time, and checked on its own, without the
register, with the problems `verify` reports for the same faults (and the three only a file can have)."""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import SHIPPED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emrtrack.errors import Refused
from emrtrack.model import Reached
from emrtrack.service import commands
from emrtrack.service.registers import load_files
from emrtrack.store import Register
from emrtrack.store.chain import CHANGE_COLUMNS, GENESIS, event_hash
from emrtrack.store.history_file import (
    CHANGE_KEYS,
    EVENT_KEYS,
    HISTORY_EMPTY,
    LINE_BAD_SHAPE,
    LINE_NOT_JSON,
    UnwritableHistory,
    verify_history,
    write_history,
)
from emrtrack.views import VerifyProblem, VerifyResult

TINY = """\
register:
  name: Tiny
requirements:
  - id: R/1
    issued: 2025-01-01
    deadline: 2025-12-31
facilities:
  - id: f-1
    name: Trạm Y tế Xã Á
    ownership: public
    kind: clinic
"""

# The history the tests export: the shipped load (57 events), then marks of one, one and two facilities and
# the undo of the last (two events): five changes, 63 events.
EVENTS_PER_CHANGE = [57, 1, 1, 2, 2]


def _mark(register: Register, ids: list[str], milestone: str, day: date, **kwargs: str) -> None:
    facilities = [register.facility(i) for i in ids]
    register.mark(facilities, milestone, Reached(day), actor=kwargs.pop("by", "officer"), **kwargs)


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A register holding the history above, closed so that the file alone holds it."""
    path = tmp_path_factory.mktemp("history-file") / "register.db"
    register = Register.open(path)
    load_files(register, [SHIPPED], actor="test")
    _mark(register, ["do-luong-general"], "deployed", date(2025, 8, 20), by="a")
    _mark(register, ["hoan-my-vinh"], "annex-signed", date(2025, 8, 25), by="b", ref="CV 12/SYT", note="Ghi chú")
    _mark(register, ["military-hospital-4", "nghi-loc-general"], "appraised", date(2025, 7, 1), by="b")
    change = commands.undoable(register)
    assert change is not None
    commands.undo(register, change, by="c")
    register.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    register.close()
    return path


@pytest.fixture
def register(_template: Path, tmp_path: Path) -> Iterator[Register]:
    """An open copy of the register above."""
    path = tmp_path / "history.db"
    shutil.copyfile(_template, path)
    reg = Register.open(path)
    yield reg
    reg.close()


def _export(register: Register, path: Path) -> bytes:
    """Write the register's history to `path`; its bytes."""
    with path.open("w", encoding="utf-8", newline="") as out:
        write_history(register.conn, out)
    return path.read_bytes()


@pytest.fixture
def lines(register: Register, tmp_path: Path) -> list[bytes]:
    """The exported history's lines, each with its line end."""
    return _export(register, tmp_path / "history.jsonl").splitlines(keepends=True)


def _check(tmp_path: Path, lines: list[bytes]) -> VerifyResult:
    path = tmp_path / "tampered.jsonl"
    path.write_bytes(b"".join(lines))
    return verify_history(path)


def _doc(line: bytes) -> dict:
    return json.loads(line)


def _line(doc: dict) -> bytes:
    """A line as `write_history` writes it."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _edited(line: bytes, edit: Callable[[dict], None]) -> bytes:
    doc = _doc(line)
    edit(doc)
    return _line(doc)


def _first_id(lines: list[bytes], index: int) -> int:
    return _doc(lines[index])["events"][0]["id"]


def _hash_before(lines: list[bytes], index: int) -> str:
    """The hash of the last event on the lines before `index` (GENESIS for the first line)."""
    return _doc(lines[index - 1])["events"][-1]["hash"] if index else GENESIS


# -- writing -----------------------------------------------------------------------------------------
def _numbered_hashes(text: str) -> tuple[str, list[str]]:
    """`text` with each hash replaced by <N>, N numbering them as they first appear; the hashes."""
    hashes = list(dict.fromkeys(re.findall(r"\b[0-9a-f]{64}\b", text)))
    return re.sub(r"\b[0-9a-f]{64}\b", lambda m: f"<{hashes.index(m.group())}>", text), hashes


def test_first_line_is_exact(tmp_path: Path) -> None:
    source = tmp_path / "tiny.yaml"
    source.write_text(TINY, encoding="utf-8")
    register = Register.open(tmp_path / "tiny.db")
    load_files(register, [source], actor="test", source="tiny.yaml")
    out = io.StringIO()
    assert write_history(register.conn, out) == 1
    register.close()
    text, hashes = _numbered_hashes(out.getvalue())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", _doc(text.encode())["recorded_at"])
    text = re.sub(r'"recorded_at":"[^"]*"', '"recorded_at":"<when>"', text)
    assert text == (
        r'{"id":1,"recorded_at":"<when>","actor":"test","source":"tiny.yaml","command":"load",'
        r'"summary":"load of tiny.yaml: 1 facilities added, 0 updated, 1 requirements added or updated",'
        r'"ref":null,"note":null,"reverts":null,"facts":{"command":"load","facilities_added":1,'
        r'"facilities_updated":0,"milestones":0,"requirements":1,"source":"tiny.yaml"},"events":['
        r'{"id":1,"entity":"register","key":"name","milestone":null,"action":"added","old":null,'
        r'"new":"\"Tiny\"","prev_hash":"<0>","hash":"<1>"},'
        r'{"id":2,"entity":"requirement","key":"R/1","milestone":null,"action":"added","old":null,'
        r'"new":"{\"deadlines\":[{\"applies_to\":{},\"deadline\":\"2025-12-31\"}],\"id\":\"R/1\",'
        r'\"issued\":\"2025-01-01\"}","prev_hash":"<1>","hash":"<2>"},'
        r'{"id":3,"entity":"facility","key":"f-1","milestone":null,"action":"added","old":null,'
        r'"new":"{\"id\":\"f-1\",\"kind\":\"clinic\",\"name\":\"Trạm Y tế Xã Á\",\"ownership\":\"public\"}",'
        r'"prev_hash":"<2>","hash":"<3>"}]}' + "\n"
    )
    assert hashes[0] == GENESIS and len(hashes) == 4


def test_first_line_of_the_shipped_history(lines: list[bytes]) -> None:
    """Its change as stored, with its facts as JSON, then its first event, from the chain's start."""
    first = lines[0].decode()
    head = re.escape(
        '","actor":"test","source":"'
        + str(SHIPPED)
        + '","command":"load","summary":"load of '
        + str(SHIPPED)
        + ': 25 facilities added, 0 updated, 3 requirements added or updated, 25 milestones recorded",'
        '"ref":null,"note":null,"reverts":null,"facts":{"command":"load","facilities_added":25,'
        '"facilities_updated":0,"milestones":25,"requirements":3,"source":"' + str(SHIPPED) + '"},'
        '"events":[{"id":1,"entity":"register","key":"milestones","milestone":null,"action":"added","old":null,'
        '"new":"[{\\"id\\": \\"appraised\\", \\"en\\": \\"appraised as qualified\\", \\"vi\\": \\"đã được thẩm định'
    )
    assert re.match('{"id":1,"recorded_at":"[0-9T:Z-]{20}' + head, first), first[:600]
    assert f'"prev_hash":"{GENESIS}","hash":"' in first
    assert first.endswith("}]}\n") and "\n" not in first[:-1]


def test_one_line_per_change_oldest_first(register: Register, tmp_path: Path) -> None:
    out = io.StringIO()
    assert write_history(register.conn, out) == len(EVENTS_PER_CHANGE)
    docs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [d["id"] for d in docs] == [1, 2, 3, 4, 5]
    assert [tuple(d) for d in docs] == [CHANGE_KEYS] * 5
    assert [len(d["events"]) for d in docs] == EVENTS_PER_CHANGE
    assert [e["id"] for d in docs for e in d["events"]] == list(range(1, 64))
    assert {tuple(e) for d in docs for e in d["events"]} == {EVENT_KEYS}
    stored = register.conn.execute(f"SELECT {', '.join(EVENT_KEYS)} FROM events ORDER BY id").fetchall()
    assert [tuple(e.values()) for d in docs for e in d["events"]] == stored
    assert docs[2]["ref"] == "CV 12/SYT" and docs[2]["note"] == "Ghi chú" and docs[4]["reverts"] == 4
    assert docs[4]["facts"]["of"]["facilities"] == 2


def test_written_as_utf8_json_without_spaces(lines: list[bytes]) -> None:
    """Each line is the text `json.dumps(..., ensure_ascii=False, separators=(",", ":"))` gives, in UTF-8."""
    assert all(_line(_doc(line)) == line for line in lines)
    assert "Bệnh viện".encode() in lines[0]


def test_two_exports_are_byte_identical(register: Register, tmp_path: Path) -> None:
    assert _export(register, tmp_path / "a.jsonl") == _export(register, tmp_path / "b.jsonl")


def test_a_later_export_extends_the_earlier(register: Register, tmp_path: Path) -> None:
    before = _export(register, tmp_path / "before.jsonl")
    _mark(register, ["nghi-loc-general"], "deployed", date(2025, 8, 30))
    after = _export(register, tmp_path / "after.jsonl")
    assert after.startswith(before)
    assert after[len(before) :].count(b"\n") == 1
    assert verify_history(tmp_path / "after.jsonl") == register.verify()


def test_written_within_the_callers_transaction(register: Register) -> None:
    register.conn.execute("BEGIN")
    out = io.StringIO()
    assert write_history(register.conn, out) == 5
    assert register.conn.in_transaction
    register.conn.execute("COMMIT")


def test_an_empty_register_writes_nothing(tmp_path: Path) -> None:
    register = Register.open(tmp_path / "empty.db")
    out = io.StringIO()
    assert write_history(register.conn, out) == 0
    assert out.getvalue() == ""
    register.close()


def test_a_value_emrtrack_never_writes_is_refused(register: Register) -> None:
    register.conn.execute("DROP TRIGGER events_append_only_update")
    register.conn.execute("UPDATE events SET new = CAST(new AS BLOB) WHERE id = 60")
    with pytest.raises(UnwritableHistory, match="event #60 holds a value emrtrack never writes"):
        write_history(register.conn, io.StringIO())


# -- checking ----------------------------------------------------------------------------------------
def test_the_export_verifies_as_the_register_does(register: Register, tmp_path: Path) -> None:
    _export(register, tmp_path / "history.jsonl")
    result = verify_history(tmp_path / "history.jsonl")
    assert result.ok
    assert result == register.verify()
    assert result.events == 63


def test_line_ends_written_by_another_system_are_accepted(lines: list[bytes], tmp_path: Path) -> None:
    """A checkout that turned the line ends into CRLF, or a file without its last line end, holds the same."""
    assert _check(tmp_path, [line.replace(b"\n", b"\r\n") for line in lines]).ok
    assert _check(tmp_path, [*lines[:-1], lines[-1].rstrip(b"\n")]).ok


def test_empty_file(tmp_path: Path) -> None:
    assert _check(tmp_path, []) == VerifyResult(0, GENESIS, VerifyProblem(HISTORY_EMPTY))


def _expect(result: VerifyResult, good: int, head: str, kind: str, event: int | None = None, **values: object) -> None:
    assert result == VerifyResult(good, head, VerifyProblem(kind, event=event, values=values))


def test_edited_event_field(lines: list[bytes], tmp_path: Path) -> None:
    def edit(doc: dict) -> None:
        doc["events"][0]["new"] = "2025-08-01"

    lines[1] = _edited(lines[1], edit)
    _expect(_check(tmp_path, lines), 57, _hash_before(lines, 1), "altered", 58, id=2, line=2)


def test_edited_summary(lines: list[bytes], tmp_path: Path) -> None:
    lines[2] = _edited(lines[2], lambda doc: doc.update(summary="annex-signed recorded for hoan-my-vinh: 2025-08-26"))
    _expect(_check(tmp_path, lines), 58, _hash_before(lines, 2), "altered", 59, id=3, line=3)


def test_edited_facts(lines: list[bytes], tmp_path: Path) -> None:
    """The facts are not hashed; they must still give the summary, which is."""
    lines[2] = _edited(lines[2], lambda doc: doc["facts"].update(date="2025-08-26"))
    _expect(_check(tmp_path, lines), 59, _hash_before(lines, 3), "facts-altered", change=3, line=3)


def test_value_of_a_kind_emrtrack_never_writes(lines: list[bytes], tmp_path: Path) -> None:
    lines[1] = _edited(lines[1], lambda doc: doc.update(reverts=0.5))
    _expect(_check(tmp_path, lines), 57, _hash_before(lines, 1), "altered", 58, id=2, line=2)


def test_event_without_hash(lines: list[bytes], tmp_path: Path) -> None:
    lines[3] = _edited(lines[3], lambda doc: doc["events"][1].update(hash=None))
    _expect(_check(tmp_path, lines), 60, _doc(lines[3])["events"][0]["hash"], "no-hash", 61, line=4)


def test_deleted_line(lines: list[bytes], tmp_path: Path) -> None:
    head = _hash_before(lines, 2)
    del lines[2]
    _expect(_check(tmp_path, lines), 58, head, "event-deleted", 60, id=59, line=3)


def test_deleted_first_line(lines: list[bytes], tmp_path: Path) -> None:
    del lines[0]
    _expect(_check(tmp_path, lines), 0, GENESIS, "event-deleted", 58, id=1, line=1)


def test_swapped_lines(lines: list[bytes], tmp_path: Path) -> None:
    """The first line out of place is reported, as an event inserted out of order: the chain does not follow."""
    lines[1], lines[2] = lines[2], lines[1]
    _expect(_check(tmp_path, lines), 57, _hash_before(lines, 1), "out-of-order", 59, line=2)


def test_repeated_line(lines: list[bytes], tmp_path: Path) -> None:
    lines.insert(2, lines[1])
    _expect(_check(tmp_path, lines), 58, _hash_before(lines, 2), "out-of-order", 58, line=3)


def test_swapped_events_within_a_line(lines: list[bytes], tmp_path: Path) -> None:
    lines[3] = _edited(lines[3], lambda doc: doc["events"].reverse())
    _expect(_check(tmp_path, lines), 59, _hash_before(lines, 3), "out-of-order", 61, line=4)


def test_truncated_last_line(lines: list[bytes], tmp_path: Path) -> None:
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    _expect(_check(tmp_path, lines), 61, _hash_before(lines, 4), LINE_NOT_JSON, line=5)


def test_line_that_is_not_json(lines: list[bytes], tmp_path: Path) -> None:
    lines.insert(1, b"hello\n")
    _expect(_check(tmp_path, lines), 57, _hash_before(lines, 1), LINE_NOT_JSON, line=2)


def test_blank_line(lines: list[bytes], tmp_path: Path) -> None:
    lines.append(b"\n")
    _expect(_check(tmp_path, lines), 63, _hash_before(lines, 5), LINE_NOT_JSON, line=6)


def test_text_that_is_not_utf8(lines: list[bytes], tmp_path: Path) -> None:
    lines[2] = lines[2].replace("Ghi chú".encode(), "Ghi chú".encode("latin-1"))
    _expect(_check(tmp_path, lines), 58, _hash_before(lines, 2), LINE_NOT_JSON, line=3)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda doc: doc.pop("actor"), "actor"),
        (lambda doc: doc.update(extra=1), "extra"),
        (lambda doc: doc.update(id="2"), "id"),
        (lambda doc: doc.update(events={}), "events"),
        (lambda doc: doc["events"].append([]), "events[1]"),
        (lambda doc: doc["events"][0].pop("hash"), "events[0].hash"),
        (lambda doc: doc["events"][0].update(change_id=2), "events[0].change_id"),
        (lambda doc: doc["events"][0].update(id=True), "events[0].id"),
    ],
)
def test_line_of_another_shape(lines: list[bytes], tmp_path: Path, edit: Callable[[dict], None], field: str) -> None:
    lines[1] = _edited(lines[1], edit)
    _expect(_check(tmp_path, lines), 57, _hash_before(lines, 1), LINE_BAD_SHAPE, field=field, line=2)


def test_json_that_is_not_an_object(lines: list[bytes], tmp_path: Path) -> None:
    lines[1] = b"[]\n"
    _expect(_check(tmp_path, lines), 57, _hash_before(lines, 1), LINE_BAD_SHAPE, field="", line=2)


def test_change_without_events(lines: list[bytes], tmp_path: Path) -> None:
    lines[4] = _edited(lines[4], lambda doc: doc.update(events=[]))
    _expect(_check(tmp_path, lines), 61, _hash_before(lines, 4), "empty-change", change=5, line=5)


def _forged(lines: list[bytes], index: int, edit: Callable[[dict], None]) -> list[bytes]:
    """`lines` with line `index` edited and the chain recomputed from there, as a forger who knows how would."""
    docs = [_doc(line) for line in lines]
    edit(docs[index])
    prev = _hash_before(lines, index)
    for doc in docs[index:]:
        change = [doc[c] for c in CHANGE_COLUMNS]
        for event in doc["events"]:
            content = (event["id"], doc["id"], *(event[k] for k in EVENT_KEYS[1:7]))
            event["prev_hash"], event["hash"] = prev, event_hash(prev, content, change)
            prev = event["hash"]
    return lines[:index] + [_line(doc) for doc in docs[index:]]


def test_forged_chain_verifies(lines: list[bytes], tmp_path: Path) -> None:
    """The chain is evidence against a known last hash: recomputed from an edit on, it verifies to another."""
    forged = _forged(lines, 1, lambda doc: doc.update(actor="someone-else"))
    result = _check(tmp_path, forged)
    assert result.ok and result.events == 63 and result.head != _hash_before(lines, 5)


def test_forged_old_value_does_not_replay(lines: list[bytes], tmp_path: Path) -> None:
    forged = _forged(lines, 1, lambda doc: doc["events"][0].update(old="2025-01-01"))
    _expect(_check(tmp_path, forged), 57, _hash_before(lines, 1), "old-mismatch", 58, line=2)


def test_forged_unknown_entity(lines: list[bytes], tmp_path: Path) -> None:
    forged = _forged(lines, 2, lambda doc: doc["events"][0].update(entity="patient"))
    _expect(_check(tmp_path, forged), 58, _hash_before(lines, 2), "unknown-entity", 59, entity="patient", line=3)


def test_forged_change_out_of_order(lines: list[bytes], tmp_path: Path) -> None:
    forged = _forged(lines, 4, lambda doc: doc.update(id=3))
    _expect(_check(tmp_path, forged), 61, _hash_before(lines, 4), "change-out-of-order", 62, id=3, last=4, line=5)


# -- properties --------------------------------------------------------------------------------------
FACILITIES = ["do-luong-general", "hoan-my-vinh", "military-hospital-4", "nghi-loc-general", "nghe-an-lung"]
MILESTONES = ["appraised", "deployed", "annex-signed"]
step = st.one_of(
    st.just("undo"),
    st.tuples(
        st.lists(st.sampled_from(FACILITIES), min_size=1, max_size=3, unique=True),
        st.sampled_from(MILESTONES),
        st.integers(0, 300),
        st.booleans(),
    ),
)


def _apply(register: Register, step: object) -> None:
    """A mark (exact or a bound, correcting what was recorded) or an undo; what the register refuses is skipped."""
    try:
        if step == "undo":
            change = commands.undoable(register)
            if change is not None:
                commands.undo(register, change, by="prop")
            return
        ids, milestone, days, exact = step
        reached = Reached(date(2025, 1, 1) + timedelta(days=days), exact)
        register.mark([register.facility(i) for i in ids], milestone, reached, actor="prop", correct=True)
    except Refused:
        pass


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, max_size=8))
def test_any_history_of_marks_and_undos_verifies(_template: Path, steps: list[object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.db"
        shutil.copyfile(_template, path)
        register = Register.open(path)
        try:
            for s in steps:
                _apply(register, s)
            out = Path(tmp) / "history.jsonl"
            before = _export(register, out)
            assert verify_history(out) == register.verify()
            assert _export(register, out) == before
        finally:
            register.close()


@pytest.fixture(scope="module")
def _exported(_template: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("exported") / "history.jsonl"
    register = Register.open(_template)
    try:
        return _export(register, path)
    finally:
        register.close()


def _field_spans(text: bytes) -> list[tuple[int, int]]:
    """Where the text of each of an event's fields that hold text lies in the exported history."""
    keys = "|".join(k for k in EVENT_KEYS if k != "id").encode()
    spans, start = [], 0
    for line in text.splitlines(keepends=True):
        events = start + line.index(b',"events":[')  # after the change's fields and facts
        for m in re.finditer(rb'"(' + keys + rb')":"((?:[^"\\]|\\.)*)"', text[events : start + len(line)]):
            spans.append((events + m.start(2), events + m.end(2)))
        start += len(line)
    return [s for s in spans if s[1] > s[0]]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_single_byte_changed_in_an_event_is_caught(_exported: bytes, data: st.DataObject) -> None:
    spans = _field_spans(_exported)
    start, end = data.draw(st.sampled_from(spans))
    at = data.draw(st.integers(start, end - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != _exported[at]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.jsonl"
        path.write_bytes(_exported[:at] + bytes([byte]) + _exported[at + 1 :])
        result = verify_history(path)
    assert not result.ok
    assert result.problem is not None and result.problem.kind in {"altered", LINE_NOT_JSON}


def test_written_from_a_read_only_register(register: Register, tmp_path: Path) -> None:
    expected = _export(register, tmp_path / "history.jsonl")
    reader = Register.open_read_only(register.path)
    assert reader is not None
    out = io.StringIO()
    write_history(reader.conn, out)
    reader.close()
    assert out.getvalue().encode() == expected
