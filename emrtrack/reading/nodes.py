"""The node reader: turns composed YAML nodes into model values, noting every problem with its position.
A YAML file gives the nodes; a spreadsheet row is turned into the same nodes, so both formats are checked
by the same rules in the same words (a facility entry: reading.facilities). Also here: the YAML tags a
value may carry, and the wording of "where" and "did you mean" in messages.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from typing import Any

import yaml

from emrtrack.errors import Problem
from emrtrack.i18n import N_, _, fmt_int
from emrtrack.model import KINDS, MILESTONES, OWNERSHIPS, Selector
from emrtrack.reading.entries import DATE, ID

_Date = date  # the type, for the methods of NodeReader, whose `date` reads one

STR = "tag:yaml.org,2002:str"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
BOOL = "tag:yaml.org,2002:bool"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
_TYPE_NAMES = {
    "tag:yaml.org,2002:int": N_("a number"),
    "tag:yaml.org,2002:float": N_("a number"),
    BOOL: N_("true/false"),
    "tag:yaml.org,2002:null": N_("empty"),
    TIMESTAMP: N_("a date"),
    STR: N_("text"),
}


def _node_type(node: yaml.Node) -> str:
    if node.tag not in _TYPE_NAMES and node.tag not in (MAP, SEQ):
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        return _("a value tagged {tag} (tags are not allowed)").format(tag=tag)
    if isinstance(node, yaml.MappingNode):
        return _("a mapping")
    if isinstance(node, yaml.SequenceNode):
        return _("a list")
    if node.tag in _TYPE_NAMES:
        return _(_TYPE_NAMES[node.tag])
    return _("a value tagged {tag}").format(tag=node.tag)


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return _(" (did you mean {word}?)").format(word=repr(close[0]))
    return _(" (expected one of: {choices})").format(choices=", ".join(choices))


ID_RULE = N_("{what}: id {id} must be a short slug of letters, digits and - . _ / (e.g. do-luong-general)")

_ROW_LABEL = re.compile(r"facility on row (\d+)\Z")
# In a text: the line breaks and tabs a spreadsheet cell may hold (Alt+Enter), read as one space; and the other
# invisible control characters, which are refused (an escape sequence would reach the terminal).
_BREAKS = re.compile(r"[\t\n\r\v\f\x85\u2028\u2029]")
MAX_TEXT = 32_767  # characters in a text: what a spreadsheet cell holds, so that every text survives an export
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
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
                head = _(template).format(id=head[len(prefix) :])
                break
    parts = [head]
    for part in rest.split(": ") if sep else ():
        if part.startswith("milestone "):
            part = _("milestone {name}").format(name=part[len("milestone ") :])
        elif part.endswith(" item"):
            part = _("{field} item").format(field=part[: -len(" item")])
        parts.append(part)
    if len(parts) == 1 and head.endswith(" item"):
        parts[0] = _("{field} item").format(field=head[: -len(" item")])
    return ": ".join(parts)


def given_id(node: yaml.Node) -> str | None:
    """The id an entry gives itself, quoted for messages, when it gives a plain one."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "id" and isinstance(value, yaml.ScalarNode) and ID.match(value.value):
                return repr(value.value)
    return None


