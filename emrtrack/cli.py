"""The command line: parse options, call a service, hand the view to the writer for the format asked.

One boundary turns errors into lines on stderr. The register (`--db`) and the language (`--lang`) travel
in the context object, settled once when the program starts: nothing is kept in the environment."""

# No `from __future__ import annotations` in this module: Typer reads the commands' annotations at every
# start, and text annotations would have it evaluate hundreds of them each time (15 ms of every command).
import os
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

import typer
from typer._click.core import ParameterSource
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from emrtrack import click_words, i18n
from emrtrack import options as opt
from emrtrack.command_help import COMMAND_HELP
from emrtrack.errors import UsageError, explain
from emrtrack.i18n import N_, _, ngettext
from emrtrack.output import writers


def _error_line(message: str) -> str:
    """A line on stderr, its control characters escaped as tables show them (imported only on an error)."""
    from emrtrack.output.text import safe

    return f"emrtrack: {safe(message)}"


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(_error_line(message), err=True)
    raise typer.Exit(code)


class _Boundary(TyperGroup):
    """The program: settles the language before anything is parsed or shown (help included), and runs
    every command inside one boundary where an error becomes plain stderr lines and its exit code, never
    a traceback (unless EMRTRACK_DEBUG=1). What Typer and Click print themselves is told in that language too:
    their help pages through the commands' context (click_words.Context), their usage errors through
    click_words.click_error."""

    context_class = click_words.Context

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        settings = opt.Settings(lang=i18n.resolve(i18n.lang_argument(argv)))
        i18n.set_language(settings.lang)
        opt.translate_help(self)
        self._use_context(self)
        return super().main(argv, prog_name, complete_var, standalone_mode, windows_expand_args, obj=settings, **extra)

    @staticmethod
    def _use_context(command: Any) -> None:
        """Have every subcommand write its help and usage as the program does (click_words.Context)."""
        for sub in getattr(command, "commands", {}).values():
            sub.context_class = click_words.Context
            _Boundary._use_context(sub)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except ClickException as e:
            shown = click_words.click_error(e)
            if shown is e:
                raise
            raise shown from e

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ClickException as e:
            shown = click_words.click_error(e)
            if shown is e:
                raise
            raise shown from e
        except typer.Abort:
            if i18n.current() == "en":
                raise
            typer.echo(_("Aborted!"), err=True)
            raise typer.Exit(1) from None
        except BrokenPipeError:
            # The reader went away (e.g. `| head`): stop quietly, as other command-line tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except (typer.Exit, KeyboardInterrupt):
            raise
        except Exception as e:
            if os.environ.get("EMRTRACK_DEBUG") == "1" or type(e).__module__.startswith(("click", "typer")):
                raise
            lines, code = explain(e)
            for line in lines[:-1]:
                typer.echo(_error_line(line), err=True)
            _fail(lines[-1], code)


