"""Facility lists from spreadsheets (.xlsx, read with openpyxl) and CSV.

The first row names the columns (see `columns_for`: the facility's facts, then for each milestone `m` of
the vocabulary in force `m` (the date it was reached), then `m_on_or_before` (a date it was reached by) and
`m_source` (the evidence)); every later row is one facility. A row of plainly
valid text cells (nearly every row of a real list) is taken as it is by `_plain_entry`; any other row
is turned into the same nodes a YAML facility entry gives and checked by the same node reader,
so the rules and messages are the same; only the positions differ: FILE:ROW:COLUMN (a spreadsheet
letter, after FILE!SHEET when the workbook has several sheets). Requirements and register facts still come
from YAML.

A list as it arrives from a district is read as documented in the README (Spreadsheets and CSV in): title rows
above the column names are skipped, a numbering (STT) and a notes (Ghi chú) column are left out, Vietnamese column
names and values are synonyms of the template's, a formula is read by the value its spreadsheet saved, and
what would be read wrongly (a code typed as a number, merged cells, a date with a time of day, a formula with no
saved value) is refused with its cell.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from emrtrack import rules
from emrtrack.errors import InputError, Problem
from emrtrack.i18n import N_, _, ngettext
from emrtrack.model import DEFAULT_MILESTONE_DEFS, KINDS, MILESTONES, OWNERSHIPS, Facility, Reached
from emrtrack.naming import fold
from emrtrack.progress import NOBODY, Phases
from emrtrack.reading.entries import (
    DATE,
    ID,
    MAX_UNPACKED_BYTES,
    MAX_UNPACKED_RATIO,
    READ_AS_ASKED,
    UNPACKED_RATIO_FROM,
    FacilityEntry,
    LoadedFiles,
    ReadOptions,
    check_size,
    nfc,
    read_limited,
)
from emrtrack.reading.facilities import FacilityReader
from emrtrack.reading.nodes import MAP, MAX_TEXT, SEQ, STR, TIMESTAMP, _what, did_you_mean
from emrtrack.rules import FIRST_DATE, written_date, written_date_problem

FACT_COLUMNS: tuple[str, ...] = ("id", "name", "aliases", "ownership", "kind", "managed_by", "location", "verified")
BOUND_SUFFIX = "_on_or_before"
SOURCE_SUFFIX = "_source"
REQUIRED: tuple[str, ...] = ("id", "name", "ownership", "kind")
ALIAS_SEPARATOR = ";"
CODE_PREFIX = "code_"  # a column of official codes: code_SCHEME (code_kcb)
CODE_COLUMN = re.compile(r"code_([A-Za-z0-9][A-Za-z0-9._-]{0,99})", re.IGNORECASE)


def code_columns(schemes: tuple[str, ...]) -> tuple[str, ...]:
    """The columns of official codes of a list, one per declared scheme, after the milestones' columns."""
    return tuple(CODE_PREFIX + s for s in schemes)


_LOOSE = re.compile(r"[\s_-]+")


def _loose(text: str) -> str:
    """A column name as the header is matched: without case, spaces, - and _."""
    return _LOOSE.sub("", text.lower())


def _milestone_columns(milestone: str) -> tuple[str, str, str]:
    return milestone, milestone + BOUND_SUFFIX, milestone + SOURCE_SUFFIX


