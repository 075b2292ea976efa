"""What the tests share besides their fixtures (those are in conftest.py): running the command line, reading a
register file, and the small register's data. Imported as `from helpers import ...` (tests/ is on sys.path)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import ModuleType

import yaml
from click.testing import Result
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "data" / "nghe-an-2898.yaml"
# The shipped register as the dispatch of 9 July 2025 left it (no milestone): where marks, history and
# verification are exercised.
DISPATCH_DAY = ROOT / "tests" / "data" / "dispatch-day" / "nghe-an-2898.yaml"
CLI = [sys.executable, "-m", "emrtrack"]
BENCH = ROOT / "bench" / "run.py"


@contextmanager
def bench_module(name: str) -> Iterator[ModuleType]:
    """The benchmark (bench/run.py, a script) imported as the module `name`, for as long as the block lasts (its
    dataclasses need it in sys.modules)."""
    spec = importlib.util.spec_from_file_location(name, BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]


# -- the command line ------------------------------------------------------------------------------
def run(*args: str, input: str | None = None) -> Result:
    """Run `emrtrack ARGS...` in-process on $EMRTRACK_DB. Click's result: exit_code, stdout and stderr kept apart
    (stdout_bytes too, for output whose line ends matter); an exception other than an exit is raised."""
    from emrtrack.cli import app  # on first use: its help texts are built in the language of the environment

    return CliRunner().invoke(app, list(args), input=input, prog_name="emrtrack", catch_exceptions=False)


def subprocess_env(db_path: Path) -> dict[str, str]:
    """The environment for running CLI as a child process on the register at `db_path`."""
    env = {k: v for k, v in os.environ.items() if k != "EMRTRACK_DEBUG"}
    env["EMRTRACK_DB"] = str(db_path)
    return env


# -- reading a register file -----------------------------------------------------------------------
@contextmanager
def _reading(path: Path) -> Iterator[sqlite3.Connection]:
    """The register file opened read-only, as it is: nothing created, migrated or written."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a read-only query on a register file."""
    with _reading(path) as conn:
        return conn.execute(sql, params).fetchall()


def table_hash(path: Path) -> str:
    """A hash of the schema (every object's type, name and SQL) and of every row of every table, SQLite's own
    included, independent of the file's page layout: equal hashes mean the same register content."""
    with _reading(path) as conn:
        digest = hashlib.sha256()
        objects = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        for kind, name, sql in objects:
            digest.update(f"{kind}\0{name}\0{sql}\n".encode())
            if kind == "table":
                for row in sorted(repr(r) for r in conn.execute(f'SELECT * FROM "{name}"')):
                    digest.update(row.encode() + b"\n")
        return digest.hexdigest()


def integrity(path: Path) -> str:
    """SQLite's integrity check of a register file: "ok" when whole."""
    return rows(path, "PRAGMA integrity_check")[0][0]


# -- the small register (the `small` and `small_one_requirement` fixtures) ----------------------------
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


def _one_requirement(small: str) -> str:
    """SMALL cut down to one requirement (R/1, with an issuer) and three facilities, one of them a clinic.

    test_cli.py's exact-output tests spell out whole tables, JSON and Markdown for this register, while some
    forty tests count and name SMALL's four facilities and two requirements: neither set of expected outputs
    holds for the other's data, so this one is derived from SMALL, and the changes are all listed here (SMALL's time
    zone is kept: it is the default one)."""
    doc = yaml.safe_load(small)
    default = doc["requirements"][0]  # 2898/SYT-VP: the default, deadline 2025-08-31
    doc["requirements"] = [
        {**default, "id": "R/1", "title": "Deploy EMR", "issuer": "Sở Y tế", "issued": date(2025, 1, 1)}
    ]
    do_luong, hung_nguyen = doc["facilities"][:2]
    do_luong.update(aliases=["Do Luong General Hospital"], milestones={"appraised": date(2025, 8, 1)})
    hung_nguyen.update(id="hung-nguyen-medical-centre", verified=date(2025, 7, 9))
    clinic = {"id": "hoan-my-clinic", "name": "Phòng khám Hoàn Mỹ", "ownership": "non-public", "kind": "clinic"}
    doc["facilities"] = [do_luong, hung_nguyen, clinic]
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


SMALL_ONE_REQUIREMENT = _one_requirement(SMALL)
