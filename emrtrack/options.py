"""The command line's options and arguments, declared once and shared by the commands that take them;
the settings given before the command; shell completion's hooks; dates as typed.

Help texts are marked for translation here (N_) and translated when the program starts, in the language
settled then (see cli._Boundary)."""

# No `from __future__ import annotations`: Typer reads the completion hooks' annotations as objects (see cli.py).
import enum
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click import types as click_types
from typer._click.shell_completion import CompletionItem

from emrtrack import __version__
from emrtrack.i18n import N_, _


@dataclass
class Settings:
    """What the options before the command settle for every command: the language and the register.
    Kept in the root context's `obj`."""

    lang: str = "en"
    db: Path | None = None
    create: bool = False  # a register named by --db may be created


def translate_help(command: Any) -> None:
    """Show the help texts (written in English, marked for translation) in the language settled: of the
    command, its parameters and its subcommands. The English is kept, so that it can be done again."""
    for item in (command, *getattr(command, "params", ())):
        for attr in ("help", "short_help"):
            english = getattr(item, f"_english_{attr}", None) or getattr(item, attr, None)
            if english:
                setattr(item, f"_english_{attr}", english)
                setattr(item, attr, _(english))
    for sub in getattr(command, "commands", {}).values():
        translate_help(sub)


def without(command: Callable[..., Any], parameter: str) -> inspect.Signature:
    """The signature of `command` less one parameter: for a command that is another with that value fixed."""
    signature = inspect.signature(command)
    return signature.replace(parameters=[p for p in signature.parameters.values() if p.name != parameter])


def register_path(ctx: typer.Context, db: Path | None) -> Path | None:
    """The register asked for: the command's --db, else the one given before the command."""
    settings = ctx.find_root().obj
    return db or (settings.db if isinstance(settings, Settings) else None)


# Choices, each value its own name (Typer shows and checks them).
Lang = enum.Enum("Lang", {"en": "en", "vi": "vi"}, type=str)
GroupBy = enum.Enum(
    "GroupBy", {"ownership": "ownership", "kind": "kind", "managed-by": "managed-by", "none": "none"}, type=str
)
# The formats each command writes: the keys of its writer table (output.writers; a test keeps them equal).
TemplateFormat = enum.Enum("TemplateFormat", {"xlsx": "xlsx", "csv": "csv"}, type=str)
ExportFormat = enum.Enum("ExportFormat", {"yaml": "yaml", "csv": "csv", "xlsx": "xlsx"}, type=str)
StatusFormat = enum.Enum("StatusFormat", {"table": "table", "json": "json", "xlsx": "xlsx"}, type=str)
ReportFormat = enum.Enum(
    "ReportFormat", {"table": "table", "csv": "csv", "json": "json", "markdown": "markdown", "xlsx": "xlsx"}, type=str
)
HistoryFormat = enum.Enum("HistoryFormat", {"table": "table", "json": "json"}, type=str)


# What is wrong with a date typed on the command line (rules.parse_date's templates, marked here)
DATE_MESSAGES = (
    N_("{value} is not a date: write it day/month/year (31/12/2025) or YYYY-MM-DD"),
    N_("{value} is not a real date"),
    N_("{value} is out of range: give a date from {first} to {last}"),
)


def _date(value: str | None) -> date | None:
    """A date as typed: YYYY-MM-DD, dd/mm/yyyy or d/m/yyyy (day first), in the range the tool takes."""
    from emrtrack.rules import DateError, parse_date

    if value is None:
        return None
    try:
        return parse_date(value)
    except DateError as e:
        raise typer.BadParameter(_(e.template).format(**e.fields)) from None


# -- shell completion: --db as typed so far, after the command or before it ------------------------
def _completion_db(ctx: typer.Context) -> Path | None:
    for c in (ctx, ctx.find_root()):
        if c.params.get("db"):  # still text while completing
            return Path(c.params["db"])
    return None