class NodeReader:
    """Walks the nodes of one file and turns them into model objects, noting every problem.

    The YAML reader adds the file's other sections; the spreadsheet reader gives positions as ROW:COLUMN.
    `milestones` is the milestone vocabulary in force: the names a facility's milestones may have."""

    # A milestone known as a mapping gives one of `on` and `on_or_before`: what to say when it gives both or
    # neither (a spreadsheet, whose columns are `m` and `m_on_or_before`, says it in its own terms)
    BOTH_DATES = N_(
        "{what}: give either 'on' (the date it was reached) or 'on_or_before' (a date it was reached by), not both"
    )
    NO_DATE = N_("{what}: give 'on' (the date it was reached) or 'on_or_before' (a date it was reached by)")

    def __init__(self, name: str, today: date, milestones: tuple[str, ...] = MILESTONES):
        self.name = name
        self.today = today
        self.milestones = milestones
        self.problems: list[Problem] = []
        self.facility_ids: list[tuple[str, str, int]] = []
        # lines before the text the nodes were composed from (a part of a long file, composed on its own)
        self.line_offset = 0

    # -- primitives --------------------------------------------------------------------------
    def problem(self, node: yaml.Node | None, message: str, what: str | None = None, **args: Any) -> None:
        """Note a problem: `message` is an English template, translated and filled in only here, with
        `what` (where the problem is) and `args`, so that reading a file without problems costs nothing."""
        if what is not None:
            args["what"] = _what(what)
        self.add(node, _(message).format(**args) if args else _(message))

    def line(self, node: yaml.Node) -> int:
        """The line of the file where `node` starts."""
        return node.start_mark.line + 1 + self.line_offset

    def add(self, node: yaml.Node | None, message: str) -> None:
        self.problems.append(Problem(self.name, self.line(node) if node is not None else 1, message))

    def label(self, section: str, index: int) -> str:
        """How an entry without a usable id is named in a message (tabular input names its row)."""
        return f"{section}[{index}]"

    def mapping(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The entries of a mapping node by key; unknown and repeated keys are problems."""
        if not isinstance(node, yaml.MappingNode) or node.tag != MAP:
            self.problem(node, N_("{what} must be a mapping of fields, not {type}"), what, type=_node_type(node))
            return {}
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or (
                key_node.tag != STR and not (key_node.tag == BOOL and key_node.value in allowed)
            ):  # YAML 1.1 reads a plain `on` as true: as a field name, it is the name
                self.problem(
                    key_node, N_("{what}: a field name must be text, not {type}"), what, type=_node_type(key_node)
                )
                continue
            key = key_node.value
            if key in out:
                first = self.line(out[key][0])
                self.problem(
                    key_node,
                    N_("{what}: field {key} is given twice (first on line {line})"),
                    what,
                    key=repr(key),
                    line=first,
                )
            elif key not in allowed:
                self.problem(
                    key_node,
                    N_("{what}: unknown field {key}{hint}"),
                    what,
                    key=repr(key),
                    hint=did_you_mean(key, allowed),
                )
            else:
                out[key] = (key_node, value_node)
        return out

    def text(self, node: yaml.Node, what: str) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == STR:
            value: str = node.value.strip()
            if not value:
                self.problem(node, N_("{what} is empty"), what)
                return None
            if len(value) > MAX_TEXT:
                self.problem(
                    node,
                    N_("{what} is {n} characters long; the limit is {limit} (what a spreadsheet cell holds)"),
                    what,
                    n=fmt_int(len(value)),
                    limit=fmt_int(MAX_TEXT),
                )
                return None
            control = _CONTROL.search(value)
            if control:
                self.problem(
                    node,
                    N_("{what}: the invisible control character {code} is not allowed; delete it"),
                    what,
                    code=f"U+{ord(control.group()):04X}",
                )
                return None
            if _BREAKS.search(value):  # a line broken inside a cell or a quoted text: one line
                value = " ".join(value.split())
            return value
        self.problem(
            node,
            N_("{what} must be text, not {type} (put it in quotes)")
            if isinstance(node, yaml.ScalarNode)
            else N_("{what} must be text, not {type}"),
            what,
            type=_node_type(node),
        )
        return None

    def texts(self, node: yaml.Node, what: str) -> tuple[str, ...] | None:
        """A list of texts; a single text is taken as a list of one."""
        if isinstance(node, yaml.ScalarNode) and node.tag == STR:
            value = self.text(node, what)
            return (value,) if value else None
        if not isinstance(node, yaml.SequenceNode) or node.tag != SEQ:
            self.problem(node, N_("{what} must be a list of text, not {type}"), what, type=_node_type(node))
            return None
        items = [self.text(item, f"{what} item") for item in node.value]
        if any(i is None for i in items):
            return None
        return tuple(i for i in items if i is not None)

    def date(self, node: yaml.Node, what: str) -> date | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (STR, TIMESTAMP):
            self.problem(node, N_("{what} must be a date written YYYY-MM-DD, not {type}"), what, type=_node_type(node))
            return None
        value = node.value.strip()
        if not DATE.match(value):
            self.problem(node, N_("{what}: {value} is not a date written YYYY-MM-DD"), what, value=repr(value))
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problem(node, N_("{what}: {value} is not a real date"), what, value=value)
            return None

    def flag(self, node: yaml.Node, what: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == BOOL:
            return node.value.lower() in ("true", "yes", "on")
        self.problem(node, N_("{what} must be true or false, not {type}"), what, type=_node_type(node))
        return None

    def choices(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
        values = self.texts(node, what)
        if values is None:
            return None
        bad = [v for v in values if v not in allowed]
        for v in bad:
            self.unknown_value(node, what, v, allowed)
        return None if bad else values

    def choice(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(node, what)
        if value is not None and value not in allowed:
            self.unknown_value(node, what, value, allowed)
            return None
        return value

    def unknown_value(self, node: yaml.Node, what: str, value: str, allowed: tuple[str, ...]) -> None:
        hint = did_you_mean(value, allowed)
        self.problem(node, N_("{what}: unknown value {value}{hint}"), what, value=repr(value), hint=hint)

    def selector(self, node: yaml.Node, what: str) -> Selector | None:
        fields = self.mapping(node, what, ("kind", "ownership", "facilities"))
        kinds: tuple[str, ...] = ()
        ownerships: tuple[str, ...] = ()
        facilities: tuple[str, ...] = ()
        ok = True
        if "kind" in fields:
            got = self.choices(fields["kind"][1], f"{what}: kind", KINDS)
            ok = ok and got is not None
            kinds = got or ()
        if "ownership" in fields:
            got = self.choices(fields["ownership"][1], f"{what}: ownership", OWNERSHIPS)
            ok = ok and got is not None
            ownerships = got or ()
        if "facilities" in fields:
            got = self.ids(fields["facilities"][1], f"{what}: facilities")
            ok = ok and got is not None
            facilities = got or ()
        if isinstance(node, yaml.MappingNode) and not node.value:
            self.problem(
                node, N_("{what} is empty: name a kind, an ownership and/or facilities, or leave it out"), what
            )
            ok = False
        return Selector(kinds=kinds, ownerships=ownerships, facilities=facilities) if ok else None

    def ids(self, node: yaml.Node, what: str) -> tuple[str, ...] | None:
        """A non-empty list of facility ids (a single one is taken as a list of one)."""
        values = self.texts(node, what)
        if values is None:
            return None
        if not values:
            self.problem(node, N_("{what} is empty"), what)
            return None
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        bad = [(item, v) for item, v in zip(items, values, strict=True) if not ID.match(v)]
        for item, v in bad:
            self.problem(item, ID_RULE, what, id=repr(v))
        return None if bad else values

    def seq(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if isinstance(node, yaml.SequenceNode) and node.tag == SEQ:
            items: list[yaml.Node] = node.value
            return items
        if node.tag == "tag:yaml.org,2002:null":
            return []
        self.problem(node, N_("{what} must be a list, not {type}"), what, type=_node_type(node))
        return []
