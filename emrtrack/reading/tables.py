"""Facility lists from spreadsheets (.xlsx, read with openpyxl) and CSV.

The first row names the columns (see `columns_for`: the facility's facts, then for each milestone `m` of
the vocabulary in force `m` (the date it was reached), then `m_on_or_before` (a date it was reached by) and
`m_source` (the evidence)); every later row is one facility. A row of plainly
valid text cells (nearly every row of a real list) is taken as it is by `_plain_entry`; any other row
is turned into the same nodes a YAML facility entry gives and checked by the same node reader,
so the rules and messages are the same; only the positions differ: FILE:ROW:COLUMN (a spreadsheet
letter). Requirements and register facts still come from YAML.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from emrtrack import rules
from emrtrack.errors import InputError, Problem
from emrtrack.i18n import N_, _
from emrtrack.model import KINDS, MILESTONES, OWNERSHIPS, Facility, Reached
from emrtrack.progress import NOBODY, Phases
from emrtrack.reading.entries import DATE, ID, FacilityEntry, LoadedFiles, check_size, decode, nfc, read_limited
from emrtrack.reading.facilities import FacilityReader
from emrtrack.reading.nodes import MAP, MAX_TEXT, SEQ, STR, TIMESTAMP, did_you_mean
from emrtrack.rules import FIRST_DATE, written_date, written_date_problem

FACT_COLUMNS: tuple[str, ...] = ("id", "name", "aliases", "ownership", "kind", "managed_by", "location", "verified")
BOUND_SUFFIX = "_on_or_before"
SOURCE_SUFFIX = "_source"
REQUIRED: tuple[str, ...] = ("id", "name", "ownership", "kind")
ALIAS_SEPARATOR = ";"
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


def _header(
    name: str, cells: list[Any], milestone_ids: tuple[str, ...] = MILESTONES
) -> tuple[dict[int, str], list[Problem]]:
    """Column positions by field name, from the first row; unknown, repeated or missing columns are problems."""
    known = columns_for(milestone_ids)
    loose: dict[str, str] = {}
    for c in known:
        loose.setdefault(_loose(c), c)
    columns: dict[int, str] = {}
    problems: list[Problem] = []
    for i, raw in enumerate(cells):
        if _blank(raw):
            continue
        text = str(raw).strip()
        field = loose.get(_loose(text))
        if field is None:
            problems.append(
                Problem(
                    name,
                    1,
                    _("unknown column {column}{hint}").format(column=repr(text), hint=did_you_mean(text, known)),
                    column_letter(i),
                )
            )
        elif field in columns.values():
            first = next(column_letter(j) for j, f in columns.items() if f == field)
            problems.append(
                Problem(
                    name,
                    1,
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
                    1,
                    _("missing column {column}: the first row must name the columns ({columns})").format(
                        column=repr(field), columns=", ".join(known)
                    ),
                )
            )
    return columns, problems


def _row_node(
    name: str,
    row: int,
    cells: list[Any],
    columns: dict[int, str],
    problems: list[Problem],
    milestone_ids: tuple[str, ...] = MILESTONES,
) -> yaml.MappingNode | None:
    """The row as the nodes of a YAML facility entry. A milestone given by its date alone is that date; one
    with an `_on_or_before` or `_source` cell is a mapping of `on`, `on_or_before` and `source`."""
    roles = _roles(milestone_ids)
    pairs: list[tuple[yaml.Node, yaml.Node]] = []
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
        node: yaml.Node = _scalar(name, value, row, i)
        role = roles.get(field)
        if role is not None:
            part_key = yaml.ScalarNode(STR, role[1], _mark(name, row, i), _mark(name, row, i))
            milestones.setdefault(role[0], []).append((part_key, node))
            continue
        key = yaml.ScalarNode(STR, field, _mark(name, row, i), _mark(name, row, i))
        if field == "aliases" and node.tag == STR:
            parts = [p.strip() for p in node.value.split(ALIAS_SEPARATOR) if p.strip()]
            node = yaml.SequenceNode(
                SEQ, [_scalar(name, p, row, i) for p in parts], _mark(name, row, i), _mark(name, row, i)
            )
        pairs.append((key, node))
    if not pairs and not milestones:
        return None  # a blank row
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
            return None
        value = cell.strip()
        if value:
            if not value.isprintable() or len(value) > MAX_TEXT:  # a line break, a control character...
                return None  # ...or a text too long: the careful reader's
            field = columns.get(i)
            if field is None:
                return None
            values[field] = value
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
_FORMULA_GUARD = re.compile(r"""(^|[,;]|(?:^|[,;])")'(?=[=+\-@])""", re.MULTILINE)


