"""The command line: parse, call the library, render. One boundary turns errors into one line."""

# No `from __future__ import annotations` in this module: Typer reads the commands' annotations at every
# start, and text annotations would have it evaluate hundreds of them each time (15 ms of every command).
import contextlib
import enum
import os
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from emrtrack import __version__, i18n
from emrtrack.errors import EmrtrackError, UsageError
from emrtrack.i18n import _, ngettext

if TYPE_CHECKING:
    from rich.console import Console

    from emrtrack.model import Requirement
    from emrtrack.store import Register


def _lang_argument(argv: list[str]) -> str | None:
    """The value of the last --lang (or --lang=...) on the command line, if any."""
    found = None
    for i, arg in enumerate(argv):
        if arg == "--":  # what follows is arguments, not options
            break
        if arg == "--lang" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--lang="):
            found = arg.removeprefix("--lang=")
    return found


# The help texts below are translated as this module is read, before the command line is parsed, so the
# language is known now: from --lang if given, else the environment and locale (the callbacks set it again).
i18n.set_language(i18n.resolve(_lang_argument(sys.argv[1:])))


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"emrtrack: {message}", err=True)
    raise typer.Exit(code)


class _Boundary(TyperGroup):
    """Every command runs inside this: an error becomes plain stderr lines and its exit code, never a
    traceback (unless EMRTRACK_DEBUG=1)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (e.g. `| head`): stop quietly, as other command-line tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as e:
            if os.environ.get("EMRTRACK_DEBUG") == "1" or type(e).__module__.startswith(("click", "typer")):
                raise
            lines, code = _explain(e)
            for line in lines[:-1]:
                typer.echo(f"emrtrack: {line}", err=True)
            _fail(lines[-1], code)


def _explain(e: Exception) -> tuple[list[str], int]:
    """The lines a user sees for an error, and the exit code."""
    import sqlite3

    if isinstance(e, EmrtrackError):
        return str(e).splitlines() or [type(e).__name__], e.exit_code
    if isinstance(e, sqlite3.Error):
        return [_("the register could not be used: {error}").format(error=e)], 1
    if isinstance(e, OSError) and e.strerror:  # a file or folder that cannot be read or written
        return [f"{e.filename}: {e.strerror}" if e.filename else e.strerror], 1
    return [_("unexpected error: {kind}: {error} (run with EMRTRACK_DEBUG=1 to see where)")
            .format(kind=type(e).__name__, error=e)], 1


app = typer.Typer(
    cls=_Boundary,
    help=_("Track who has deployed electronic medical records (EMR) against which deadline.\n\n"
           "The register is a local SQLite file, loaded from YAML; see README for the format."),
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


class StatusFormat(str, enum.Enum):
    table = "table"
    json = "json"
    xlsx = "xlsx"


class ReportFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    xlsx = "xlsx"


class Lang(str, enum.Enum):
    en = "en"
    vi = "vi"


def _language(lang: Lang | None) -> str | None:
    """Use the language asked for by a command's --lang (the main --lang, env and locale otherwise)."""
    if lang is None:
        return None
    i18n.set_language(lang.value)
    return lang.value  # as typed: some Typer versions convert the callback's result again


LangOption = Annotated[Lang | None, typer.Option(
    "--lang", metavar="en|vi", help=_("Interface language (default: $EMRTRACK_LANG, else your locale)."),
    show_default=False, callback=_language, is_eager=True)]


class GroupBy(str, enum.Enum):
    ownership = "ownership"
    kind = "kind"
    none = "none"


DbOption = Annotated[Path | None, typer.Option(
    "--db", help=_("The register file. Default: $EMRTRACK_DB, else register.db in your data directory."),
    dir_okay=False, show_default=False, metavar="PATH")]


def _date_option(value: str | None) -> date | None:
    from emrtrack.rules import parse_date

    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


AsOfOption = Annotated[date | None, typer.Option(
    "--as-of", parser=_date_option, metavar="DATE", help=_("Report as of this date (YYYY-MM-DD); default today."),
    show_default=False)]
ByOption = Annotated[str | None, typer.Option("--by", metavar="NAME",
                                              help=_("Who records this (default: your login name)."))]
RefOption = Annotated[str | None, typer.Option("--ref", metavar="TEXT",
                                               help=_("The document this rests on, e.g. a dispatch number."))]
