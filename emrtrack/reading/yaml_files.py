"""Read one YAML register file (its register facts, requirements and facilities) into LoadedFiles.

Only the C or pure-Python *safe* parser of PyYAML is used, and only to compose nodes: nothing in
the file is ever constructed as a Python object by YAML's own machinery, so tags such as
``!!python/object`` are reported, never executed. Walking the nodes ourselves also gives us the
line of every value, catches duplicate keys (which PyYAML would silently keep the last of), and
keeps the work linear in the size of the file whatever aliases it holds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from emrtrack.errors import InputError, Problem
from emrtrack.i18n import N_, _
from emrtrack.progress import NOBODY, Phases
from emrtrack.reading.entries import LoadedFiles, RequirementEntry, check_size, decode, read_limited
from emrtrack.reading.facilities import FacilityReader
from emrtrack.reading.nodes import SEQ
from emrtrack.reading.sections import SectionReader

try:  # the C parser (libyaml) when PyYAML was built with it
    _Parser: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = yaml.SafeLoader

# An upper bound on the YAML nodes a file may hold (each costs a few hundred bytes once composed):
# lines, flow items and nested collections. 100,000 facilities take about 1.2 million.
MAX_ITEMS = 2_000_000


class _DocumentReader(SectionReader, FacilityReader):
    """The node reader, with the sections of a YAML file: register, requirements and facilities."""

    def document(
        self, root: yaml.Node | None, out: LoadedFiles, progress: Phases = NOBODY, parts: _Parts | None = None
    ) -> None:
        """Read the file's sections from `root`; with `parts`, its facilities are read from them instead (`root`
        is then the rest of the file, None when there is no rest)."""
        if root is None and parts is None:
            self.problem(None, N_("the file is empty: expected 'register', 'requirements' and/or 'facilities'"))
            return
        fields = self.mapping(root, "the file", ("register", "requirements", "facilities")) if root is not None else {}
        if isinstance(root, yaml.MappingNode) and not fields and not self.problems and parts is None:
            self.problem(root, N_("the file holds none of 'register', 'requirements', 'facilities'"))
        self.milestones = out.milestone_ids
        if "register" in fields:  # first: its milestones are the vocabulary of what follows
            info, given = self.register(fields["register"][1])
            if info is not None:
                out.register, out.register_fields = info, given
            out.milestone_ids = self.milestones
        if "requirements" in fields:
            for i, item in enumerate(self.seq(fields["requirements"][1], "requirements")):
                req = self.requirement(item, i)
                if req is not None:
                    out.requirements.append(RequirementEntry(req, self.name, self.line(item)))
        if parts is not None:
            total, composed = len(parts.starts), parts.composed()
        elif "facilities" in fields:
            items = self.seq(fields["facilities"][1], "facilities")
            total, composed = len(items), iter([(items, 0)])
        else:
            return
        progress.total(total)
        i = 0
        for items, offset in composed:  # the facilities, a part at a time: each part's lines start after `offset`
            self.line_offset = offset
            for item in items:
                entry = self.facility(item, i)
                if entry is not None:
                    out.facilities.append(entry)
                progress.advance()
                i += 1
        self.line_offset = 0
        out.facility_ids.extend(self.facility_ids)


_CONFLICT = re.compile(r"^(<{7}|>{7})(?: |$)", re.MULTILINE)


def _check_merged(name: str, text: str) -> None:
    """Refuse a file git could not merge (it still holds the conflict's markers), saying so."""
    marker = _CONFLICT.search(text) if "<<<<<<<" in text or ">>>>>>>" in text else None
    if marker:
        raise InputError(
            [
                Problem(
                    name,
                    text.count("\n", 0, marker.start()) + 1,
                    _(
                        "git's conflict markers (<<<<<<<, =======, >>>>>>>) are still in the file: keep the right "
                        "lines, delete the markers, then load it (see the README's 'Sharing a register')"
                    ),
                )
            ]
        )


def _items(text: str) -> int:
    """About how many YAML nodes `text` makes: its lines and flow items."""
    return sum(text.count(c) for c in ("\n", ",", "- ", "[", "{"))


def _check_size(name: str, text: str) -> None:
    """Refuse, before composing, a file with more items than any register has (junk, or a bomb)."""
    items = _items(text)
    if items > MAX_ITEMS:
        raise InputError(
            [
                Problem(
                    name,
                    1,
                    _(
                        "the file holds about {items} lines and items; the limit is "
                        "{limit}: is it a register? Split a large one into files"
                    ).format(items=f"{items:,}", limit=f"{MAX_ITEMS:,}"),
                )
            ]
        )


_FIELD_ON_LINE = re.compile(r"\s*(?:-\s+)?([^\s:#][^:#]*?)\s*:(?:\s|$)")


def _reader_problem(name: str, text: str, e: yaml.reader.ReaderError) -> Problem:
    """A character YAML refuses (a control character pasted into a value): its line and field."""
    # libyaml counts bytes of the UTF-8 encoding; the pure-Python reader counts characters
    position = e.position
    if _Parser is not yaml.SafeLoader:
        position = len(text.encode("utf-8")[:position].decode("utf-8", "ignore"))
    position = min(max(position, 0), len(text))
    line = text.count("\n", 0, position) + 1
    start = text.rfind("\n", 0, position) + 1
    field = _FIELD_ON_LINE.match(text, start)
    where = _(" in field {field}").format(field=repr(field.group(1))) if field and field.end() <= position else ""
    char = e.character if isinstance(e.character, str) else chr(e.character)
    return Problem(
        name,
        line,
        _("not valid YAML: the invisible control character {code}{where} is not allowed; delete it").format(
            code=f"U+{ord(char):04X}", where=where
        ),
    )


class _Composer(_Parser):  # type: ignore[misc]
    """The safe parser, remembering the tag of each plain value it has resolved: a register repeats the
    same field names, kinds and dates tens of thousands of times, and resolving is pattern matching."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._plain_tags: dict[str, str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            tag = self._plain_tags.get(value)
            if tag is None:
                tag = self._plain_tags[value] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]  # resolve is untyped in the stubs


_INDENTATION = re.compile(r"[ \t]*(?:-[ \t]+)*")
_ANCHOR = re.compile(r"&([^\s,\[\]{}]+)")
_DOCUMENT_END = re.compile(r"^\.\.\.[ \t]*(?:#.*)?$", re.MULTILINE)


def _syntax_problem(text: str, e: yaml.MarkedYAMLError) -> str:
    """What a syntax error means, worded for the one who wrote the file: a second document, an anchor defined
    twice, a tab where YAML takes spaces; otherwise the parser's own words, with the line the construct began."""
    mark = e.problem_mark or e.context_mark
    context, problem = e.context or "", e.problem or ""
    lines = text.split("\n")
    line = lines[min(mark.line, len(lines) - 1)] if mark is not None else ""
    if "found another document" in problem or (
        "document start" in problem
        and mark is not None
        and _DOCUMENT_END.search(text, 0, sum(len(x) + 1 for x in lines[: mark.line])) is not None
    ):
        return _(
            "a second document starts here, and a file holds one document: delete the '---' or '...' line "
            "between them, or move the second into a file of its own"
        )
    if "duplicate anchor" in context and e.context_mark is not None:
        # PyYAML names the anchor, libyaml does not: it is read where the second one stands
        found = _ANCHOR.search(line, mark.column) if mark is not None else None
        anchor = f" &{found.group(1)}" if found else ""
        return _(
            "the anchor{anchor} is defined twice (first on line {line}): give each anchor a name of its own"
        ).format(anchor=anchor, line=e.context_mark.line + 1)
    what = " ".join(p for p in (e.context, e.problem) if p)
    if e.context_mark is not None and e.problem_mark is not None and e.context_mark.line != e.problem_mark.line:
        what += _(" (the construct began on line {line})").format(line=e.context_mark.line + 1)
    indentation = _INDENTATION.match(line)
    if "\t" in (indentation.group() if indentation else "") or ("tab" in problem and "indentation" in problem):
        return what + _("; indent with spaces, not tabs")
    if mark is not None and line[mark.column : mark.column + 1] == "\t":
        # a tab between a field and its value, or after a value: the pure-Python parser refuses it there
        field = _FIELD_ON_LINE.match(line)
        where = (
            _(" in field {field}").format(field=repr(field.group(1)))
            if field and field.end() <= mark.column + 1
            else ""
        )
        return _("a tab{where} where YAML takes spaces: replace it with a space").format(where=where)
    return what


def _compose(name: str, text: str) -> yaml.Node | None:
    parser = _Composer(text)
    try:
        root: yaml.Node | None = parser.get_single_node()
        return root
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = _syntax_problem(text, e)
        raise InputError([Problem(name, line, _("not valid YAML: {problem}").format(problem=what))]) from None
    except yaml.reader.ReaderError as e:
        raise InputError([_reader_problem(name, text, e)]) from None
    except yaml.YAMLError as e:
        raise InputError([Problem(name, 1, _("not valid YAML: {problem}").format(problem=e))]) from None
    finally:
        parser.dispose()


# -- a long file in parts -------------------------------------------------------------------------
# A register's facilities are one block list under `facilities:`, one item after another. A long one is composed
# a part of PART_ITEMS facilities at a time, each part on its own, so that the nodes of only one part are ever in
# memory (composed whole, a national register's nodes take more than thirty times the file's size). Where a part
# cannot stand on its own (an anchor, a second document, a directive; a quoted text or a flow list running over an
# item's first line), or any part is not valid YAML, the file is composed whole: the same reading, and the same
# problems in the same words, as for any file.
PART_ITEMS = 1_000
PARTS_FROM = 200_000  # characters: a shorter file (some 1,000 facilities) is composed whole
MAX_FACILITIES_IN_PARTS = 500_000  # a list of more is no register (nor its parts): composed whole, and refused
_FACILITIES_KEY = re.compile(r"facilities[ \t]*:[ \t]*(?:#[^\n]*)?$", re.MULTILINE)
_NODE_PROPERTY = re.compile(r"(?:^|[\s\[\]{},])[&*][^\s\[\]{},]", re.MULTILINE)  # an anchor or an alias
_FIRST_ITEM = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*( *)-(?:[ \t]|$)", re.MULTILINE)
_TOP_LEVEL = re.compile(r"\n(?=[^\s#-])")  # a line at the margin: neither blank, a comment nor an item


def _line_starts(text: str, prefix: str, start: int = 0, end: int | None = None) -> Iterator[int]:
    """Where the lines of text[start:end] that begin with `prefix` begin (`start` is where a line begins)."""
    if text.startswith(prefix, start):
        yield start
    at = text.find("\n" + prefix, start, len(text) if end is None else end)
    while at >= 0:
        yield at + 1
        at = text.find("\n" + prefix, at + 1, len(text) if end is None else end)


def _whole_only(text: str) -> bool:
    """Whether the file has what ties its parts together: a second document, a directive, an anchor or alias."""
    if any(text.startswith(m) or f"\n{m}" in text for m in ("---", "...", "%")):
        return True
    return ("&" in text or "*" in text) and _NODE_PROPERTY.search(text) is not None


class _NotInParts(Exception):
    """A part of the file is not valid YAML on its own: the file is composed whole."""


class _Parts:
    """The facilities of a long file: where each item starts, composed a part at a time."""

    def __init__(self, text: str, starts: list[int], end: int):
        self.text, self.starts, self.end = text, starts, end

    def composed(self) -> Iterator[tuple[list[yaml.Node], int]]:
        """Each part's items, and the lines of the file before the part."""
        text, starts = self.text, self.starts
        line, at = 0, 0
        for first in range(0, len(starts), PART_ITEMS):
            start = starts[first]
            stop = starts[first + PART_ITEMS] if first + PART_ITEMS < len(starts) else self.end
            line += text.count("\n", at, start)
            at = start
            part = text[start:stop]
            if _items(part) > MAX_ITEMS:  # an odd file: composed whole, it is held to the limit as a whole
                raise _NotInParts()
            parser = _Composer(part)
            try:
                root = parser.get_single_node()
            except yaml.YAMLError:
                raise _NotInParts() from None
            finally:
                parser.dispose()
            if not isinstance(root, yaml.SequenceNode) or root.tag != SEQ:
                raise _NotInParts()
            yield root.value, line


def _in_parts(text: str) -> tuple[str, _Parts] | None:
    """The file without its facilities (blank lines standing for them where something follows) and its facilities
    in parts, when it is long and laid out as a register is: one block list under the only `facilities:` at the
    margin, of at most MAX_FACILITIES_IN_PARTS items."""
    if len(text) < PARTS_FROM:
        return None
    keys = [m for at in _line_starts(text, "facilities") if (m := _FACILITIES_KEY.match(text, at))]
    if len(keys) != 1 or _whole_only(text):
        return None
    key = keys[0]
    first = _FIRST_ITEM.match(text, key.end() + 1)
    if first is None:
        return None
    later = _TOP_LEVEL.search(text, first.end() - 1)
    end = later.end() if later else len(text)
    indent = first.group(1)
    items = (
        at
        for at in _line_starts(text, indent + "-", first.start(1), end)
        if text[at + len(indent) + 1 : at + len(indent) + 2] in " \t\n"
    )
    starts = list(itertools.islice(items, MAX_FACILITIES_IN_PARTS + 1))
    if not starts or starts[0] != first.start(1) or len(starts) > MAX_FACILITIES_IN_PARTS:
        return None  # (more items than any register has facilities: composed whole, it is held to MAX_ITEMS)
    # what follows the facilities keeps its lines (blank ones stand for the facilities'): most files have nothing
    rest = text[: key.start()] + ("\n" * text.count("\n", key.start(), end) + text[end:] if later else "")
    return rest, _Parts(text, starts, end)


def read_yaml(path: Path, today: date, out: LoadedFiles, progress: Phases = NOBODY) -> list[Problem]:
    """Read one YAML file into `out`; return every problem found. `progress` hears of each facility read."""
    name = str(path)
    try:
        check_size(path)
        text = decode(name, read_limited(path))
        _check_merged(name, text)
        split = _in_parts(text)
        if split is not None:
            problems = _read_parts(name, today, split, out, progress)
            if problems is not None:
                return problems
        _check_size(name, text)  # composed whole: its nodes are all in memory at once
        root = _compose(name, text)
    except InputError as e:
        return e.problems
    except OSError as e:
        return [Problem(name, 0, _("cannot read the file: {error}").format(error=e.strerror))]
    reader = _DocumentReader(name, today, out.milestone_ids)
    reader.document(root, out, progress)
    return reader.problems


def _read_parts(
    name: str, today: date, split: tuple[str, _Parts], out: LoadedFiles, progress: Phases
) -> list[Problem] | None:
    """Read a long file in parts into `out` (see `_Parts`); its problems, or None, with `out` as it was, when a
    part is not valid YAML on its own (the file is then composed whole)."""
    rest, parts = split
    try:
        root = _compose(name, rest)
    except InputError:
        return None
    if root is not None and not isinstance(root, yaml.MappingNode):
        return None
    kept = (out.register, out.register_fields, out.milestone_ids, len(out.requirements), len(out.facilities))
    reader = _DocumentReader(name, today, out.milestone_ids)
    try:
        reader.document(root, out, progress, parts)
    except _NotInParts:
        out.register, out.register_fields, out.milestone_ids = kept[:3]
        del out.requirements[kept[3] :], out.facilities[kept[4] :]
        return None
    return reader.problems