class _FacilityText(click_types.StringParamType):
    """A facility as typed, completed with ids: by id, or by a name or alias typed (folded, abbreviated, quoted when
    it has several words). Not Typer's `autocompletion`, which keeps only what starts with the text typed."""

    def shell_complete(self, ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
        from emrtrack.completion import facilities

        return [CompletionItem(fid, help=name) for fid, name in facilities(incomplete, _completion_db(ctx))]


class _FacilityWords(_FacilityText):
    """One facility as the words of its name, typed without quotes (`show do luong`): the first word completed
    with ids, as above; each later word with the next word of the names the earlier ones begin (`do lu` → `luong`)."""

    def shell_complete(self, ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
        from emrtrack.completion import name_words

        before = ctx.params.get(param.name) or ()
        if not before:
            return super().shell_complete(ctx, param, incomplete)
        return [CompletionItem(word) for word in name_words(incomplete, _completion_db(ctx), before)]


_FACILITY_TEXT = _FacilityText()
_FACILITY_WORDS = _FacilityWords()


def _complete_milestone(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    from emrtrack.completion import milestones

    return milestones(incomplete, _completion_db(ctx))


def _complete_obligation(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    from emrtrack.completion import milestones

    return milestones(incomplete, _completion_db(ctx), every=True)


def _complete_requirement(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    from emrtrack.completion import requirements

    return requirements(incomplete, _completion_db(ctx))


# -- options whose meaning depends on the command: one declaration, the command's own help ----------
def format_option(help: str) -> Any:
    """--format / -f: the choices are the command's format enumeration."""
    return typer.Option("--format", "-f", help=help)


def requirement_option(help: str) -> Any:
    """--requirement / -r ID, completed from the register."""
    return typer.Option("--requirement", "-r", metavar="ID", help=help, autocompletion=_complete_requirement)


def output_option(help: str = N_("Write to this file instead of the screen (needed for xlsx).")) -> Any:
    """--output / -o PATH."""
    return typer.Option("--output", "-o", dir_okay=False, help=help, show_default=False, metavar="PATH")


# -- options that mean the same everywhere ---------------------------------------------------------
LangOption = Annotated[
    Lang | None,
    typer.Option(
        "--lang",
        metavar="en|vi",
        help=N_("Interface language (default: $EMRTRACK_LANG, else your locale)."),
        show_default=False,
    ),
]  # read when the program starts (cli._Boundary.main); declared for help and checking
DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help=N_("The register file. Default: $EMRTRACK_DB, else register.db in your data directory."),
        dir_okay=False,
        show_default=False,
        metavar="PATH",
    ),
]
AsOfOption = Annotated[
    date | None,
    typer.Option(
        "--as-of",
        parser=_date,
        metavar="DATE",
        help=N_("Report as of this date (31/08/2025 or 2025-08-31); default today."),
        show_default=False,
    ),
]
OnOption = Annotated[
    date | None,
    typer.Option(
        "--on",
        parser=_date,
        metavar="DATE",
        help=N_("The date it happened (31/08/2025 or 2025-08-31); default today."),
        show_default=False,
    ),
]
ByOption = Annotated[
    str | None, typer.Option("--by", metavar="NAME", help=N_("Who records this (default: your login name)."))
]
OnOrBeforeOption = Annotated[
    date | None,
    typer.Option(
        "--on-or-before",
        parser=_date,
        metavar="DATE",
        help=N_("It happened on or before this date, exactly when is not known (e.g. a statement that all had)."),
        show_default=False,
    ),
]
SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        metavar="TEXT",
        help=N_("The evidence for the date, shown beside it in reports (default for --on-or-before: the --ref)."),
        show_default=False,
    ),
]
MarkAllOption = Annotated[
    bool,
    typer.Option("--all", help=N_("Every facility in scope of the requirement that has not reached the milestone.")),
]
MarkRequirement = Annotated[
    str | None, requirement_option(N_("With --all: whose scope (default: the register's default requirement)."))
]
FacilitiesArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="FACILITY...",
        help=N_("Facility ids, names or aliases; case and diacritics do not matter (e.g. 'do luong')."),
        show_default=False,
        click_type=_FACILITY_TEXT,
    ),
]
ObligationOption = Annotated[
    str | None,
    typer.Option(
        "--obligation",
        metavar="MILESTONE|all",
        help=N_("Which obligation: a milestone, or 'all' (default: the requirement's principal one, e.g. deployed)."),
        show_default=False,
        autocompletion=_complete_obligation,
    ),
]
IncludeTargetsOption = Annotated[
    bool,
    typer.Option(
        "--include-targets", help=N_("With --fail-on-overdue: count plan targets too, not only binding documents.")
    ),
]
RefOption = Annotated[
    str | None, typer.Option("--ref", metavar="TEXT", help=N_("The document this rests on, e.g. a dispatch number."))
]
NoteOption = Annotated[str | None, typer.Option("--note", metavar="TEXT", help=N_("A note kept with the change."))]
CorrectOption = Annotated[
    bool, typer.Option("--correct", help=N_("Replace a date already recorded (kept in history as a correction)."))
]
OutputOption = Annotated[Path | None, output_option()]
# One facility, by id or by the words of a name or alias typed with or without quotes (`show do luong`).
FacilityArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="FACILITY",
        help=N_("Facility id, name or alias; case and diacritics do not matter (e.g. do luong)."),
        show_default=False,
        click_type=_FACILITY_WORDS,
    ),
]
OptionalFacilityArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="FACILITY",
        help=N_("Only this facility (id, name or alias)."),
        show_default=False,
        click_type=_FACILITY_WORDS,
    ),
]