NoteOption = Annotated[str | None, typer.Option("--note", metavar="TEXT", help=_("A note kept with the change."))]
OnOption = Annotated[date | None, typer.Option(
    "--on", parser=_date_option, metavar="DATE", help=_("The date it happened (YYYY-MM-DD); default today."),
    show_default=False)]
OutputOption = Annotated[Path | None, typer.Option(
    "--output", "-o", dir_okay=False, help=_("Write to this file instead of the screen (needed for xlsx)."),
    show_default=False, metavar="PATH")]
CorrectOption = Annotated[bool, typer.Option(
    "--correct", help=_("Replace a date already recorded (kept in history as a correction)."))]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"emrtrack {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help=_("Show the version and exit."))] = False,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    """Track who has deployed electronic medical records (EMR) against which deadline."""
    i18n.set_language(i18n.resolve(Lang(lang).value if lang else None))
    if db is not None:  # `emrtrack --db FILE COMMAND`: the same as the command's own --db
        os.environ["EMRTRACK_DB"] = str(db)


def _console() -> "Console":
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # handled at the boundary, like any other write to a closed pipe

    console = _Console(highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 200  # a file or a pipe: let tables take the width their content needs
    return console


def _open(db: Path | None) -> "Register":
    from emrtrack.service.registers import open_register

    return open_register(db, notify=lambda line: typer.echo(line, err=True))


def _as_of(register: "Register", as_of: date | None) -> date:
    return as_of or register.today()


def _actor(by: str | None) -> str:
    from emrtrack.store import default_actor

    return by or default_actor()


def _complete_facility(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    from emrtrack.completion import facilities

    return facilities(incomplete, ctx.params.get("db"))


def _complete_requirement(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    from emrtrack.completion import requirements

    return requirements(incomplete, ctx.params.get("db"))


@app.command(help=_(
    "Load facilities and requirements (YAML, CSV, XLSX).\n\n"
    "Every file is validated first; then facilities and requirements are added or updated in one transaction.\n\n"
    "Facilities are matched by id; none is ever deleted. Loading the same file twice changes nothing. A milestone "
    "date already recorded is replaced only with --correct.\n\n"
    "Example: emrtrack load data/nghe-an-2898.yaml --dry-run"))
def load(
    files: Annotated[list[Path], typer.Argument(
        help=_("Files to load together: YAML, or facility lists as .xlsx or .csv (see: emrtrack template)."),
        exists=True, dir_okay=False, show_default=False, metavar="FILE...")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_("Validate and count; write nothing."))] = False,
    correct: Annotated[bool, typer.Option(
        "--correct", help=_("Let the files replace milestone dates already recorded (kept in history as corrections)."))] = False,
    by: ByOption = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack.service.registers import load_into
    from emrtrack.progress import when_slow
    from emrtrack.render import load_summary

    with when_slow(len(files) + 1, _("Loading")) as progress:  # reading each file, then writing
        summary = load_into(db, files, actor=_actor(by), dry_run=dry_run, correct=correct,
                            notify=lambda line: typer.echo(line, err=True), on_step=progress.step)
    typer.echo(load_summary(summary))


class TemplateFormat(str, enum.Enum):
    xlsx = "xlsx"
    csv = "csv"


@app.command(help=_(
    "Write an empty facility list to fill in (.xlsx or .csv).\n\n"
    "It has the columns `load` reads.\n\n"
    "Columns: id, name, aliases (separated by ;), ownership, kind, managed_by, location, verified, appraised, "
    "deployed, annex-signed. Dates are date cells or text YYYY-MM-DD.\n\n"
    "Example: emrtrack template --format xlsx --output facilities.xlsx"))
def template(
    output: Annotated[Path, typer.Option("--output", "-o", dir_okay=False, metavar="PATH", help=_("The file to write."),
                                         show_default=False)],
    format: Annotated[TemplateFormat | None, typer.Option(
        "--format", "-f", help=_("xlsx or csv (default: from the file's extension)."), show_default=False)] = None,
    lang: LangOption = None,
) -> None:
    from emrtrack.output.template import write_template

    fmt = format.value if format else output.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise UsageError(_("give --format xlsx or csv, or an --output file ending in .xlsx or .csv"))
    write_template(output, fmt)
    _wrote(output)


def _requirements(register: "Register", requirement: str | None, *, every_by_default: bool) -> "list[Requirement]":
    if requirement == "all" or (requirement is None and every_by_default):
        found = register.requirements()
        if not found:
            register.requirement(None)  # raises the "no requirement yet" error
        return found
    return [register.requirement(requirement)]


@app.command(help=_(
    "Who is on time, late, overdue or not yet due, at a glance.\n\n"
    "For each requirement: counts by state, the same split by ownership, milestones, data age, notes.\n\n"
    "Example: emrtrack status --as-of 2025-09-01"))
def status(
    as_of: AsOfOption = None,
    requirement: Annotated[str | None, typer.Option(
        "--requirement", "-r", metavar="ID", help=_("One requirement id (default: every requirement)."),
        autocompletion=_complete_requirement)] = None,
    format: Annotated[StatusFormat, typer.Option("--format", "-f", help=_("table, json or xlsx."))] = StatusFormat.table,
    output: OutputOption = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack import render

    format = StatusFormat(_output_format(format.value, output, ("json", "xlsx")))
    register = _open(db)
    with register.snapshot():
        day = _as_of(register, as_of)
        info = register.info()
        statuses = [register.status(r, day) for r in _requirements(register, requirement, every_by_default=True)]
        provenance = _provenance(register, day) if format is StatusFormat.xlsx else None
    if format is StatusFormat.xlsx and output is not None:
        from emrtrack import xlsx

        xlsx.write_status(output, provenance, statuses)
        _wrote(output)
    elif format is StatusFormat.json:
        _emit(render.status_json(statuses, day, info.name, info.notes) + "\n", output)
    else:
        render.print_status(_console(), statuses, day, info.name, info.notes)


def _output_format(format: str, output: Path | None, file_formats: tuple[str, ...]) -> str:
    """The format to write: as asked, or for `--output FILE` alone, the one its extension names."""
    if format == "xlsx" and output is None:
        raise UsageError(_("--format xlsx writes a file: give it with --output FILE.xlsx"))
    if format == "table" and output is not None:
        suffix = {".md": "markdown"}.get(output.suffix.lower(), output.suffix.lower().lstrip("."))
        if suffix not in file_formats:
            raise UsageError(_("--output needs a file format: add --format (one of: {formats}) or use one of "
                               "their extensions").format(formats=", ".join(file_formats)))
        return suffix
    return format


@contextlib.contextmanager
def _output(output: Path | None, format: str) -> Iterator[IO[str]]:
    """Standard output, or the file asked for; a CSV file starts with a byte order mark so that
    spreadsheet programs read Vietnamese names as UTF-8."""
    if output is None:
        yield sys.stdout
        return
    with output.open("w", encoding="utf-8-sig" if format == "csv" else "utf-8", newline="") as f:
        yield f
    _wrote(output)


def _emit(text: str, output: Path | None) -> None:
    with _output(output, "text") as out:
        out.write(text)


def _wrote(output: Path) -> None:
    typer.echo(_("Wrote {file}.").format(file=output), err=True)


def _provenance(register: "Register", day: date) -> Any:
    from emrtrack.xlsx import Provenance

    from zoneinfo import ZoneInfo

    info = register.info()
    return Provenance(register_name=info.name, as_of=day, generated=datetime.now(ZoneInfo(info.timezone)),
                      version=__version__, content_hash=register.content_hash(), timezone=info.timezone)


def _mark(facility: str, milestone: str, on: date | None, ref: str | None, note: str | None,
          by: str | None, correct: bool, db: Path | None) -> None:
    from emrtrack.model import MILESTONES
    from emrtrack.render import mark_result

    if milestone not in MILESTONES:
        raise UsageError(_("unknown milestone {milestone}; choose one of: {choices}")
                         .format(milestone=repr(milestone), choices=", ".join(MILESTONES)))
    register = _open(db)
    found = register.resolve(facility)
    result = register.mark(found, milestone, on or register.today(), actor=_actor(by),
                           ref=ref, note=note, correct=correct)
    typer.echo(mark_result(result))


FacilityArgument = Annotated[str, typer.Argument(
    metavar="FACILITY", help=_("Facility id, name or alias; case and diacritics do not matter (e.g. 'do luong')."),
    show_default=False, autocompletion=_complete_facility)]


@app.command("mark-deployed", help=_(
    "Record that a facility has deployed EMR.\n\n"
    "The same as: emrtrack mark FACILITY deployed.\n\n"
    "Example: emrtrack mark-deployed \"do luong\" --on 2025-08-20 --ref 3120/SYT-VP"))
def mark_deployed(
    facility: FacilityArgument,
    on: OnOption = None,
    ref: RefOption = None,
    note: NoteOption = None,
    by: ByOption = None,
    correct: CorrectOption = False,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    _mark(facility, "deployed", on, ref, note, by, correct, db)


@app.command(help=_(
    "Record a milestone: appraised, deployed or annex-signed.\n\n"
    "Example: emrtrack mark \"hoan my\" annex-signed --on 2025-08-25"))
def mark(
    facility: FacilityArgument,
    milestone: Annotated[str, typer.Argument(metavar="MILESTONE", help=_("appraised, deployed or annex-signed."), show_default=False)],
    on: OnOption = None,
    ref: RefOption = None,
    note: NoteOption = None,
    by: ByOption = None,
    correct: CorrectOption = False,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    _mark(facility, milestone, on, ref, note, by, correct, db)


@app.command(help=_(
    "List facilities and their state, or only the overdue.\n\n"
    "Grouped by ownership (public first), most overdue first.\n\n"
    "Example: emrtrack report --overdue --as-of 2025-09-01 --format csv > overdue.csv"))
def report(
    overdue: Annotated[bool, typer.Option("--overdue", help=_("Only facilities past their deadline and not deployed."))] = False,
    as_of: AsOfOption = None,
    requirement: Annotated[str | None, typer.Option(
        "--requirement", "-r", metavar="ID", help=_("A requirement id, or 'all' (default: the register's default)."),
        autocompletion=_complete_requirement)] = None,
    group_by: Annotated[GroupBy, typer.Option("--group-by", help=_("ownership, kind or none."))] = GroupBy.ownership,
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help=_("table, csv, json, markdown or xlsx (xlsx needs --output)."))] = ReportFormat.table,
    limit: Annotated[int, typer.Option("--limit", min=1, metavar="N", help=_("Rows shown in a table (machine formats show all)."))] = 50,
    all_rows: Annotated[bool, typer.Option("--all", help=_("Show every row in a table."))] = False,
    fail_on_overdue: Annotated[bool, typer.Option(
        "--fail-on-overdue", help=_("Exit with code 3 when any facility is overdue."))] = False,
    output: OutputOption = None,
    due_within: Annotated[int | None, typer.Option(
        "--due-within", min=0, metavar="DAYS",
        help=_("Only facilities not yet deployed whose deadline falls in the next DAYS days."))] = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack import render
    from emrtrack.model import Selection

    if overdue and due_within is not None:
        raise UsageError(_("--overdue and --due-within select different facilities: give one of them"))
    selection = Selection.overdue() if overdue else \
        Selection.due_within(due_within) if due_within is not None else Selection()
    format = ReportFormat(_output_format(format.value, output, ("csv", "json", "markdown", "xlsx")))
    register = _open(db)
    with register.snapshot():
        day = _as_of(register, as_of)
        wanted = _requirements(register, requirement, every_by_default=False)
        table_limit = None if (all_rows or format is not ReportFormat.table) else limit
        parts = [(req, *register.standings(req, day, selection, group_by=group_by.value, limit=table_limit))
                 for req in wanted]
        if format is ReportFormat.xlsx and output is not None:
            from emrtrack import xlsx

            xlsx.write_report(output, _provenance(register, day), parts, group_by.value,
                              render.selection_label(selection))
            _wrote(output)
        elif format is not ReportFormat.table:
            with _output(output, format.value) as out:
                if format is ReportFormat.json:
                    render.write_report_json(out, day, parts, several=requirement == "all")
                elif format is ReportFormat.csv:
                    render.write_report_csv(out, parts)
                else:
                    render.write_report_markdown(out, day, parts, group_by.value, selection)
        else:
            render.print_report_table(_console(), day, parts, group_by.value, selection, table_limit)
        late = 0
        if fail_on_overdue:  # a report of the overdue has counted them already
            late = sum(count for _req, count, _rows in parts) if overdue else \
                sum(register.standings(req, day, Selection.overdue(), limit=0)[0] for req in wanted)
    if late:
        typer.echo("emrtrack: " + ngettext("{n} overdue", "{n} overdue", late).format(n=late), err=True)
        raise typer.Exit(3)


@app.command(help=_(
    "Draw deployment progress against the deadline.\n\n"
    "Deployed facilities over time against those in scope, the deadline marked, and a forecast at the pace of the "
    "last 8 weeks.\n\n"
    "Example: emrtrack chart --output progress.svg"))
def chart(
    requirement: Annotated[str | None, typer.Option(
        "--requirement", "-r", metavar="ID", help=_("A requirement id (default: the register's default)."),
        autocompletion=_complete_requirement)] = None,
    as_of: AsOfOption = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", dir_okay=False, metavar="PATH", help=_("Write the chart to FILE.svg or FILE.html instead."),
        show_default=False)] = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack import chart as charts

    if output is not None and output.suffix.lower() not in (".svg", ".html", ".htm"):
        raise UsageError(_("--output must be a .svg or .html file"))
    register = _open(db)
    day = _as_of(register, as_of)
    req = register.requirement(requirement)
    count, rows = register.standings(req, day, group_by="none")
    data = charts.progress(req, count, list(rows), day)
    if output is None:
        typer.echo(charts.text(data))
    else:
        output.write_text(charts.svg(data) if output.suffix.lower() == ".svg" else charts.html(data),
                          encoding="utf-8")
        _wrote(output)


@app.command(help=_(
    "Everything known about one facility.\n\n"
    "Its facts, its milestones, its state under each requirement, and its history.\n\n"
    "Example: emrtrack show \"quan y 4\""))
def show(
    facility: FacilityArgument,
    as_of: AsOfOption = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack import render
    from emrtrack.rules import standing_under_each

    register = _open(db)
    found = register.resolve(facility)
    day = _as_of(register, as_of)
    milestones = register.milestones(found.id)
    standings = standing_under_each(register.requirements(), found, milestones, day)
    console = _console()
    render.print_facility(console, found, milestones, standings, day)
    render.print_history(console, register.history(found.id, limit=None), _("History, newest first"))


@app.command(help=_(
    "The register's history of changes, newest first.\n\n"
    "Example: emrtrack history \"do luong\" --limit 5"))
def history(
    facility: Annotated[str | None, typer.Argument(metavar="FACILITY", help=_("Only this facility (id, name or alias)."),
                                                   show_default=False, autocompletion=_complete_facility)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N", help=_("How many events, newest first."))] = 20,
    format: Annotated[Format, typer.Option("--format", "-f", help=_("table or json."))] = Format.table,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack import render

    register = _open(db)
    found = register.resolve(facility) if facility else None
    events = register.history(found.id if found else None, limit=limit + 1)
    more, events = len(events) > limit, events[:limit]
    if format is Format.json:
        typer.echo(render.history_json(events))
    else:
        title = (_("History of {name}, newest first").format(name=render.safe(found.name)) if found
                 else _("History of the register, newest first"))
        console = _console()
        render.print_history(console, events, title)
        if more:
            console.print(_("Older events are not shown: see more with --limit {n}.").format(n=limit * 5))


@app.command(help=_(
    "Show the latest change and revert it.\n\n"
    "The undo is recorded too: history keeps both.\n\n"
    "Example: emrtrack undo --yes"))
def undo(
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("Do not ask for confirmation."))] = False,
    by: ByOption = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack.render import describe_change

    register = _open(db)
    change = register.last_change()
    if change is None:
        typer.echo(_("Nothing to undo (the load that created the register is never undone: "
                     "load a corrected file instead)."))
        return
    typer.echo(describe_change(change))
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(_("undo needs confirmation: run it again with --yes"))
        if not typer.confirm(_("Revert this change?")):
            typer.echo(_("Nothing changed."))
            return
    undo_id = register.undo(change, actor=_actor(by))
    typer.echo(_("Reverted change #{id}; recorded as change #{undo}.").format(id=change.id, undo=undo_id))


@app.command(help=_(
    "Check that the history was not altered.\n\n"
    "Recomputes the history's hash chain and replays it into the state it should give.\n\n"
    "Prints \"ok\" with the number of events checked and the hash of the last one (quote it to prove later that "
    "nothing was changed), or names the first event altered, deleted or inserted (exit code 1).\n\n"
    "Example: emrtrack verify"))
def verify(lang: LangOption = None, db: DbOption = None) -> None:
    from emrtrack.errors import RegisterError

    register = _open(db)
    result = register.verify()
    if not result.ok:
        raise RegisterError(ngettext("verify failed after {n} good event: {problem}",
                                     "verify failed after {n} good events: {problem}", result.events)
                            .format(n=result.events, problem=result.problem))
    typer.echo(ngettext("ok: {n} event checked", "ok: {n} events checked", result.events).format(n=result.events))
    typer.echo(_("last hash: {hash}").format(hash=result.head))


def main() -> None:
    app(prog_name="emrtrack")
