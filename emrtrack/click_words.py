"""The words Typer and Click print themselves (usage lines, help headings, usage errors), in the interface
language: matched against Click's English templates and translated through emrtrack's catalogue, where they
are shown, without patching either library. Only the command line imports this module."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import IO, Any

import typer
from typer._click import exceptions as click_exceptions
from typer._click import formatting as click_formatting
from typer._click._compat import get_text_stderr
from typer._click.utils import echo

from emrtrack.i18n import N_, _, current

# What Typer prints itself. Typer ships its own copy of Click, whose words (usage lines, help headings, usage
# errors) are plain English, not gettext calls; Typer's own few go through the global gettext domain, which
# only the locale of the environment selects, never --lang. So they are translated where they are shown, by
# the classes below, from the English templates here (each in the catalogue). In English nothing changes.
CLICK_MESSAGES = (
    # help pages
    N_("Usage: "),
    N_("Options"),
    N_("Arguments"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
    N_("default: {default}"),
    N_("required"),
    N_("env var: {var}"),
    N_("(dynamic)"),
    # errors, as a whole (the more specific first)
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Aborted!"),
    N_("{message}. Did you mean {possibility}?"),
    N_("{message} (Possible options: {options})"),
    N_("No such option: {name}"),
    N_("No such command {name}."),
    N_("No such command {name}"),
    N_("Missing command."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Missing argument {param_hint}. {message}"),
    N_("Missing argument {param_hint}."),
    N_("Missing option {param_hint}. {message}"),
    N_("Missing option {param_hint}."),
    N_("Missing parameter {param_hint}. {message}"),
    N_("Missing parameter {param_hint}."),
    N_("Missing parameter: {name}"),
    N_("Got unexpected extra argument(s) ({args})"),
    N_("Option {name} does not take a value."),
    N_("Option {name} requires an argument."),
    N_("Option {name} requires {n} arguments."),
    N_("Argument {name} takes {n} values."),
    # what a value was wrong with (the {message} above)
    N_("Choose from:\n\t{choices}"),
    N_("{value} is not one of {choices}."),
    N_("{value} is not a valid boolean. Recognized values: {states}"),
    N_("{value} is not a valid {type}."),
    N_("{value} is not in the range {range}."),
    N_("{value} does not match the formats {formats}."),
    N_("{value} is not a real date"),
    N_("File {path} does not exist."),
    N_("Directory {path} does not exist."),
    N_("Path {path} does not exist."),
    N_("File {path} is a directory."),
    N_("Directory {path} is a file."),
    N_("File {path} is not readable."),
    N_("File {path} is not writable."),
    N_("Directory {path} is not writable."),
    # the {type} of a value
    N_("int"),
    N_("int range"),
    N_("float"),
    N_("float range"),
    N_("boolean"),
)

# The placeholders of usage lines and option lists ([OPTIONS], --as-of DATE), in capitals as Click writes them.
PLACEHOLDERS = {
    # Translators: placeholders in usage lines and option lists: capitals, words joined by "_".
    "OPTIONS": N_("OPTIONS"),
    "COMMAND": N_("COMMAND"),
    "ARGS": N_("ARGS"),
    "DATE": N_("DATE"),
    "DAYS": N_("DAYS"),
    "FACILITY": N_("FACILITY"),
    "FILE": N_("FILE"),
    "ID": N_("ID"),
    "MILESTONE": N_("MILESTONE"),
    "NAME": N_("NAME"),
    "PATH": N_("PATH"),
    "TEXT": N_("TEXT"),
}
_PLACEHOLDER = re.compile(r"\b[A-Z]{2,}\b")


def placeholders(text: str) -> str:
    """The placeholders in a usage line, an option's name or a parameter hint, in the language settled."""
    if current() == "en":
        return text
    return _PLACEHOLDER.sub(lambda m: _(PLACEHOLDERS[m[0]]) if m[0] in PLACEHOLDERS else m[0], text)


_RECURSIVE = ("message", "type")  # the fields of a template that are themselves Click's words
_NAMING = ("param_hint", "name")  # the fields that name a parameter, by its placeholder for an argument
_patterns: list[tuple[re.Pattern[str], str]] = []


