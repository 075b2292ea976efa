"""The benchmark runs end to end at a tiny size, so that it cannot rot (it is not a timed test)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from helpers import bench_module

from emrtrack.model import KINDS, OWNERSHIPS
from emrtrack.naming import fold
from emrtrack.reading import read_files

COMMANDS = [
    "import typer",
    "C-loader parse",
    "load",
    "load csv",
    "load (no-op)",
    "status",
    "report csv",
    "report json",
    "report table",
    "report table --all",
    "mark-deployed",
    "did-you-mean",
    "history",
    "verify",
    "show",
    "export yaml",
    "export csv",
    "--help",
]
DAILY = ["status", "report csv", "report json", "report table", "mark-deployed", "history", "show"]
# held to 100 MiB: every emrtrack command but the loads and the table of every row
OTHERS = [c for c in COMMANDS[COMMANDS.index("status") :] if c != "report table --all"]


def expected_ratios(big: int, small: int) -> list[tuple[str, int, float]]:
    """Every target row (ratio, size, limit) when the largest size measured is `big` and the smallest `small`."""
    far = big if big > 50000 else 200000
    return [
        ("status / task +OVERDUE count", 50000, 0.5),
        ("report csv / task overdue", 50000, 0.5),
        ("load csv / task import", 50000, 0.7),
        ("load / C-loader parse", 50000, 1.0),
        ("load / C-loader parse", 200000, 1.0),
        ("verify seconds", 50000, 1.0),
        ("mark-deployed seconds", 50000, 0.4),
        ("did-you-mean seconds", 50000, 0.6),
        ("--help / import typer", big, 1.5),
        ("status (shipped) / import typer", small, 2.5),
        *((f"{name} seconds", big, 1.0) for name in DAILY),
        *((f"growth 50000->{far}: {name}", far, 4.5) for name in DAILY),
        ("load peak MiB", 50000, 200),
        ("load peak MiB", 200000, 250),
        ("load csv peak MiB", 50000, 200),
        ("load csv peak MiB", 200000, 250),
        *((f"{name} peak MiB", big, 100) for name in OTHERS),
    ]


@pytest.fixture(scope="module")
def bench():
    with bench_module("emrtrack_bench") as module:
        yield module


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


def test_each_target_is_read_at_the_size_it_names_and_unmeasured_ones_are_never_met(bench):
    def size(median: float, peak: float, names: list[str]) -> dict[str, object]:
        return {"commands": {name: {"median_s": median, "peak_mib": peak} for name in names}}

    emrtrack = ["import typer", "C-loader parse", *bench.EMRTRACK_COMMANDS]
    taskwarrior = ["task import", "task +OVERDUE count", "task overdue"]
    sizes = {
        5000: size(0.1, 40, [*emrtrack, "status (shipped)", *taskwarrior]),
        50000: size(0.2, 150, [*emrtrack, *taskwarrior]),
        200000: size(0.8, 120, emrtrack),  # no Taskwarrior at this size
    }
    sizes[50000]["commands"]["verify"]["median_s"] = 1.2  # the only figure over its limit at 50,000
    sizes[200000]["commands"]["history"]["median_s"] = 1.1  # over a second, and 5.5 times what it took at 50,000
    sizes[200000]["commands"]["show"]["peak_mib"] = 101
    rows = bench.ratios(sizes)
    assert [(r["ratio"], r["size"], r["limit"]) for r in rows] == expected_ratios(200000, 5000)
    values = {(r["ratio"], r["size"]): (r["value"], r["met"]) for r in rows}
    assert values[("status / task +OVERDUE count", 50000)] == (1.0, False)
    assert values[("verify seconds", 50000)] == (1.2, False)
    assert values[("mark-deployed seconds", 50000)] == (0.2, True)
    assert values[("load / C-loader parse", 200000)] == (1.0, True)
    assert values[("status (shipped) / import typer", 5000)] == (1.0, True)
    assert values[("history seconds", 200000)] == (1.1, False)
    assert values[("growth 50000->200000: history", 200000)] == (pytest.approx(5.5), False)
    assert values[("growth 50000->200000: status", 200000)] == (4.0, True)
    assert values[("load peak MiB", 50000)] == (150, True)
    assert values[("load csv peak MiB", 200000)] == (120, True)
    assert values[("show peak MiB", 200000)] == (101, False)
    assert values[("export csv peak MiB", 200000)] == (120, False)

    del sizes[200000]  # as with --skip-largest: the targets at 200,000 are not measured, never met
    rows = bench.ratios(sizes)
    assert [(r["ratio"], r["size"], r["limit"]) for r in rows] == expected_ratios(50000, 5000)
    unmeasured = [(r["ratio"], r["size"]) for r in rows if r["value"] is None]
    assert unmeasured == [
        ("load / C-loader parse", 200000),
        *((f"growth 50000->200000: {name}", 200000) for name in DAILY),
        ("load peak MiB", 200000),
        ("load csv peak MiB", 200000),
    ]
    assert all(r["met"] is None for r in rows if r["value"] is None)
    assert {r["met"] for r in rows if r["value"] is not None} == {True, False}


@pytest.mark.slow
def test_the_benchmark_runs_and_reports_every_command_and_ratio(bench, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMRTRACK_DB", str(tmp_path / "never-used.db"))
    out = tmp_path / "bench.json"
    argv = ["--sizes", "30,60,90", "--skip-largest", "--runs", "1", "--warmup", "0", "--no-taskwarrior"]
    assert bench.main([*argv, "--markdown", "--out", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert list(doc["sizes"]) == ["30", "60"]  # 90, the largest, left out
    assert list(doc["sizes"]["30"]["commands"]) == [COMMANDS[0], "status (shipped)", *COMMANDS[1:]]
    assert list(doc["sizes"]["60"]["commands"]) == COMMANDS  # the start-up on the shipped data is measured once
    for size, result in doc["sizes"].items():
        for c in result["commands"].values():
            assert len(c["runs"]) == 1
            assert 0 < c["min_s"] <= c["median_s"] <= c["max_s"]
            assert c["peak_mib"] > 1
        facts = result["facts"]
        assert facts["facilities"] == int(size)
        assert facts["events"] == facts["events_expected"]
        target = bench.pick_partial(bench.generate(int(size)))[0].facility_id
        commands = result["commands"]
        assert commands["show"]["command"].endswith(f" -m emrtrack show {target} --as-of 2026-07-01")
        assert commands["show"]["stdout_bytes"] > 1000  # the facility's facts, milestones, states and history
        # "ok: N events checked" and the last hash (the run stops when N is not the events the load recorded)
        assert commands["verify"]["command"].endswith(" -m emrtrack verify")
        assert commands["verify"]["stdout_bytes"] == len(f"ok: {facts['events']} events checked\n") + len(
            f"last hash: {'0' * 64}\n"
        )
    shipped = doc["sizes"]["30"]["commands"]["status (shipped)"]
    assert shipped["command"].endswith(" -m emrtrack status --as-of 2026-07-01")
    assert shipped["stdout_bytes"] > 1000  # the shipped register's status table, not an empty one
    assert [(r["ratio"], r["size"], r["limit"]) for r in doc["ratios"]] == expected_ratios(60, 30)
    for r in doc["ratios"]:
        if r["size"] in (50000, 200000):
            assert r["value"] is None and r["met"] is None  # neither size was measured
        else:
            assert r["value"] > 0 and r["met"] is (r["value"] <= r["limit"])
    assert (
        doc["sizes"]["60"]["commands"]["report csv"]["stdout_bytes"]
        > doc["sizes"]["30"]["commands"]["report csv"]["stdout_bytes"]
    )
    assert not (tmp_path / "never-used.db").exists()

    markdown = capsys.readouterr().out.splitlines()
    assert markdown[:2] == [
        "| command | 30 median s | 30 peak MiB | 60 median s | 60 peak MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    rows = markdown[2 : 2 + len(COMMANDS) + 1]
    assert [row.split(" | ")[0] for row in rows] == [f"| {name}" for name in doc["sizes"]["30"]["commands"]]
    assert rows[1].startswith("| status (shipped) | ") and rows[1].endswith(" | - | - |")
    for row, name in zip(rows, doc["sizes"]["30"]["commands"], strict=True):
        if name != "status (shipped)":
            median = doc["sizes"]["60"]["commands"][name]["median_s"]
            assert row.endswith(f" | {median:.3f} | {doc['sizes']['60']['commands'][name]['peak_mib']:.1f} |")
    assert markdown[2 + len(COMMANDS) + 1 :][:3] == [
        "",
        "| ratio | size | value | limit | verdict |",
        "|---|---:|---:|---:|---|",
    ]
    ratio_rows = markdown[2 + len(COMMANDS) + 4 :]
    assert len(ratio_rows) == len(doc["ratios"])
    assert ratio_rows[0] == "| status / task +OVERDUE count | 50,000 | - | 0.5 | not measured |"
    assert ratio_rows[5] == "| verify seconds | 50,000 | - | 1.0 | not measured |"
    assert "| growth 50000->200000: show | 200,000 | - | 4.5 | not measured |" in ratio_rows
    verify_peak = doc["sizes"]["60"]["commands"]["verify"]["peak_mib"]
    assert f"| verify peak MiB | 60 | {verify_peak:.3f} | 100 | met |" in ratio_rows

    # the plain table: a column group per size, then one line per ratio
    sizes = {int(n): result for n, result in doc["sizes"].items()}
    bench.print_table(sizes, doc["ratios"])
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split() == ["30", "facilities", "60", "facilities"]
    assert printed[1].split() == ["command", *["median", "s", "spread", "s", "peak", "MiB"] * 2]
    lines = printed[3 : 3 + len(COMMANDS) + 1]
    assert [line[:20].rstrip() for line in lines] == list(doc["sizes"]["30"]["commands"])
    assert lines[1].split()[-3:] == ["-", "-", "-"]  # status (shipped): only at the smallest size
    verdicts = printed[3 + len(COMMANDS) + 2 :]
    assert verdicts[0].split() == [
        "status",
        "/",
        "task",
        "+OVERDUE",
        "count",
        "at",
        "50,000",
        "n/a",
        "<=",
        "0.5",
        "not",
        "measured",
    ]
    assert verdicts[9].split()[:5] == ["status", "(shipped)", "/", "import", "typer"]
    assert verdicts[9].split()[5:7] == ["at", "30"]
