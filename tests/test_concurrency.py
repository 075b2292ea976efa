"""Concurrent officers: 8 processes mark facilities through the command line at the same moment."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import CLI, integrity, rows, subprocess_env

PROCESSES = 8
MILESTONES = ("appraised", "deployed", "annex-signed")

# Each worker runs the real command line in-process (one Python start-up, 25 commands).
WORKER = """
import sys, time
from typer.testing import CliRunner
from emrtrack.cli import app
start, milestone, ids = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
while time.time() < start:
    time.sleep(0.005)
for fid in ids:
    r = CliRunner().invoke(app, ["mark", fid, milestone, "--on", "2025-07-01", "--by", "worker"])
    print(r.exit_code, fid, repr(r.stdout), repr(r.stderr), flush=True)
"""


@pytest.mark.slow
def test_eight_officers_marking_at_once(dispatch_day_db: Path) -> None:
    db = dispatch_day_db  # 25 facilities, none with a milestone yet
    env = subprocess_env(db)
    ids = [r[0] for r in rows(db, "SELECT id FROM facilities ORDER BY id")]
    assert len(ids) == 25
    start = time.time() + 3
    procs = []
    for p in range(PROCESSES):
        # workers p, p+3, p+6 mark the same milestone: the same 25 facilities, in different orders
        order = ids[p:] + ids[:p] if p % 2 == 0 else list(reversed(ids))
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(start), MILESTONES[p % 3], *order],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in out + err
        lines = out.splitlines()
        assert len(lines) == 25
        assert all(line.startswith("0 ") for line in lines), out
    events = rows(db, "SELECT key, milestone, COUNT(*) FROM events WHERE entity = 'milestone' GROUP BY key, milestone")
    assert len(events) == 75 and all(n == 1 for _, _, n in events)
    assert {(k, m) for k, m, _ in events} == {(f, m) for f in ids for m in MILESTONES}
    assert rows(db, "SELECT COUNT(*) FROM milestones WHERE date = '2025-07-01'") == [(75,)]
    assert rows(db, "SELECT COUNT(*) FROM changes WHERE command LIKE 'mark %'") == [(75,)]
    # each mark printed "Recorded" exactly once over all workers; the others found it already there
    recorded = sum(line.count("Recorded:") for out, _ in outputs for line in out.splitlines())
    assert recorded == 75
    history = subprocess.run(
        [*CLI, "history", "--limit", "1000", "--format", "json"], env=env, capture_output=True, text=True
    )
    marks = [e for e in json.loads(history.stdout) if e["command"].startswith("mark ")]
    assert len(marks) == 75
    assert integrity(db) == "ok"
    verify = subprocess.run([*CLI, "verify"], env=env, capture_output=True, text=True)
    assert verify.returncode == 0 and verify.stdout.startswith("ok: 105 events checked\n")
