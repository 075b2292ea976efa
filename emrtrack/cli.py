"""The command line: parse, call the library, render. One boundary turns errors into one line."""

from __future__ import annotations

import enum
import os
import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from emrtrack import __version__
from emrtrack.errors import EmrtrackError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from emrtrack.model import Requirement
    from emrtrack.register import Register


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"emrtrack: {message}", err=True)
    raise typer.Exit(code)


class _Boundary(TyperGroup):
    """Every command runs inside this: our errors become one stderr line and their exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except EmrtrackError as e:
            if os.environ.get("EMRTRACK_DEBUG") == "1":
                raise
            lines = str(e).splitlines() or [type(e).__name__]
            for line in lines[:-1]:
                typer.echo(f"emrtrack: {line}", err=True)
            _fail(lines[-1], e.exit_code)
        except sqlite3.Error as e:
            if os.environ.get("EMRTRACK_DEBUG") == "1":
                raise
            _fail(f"the register could not be used: {e}", 1)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as e:
            if os.environ.get("EMRTRACK_DEBUG") == "1" or type(e).__module__.startswith(("click", "typer")):
                raise
            _fail(f"unexpected error: {type(e).__name__}: {e} (run with EMRTRACK_DEBUG=1 to see where)", 1)


app = typer.Typer(
    cls=_Boundary,
    help="Track who has deployed electronic medical records (EMR) against which deadline.\n\n"
         "The register is a local SQLite file, loaded from YAML; see README for the format.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    # Plain help and usage errors: Typer's Rich help alone imports more than Typer itself
    # (Rich, Markdown, syntax highlighting), and `--help` is meant to answer at once.
    rich_markup_mode=None,
)


class Format(str, enum.Enum):
    table = "table"
    json = "json"


class ReportFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


class GroupBy(str, enum.Enum):
    ownership = "ownership"
    kind = "kind"
    none = "none"


DbOption = Annotated[Path | None, typer.Option(
    "--db", help="The register file. Default: $EMRTRACK_DB, else register.db in your data directory.",
    dir_okay=False, show_default=False)]
AsOfOption = Annotated[datetime | None, typer.Option(
    "--as-of", formats=["%Y-%m-%d"], help="Report as of this date (YYYY-MM-DD); default today.",
    show_default=False)]
ByOption = Annotated[str | None, typer.Option("--by", help="Who records this (default: your login name).")]
RefOption = Annotated[str | None, typer.Option("--ref", help="The document this rests on, e.g. a dispatch number.")]
NoteOption = Annotated[str | None, typer.Option("--note", help="A note kept with the change.")]
OnOption = Annotated[datetime | None, typer.Option(
    "--on", formats=["%Y-%m-%d"], help="The date it happened (YYYY-MM-DD); default today.", show_default=False)]
CorrectOption = Annotated[bool, typer.Option(
    "--correct", help="Replace a date already recorded (kept in history as a correction).")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"emrtrack {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Track who has deployed electronic medical records (EMR) against which deadline."""


def _console() -> Console:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 200  # a file or a pipe: let tables take the width their content needs
    return console


def _open(db: Path | None) -> Register:
    from emrtrack.app import open_register

    return open_register(db, notify=lambda line: typer.echo(line, err=True))


def _as_of(register: Register, as_of: datetime | None) -> date:
    return as_of.date() if as_of else register.today()


def _actor(by: str | None) -> str:
    from emrtrack.register import default_actor

    return by or default_actor()


