"""The register's present facts, written in the formats `load` reads: YAML (register facts, requirements and
facilities), or the facility list of a CSV or XLSX file (the columns `template` describes).

Deterministic, so that a register kept in git changes only where its facts change: facilities by id, keys in
a fixed order, one facility a block with a blank line between blocks, nothing that depends on when or where it
was written. Facilities are written as they are read from the register, never all held at once."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

from emrtrack.model import DEPLOYED, Facility, Obligation, Reached, Requirement, Selector
from emrtrack.output.text import spreadsheet_safe
from emrtrack.reading.tables import ALIAS_SEPARATOR, code_columns, columns_for
from emrtrack.store.codec import details_of
from emrtrack.views import ExportView

# A string YAML reads back as the same string when written plain, in a block or a flow collection: it starts
# with a letter, holds no character YAML gives a meaning to (: # , [ ] { } and the like), no control or line
# break character and no space at either end. Anything else is written double-quoted (JSON's escapes are
# YAML's too).
_PLAIN = re.compile(
    r"[^\W\d_](?:[^\x00-\x1f\x7f-\x9f\u2028\u2029:#,\[\]{}\"\\`]*[^\x00-\x1f\x7f-\x9f\u2028\u2029:#,\[\]{}\"\\` ])?"
)
# Words YAML 1.1 (PyYAML) reads as booleans or null when plain.
_NOT_STRINGS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


def scalar(value: str | date) -> str:
    """One value as YAML: a date as YYYY-MM-DD; a string plain when YAML reads it back as itself, else quoted."""
    if isinstance(value, date):
        return value.isoformat()
    if _PLAIN.fullmatch(value) and value.lower() not in _NOT_STRINGS:
        return value
    return json.dumps(value, ensure_ascii=False)


def _flow_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(scalar(v) for v in values) + "]"


def _flow_map(items: Iterable[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"


_DATE_KEYS = frozenset({"opened", "closed", "on", "until", "deadline", "from", "date", "granted"})


def _flow(value: Any, key: str = "") -> str:
    """A later fact of a facility (`details_of`'s JSON form) as YAML flow: dates plain, every text as `scalar`."""
    if isinstance(value, dict):
        return _flow_map((k, _flow(v, k)) for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if key in _DATE_KEYS:
        return str(value)
    return scalar(value)


def _life_lines(f: Facility) -> Iterator[str]:
    """A facility's codes, lifecycle, earlier names, exceptions and withdrawal, in the README's YAML forms."""
    for key, value in details_of(f).items():
        if isinstance(value, list):
            yield f"    {key}:"
            yield from (f"      - {_flow(item)}" for item in value)
        else:
            yield f"    {key}: {_flow(value, key)}"


def _selector(s: Selector) -> str:
    return _flow_map((k, _flow_list(v)) for k, v in s.as_dict().items())


def _milestone(r: Reached) -> str:
    """A milestone as `load` reads it: a date alone, or {on|on_or_before: date, source: text}."""
    if r.exact and r.source is None:
        return r.date.isoformat()
    items = [("on" if r.exact else "on_or_before", r.date.isoformat())]
    if r.source is not None:
        items.append(("source", scalar(r.source)))
    return _flow_map(items)


def _register_lines(view: ExportView) -> Iterator[str]:
    info = view.info
    if not view.register_fields:
        return
    yield "register:"
    if "name" in view.register_fields and info.name is not None:
        yield f"  name: {scalar(info.name)}"
    if "timezone" in view.register_fields:
        yield f"  timezone: {scalar(info.timezone)}"
    if "milestones" in view.register_fields:
        yield "  milestones:"
        for m in info.milestones:
            yield f"    - {_flow_map((('id', scalar(m.id)), ('en', scalar(m.en)), ('vi', scalar(m.vi))))}"
    if "code_schemes" in view.register_fields and info.code_schemes:
        yield "  code_schemes:"
        for c in info.code_schemes:
            yield f"    {scalar(c.id)}: {_flow_map((('label', scalar(c.label)), ('pattern', scalar(c.pattern))))}"
    if "notes" in view.register_fields and info.notes:
        yield "  notes:"
        yield from (f"    - {scalar(note)}" for note in info.notes)
    yield ""


def _deadlines(o: Obligation, indent: str) -> Iterator[str]:
    """An obligation's deadline, or its deadlines by cohort."""
    if len(o.cohorts) == 1 and o.cohorts[0].selector.is_everything:
        yield f"{indent}deadline: {o.cohorts[0].deadline.isoformat()}"
        return
    yield f"{indent}deadlines:"
    for c in o.cohorts:
        first = f"{indent}  - "
        if not c.selector.is_everything:
            yield f"{first}applies_to: {_selector(c.selector)}"
            first = f"{indent}    "
        yield f"{first}deadline: {c.deadline.isoformat()}"


def _requirement_lines(r: Requirement) -> Iterator[str]:
    yield f"  - id: {scalar(r.id)}"
    for key, value in (("title", r.title), ("issuer", r.issuer), ("issued", r.issued), ("in_force", r.in_force)):
        if value is not None:
            yield f"    {key}: {scalar(value)}"
    if r.default:
        yield "    default: true"
    if not r.binding:
        yield "    binding: false"
    for key, text in (("replaces", r.replaces), ("source", r.source)):
        if text is not None:
            yield f"    {key}: {scalar(text)}"
    if r.refs:
        yield f"    refs: {_flow_list(r.refs)}"
    if not r.applies_to.is_everything:
        yield f"    applies_to: {_selector(r.applies_to)}"
    principal = r.principal
    plain = len(r.obligations) == 1 and principal.milestone == DEPLOYED
    if plain and principal.applies_to.is_everything and not principal.principal:
        yield from _deadlines(principal, "    ")
        return
    yield "    obligations:"
    for o in r.obligations:
        yield f"      - milestone: {scalar(o.milestone)}"
        yield from _deadlines(o, "        ")
        if not o.applies_to.is_everything:
            yield f"        applies_to: {_selector(o.applies_to)}"
        if o.principal:
            yield "        principal: true"


def _facility_lines(f: Facility, milestones: dict[str, Reached]) -> Iterator[str]:
    yield f"  - id: {scalar(f.id)}"
    yield f"    name: {scalar(f.name)}"
    if f.aliases:
        yield f"    aliases: {_flow_list(f.aliases)}"
    yield f"    ownership: {f.ownership}"
    yield f"    kind: {f.kind}"
    for key, value in (("managed_by", f.managed_by), ("location", f.location), ("verified", f.verified)):
        if value is not None:
            yield f"    {key}: {scalar(value)}"
    yield from _life_lines(f)
    if milestones:
        yield "    milestones:"
        yield from (f"      {scalar(m)}: {_milestone(r)}" for m, r in milestones.items())


HEADER = "# An emrtrack register: load it with `emrtrack load FILE` (see the README's YAML format)."


def write_export_yaml(view: ExportView, out: IO[str]) -> None:
    """The register as one YAML file: its facts, its requirements, then one block per facility."""
    lines = [HEADER, ""]
    lines += _register_lines(view)
    if view.requirements:
        lines.append("requirements:")
        for r in view.requirements:
            lines += _requirement_lines(r)
        lines.append("")
    out.write("\n".join(lines) + "\n")
    first = True
    for facility, milestones in view.facilities:
        if first:
            out.write("facilities:\n")
            first = False
        else:
            out.write("\n")
        out.write("\n".join(_facility_lines(facility, milestones)) + "\n")


def _facility_row(
    f: Facility, milestones: dict[str, Reached], vocabulary: tuple[str, ...], schemes: tuple[str, ...] = ()
) -> list[Any]:
    """A facility's cells in the columns of `columns_for(vocabulary)` and `code_columns(schemes)`: its facts, each
    milestone's exact date, then each milestone's on-or-before date and source, then its code of each scheme."""
    row: list[Any] = [
        f.id,
        f.name,
        f"{ALIAS_SEPARATOR} ".join(f.aliases) or None,
        f.ownership,
        f.kind,
        f.managed_by,
        f.location,
        f.verified,
    ]
    row += [r.date if (r := milestones.get(m)) is not None and r.exact else None for m in vocabulary]
    for m in vocabulary:
        r = milestones.get(m)
        row += [r.date if r is not None and not r.exact else None, r.source if r is not None else None]
    return row + [f.code(s) for s in schemes]


def _vocabulary(view: ExportView) -> tuple[str, ...]:
    return view.info.milestone_ids


def _schemes(view: ExportView) -> tuple[str, ...]:
    return tuple(c.id for c in view.info.code_schemes)


def write_export_csv(view: ExportView, out: IO[str]) -> None:
    """The facility list as CSV. A cell a spreadsheet would run as a formula starts with an apostrophe, which
    `load` takes off again."""
    vocabulary = _vocabulary(view)
    writer = csv.writer(out, lineterminator="\n")
    schemes = _schemes(view)
    writer.writerow(columns_for(vocabulary) + code_columns(schemes))
    for facility, milestones in view.facilities:
        row = _facility_row(facility, milestones, vocabulary, schemes)
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, date) else spreadsheet_safe(v) for v in row]
        )


def write_export_xlsx(view: ExportView, out: Path | IO[bytes]) -> None:
    """The facility list as a one-sheet workbook: dates as date cells, text always as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    vocabulary = _vocabulary(view)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("facilities")
    schemes = _schemes(view)
    columns = columns_for(vocabulary) + code_columns(schemes)
    for i, name in enumerate(columns):
        ws.column_dimensions[_letter(i + 1)].width = {"name": 45, "aliases": 35, "id": 28}.get(name, 14)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    ws.append([_cell(ws, name, font=bold) for name in columns])
    for facility, milestones in view.facilities:
        ws.append([_cell(ws, v) for v in _facility_row(facility, milestones, vocabulary, schemes)])
    wb.save(out)


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    letter: str = get_column_letter(column)
    return letter


def _cell(ws: Any, value: Any, font: Any = None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever it starts with
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    if font is not None:
        cell.font = font
    return cell
