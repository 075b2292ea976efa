"""Schema upgrades: a register written by schema m001 opens with the current code with nothing lost;
a register from a newer, unknown schema is refused and left byte-for-byte unchanged."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

from helpers import SHIPPED, rows, run

from emrtrack.store import migrations

FIXTURE = Path(__file__).parent / "data" / "schema" / "register-m001.db"


def _snapshot(path: Path) -> dict[str, list[tuple]]:
    return {
        "facilities": rows(  # the columns of the first schema (later ones add theirs, empty for these)
            path,
            "SELECT id, name, aliases, ownership, kind, managed_by, location, verified, folded FROM facilities ORDER BY id",
        ),
        "milestones": rows(path, "SELECT facility_id, milestone, date FROM milestones ORDER BY facility_id, milestone"),
        "requirements": rows(path, "SELECT * FROM requirements ORDER BY id"),
        "meta": rows(path, "SELECT * FROM meta ORDER BY key"),
        "changes": rows(
            path, "SELECT id, recorded_at, actor, source, command, summary, ref, note, reverts FROM changes ORDER BY id"
        ),
        "events": rows(path, "SELECT id, change_id, entity, key, milestone, action, old, new FROM events ORDER BY id"),
    }


def _applied(path: Path) -> list[str]:
    return [name for (name,) in rows(path, "SELECT name FROM _sqlite_migrations ORDER BY id")]


def test_fixture_is_an_m001_register() -> None:
    assert _applied(FIXTURE) == ["m001_initial"]
    snap = _snapshot(FIXTURE)
    assert (len(snap["facilities"]), len(snap["changes"]), len(snap["events"])) == (25, 5, 34)


def test_m001_register_migrates_with_nothing_lost(db_path: Path) -> None:
    shutil.copy(FIXTURE, db_path)
    before = _snapshot(db_path)
    result = run("verify")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: 34 events checked\n")
    assert _applied(db_path) == list(migrations.NAMES)
    assert "m002_hash_chain" in migrations.NAMES
    assert _snapshot(db_path) == before
    history = run("history", "--limit", "100", "--format", "json")
    assert history.exit_code == 0
    events = json.loads(history.stdout)
    assert [e["event"] for e in events] == list(range(34, 0, -1))
    assert [(e["by"], e["command"], e["action"], e["key"], e["new"]) for e in events[:4]] == [
        ("officer-a", "undo", "cleared", "military-hospital-4", None),
        ("officer-b", "mark appraised", "recorded", "military-hospital-4", "2025-07-01"),
        ("officer-b", "mark annex-signed", "recorded", "hoan-my-vinh", "2025-08-25"),
        ("officer-a", "mark deployed", "recorded", "do-luong-general", "2025-08-20"),
    ]
    assert events[3]["ref"] == "3120/SYT-VP" and events[3]["note"] == "da trien khai"
    # the migrated register keeps working: a new mark extends the chain
    assert run("mark", "quan y 4", "appraised", "--on", "2025-07-01").exit_code == 0
    assert run("verify").stdout.startswith("ok: 35 events checked\n")
    # the history is still append-only after the migration
    _refused_as_append_only(db_path, "UPDATE events SET new = 'x' WHERE id = 1", "DELETE FROM events WHERE id = 1")


def _refused_as_append_only(path: Path, *statements: str) -> None:
    """Each statement, run on the register file by another tool, is refused: the history is append-only."""
    conn = sqlite3.connect(path)
    try:
        for sql in statements:
            try:
                conn.execute(sql)
            except sqlite3.IntegrityError as e:
                assert "history is append-only" in str(e)
            else:
                raise AssertionError(f"{sql} was allowed")
    finally:
        conn.close()


def _bytes_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_newer_unknown_schema_is_refused_and_left_unchanged(db_path: Path) -> None:
    shutil.copy(FIXTURE, db_path)
    conn = sqlite3.connect(db_path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('emrtrack', 'm099_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    before = _bytes_hash(db_path)
    for args in (("status",), ("verify",), ("mark-deployed", "do luong", "--on", "2025-08-20"), ("load", str(SHIPPED))):
        result = run(*args)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr == (
            f"emrtrack: {db_path}: this register was written by a newer emrtrack (schema step "
            "'m099_from_the_future'); upgrade emrtrack to use it. Nothing was changed.\n"
        )
        assert _bytes_hash(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["register.db"]


FIXTURE_M002 = Path(__file__).parent / "data" / "schema" / "register-m002.db"


def _upgrades_with_nothing_lost(fixture: Path, db_path: Path, *, events: int) -> None:
    """A copy of `fixture` opened by `verify`: every schema step applied, the history replayed, every fact
    and every link of the hash chain as it was."""
    shutil.copy(fixture, db_path)
    hashes = rows(db_path, "SELECT id, prev_hash, hash FROM events ORDER BY id")
    before = _snapshot(db_path)
    result = run("verify")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"ok: {events} events checked\n")
    assert _applied(db_path) == list(migrations.NAMES)
    assert _snapshot(db_path) == before
    assert rows(db_path, "SELECT id, prev_hash, hash FROM events ORDER BY id") == hashes


def test_m002_register_gains_the_views_with_nothing_lost_and_its_chain_intact(db_path: Path) -> None:
    assert _applied(FIXTURE_M002) == ["m001_initial", "m002_hash_chain"]
    _upgrades_with_nothing_lost(FIXTURE_M002, db_path, events=34)
    assert rows(db_path, "SELECT COUNT(*) FROM facility_state") == [(25 * 2,)]


def test_several_officers_opening_an_old_register_at_once_upgrade_it_once(tmp_path: Path) -> None:
    import threading

    from emrtrack.store import Register

    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    start, errors = threading.Barrier(8), []

    def officer() -> None:
        start.wait()
        try:
            Register.open(path).close()
        except Exception as e:  # noqa: BLE001 - any failure is the test's finding
            errors.append(e)

    threads = [threading.Thread(target=officer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _applied(path) == list(migrations.NAMES)
    register = Register.open(path)
    assert register.verify().problem is None
    register.close()


FIXTURE_M003 = Path(__file__).parent / "data" / "schema" / "register-m003.db"
# What the m003 fixture's eight changes say, as the facts m004 fills in from their summaries.
M003_FACTS = [
    {
        "command": "load",
        "source": "nghe-an-2898.yaml (shipped)",
        "facilities_added": 25,
        "facilities_updated": 0,
        "requirements": 2,
        "milestones": 0,
    },
    {
        "command": "mark",
        "milestone": "deployed",
        "action": "recorded",
        "facility": "do-luong-general",
        "date": "2025-08-20",
        "previous": None,
    },
    {
        "command": "mark",
        "milestone": "deployed",
        "action": "corrected",
        "facility": "do-luong-general",
        "date": "2025-08-22",
        "previous": "2025-08-20",
    },
    {
        "command": "mark",
        "milestone": "annex-signed",
        "action": "recorded",
        "facility": "hoan-my-vinh",
        "date": "2025-08-25",
        "previous": None,
    },
    {
        "command": "mark",
        "milestone": "appraised",
        "action": "recorded",
        "facility": "military-hospital-4",
        "date": "2025-07-01",
        "previous": None,
    },
    {
        "command": "undo",
        "change": 5,
        "of": {
            "command": "mark",
            "milestone": "appraised",
            "action": "recorded",
            "facility": "military-hospital-4",
            "date": "2025-07-01",
            "previous": None,
        },
    },
    {
        "command": "load",
        "source": "/tmp/extra.yaml",
        "facilities_added": 1,
        "facilities_updated": 0,
        "requirements": 1,
        "milestones": 1,
    },
    {
        "command": "mark",
        "milestone": "deployed",
        "action": "recorded",
        "facility": "tram-y-te-xa-nghi-loc",
        "date": "2025-09-10",
        "previous": None,
    },
]


def test_m003_register_gains_change_facts_with_nothing_lost_and_its_chain_intact(db_path: Path) -> None:
    assert _applied(FIXTURE_M003) == ["m001_initial", "m002_hash_chain", "m003_views"]
    _upgrades_with_nothing_lost(FIXTURE_M003, db_path, events=39)
    facts = [json.loads(f) for (f,) in rows(db_path, "SELECT facts FROM changes ORDER BY id")]
    assert facts == M003_FACTS
    _refused_as_append_only(db_path, "UPDATE changes SET facts = NULL WHERE id = 1", "DELETE FROM changes WHERE id = 1")
    # the migrated register keeps working, and new changes carry their facts
    assert run("mark", "quan y 4", "appraised", "--on", "2025-07-01").exit_code == 0
    assert run("verify").stdout.startswith("ok: 40 events checked\n")
    assert json.loads(rows(db_path, "SELECT facts FROM changes WHERE id = 9")[0][0]) == {
        "command": "mark",
        "milestone": "appraised",
        "action": "recorded",
        "facility": "military-hospital-4",
        "date": "2025-07-01",
        "previous": None,
    }


def test_verify_finds_a_change_whose_facts_were_altered(db_path: Path) -> None:
    shutil.copy(FIXTURE_M003, db_path)
    assert run("verify").exit_code == 0
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER changes_append_only_update")
    conn.execute("""UPDATE changes SET facts = json_set(facts, '$.date', '2025-08-01') WHERE id = 2""")
    conn.commit()
    conn.close()
    result = run("verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "emrtrack: verify failed after 39 good events: change #2: its recorded facts do not "
        "match its summary (altered)\n"
    )


FIXTURE_M004 = Path(__file__).parent / "data" / "schema" / "register-m004.db"
# What the release before bounds and obligations printed for the m004 fixture (its JSON, as of 2025-10-01).
SAVED_M004 = Path(__file__).parent / "data" / "schema" / "m004"


def _keeps(old: object, new: object, where: str = "") -> None:
    """Every key of `old` is in `new` with the same value (new keys may be added): old keys keep their meaning."""
    if isinstance(old, dict):
        assert isinstance(new, dict), where
        for key, value in old.items():
            assert key in new, f"{where}.{key} is gone"
            _keeps(value, new[key], f"{where}.{key}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), where
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _keeps(a, b, f"{where}[{i}]")
    else:
        assert new == old, f"{where}: {old!r} became {new!r}"


def test_m004_register_upgrades_with_nothing_lost_and_gives_the_same_reports(db_path: Path) -> None:
    assert _applied(FIXTURE_M004) == ["m001_initial", "m002_hash_chain", "m003_views", "m004_change_facts"]
    _upgrades_with_nothing_lost(FIXTURE_M004, db_path, events=40)
    # every milestone recorded before bounds is exact and has no source
    assert rows(db_path, "SELECT DISTINCT exact, source FROM milestones") == [(1, None)]
    for saved, args in (
        ("m004-report.json", ("report", "--as-of", "2025-10-01", "--format", "json")),
        ("m004-report13.json", ("report", "-r", "13/2025/TT-BYT", "--as-of", "2025-10-01", "--format", "json")),
        ("m004-status.json", ("status", "--as-of", "2025-10-01", "--format", "json")),
    ):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        _keeps(json.loads((SAVED_M004 / saved).read_text(encoding="utf-8")), json.loads(result.stdout), saved)
    # the views other tools read keep their columns, and gain the new ones
    assert rows(db_path, "SELECT COUNT(*) FROM facility_state") == [(66,)]  # as many rows as before
    assert rows(
        db_path,
        "SELECT facility_id, requirement_id, deadline, deployed, state, days_overdue, bound, days_late "
        "FROM facility_state WHERE facility_id = 'do-luong-general' ORDER BY requirement_id",
    ) == [
        ("do-luong-general", "13/2025/TT-BYT", "2025-09-30", "2025-08-22", "deployed-on-time", 0, "exact", 0),
        ("do-luong-general", "2898/SYT-VP", "2025-08-31", "2025-08-22", "deployed-on-time", 0, "exact", 0),
        ("do-luong-general", "KH-01/SYT", "2025-12-31", "2025-08-22", "deployed-on-time", 0, "exact", 0),
    ]


FIXTURE_M006 = Path(__file__).parent / "data" / "schema" / "register-m006.db"
# What the release before facilities' life printed for the m006 fixture, as of 2025-10-01.
SAVED_M006 = Path(__file__).parent / "data" / "schema" / "m006"


def test_m006_register_upgrades_with_nothing_lost_and_gives_the_same_reports(db_path: Path) -> None:
    """A register saved by the release before codes, lifecycle and exceptions: every fact, the history and its
    hashes as they were; the same reports (the CSV gains columns only where some facility has the new facts,
    and none has); the views rebuilt over the facts."""
    assert _applied(FIXTURE_M006) == [*migrations.NAMES[:6]]
    _upgrades_with_nothing_lost(FIXTURE_M006, db_path, events=66)
    assert rows(db_path, "SELECT COUNT(*) FROM facilities WHERE details IS NOT NULL") == [(0,)]
    for saved, args in (
        ("m006-report.json", ("report", "--as-of", "2025-10-01", "--format", "json")),
        ("m006-status.json", ("status", "--as-of", "2025-10-01", "--format", "json")),
    ):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        _keeps(json.loads((SAVED_M006 / saved).read_text(encoding="utf-8")), json.loads(result.stdout), saved)
    result = run("report", "--as-of", "2025-10-01", "--format", "csv")
    old = (SAVED_M006 / "m006-report.csv").read_text(encoding="utf-8").splitlines()
    new = result.stdout.splitlines()
    assert len(new) == len(old)
    for before, after in zip(old, new, strict=True):  # each row keeps its columns, in their places
        assert after.startswith(before)
    assert rows(db_path, "SELECT COUNT(*) FROM exceptions") == [(0,)]
    assert rows(db_path, "SELECT COUNT(*) FROM facility_codes") == [(0,)]
    assert rows(
        db_path,
        "SELECT facility_id, deadline, state, original_deadline, committed FROM obligation_state "
        "WHERE facility_id = 'quy-hop-medical-centre' AND requirement_id = '2898/SYT-VP' AND milestone = 'deployed'",
    ) == [("quy-hop-medical-centre", "2025-08-31", "deployed-on-time", None, None)]


# The schema emrtrack's steps make (m001 to m007), as SQLite keeps it. A register is checked against it when it is
# opened (a view or trigger it does not make is refused): so what a shipped step writes must never change, or the
# registers it made would be refused. To change a view, add a step that replaces it; then update this.
SCHEMA_SHA256 = "0aa76cb8beb0d9823b627ff652dab48c2e1587b982f94195105e8824a9f988b3"


def test_the_schema_the_steps_make_is_the_one_shipped() -> None:
    import hashlib

    from emrtrack.store.connection import expected_schema

    text = "\n".join(f"{t}|{n}|{tb}|{s}" for t, n, tb, s in sorted(expected_schema(), key=lambda r: (r[0], r[1])))
    assert list(migrations.NAMES)[-1] == "m007_facilities_as_they_live"
    assert hashlib.sha256(text.encode()).hexdigest() == SCHEMA_SHA256