@app.command()
def load(
    files: Annotated[list[Path], typer.Argument(help="YAML files to load together.", exists=True,
                                                dir_okay=False, show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and count; write nothing.")] = False,
    by: ByOption = None,
    db: DbOption = None,
) -> None:
    """Validate files, then add or update their facilities and requirements in one transaction.

    Facilities are matched by id; none is ever deleted. Loading the same file twice changes nothing.

    Example: emrtrack load data/nghe-an-2898.yaml --dry-run
    """
    from emrtrack.app import load_files
    from emrtrack.render import load_summary

    register = _open(db)
    summary = load_files(register, files, actor=_actor(by), dry_run=dry_run)
    typer.echo(load_summary(summary))


def _requirements(register: Register, requirement: str | None, *, every_by_default: bool) -> list[Requirement]:
    if requirement == "all" or (requirement is None and every_by_default):
        found = register.requirements()
        if not found:
            register.requirement(None)  # raises the "no requirement yet" error
        return found
    return [register.requirement(requirement)]


@app.command()
def status(
    as_of: AsOfOption = None,
    requirement: Annotated[str | None, typer.Option(
        "--requirement", "-r", help="One requirement id (default: every requirement).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
    db: DbOption = None,
) -> None:
    """The at-a-glance view: for each requirement, who is on time, late, overdue or not yet due.

    Example: emrtrack status --as-of 2025-09-01
    """
    from emrtrack import render

    register = _open(db)
    day = _as_of(register, as_of)
    info = register.info()
    statuses = [register.status(r, day) for r in _requirements(register, requirement, every_by_default=True)]
    if format is Format.json:
        typer.echo(render.status_json(statuses, day, info.name, info.notes))
    else:
        render.print_status(_console(), statuses, day, info.name, info.notes)


def _mark(facility: str, milestone: str, on: datetime | None, ref: str | None, note: str | None,
          by: str | None, correct: bool, db: Path | None) -> None:
    from emrtrack.model import MILESTONES
    from emrtrack.render import mark_result

    if milestone not in MILESTONES:
        raise UsageError(f"unknown milestone {milestone!r}; choose one of: {', '.join(MILESTONES)}")
    register = _open(db)
    found = register.resolve(facility)
    result = register.mark(found, milestone, on.date() if on else register.today(), actor=_actor(by),
                           ref=ref, note=note, correct=correct)
    typer.echo(mark_result(result))


FacilityArgument = Annotated[str, typer.Argument(
    help="Facility id, name or alias; case and diacritics do not matter (e.g. 'do luong').", show_default=False)]


@app.command("mark-deployed")
def mark_deployed(
    facility: FacilityArgument,
    on: OnOption = None,
    ref: RefOption = None,
    note: NoteOption = None,
    by: ByOption = None,
    correct: CorrectOption = False,
    db: DbOption = None,
) -> None:
    """Record that a facility has deployed EMR (the same as: mark FACILITY deployed).

    Example: emrtrack mark-deployed "do luong" --on 2025-08-20 --ref 3120/SYT-VP
    """
    _mark(facility, "deployed", on, ref, note, by, correct, db)


@app.command()
def mark(
    facility: FacilityArgument,
    milestone: Annotated[str, typer.Argument(help="appraised, deployed or annex-signed.", show_default=False)],
    on: OnOption = None,
    ref: RefOption = None,
    note: NoteOption = None,
    by: ByOption = None,
    correct: CorrectOption = False,
    db: DbOption = None,
) -> None:
    """Record a milestone of a facility: appraised, deployed or annex-signed.

    Example: emrtrack mark "hoan my" annex-signed --on 2025-08-25
    """
    _mark(facility, milestone, on, ref, note, by, correct, db)


@app.command()
def report(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only facilities past their deadline and not deployed.")] = False,
    as_of: AsOfOption = None,
    requirement: Annotated[str | None, typer.Option(
        "--requirement", "-r", help="A requirement id, or 'all' (default: the register's default).")] = None,
    group_by: Annotated[GroupBy, typer.Option("--group-by", help="ownership, kind or none.")] = GroupBy.ownership,
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="table, csv, json or markdown.")] = ReportFormat.table,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows shown in a table (machine formats show all).")] = 50,
    all_rows: Annotated[bool, typer.Option("--all", help="Show every row in a table.")] = False,
    fail_on_overdue: Annotated[bool, typer.Option(
        "--fail-on-overdue", help="Exit with code 3 when any facility is overdue.")] = False,
    db: DbOption = None,
) -> None:
    """List facilities and their state against a requirement; with --overdue, only the late ones.

    Grouped by ownership (public first), most overdue first.

    Example: emrtrack report --overdue --as-of 2025-09-01 --format csv > overdue.csv
    """
    from emrtrack import render

    register = _open(db)
    day = _as_of(register, as_of)
    wanted = _requirements(register, requirement, every_by_default=False)
    table_limit = None if (all_rows or format is not ReportFormat.table) else limit
    parts = [(req, *register.standings(req, day, overdue_only=overdue, group_by=group_by.value, limit=table_limit))
             for req in wanted]
    if format is ReportFormat.json:
        render.write_report_json(sys.stdout, day, parts, several=requirement == "all")
    elif format is ReportFormat.csv:
        render.write_report_csv(sys.stdout, parts)
    elif format is ReportFormat.markdown:
        render.write_report_markdown(sys.stdout, day, parts, group_by.value, overdue)
    else:
        render.print_report_table(_console(), day, parts, group_by.value, overdue, table_limit)
    if fail_on_overdue:
        late = sum(register.standings(req, day, overdue_only=True, limit=0)[0] for req in wanted)
        if late:
            typer.echo(f"emrtrack: {late} overdue", err=True)
            raise typer.Exit(3)


@app.command()
def show(
    facility: FacilityArgument,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Everything known about one facility: its facts, its state under each requirement, its history.

    Example: emrtrack show "quan y 4"
    """
    from emrtrack import render
    from emrtrack.rules import deadline_for, days_overdue, state_of

    register = _open(db)
    found = register.resolve(facility)
    day = _as_of(register, as_of)
    milestones = register.milestones(found.id)
    reached = milestones.get("deployed")
    standings = []
    for req in register.requirements():
        deadline = deadline_for(req, found.ownership, found.kind)
        if deadline is None:
            standings.append((req, None, None, 0))
        else:
            standings.append((req, deadline, state_of(deadline, reached, day), days_overdue(deadline, reached, day)))
    console = _console()
    render.print_facility(console, found, milestones, standings, day)
    render.print_history(console, register.history(found.id, limit=None), "History, newest first")


@app.command()
def history(
    facility: Annotated[str | None, typer.Argument(help="Only this facility (id, name or alias).",
                                                   show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many events, newest first.")] = 20,
    format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
    db: DbOption = None,
) -> None:
    """The register's history of changes, newest first.

    Example: emrtrack history "do luong" --limit 5
    """
    from emrtrack import render

    register = _open(db)
    found = register.resolve(facility) if facility else None
    events = register.history(found.id if found else None, limit=limit)
    if format is Format.json:
        typer.echo(render.history_json(events))
    else:
        title = f"History of {render.safe(found.name)}" if found else "History of the register"
        render.print_history(_console(), events, f"{title}, newest first")


@app.command()
def undo(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    by: ByOption = None,
    db: DbOption = None,
) -> None:
    """Show the latest change and revert it. The undo is recorded too: history keeps both.

    Example: emrtrack undo --yes
    """
    from emrtrack.render import describe_change

    register = _open(db)
    change = register.last_change()
    if change is None:
        typer.echo("Nothing to undo.")
        return
    typer.echo(describe_change(change))
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("undo needs confirmation: run it again with --yes")
        typer.confirm("Revert this change?", abort=True)
    undo_id = register.undo(change, actor=_actor(by))
    typer.echo(f"Reverted change #{change.id}; recorded as change #{undo_id}.")


def main() -> None:
    app(prog_name="emrtrack")
