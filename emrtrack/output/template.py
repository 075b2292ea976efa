"""The empty facility list `emrtrack template` writes: CSV with the column names, or .xlsx with a Help
sheet and drop-downs. The columns are those the spreadsheet reader reads (emrtrack.reading.tables) under
the register's milestone vocabulary; in Vietnamese (`--lang vi`), the columns have their Vietnamese names, which
the reader takes as the English ones."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

from emrtrack import i18n
from emrtrack.i18n import N_, _, milestone_label
from emrtrack.model import DEFAULT_MILESTONE_DEFS, KINDS, OWNERSHIPS, MilestoneDef
from emrtrack.reading.tables import BOUND_SUFFIX, CODE_PREFIX, SOURCE_SUFFIX, code_columns, columns_for, vi_columns

# The drop-downs of a Vietnamese template: values the reader takes as the English ones
_VI_CHOICES = {
    "ownership": ("công lập", "ngoài công lập"),
    "kind": ("bệnh viện", "trung tâm y tế", "trung tâm chuyên khoa", "phòng khám", "khác"),
}


def column_names(milestones: tuple[MilestoneDef, ...], schemes: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The template's column names in the interface language: English ones, or their Vietnamese names (a code
    column is named `code_SCHEME` in both)."""
    ids = tuple(m.id for m in milestones)
    names = vi_columns(ids, {m.id: m.vi for m in milestones}) if i18n.current() == "vi" else columns_for(ids)
    return names + code_columns(schemes)


def write_template(
    path: Path | IO[str],
    fmt: str,
    milestones: tuple[MilestoneDef, ...] = DEFAULT_MILESTONE_DEFS,
    schemes: tuple[str, ...] = (),
) -> None:
    """An empty facility list with the documented columns, to a file or (CSV) a text stream; the .xlsx one has
    a Help sheet and drop-downs. A CSV file starts with a byte-order mark, for Excel. `schemes`: the register's
    code schemes, a column each."""
    columns = columns_for(tuple(m.id for m in milestones)) + code_columns(schemes)
    names = column_names(milestones, schemes)
    if fmt == "csv":
        if isinstance(path, Path):
            with path.open("w", encoding="utf-8-sig", newline="") as f:
                csv.writer(f, lineterminator="\r\n").writerow(names)
        else:
            csv.writer(path, lineterminator="\n").writerow(names)
        return
    assert isinstance(path, Path)
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = _("Facilities")
    ws.append(list(names))
    for i, c in enumerate(columns, 1):
        ws.cell(row=1, column=i).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(i)].width = {"name": 45, "aliases": 35, "id": 28}.get(c, 14)
    ws.freeze_panes = "A2"
    for field, allowed in (("ownership", OWNERSHIPS), ("kind", KINDS)):
        if i18n.current() == "vi":
            allowed = _VI_CHOICES[field]
        letter = get_column_letter(columns.index(field) + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"', allow_blank=False)
        dv.add(f"{letter}2:{letter}5000")
        ws.add_data_validation(dv)
    help_ws = wb.create_sheet(_("Help"))
    help_ws.append([_("column"), _("required"), _("what to write")])
    for column, required, text in help_rows(milestones, schemes):
        help_ws.append([column, required, text])
    help_ws.column_dimensions["A"].width = 14
    help_ws.column_dimensions["C"].width = 100
    wb.save(path)


HELP: tuple[tuple[str, str, str], ...] = (  # the facts and each milestone's date
    (
        "id",
        N_("yes"),
        N_("a short stable slug of letters, digits and - . _ / (e.g. do-luong-general); rows are matched by it"),
    ),
    ("name", N_("yes"), N_("the facility's name as written in official documents, with diacritics")),
    ("aliases", N_("no"), N_("other names, separated by ;")),
    ("ownership", N_("yes"), N_("public or non-public")),
    ("kind", N_("yes"), N_("hospital, medical-centre, specialised-centre, clinic or other")),
    ("managed_by", N_("no"), N_("who manages it (e.g. province)")),
    ("location", N_("no"), N_("where it is")),
    ("verified", N_("no"), N_("the date these facts were last confirmed (a date cell, or text YYYY-MM-DD)")),
    ("appraised", N_("no"), N_("the date the EMR was appraised as qualified")),
    ("deployed", N_("no"), N_("the date the EMR was deployed")),
    ("annex-signed", N_("no"), N_("the date the annex with Social Insurance (BHXH) was signed")),
)
_BOUND_HELP = N_(
    "instead of {milestone}: a date it was reached on or before, when exactly when is not known (e.g. a statement "
    "that all had)"
)
_SOURCE_HELP = N_("the evidence for the {milestone} date (e.g. a dispatch, or a statement in the press)")


_DATE_HELP = N_("the date it was reached: {milestone}")
_CODE_HELP = N_("the facility's official code of the scheme {scheme}, as text (a leading 0 kept)")


def help_rows(
    milestones: tuple[MilestoneDef, ...] = DEFAULT_MILESTONE_DEFS, schemes: tuple[str, ...] = ()
) -> list[tuple[str, str, str]]:
    """The Help sheet's rows, one per column of the list, in its order: (column, required, what to write)."""
    known = {column: (required, text) for column, required, text in HELP}
    ids = tuple(m.id for m in milestones)
    rows = []
    for column, name in zip(columns_for(ids), column_names(milestones), strict=True):
        rows.append((name, *_help(column, ids, known, milestones)))
    for column in code_columns(schemes):
        rows.append((column, _("no"), _(_CODE_HELP).format(scheme=column.removeprefix(CODE_PREFIX))))
    return rows


def _help(
    column: str, ids: tuple[str, ...], known: dict[str, tuple[str, str]], milestones: tuple[MilestoneDef, ...]
) -> tuple[str, str]:
    """Whether a column is required, and what to write in it."""
    if column in ids and column not in known:  # a milestone of the register's own
        return _("no"), _(_DATE_HELP).format(milestone=milestone_label(column, milestones))
    if column in known:
        required, text = known[column]
        return _(required), _(text)
    if column.endswith(BOUND_SUFFIX):
        return _("no"), _(_BOUND_HELP).format(milestone=column.removesuffix(BOUND_SUFFIX))
    return _("no"), _(_SOURCE_HELP).format(milestone=column.removesuffix(SOURCE_SUFFIX))
