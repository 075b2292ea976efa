"""The benchmark runs end to end at a tiny size, so that it cannot rot (it is not a timed test)."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from emrtrack.model import KINDS, OWNERSHIPS
from emrtrack.naming import fold
from emrtrack.reading import read_files

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"

COMMANDS = {
    "import typer",
    "C-loader parse",
    "load",
    "load (no-op)",
    "load csv",
    "status",
    "report csv",
    "report json",
    "report table",
    "report table --all",
    "mark-deployed",
    "did-you-mean",
    "history",
    "export yaml",
    "export csv",
    "--help",
}
RATIOS = [
    "status / task +OVERDUE count",
    "report csv / task overdue",
    "load / C-loader parse",
    "no-op load / C-loader parse",
    "load csv / task import",
    "export yaml / load",
    "mark-deployed seconds",
    "did-you-mean seconds",
    "--help / import typer",
    "status peak MiB",
    "report csv peak MiB",
    "report json peak MiB",
    "report table peak MiB",
    "export yaml peak MiB",
    "export csv peak MiB",
    *(
        f"growth 60->120: {name}"
        for name in (
            "load",
            "load (no-op)",
            "load csv",
            "status",
            "report csv",
            "report json",
            "report table",
            "mark-deployed",
            "did-you-mean",
            "history",
            "export yaml",
            "export csv",
            "--help",
        )
    ),
]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("emrtrack_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["emrtrack_bench"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["emrtrack_bench"]


def test_the_register_is_deterministic_and_realistic(bench, tmp_path):
    first, again = bench.generate(600), bench.generate(600)
    assert first == again
    assert {f.ownership for f in first} == set(OWNERSHIPS)
    assert {f.kind for f in first} == set(KINDS)
    assert sum(fold(f.name) != f.name.lower() for f in first) == len(first)  # every name has diacritics
    assert sum(bool(f.aliases) for f in first) > len(first) // 2
    overdue = sum("deployed" not in f.milestones for f in first)
    assert 0.25 * len(first) < overdue < 0.35 * len(first)
    events = len(first) + sum(len(f.milestones) for f in first)
    assert 2.5 * len(first) < events < 3.5 * len(first)
    days = sorted(d for f in first for d in f.milestones.values())
    assert (days[-1] - days[0]).days > 600
    # about 10% carry an exception, about 5% an official code and an earlier name
    assert 0.07 * len(first) < sum(any("exceptions" in line for line in f.life) for f in first) < 0.13 * len(first)
    assert 0.03 * len(first) < sum(any("codes" in line for line in f.life) for f in first) < 0.07 * len(first)

    path = tmp_path / "national.yaml"
    bench.write_yaml(path, first)
    loaded = read_files([path], date(2026, 7, 1))
    assert [e.facility.id for e in loaded.facilities] == [f.facility_id for f in first]
    assert [e.facility.name for e in loaded.facilities] == [f.name for f in first]
    assert [{m: r.date for m, r in e.milestones.items()} for e in loaded.facilities] == [f.milestones for f in first]
    kinds = {e.kind for entry in loaded.facilities for e in entry.facility.exceptions}
    assert kinds == {"extension", "exemption", "commitment"}

    csv_path, requirements = tmp_path / "national.csv", tmp_path / "requirements.yaml"
    bench.write_csv(csv_path, requirements, first)
    from_csv = read_files([requirements, csv_path], date(2026, 7, 1))
    # the CSV list has no column for exceptions and earlier names: the facilities are the same without them
    plain = [replace(e.facility, codes=(), former_names=(), exceptions=()) for e in loaded.facilities]
    assert [e.facility for e in from_csv.facilities] == plain
    assert [e.milestones for e in from_csv.facilities] == [e.milestones for e in loaded.facilities]
    assert [r.requirement for r in from_csv.requirements] == [r.requirement for r in loaded.requirements]
    assert [r.requirement.id for r in loaded.requirements] == ["KH-EMR-2025", "13/2025/TT-BYT", "CV-EMR-PUBLIC-2026"]
    assert len(loaded.requirements[1].requirement.cohorts) == 2


@pytest.mark.slow
def test_the_benchmark_runs_and_reports_every_command_and_ratio(bench, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMRTRACK_DB", str(tmp_path / "never-used.db"))
    out = tmp_path / "bench.json"
    assert bench.main(["--sizes", "60,120", "--runs", "1", "--warmup", "0", "--no-taskwarrior", "--out", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc["sizes"]) == {"60", "120"}
    for size, result in doc["sizes"].items():
        assert set(result["commands"]) == COMMANDS
        for c in result["commands"].values():
            assert len(c["runs"]) == 1
            assert 0 < c["min_s"] <= c["median_s"] <= c["max_s"]
            assert c["peak_mib"] > 1
        facts = result["facts"]
        assert facts["facilities"] == int(size)
        assert facts["events"] == facts["events_expected"]
    assert [r["ratio"] for r in doc["ratios"]] == RATIOS
    for r in doc["ratios"]:
        if "task" in r["ratio"]:
            assert r["value"] is None and r["met"] is None  # Taskwarrior was left out
        else:
            assert r["value"] > 0 and r["met"] is (r["value"] <= r["limit"])
    assert (
        doc["sizes"]["120"]["commands"]["report csv"]["stdout_bytes"]
        > doc["sizes"]["60"]["commands"]["report csv"]["stdout_bytes"]
    )
    assert not (tmp_path / "never-used.db").exists()
    printed = capsys.readouterr().out
    for name in COMMANDS:
        assert name in printed
    assert "status / task +OVERDUE count" in printed and "not measured" in printed
