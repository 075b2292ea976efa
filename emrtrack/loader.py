"""Read register files (YAML) into the domain model, collecting every problem with its position.

Only the C or pure-Python *safe* parser of PyYAML is used, and only to compose nodes: nothing in
the file is ever constructed as a Python object by YAML's own machinery, so tags such as
``!!python/object`` are reported, never executed. Walking the nodes ourselves also gives us the
line of every value, catches duplicate keys (which PyYAML would silently keep the last of), and
keeps the work linear in the size of the file whatever aliases it holds.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from emrtrack.errors import InputError, Problem
from emrtrack.i18n import N_, _, fmt_date
from emrtrack.model import (
    KINDS,
    MILESTONES,
    OWNERSHIPS,
    Cohort,
    Facility,
    RegisterInfo,
    Requirement,
    Selector,
)

try:  # the C parser (libyaml) when PyYAML was built with it
    _Parser: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOOL = "tag:yaml.org,2002:bool"
_TYPE_NAMES = {
    "tag:yaml.org,2002:int": N_("a number"),
    "tag:yaml.org,2002:float": N_("a number"),
    _BOOL: N_("true/false"),
    "tag:yaml.org,2002:null": N_("empty"),
    _TIMESTAMP: N_("a date"),
    _STR: N_("text"),
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}\Z")
MAX_FILE_BYTES = 64 * 1024 * 1024
# An upper bound on the YAML nodes a file may hold (each costs a few hundred bytes once composed):
# lines, flow items and nested collections. 100,000 facilities take about 1.2 million.
MAX_ITEMS = 2_000_000


@dataclass
class FacilityEntry:
    """A facility read from a file, with its milestones and where it was written."""

    facility: Facility
    milestones: dict[str, date]
    file: str
    line: int


@dataclass
class RequirementEntry:
    requirement: Requirement
    file: str
    line: int


@dataclass
class LoadedFiles:
    """Everything read from one or more files, in file order."""

    register: RegisterInfo | None = None
    register_fields: frozenset[str] = frozenset()
    requirements: list[RequirementEntry] = field(default_factory=list)
    facilities: list[FacilityEntry] = field(default_factory=list)
    # (id, file, line) of every facility entry with a usable id, valid or not: for duplicate checks
    facility_ids: list[tuple[str, str, int]] = field(default_factory=list)


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


def _node_type(node: yaml.Node) -> str:
    if node.tag not in _TYPE_NAMES and node.tag not in (_MAP, _SEQ):
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        return _("a value tagged {tag} (tags are not allowed)").format(tag=tag)
    if isinstance(node, yaml.MappingNode):
        return _("a mapping")
    if isinstance(node, yaml.SequenceNode):
        return _("a list")
    if node.tag in _TYPE_NAMES:
        return _(_TYPE_NAMES[node.tag])
    return _("a value tagged {tag}").format(tag=node.tag)


def _did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return _(" (did you mean {word}?)").format(word=repr(close[0]))
    return _(" (expected one of: {choices})").format(choices=", ".join(choices))


_ROW_LABEL = re.compile(r"facility on row (\d+)\Z")
_HEADS = (("facility ", N_("facility {id}")), ("requirement ", N_("requirement {id}")))


def _what(what: str) -> str:
    """The part of a message naming where the problem is, in the interface language.

    It is built in English as the file is read ("facility 'x': milestone 'deployed'", "requirement
    requirements[2]: deadlines[0]: applies_to", "facility on row 5: aliases item"), since a problem is
    rare and the file is large; only when a problem is reported is it translated. Field names stay as
    the file writes them."""
    from emrtrack import i18n

    if i18n.current() == "en":
        return what
    head, sep, rest = what.partition(": ")
    row = _ROW_LABEL.match(head)
    if row:
        head = _("facility on row {row}").format(row=row.group(1))
    elif head == "the file":
        head = _("the file")
    else:
        for prefix, template in _HEADS:
            if head.startswith(prefix):
                head = _(template).format(id=head[len(prefix):])
                break
    parts = [head]
    for part in rest.split(": ") if sep else ():
        if part.startswith("milestone "):
            part = _("milestone {name}").format(name=part[len("milestone "):])
        elif part.endswith(" item"):
            part = _("{field} item").format(field=part[:-len(" item")])
        parts.append(part)
    if len(parts) == 1 and head.endswith(" item"):
        parts[0] = _("{field} item").format(field=head[:-len(" item")])
    return ": ".join(parts)


def _given_id(node: yaml.Node) -> str | None:
    """The id an entry gives itself, quoted for messages, when it gives a plain one."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "id" and isinstance(value, yaml.ScalarNode) and _ID.match(value.value):
                return repr(value.value)
    return None


class _FileReader:
    """Walks the nodes of one file and turns them into model objects, noting every problem."""

    def __init__(self, name: str, today: date):
        self.name = name
        self.today = today
        self.problems: list[Problem] = []
        self.facility_ids: list[tuple[str, str, int]] = []

    # -- primitives --------------------------------------------------------------------------
    def problem(self, node: yaml.Node | None, message: str, what: str | None = None, **args: Any) -> None:
        """Note a problem: `message` is an English template, translated and filled in only here, with
        `what` (where the problem is) and `args`, so that reading a file without problems costs nothing."""
        if what is not None:
            args["what"] = _what(what)
        self.add(node, _(message).format(**args) if args else _(message))

    def add(self, node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(Problem(self.name, line, message))

    def label(self, section: str, index: int) -> str:
        """How an entry without a usable id is named in a message (tabular input names its row)."""
        return f"{section}[{index}]"

    def mapping(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The entries of a mapping node by key; unknown and repeated keys are problems."""
        if not isinstance(node, yaml.MappingNode) or node.tag != _MAP:
            self.problem(node, N_("{what} must be a mapping of fields, not {type}"), what, type=_node_type(node))
            return {}
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                self.problem(key_node, N_("{what}: a field name must be text, not {type}"), what,
                             type=_node_type(key_node))
                continue
            key = key_node.value
            if key in out:
                first = out[key][0].start_mark.line + 1
                self.problem(key_node, N_("{what}: field {key} is given twice (first on line {line})"), what,
                             key=repr(key), line=first)
            elif key not in allowed:
                self.problem(key_node, N_("{what}: unknown field {key}{hint}"), what, key=repr(key),
                             hint=_did_you_mean(key, allowed))
            else:
                out[key] = (key_node, value_node)
        return out

    def text(self, node: yaml.Node, what: str) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
            value = node.value.strip()
            if not value:
                self.problem(node, N_("{what} is empty"), what)
                return None
            return value
        self.problem(node, N_("{what} must be text, not {type} (put it in quotes)") if isinstance(node, yaml.ScalarNode)
                     else N_("{what} must be text, not {type}"), what, type=_node_type(node))
        return None

    def texts(self, node: yaml.Node, what: str) -> tuple[str, ...] | None:
        """A list of texts; a single text is taken as a list of one."""
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
            value = self.text(node, what)
            return (value,) if value else None
        if not isinstance(node, yaml.SequenceNode) or node.tag != _SEQ:
            self.problem(node, N_("{what} must be a list of text, not {type}"), what, type=_node_type(node))
            return None
        items = [self.text(item, f"{what} item") for item in node.value]
        if any(i is None for i in items):
            return None
        return tuple(i for i in items if i is not None)

    def date(self, node: yaml.Node, what: str) -> date | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (_STR, _TIMESTAMP):
            self.problem(node, N_("{what} must be a date written YYYY-MM-DD, not {type}"), what,
                         type=_node_type(node))
            return None
        value = node.value.strip()
        if not _DATE.match(value):
            self.problem(node, N_("{what}: {value} is not a date written YYYY-MM-DD"), what, value=repr(value))
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problem(node, N_("{what}: {value} is not a real date"), what, value=value)
            return None

    def flag(self, node: yaml.Node, what: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            return node.value.lower() in ("true", "yes", "on")
        self.problem(node, N_("{what} must be true or false, not {type}"), what, type=_node_type(node))
        return None

    def choices(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
        values = self.texts(node, what)
        if values is None:
            return None
        bad = [v for v in values if v not in allowed]
        for v in bad:
            self.problem(node, N_("{what}: unknown value {value}{hint}"), what, value=repr(v),
                         hint=_did_you_mean(v, allowed))
        return None if bad else values

    def choice(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(node, what)
        if value is not None and value not in allowed:
            self.problem(node, N_("{what}: unknown value {value}{hint}"), what, value=repr(value),
                         hint=_did_you_mean(value, allowed))
            return None
        return value

    def selector(self, node: yaml.Node, what: str) -> Selector | None:
        fields = self.mapping(node, what, ("kind", "ownership"))
        kinds = ownerships = ()
        ok = True
        if "kind" in fields:
            got = self.choices(fields["kind"][1], f"{what}: kind", KINDS)
            ok = ok and got is not None
            kinds = got or ()
        if "ownership" in fields:
            got = self.choices(fields["ownership"][1], f"{what}: ownership", OWNERSHIPS)
            ok = ok and got is not None
            ownerships = got or ()
        if not fields and isinstance(node, yaml.MappingNode):
            self.problem(node, N_("{what} is empty: name a kind and/or an ownership, or leave it out"), what)
            ok = False
        return Selector(kinds=kinds, ownerships=ownerships) if ok else None

    def seq(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return node.value
        if node.tag == "tag:yaml.org,2002:null":
            return []
        self.problem(node, N_("{what} must be a list, not {type}"), what, type=_node_type(node))
        return []

    # -- the file's sections -----------------------------------------------------------------
    def register(self, node: yaml.Node) -> tuple[RegisterInfo | None, frozenset[str]]:
        fields = self.mapping(node, "register", ("name", "timezone", "notes"))
        before = len(self.problems)
        name = self.text(fields["name"][1], "register: name") if "name" in fields else None
        timezone = None
        if "timezone" in fields:
            tz_node = fields["timezone"][1]
            timezone = self.text(tz_node, "register: timezone")
            if timezone is not None:
                try:
                    ZoneInfo(timezone)
                except (ValueError, KeyError, OSError):
                    self.problem(tz_node, N_("register: timezone: unknown time zone {zone} "
                                             "(use a name such as Asia/Ho_Chi_Minh)"), zone=repr(timezone))
        notes = self.texts(fields["notes"][1], "register: notes") if "notes" in fields else ()
        if len(self.problems) > before:
            return None, frozenset()
        info = RegisterInfo(name=name, timezone=timezone or "Asia/Ho_Chi_Minh", notes=notes or ())
        return info, frozenset(fields)

    def requirement(self, node: yaml.Node, index: int) -> Requirement | None:
        label = f"requirements[{index}]"
        fields = self.mapping(node, f"requirement {_given_id(node) or label}", (
            "id", "title", "issuer", "issued", "in_force", "deadline", "deadlines",
            "applies_to", "source", "refs", "default"))
        if not isinstance(node, yaml.MappingNode) or node.tag != _MAP:
            return None
        before = len(self.problems)
        rid = None
        if "id" in fields:
            rid = self.text(fields["id"][1], f"requirement {label}: id")
        else:
            self.problem(node, N_("{what}: missing required field {key}"), f"requirement {label}", key="'id'")
        what = f"requirement {rid!r}" if rid else f"requirement {label}"
        get: dict[str, Any] = {}
        for key in ("title", "issuer", "source"):
            if key in fields:
                get[key] = self.text(fields[key][1], f"{what}: {key}")
        for key in ("issued", "in_force"):
            if key in fields:
                get[key] = self.date(fields[key][1], f"{what}: {key}")
        if "issued" not in fields:
            self.problem(node, N_("{what}: missing required field {key}"), what, key="'issued'")
        if "refs" in fields:
            get["refs"] = self.texts(fields["refs"][1], f"{what}: refs") or ()
        if "default" in fields:
            get["default"] = self.flag(fields["default"][1], f"{what}: default")
        applies_to = Selector()
        if "applies_to" in fields:
            applies_to = self.selector(fields["applies_to"][1], f"{what}: applies_to") or Selector()
        cohorts: list[Cohort] = []
        issued = get.get("issued")
        if ("deadline" in fields) == ("deadlines" in fields):
            self.problem(node, N_("{what}: give either 'deadline' (one date) or 'deadlines' (one per cohort)"), what)
        elif "deadline" in fields:
            d = self.date(fields["deadline"][1], f"{what}: deadline")
            if d is not None:
                cohorts.append(Cohort(Selector(), d))
                self.check_after(fields["deadline"][1], what, d, issued)
        else:
            items = self.seq(fields["deadlines"][1], f"{what}: deadlines")
            if not items and isinstance(fields["deadlines"][1], yaml.SequenceNode):
                self.problem(fields["deadlines"][1], N_("{what}: deadlines is empty"), what)
            for i, item in enumerate(items):
                cohort_what = f"{what}: deadlines[{i}]"
                cf = self.mapping(item, cohort_what, ("applies_to", "deadline"))
                if not isinstance(item, yaml.MappingNode) or item.tag != _MAP:
                    continue
                sel = Selector()
                if "applies_to" in cf:
                    sel = self.selector(cf["applies_to"][1], f"{cohort_what}: applies_to") or Selector()
                if "deadline" not in cf:
                    self.problem(item, N_("{what}: missing required field {key}"), cohort_what, key="'deadline'")
                    continue
                d = self.date(cf["deadline"][1], f"{cohort_what}: deadline")
                if d is not None:
                    cohorts.append(Cohort(sel, d))
                    self.check_after(cf["deadline"][1], cohort_what, d, issued)
        if len(self.problems) > before or rid is None or issued is None:
            return None
        return Requirement(
            id=rid, issued=issued, cohorts=tuple(cohorts), applies_to=applies_to,
            title=get.get("title"), issuer=get.get("issuer"), in_force=get.get("in_force"),
            source=get.get("source"), refs=tuple(get.get("refs", ())), default=bool(get.get("default")),
        )

    def check_after(self, node: yaml.Node, what: str, deadline: date, issued: date | None) -> None:
        if issued is not None and deadline < issued:
            self.problem(node, N_("{what}: deadline {deadline} is before the issue date {issued}"), what,
                         deadline=fmt_date(deadline), issued=fmt_date(issued))

    def facility(self, node: yaml.Node, index: int) -> FacilityEntry | None:
        label = self.label("facilities", index)
        fields = self.mapping(node, f"facility {_given_id(node) or label}", (
            "id", "name", "aliases", "ownership", "kind", "managed_by", "location",
            "verified", "milestones"))
        if not isinstance(node, yaml.MappingNode) or node.tag != _MAP:
            return None
        before = len(self.problems)
        fid = None
        if "id" in fields:
            id_node = fields["id"][1]
            fid = self.text(id_node, f"facility {label}: id")
            if fid is not None and not _ID.match(fid):
                self.problem(id_node, N_("{what}: id {id} must be a short slug of letters, "
                                         "digits and - . _ / (e.g. do-luong-general)"), f"facility {label}", id=repr(fid))
                fid = None
        if fid is not None:
            self.facility_ids.append((fid, self.name, node.start_mark.line + 1))
        what = f"facility {fid!r}" if fid else f"facility {label}"
        values: dict[str, Any] = {}
        for key, required in (("name", True), ("ownership", True), ("kind", True)):
            if key not in fields:
                if required:
                    self.problem(node, N_("{what}: missing required field {key}"), what, key=repr(key))
                continue
        if "id" not in fields:
            self.problem(node, N_("{what}: missing required field {key}"), what, key="'id'")
        if "name" in fields:
            values["name"] = self.text(fields["name"][1], f"{what}: name")
        if "ownership" in fields:
            values["ownership"] = self.choice(fields["ownership"][1], f"{what}: ownership", OWNERSHIPS)
        if "kind" in fields:
            values["kind"] = self.choice(fields["kind"][1], f"{what}: kind", KINDS)
        for key in ("managed_by", "location"):
            if key in fields:
                values[key] = self.text(fields[key][1], f"{what}: {key}")
        if "aliases" in fields:
            values["aliases"] = self.texts(fields["aliases"][1], f"{what}: aliases") or ()
        if "verified" in fields:
            values["verified"] = self.date(fields["verified"][1], f"{what}: verified")
            if values["verified"] is not None and values["verified"] > self.today:
                self.problem(fields["verified"][1], N_("{what}: verified {date} is in the future (today is {today})"),
                             what, date=fmt_date(values["verified"]), today=fmt_date(self.today))
        milestones: dict[str, date] = {}
        if "milestones" in fields:
            mf = self.mapping(fields["milestones"][1], f"{what}: milestones", MILESTONES)
            for m, (_, value_node) in mf.items():
                d = self.date(value_node, f"{what}: milestone {m!r}")
                if d is None:
                    continue
                if d > self.today:
                    self.problem(value_node, N_("{what}: milestone {milestone} is dated {date}, in the future "
                                                "(today is {today})"), what, milestone=repr(m), date=fmt_date(d),
                                 today=fmt_date(self.today))
                    continue
                milestones[m] = d
        if len(self.problems) > before or fid is None:
            return None
        facility = Facility(
            id=fid, name=values["name"], ownership=values["ownership"], kind=values["kind"],
            aliases=tuple(values.get("aliases", ())), managed_by=values.get("managed_by"),
            location=values.get("location"), verified=values.get("verified"),
        )
        return FacilityEntry(facility, milestones, self.name, node.start_mark.line + 1)

    def document(self, root: yaml.Node | None, out: LoadedFiles) -> None:
        if root is None:
            self.problem(None, N_("the file is empty: expected 'register', 'requirements' and/or 'facilities'"))
            return
        fields = self.mapping(root, "the file", ("register", "requirements", "facilities"))
        if isinstance(root, yaml.MappingNode) and not fields and not self.problems:
            self.problem(root, N_("the file holds none of 'register', 'requirements', 'facilities'"))
        if "register" in fields:
            info, given = self.register(fields["register"][1])
            if info is not None:
                out.register, out.register_fields = info, given
        if "requirements" in fields:
            for i, item in enumerate(self.seq(fields["requirements"][1], "requirements")):
                req = self.requirement(item, i)
                if req is not None:
                    out.requirements.append(RequirementEntry(req, self.name, item.start_mark.line + 1))
        if "facilities" in fields:
            for i, item in enumerate(self.seq(fields["facilities"][1], "facilities")):
                entry = self.facility(item, i)
                if entry is not None:
                    out.facilities.append(entry)
            out.facility_ids.extend(self.facility_ids)


def _decode(name: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise InputError([Problem(name, line, _("the file is not UTF-8 text (byte {position}: {byte}); "
                                                "save it as UTF-8").format(position=e.start,
                                                                           byte=f"0x{raw[e.start]:02x}"))]) from None


def _check_size(name: str, text: str) -> None:
    """Refuse, before composing, a file with more items than any register has (junk, or a bomb)."""
    items = sum(text.count(c) for c in ("\n", ",", "- ", "[", "{"))
    if items > MAX_ITEMS:
        raise InputError([Problem(name, 1, _("the file holds about {items} lines and items; the limit is "
                                             "{limit}: is it a register? Split a large one into files")
                                   .format(items=f"{items:,}", limit=f"{MAX_ITEMS:,}"))])


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
    return Problem(name, line, _("not valid YAML: the invisible control character {code}{where} "
                                 "is not allowed; delete it").format(code=f"U+{ord(char):04X}", where=where))


class _Composer(_Parser):  # type: ignore[misc, valid-type]
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
        return super().resolve(kind, value, implicit)


def _compose(name: str, text: str) -> yaml.Node | None:
    parser = _Composer(text)
    try:
        return parser.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = " ".join(p for p in (e.context, e.problem) if p)
        if e.context_mark is not None and e.problem_mark is not None and e.context_mark.line != mark.line:
            what += _(" (the construct began on line {line})").format(line=e.context_mark.line + 1)
        lines = text.split("\n")
        if "tab" in (e.problem or "") or (mark is not None and "\t" in lines[min(mark.line, len(lines) - 1)]):
            what += _("; indent with spaces, not tabs")
        raise InputError([Problem(name, line, _("not valid YAML: {problem}").format(problem=what))]) from None
    except yaml.reader.ReaderError as e:
        raise InputError([_reader_problem(name, text, e)]) from None
    except yaml.YAMLError as e:
        raise InputError([Problem(name, 1, _("not valid YAML: {problem}").format(problem=e))]) from None
    finally:
        parser.dispose()


def too_large(size: int) -> str:
    """The problem with a file over MAX_FILE_BYTES."""
    return _("the file is {size} MiB; the limit is {limit} MiB").format(size=size // 2**20,
                                                                      limit=MAX_FILE_BYTES // 2**20)


def read_files(paths: list[Path], today: date, on_file: Callable[[Path], None] | None = None) -> LoadedFiles:
    """Read and validate files; raise InputError listing every problem, in every file.

    `on_file` is told when each file is begun (for a progress bar)."""
    out = LoadedFiles()
    problems: list[Problem] = []
    for path in paths:
        if on_file is not None:
            on_file(path)
        name = str(path)
        if path.suffix.lower() in (".csv", ".xlsx"):  # a facility list from a spreadsheet
            from emrtrack.tabular import read_table

            problems.extend(read_table(path, today, out))
            continue
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise InputError([Problem(name, 1, too_large(size))])
            text = _decode(name, path.read_bytes())
            _check_size(name, text)
            root = _compose(name, text)
        except InputError as e:
            problems.extend(e.problems)
            continue
        except OSError as e:
            problems.append(Problem(name, 0, _("cannot read the file: {error}").format(error=e.strerror)))
            continue
        reader = _FileReader(name, today)
        reader.document(root, out)
        problems.extend(reader.problems)
    problems.extend(_cross_check(out))
    if problems:
        files = {str(p): i for i, p in enumerate(paths)}
        raise InputError(sorted(problems, key=lambda p: (files.get(p.file, len(files)), p.line)))
    return out


def _cross_check(out: LoadedFiles) -> list[Problem]:
    problems = []
    seen: dict[str, tuple[str, int]] = {}
    for fid, file, line in out.facility_ids:
        first = seen.get(fid)
        if first is not None:
            problems.append(Problem(file, line, _("facility {id}: the id is used twice (first at {where})")
                                    .format(id=repr(fid), where=f"{first[0]}:{first[1]}")))
        else:
            seen[fid] = (file, line)
    req_seen: dict[str, RequirementEntry] = {}
    default: RequirementEntry | None = None
    for r in out.requirements:
        first_r = req_seen.get(r.requirement.id)
        if first_r is not None:
            problems.append(Problem(r.file, r.line, _("requirement {id}: the id is used twice (first at {where})")
                                    .format(id=repr(r.requirement.id), where=f"{first_r.file}:{first_r.line}")))
        req_seen[r.requirement.id] = r
        if r.requirement.default:
            if default is not None:
                problems.append(Problem(r.file, r.line, _("requirement {id}: only one requirement may be the default "
                                                          "({other} already is, at {where})")
                                        .format(id=repr(r.requirement.id), other=repr(default.requirement.id),
                                                where=f"{default.file}:{default.line}")))
            else:
                default = r
    return problems
