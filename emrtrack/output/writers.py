"""Which writer renders each view in each format, and where its output goes (the screen or a file).

One table per view, keyed by format. Writers are imported only when used, so that a command that draws
no table starts without Rich, and one that writes no spreadsheet without openpyxl."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from emrtrack.errors import UsageError
from emrtrack.files import beside, mode_for
from emrtrack.i18n import _

if TYPE_CHECKING:
    from emrtrack.model import RegisterInfo

# view → format → (module of emrtrack.output, function). Every writer takes (view, out): a text stream,
# or for a spreadsheet (and a chart file) the path to write.
WRITERS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        "table": ("tables", "write_status_table"),
        "json": ("machine", "write_status_json"),
        "xlsx": ("xlsx", "write_status_xlsx"),
    },
    "report": {
        "table": ("tables", "write_report_table"),
        "csv": ("machine", "write_report_csv"),
        "json": ("machine", "write_report_json"),
        "markdown": ("machine", "write_report_markdown"),
        "xlsx": ("xlsx", "write_report_xlsx"),
    },
    "history": {"table": ("record_tables", "write_history_table"), "json": ("machine", "write_history_json")},
    "show": {"table": ("record_tables", "write_facility_table")},
    "chart": {
        "text": ("chart", "write_chart_text"),
        "svg": ("chart", "write_chart_svg"),
        "html": ("chart", "write_chart_html"),
    },
    "export": {
        "yaml": ("export", "write_export_yaml"),
        "csv": ("export", "write_export_csv"),
        "xlsx": ("export", "write_export_xlsx"),
    },
}
_BY_PATH = frozenset({"xlsx", "svg", "html"})  # written to a path, never to the screen
_EXTENSIONS = {".md": "markdown", ".htm": "html"}


def formats(view: str) -> tuple[str, ...]:
    return tuple(WRITERS[view])


def format_for(view: str, format: str, output: Path | None) -> str:
    """The format to write: as asked, or for `--output FILE` alone, the one the file's extension names."""
    if format == "xlsx" and output is None:
        raise UsageError(_("--format xlsx writes a file: give it with --output FILE.xlsx"))
    if format == "table" and output is not None:
        suffix = output.suffix.lower()
        named = _EXTENSIONS.get(suffix, suffix.lstrip("."))
        file_formats = [f for f in WRITERS[view] if f != "table"]
        if named not in file_formats:
            raise UsageError(
                _(
                    "--output needs a file format: add --format (one of: {formats}) or use one of their extensions"
                ).format(formats=", ".join(file_formats))
            )
        return named
    return format


def chart_format(output: Path | None) -> str:
    """A chart goes to the screen as text, or to a .svg or .html file."""
    if output is None:
        return "text"
    suffix = output.suffix.lower()
    if suffix not in (".svg", ".html", ".htm"):
        raise UsageError(_("--output must be a .svg or .html file"))
    return _EXTENSIONS.get(suffix, suffix.lstrip("."))


def write(view_name: str, view: Any, format: str, output: Path | None = None) -> None:
    """Render `view` in `format` to standard output or to the file `output`. A CSV file starts with a byte
    order mark, so that spreadsheet programs read Vietnamese names as UTF-8."""
    module, name = WRITERS[view_name][format]
    writer = getattr(importlib.import_module(f"emrtrack.output.{module}"), name)
    if output is None:
        writer(view, sys.stdout)
        return
    if format in _BY_PATH:
        writer(view, output)
    else:
        with output.open("w", encoding="utf-8-sig" if format == "csv" else "utf-8", newline="") as f:
            writer(view, f)
    wrote(output)


def export(view: Any, format: str, output: Path | None) -> None:
    """The register's facts to standard output or, whole or not at all, to the file `output`."""
    if output is None:
        write("export", view, format)
        return
    module, name = WRITERS["export"][format]
    writer = getattr(importlib.import_module(f"emrtrack.output.{module}"), name)
    if format in _BY_PATH:
        whole_file(output, lambda path: writer(view, path))
    else:
        whole_text_file(output, lambda f: writer(view, f), encoding="utf-8-sig" if format == "csv" else "utf-8")


def whole_text_file(
    output: Path,
    write_to: Callable[[IO[str]], Any],
    encoding: str = "utf-8",
    check: Callable[[Path], Any] | None = None,
) -> None:
    """`write_to` a text stream that becomes the file `output` only once complete (see `whole_file`)."""

    def write_path(path: Path) -> None:
        with path.open("w", encoding=encoding, newline="") as f:
            write_to(f)

    whole_file(output, write_path, check)


def whole_file(output: Path, write_path: Callable[[Path], Any], check: Callable[[Path], Any] | None = None) -> None:
    """Write the file `output` whole or not at all: written beside it, then put in its place, so that a failed
    write (a full disk, an interruption) leaves what was there before, never half a file. `check` may refuse the
    new file (it raises) before it takes the place of the old. The file gets the permissions the one it replaces
    had, else those a new file gets."""
    temporary = beside(output)
    try:
        write_path(temporary)
        if check is not None:
            check(temporary)
        os.chmod(temporary, mode_for(output))
        os.replace(temporary, output)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    wrote(output)


def template(output: Path | None, format: str, info: RegisterInfo) -> None:
    """An empty facility list to fill in, with a date column for each of the register's milestones and a column
    for each of its code schemes: to a file, or as CSV on standard output."""
    from emrtrack.output.template import write_template

    write_template(output or sys.stdout, format, info.milestones, tuple(c.id for c in info.code_schemes))
    if output is not None:
        wrote(output)


def wrote(output: Path) -> None:
    print(_("Wrote {file}.").format(file=output), file=sys.stderr)
