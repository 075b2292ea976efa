"""Tamper evidence: the hash chain and the replay catch direct edits of the register file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import SHIPPED, rows, run

from emrtrack.store.chain import GENESIS

# Marks, history and verification are exercised on the register as the dispatch left it (no milestone).
pytestmark = pytest.mark.usefixtures("dispatch_day_db")


def _make(db_path: Path) -> None:
    assert run("status").exit_code == 0  # the register holds the dispatch-day data (30 events)
    assert run("mark-deployed", "do luong", "--on", "2025-08-20", "--by", "a").exit_code == 0
    assert run("mark", "hoan my", "annex-signed", "--on", "2025-08-25", "--by", "b").exit_code == 0
    assert run("mark", "quan y 4", "appraised", "--on", "2025-07-01", "--by", "b").exit_code == 0
    assert run("undo", "--yes").exit_code == 0


def _edit(db_path: Path, *sql: str, params: tuple = ()) -> None:
    conn = sqlite3.connect(db_path)
    for trigger in (
        "events_append_only_update",
        "events_append_only_delete",
        "changes_append_only_update",
        "changes_append_only_delete",
    ):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in sql:
        conn.execute(statement, params if "?" in statement else ())
    conn.commit()
    conn.close()


def _head(db_path: Path) -> str:
    return rows(db_path, "SELECT hash FROM events ORDER BY id DESC LIMIT 1")[0][0]


def test_untouched_register_verifies(db_path: Path) -> None:
    _make(db_path)
    result = run("verify")
    assert result.exit_code == 0
    assert result.stdout == f"ok: 34 events checked\nlast hash: {_head(db_path)}\n"
    assert result.stderr == ""


def test_chain_links_every_event(db_path: Path) -> None:
    _make(db_path)
    events = rows(db_path, "SELECT id, prev_hash, hash FROM events ORDER BY id")
    assert [r[0] for r in events] == list(range(1, 35))
    assert events[0][1] == GENESIS
    for before, after in zip(events, events[1:], strict=False):
        assert after[1] == before[2]
    assert len({r[2] for r in events}) == 34


def _fails(expected: str) -> None:
    result = run("verify")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"emrtrack: {expected}\n"


def test_changed_date_is_caught(db_path: Path) -> None:
    _make(db_path)
    _edit(db_path, "UPDATE events SET new = '2025-08-01' WHERE id = 31")
    _fails("verify failed after 30 good events: event #31: its content or its change #2 was altered")


def test_changed_recorded_at_of_a_change_is_caught(db_path: Path) -> None:
    _make(db_path)
    _edit(db_path, "UPDATE changes SET recorded_at = '2020-01-01T00:00:00Z' WHERE id = 3")
    _fails("verify failed after 31 good events: event #32: its content or its change #3 was altered")


def test_changed_actor_is_caught(db_path: Path) -> None:
    _make(db_path)
    _edit(db_path, "UPDATE changes SET actor = 'someone-else' WHERE id = 2")
    _fails("verify failed after 30 good events: event #31: its content or its change #2 was altered")


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE changes SET reverts = 9e999 WHERE id = 2",  # an infinity where NULL was: JSON has no such number
        "UPDATE changes SET reverts = 0.5 WHERE id = 2",
        "UPDATE events SET new = CAST(new AS BLOB) WHERE id = 31",  # the same bytes, stored as a blob
        "UPDATE events SET key = CAST(key AS BLOB) WHERE id = 31",
    ],
)
def test_a_value_of_a_kind_emrtrack_never_writes_is_caught(db_path: Path, edit: str) -> None:
    _make(db_path)
    _edit(db_path, edit)
    _fails("verify failed after 30 good events: event #31: its content or its change #2 was altered")


def test_deleted_event_is_caught(db_path: Path) -> None:
    _make(db_path)
    _edit(db_path, "DELETE FROM events WHERE id = 32")
    _fails("verify failed after 31 good events: event #33: the event before it (#32) was deleted")


def test_deleted_last_event_is_caught_by_the_replay(db_path: Path) -> None:
    _make(db_path)
    _edit(db_path, "DELETE FROM events WHERE id = 34")
    result = run("verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "emrtrack: verify failed after 33 good events: change #5 has no events (its events were deleted)\n"
    )


def test_deleted_last_change_and_event_is_caught_by_the_replay(db_path: Path) -> None:
    _make(db_path)
    _edit(db_path, "DELETE FROM events WHERE id = 34", "DELETE FROM changes WHERE id = 5")
    _fails(
        "verify failed after 33 good events: the current tables do not match the history: milestone "
        "appraised of 'military-hospital-4' is None in the register but '2025-07-01' in the history"
    )


def test_inserted_event_without_hash_is_caught(db_path: Path) -> None:
    _make(db_path)
    _edit(
        db_path,
        "INSERT INTO events (id, change_id, entity, key, milestone, action, old, new) "
        "VALUES (35, 2, 'milestone', 'do-luong-general', 'appraised', 'recorded', NULL, '2025-06-01')",
    )
    _fails("verify failed after 34 good events: event #35: it has no hash: it was inserted outside emrtrack")


def test_event_inserted_out_of_order_is_caught(db_path: Path) -> None:
    """A well-formed event (hash computed by the forger) inserted in the middle of the history."""
    from emrtrack.store.chain import CHANGE_COLUMNS, event_hash

    _make(db_path)
    (change,) = rows(db_path, f"SELECT {', '.join(CHANGE_COLUMNS)} FROM changes WHERE id = 2")
    [(prev,)] = rows(db_path, "SELECT hash FROM events WHERE id = 31")
    # a correct-looking event chained after #31, appended as #35 so that the ids stay contiguous
    content = (35, 2, "milestone", "do-luong-general", "appraised", "recorded", None, "2025-06-01")
    h = event_hash(prev, content, change)
    _edit(
        db_path,
        "INSERT INTO events (id, change_id, entity, key, milestone, action, old, new, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params=(*content, prev, h),
    )
    _fails(
        "verify failed after 34 good events: event #35: it was inserted out of order "
        "(its chain does not follow the event before it)"
    )


def test_edited_current_table_is_caught(db_path: Path) -> None:
    _make(db_path)
    _edit(db_path, "UPDATE milestones SET date = '2025-08-01' WHERE facility_id = 'do-luong-general'")
    _fails(
        "verify failed after 34 good events: the current tables do not match the history: milestone "
        "deployed of 'do-luong-general' is '2025-08-01' in the register but '2025-08-20' in the history"
    )


def test_row_added_to_current_table_is_caught(db_path: Path) -> None:
    _make(db_path)
    _edit(
        db_path,
        "INSERT INTO milestones (facility_id, milestone, date) VALUES ('nghi-loc-general', 'deployed', '2025-08-30')",
    )
    _fails(
        "verify failed after 34 good events: the current tables do not match the history: milestone "
        "deployed of 'nghi-loc-general' is '2025-08-30' in the register but None in the history"
    )


def test_facility_renamed_in_current_table_is_caught(db_path: Path) -> None:
    _make(db_path)
    _edit(db_path, "UPDATE facilities SET name = 'Renamed' WHERE id = 'do-luong-general'")
    result = run("verify")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "emrtrack: verify failed after 34 good events: the current tables do not "
        "match the history: facility 'do-luong-general': its search names"
    )


def test_requirement_deadline_edited_is_caught(db_path: Path) -> None:
    _make(db_path)
    doc = json.loads(rows(db_path, "SELECT doc FROM requirements WHERE id = '2898/SYT-VP'")[0][0])
    doc["deadlines"][0]["deadline"] = "2026-12-31"
    _edit(
        db_path,
        "UPDATE requirements SET doc = ? WHERE id = '2898/SYT-VP'",
        params=(json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")),),
    )
    result = run("verify")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "emrtrack: verify failed after 34 good events: the current tables do not "
        "match the history: requirement '2898/SYT-VP' is "
    )


def test_verify_counts_events_after_more_work(db_path: Path) -> None:
    _make(db_path)
    assert run("mark-deployed", "nghi loc", "--on", "2025-08-30").exit_code == 0
    assert run("load", "--by", "x", str(SHIPPED)).exit_code == 0
    result = run("verify")
    assert result.exit_code == 0
    # 35, then the shipped data's bounds for the 23 facilities without an exact date (the two marked keep
    # theirs: a bound after it says less), its third requirement, two updated, and two register facts
    assert result.stdout.startswith("ok: 63 events checked\n")
    assert rows(db_path, "SELECT date, exact FROM milestones WHERE facility_id = 'nghi-loc-general'") == [
        ("2025-08-30", 1)
    ]
