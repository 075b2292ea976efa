"""A register that cannot be written (a read-only file system, an immutable file or folder): the commands that
only read it work, and each command that writes says why in one line, exit code 1, with the register unchanged.

The administrator (and so a test run as root) may write any file whatever its permissions: what stops even the
administrator is a read-only mount or an immutable file (`chattr +i`). Each test runs on both where this machine
allows them, and on a stand-in (the register taken for read-only where it could be written) everywhere, so that
the behaviour is tested wherever the tests run."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import run, table_hash
from places import MOUNTED, STAND_IN, copy_register, remount_read_only, tmpfs

from emrtrack.store import connection

IMMUTABLE = "immutable"
READ_ONLY = (
    "the register cannot be written: its file or its folder is read-only, so nothing was changed; "
    "commands that only read it still work"
)


@dataclass
class Place:
    folder: Path
    kind: str


def _chattr(flag: str, *paths: Path) -> bool:
    try:
        return subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@contextmanager
def read_only_place(
    kind: str, folder: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Place]:
    """`folder` holding copies of `files` (name: source), then made read-only as `kind` says, or by the stand-in
    where this machine does not allow it."""

    def put() -> None:
        for name, source in files.items():
            shutil.copyfile(source, folder / name)

    if kind == MOUNTED:
        with tmpfs(folder, "8m") as mounted:
            put()
            if mounted and remount_read_only(folder):
                yield Place(folder, MOUNTED)
                return
    elif kind == IMMUTABLE:
        folder.mkdir()
        put()
        paths = [folder / name for name in files]
        if _chattr("+i", *paths, folder):
            try:
                yield Place(folder, IMMUTABLE)
            finally:
                _chattr("-i", folder, *paths)
            return
    else:
        folder.mkdir()
    put()  # again where a file system was mounted for the test, then could not be made read-only
    writable = connection.writable
    monkeypatch.setattr(connection, "writable", lambda path: path.parent != folder and writable(path))
    yield Place(folder, STAND_IN)


@pytest.fixture(params=[MOUNTED, IMMUTABLE, STAND_IN])
def place(
    request: pytest.FixtureRequest, dispatch_day_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Place]:
    """The dispatch-day register with one mark (change #2), as `register.db` in a read-only folder."""
    assert run("mark", "quan y 4", "appraised", "--on", "2025-07-01", "--db", str(dispatch_day_db)).exit_code == 0
    settle = sqlite3.connect(dispatch_day_db)  # the file alone holds the mark: only the file is copied
    settle.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    settle.close()
    with read_only_place(request.param, tmp_path / "ro", {"register.db": dispatch_day_db}, monkeypatch) as p:
        yield p


def _content(register: Path, tmp_path: Path) -> str:
    """The register's content, read from a copy (SQLite cannot open it where it is, read-only, as it is)."""
    copy = tmp_path / "content.db"
    shutil.copyfile(register, copy)
    try:
        return table_hash(copy)
    finally:
        copy.unlink()


def test_the_reading_commands_work_on_a_read_only_register(place: Place, tmp_path: Path) -> None:
    register = place.folder / "register.db"
    before = _content(register, tmp_path)
    db = ["--db", str(register)]
    status = run("status", *db)
    assert (status.exit_code, status.stderr) == (0, ""), status.stderr
    assert "2898/SYT-VP" in status.stdout
    report = run("report", "--overdue", "--as-of", "2025-09-01", "--format", "json", *db)
    assert (report.exit_code, json.loads(report.stdout)["count"]) == (0, 25)
    show = run("show", "do", "luong", *db)
    assert (show.exit_code, "Bệnh viện Đa khoa Đô Lương" in show.stdout) == (0, True)
    history = run("history", "--format", "json", *db)
    assert history.exit_code == 0 and json.loads(history.stdout)
    verify = run("verify", *db)
    assert (verify.exit_code, verify.stdout.startswith("ok: ")) == (0, True)
    export = run("export", "--output", str(tmp_path / "facilities.yaml"), *db)
    assert export.exit_code == 0 and "id: do-luong-general" in (tmp_path / "facilities.yaml").read_text(
        encoding="utf-8"
    )
    backup = run("backup", str(tmp_path / "copy.db"), *db)
    assert backup.exit_code == 0, backup.stderr
    assert table_hash(tmp_path / "copy.db") == before
    assert _content(register, tmp_path) == before


def test_each_writing_command_says_why_in_one_line(place: Place, tmp_path: Path) -> None:
    register = place.folder / "register.db"
    before = _content(register, tmp_path)
    db = ["--db", str(register)]
    data = tmp_path / "one.yaml"
    data.write_text(
        "facilities:\n  - {id: new-one, name: Trạm Y tế Mới, ownership: public, kind: other}\n", encoding="utf-8"
    )
    expected = f"emrtrack: {register}: {READ_ONLY}\n"
    for args in (
        ["mark-deployed", "do luong", "--on", "2025-08-20"],
        ["mark", "do luong", "appraised", "--on", "2025-08-01"],
        ["load", str(data)],
        ["undo", "--yes"],
    ):
        r = run(*args, *db)
        assert (r.exit_code, r.stderr) == (1, expected), (args, r.stdout)
        assert not r.stdout.startswith(("Recorded", "Updated")) and "Reverted" not in r.stdout
    dry = run("load", str(data), "--dry-run", *db)  # a dry run writes nothing: it works
    assert dry.exit_code == 0, dry.stderr
    assert _content(register, tmp_path) == before


def test_a_backup_into_a_read_only_folder_says_so(place: Place, dispatch_day_db: Path) -> None:
    dest = place.folder / "backup.db"
    r = run("backup", str(dest), "--db", str(dispatch_day_db))
    if place.kind == STAND_IN:  # the folder can be written: only a register there is taken for read-only
        assert (r.exit_code, dest.exists()) == (0, True)
    else:
        assert (r.exit_code, r.stderr) == (
            1,
            f"emrtrack: {dest}: this place cannot be written (it is read-only, or not yours to write): nothing was written\n",
        )
        assert not dest.exists()


def test_changes_still_in_the_write_ahead_log_of_a_read_only_register(
    request: pytest.FixtureRequest, tmp_path: Path, dispatch_day_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A register left with changes in its `-wal` file (copied while in use) cannot be read as it is where SQLite
    cannot make its shared memory: the command says so rather than answer without those changes."""
    live = tmp_path / "live"
    live.mkdir()
    copy_register(dispatch_day_db, live / "register.db")
    writer = sqlite3.connect(live / "register.db")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("INSERT INTO meta VALUES ('wal-only', 'x')")
    writer.commit()  # a commit that stays in the -wal file while the writer has the register open
    files = {"register.db": live / "register.db", "register.db-wal": Path(f"{live / 'register.db'}-wal")}
    for kind in (MOUNTED, IMMUTABLE, STAND_IN):
        with read_only_place(kind, tmp_path / f"ro-{kind}", files, monkeypatch) as p:
            r = run("status", "--db", str(p.folder / "register.db"))
            if p.kind == STAND_IN:  # SQLite can make its shared memory: it reads the log
                assert (r.exit_code, r.stderr) == (0, "")
            else:
                assert (r.exit_code, r.stderr) == (
                    1,
                    f"emrtrack: {p.folder / 'register.db'}: the register cannot be read here: its file or folder is "
                    "read-only and its latest changes are still in register.db-wal; open it once where it can be "
                    "written\n",
                )
        monkeypatch.undo()
    writer.close()
