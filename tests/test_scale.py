"""The national-scale paths give exactly what the simple rules give: status counts, naming a
facility, the long report table, and --group-by none."""

from __future__ import annotations

import csv
import io
import sys
from datetime import date

import pytest
from helpers import bench_module
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.testing import CliRunner

from emrtrack.cli import app
from emrtrack.errors import AmbiguousFacility, FacilityNotFound
from emrtrack.model import MILESTONES, OWNERSHIPS
from emrtrack.naming import fold
from emrtrack.output import tables
from emrtrack.reading import read_files
from emrtrack.rules import deadline_for, exceptions_on, facility_deadline, state_of
from emrtrack.service.registers import load_files
from emrtrack.store import Register

AS_OF_DATES = [date(2024, 6, 1), date(2025, 8, 31), date(2025, 9, 1), date(2025, 12, 1), date(2026, 7, 1)]


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """A synthetic register of 700 facilities (the benchmark's generator), loaded, and its facilities."""
    tmp = tmp_path_factory.mktemp("national")
    path = tmp / "national.yaml"
    with bench_module("emrtrack_bench_for_tests") as bench:
        bench.write_yaml(path, bench.generate(700))
    db = tmp / "register.db"
    Register.open(db).close()  # an empty register: no shipped data
    register = Register.open(db)
    load_files(register, [path], actor="test")
    loaded = read_files([path], date(2026, 7, 1))
    yield register, loaded, db, path
    register.close()


