"""The register: loading, history, marks, undo, and the counts behind the reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from helpers import DISPATCH_DAY, rows, table_hash

import emrtrack.store.changes as changes_module
from emrtrack.errors import AmbiguousFacility, FacilityNotFound, Refused
from emrtrack.model import Reached, Selection, State
from emrtrack.service.registers import load_files, shipped_data_path
from emrtrack.store import Register, bulk

D = date.fromisoformat

EXTRA = """\
facilities:
  - id: do-luong-general
    name: Bệnh viện Đa khoa Đô Lương
    aliases: [Do Luong General Hospital]
    ownership: public
    kind: hospital
    managed_by: province
    location: Đô Lương (former district)
    verified: 2025-07-09
    milestones:
      appraised: 2025-08-01
      deployed: 2025-08-20
  - id: new-clinic
    name: Phòng khám Mới
    ownership: non-public
    kind: clinic
    verified: 2025-07-09
"""

# Marks, history and verification are exercised on the register as the dispatch left it (no milestone).
pytestmark = pytest.mark.usefixtures("dispatch_day_db")


@pytest.fixture
def register(dispatch_day_register):
    """The open register these tests use: the dispatch-day data, not the shipped register."""
    return dispatch_day_register


def write(tmp_path: Path, text: str, name: str = "extra.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def counts(path: Path) -> tuple[int, int]:
    """(changes, events) in the history."""
    return rows(path, "SELECT (SELECT COUNT(*) FROM changes), (SELECT COUNT(*) FROM events)")[0]


def test_fresh_load_counts(tmp_path: Path) -> None:
    reg = Register.open(tmp_path / "fresh.db")
    assert reg.is_empty()
    s = load_files(reg, [shipped_data_path()], actor="tester")
    assert (s.added, s.updated, s.unchanged, s.not_in_files) == (25, 0, 0, 0)
    assert (s.requirements_added, s.requirements_updated, s.milestones_recorded) == (3, 0, 25)
    assert s.register_updated and s.change_id == 1
    assert reg.facility_count() == 25
    assert [r.id for r in reg.requirements()] == ["2898/SYT-VP", "13/2025/TT-BYT", "586/QĐ-BYT"]
    assert reg.info().name == "Nghệ An EMR register"
    assert reg.info().timezone == "Asia/Ho_Chi_Minh"
    assert reg.info().milestone_ids == (
        "appraised",
        "report-submitted",
        "deployed",
        "annex-signed",
        "paper-records-stopped",
    )
    # 25 facilities + 3 requirements + 4 register facts + 25 deployments (on or before), in one change
    assert counts(tmp_path / "fresh.db") == (1, 57)
    reg.close()


def test_reload_of_the_same_file_changes_nothing_and_records_no_event(
    register: Register, dispatch_day_db: Path
) -> None:
    before = table_hash(dispatch_day_db)
    s = load_files(register, [DISPATCH_DAY], actor="tester")
    assert (s.added, s.updated, s.unchanged, s.not_in_files) == (0, 0, 25, 0)
    assert (s.requirements_added, s.requirements_updated, s.milestones_recorded) == (0, 0, 0)
    assert not s.changed and s.change_id is None
    assert table_hash(dispatch_day_db) == before


def test_load_keeps_facilities_not_mentioned_and_records_milestones(
    register: Register, dispatch_day_db: Path, tmp_path: Path
) -> None:
    s = load_files(register, [write(tmp_path, EXTRA)], actor="tester")
    assert (s.added, s.updated, s.unchanged, s.not_in_files) == (1, 0, 1, 24)
    assert s.milestones_recorded == 2
    assert register.facility_count() == 26
    assert register.milestones("do-luong-general") == {
        "appraised": Reached(D("2025-08-01")),
        "deployed": Reached(D("2025-08-20")),
    }
    assert rows(
        dispatch_day_db,
        "SELECT entity, key, milestone, action, old, new FROM events WHERE change_id = ? ORDER BY id",
        (s.change_id,),
    ) == [
        ("milestone", "do-luong-general", "appraised", "recorded", None, "2025-08-01"),
        ("milestone", "do-luong-general", "deployed", "recorded", None, "2025-08-20"),
        (
            "facility",
            "new-clinic",
            None,
            "added",
            None,
            '{"id":"new-clinic","kind":"clinic","name":"Phòng khám Mới","ownership":"non-public",'
            '"verified":"2025-07-09"}',
        ),
    ]
    # the same milestones again: no event
    before = counts(dispatch_day_db)
    again = load_files(register, [write(tmp_path, EXTRA)], actor="tester")
    assert again.milestones_recorded == 0 and not again.changed
    assert counts(dispatch_day_db) == before
    # a different date: refused without --correct, with nothing written ...
    other = write(tmp_path, EXTRA.replace("2025-08-20", "2025-08-22"))
    with pytest.raises(Refused) as refused:
        load_files(register, [other], actor="tester")
    assert str(refused.value).splitlines() == [
        f"{other}:2: facility 'do-luong-general': deployed is recorded as 2025-08-20; the file says 2025-08-22",
        "Nothing was loaded: to replace the recorded date with the file's, load again with --correct.",
    ]
    assert counts(dispatch_day_db) == before
    # ... and one correction event with it
    changed = load_files(register, [other], actor="tester", correct=True)
    assert (changed.milestones_recorded, changed.milestones_corrected) == (1, 1)
    assert rows(
        dispatch_day_db, "SELECT milestone, action, old, new FROM events WHERE change_id = ?", (changed.change_id,)
    ) == [("deployed", "corrected", "2025-08-20", "2025-08-22")]
    # a milestone left out of the file is kept
    load_files(register, [write(tmp_path, EXTRA.replace("      deployed: 2025-08-20\n", ""))], actor="tester")
    assert register.milestones("do-luong-general")["deployed"] == Reached(D("2025-08-22"))


def test_renaming_is_an_update_of_the_same_id(register: Register, dispatch_day_db: Path, tmp_path: Path) -> None:
    text = (
        shipped_data_path()
        .read_text(encoding="utf-8")
        .replace("Bệnh viện Tâm thần Nghệ An ", "Bệnh viện Tâm Thần tỉnh Nghệ An ")
    )
    s = load_files(register, [write(tmp_path, text)], actor="tester")
    assert (s.added, s.updated, s.unchanged) == (0, 1, 24)
    assert register.facility("nghe-an-psychiatric").name == "Bệnh viện Tâm Thần tỉnh Nghệ An"
    assert register.facility_count() == 25


def test_dry_run_writes_nothing(register: Register, dispatch_day_db: Path, tmp_path: Path) -> None:
    before = table_hash(dispatch_day_db)
    s = load_files(register, [write(tmp_path, EXTRA)], actor="tester", dry_run=True)
    assert (s.added, s.unchanged, s.not_in_files, s.milestones_recorded) == (1, 1, 24, 2)
    assert s.change_id is None
    assert table_hash(dispatch_day_db) == before


def test_mark_records_refuses_and_corrects(register: Register, dispatch_day_db: Path) -> None:
    f = register.resolve("do luong")
    (r,) = register.mark([f], "deployed", Reached(D("2025-08-20")), actor="officer", ref="3120/SYT-VP", note="seen")
    assert r.changed and r.previous is None
    assert rows(
        dispatch_day_db, "SELECT actor, source, command, ref, note, reverts FROM changes WHERE id = ?", (r.change_id,)
    ) == [("officer", "cli", "mark deployed", "3120/SYT-VP", "seen", None)]
    before = table_hash(dispatch_day_db)
    (same,) = register.mark([f], "deployed", Reached(D("2025-08-20")), actor="officer")
    assert not same.changed and same.change_id is None
    assert table_hash(dispatch_day_db) == before
    with pytest.raises(
        Refused,
        match=r"already has deployed on 2025-08-20; to record 2025-08-25 instead, run the "
        r"command again with --correct",
    ):
        register.mark([f], "deployed", Reached(D("2025-08-25")), actor="officer")
    assert table_hash(dispatch_day_db) == before
    (fixed,) = register.mark([f], "deployed", Reached(D("2025-08-25")), actor="officer", correct=True)
    assert fixed.changed and fixed.previous == Reached(D("2025-08-20"))
    assert rows(dispatch_day_db, "SELECT action, old, new FROM events WHERE change_id = ?", (fixed.change_id,)) == [
        ("corrected", "2025-08-20", "2025-08-25")
    ]
    assert register.milestones(f.id) == {"deployed": Reached(D("2025-08-25"))}


def test_mark_refuses_a_future_date(register: Register, dispatch_day_db: Path) -> None:
    from datetime import timedelta

    before = table_hash(dispatch_day_db)
    tomorrow = register.today() + timedelta(days=1)
    with pytest.raises(Refused, match=f"{tomorrow} is in the future"):
        register.mark([register.facility("military-hospital-4")], "deployed", Reached(tomorrow), actor="officer")
    assert table_hash(dispatch_day_db) == before


def test_undo_reverts_a_mark_and_history_keeps_both(register: Register, dispatch_day_db: Path) -> None:
    before = table_hash(dispatch_day_db)
    f = register.facility("hoan-my-vinh")
    (r,) = register.mark([f], "annex-signed", Reached(D("2025-08-25")), actor="officer")
    change = register.last_change()
    assert change is not None and change.id == r.change_id
    assert change.summary == "annex-signed recorded for hoan-my-vinh: 2025-08-25"
    undo_id = register.undo(change, actor="officer")
    assert register.milestones("hoan-my-vinh") == {}
    assert rows(
        dispatch_day_db, "SELECT id, command, reverts FROM changes WHERE id >= ? ORDER BY id", (r.change_id,)
    ) == [
        (r.change_id, "mark annex-signed", None),
        (undo_id, "undo", r.change_id),
    ]
    assert [(e.change_id, e.action, e.old, e.new) for e in register.history("hoan-my-vinh", limit=None)] == [
        (undo_id, "cleared", "2025-08-25", None),
        (r.change_id, "recorded", None, "2025-08-25"),
        (
            1,
            "added",
            None,
            rows(dispatch_day_db, "SELECT new FROM events WHERE key = 'hoan-my-vinh' AND change_id = 1")[0][0],
        ),
    ]
    # current tables are back as they were; only the history grew
    assert rows(dispatch_day_db, "SELECT * FROM milestones") == []
    assert table_hash(dispatch_day_db) != before
    # the undone change and the undo itself cannot be undone again, nor the load that created the register
    assert register.last_change() is None


def test_undo_reverts_a_load(register: Register, dispatch_day_db: Path, tmp_path: Path) -> None:
    facilities_before = rows(dispatch_day_db, "SELECT * FROM facilities ORDER BY id")
    s = load_files(register, [write(tmp_path, EXTRA)], actor="tester")
    change = register.last_change()
    assert change.id == s.change_id and len(change.events) == 3
    register.undo(change, actor="tester")
    assert rows(dispatch_day_db, "SELECT * FROM facilities ORDER BY id") == facilities_before
    assert rows(dispatch_day_db, "SELECT * FROM milestones") == []
    assert counts(dispatch_day_db) == (3, 30 + 3 + 3)


def test_undo_of_a_change_shown_reverts_it_alone_unless_its_facts_changed_since(register: Register) -> None:
    f = register.facility("nghe-an-lung")
    register.mark([f], "appraised", Reached(D("2025-08-01")), actor="a")
    shown = register.last_change()
    register.mark([f], "deployed", Reached(D("2025-08-02")), actor="b")  # another fact: the undo goes ahead
    register.undo(shown, actor="a")
    assert register.milestones(f.id) == {"deployed": Reached(D("2025-08-02"))}
    register.mark([f], "appraised", Reached(D("2025-08-03")), actor="a")
    shown = register.last_change()
    register.mark([f], "appraised", Reached(D("2025-08-04")), actor="b", correct=True)  # the same fact
    with pytest.raises(Refused, match=r"cannot undo change #\d+ alone: change #\d+ \(by b\) changed appraised of"):
        register.undo(shown, actor="a")


def test_history_is_append_only(dispatch_day_db: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(dispatch_day_db)
    for sql in (
        "UPDATE events SET new = NULL",
        "DELETE FROM events",
        "UPDATE changes SET actor = 'x'",
        "DELETE FROM changes",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="history is append-only"):
            conn.execute(sql)
    conn.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("do-luong-general", "do-luong-general"),
        ("do luong", "do-luong-general"),
        ("DO LUONG", "do-luong-general"),
        ("Đô Lương", "do-luong-general"),
        ("hoan my", "hoan-my-vinh"),
        ("quan y 4", "military-hospital-4"),
        ("Military Hospital 4", "military-hospital-4"),
        ("benh vien phoi nghe an", "nghe-an-lung"),
        ("truyen mau", "nghe-an-hematology-blood-transfusion"),
        ("vinh y khoa", "vinh-medical-university-hospital"),  # all words present, any order
    ],
)
def test_resolve(register: Register, query: str, expected: str) -> None:
    assert register.resolve(query).id == expected


def test_resolve_ambiguous(register: Register) -> None:
    with pytest.raises(AmbiguousFacility) as caught:
        register.resolve("115")
    assert sorted(caught.value.candidates) == [
        ("general-115", "Bệnh viện Đa khoa 115 Nghệ An"),
        ("surgical-115", "Bệnh viện Ngoại khoa 115 Nghệ An"),
    ]


def test_resolve_typo_suggests(register: Register) -> None:
    with pytest.raises(FacilityNotFound) as caught:
        register.resolve("do luogn")
    assert caught.value.suggestions[0] == ("do-luong-general", "Bệnh viện Đa khoa Đô Lương")


def test_status_counts(register: Register) -> None:
    register.mark([register.facility("do-luong-general")], "deployed", Reached(D("2025-08-31")), actor="a")
    register.mark([register.facility("general-115")], "deployed", Reached(D("2025-09-05")), actor="a")
    register.mark([register.facility("general-115")], "appraised", Reached(D("2025-08-01")), actor="a")
    s = register.status(register.requirement(None), D("2025-09-10"))
    t = s.total
    assert (t.in_scope, t.deployed_on_time, t.deployed_late, t.overdue, t.not_yet_due) == (25, 1, 1, 23, 0)
    assert t.compliance_pct == 4.0
    pub, non = s.by_ownership["public"], s.by_ownership["non-public"]
    assert (pub.in_scope, pub.deployed_on_time, pub.deployed_late, pub.overdue) == (13, 1, 0, 12)
    assert (non.in_scope, non.deployed_on_time, non.deployed_late, non.overdue) == (12, 0, 1, 11)
    assert s.funnel == {"appraised": 1, "deployed": 2, "annex-signed": 0}
    assert (s.oldest_data, s.median_data, s.never_verified) == (D("2025-07-09"), D("2025-07-09"), 0)
    # as of before the late deployment, it was still overdue
    early = register.status(register.requirement(None), D("2025-09-01")).total
    assert (early.deployed_on_time, early.deployed_late, early.overdue) == (1, 0, 24)


def test_status_cohorts_of_circular_13(register: Register) -> None:
    s = register.status(register.requirement("13/2025/TT-BYT"), D("2025-10-01"))
    hospitals, others = s.cohorts
    assert (hospitals.deadline, hospitals.counts.in_scope, hospitals.counts.overdue) == (D("2025-09-30"), 22, 22)
    assert (others.deadline, others.counts.in_scope, others.counts.not_yet_due) == (D("2026-12-31"), 3, 3)


def test_standings_order(register: Register) -> None:
    register.mark([register.facility("nghe-an-lung")], "deployed", Reached(D("2025-09-03")), actor="a")
    register.mark([register.facility("thai-an-general")], "deployed", Reached(D("2025-08-15")), actor="a")
    count, it = register.standings(register.requirement(None), D("2025-09-05"))
    got = [(s.facility.id, s.state, s.days_overdue) for s in it]
    assert count == 25 and len(got) == 25
    assert [register.facility(fid).ownership for fid, _, _ in got] == ["public"] * 13 + ["non-public"] * 12
    # within a group, not deployed (overdue) before deployed
    assert got[12] == ("nghe-an-lung", State.DEPLOYED_LATE, 0)
    assert got[24] == ("thai-an-general", State.DEPLOYED_ON_TIME, 0)
    assert all(state is State.OVERDUE and days == 5 for _, state, days in got[:12] + got[13:24])
    count, it = register.standings(register.requirement(None), D("2025-09-05"), Selection.overdue())
    assert count == 23 and len(list(it)) == 23


def test_standings_most_overdue_first_within_a_group(register: Register) -> None:
    # under Circular 13 on 2027-01-05, hospitals are 462 days overdue and the three centres 5 days
    count, it = register.standings(register.requirement("13/2025/TT-BYT"), D("2027-01-05"), Selection.overdue())
    public = [(s.facility.kind, s.days_overdue) for s in it if s.facility.ownership == "public"]
    assert public == [("hospital", 462)] * 10 + [
        ("specialised-centre", 5),
        ("medical-centre", 5),
        ("medical-centre", 5),
    ]


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("bv phoi", "nghe-an-lung"),
        ("BVĐK Đô Lương", "do-luong-general"),
        ("ttyt hung nguyen", "hung-nguyen-medical-centre"),
        ("TTYT Quỳ Hợp", "quy-hop-medical-centre"),
        ("bv yhct nguyen phuc", "nguyen-phuc-traditional-medicine"),
    ],
)
def test_usual_abbreviations_name_a_facility(register: Register, typed: str, expected: str) -> None:
    assert register.resolve(typed).id == expected


def test_ambiguous_candidates_are_listed_in_alphabetical_order_of_their_folded_names(register: Register) -> None:
    with pytest.raises(AmbiguousFacility) as e:
        register.resolve("115")
    assert [fid for fid, _ in e.value.candidates] == ["general-115", "surgical-115"]  # Đa khoa before Ngoại khoa


def test_an_ambiguous_name_counts_every_match_and_lists_the_first_ten(register: Register, tmp_path: Path) -> None:
    many = tmp_path / "many.yaml"
    many.write_text(
        "facilities:\n"
        + "".join(
            f"  - {{id: pk-{i:02d}, name: Phòng khám số {i:02d}, ownership: non-public, kind: clinic}}\n"
            for i in range(60)
        ),
        encoding="utf-8",
    )
    load_files(register, [many], actor="tester")
    with pytest.raises(AmbiguousFacility) as e:
        register.resolve("phong kham so")
    assert e.value.total == 60 and len(e.value.candidates) == 51
    assert str(e.value) == (
        "'phong kham so' matches 60 facilities: "
        + "; ".join(f"Phòng khám số {i:02d} (pk-{i:02d})" for i in range(10))
        + "; and 50 more. Nothing was done; name one by its id."
    )


def test_reads_in_a_snapshot_do_not_see_a_write_made_meanwhile(register: Register, dispatch_day_db: Path) -> None:
    other = Register.open(dispatch_day_db)
    with register.snapshot():
        count, _ = register.standings(register.requirement(None), D("2025-09-01"), Selection.overdue())
        other.mark([other.facility("do-luong-general")], "deployed", Reached(D("2025-08-20")), actor="officer-b")
        again, rows_ = register.standings(register.requirement(None), D("2025-09-01"), Selection.overdue())
        assert count == again == 25 and len(list(rows_)) == 25
    assert register.standings(register.requirement(None), D("2025-09-01"), Selection.overdue())[0] == 24
    other.close()


# -- a large write, on a helper thread --------------------------------------------------------------
def _many(tmp_path: Path, n: int) -> Path:
    lines = ["facilities:"]
    for i in range(n):
        lines += [
            f"  - id: f{i:04d}",
            f"    name: Trạm Y tế xã Số {i}",
            "    ownership: public",
            f"    kind: {'clinic' if i % 2 else 'other'}",
            f"    aliases: [Tram {i}]",
        ]
        if i % 3:
            lines += ["    milestones:", f"      appraised: 2025-0{1 + i % 9}-1{i % 10}", "      deployed: 2025-10-01"]
    return write(tmp_path, "\n".join(lines) + "\n", "many.yaml")


def _write_on_the_helper_thread(monkeypatch: pytest.MonkeyPatch, *, behind_from: int = 1, batch: int = 50) -> None:
    """Large-load writing for small files: the helper thread from `behind_from` facilities, `batch` at a time."""
    monkeypatch.setattr(bulk.Writer, "BEHIND_FROM", behind_from)
    monkeypatch.setattr(bulk.Writer, "BATCH", batch)


def _shipped_register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Register]:
    """A register holding the shipped data, in which a load of a few hundred facilities is a large load."""
    _write_on_the_helper_thread(monkeypatch)
    path = tmp_path / "r.db"
    reg = Register.open(path)
    load_files(reg, [shipped_data_path()], actor="tester")
    return path, reg


def _settings_as_before_the_load(reg: Register) -> None:
    """What a large load changes for its duration is back as it was, however the load ended."""
    import sys

    assert reg.conn.execute("PRAGMA cache_size").fetchone()[0] == -2000  # SQLite's default
    assert reg.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert reg.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert sys.getswitchinterval() == 0.005  # Python's default


def _content(path: Path) -> list:
    """Everything in the register but the time each change was recorded (and the hashes that cover it)."""
    return [
        rows(path, "SELECT * FROM facilities ORDER BY rowid"),
        rows(path, "SELECT * FROM milestones"),
        rows(path, "SELECT * FROM requirements"),
        rows(path, "SELECT * FROM meta"),
        rows(path, "SELECT id, change_id, entity, key, milestone, action, old, new FROM events ORDER BY id"),
        rows(path, "SELECT id, actor, source, command, summary FROM changes ORDER BY id"),
    ]


def test_a_large_load_written_on_a_helper_thread_gives_the_same_register(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = _many(tmp_path, 400)
    results = []
    for behind_from in (10**9, 1):  # on the caller's thread, then on the helper thread
        _write_on_the_helper_thread(monkeypatch, behind_from=behind_from, batch=70)  # the last batch short
        path = tmp_path / f"r{behind_from}.db"
        reg = Register.open(path)
        s = load_files(reg, [shipped_data_path(), many], actor="tester", source="files")
        assert (s.added, s.milestones_recorded) == (425, 2 * 266 + 25)
        assert reg.verify().problem is None
        (mark,) = reg.mark([reg.resolve("f0001")], "annex-signed", Reached(D("2025-11-01")), actor="tester")
        assert mark.changed
        reg.close()
        results.append(_content(path))
    assert results[0] == results[1]
    # register facts (name, notes, time zone, milestones), requirements, facilities, milestones, the mark
    assert len(results[0][4]) == 4 + 3 + 25 + 400 + 2 * 266 + 25 + 1


def test_a_failure_on_the_helper_thread_is_raised_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3
    import threading

    path, reg = _shipped_register(tmp_path, monkeypatch)
    # a fault in the middle of the write: the disk, say, or a constraint
    reg.conn.execute(
        "CREATE TRIGGER fault BEFORE INSERT ON facilities WHEN NEW.id = 'f0250' "
        "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
    )
    before, threads = table_hash(path), threading.active_count()
    with pytest.raises(sqlite3.IntegrityError, match="disk trouble"):
        load_files(reg, [_many(tmp_path, 400)], actor="tester")
    assert table_hash(path) == before
    assert threading.active_count() == threads
    _settings_as_before_the_load(reg)
    reg.conn.execute("DROP TRIGGER fault")  # and the register is usable at once
    assert load_files(reg, [_many(tmp_path, 400)], actor="tester").added == 400
    assert reg.verify().problem is None


def _journal_files(path: Path) -> tuple[bool, bool]:
    """Whether the register's write-ahead log and its rollback journal exist."""
    return Path(f"{path}-wal").exists(), Path(f"{path}-journal").exists()


