"""undo --change N: one change reverted on its own, so that a wrong mark goes without touching anyone else's work;
refused, with the reason, when it cannot be."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import rows, run, table_hash


def _mark(*args: str) -> int:
    r = run("mark-deployed", *args)
    assert r.exit_code == 0, r.stderr
    return int(json.loads(run("history", "--format", "json", "-n", "1").stdout)[0]["change"])


def test_a_wrong_mark_is_undone_alone_while_others_marked_after_it(dispatch_day_db: Path) -> None:
    wrong = _mark("hoan my", "--on", "2025-08-20", "--by", "officer-a")  # meant for another hospital
    _mark("do luong", "--on", "2025-08-21", "--by", "officer-b")
    _mark("thai an", "--on", "2025-08-22", "--by", "officer-a")
    r = run("undo", "--change", str(wrong), "--yes", "--by", "officer-a")
    assert r.exit_code == 0, r.stderr
    first, last = r.stdout.splitlines()
    assert first.startswith(f"Change #{wrong}, recorded ") and "by officer-a (mark deployed, cli)" in first
    assert last == f"Reverted change #{wrong}; recorded as change #{wrong + 3}."
    assert rows(dispatch_day_db, "SELECT facility_id, date FROM milestones ORDER BY facility_id") == [
        ("do-luong-general", "2025-08-21"),
        ("thai-an-general", "2025-08-22"),
    ]
    undo = json.loads(run("history", "--format", "json", "-n", "1").stdout)[0]
    assert (undo["change"], undo["reverts"], undo["by"]) == (wrong + 3, wrong, "officer-a")
    assert run("verify").exit_code == 0


def test_a_change_whose_facts_changed_since_is_refused_with_the_later_change(dispatch_day_db: Path) -> None:
    first = _mark("do luong", "--on", "2025-08-20", "--by", "officer-a")
    later = _mark("do luong", "--on", "2025-08-25", "--correct", "--by", "officer-b")
    before = table_hash(dispatch_day_db)
    for lang, expected in (
        (
            "en",
            f"emrtrack: cannot undo change #{first} alone: change #{later} (by officer-b) changed deployed of "
            "do-luong-general since; undo that one first, or record what is right with --correct\n",
        ),
        (
            "vi",
            f"emrtrack: không thể hoàn tác riêng thay đổi #{first}: thay đổi #{later} (của officer-b) đã sửa "
            "deployed của do-luong-general sau đó; hãy hoàn tác thay đổi đó trước, hoặc ghi nhận dữ liệu đúng bằng "
            "--correct\n",
        ),
    ):
        r = run("undo", "--change", str(first), "--yes", "--lang", lang)
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", expected)
    assert table_hash(dispatch_day_db) == before
    assert run("undo", "--change", str(later), "--yes").exit_code == 0  # the later one first
    assert run("undo", "--change", str(first), "--yes").exit_code == 0  # then the first goes too
    assert rows(dispatch_day_db, "SELECT * FROM milestones") == []


def test_changes_that_cannot_be_undone_say_why(dispatch_day_db: Path) -> None:
    mark = _mark("do luong", "--on", "2025-08-20")
    assert run("undo", "--change", str(mark), "--yes").exit_code == 0
    undo = mark + 1
    before = table_hash(dispatch_day_db)
    for change, message in (
        (1, "change #1 created the register and is never undone: load a corrected file instead"),
        (99, f"there is no change #99 (the last is #{undo})"),
        (mark, f"change #{mark} was undone already, by change #{undo}"),
        (undo, f"change #{undo} is the undo of #{mark}: record what is right again instead"),
    ):
        r = run("undo", "--change", str(change), "--yes")
        assert (r.exit_code, r.stderr) == (1, f"emrtrack: {message}\n"), r.stderr
    assert run("undo", "--change", "0").exit_code == 2  # not a change number
    assert table_hash(dispatch_day_db) == before
