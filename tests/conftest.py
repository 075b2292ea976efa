"""Shared fixtures: every test gets its own register file; the shipped and small registers. The helpers the tests
call (run, rows, table_hash, ...) and the small register's data are in helpers.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import DISPATCH_DAY, SMALL, SMALL_ONE_REQUIREMENT, run
from typer.testing import CliRunner

from emrtrack import i18n

SHIPPED_FACILITIES = 25


@pytest.fixture(autouse=True)
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point EMRTRACK_DB at a file of this test's own, so no test touches a real register."""
    path = tmp_path / "register.db"
    monkeypatch.setenv("EMRTRACK_DB", str(path))
    monkeypatch.delenv("EMRTRACK_DEBUG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    # English unless a test asks otherwise, whatever the machine's locale
    for var in ("EMRTRACK_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    i18n.set_language("en")
    return path


@pytest.fixture(scope="session")
def _shipped_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A register loaded once with the shipped data, closed so that the file alone holds it."""
    from emrtrack.service.registers import open_register

    path = tmp_path_factory.mktemp("template") / "register.db"
    notes: list[str] = []
    register = open_register(path, notify=notes.append)
    assert register.facility_count() == SHIPPED_FACILITIES
    assert len(notes) == 1
    register.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    register.close()
    return path


@pytest.fixture
def shipped_db(db_path: Path, _shipped_template: Path) -> Path:
    """This test's register (EMRTRACK_DB), already holding the shipped data."""
    shutil.copyfile(_shipped_template, db_path)
    return db_path


@pytest.fixture
def register(shipped_db: Path):
    """An open Register on a copy of the shipped data."""
    from emrtrack.store import Register

    reg = Register.open(shipped_db)
    yield reg
    reg.close()


@pytest.fixture(scope="session")
def _dispatch_day_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A register made as a new one is, but from the dispatch-day data (tests/data/dispatch-day)."""
    from emrtrack.service.registers import load_files
    from emrtrack.store import Register

    path = tmp_path_factory.mktemp("dispatch-day") / "register.db"
    register = Register.open(path)
    load_files(register, [DISPATCH_DAY], actor="emrtrack", source="nghe-an-2898.yaml (shipped)")
    assert register.facility_count() == SHIPPED_FACILITIES
    register.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    register.close()
    return path


@pytest.fixture
def dispatch_day_db(db_path: Path, _dispatch_day_template: Path) -> Path:
    """This test's register (EMRTRACK_DB), holding the dispatch-day data: 25 facilities, no milestone."""
    shutil.copyfile(_dispatch_day_template, db_path)
    return db_path


@pytest.fixture
def dispatch_day_register(dispatch_day_db: Path):
    """An open Register on a copy of the dispatch-day data."""
    from emrtrack.store import Register

    reg = Register.open(dispatch_day_db)
    yield reg
    reg.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def small(tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A register holding only the four facilities of SMALL (not the shipped data)."""
    from emrtrack.service.registers import load_files
    from emrtrack.store import Register

    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    db = tmp_path / "small.db"
    register = Register.open(db)
    load_files(register, [path], actor="test")
    register.close()
    monkeypatch.setenv("EMRTRACK_DB", str(db))
    return db


@pytest.fixture
def small_one_requirement(db_path: Path, tmp_path: Path) -> Path:
    """This test's register (EMRTRACK_DB) holding only SMALL_ONE_REQUIREMENT (three facilities, one requirement:
    see helpers._one_requirement), loaded through the command line."""
    from emrtrack.store import Register

    Register.open(db_path).close()  # an empty register: not filled with the shipped data
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_ONE_REQUIREMENT, encoding="utf-8")
    r = run("load", str(path), "--by", "tester")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout == (
        "Facilities: 3 added, 0 updated, 0 unchanged; 0 in the register but not in these files (kept).\n"
        "Requirements: 1 added, 0 updated.\n"
        "Milestones: 2 recorded.\n"
        "Recorded as change #1.\n"
    )
    return db_path