def _watch_the_load(monkeypatch: pytest.MonkeyPatch, path: Path, also=lambda: None) -> list[tuple[bool, bool]]:
    """While a load works out its facilities: whether the write-ahead log and a rollback journal exist."""
    seen: list[tuple[bool, bool]] = []
    folded = changes_module.folded_names

    def watching(name: str, aliases: tuple[str, ...]) -> str:
        seen.append(_journal_files(path))
        also()
        return folded(name, aliases)

    monkeypatch.setattr(changes_module, "folded_names", watching)
    return seen


def _settings_of_the_write(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, float]]:
    """For each large write: its journal mode and sync level, and the interpreter's switch interval."""
    import sys

    settings: list[tuple[str, int, float]] = []
    init = bulk.Writer.__init__

    def recording(writer, conn, *, behind: bool) -> None:
        init(writer, conn, behind=behind)
        if behind:
            settings.append(
                (
                    conn.execute("PRAGMA journal_mode").fetchone()[0],
                    conn.execute("PRAGMA synchronous").fetchone()[0],
                    sys.getswitchinterval(),
                )
            )

    monkeypatch.setattr(bulk.Writer, "__init__", recording)
    return settings


def test_a_large_load_writes_straight_into_the_file_then_returns_to_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, reg = _shipped_register(tmp_path, monkeypatch)
    assert reg.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    settings = _settings_of_the_write(monkeypatch)
    others = []

    def someone_else_opens() -> None:  # another officer's status in the middle of the load
        if not others:
            other = Register.open(path)
            others.append(
                (
                    other.conn.execute("PRAGMA journal_mode").fetchone()[0],
                    other.conn.execute("PRAGMA synchronous").fetchone()[0],
                    other.facility_count(),
                )
            )
            other.close()

    seen = _watch_the_load(monkeypatch, path, someone_else_opens)
    # and while the rows are written (on the helper thread): the files as SQLite runs each statement
    reg.conn.set_progress_handler(lambda: seen.append(_journal_files(path)) or 0, 1_000)
    assert load_files(reg, [_many(tmp_path, 400)], actor="tester").added == 400
    reg.conn.set_progress_handler(None, 0)
    assert settings == [("delete", 2, 0.000_25)]  # FULL syncs keep the file whole without the log
    # no write-ahead log; a rollback journal once rows are written; none left
    assert not any(w for w, _ in seen) and any(j for _, j in seen)
    assert not Path(f"{path}-journal").exists()
    assert others == [("delete", 2, 25)]  # opened and read the register as it was, safely
    _settings_as_before_the_load(reg)
    reg.close()
    assert Register.open(path).verify().problem is None