def facility_words(words: list[str] | None) -> str | None:
    """The facility a FACILITY argument names: its words as one name (None: none given)."""
    return " ".join(words) if words else None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"emrtrack {__version__}")
        raise typer.Exit()


# -- options of one command ------------------------------------------------------------------------
CreateOption = Annotated[
    bool,
    typer.Option(
        "--create",
        help=N_("Create the register named by --db if there is none (load creates one without it)."),
    ),
]
VersionOption = Annotated[
    bool, typer.Option("--version", callback=_version, is_eager=True, help=N_("Show the version and exit."))
]
FilesArgument = Annotated[
    list[Path],
    typer.Argument(
        help=N_("Files to load together: YAML, or facility lists as .xlsx or .csv (see: emrtrack template)."),
        exists=True,
        dir_okay=False,
        show_default=False,
        metavar="FILE...",
    ),
]
ExportFormatOption = Annotated[
    ExportFormat | None,
    format_option(
        N_("yaml (the default: everything), or csv or xlsx (the facility list; default: from the file's extension).")
    ),
]
ExportOutput = Annotated[Path | None, output_option(N_("The file to write (default: the screen)."))]
ExportRequirement = Annotated[
    str | None, requirement_option(N_("Only this requirement, and the facilities in its scope (default: everything)."))
]
ExportHistoryOption = Annotated[
    Path | None,
    typer.Option(
        "--history",
        dir_okay=False,
        metavar="PATH",
        help=N_("Also write the whole history to this file, one change a line (JSON Lines), to keep in git."),
        show_default=False,
    ),
]
VerifyHistoryOption = Annotated[
    Path | None,
    typer.Option(
        "--history",
        exists=True,
        dir_okay=False,
        metavar="PATH",
        help=N_("Check this history file (from export --history) on its own, instead of the register."),
        show_default=False,
    ),
]
AllowSimilarOption = Annotated[
    bool,
    typer.Option(
        "--allow-similar",
        help=N_("Add facilities even under the name of one the register holds (a list's own ids for the same place)."),
    ),
]
NoShippedOption = Annotated[
    bool,
    typer.Option(
        "--no-shipped",
        help=N_("When the register is new, start it from these files alone, without the shipped data."),
    ),
]
SheetOption = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        metavar="NAME",
        help=N_("The worksheet of an .xlsx file to read (default: the first visible one)."),
        show_default=False,
    ),
]
IgnoreUnknownColumnsOption = Annotated[
    bool,
    typer.Option(
        "--ignore-unknown-columns",
        help=N_("Leave out, with a note, the columns of a CSV or .xlsx list that emrtrack does not know."),
    ),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help=N_("Validate and count; write nothing."))]
LoadCorrectOption = Annotated[
    bool,
    typer.Option(
        "--correct",
        help=N_(
            "Let the files replace milestone dates already recorded, and take a changed name as a corrected spelling "
            "rather than a new official name (kept in history as corrections)."
        ),
    ),
]
TemplateOutput = Annotated[
    Path | None, output_option(N_("The file to write (default: CSV on the screen, to redirect to a file)."))
]
TemplateFormatOption = Annotated[
    TemplateFormat | None, format_option(N_("xlsx or csv (default: from the file's extension)."))
]
StatusRequirement = Annotated[str | None, requirement_option(N_("One requirement id (default: every requirement)."))]
StatusFormatOption = Annotated[StatusFormat, format_option(N_("table, json or xlsx."))]
MilestoneArgument = Annotated[
    str,
    typer.Argument(
        metavar="MILESTONE",
        help=N_("One of the register's milestones (by default appraised, deployed or annex-signed)."),
        show_default=False,
        autocompletion=_complete_milestone,
    ),
]
OverdueOption = Annotated[
    bool, typer.Option("--overdue", help=N_("Only facilities past their deadline and not deployed."))
]
ReportRequirement = Annotated[
    str | None, requirement_option(N_("A requirement id, or 'all' (default: the register's default)."))
]
GroupByOption = Annotated[GroupBy, typer.Option("--group-by", help=N_("ownership, kind, managed-by or none."))]
ReportFormatOption = Annotated[
    ReportFormat, format_option(N_("table, csv, json, markdown or xlsx (xlsx needs --output)."))
]
ReportLimitOption = Annotated[
    int,
    typer.Option("--limit", min=1, metavar="N", help=N_("Rows shown in a table (machine formats and --all show all).")),
]
AllRowsOption = Annotated[bool, typer.Option("--all", help=N_("Show every row in a table (wins over --limit)."))]
FailOnOverdueOption = Annotated[
    bool,
    typer.Option("--fail-on-overdue", help=N_("Exit with code 3 when any facility is overdue (on binding documents).")),
]
MAX_DUE_DAYS = 36500  # a hundred years: any deadline the register can hold, and no date arithmetic overflows


