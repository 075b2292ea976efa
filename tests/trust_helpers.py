"""Helpers for the trust tests: every test that runs the command line points EMRTRACK_DB at a temporary file."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emrtrack.cli import app

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "data" / "nghe-an-2898.yaml"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A register path in tmp_path, set as EMRTRACK_DB so no test touches a real register."""
    path = tmp_path / "register.db"
    monkeypatch.setenv("EMRTRACK_DB", str(path))
    monkeypatch.delenv("EMRTRACK_DEBUG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return path


def run(*args: str):
    """Run the CLI in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def subprocess_env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "EMRTRACK_DEBUG"}
    env["EMRTRACK_DB"] = str(db_path)
    return env


CLI = [sys.executable, "-m", "emrtrack"]


def content_hash(path: Path) -> str:
    """A hash of every table's rows (sorted), independent of the file's page layout."""
    conn = sqlite3.connect(path)
    try:
        h = hashlib.sha256()
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for t in tables:
            h.update(f"\n#{t}\n".encode())
            for row in sorted(conn.execute(f'SELECT * FROM "{t}"'), key=repr):
                h.update(repr(row).encode())
        schema = conn.execute("SELECT group_concat(sql, ';') FROM "
                              "(SELECT sql FROM sqlite_master ORDER BY name)").fetchone()[0]
        h.update((schema or "").encode())
        return h.hexdigest()
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
