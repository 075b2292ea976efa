"""Read a set of register files, YAML and spreadsheets alike, into one LoadedFiles, or report every problem."""

from __future__ import annotations

import zipfile
from collections.abc import Container, Iterable
from datetime import date
from pathlib import Path

from emrtrack.errors import InputError, Problem
from emrtrack.i18n import N_, _
from emrtrack.model import MILESTONES, MilestoneDef
from emrtrack.progress import NOBODY, Phases
from emrtrack.reading.checks import cross_check
from emrtrack.reading.entries import READ_AS_ASKED, LoadedFiles, ReadOptions
from emrtrack.reading.tables import read_table
from emrtrack.reading.yaml_files import read_yaml

_OLE = bytes.fromhex("D0CF11E0A1B11AE1")  # the container of Excel 97-2003 (.xls), Word (.doc) ... files
_ZIP = b"PK\x03\x04"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode text": UTF-16, tab-separated
# Files named as spreadsheets or documents emrtrack does not read: refused, never read as YAML
_NOT_READ = frozenset((".xls", ".xlsb", ".ods", ".numbers", ".pdf", ".doc", ".docx", ".odt", ".rtf", ".htm", ".html"))
SAVE_AS = N_(
    "{kind}, which emrtrack does not read: open it in a spreadsheet program and save it as .xlsx (Excel "
    "Workbook) or as CSV UTF-8"
)
OLD_OFFICE = N_("an Excel 97-2003 workbook (.xls) or another old Office file")
ZIPPED = N_("a zipped file that is not an .xlsx workbook (an OpenDocument .ods, a .docx ...)")
PDF = N_("a PDF document")
NAMED = N_("a {suffix} file")


def format_of(path: Path) -> str | Problem:
    """How the file at `path` is read, told by its first bytes and then by its name: "xlsx", "csv" (text in
    columns, CSV or Excel's tab-separated "Unicode text") or "yaml"; a Problem for a format emrtrack does not
    read (an .xls workbook, a PDF ...), whatever its name says."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError:  # the reader says why
        head = b""
    kind: str | None = None
    if head.startswith(_OLE):
        kind = OLD_OFFICE
    elif head.startswith(_ZIP):
        if suffix in (".xlsx", ".xlsm") or _holds_workbook(path):
            return "xlsx"
        kind = ZIPPED
    elif head.startswith(b"%PDF"):
        kind = PDF
    elif (head.startswith(_UTF16_BOMS) and suffix not in (".yaml", ".yml")) or suffix in (".csv", ".tsv"):
        return "csv"
    elif suffix in (".xlsx", ".xlsm"):
        return "xlsx"  # not a zip: the spreadsheet reader says so
    elif suffix in _NOT_READ:
        return Problem(str(path), 1, _(SAVE_AS).format(kind=_(NAMED).format(suffix=suffix)))
    if kind is not None:
        return Problem(str(path), 1, _(SAVE_AS).format(kind=_(kind)))
    return "yaml"


def _holds_workbook(path: Path) -> bool:
    """Whether the zip file at `path` is an Excel workbook (an .xlsx under another name)."""
    try:
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" in z.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def read_files(
    paths: list[Path],
    today: date,
    progress: Phases = NOBODY,
    *,
    milestones: Iterable[str | MilestoneDef] = MILESTONES,
    known_ids: Container[str] = frozenset(),
    options: ReadOptions = READ_AS_ASKED,
) -> LoadedFiles:
    """Read and validate files; raise InputError listing every problem, in every file.

    `progress` hears of each file begun and of each facility read in it. `milestones` is the stored register's
    milestone vocabulary (ids, or definitions with their labels), in force until a file's `register:
    milestones` replaces it for what is read after; `known_ids` are the facility ids the register holds, which a
    requirement's `applies_to` may name besides those of the files; `options` say how spreadsheets are read."""
    vocabulary = tuple(milestones)
    out = LoadedFiles(
        milestone_ids=tuple(m if isinstance(m, str) else m.id for m in vocabulary),
        milestone_labels={m.id: m.vi for m in vocabulary if isinstance(m, MilestoneDef)},
    )
    problems: list[Problem] = []
    for path in paths:
        progress.phase("read", file=path.name)
        how = format_of(path)
        if isinstance(how, Problem):
            problems.append(how)
        elif how == "yaml":
            problems.extend(read_yaml(path, today, out, progress))
        else:  # a facility list from a spreadsheet
            problems.extend(read_table(path, today, out, progress, options, how))
    problems.extend(cross_check(out, known_ids))
    if problems:
        files = {str(p): i for i, p in enumerate(paths)}

        def order(p: Problem) -> tuple[int, int]:  # a sheet's problems are its file's: FILE!SHEET
            return files.get(p.file, files.get(p.file.rpartition("!")[0], len(files))), p.line

        raise InputError(sorted(problems, key=order))
    return out
