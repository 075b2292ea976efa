"""The command line: parse options, call a service, hand the view to the writer for the format asked.

One boundary turns errors into lines on stderr. The register (`--db`) and the language (`--lang`) travel
in the context object, settled once when the program starts: nothing is kept in the environment."""

# No `from __future__ import annotations` in this module: Typer reads the commands' annotations at every
# start, and text annotations would have it evaluate hundreds of them each time (15 ms of every command).
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from emrtrack import __version__, i18n
from emrtrack.errors import UsageError, explain
from emrtrack.i18n import N_, _, ngettext
from emrtrack.options import (
    COMMAND_HELP,
    AsOfOption,
    ByOption,
    CorrectOption,
    DbOption,
    FacilityArgument,
    GroupBy,
    HistoryFormat,
    LangOption,
    NoteOption,
    OnOption,
    OptionalFacilityArgument,
    OutputOption,
    RefOption,
    ReportFormat,
    Settings,
    StatusFormat,
    TemplateFormat,
    format_option,
    output_option,
    register_path,
    requirement_option,
    translate_help,
)
from emrtrack.output import writers


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"emrtrack: {message}", err=True)
    raise typer.Exit(code)


class _Boundary(TyperGroup):
    """The program: settles the language before anything is parsed or shown (help included), and runs
    every command inside one boundary where an error becomes plain stderr lines and its exit code, never
    a traceback (unless EMRTRACK_DEBUG=1)."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        settings = Settings(lang=i18n.resolve(i18n.lang_argument(argv)))
        i18n.set_language(settings.lang)
        translate_help(self)
        return super().main(argv, prog_name, complete_var, standalone_mode, obj=settings, **extra)

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
            lines, code = explain(e)
            for line in lines[:-1]:
                typer.echo(f"emrtrack: {line}", err=True)
            _fail(lines[-1], code)


app = typer.Typer(
    cls=_Boundary,
    help=N_("Track who has deployed electronic medical records (EMR) against which deadline.\n\n"
            "The register is a local SQLite file, loaded from YAML; see README for the format."),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    # Plain help and usage errors: Typer's Rich help alone imports more than Typer itself
    # (Rich, Markdown, syntax highlighting), and `--help` is meant to answer at once.
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"emrtrack {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help=N_("Show the version and exit."))] = False,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    """Track who has deployed electronic medical records (EMR) against which deadline."""
    if isinstance(ctx.obj, Settings):
        ctx.obj.db = db  # `emrtrack --db FILE COMMAND`: the same as the command's own --db


def _notify(line: str) -> None:
    typer.echo(line, err=True)


def _open(ctx: typer.Context, db: Path | None) -> Any:
    from emrtrack.service.registers import open_register

    return open_register(register_path(ctx, db), notify=_notify)


@app.command(help=COMMAND_HELP["load"])
def load(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(
        help=N_("Files to load together: YAML, or facility lists as .xlsx or .csv (see: emrtrack template)."),
        exists=True, dir_okay=False, show_default=False, metavar="FILE...")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help=N_("Validate and count; write nothing."))] = False,
    correct: Annotated[bool, typer.Option("--correct", help=N_(
        "Let the files replace milestone dates already recorded (kept in history as corrections)."))] = False,
    by: ByOption = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack.output.messages import load_summary
    from emrtrack.output.progress_bar import when_slow
    from emrtrack.service import commands

    with when_slow(len(files) + 1, _("Loading")) as progress:  # reading each file, then writing
        summary = commands.load(register_path(ctx, db), files, by=by, dry_run=dry_run, correct=correct,
                                notify=_notify, on_step=progress.step)
    typer.echo(load_summary(summary))


@app.command(help=COMMAND_HELP["template"])
def template(
    output: Annotated[Path, output_option(N_("The file to write."))],
    format: Annotated[TemplateFormat | None, format_option(
        N_("xlsx or csv (default: from the file's extension)."))] = None,
    lang: LangOption = None,
) -> None:
    from emrtrack.service import commands

    writers.template(output, commands.template_format(output, format.value if format else None))


@app.command(help=COMMAND_HELP["status"])
def status(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    requirement: Annotated[str | None, requirement_option(
        N_("One requirement id (default: every requirement)."))] = None,
    format: Annotated[StatusFormat, format_option(N_("table, json or xlsx."))] = StatusFormat.table,
    output: OutputOption = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack.service import commands

    fmt = writers.format_for("status", format.value, output)
    view = commands.status(_open(ctx, db), as_of=as_of, requirement=requirement, with_provenance=fmt == "xlsx")
    writers.write("status", view, fmt, output)


def _mark(ctx: typer.Context, facility: str, milestone: str, on: date | None, ref: str | None, note: str | None,
          by: str | None, correct: bool, db: Path | None) -> None:
    from emrtrack.output.messages import mark_result
    from emrtrack.service import commands

    result = commands.mark(_open(ctx, db), facility, milestone, on=on, by=by, ref=ref, note=note, correct=correct)
    typer.echo(mark_result(result))


@app.command("mark-deployed", help=COMMAND_HELP["mark-deployed"])
def mark_deployed(
    ctx: typer.Context,
    facility: FacilityArgument,
    on: OnOption = None,
    ref: RefOption = None,
    note: NoteOption = None,
    by: ByOption = None,
    correct: CorrectOption = False,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    _mark(ctx, facility, "deployed", on, ref, note, by, correct, db)


@app.command(help=COMMAND_HELP["mark"])
def mark(
    ctx: typer.Context,
    facility: FacilityArgument,
    milestone: Annotated[str, typer.Argument(metavar="MILESTONE", help=N_("appraised, deployed or annex-signed."),
                                             show_default=False)],
    on: OnOption = None,
    ref: RefOption = None,
    note: NoteOption = None,
    by: ByOption = None,
    correct: CorrectOption = False,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    _mark(ctx, facility, milestone, on, ref, note, by, correct, db)


@app.command(help=COMMAND_HELP["report"])
def report(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option(
        "--overdue", help=N_("Only facilities past their deadline and not deployed."))] = False,
    as_of: AsOfOption = None,
    requirement: Annotated[str | None, requirement_option(
        N_("A requirement id, or 'all' (default: the register's default)."))] = None,
    group_by: Annotated[GroupBy, typer.Option("--group-by", help=N_("ownership, kind or none."))] = GroupBy.ownership,
    format: Annotated[ReportFormat, format_option(
        N_("table, csv, json, markdown or xlsx (xlsx needs --output)."))] = ReportFormat.table,
    limit: Annotated[int, typer.Option("--limit", min=1, metavar="N",
                                       help=N_("Rows shown in a table (machine formats show all)."))] = 50,
    all_rows: Annotated[bool, typer.Option("--all", help=N_("Show every row in a table."))] = False,
    fail_on_overdue: Annotated[bool, typer.Option(
        "--fail-on-overdue", help=N_("Exit with code 3 when any facility is overdue."))] = False,
    output: OutputOption = None,
    due_within: Annotated[int | None, typer.Option("--due-within", min=0, metavar="DAYS", help=N_(
        "Only facilities not yet deployed whose deadline falls in the next DAYS days."))] = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack.model import Selection
    from emrtrack.service import commands

    if overdue and due_within is not None:
        raise UsageError(_("--overdue and --due-within select different facilities: give one of them"))
    selection = Selection.overdue() if overdue else \
        Selection.due_within(due_within) if due_within is not None else Selection()
    fmt = writers.format_for("report", format.value, output)
    with commands.report(_open(ctx, db), as_of=as_of, requirement=requirement, selection=selection,
                         group_by=group_by.value, limit=None if all_rows or fmt != "table" else limit,
                         count_late=fail_on_overdue, with_provenance=fmt == "xlsx") as view:
        writers.write("report", view, fmt, output)
    if view.late:
        _fail(ngettext("{n} overdue", "{n} overdue", view.late).format(n=view.late), 3)


@app.command(help=COMMAND_HELP["chart"])
def chart(
    ctx: typer.Context,
    requirement: Annotated[str | None, requirement_option(
        N_("A requirement id (default: the register's default)."))] = None,
    as_of: AsOfOption = None,
    output: Annotated[Path | None, output_option(N_("Write the chart to FILE.svg or FILE.html instead."))] = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack.service import commands

    fmt = writers.chart_format(output)
    writers.write("chart", commands.chart(_open(ctx, db), requirement=requirement, as_of=as_of), fmt, output)


@app.command(help=COMMAND_HELP["show"])
def show(ctx: typer.Context, facility: FacilityArgument, as_of: AsOfOption = None, lang: LangOption = None,
         db: DbOption = None) -> None:
    from emrtrack.service import commands

    writers.write("show", commands.show(_open(ctx, db), facility, as_of=as_of), "table")


@app.command(help=COMMAND_HELP["history"])
def history(
    ctx: typer.Context,
    facility: OptionalFacilityArgument = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N",
                                       help=N_("How many events, newest first."))] = 20,
    format: Annotated[HistoryFormat, format_option(N_("table or json."))] = HistoryFormat.table,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack.service import commands

    writers.write("history", commands.history(_open(ctx, db), facility, limit=limit), format.value)


@app.command(help=COMMAND_HELP["undo"])
def undo(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help=N_("Do not ask for confirmation."))] = False,
    by: ByOption = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from emrtrack.output.messages import describe_change
    from emrtrack.service import commands

    register = _open(ctx, db)
    change = commands.undoable(register)
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
    undo_id = commands.undo(register, change, by=by)
    typer.echo(_("Reverted change #{id}; recorded as change #{undo}.").format(id=change.id, undo=undo_id))


@app.command(help=COMMAND_HELP["verify"])
def verify(ctx: typer.Context, lang: LangOption = None, db: DbOption = None) -> None:
    from emrtrack.errors import RegisterError
    from emrtrack.output.messages import verify_result
    from emrtrack.service import commands

    result = commands.verify(_open(ctx, db))
    if not result.ok:
        raise RegisterError(verify_result(result))
    typer.echo(verify_result(result))


def main() -> None:
    app(prog_name="emrtrack")