def _compiled() -> list[tuple[re.Pattern[str], str]]:
    if not _patterns:
        for template in CLICK_MESSAGES:
            if "{" in template:
                parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ..., literal
                regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
                _patterns.append((re.compile(regex, re.DOTALL), template))
    return _patterns


def click_text(message: str) -> str:
    """A message Typer or Click wrote in English, in the language settled (unchanged if not one of theirs)."""
    if current() == "en":
        return message
    if message in CLICK_MESSAGES:
        return _(message)
    for pattern, template in _compiled():
        found = pattern.fullmatch(message)
        if found:
            fields = {
                k: click_text(v) if k in _RECURSIVE else placeholders(v) if k in _NAMING else v
                for k, v in found.groupdict().items()
            }
            return _(template).format(**fields)
    return message


def _help_text(text: str) -> str:
    """A parameter's help in a help page: Click's own texts and the [default: …; required] after any help."""
    extra = re.fullmatch(r"(.*?)(\s*)\[([^\[\]]*)\]", text, re.DOTALL)
    if extra:
        items = [click_text(item) for item in extra[3].split("; ")]
        if items != extra[3].split("; "):
            return f"{_help_text(extra[1]) if extra[1] else ''}{extra[2]}[{'; '.join(items)}]"
    return _(text) if text in CLICK_MESSAGES else text


class HelpFormatter(click_formatting.HelpFormatter):
    """Help pages and usage lines in the language settled."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, placeholders(args), _("Usage: ") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(click_text(heading))

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(placeholders(term), _help_text(text)) for term, text in rows], col_max, col_spacing)


class Context(typer.Context):
    """A command's context, which writes its help with the formatter above."""

    formatter_class = HelpFormatter


class TranslatedError(click_exceptions.UsageError):
    """A usage error of Click or Typer, told in the language settled: the same lines and exit code."""

    def __init__(self, original: click_exceptions.ClickException) -> None:
        super().__init__(click_text(original.format_message()), getattr(original, "ctx", None))
        self.exit_code = original.exit_code
        self.show_color = original.show_color

    def format_message(self) -> str:
        return self.message

    def show(self, file: IO[Any] | None = None) -> None:
        if file is None:
            file = get_text_stderr()
        color = self.show_color
        if self.ctx is not None:
            color = self.ctx.color
            hint = ""
            if self.ctx.command.get_help_option(self.ctx) is not None:
                hint = _("Try '{command} {option}' for help.").format(
                    command=self.ctx.command_path, option=self.ctx.help_option_names[0]
                )
                hint += "\n"
            echo(f"{self.ctx.get_usage()}\n{hint}", file=file, color=color)
        echo(_("Error: {message}").format(message=self.format_message()), file=file, color=color)


def click_error(error: click_exceptions.ClickException) -> click_exceptions.ClickException:
    """The error to show for one that Click or Typer raised: itself in English (or when it shows a help page)."""
    if current() == "en" or isinstance(error, (TranslatedError, click_exceptions.NoArgsIsHelpError)):
        return error
    return TranslatedError(error)


# A yes/no question, answered as the language answers it: y/yes or n/no, and in Vietnamese also c/có or
# k/không (with or without the diacritics). An empty answer is no.
_YES = {"en": ("y", "yes"), "vi": ("c", "co", "y", "yes")}
_NO = {"en": ("n", "no"), "vi": ("k", "khong", "n", "no")}


def confirm(question: str, ask: Any = None) -> bool:
    """Ask `question` until the answer is understood (`ask` reads one answer; default: a prompt)."""
    from emrtrack.naming import fold

    lang = "vi" if current() == "vi" else "en"
    # Translators: the answers offered after a yes/no question, the default (no) in capitals.
    suffix = _("[y/N]")
    read = ask or (lambda text: typer.prompt(text, default="", show_default=False, prompt_suffix=" "))
    while True:
        answer = fold(read(f"{question} {suffix}"))
        if answer in _YES[lang]:
            return True
        if answer == "" or answer in _NO[lang]:
            return False
        echo(_("Please answer {yes} or {no}.").format(yes=_YES[lang][0], no=_NO[lang][0]), err=True)
