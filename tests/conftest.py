"""Shared fixtures: every test gets its own register file; helpers to run the CLI and fingerprint a register."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emrtrack import i18n

# Help texts are built when emrtrack.cli is imported, in the language of the environment: English for the
# tests, whatever the machine's locale (each test starts in English too: see db_path).
os.environ["EMRTRACK_LANG"] = "en"

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


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run(*args: str, input: str | None = None) -> Result:
    """Run the CLI in-process; stdout and stderr are kept apart."""
    from emrtrack.cli import app

    result = CliRunner().invoke(app, list(args), input=input, prog_name="emrtrack")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(name="run")
def run_fixture():
    return run


def table_hash(path: Path) -> str:
    """A hash of the schema and every row of every table: equal hashes mean the same register content."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        objects = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
        for kind, name, sql in objects:
            digest.update(f"{kind}\0{name}\0{sql}\n".encode())
            if kind == "table":
                for row in sorted(repr(r) for r in conn.execute(f'SELECT * FROM "{name}"')):
                    digest.update(row.encode() + b"\n")
        return digest.hexdigest()
    finally:
        conn.close()


def rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a read-only query on a register file."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


SMALL = """\
register:
  name: Test register
  timezone: Asia/Ho_Chi_Minh
requirements:
  - id: 2898/SYT-VP
    title: Đẩy nhanh tiến độ
    issued: 2025-07-09
    deadline: 2025-08-31
    default: true
  - id: 13/2025/TT-BYT
    issued: 2025-06-06
    deadlines:
      - applies_to: {kind: [hospital]}
        deadline: 2025-09-30
      - deadline: 2026-12-31
facilities:
  - id: do-luong-general
    name: Bệnh viện Đa khoa Đô Lương
    ownership: public
    kind: hospital
    verified: 2025-07-09
  - id: hung-nguyen-centre
    name: Trung tâm Y tế Hưng Nguyên
    ownership: public
    kind: medical-centre
    milestones: {deployed: 2025-08-20}
  - id: hoan-my-vinh
    name: Bệnh viện Đa khoa Hoàn Mỹ Vinh
    aliases: [Hoan My]
    ownership: non-public
    kind: hospital
    milestones: {appraised: 2025-08-01, deployed: 2025-09-05}
  - id: thai-an
    name: Bệnh viện Đa khoa Thái An
    ownership: non-public
    kind: hospital
"""


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