def _expected_status(loaded, requirement, as_of):
    """Status computed facility by facility with the rules alone."""
    states, by_ownership, funnel, fresh = {}, {o: {} for o in OWNERSHIPS}, dict.fromkeys(MILESTONES, 0), []
    for e in loaded.facilities:
        f = e.facility
        deadline = deadline_for(requirement, f.ownership, f.kind)
        if deadline is None:
            continue
        reached = {m: r.date for m, r in e.milestones.items() if r.date <= as_of}
        granted = exceptions_on(f, requirement, requirement.principal, as_of)
        if granted.exemption is None:  # an exempt facility is counted apart (and in the milestones reached)
            own = facility_deadline(deadline, f, granted.extension)
            state = state_of(own, reached.get("deployed"), as_of).value.replace("-", "_")
            key = (deadline, state)
            states[key] = states.get(key, 0) + 1
            by_ownership[f.ownership][state] = by_ownership[f.ownership].get(state, 0) + 1
        for m in reached:
            funnel[m] += 1
        known = [d for d in (f.verified, *reached.values()) if d is not None and d <= as_of]
        if known:
            fresh.append(max(known))
    fresh.sort()
    return (
        states,
        by_ownership,
        funnel,
        (fresh[0] if fresh else None, fresh[len(fresh) // 2] if fresh else None, len(fresh)),
    )


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_status_counts_what_the_rules_say_facility_by_facility(national, as_of):
    register, loaded, _, _ = national
    assert len(register.requirements()) == 3
    for requirement in register.requirements():
        s = register.status(requirement, as_of)
        states, by_ownership, funnel, (oldest, median, known) = _expected_status(loaded, requirement, as_of)
        got = {}
        for c in s.cohorts:
            for state in ("deployed_on_time", "deployed_late", "overdue", "not_yet_due"):
                if getattr(c.counts, state):
                    got[(c.deadline, state)] = got.get((c.deadline, state), 0) + getattr(c.counts, state)
        assert got == states
        for o in OWNERSHIPS:
            counts = s.by_ownership[o]
            assert {k: v for k, v in vars(counts).items() if v and k != "in_scope"} == by_ownership[o]
            assert counts.in_scope == sum(by_ownership[o].values())
        assert s.total.in_scope == sum(states.values())
        assert s.funnel == funnel
        # the data's age covers every facility the requirement applies to, the exempt included
        applies = sum(
            deadline_for(requirement, e.facility.ownership, e.facility.kind) is not None for e in loaded.facilities
        )
        assert (s.oldest_data, s.median_data, s.never_verified) == (oldest, median, applies - known)


def test_naming_a_facility_in_a_large_register(national):
    register, loaded, _, _ = national
    names = [e.facility for e in loaded.facilities]

    def bearers(part):
        return [f.id for f in names if any(part in fold(n) for n in (f.name, *f.aliases))]

    target, partial = next(
        (f, " ".join(fold(f.name).split()[2:]))
        for f in names[500:]
        if len(bearers(" ".join(fold(f.name).split()[2:]))) == 1
    )
    assert register.resolve(target.id).id == target.id
    assert register.resolve(fold(target.name)).id == target.id  # the whole folded name
    assert register.resolve(target.name.upper()).id == target.id
    assert register.resolve(partial).id == target.id
    words = fold(target.name).split()
    assert register.resolve(" ".join(reversed(words))).id == target.id  # every word, in any order
    with pytest.raises(AmbiguousFacility) as ambiguous:
        register.resolve("phong kham")
    matching = sorted(
        (fold(f.name), f.id, f.name) for f in names if any("phong kham" in fold(n) for n in (f.name, *f.aliases))
    )
    assert len(matching) > 51
    assert ambiguous.value.candidates == [(fid, name) for _, fid, name in matching[:51]]
    typo = fold(target.name).replace(" ", "", 1) + "q"
    with pytest.raises(FacilityNotFound) as missing:
        register.resolve(typo)
    assert target.id in [fid for fid, _ in missing.value.suggestions]
    assert len(missing.value.suggestions) <= 3


def _rich_table(rows, title, width, terminal):
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Facility")
    table.add_column("Days", justify="right")
    table.add_column("Latest milestone")
    for row in rows:
        table.add_row(*row)
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width,
        force_terminal=terminal,
        highlight=False,
        soft_wrap=False,
        color_system="standard" if terminal else None,
    )
    return table, console, buf


@pytest.mark.parametrize("width", [200, 72, 30])
@pytest.mark.parametrize("terminal", [False, True])
def test_a_long_table_is_written_exactly_as_rich_writes_it(width, terminal):
    names = [
        "Bệnh viện Đa khoa Đô Lương",
        "北京 医院 宽字符 名字",
        "a" * 70,
        "Trạm Y tế xã Nghĩa Đàn, Nghệ An",
        "Phòng khám [bold]not markup[/bold]",
        "x",
        "Bệnh viện Hữu nghị Đa khoa Nghệ An " * 2,
    ]
    rows = [
        [
            str(i),
            Text(names[i % len(names)] + f" {i}"),
            str(i * 7 % 400) if i % 3 else "",
            f"deployed 2025-0{1 + i % 9}-1{i % 10}" if i % 4 else "none",
        ]
        for i in range(1, 230)
    ]
    table, console, expected = _rich_table(rows, "Public (229)", width, terminal)
    console.print(table)
    _, console, got = _rich_table([], "Public (229)", width, terminal)
    tables.print_rows(console, lambda: _rich_table([], "Public (229)", width, terminal)[0], rows)
    assert got.getvalue() == expected.getvalue()


def test_report_group_by_none_lists_the_most_overdue_first_then_by_name(national, monkeypatch):
    _, _, db, _ = national
    monkeypatch.setenv("EMRTRACK_DB", str(db))
    runner = CliRunner()
    grouped = runner.invoke(
        app, ["report", "--overdue", "--as-of", "2027-01-15", "-r", "13/2025/TT-BYT", "--format", "csv"]
    )
    flat = runner.invoke(
        app,
        [
            "report",
            "--overdue",
            "--as-of",
            "2027-01-15",
            "-r",
            "13/2025/TT-BYT",
            "--format",
            "csv",
            "--group-by",
            "none",
        ],
    )
    assert grouped.exit_code == 0 and flat.exit_code == 0, flat.output
    rows = list(csv.DictReader(io.StringIO(grouped.stdout)))
    assert len(rows) > 100
    expected = sorted(rows, key=lambda r: (r["deadline"], fold(r["name"]), r["id"]))
    assert list(csv.DictReader(io.StringIO(flat.stdout))) == expected


def test_help_imports_nothing_heavy(tmp_path, monkeypatch):
    """`--help` answers from Typer alone: no Rich, YAML, SQLite helpers or fuzzy matcher."""
    import subprocess

    monkeypatch.setenv("EMRTRACK_DB", str(tmp_path / "register.db"))
    code = (
        "import sys\nsys.argv = ['emrtrack', '--help']\nfrom emrtrack import cli\n"
        "try:\n    cli.main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print(sorted(m for m in sys.modules if m == 'emrtrack.store' or m.split('.')[0] in "
        "('rich', 'yaml', 'sqlite_utils', 'rapidfuzz', 'markdown_it')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[0] == "Usage: emrtrack [OPTIONS] COMMAND [ARGS]..."
    assert done.stdout.splitlines()[-1] == "[]"
    assert not (tmp_path / "register.db").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--overdue", "--format", "csv"],
        ["status", "--format", "json"],
        ["mark-deployed", "do luong", "--on", "2025-09-01"],
        ["load", "SHIPPED"],
        ["verify"],
    ],
)
def test_outputs_that_draw_no_table_start_without_rich(tmp_path, monkeypatch, args):
    """Rich is for tables on a terminal; importing it costs every other command about 20 ms."""
    import subprocess

    from emrtrack.service.registers import shipped_data_path

    monkeypatch.setenv("EMRTRACK_DB", str(tmp_path / "register.db"))
    args = [str(shipped_data_path()) if a == "SHIPPED" else a for a in args]
    code = (
        "import sys\nsys.argv = ['emrtrack', *sys.argv[1:]]\nfrom emrtrack import cli\n"
        "try:\n    cli.main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    assert done.stderr.splitlines()[-1] == "[]"


def test_the_command_line_annotations_are_not_text():
    """Typer would evaluate text annotations (postponed ones) again at every start of every command."""
    from emrtrack import cli

    assert not hasattr(cli, "annotations")  # no `from __future__ import annotations`
    assert cli.report.__annotations__ and not any(isinstance(a, str) for a in cli.report.__annotations__.values())