def _csv_rows(name: str, raw: bytes, progress: Phases) -> Iterable[list[Any]]:
    text = decode(name, raw)
    header = text.split("\n", 1)[0]
    progress.total(text.count("\n") - text.endswith("\n"))  # the lines after the header: rows, or a few more
    # Spreadsheet programs set to Vietnamese (or other languages that write decimals with a comma)
    # save "CSV" with semicolons between the columns: the header row tells which.
    delimiter = ";" if header.count(";") > header.count(",") else ","
    if "'" in text:  # a cell written '=… so that a spreadsheet would not run it (as emrtrack's CSV does): as =…
        text = _FORMULA_GUARD.sub(r"\1", text)
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_rows(path: Path, progress: Phases) -> Iterable[list[Any]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = wb.worksheets[0]
        if sheet.max_row:  # as the file states it, when it does
            progress.total(sheet.max_row - 1)
        for values in sheet.iter_rows(values_only=True):
            yield [nfc(v) if type(v) is str else v for v in values]
    finally:
        wb.close()


def read_table(path: Path, today: date, out: LoadedFiles, progress: Phases = NOBODY) -> list[Problem]:
    """Read one .csv or .xlsx facility list into `out`; return every problem found. `progress` hears of each
    row read."""
    name = str(path)
    try:
        check_size(path)
        csv_file = path.suffix.lower() == ".csv"
        rows = iter(_csv_rows(name, read_limited(path), progress) if csv_file else _xlsx_rows(path, progress))
        vocabulary = out.milestone_ids
        reader = _TableReader(name, today, vocabulary)
        header_cells = next(rows, None)
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
        columns, problems = _header(name, header_cells, vocabulary)
        if problems:
            return problems
        for row, cells in enumerate(rows, start=2):
            entry = _plain_entry(name, row, cells, columns, today, vocabulary)
            if entry is not None:
                reader.facility_ids.append((entry.facility.id, name, row))
            else:
                node = _row_node(name, row, cells, columns, problems, vocabulary)
                if node is None:
                    continue
                entry = reader.facility(node, row)
            if entry is not None:
                out.facilities.append(entry)
            progress.advance()
        out.facility_ids.extend(reader.facility_ids)
        if not reader.facility_ids and not problems and not reader.problems:
            return [Problem(name, 2, _("the file lists no facility: fill in a row under the column names"))]
        return sorted(problems + reader.problems, key=lambda p: p.line)  # row order; stable within a row
    except InputError as e:
        return e.problems
    except OSError as e:
        return [Problem(name, 0, _("cannot read the file: {error}").format(error=e.strerror))]
    except csv.Error as e:
        return [Problem(name, 1, _("not valid CSV: {problem}").format(problem=e))]
    except Exception as e:  # openpyxl's many ways of saying "not a spreadsheet" (KeyError, zipfile, XML errors...)
        if path.suffix.lower() == ".xlsx":
            return [
                Problem(
                    name,
                    1,
                    _("not a readable .xlsx spreadsheet ({kind}: {problem})").format(kind=type(e).__name__, problem=e),
                )
            ]
        raise
