"""A facility entry, from a YAML file or a spreadsheet row, read from its nodes: its facts and its
milestones as known (a date, or on or before a date, with the evidence)."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from emrtrack.i18n import N_, fmt_date
from emrtrack.model import KINDS, OWNERSHIPS, Facility, Reached
from emrtrack.reading.entries import ID, FacilityEntry
from emrtrack.reading.life import LIFE_KEYS, LifeReader
from emrtrack.reading.nodes import ID_RULE, MAP, given_id
from emrtrack.rules import FIRST_DATE

_REACHED_KEYS = ("on", "on_or_before", "source")  # a milestone given as a mapping
_Date = date  # the type, for the methods of the reader, whose `date` reads one


class FacilityReader(LifeReader):
    """The node reader, with facility entries."""

    def facility(self, node: yaml.Node, index: int) -> FacilityEntry | None:
        label = self.label("facilities", index)
        fields = self.mapping(
            node,
            f"facility {given_id(node) or label}",
            (
                "id",
                "name",
                "aliases",
                "ownership",
                "kind",
                "managed_by",
                "location",
                "verified",
                "milestones",
                "distinct_from",
                *LIFE_KEYS,
            ),
        )
        if not isinstance(node, yaml.MappingNode) or node.tag != MAP:
            return None
        before = len(self.problems)
        fid = None
        if "id" in fields:
            id_node = fields["id"][1]
            fid = self.text(id_node, f"facility {label}: id")
            if fid is not None and not ID.match(fid):
                self.problem(id_node, ID_RULE, f"facility {label}", id=repr(fid))
                fid = None
        if fid is not None:
            self.facility_ids.append((fid, self.name, self.line(node)))
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
        if "distinct_from" in fields:
            values["distinct_from"] = self.texts(fields["distinct_from"][1], f"{what}: distinct_from") or ()
        if "verified" in fields:
            values["verified"] = self.date(fields["verified"][1], f"{what}: verified")
            if values["verified"] is not None and values["verified"] > self.today:
                self.problem(
                    fields["verified"][1],
                    N_("{what}: verified {date} is in the future (today is {today})"),
                    what,
                    date=fmt_date(values["verified"]),
                    today=fmt_date(self.today),
                )
        life = self.life(fields, what, fid)
        milestones: dict[str, Reached] = {}
        if "milestones" in fields:
            mf = self.mapping(fields["milestones"][1], f"{what}: milestones", self.milestones)
            for m, (_key, value_node) in mf.items():
                reached = self.reached(value_node, what, m)
                if reached is not None:
                    milestones[m] = reached
        if len(self.problems) > before or fid is None:
            return None
        facility = Facility(
            id=fid,
            name=values["name"],
            ownership=values["ownership"],
            kind=values["kind"],
            aliases=tuple(values.get("aliases", ())),
            managed_by=values.get("managed_by"),
            location=values.get("location"),
            verified=values.get("verified"),
            **life,
        )
        distinct = tuple(values.get("distinct_from", ()))
        return FacilityEntry(facility, milestones, self.name, self.line(node), distinct)

    # -- a facility's milestone as known -------------------------------------------------------
    def date_what(self, what: str, key: str) -> str:
        """How a milestone's `on` or `on_or_before` is named in a message (`what` names the milestone)."""
        return f"{what}: {key}"

    def reached(self, node: yaml.Node, what: str, milestone: str) -> Reached | None:
        """Milestone `milestone` of facility `what` as known: a date (reached that day), or a mapping of
        `on` (that day) or `on_or_before` (by that day), with an optional `source`."""
        named = f"{what}: milestone {milestone!r}"
        if not isinstance(node, yaml.MappingNode):
            d = self.date(node, named)
            return Reached(d) if d is not None and not self.out_of_range(node, what, milestone, d) else None
        before = len(self.problems)
        fields = self.mapping(node, named, _REACHED_KEYS)
        if node.tag != MAP:
            return None
        misnamed = len(self.problems) > before  # an unknown field is likely the date misnamed: said already
        terms = {"exact": repr(milestone), "bound": repr(f"{milestone}_on_or_before")}
        source = self.text(fields["source"][1], f"{named}: source") if "source" in fields else None
        if "on" in fields and "on_or_before" in fields:
            self.problem(fields["on_or_before"][0], self.BOTH_DATES, named, **terms)
            return None
        if "on" not in fields and "on_or_before" not in fields:
            if not misnamed:
                self.problem(node, self.NO_DATE, named, **terms)
            return None
        key = "on" if "on" in fields else "on_or_before"
        value = fields[key][1]
        d = self.date(value, self.date_what(named, key))
        if d is None or self.out_of_range(value, what, milestone, d) or len(self.problems) > before:
            return None
        return Reached(d, exact=key == "on", source=source)

    def out_of_range(self, node: yaml.Node, what: str, milestone: str, d: _Date) -> bool:
        """Whether `d` is after today, or before the first date the tool takes, noting it as a problem."""
        if d < FIRST_DATE:
            self.problem(
                node,
                N_("{what}: milestone {milestone} is dated {date}, before {first}: check the year"),
                what,
                milestone=repr(milestone),
                date=fmt_date(d),
                first=fmt_date(FIRST_DATE),
            )
            return True
        if d <= self.today:
            return False
        self.problem(
            node,
            N_("{what}: milestone {milestone} is dated {date}, in the future (today is {today})"),
            what,
            milestone=repr(milestone),
            date=fmt_date(d),
            today=fmt_date(self.today),
        )
        return True