def _due_days(value: int | None) -> int | None:
    """--due-within, bounded (the help keeps showing [x>=0]; Click's own words, translated as its others)."""
    if value is not None and value > MAX_DUE_DAYS:
        raise typer.BadParameter(f"{value} is not in the range 0<=x<={MAX_DUE_DAYS}.")
    return value


DueWithinOption = Annotated[
    int | None,
    typer.Option(
        "--due-within",
        min=0,
        callback=_due_days,
        metavar="DAYS",
        help=N_("Only facilities not yet deployed whose deadline falls in the next DAYS days."),
    ),
]
ChartRequirement = Annotated[str | None, requirement_option(N_("A requirement id (default: the register's default)."))]
ChartOutput = Annotated[Path | None, output_option(N_("Write the chart to FILE.svg or FILE.html instead."))]
HistoryLimitOption = Annotated[
    int, typer.Option("--limit", "-n", min=1, metavar="N", help=N_("How many events, newest first."))
]
HistoryFormatOption = Annotated[HistoryFormat, format_option(N_("table or json."))]
BackupFileArgument = Annotated[
    Path,
    typer.Argument(metavar="FILE", dir_okay=False, help=N_("The backup file to write."), show_default=False),
]
RestoreFileArgument = Annotated[
    Path,
    typer.Argument(metavar="FILE", exists=True, dir_okay=False, help=N_("The backup to restore."), show_default=False),
]
UndoChangeOption = Annotated[
    int | None,
    typer.Option(
        "--change",
        min=1,
        metavar="N",
        help=N_("Undo change #N alone (see history), refused when a later change touched the same facts."),
        show_default=False,
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help=N_("Do not ask for confirmation."))]


# -- a facility's life: exceptions, withdrawal ----------------------------------------------------
def _dated(name: str, help: str) -> Any:
    return typer.Option(name, parser=_date, metavar="DATE", help=help, show_default=False)


ExceptionRequirement = Annotated[
    str | None, requirement_option(N_("The requirement it bears on (default: the register's default)."))
]
ExceptionMilestone = Annotated[
    str | None,
    typer.Option(
        "--obligation",
        metavar="MILESTONE",
        help=N_("The obligation it bears on (default: the requirement's principal one; an exemption: all)."),
        show_default=False,
        autocompletion=_complete_obligation,
    ),
]
ExtendUntilOption = Annotated[date, _dated("--until", N_("The new deadline for this facility."))]
ExemptFromOption = Annotated[date | None, _dated("--from", N_("Exempt from this date (default: when granted)."))]
ExemptUntilOption = Annotated[
    date | None, _dated("--until", N_("Exempt until this date, inclusive (default: no end)."))
]
CommitDateOption = Annotated[date, _dated("--date", N_("The date the facility committed to."))]
BasisOption = Annotated[
    str,
    typer.Option(
        "--basis",
        metavar="REF",
        help=N_("The document that grants or records it, e.g. 3500/SYT-NVY."),
        show_default=False,
    ),
]
OptionalBasisOption = Annotated[
    str | None,
    typer.Option(
        "--basis", metavar="REF", help=N_("The document behind it, e.g. a dispatch number."), show_default=False
    ),
]
BasisDateOption = Annotated[date | None, _dated("--basis-date", N_("The document's date (default: today)."))]
IssuerOption = Annotated[
    str | None, typer.Option("--issuer", metavar="TEXT", help=N_("Who issued the document."), show_default=False)
]
GrantedOption = Annotated[
    date | None, _dated("--granted", N_("The day it took effect, for --as-of (default: the document's date)."))
]
ExceptionNoteOption = Annotated[
    str | None, typer.Option("--note", metavar="TEXT", help=N_("A note kept with it."), show_default=False)
]
ExemptReportOption = Annotated[
    bool, typer.Option("--exempt", help=N_("Only facilities exempt on the day, with their exemption."))
]
BrokenCommitmentsOption = Annotated[
    bool,
    typer.Option(
        "--broken-commitments",
        help=N_("Only facilities past the date they committed to without it done, most days past first."),
    ),
]