def test_a_large_dry_run_leaves_the_register_on_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, reg = _shipped_register(tmp_path, monkeypatch)
    before = table_hash(path)
    seen = _watch_the_load(monkeypatch, path)
    assert load_files(reg, [_many(tmp_path, 400)], actor="tester", dry_run=True).added == 400
    assert seen and set(seen) == {(True, False)}
    assert table_hash(path) == before
    _settings_as_before_the_load(reg)


def test_a_large_load_while_someone_else_has_the_register_open_goes_through_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    path, reg = _shipped_register(tmp_path, monkeypatch)
    other = sqlite3.connect(path)  # another officer's status, say
    assert other.execute("SELECT COUNT(*) FROM facilities").fetchone() == (25,)
    settings, seen = _settings_of_the_write(monkeypatch), _watch_the_load(monkeypatch, path)
    assert load_files(reg, [_many(tmp_path, 400)], actor="tester").added == 400
    assert settings == [("wal", 1, 0.000_25)]
    assert seen and set(seen) == {(True, False)}
    _settings_as_before_the_load(reg)
    assert other.execute("SELECT COUNT(*) FROM facilities").fetchone() == (425,)
    other.close()
    assert reg.verify().problem is None


def test_a_large_load_that_readers_keep_from_committing_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the log, committing waits for readers; a reader that outlasts the wait makes the load fail whole."""
    import sqlite3

    path, reg = _shipped_register(tmp_path, monkeypatch)
    before = table_hash(path)
    reg.conn.execute("PRAGMA busy_timeout = 50")
    readers: list[sqlite3.Connection] = []

    def a_long_read_starts() -> None:
        if not readers:
            reader = sqlite3.connect(path, isolation_level=None)
            reader.execute("BEGIN")
            assert reader.execute("SELECT COUNT(*) FROM facilities").fetchone() == (25,)  # holds its snapshot
            readers.append(reader)

    _watch_the_load(monkeypatch, path, a_long_read_starts)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        load_files(reg, [_many(tmp_path, 400)], actor="tester")
    assert not reg.conn.in_transaction
    assert readers[0].execute("SELECT COUNT(*) FROM facilities").fetchone() == (25,)
    readers[0].close()
    assert table_hash(path) == before
    reg.close()
    again = Register.open(path)  # the next one to open finds the register whole, and back on the log
    assert again.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert again.facility_count() == 25 and again.verify().problem is None


@pytest.mark.parametrize("failing", ["start", "setswitchinterval"])
def test_a_large_write_that_fails_to_set_up_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    import sys
    import threading

    path, reg = _shipped_register(tmp_path, monkeypatch)
    before, threads = table_hash(path), threading.active_count()
    calls = []

    def fails_once(*args: object) -> None:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("cannot")
        original(*args)

    if failing == "start":  # no thread at all
        original = threading.Thread.start
        monkeypatch.setattr(threading.Thread, "start", fails_once)
    else:  # the last step: the helper thread is running and the page cache enlarged
        original = sys.setswitchinterval
        monkeypatch.setattr(sys, "setswitchinterval", fails_once)
    with pytest.raises(RuntimeError, match="cannot"):
        load_files(reg, [_many(tmp_path, 400)], actor="tester")
    assert threading.active_count() == threads  # no helper thread left waiting
    assert table_hash(path) == before
    _settings_as_before_the_load(reg)


def test_a_new_register_has_large_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    import shutil

    from emrtrack.store.connection import PAGE_SIZE

    new = Register.open(tmp_path / "new.db")
    assert new.conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 16_384
    old_path = tmp_path / "old.db"
    shutil.copyfile(Path(__file__).parent / "data" / "schema" / "register-m002.db", old_path)
    old = Register.open(old_path)
    assert old.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert load_files(old, [_many(tmp_path, 30)], actor="tester").added == 30
    assert old.verify().problem is None
    assert old.conn.execute("PRAGMA page_size").fetchone()[0] == 4096


def test_a_refused_large_load_written_on_a_helper_thread_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_on_the_helper_thread(monkeypatch)
    path = tmp_path / "r.db"
    reg = Register.open(path)
    load_files(reg, [_many(tmp_path, 400)], actor="tester")
    before = table_hash(path)
    changed = _many(tmp_path, 401).read_text(encoding="utf-8").replace("deployed: 2025-10-01", "deployed: 2025-10-02")
    with pytest.raises(Refused, match="load again with --correct"):  # rows were already being written
        load_files(reg, [write(tmp_path, changed, "changed.yaml")], actor="tester")
    assert table_hash(path) == before
    s = load_files(reg, [write(tmp_path, changed, "changed.yaml")], actor="tester", correct=True)
    assert (s.added, s.milestones_corrected) == (1, 266)
    assert reg.verify().problem is None


@pytest.mark.parametrize("when", ["while rows are prepared", "while the helper thread is awaited", "both"])
def test_ctrl_c_during_a_large_load_leaves_nothing_and_no_thread_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    import threading
    import time

    path, reg = _shipped_register(tmp_path, monkeypatch)
    before, threads = table_hash(path), threading.active_count()
    reg.conn.set_progress_handler(lambda: time.sleep(0.002), 2_000)  # a slow disk: the helper falls behind
    if when != "while the helper thread is awaited":
        folded, calls = changes_module.folded_names, [0]

        def interrupted_folding(name: str, aliases: tuple[str, ...]) -> str:
            calls[0] += 1
            if calls[0] == 390:
                raise KeyboardInterrupt
            return folded(name, aliases)

        monkeypatch.setattr(changes_module, "folded_names", interrupted_folding)
    if when != "while rows are prepared":
        join, pressed = threading.Thread.join, []

        def interrupted_join(thread: threading.Thread, *args: object) -> None:
            if thread.name == "emrtrack-writer" and not pressed:
                pressed.append(True)
                raise KeyboardInterrupt
            join(thread, *args)

        monkeypatch.setattr(threading.Thread, "join", interrupted_join)
    with pytest.raises(KeyboardInterrupt):
        load_files(reg, [_many(tmp_path, 400)], actor="tester")
    reg.conn.set_progress_handler(None, 0)
    assert threading.active_count() == threads  # the helper thread ended before the rollback
    assert table_hash(path) == before
    _settings_as_before_the_load(reg)
    assert Register.open(path).verify().problem is None