@functools.lru_cache(maxsize=32)
def columns_for(milestone_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The columns of a facility list under a milestone vocabulary: the facts, each milestone's date, then
    each milestone's `_on_or_before` and `_source` (so that the columns of earlier lists keep their places)."""
    bounds = tuple(c for m in milestone_ids for c in _milestone_columns(m)[1:])
    return FACT_COLUMNS + milestone_ids + bounds


COLUMNS: tuple[str, ...] = columns_for(MILESTONES)


@functools.lru_cache(maxsize=32)
def _roles(milestone_ids: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Each milestone column's milestone and what it gives of it ("on", "on_or_before" or "source")."""
    roles: dict[str, tuple[str, str]] = {}
    for m in milestone_ids:
        for column, part in zip(_milestone_columns(m), ("on", "on_or_before", "source"), strict=True):
            roles.setdefault(column, (m, part))
    return roles


@functools.lru_cache(maxsize=32)
def _date_fields(milestone_ids: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The columns `_plain_entry` reads as dates (verified, each milestone's), and those it leaves to the reader."""
    bounds = frozenset(c for m in milestone_ids for c in _milestone_columns(m)[1:])
    return frozenset(("verified", *milestone_ids)) - bounds, bounds


def column_clash(milestone: str, earlier: tuple[str, ...]) -> tuple[str, str] | None:
    """A column of `milestone` that a header could not tell from a facility fact's or an `earlier`
    milestone's column (as a header is matched loosely), and that column; None when there is none."""
    taken = {_loose(c): c for c in FACT_COLUMNS}
    for m in earlier:
        taken.update((_loose(c), c) for c in _milestone_columns(m))
    for column in _milestone_columns(milestone):
        other = taken.get(_loose(column))
        if other is not None:
            return column, other
    return None


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


NOT_A_DATE = N_("{what}: {value} is not a date: write it day/month/year (31/12/2025) or YYYY-MM-DD")
NOT_A_REAL_DATE = N_("{what}: {value} is not a real date")


class _TableReader(FacilityReader):
    """The node reader, with positions given as ROW:COLUMN and a milestone's date named by its columns."""

    BOTH_DATES = N_("{what}: give a date in column {exact} or in column {bound}, not both")
    NO_DATE = N_("{what}: a source is given without a date: fill in column {exact} or column {bound}")

    def date_what(self, what: str, key: str) -> str:
        return what if key == "on" else f"{what}: {key}"

    def date(self, node: yaml.Node, what: str) -> date | None:
        """A date cell, or text written YYYY-MM-DD, dd/mm/yyyy or d/m/yyyy (day first, as lists are written)."""
        if not isinstance(node, yaml.ScalarNode) or node.tag != STR or DATE.match(node.value.strip()):
            return super().date(node, what)
        value = node.value.strip()
        d = written_date(value)
        if d is None:
            template, shown = written_date_problem(value)
            self.problem(node, NOT_A_REAL_DATE if template == rules.NOT_A_REAL_DATE else NOT_A_DATE, what, value=shown)
        return d

    def add(self, node: yaml.Node | None, message: str) -> None:
        if node is None:
            self.problems.append(Problem(self.name, 1, message))
            return
        col = node.start_mark.column
        self.problems.append(
            Problem(self.name, node.start_mark.line + 1, message, column_letter(col) if col >= 0 else None)
        )

    def label(self, section: str, index: int) -> str:
        return f"on row {index}"


def _mark(name: str, row: int, col: int) -> yaml.Mark:
    return yaml.Mark(name, 0, row - 1, col, None, None)  # type: ignore[arg-type]  # no buffer, so no pointer


def _scalar(name: str, value: Any, row: int, col: int) -> yaml.ScalarNode:
    """A cell as the node YAML would give for it: real dates as dates, everything else as text."""
    mark = _mark(name, row, col)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    if isinstance(value, date) and not isinstance(value, datetime):
        return yaml.ScalarNode(TIMESTAMP, value.isoformat(), mark, mark)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return yaml.ScalarNode(STR, str(value), mark, mark)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# The template's column names in Vietnamese (`template --lang vi`), each read as the English one. A milestone's
# columns are named by the register's Vietnamese label of it, and that label followed by VI_BOUND and VI_SOURCE.
VI_FACT_COLUMNS: dict[str, str] = {
    "id": "Mã định danh",
    "name": "Tên cơ sở",
    "aliases": "Tên khác",
    "ownership": "Hình thức sở hữu",
    "kind": "Loại cơ sở",
    "managed_by": "Cơ quan quản lý",
    "location": "Địa bàn",
    "verified": "Ngày xác minh",
}
VI_BOUND = " (không muộn hơn)"
VI_SOURCE = " (nguồn)"
# Columns a district's list has that are not facts: a numbering and a notes column, left out
IGNORED_COLUMNS: tuple[str, ...] = ("STT", "Số thứ tự", "Ghi chú")
IGNORED = ""  # the field of a column left out
# The values a list may write for an ownership or a kind (compared folded: no case, no diacritics)
VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "ownership": {
        "public": "public",
        "non public": "non-public",
        "cong lap": "public",
        "ngoai cong lap": "non-public",
        "tu nhan": "non-public",
    },
    "kind": {
        **{k.replace("-", " "): k for k in KINDS},
        "benh vien": "hospital",
        "trung tam y te": "medical-centre",
        "trung tam chuyen khoa": "specialised-centre",
        "phong kham": "clinic",
        "khac": "other",
    },
}
# The columns of text a number cell is refused in: a spreadsheet that took a code for a number lost its leading 0
# (a milestone's source is free text, where a number is read as written)
TEXT_COLUMNS: frozenset[str] = frozenset(("id", "name", "aliases", "managed_by", "location"))
MAX_TITLE_ROWS = 10  # the column names are looked for in the first MAX_TITLE_ROWS + 1 rows


def _vi_key(text: str) -> str:
    """A column name as a Vietnamese header is matched: folded (no case, no diacritics), without spaces."""
    return fold(text).replace(" ", "")


def vi_columns(milestone_ids: tuple[str, ...], labels: dict[str, str]) -> tuple[str, ...]:
    """The Vietnamese names of the columns of `columns_for(milestone_ids)`, in its order; `labels` are the
    milestones' Vietnamese labels (a milestone without one is named by its id)."""
    roles = _roles(milestone_ids)
    names = []
    for column in columns_for(milestone_ids):
        if column in VI_FACT_COLUMNS:
            names.append(VI_FACT_COLUMNS[column])
            continue
        milestone, part = roles[column]
        label = labels.get(milestone) or milestone
        names.append(label + {"on": "", "on_or_before": VI_BOUND, "source": VI_SOURCE}[part])
    return tuple(names)


class _Names:
    """The column names a header may use, each with its field: the template's, loosely; their Vietnamese
    names and the columns left out, folded."""

    def __init__(self, milestone_ids: tuple[str, ...], labels: dict[str, str]):
        self.known = columns_for(milestone_ids)
        self.loose: dict[str, str] = {}
        for c in self.known:
            self.loose.setdefault(_loose(c), c)
        self.vi: dict[str, str] = dict.fromkeys(map(_vi_key, IGNORED_COLUMNS), IGNORED)
        defaults = {m.id: m.vi for m in DEFAULT_MILESTONE_DEFS}  # the usual milestones' own labels too
        for named in (labels, defaults):
            for c, vi in zip(self.known, vi_columns(milestone_ids, named), strict=True):
                self.vi.setdefault(_vi_key(vi), c)

    def field(self, text: str) -> str | None:
        """The field a column name names (IGNORED for a column left out), None for an unknown name. A column
        `code_SCHEME` holds official codes of that scheme (the load checks the scheme is declared)."""
        field = self.loose.get(_loose(text))
        if field is None and (code := CODE_COLUMN.fullmatch(text.strip())) is not None:
            return CODE_PREFIX + code[1]
        return field if field is not None else self.vi.get(_vi_key(text))

    def count(self, cells: list[Any]) -> int:
        """How many cells of a row name a fact or a milestone's column: the row of column names has several."""
        return sum(1 for c in cells if type(c) is str and c.strip() and self.field(c.strip()) not in (None, IGNORED))


def _header(
    name: str,
    cells: list[Any],
    milestone_ids: tuple[str, ...] = MILESTONES,
    labels: dict[str, str] | None = None,
    *,
    names: _Names | None = None,
    row: int = 1,
    ignore_unknown: bool = False,
    notes: list[str] | None = None,
) -> tuple[dict[int, str], list[Problem]]:
    """Column positions by field name, from the row of column names (row `row`); unknown, repeated or missing
    columns are problems. A column left out (STT, Ghi chú) has the field IGNORED; so has an unknown column
    when `ignore_unknown`, and `notes` hears of it."""
    names = names or _Names(milestone_ids, labels or {})
    known = names.known
    columns: dict[int, str] = {}
    problems: list[Problem] = []
    unknown: list[str] = []
    for i, raw in enumerate(cells):
        if _blank(raw):
            continue
        text = str(raw).strip()
        field = names.field(text)
        if field is None and ignore_unknown:
            unknown.append(f"{text!r} ({column_letter(i)})")
            columns[i] = IGNORED
        elif field is None:
            problems.append(
                Problem(
                    name,
                    row,
                    _("unknown column {column}{hint}").format(column=repr(text), hint=did_you_mean(text, known)),
                    column_letter(i),
                )
            )
        elif field != IGNORED and field in columns.values():
            first = next(column_letter(j) for j, f in columns.items() if f == field)
            problems.append(
                Problem(
                    name,
                    row,
                    _("column {column} is given twice (first in column {first})").format(
                        column=repr(field), first=first
                    ),
                    column_letter(i),
                )
            )
        else:
            columns[i] = field
    for field in REQUIRED:
        if field not in columns.values() and not problems:
            problems.append(
                Problem(
                    name,
                    row,
                    _("missing column {column}: the first row must name the columns ({columns})").format(
                        column=repr(field), columns=", ".join(known)
                    ),
                )
            )
    if unknown and notes is not None and not problems:
        notes.append(
            ngettext(
                "{file}: left out an unknown column: {columns}",
                "{file}: left out {n} unknown columns: {columns}",
                len(unknown),
            ).format(file=name, n=len(unknown), columns=", ".join(unknown))
        )
    return columns, problems


NUMBER_IN_TEXT = N_(
    "{what}: {value} is a number cell, and a spreadsheet drops the 0 that begins a code (04001 becomes 4001): "
    "format the column as Text and type the values again"
)
TIME_OF_DAY = N_("{what}: {value} has a time of day: write the date alone")
NO_SAVED_VALUE = N_(
    "{what}: the cell holds a formula ({formula}) with no saved value (the file was written by a program and "
    "never opened in a spreadsheet): open it in Excel and save it again, or type the value"
)
MERGED = N_("cells {cells} are merged: unmerge them and write the value in each cell")
# Excel's serial numbers of 1 January 2000 and 31 December 2100: a number in a date column between them is a date
# cell that lost its date format
_SERIAL_FIRST, _SERIAL_LAST = 36526, 73415
_EXCEL_EPOCH = date(1899, 12, 30)


class NoSavedValue:
    """A formula cell for which the file holds no value (never calculated by a spreadsheet program)."""

    def __init__(self, formula: str):
        self.formula = formula


def number_in_text_column(what: str, value: Any) -> str | None:
    """The problem with a number cell in a column of text (an id, a code, a name): a spreadsheet that took
    `04001` for a number stored 4001, and the 0 is lost. None when `value` is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    shown = int(value) if isinstance(value, float) and value.is_integer() else value
    return _(NUMBER_IN_TEXT).format(what=_what(what), value=shown)


def _date_cell(what: str, value: Any) -> tuple[Any, str | None]:
    """A cell of a date column as a date when it is one (a date-time at midnight, Excel's serial number of a
    day); a problem for a date-time at another time."""
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            return value, _(TIME_OF_DAY).format(what=_what(what), value=value.isoformat(sep=" "))
        return value.date(), None
    if not isinstance(value, bool) and isinstance(value, int | float) and _SERIAL_FIRST <= value <= _SERIAL_LAST:
        if not float(value).is_integer():
            moment = datetime.combine(_EXCEL_EPOCH, datetime.min.time()) + timedelta(days=value)
            return value, _(TIME_OF_DAY).format(what=_what(what), value=moment.isoformat(sep=" ", timespec="minutes"))
        return _EXCEL_EPOCH + timedelta(days=int(value)), None
    return value, None


def _row_node(
    name: str,
    row: int,
    cells: list[Any],
    columns: dict[int, str],
    problems: list[Problem],
    milestone_ids: tuple[str, ...] = MILESTONES,
    refused_rows: set[int] | None = None,
) -> yaml.MappingNode | None:
    """The row as the nodes of a YAML facility entry. A milestone given by its date alone is that date; one
    with an `_on_or_before` or `_source` cell is a mapping of `on`, `on_or_before` and `source`. A cell refused as
    it is (see `_typed_cell`) is a problem, and its row goes into `refused_rows`."""
    roles = _roles(milestone_ids)
    pairs: list[tuple[yaml.Node, yaml.Node]] = []
    codes: list[tuple[yaml.Node, yaml.Node]] = []  # by scheme, from the code_SCHEME columns
    milestones: dict[str, list[tuple[yaml.Node, yaml.Node]]] = {}  # by milestone, in the order of the columns
    for i, value in enumerate(cells):
        if _blank(value):
            continue
        field = columns.get(i)
        if field is None:
            problems.append(
                Problem(name, row, _("a value in a column with no name in the first row"), column_letter(i))
            )
            continue
        if field == IGNORED:
            continue
        role = roles.get(field)
        if type(value) is not str:  # a spreadsheet's cell: a number, a date, a formula...
            value, problem = _typed_cell(value, field, role, _who(row, cells, columns))
            if problem is not None:
                problems.append(Problem(name, row, problem, column_letter(i)))
                if refused_rows is not None:
                    refused_rows.add(row)
                continue
        elif field in VALUE_SYNONYMS:
            value = VALUE_SYNONYMS[field].get(fold(value), value)
        node: yaml.Node = _scalar(name, value, row, i)
        if role is not None:
            part_key = yaml.ScalarNode(STR, role[1], _mark(name, row, i), _mark(name, row, i))
            milestones.setdefault(role[0], []).append((part_key, node))
            continue
        if field.startswith(CODE_PREFIX):
            scheme = yaml.ScalarNode(STR, field[len(CODE_PREFIX) :], _mark(name, row, i), _mark(name, row, i))
            codes.append((scheme, node))
            continue
        key = yaml.ScalarNode(STR, field, _mark(name, row, i), _mark(name, row, i))
        if field == "aliases" and node.tag == STR:
            parts = [p.strip() for p in node.value.split(ALIAS_SEPARATOR) if p.strip()]
            node = yaml.SequenceNode(
                SEQ, [_scalar(name, p, row, i) for p in parts], _mark(name, row, i), _mark(name, row, i)
            )
        pairs.append((key, node))
    if not pairs and not milestones and not codes:
        return None  # a blank row
    if codes:
        mark = _mark(name, row, -1)
        pairs.append((yaml.ScalarNode(STR, "codes", mark, mark), yaml.MappingNode(MAP, codes, mark, mark)))
    if milestones:
        entries: list[tuple[yaml.Node, yaml.Node]] = []
        for m, given in milestones.items():
            first = given[0][0].start_mark
            key = yaml.ScalarNode(STR, m, first, first)
            if len(given) == 1 and given[0][0].value == "on":
                entries.append((key, given[0][1]))
            else:
                entries.append((key, yaml.MappingNode(MAP, given, first, first)))
        mark = _mark(name, row, -1)
        key = yaml.ScalarNode(STR, "milestones", mark, mark)
        pairs.append((key, yaml.MappingNode(MAP, entries, mark, mark)))
    return yaml.MappingNode(MAP, pairs, _mark(name, row, -1), _mark(name, row, -1))


def _who(row: int, cells: list[Any], columns: dict[int, str]) -> str:
    """The facility of a row as a message names it (in English: see nodes._what)."""
    for i, field in columns.items():
        if field == "id" and i < len(cells) and type(cells[i]) is str and ID.match(cells[i].strip()):
            return f"facility {cells[i].strip()!r}"
    return f"facility on row {row}"


def _typed_cell(value: Any, field: str, role: tuple[str, str] | None, who: str) -> tuple[Any, str | None]:
    """A spreadsheet cell that is not text, as the reader takes it, or the problem with it: a formula with no
    saved value; a number in a column of text; a date-time or a day's serial number in a date column."""
    if type(value) is datetime and value.time() == datetime.min.time():  # a date cell: nearly every one
        return value.date(), None
    if type(value) is date:
        return value, None
    if role is None:
        what = f"{who}: {field}"
    else:
        what = f"{who}: milestone {role[0]!r}" + ("" if role[1] == "on" else f": {role[1]}")
    if isinstance(value, NoSavedValue):
        return value, _(NO_SAVED_VALUE).format(what=_what(what), formula=value.formula)
    if field == "verified" or (role is not None and role[1] != "source"):
        return _date_cell(what, value)
    text_column = field in TEXT_COLUMNS or field.startswith(CODE_PREFIX)
    return value, number_in_text_column(what, value) if text_column else None


# A list holds few distinct dates, and a Reached is frozen: one per date text serves every row
_EXACT: dict[str, Reached] = {}
_EXACT_LIMIT = 20_000


def _plain_entry(
    name: str,
    row: int,
    cells: list[Any],
    columns: dict[int, str],
    today: date,
    milestone_ids: tuple[str, ...] = MILESTONES,
) -> FacilityEntry | None:
    """The row's facility when every cell is text the reader would take as it is; otherwise None, and the
    reader checks the row (and explains what is wrong). Must agree with `NodeReader.facility` on the
    rows it takes: the tests compare the two on generated rows. A row with an `_on_or_before` or
    `_source` cell is left to the reader."""
    values: dict[str, str] = {}
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        if type(cell) is not str:
            if columns.get(i) == IGNORED:
                continue
            return None
        value = cell.strip()
        if value:
            if not value.isprintable() or len(value) > MAX_TEXT:  # a line break, a control character...
                return None  # ...or a text too long: the careful reader's
            field = columns.get(i)
            if field is None or field.startswith(CODE_PREFIX):  # official codes: the reader's
                return None
            values[field] = value
    values.pop(IGNORED, None)
    fid, facility_name = values.get("id"), values.get("name")
    ownership, kind = values.get("ownership"), values.get("kind")
    if fid is None or facility_name is None or ownership not in OWNERSHIPS or kind not in KINDS or not ID.match(fid):
        return None
    date_fields, bound_fields = _date_fields(milestone_ids)
    verified = None
    reached: dict[str, Reached] = {}  # in the order of the columns, as the reader gives milestones
    for field, text in values.items():
        if field in date_fields:
            known = _EXACT.get(text)
            if known is None:
                if DATE.match(text):
                    try:
                        d: date | None = date.fromisoformat(text)
                    except ValueError:
                        return None
                else:
                    d = written_date(text)
                if d is None:
                    return None
                known = Reached(d)
                if len(_EXACT) < _EXACT_LIMIT:
                    _EXACT[text] = known
            if known.date > today or (field != "verified" and known.date < FIRST_DATE):
                return None
            if field == "verified":
                verified = known.date
            else:
                reached[field] = known
        elif field in bound_fields:
            return None
    aliases = values.get("aliases")
    facility = Facility(
        id=fid,
        name=facility_name,
        ownership=ownership,
        kind=kind,
        aliases=tuple(p for p in (a.strip() for a in aliases.split(ALIAS_SEPARATOR)) if p) if aliases else (),
        managed_by=values.get("managed_by"),
        location=values.get("location"),
        verified=verified,
    )
    return FacilityEntry(facility, reached, name, row)


# The apostrophe before a cell's = + - @, at the start of a cell (after a delimiter, a line break or the quote
# that opens a quoted cell).
_FORMULA_GUARD = re.compile(r"""(^|[,;\t]|(?:^|[,;\t])")'(?=[=+\-@])""", re.MULTILINE)
_GUARD = re.compile("'[=+\\-@]")  # any apostrophe before = + - @ (a quick search first: most files have none)
_DELIMITERS = (",", ";", "\t")
NOT_UTF8_CSV = N_(
    "the file is not UTF-8 text (byte {position}: {byte}): it was saved in another encoding (such as cp1258, "
    'Windows Vietnamese); in Excel choose Save As, then "CSV UTF-8 (Comma delimited)", or load the .xlsx file'
)
TOO_MANY_CELLS = N_(
    "the row has {cells} cells but there are {columns} column names: a cell holding {separator} must be "
    "written in double quotes (save the file from a spreadsheet program)"
)


def _csv_text(name: str, raw: bytes) -> str:
    """A CSV file's text: UTF-8 (with or without a byte order mark), or UTF-16 with one (Excel's "Unicode
    text"). Any other encoding is refused, saying how to save the file as UTF-8."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, skip = "utf-16", 0
    else:
        encoding, skip = "utf-8", 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        return nfc(raw[skip:].decode(encoding))
    except UnicodeDecodeError as e:
        position = e.start + skip
        line = raw.count(b"\n", 0, position) + 1
        message = _(NOT_UTF8_CSV).format(position=position, byte=f"0x{raw[position]:02x}")
        raise InputError([Problem(name, line, message)]) from None


def _csv_rows(name: str, raw: bytes, progress: Phases, names: _Names | None = None) -> tuple[Iterable[list[Any]], str]:
    """The rows of a CSV file, and the character between its cells: the one with which the first rows give the
    most column names (a spreadsheet set to Vietnamese saves "CSV" with semicolons; its "Unicode text" has tabs)."""
    text = _csv_text(name, raw)
    progress.total(text.count("\n") - text.endswith("\n"))  # the lines after the header: rows, or a few more
    end = -1
    for _line in range(MAX_TITLE_ROWS + 1):  # the first lines, where the column names are, without copying the rest
        end = text.find("\n", end + 1)
        if end < 0:
            break
    head = (text if end < 0 else text[:end]).split("\n")
    best, delimiter = 0, ""
    if names is not None:
        for candidate in _DELIMITERS:
            try:
                found = max((names.count(r) for r in csv.reader(head, delimiter=candidate)), default=0)
            except csv.Error:
                continue
            if found > best:
                best, delimiter = found, candidate
    if not delimiter:  # no column names: as the first line's separators say
        counts = [head[0].count(d) if head else 0 for d in _DELIMITERS]
        delimiter = _DELIMITERS[counts.index(max(counts))]
    if _GUARD.search(text):  # a cell written '=… so that a spreadsheet would not run it (as emrtrack's CSV does): as =…
        text = _FORMULA_GUARD.sub(r"\1", text)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), delimiter


def _check_unpacked(name: str, path: Path) -> None:
    """Refuse an .xlsx file (a zip of XML parts) whose parts would unpack to more than MAX_UNPACKED_BYTES,
    or one part to more than MAX_UNPACKED_RATIO times its packed size, before anything is unpacked. The sizes are
    those the file declares: Python's zip reader stops at the declared size, so a part cannot unpack to more."""
    import zipfile

    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        return  # the spreadsheet reader says what is wrong
    with z:
        total = 0
        for info in z.infolist():
            total += info.file_size
            ratio = info.file_size // max(info.compress_size, 1)
            if info.file_size > UNPACKED_RATIO_FROM and ratio > MAX_UNPACKED_RATIO:
                message = _(
                    "the spreadsheet's part {part} would unpack to {ratio} times its packed size (the limit is "
                    "{limit}); refused unread, as a zip bomb"
                ).format(part=info.filename, ratio=ratio, limit=MAX_UNPACKED_RATIO)
                raise InputError([Problem(name, 1, message)])
    if total > MAX_UNPACKED_BYTES:
        message = _("the spreadsheet would unpack to {size} MiB; the limit is {limit} MiB; refused unread").format(
            size=total // 2**20, limit=MAX_UNPACKED_BYTES // 2**20
        )
        raise InputError([Problem(name, 1, message)])


# The template's list and help sheets, in English and in Vietnamese (the catalogue's "Facilities" and "Help")
TEMPLATE_SHEETS: tuple[str, ...] = ("Facilities", "Các cơ sở")
HELP_SHEETS: tuple[str, ...] = ("Help", "Hướng dẫn")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3}[0-9]+:[A-Z]{1,3}[0-9]+)"')
# A formula cell without a saved value: written by a program, never calculated. Such a program writes no <v> or an
# empty one; a spreadsheet program writes the value, an empty text result as <v></v> in a cell of type "str".
_FORMULA_CELL = re.compile(
    rb"<(?:\w+:)?c\s([^>]*?)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)\s*"
    rb"(<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3}[0-9]+)"')
_TEXT_TYPE = re.compile(rb'\bt="str"')
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CHUNK, _OVERLAP = 1 << 20, 1 << 14


class _Sheet:
    """The worksheet of an .xlsx file that is read (see `pick`), opened read-only with the values its
    spreadsheet program saved for formulas; its merged ranges and its formula cells that have no saved value."""

    def __init__(self, path: Path, options: ReadOptions, notes: list[str]):
        from openpyxl import load_workbook

        self.file = path.open("rb")  # a file, not a name: openpyxl refuses a workbook named other than .xlsx
        try:
            self.workbook = load_workbook(self.file, read_only=True, data_only=True)
        except BaseException:
            self.file.close()
            raise
        try:
            sheets = self.workbook.worksheets
            if not sheets:
                raise InputError([Problem(str(path), 1, _("the workbook has no worksheet"))])
            self.sheet = self._pick(path, sheets, options)
            lists = [ws for ws in sheets if ws.title not in HELP_SHEETS]
            several = len(lists) > 1
            self.name = f"{path}!{self.sheet.title}" if several or options.sheet is not None else str(path)
            if several and options.sheet is None:
                notes.append(
                    _("{file}: read the sheet {sheet} of {n}: {sheets}; name another with --sheet").format(
                        file=path, sheet=repr(self.sheet.title), n=len(sheets), sheets=_sheet_list(sheets)
                    )
                )
            self.merged, self.uncalculated = self._scan(path)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _pick(path: Path, sheets: list[Any], options: ReadOptions) -> Any:
        """The sheet named by --sheet (exactly, else without case); else the template's list sheet when it is the
        only one, else the first visible sheet."""
        if options.sheet is not None:
            wanted = options.sheet.strip()
            exact = [ws for ws in sheets if ws.title == wanted]
            loose = [ws for ws in sheets if ws.title.strip().casefold() == wanted.casefold()]
            if exact or loose:
                return (exact or loose)[0]
            message = _("there is no sheet {sheet}: the workbook's sheets are {sheets}").format(
                sheet=repr(options.sheet), sheets=_sheet_list(sheets)
            )
            raise InputError([Problem(str(path), 1, message)])
        visible = [ws for ws in sheets if ws.sheet_state == "visible"] or sheets
        named = [ws for ws in visible if ws.title in TEMPLATE_SHEETS]
        return named[0] if len(named) == 1 else visible[0]

    def _scan(self, path: Path) -> tuple[list[tuple[str, int, int]], dict[tuple[int, int], str]]:
        """The sheet's merged ranges (as A1:B2, with their first row and column) and its formula cells without
        a saved value (by row and column, with the formula), read from its XML in one pass over the bytes."""
        import html
        import zipfile

        from openpyxl.utils.cell import coordinate_to_tuple

        merged: dict[str, None] = {}
        uncalculated: dict[tuple[int, int], str] = {}
        member = getattr(self.sheet, "_worksheet_path", None)
        if member is None:
            return [], {}
        with zipfile.ZipFile(path) as z, z.open(member) as f:
            tail = b""
            while chunk := f.read(_CHUNK):
                text = tail + chunk
                merged.update((m.group(1).decode(), None) for m in _MERGE.finditer(text))
                if _FORMULA_TAG.search(text):
                    for m in _FORMULA_CELL.finditer(text):
                        cell = _CELL_REF.search(m.group(1))
                        if cell is None or (m.group(3) is not None and _TEXT_TYPE.search(m.group(1))):
                            continue  # a cell without its reference; an empty text, calculated
                        formula = html.unescape((m.group(2) or b"").decode("utf-8", "replace"))
                        uncalculated[coordinate_to_tuple(cell.group(1).decode())] = "=" + formula
                tail = text[-_OVERLAP:]
        ranges = []
        for ref in merged:
            row, col = coordinate_to_tuple(ref.split(":")[0])
            ranges.append((ref, row, col - 1))
        return ranges, uncalculated

    def rows(self, progress: Phases) -> Iterable[list[Any]]:
        sheet = self.sheet
        if sheet.max_row:  # as the file states it, when it does
            progress.total(sheet.max_row - 1)
        by_row: dict[int, list[tuple[int, str]]] = {}
        for (at, col), formula in self.uncalculated.items():
            by_row.setdefault(at, []).append((col, formula))
        for r, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            row = [nfc(v) if type(v) is str else v for v in values]
            for col, formula in by_row.get(r, ()):
                if col <= len(row) and row[col - 1] is None:
                    row[col - 1] = NoSavedValue(formula)
            yield row

    def close(self) -> None:
        self.workbook.close()
        self.file.close()


def _sheet_list(sheets: list[Any]) -> str:
    """The sheets of a workbook as a message lists them, the hidden ones said to be."""
    return ", ".join(
        repr(ws.title) if ws.sheet_state == "visible" else _("{sheet} (hidden)").format(sheet=repr(ws.title))
        for ws in sheets
    )


def _header_at(rows: Iterable[list[Any]], names: _Names) -> tuple[int, list[list[Any]], Iterable[list[Any]]]:
    """Where the column names are: the first of the first MAX_TITLE_ROWS + 1 rows that names at least two
    columns (else the first row); its index, the rows read so far and the rest."""
    rest = iter(rows)
    head: list[list[Any]] = []
    for cells in rest:
        head.append(cells)
        if names.count(cells) >= 2 or len(head) > MAX_TITLE_ROWS:
            break
    at = next((k for k, cells in enumerate(head) if names.count(cells) >= 2), 0)
    return at, head, rest


def _labels(out: LoadedFiles) -> dict[str, str]:
    """The Vietnamese label of each milestone in force: the stored register's, then a file's `register:`."""
    labels = dict(out.milestone_labels)
    if out.register is not None:
        labels.update((m.id, m.vi) for m in out.register.milestones)
    return labels


def read_table(
    path: Path,
    today: date,
    out: LoadedFiles,
    progress: Phases = NOBODY,
    options: ReadOptions = READ_AS_ASKED,
    how: str | None = None,
) -> list[Problem]:
    """Read one facility list into `out` (`how`: "csv" or "xlsx", by default as the file's name says); return
    every problem found. `progress` hears of each row read; `out.notes` of what the user should know."""
    name = str(path)
    xlsx = (how or ("csv" if path.suffix.lower() == ".csv" else "xlsx")) == "xlsx"
    sheet: _Sheet | None = None
    try:
        check_size(path)
        vocabulary = out.milestone_ids
        names = _Names(vocabulary, _labels(out))
        merged: list[tuple[str, int, int]] = []
        delimiter = ""
        if xlsx:
            _check_unpacked(name, path)
            sheet = _Sheet(path, options, out.notes)
            name, merged, rows = sheet.name, sheet.merged, sheet.rows(progress)
        else:
            rows, delimiter = _csv_rows(name, read_limited(path), progress, names)
        reader = _TableReader(name, today, vocabulary)
        at, head, rest = _header_at(rows, names)
        header_cells = head[at] if head else None
        if header_cells is None or all(_blank(c) for c in header_cells):
            return [
                Problem(
                    name,
                    1,
                    _("the file is empty: the first row must name the columns ({columns})").format(
                        columns=", ".join(columns_for(vocabulary))
                    ),
                )
            ]
        header_row = at + 1
        notes: list[str] = []
        columns, problems = _header(
            name,
            header_cells,
            vocabulary,
            names=names,
            row=header_row,
            ignore_unknown=options.ignore_unknown_columns,
            notes=notes,
        )
        problems.extend(
            Problem(name, row, _(MERGED).format(cells=ref), column_letter(col))
            for ref, row, col in merged
            if _merged_bottom(ref) >= header_row
        )
        if problems:
            return sorted(problems, key=lambda p: p.line)
        if at:
            out.notes.append(
                ngettext(
                    "{file}: the column names are in row {row}: skipped {n} title row above them",
                    "{file}: the column names are in row {row}: skipped {n} title rows above them",
                    at,
                ).format(file=name, row=header_row, n=at)
            )
        out.notes.extend(notes)
        width = len(header_cells)
        refused_rows: set[int] = set()  # rows with a cell refused as it is: what the reader says of them follows
        for row, cells in enumerate(itertools.chain(head[at + 1 :], rest), start=header_row + 1):
            if delimiter and len(cells) > width:
                message = _(TOO_MANY_CELLS).format(cells=len(cells), columns=width, separator=repr(delimiter))
                problems.append(Problem(name, row, message))
                continue
            entry = _plain_entry(name, row, cells, columns, today, vocabulary)
            if entry is not None:
                reader.facility_ids.append((entry.facility.id, name, row))
            else:
                node = _row_node(name, row, cells, columns, problems, vocabulary, refused_rows)
                if node is None:
                    continue
                entry = reader.facility(node, row)
            if entry is not None:
                out.facilities.append(entry)
            progress.advance()
        out.facility_ids.extend(reader.facility_ids)
        if refused_rows:  # (a missing required field, when the cell was that field's)
            reader.problems = [p for p in reader.problems if p.line not in refused_rows]
        if not reader.facility_ids and not problems and not reader.problems:
            return [
                Problem(name, header_row + 1, _("the file lists no facility: fill in a row under the column names"))
            ]
        return sorted(problems + reader.problems, key=lambda p: p.line)  # row order; stable within a row
    except InputError as e:
        return e.problems
    except OSError as e:
        return [Problem(name, 0, _("cannot read the file: {error}").format(error=e.strerror))]
    except csv.Error as e:
        return [Problem(name, 1, _("not valid CSV: {problem}").format(problem=e))]
    except Exception as e:  # openpyxl's many ways of saying "not a spreadsheet" (KeyError, zipfile, XML errors...)
        if not xlsx:
            raise
        if _defused(e):  # an entity declared: what a spreadsheet never holds
            return [
                Problem(
                    name,
                    1,
                    _(
                        "the spreadsheet's XML declares entities, which spreadsheet programs never write (a way "
                        "to make a small file expand without bound): refused unread"
                    ),
                )
            ]
        return [
            Problem(
                name,
                1,
                _("not a readable .xlsx spreadsheet ({kind}: {problem})").format(kind=type(e).__name__, problem=e),
            )
        ]
    finally:
        if sheet is not None:
            sheet.close()


def _defused(e: BaseException | None) -> bool:
    """Whether `e`, or an error it was raised from, is defusedxml refusing an XML entity."""
    while e is not None:
        if type(e).__module__.startswith("defusedxml"):
            return True
        e = e.__cause__ or e.__context__
    return False


def _merged_bottom(ref: str) -> int:
    """The last row of a range A1:B2."""
    return int(re.sub(r"[A-Z]", "", ref.split(":")[1]))
