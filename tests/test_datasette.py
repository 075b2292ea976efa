"""The Datasette metadata shipped in the package (emrtrack/datasette/metadata.yaml): a real `datasette` serving a
register read-only gives, through the canned queries, what emrtrack's own commands give for the same register."""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import CLI, run, subprocess_env

METADATA = files("emrtrack").joinpath("datasette/metadata.yaml")
# Straight to the local server, whatever proxy the environment names.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# A requirement whose cohorts make the order of `report --overdue` matter: public hospitals have the latest
# deadline (fewest days overdue) and non-public facilities the earliest, so ownership must come before days.
ORDERING = """\
requirements:
  - id: TEST/ORDER
    title: Thứ tự
    issued: 2025-07-09
    deadlines:
      - applies_to: {ownership: [public], kind: [hospital]}
        deadline: 2025-12-31
      - applies_to: {ownership: [public]}
        deadline: 2025-11-15
      - deadline: 2025-10-01
"""


def _metadata() -> dict[str, Any]:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def _datasette(db: Path, log: Path) -> Iterator[str]:
    """`datasette serve --immutable DB` with the shipped metadata on a free port of 127.0.0.1: its base URL."""
    port = _free_port()
    with as_file(METADATA) as metadata, log.open("wb") as out:
        args = [sys.executable, "-m", "datasette", "serve", "--immutable", str(db), "--metadata", str(metadata)]
        proc = subprocess.Popen(
            [*args, "--host", "127.0.0.1", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None, log.read_text(errors="replace")
                try:
                    with _LOCAL.open(f"{base}/-/versions.json", timeout=5):
                        break
                except (urllib.error.URLError, ConnectionError):
                    assert time.monotonic() < deadline, "datasette did not answer in 30 s\n" + log.read_text()
                    time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _get(base: str, path: str, **params: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"_shape": "array", **params})
    with _LOCAL.open(f"{base}/register/{path}.json?{query}", timeout=30) as response:
        rows: list[dict[str, Any]] = json.load(response)
    return rows


def _report(as_of: str, requirement: str) -> list[tuple[str, str, int]]:
    """(requirement, facility, days overdue) of `emrtrack report --overdue`, in its order."""
    result = run("report", "--overdue", "--format", "json", "--as-of", as_of, "-r", requirement)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    reports = data["reports"] if requirement == "all" else [data]
    return [(r["requirement"]["id"], f["id"], f["days_overdue"]) for r in reports for f in r["facilities"]]


@pytest.mark.slow
def test_canned_queries_served_read_only_give_what_emrtrack_gives(dispatch_day_db: Path, tmp_path: Path) -> None:
    # The register as on the dispatch day (overdue under every requirement today), with a requirement whose
    # cohorts make the order matter, one facility deployed on time and one deployed on or before a date.
    extra = tmp_path / "ordering.yaml"
    extra.write_text(ORDERING, encoding="utf-8")
    for args in (
        ("load", str(extra)),
        ("mark-deployed", "nghe-an-lung", "--on", "2025-08-20"),
        ("mark-deployed", "an-phat-general", "--on-or-before", "2025-09-24", "--source", "a statement"),
    ):
        done = subprocess.run([*CLI, *args], env=subprocess_env(dispatch_day_db), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    # Each command, a process of its own as a user runs it, leaves nothing in a write-ahead log (which an immutable
    # reader would not see).
    assert not Path(f"{dispatch_day_db}-wal").exists()
    before = _sha256(dispatch_day_db)

    with _datasette(dispatch_day_db, tmp_path / "datasette.log") as base:
        served = {r: _get(base, "overdue-today", requirement_id=r) for r in ("2898/SYT-VP", "TEST/ORDER", "")}
        found = {q: [row["id"] for row in _get(base, "facility", name=q)] for q in ("do luong", "ĐÔ LƯƠNG", "bvdk 115")}

    assert _sha256(dispatch_day_db) == before  # opened read-only: the register is not touched
    as_of = served[""][0]["as_of"]  # the views' today, which the report is asked for
    for requirement, rows in served.items():
        assert {row["as_of"] for row in rows} == {as_of}
        got = [(row["requirement_id"], row["facility_id"], row["days_overdue"]) for row in rows]
        assert got == _report(as_of, requirement or "all"), requirement
    assert len(served["2898/SYT-VP"]) == 23  # 25, less the two deployed
    ordering = [(row["ownership"], row["days_overdue"]) for row in served["TEST/ORDER"]]
    assert ordering[0][0] == "public" and ordering[-1][0] == "non-public"
    assert len({days for _, days in ordering}) == 3
    assert found == {"do luong": ["do-luong-general"], "ĐÔ LƯƠNG": ["do-luong-general"], "bvdk 115": ["general-115"]}


def test_metadata_describes_the_register(shipped_db: Path) -> None:
    """Every table and view it describes exists, with the columns it describes (the views share one list)."""
    metadata = _metadata()
    assert "bệnh án điện tử" in metadata["title"]
    database = metadata["databases"]["register"]
    with sqlite3.connect(f"file:{shipped_db}?mode=ro", uri=True) as conn:
        for table, described in database["tables"].items():
            columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            assert columns, table
            if table not in ("obligation_state", "facility_state", "overdue"):  # the views of the states share one list
                assert set(described.get("columns", {})) <= columns, table
        state = set(database["tables"]["obligation_state"]["columns"])
        for view in ("obligation_state", "facility_state", "overdue"):
            assert {row[1] for row in conn.execute(f"PRAGMA table_info({view})")} <= state, view
    for query in database["queries"].values():
        assert " — " in query["title"]  # English — Vietnamese
    assert not set(database["queries"]) & set(database["tables"])  # a query named like a view would hide it


def test_the_name_query_folds_as_emrtrack_does(shipped_db: Path) -> None:
    """The facility query, run as Datasette runs it, finds each facility by its name and by each alias, as typed,
    in capitals, decomposed (NFD), with invisible characters pasted in, and by its id; and folds as `fold` does."""
    from emrtrack.naming import fold

    sql = _metadata()["databases"]["register"]["queries"]["facility"]["sql"]
    with sqlite3.connect(f"file:{shipped_db}?mode=ro", uri=True) as conn:
        facilities = conn.execute("SELECT id, name, aliases, folded FROM facilities").fetchall()

        def found(name: str) -> list[str]:
            return [row[0] for row in conn.execute(sql, {"name": name})]

        for fid, name, aliases, folded in facilities:
            for written in (name, *json.loads(aliases)):
                for typed in (written, written.upper(), unicodedata.normalize("NFD", written), "\u00ad".join(written)):
                    assert fid in found(typed), (fid, typed)
            assert found(fid) == [fid]
            # the first name, folded by the query's own SQL, is the first line of `folded`
            assert fold(name) == folded.split("\n")[0]
        assert found("do luong") == ["do-luong-general"]
        assert found("  Đô-Lương!! ") == ["do-luong-general"]
        assert found("ttyt quy hop") == ["quy-hop-medical-centre"]
        assert found("uong") == []  # a part of a name counts only where it starts a word, as in emrtrack
        assert len(found("")) == len(facilities)