app = typer.Typer(
    cls=_Boundary,
    help=N_(
        "Track who has deployed electronic medical records (EMR) against which deadline.\n\n"
        "The register is a local SQLite file, loaded from YAML; see README for the format."
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    # Plain help and usage errors: Typer's Rich help alone imports more than Typer itself
    # (Rich, Markdown, syntax highlighting), and `--help` is meant to answer at once.
    rich_markup_mode=None,
)


@app.callback()
def _main(
    ctx: typer.Context,
    version: opt.VersionOption = False,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
    create: opt.CreateOption = False,
) -> None:
    """Track who has deployed electronic medical records (EMR) against which deadline."""
    if isinstance(ctx.obj, opt.Settings):
        ctx.obj.db = db  # `emrtrack --db FILE COMMAND`: the same as the command's own --db
        ctx.obj.create = create


def _notify(line: str) -> None:
    typer.echo(line, err=True)


def _open(ctx: typer.Context, db: Path | None) -> Any:
    """The register the command works on. One named by --db must exist (a typo would otherwise answer from a
    new register full of the shipped data), unless --create; the usual one is created on first use."""
    from emrtrack.errors import RegisterError
    from emrtrack.service.registers import open_register

    path = opt.register_path(ctx, db)
    settings = ctx.find_root().obj
    create = isinstance(settings, opt.Settings) and settings.create
    if path is not None and not path.exists() and not create:
        raise RegisterError(
            _(
                "{path}: there is no register there (a typo in --db?): name an existing one, or create it with "
                "emrtrack --db {path} --create COMMAND, or with load"
            ).format(path=path)
        )
    return open_register(path, notify=_notify)


@app.command(help=COMMAND_HELP["load"])
def load(
    ctx: typer.Context,
    files: opt.FilesArgument,
    dry_run: opt.DryRunOption = False,
    correct: opt.LoadCorrectOption = False,
    no_shipped: opt.NoShippedOption = False,
    allow_similar: opt.AllowSimilarOption = False,
    sheet: opt.SheetOption = None,
    ignore_unknown_columns: opt.IgnoreUnknownColumnsOption = False,
    by: opt.ByOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.output.messages import load_summary
    from emrtrack.output.progress_bar import when_slow
    from emrtrack.reading.entries import ReadOptions
    from emrtrack.service import commands

    path = opt.register_path(ctx, db)
    before = commands.last_change_id(path)
    try:
        with when_slow() as progress:  # reading each file, then writing the register and its history
            summary = commands.load(
                path,
                files,
                by=by,
                dry_run=dry_run,
                correct=correct,
                notify=_notify,
                progress=progress,
                shipped=not no_shipped,
                allow_similar=allow_similar,
                options=ReadOptions(sheet=sheet, ignore_unknown_columns=ignore_unknown_columns),
            )
    except KeyboardInterrupt:  # Ctrl-C: say in one line whether the load was recorded
        after = commands.last_change_id(path)
        if after is not None and after != before:
            typer.echo(_("Interrupted, but the load was recorded, as change #{id}.").format(id=after), err=True)
        else:
            typer.echo(_("Interrupted: nothing was loaded; the register is as it was."), err=True)
        raise typer.Exit(130) from None
    typer.echo(load_summary(summary))


@app.command(help=COMMAND_HELP["template"])
def template(
    ctx: typer.Context,
    output: opt.TemplateOutput = None,
    format: opt.TemplateFormatOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.service import commands

    fmt = commands.template_format(output, format.value if format else None)
    writers.template(output, fmt, commands.template_info(opt.register_path(ctx, db)))


@app.command(help=COMMAND_HELP["export"])
def export(
    ctx: typer.Context,
    format: opt.ExportFormatOption = None,
    output: opt.ExportOutput = None,
    requirement: opt.ExportRequirement = None,
    history: opt.ExportHistoryOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.service import exports

    only_history = history is not None and output is None and format is None
    fmt = "" if only_history else exports.export_format(output, format.value if format else None)
    register = _open(ctx, db)
    if history is not None:
        writers.whole_text_file(history, register.write_history, check=partial(exports.check_extends, history))
        if only_history:
            return
    writers.export(exports.export(register, requirement=requirement), fmt, output)
    if fmt != "yaml":
        typer.echo(_("A facility list holds no requirements: export them with --format yaml."), err=True)


@app.command(help=COMMAND_HELP["status"])
def status(
    ctx: typer.Context,
    as_of: opt.AsOfOption = None,
    requirement: opt.StatusRequirement = None,
    format: opt.StatusFormatOption = opt.StatusFormat.table,
    output: opt.OutputOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.service import commands

    fmt = writers.format_for("status", format.value, output)
    view = commands.status(_open(ctx, db), as_of=as_of, requirement=requirement, with_provenance=fmt == "xlsx")
    writers.write("status", view, fmt, output)


def mark(
    ctx: typer.Context,
    facilities: opt.FacilitiesArgument = None,
    milestone: opt.MilestoneArgument = ...,  # type: ignore[assignment]  # required, after the optional FACILITY...
    on: opt.OnOption = None,
    on_or_before: opt.OnOrBeforeOption = None,
    ref: opt.RefOption = None,
    source: opt.SourceOption = None,
    note: opt.NoteOption = None,
    every: opt.MarkAllOption = False,
    requirement: opt.MarkRequirement = None,
    yes: opt.YesOption = False,
    by: opt.ByOption = None,
    correct: opt.CorrectOption = False,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.output.messages import mark_plan, mark_results
    from emrtrack.service import commands

    register = _open(ctx, db)
    plan = commands.plan_mark(
        register,
        facilities or [],
        milestone,
        on=on,
        on_or_before=on_or_before,
        source=source or (ref if on_or_before is not None else None),
        every=every,
        requirement=requirement,
        confirmed=yes,
    )
    if every or len(plan.facilities) > 1:
        typer.echo(mark_plan(plan.facilities, plan.milestone, plan.reached, plan.vocabulary))
        if not plan.facilities:
            return
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError(_("marking several facilities needs confirmation: run it again with --yes"))
            if not click_words.confirm(_("Record this?")):
                typer.echo(_("Nothing changed."))
                return
    results = commands.mark(register, plan, by=by, ref=ref, note=note, correct=correct)
    typer.echo(mark_results(results, plan.vocabulary))


def _mark_deployed(**options: Any) -> None:
    mark(milestone="deployed", **options)


# `mark-deployed FACILITY` is `mark FACILITY deployed`: the same options, without the milestone argument.
_mark_deployed.__signature__ = opt.without(mark, "milestone")  # type: ignore[attr-defined]
app.command("mark-deployed", help=COMMAND_HELP["mark-deployed"])(_mark_deployed)
app.command(help=COMMAND_HELP["mark"])(mark)


@app.command(help=COMMAND_HELP["report"])
def report(
    ctx: typer.Context,
    overdue: opt.OverdueOption = False,
    as_of: opt.AsOfOption = None,
    requirement: opt.ReportRequirement = None,
    group_by: opt.GroupByOption = opt.GroupBy.ownership,
    format: opt.ReportFormatOption = opt.ReportFormat.table,
    limit: opt.ReportLimitOption = 50,
    all_rows: opt.AllRowsOption = False,
    fail_on_overdue: opt.FailOnOverdueOption = False,
    include_targets: opt.IncludeTargetsOption = False,
    obligation: opt.ObligationOption = None,
    output: opt.OutputOption = None,
    due_within: opt.DueWithinOption = None,
    exempt: opt.ExemptReportOption = False,
    broken_commitments: opt.BrokenCommitmentsOption = False,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.model import Selection
    from emrtrack.service import commands

    chosen = [
        s
        for s, given in (
            (Selection.overdue(), overdue),
            (Selection.due_within(due_within or 0), due_within is not None),
            (Selection.exempt(), exempt),
            (Selection.broken_commitments(), broken_commitments),
        )
        if given
    ]
    if len(chosen) > 1:
        raise UsageError(
            _("--overdue, --due-within, --exempt and --broken-commitments select different facilities: give one")
        )
    selection = chosen[0] if chosen else Selection()
    fmt = writers.format_for("report", format.value, output)
    if all_rows and ctx.get_parameter_source("limit") is ParameterSource.COMMANDLINE:
        typer.echo(_("--all shows every row: --limit {n} is not used.").format(n=limit), err=True)
    with commands.report(
        _open(ctx, db),
        as_of=as_of,
        requirement=requirement,
        selection=selection,
        group_by=group_by.value,
        limit=None if all_rows or fmt != "table" else limit,
        obligation=obligation,
        count_late=fail_on_overdue,
        count_targets=include_targets,
        with_provenance=fmt == "xlsx",
    ) as view:
        writers.write("report", view, fmt, output)
    if view.late:
        _fail(ngettext("{n} overdue", "{n} overdue", view.late).format(n=view.late), 3)


@app.command(help=COMMAND_HELP["chart"])
def chart(
    ctx: typer.Context,
    requirement: opt.ChartRequirement = None,
    as_of: opt.AsOfOption = None,
    output: opt.ChartOutput = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.service import commands

    fmt = writers.chart_format(output)
    writers.write("chart", commands.chart(_open(ctx, db), requirement=requirement, as_of=as_of), fmt, output)


@app.command(help=COMMAND_HELP["show"])
def show(
    ctx: typer.Context,
    facility: opt.FacilityArgument,
    as_of: opt.AsOfOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.service import commands
    from emrtrack.service.life import merged_line

    query = opt.facility_words(facility) or ""
    view = commands.show(_open(ctx, db), query, as_of=as_of)
    merged = merged_line(view.facility)
    if merged:
        typer.echo(merged, err=True)
    writers.write("show", view, "table")


@app.command(help=COMMAND_HELP["history"])
def history(
    ctx: typer.Context,
    facility: opt.OptionalFacilityArgument = None,
    limit: opt.HistoryLimitOption = 20,
    format: opt.HistoryFormatOption = opt.HistoryFormat.table,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.service import commands
    from emrtrack.service.life import merged_line

    query = opt.facility_words(facility)
    view = commands.history(_open(ctx, db), query, limit=limit)
    merged = merged_line(view.facility) if view.facility is not None else None
    if merged:
        typer.echo(merged, err=True)
    writers.write("history", view, format.value)


@app.command(help=COMMAND_HELP["undo"])
def undo(
    ctx: typer.Context,
    change_id: opt.UndoChangeOption = None,
    yes: opt.YesOption = False,
    by: opt.ByOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.output.messages import describe_change
    from emrtrack.service import commands

    register = _open(ctx, db)
    change = commands.undoable(register, change_id)
    if change is None:
        typer.echo(
            _("Nothing to undo (the load that created the register is never undone: load a corrected file instead).")
        )
        return
    typer.echo(describe_change(change))
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(_("undo needs confirmation: run it again with --yes"))
        if not click_words.confirm(_("Revert this change?")):
            typer.echo(_("Nothing changed."))
            return
    undo_id = commands.undo(register, change, by=by)
    typer.echo(_("Reverted change #{id}; recorded as change #{undo}.").format(id=change.id, undo=undo_id))


def _basis(ref: str | None, day: Any = None, issuer: str | None = None) -> Any:
    from emrtrack.model import Basis

    return Basis(ref, day, issuer) if ref else None


def _grant(ctx: typer.Context, db: Path | None, facility: list[str], kind: str, **given: Any) -> None:
    """`extend`, `exempt` and `commit`: the exception recorded, and the line saying so."""
    from emrtrack.output.life import exception_recorded
    from emrtrack.service import life

    basis = _basis(given.pop("basis"), given.pop("basis_date"), given.pop("issuer"))
    found, exception, change = life.grant(
        _open(ctx, db), opt.facility_words(facility) or "", kind, basis=basis, **given
    )
    typer.echo(exception_recorded(found, exception, change))


@app.command(help=COMMAND_HELP["extend"])
def extend(
    ctx: typer.Context,
    facility: opt.FacilityArgument,
    until: opt.ExtendUntilOption,
    basis: opt.BasisOption,
    requirement: opt.ExceptionRequirement = None,
    obligation: opt.ExceptionMilestone = None,
    basis_date: opt.BasisDateOption = None,
    issuer: opt.IssuerOption = None,
    granted: opt.GrantedOption = None,
    note: opt.ExceptionNoteOption = None,
    by: opt.ByOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    _grant(
        ctx, db, facility, "extension", requirement=requirement, on=until, milestone=obligation, basis=basis,
        basis_date=basis_date, issuer=issuer, granted=granted, note=note, by=by,
    )  # fmt: skip


@app.command(help=COMMAND_HELP["exempt"])
def exempt(
    ctx: typer.Context,
    facility: opt.FacilityArgument,
    basis: opt.BasisOption,
    requirement: opt.ExceptionRequirement = None,
    start: opt.ExemptFromOption = None,
    until: opt.ExemptUntilOption = None,
    obligation: opt.ExceptionMilestone = None,
    basis_date: opt.BasisDateOption = None,
    issuer: opt.IssuerOption = None,
    granted: opt.GrantedOption = None,
    note: opt.ExceptionNoteOption = None,
    by: opt.ByOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    _grant(
        ctx, db, facility, "exemption", requirement=requirement, start=start, until=until, milestone=obligation,
        basis=basis, basis_date=basis_date, issuer=issuer, granted=granted, note=note, by=by,
    )  # fmt: skip


@app.command(help=COMMAND_HELP["commit"])
def commit(
    ctx: typer.Context,
    facility: opt.FacilityArgument,
    on: opt.CommitDateOption,
    basis: opt.BasisOption,
    requirement: opt.ExceptionRequirement = None,
    obligation: opt.ExceptionMilestone = None,
    basis_date: opt.BasisDateOption = None,
    issuer: opt.IssuerOption = None,
    granted: opt.GrantedOption = None,
    note: opt.ExceptionNoteOption = None,
    by: opt.ByOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    _grant(
        ctx, db, facility, "commitment", requirement=requirement, on=on, milestone=obligation, basis=basis,
        basis_date=basis_date, issuer=issuer, granted=granted, note=note, by=by,
    )  # fmt: skip


@app.command(help=COMMAND_HELP["withdraw"])
def withdraw(
    ctx: typer.Context,
    facility: opt.FacilityArgument,
    basis: opt.BasisOption,
    basis_date: opt.BasisDateOption = None,
    note: opt.NoteOption = None,
    by: opt.ByOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.output.life import withdrawn_line
    from emrtrack.service import life

    found, change = life.withdraw(
        _open(ctx, db), opt.facility_words(facility) or "", basis=_basis(basis, basis_date), by=by, note=note
    )
    typer.echo(withdrawn_line(found, change))


@app.command(help=COMMAND_HELP["reinstate"])
def reinstate(
    ctx: typer.Context,
    facility: opt.FacilityArgument,
    basis: opt.OptionalBasisOption = None,
    note: opt.NoteOption = None,
    by: opt.ByOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.output.life import reinstated_line
    from emrtrack.service import life

    found, change = life.reinstate(
        _open(ctx, db), opt.facility_words(facility) or "", basis=_basis(basis), by=by, note=note
    )
    typer.echo(reinstated_line(found, change))


@app.command(help=COMMAND_HELP["verify"])
def verify(
    ctx: typer.Context,
    history: opt.VerifyHistoryOption = None,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.errors import RegisterError
    from emrtrack.output.messages import verify_result
    from emrtrack.service import commands, exports

    result = exports.verify_history(history) if history is not None else commands.verify(_open(ctx, db))
    if not result.ok:
        raise RegisterError(verify_result(result))
    typer.echo(verify_result(result))


@app.command(help=COMMAND_HELP["backup"])
def backup(
    ctx: typer.Context,
    file: opt.BackupFileArgument,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.errors import RegisterError
    from emrtrack.output.messages import verify_result
    from emrtrack.service import registers

    result = registers.backup(_open(ctx, db), file)
    if not result.ok:
        raise RegisterError(verify_result(result))
    typer.echo(_("Backed up the register to {file}, and checked the copy:").format(file=file))
    typer.echo(verify_result(result))


@app.command(help=COMMAND_HELP["restore"])
def restore(
    ctx: typer.Context,
    file: opt.RestoreFileArgument,
    yes: opt.YesOption = False,
    lang: opt.LangOption = None,
    db: opt.DbOption = None,
) -> None:
    from emrtrack.errors import RegisterError
    from emrtrack.output.messages import verify_result
    from emrtrack.service import registers

    path = opt.register_path(ctx, db)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(_("restore needs confirmation: run it again with --yes"))
        question = _("Replace the register with {file} (the register now there is kept beside it)?")
        if not click_words.confirm(question.format(file=file)):
            typer.echo(_("Nothing changed."))
            return
    result, kept = registers.restore(path, file)
    if not result.ok:
        raise RegisterError(_("{file} was not restored: {problem}").format(file=file, problem=verify_result(result)))
    if kept is None:
        where = path or registers.default_register_path()
        typer.echo(_("Restored the register from {file} at {path}.").format(file=file, path=where))
    else:
        typer.echo(
            _("Restored the register from {file}; the one it replaced is kept as {kept}.").format(file=file, kept=kept)
        )
    typer.echo(verify_result(result))


def _utf8_where_needed() -> None:
    """Standard output and error in UTF-8 when their encoding cannot write Vietnamese (a console or a variable
    set to a legacy code page): what is written is then whole, never cut by an encoding error."""
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "Đô Lương ệ".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(encoding="utf-8")


def main() -> None:
    _utf8_where_needed()
    app(prog_name="emrtrack")
