"""A facility's life as a file writes it: official codes, opening and closing, a merge, earlier names and
managing bodies, exceptions with their legal basis, and a withdrawal (the YAML forms of the README)."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from emrtrack.i18n import N_, fmt_date
from emrtrack.model import COMMITMENT, EXCEPTION_KINDS, EXEMPTION, EXTENSION, Basis, Exception_, FormerValue, Withdrawal
from emrtrack.reading.entries import ID
from emrtrack.reading.nodes import ID_RULE, MAP, NodeReader

LIFE_KEYS = ("codes", "opened", "closed", "merged_into", "former_names", "former_managed_by", "exceptions", "withdrawn")
_DATE_KEY = {EXTENSION: "deadline", EXEMPTION: "from", COMMITMENT: "date"}
_EXCEPTION_KEYS = ("kind", "requirement", "milestone", "deadline", "from", "until", "date", "granted", "basis", "note")


class LifeReader(NodeReader):
    """The node reader, with a facility's later facts."""

    def life(self, fields: dict[str, tuple[yaml.Node, yaml.Node]], what: str, fid: str | None) -> dict[str, Any]:
        """The later facts among a facility's `fields`, as keyword arguments of Facility."""
        values: dict[str, Any] = {}
        if "codes" in fields:
            values["codes"] = self.codes(fields["codes"][1], f"{what}: codes")
        for key in ("opened", "closed"):
            if key in fields:
                values[key] = self.date(fields[key][1], f"{what}: {key}")
        if "merged_into" in fields:
            merged = self.merged(fields["merged_into"][1], f"{what}: merged_into", fid)
            if merged is not None:
                values["merged_into"], values["merged_on"] = merged
        for key in ("former_names", "former_managed_by"):
            if key in fields:
                values[key] = self.former(fields[key][1], f"{what}: {key}")
        if "exceptions" in fields:
            node = fields["exceptions"][1]
            values["exceptions"] = tuple(
                e
                for i, item in enumerate(self.seq(node, f"{what}: exceptions"), start=1)
                if (e := self.exception(item, f"{what}: exceptions[{i}]")) is not None
            )
        if "withdrawn" in fields:
            values["withdrawn"] = self.withdrawal(fields["withdrawn"][1], f"{what}: withdrawn")
        opened, closed = values.get("opened"), values.get("closed")
        if opened and closed and closed <= opened:
            self.problem(
                fields["closed"][1],
                N_("{what}: closed {closed} is not after opened {opened}"),
                what,
                closed=fmt_date(closed),
                opened=fmt_date(opened),
            )
        return {k: v for k, v in values.items() if v is not None}

    def codes(self, node: yaml.Node, what: str) -> tuple[tuple[str, str], ...] | None:
        """A mapping of code scheme → code (the load checks each scheme is declared and each code matches
        its pattern and is nobody else's)."""
        if not isinstance(node, yaml.MappingNode) or node.tag != MAP:
            self.mapping(node, what, ())
            return None
        out = []
        for key_node, value_node in node.value:
            scheme = self.text(key_node, f"{what}: scheme")
            code = self.text(value_node, f"{what}: {scheme}")
            if scheme is not None and code is not None:
                out.append((scheme, code))
        return tuple(sorted(out)) if len(out) == len(node.value) else None

    def merged(self, node: yaml.Node, what: str, fid: str | None) -> tuple[str, date] | None:
        fields = self.mapping(node, what, ("id", "on"))
        if not fields:
            return None
        for key in ("id", "on"):
            if key not in fields:
                self.problem(node, N_("{what}: missing required field {key}"), what, key=repr(key))
        if len(fields) < 2:
            return None
        into = self.text(fields["id"][1], f"{what}: id")
        on = self.date(fields["on"][1], f"{what}: on")
        if into is not None and not ID.match(into):
            self.problem(fields["id"][1], ID_RULE, what, id=repr(into))
            return None
        if into is not None and fid is not None and into.casefold() == fid.casefold():
            self.problem(fields["id"][1], N_("{what}: a facility cannot merge into itself"), what)
            return None
        return (into, on) if into is not None and on is not None else None

    def former(self, node: yaml.Node, what: str) -> tuple[FormerValue, ...] | None:
        out = []
        for i, item in enumerate(self.seq(node, what), start=1):
            named = f"{what}[{i}]"
            fields = self.mapping(item, named, ("name", "until"))
            missing = [k for k in ("name", "until") if k not in fields]
            for key in missing:
                self.problem(item, N_("{what}: missing required field {key}"), named, key=repr(key))
            if missing or not fields:
                continue
            name = self.text(fields["name"][1], f"{named}: name")
            until = self.date(fields["until"][1], f"{named}: until")
            if name is not None and until is not None:
                out.append(FormerValue(name, until))
        return tuple(sorted(out, key=lambda f: f.until))

    def basis(self, node: yaml.Node, what: str) -> Basis | None:
        fields = self.mapping(node, what, ("ref", "date", "issuer"))
        if "ref" not in fields:
            if isinstance(node, yaml.MappingNode):
                self.problem(node, N_("{what}: missing required field {key}"), what, key="'ref'")
            return None
        ref = self.text(fields["ref"][1], f"{what}: ref")
        day = self.date(fields["date"][1], f"{what}: date") if "date" in fields else None
        issuer = self.text(fields["issuer"][1], f"{what}: issuer") if "issuer" in fields else None
        return Basis(ref, day, issuer) if ref is not None else None

    def exception(self, node: yaml.Node, what: str) -> Exception_ | None:
        before = len(self.problems)
        fields = self.mapping(node, what, _EXCEPTION_KEYS)
        if not isinstance(node, yaml.MappingNode) or node.tag != MAP:
            return None
        kind = self.choice(fields["kind"][1], f"{what}: kind", EXCEPTION_KINDS) if "kind" in fields else None
        if "kind" not in fields:
            self.problem(node, N_("{what}: missing required field {key}"), what, key="'kind'")
        needed = ["requirement"] + ([_DATE_KEY[kind]] if kind else [])
        for key in needed:
            if key not in fields:
                self.problem(node, N_("{what}: missing required field {key}"), what, key=repr(key))
        for key in ("deadline", "from", "until", "date"):
            if kind and key in fields and key != _DATE_KEY[kind] and not (kind == EXEMPTION and key == "until"):
                self.problem(
                    fields[key][0], N_("{what}: {key} is not a field of an {kind}"), what, key=repr(key), kind=kind
                )
        requirement = self.text(fields["requirement"][1], f"{what}: requirement") if "requirement" in fields else None
        milestone = None
        if "milestone" in fields:
            milestone = self.choice(fields["milestone"][1], f"{what}: milestone", self.milestones)
        dates = {
            k: self.date(fields[k][1], f"{what}: {k}") for k in ("deadline", "from", "until", "date") if k in fields
        }
        basis = self.basis(fields["basis"][1], f"{what}: basis") if "basis" in fields else None
        note = self.text(fields["note"][1], f"{what}: note") if "note" in fields else None
        granted = self.date(fields["granted"][1], f"{what}: granted") if "granted" in fields else None
        if granted is None and "granted" not in fields:
            granted = basis.date if basis is not None else None
            if granted is None and kind is not None:
                self.problem(
                    node,
                    N_("{what}: say when it took effect: give granted, or a basis with its date"),
                    what,
                )
        start, until = dates.get("from"), dates.get("until")
        if start is not None and until is not None and until < start:
            self.problem(
                fields["until"][1],
                N_("{what}: until {until} is before from {start}"),
                what,
                until=fmt_date(until),
                start=fmt_date(start),
            )
        if granted is not None and granted > self.today:
            self.problem(
                fields["granted"][1] if "granted" in fields else node,
                N_("{what}: granted {date} is in the future (today is {today})"),
                what,
                date=fmt_date(granted),
                today=fmt_date(self.today),
            )
        if len(self.problems) > before or kind is None or requirement is None or granted is None:
            return None
        return Exception_(
            kind=kind,
            requirement=requirement,
            granted=granted,
            on=dates.get("deadline") or dates.get("date"),
            start=start,
            until=until,
            milestone=milestone,
            basis=basis,
            note=note,
        )

    def withdrawal(self, node: yaml.Node, what: str) -> Withdrawal | None:
        fields = self.mapping(node, what, ("on", "basis"))
        if "on" not in fields:
            if isinstance(node, yaml.MappingNode):
                self.problem(node, N_("{what}: missing required field {key}"), what, key="'on'")
            return None
        on = self.date(fields["on"][1], f"{what}: on")
        basis = self.basis(fields["basis"][1], f"{what}: basis") if "basis" in fields else None
        return Withdrawal(on, basis) if on is not None else None
