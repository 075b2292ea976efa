"""The register and requirements sections of a YAML register file, read from their nodes: the register's
facts and milestone vocabulary, each requirement with its deadlines or obligations."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from emrtrack.i18n import N_, fmt_date
from emrtrack.model import DEPLOYED, CodeScheme, Cohort, MilestoneDef, Obligation, RegisterInfo, Requirement, Selector
from emrtrack.reading.entries import MILESTONE_ID
from emrtrack.reading.nodes import MAP, NodeReader, given_id
from emrtrack.reading.tables import column_clash


class SectionReader(NodeReader):
    """The node reader, with the `register` and `requirements` sections of a YAML file."""

    def register(self, node: yaml.Node) -> tuple[RegisterInfo | None, frozenset[str]]:
        """The register's facts; its `milestones`, when given, become the vocabulary in force (their usable
        ids even when some are wrong, so that what uses them is not refused as well)."""
        fields = self.mapping(node, "register", ("name", "timezone", "notes", "milestones", "code_schemes"))
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
                    self.problem(
                        tz_node,
                        N_("register: timezone: unknown time zone {zone} (use a name such as Asia/Ho_Chi_Minh)"),
                        zone=repr(timezone),
                    )
        notes = self.texts(fields["notes"][1], "register: notes") if "notes" in fields else ()
        milestones = self.vocabulary(fields["milestones"][1]) if "milestones" in fields else None
        schemes = self.code_schemes(fields["code_schemes"][1]) if "code_schemes" in fields else ()
        if len(self.problems) > before:
            return None, frozenset()
        info = RegisterInfo(name=name, timezone=timezone or "Asia/Ho_Chi_Minh", notes=notes or (), code_schemes=schemes)
        if milestones is not None:
            info = replace(info, milestones=milestones)
        return info, frozenset(fields)

    def code_schemes(self, node: yaml.Node) -> tuple[CodeScheme, ...]:
        """`code_schemes`: a mapping of scheme id → {label, pattern}; the pattern a regular expression."""
        out: list[CodeScheme] = []
        if not isinstance(node, yaml.MappingNode) or node.tag != MAP:
            self.mapping(node, "register: code_schemes", ())
            return ()
        for key_node, value_node in node.value:
            scheme = self.text(key_node, "register: code_schemes: scheme")
            if scheme is None:
                continue
            what = f"register: code_schemes: {scheme}"
            if any(c.id == scheme for c in out):
                self.problem(key_node, N_("{what}: the scheme is declared twice"), what)
                continue
            if not MILESTONE_ID.match(scheme):
                self.problem(key_node, N_("{what}: a scheme id is letters, digits, '.', '_' and '-'"), what)
                continue
            fields = self.mapping(value_node, what, ("label", "pattern"))
            label = self.text(fields["label"][1], f"{what}: label") if "label" in fields else scheme
            pattern = self.text(fields["pattern"][1], f"{what}: pattern") if "pattern" in fields else ".+"
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as e:
                    self.problem(
                        fields["pattern"][1],
                        N_("{what}: not a regular expression: {error}"),
                        f"{what}: pattern",
                        error=e,
                    )
                    continue
            if label is not None and pattern is not None:
                out.append(CodeScheme(scheme, label, pattern))
        return tuple(out)

    def vocabulary(self, node: yaml.Node) -> tuple[MilestoneDef, ...] | None:
        """`register: milestones`: a non-empty list of {id, en, vi}. Sets the vocabulary in force."""
        items = self.seq(node, "register: milestones")
        if not items:
            if isinstance(node, yaml.SequenceNode) or node.tag == "tag:yaml.org,2002:null":
                self.problem(node, N_("{what} is empty"), "register: milestones")
            return None
        before = len(self.problems)
        defs: list[MilestoneDef] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            what = f"register: milestones[{i}]"
            fields = self.mapping(item, what, ("id", "en", "vi"))
            if not isinstance(item, yaml.MappingNode) or item.tag != MAP:
                continue
            got: dict[str, str | None] = {}
            for key in ("id", "en", "vi"):
                if key in fields:
                    got[key] = self.text(fields[key][1], f"{what}: {key}")
                else:
                    self.problem(item, N_("{what}: missing required field {key}"), what, key=repr(key))
            mid, en, vi = got.get("id"), got.get("en"), got.get("vi")
            if mid is None:
                continue
            id_node = fields["id"][1]
            if not MILESTONE_ID.match(mid):
                self.problem(
                    id_node,
                    N_("{what}: id {id} must be a short slug of letters, digits and - . _ (e.g. annex-signed)"),
                    what,
                    id=repr(mid),
                )
                continue
            if mid in seen:
                self.problem(
                    id_node,
                    N_("{what}: id {id} is given twice (first in milestones[{first}])"),
                    what,
                    id=repr(mid),
                    first=seen[mid],
                )
                continue
            clash = column_clash(mid, tuple(seen))
            if clash is not None:
                self.problem(
                    id_node,
                    N_("{what}: id {id}: its spreadsheet column {column} could not be told apart from column {other}"),
                    what,
                    id=repr(mid),
                    column=repr(clash[0]),
                    other=repr(clash[1]),
                )
            seen[mid] = i
            if en is not None and vi is not None:
                defs.append(MilestoneDef(mid, en, vi))
        if seen:  # else what was in force stays so
            self.milestones = tuple(seen)
        return tuple(defs) if len(self.problems) == before else None

    def requirement(self, node: yaml.Node, index: int) -> Requirement | None:
        label = f"requirements[{index}]"
        fields = self.mapping(
            node,
            f"requirement {given_id(node) or label}",
            (
                "id",
                "title",
                "issuer",
                "issued",
                "in_force",
                "deadline",
                "deadlines",
                "obligations",
                "applies_to",
                "binding",
                "replaces",
                "source",
                "refs",
                "default",
            ),
        )
        if not isinstance(node, yaml.MappingNode) or node.tag != MAP:
            return None
        before = len(self.problems)
        rid = None
        if "id" in fields:
            rid = self.text(fields["id"][1], f"requirement {label}: id")
        else:
            self.problem(node, N_("{what}: missing required field {key}"), f"requirement {label}", key="'id'")
        what = f"requirement {rid!r}" if rid else f"requirement {label}"
        get: dict[str, Any] = {}
        for key in ("title", "issuer", "source", "replaces"):
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
        if "binding" in fields:
            get["binding"] = self.flag(fields["binding"][1], f"{what}: binding")
        applies_to = Selector()
        if "applies_to" in fields:
            applies_to = self.selector(fields["applies_to"][1], f"{what}: applies_to") or Selector()
        cohorts: list[Cohort] = []
        obligations: list[Obligation] = []
        issued = get.get("issued")
        if sum(key in fields for key in ("deadline", "deadlines", "obligations")) != 1:
            self.problem(
                node,
                N_(
                    "{what}: give either 'deadline' (one date), 'deadlines' (one per cohort) "
                    "or 'obligations' (one per milestone)"
                ),
                what,
            )
        elif "obligations" in fields:
            obligations = self.obligations(fields["obligations"][1], what, issued)
        else:
            key = "deadline" if "deadline" in fields else "deadlines"
            if DEPLOYED not in self.milestones:
                self.problem(
                    fields[key][0],
                    N_(
                        "{what}: {key} is when {milestone} is due, and the register has no milestone {milestone} "
                        "(its milestones: {milestones}): give 'obligations'"
                    ),
                    what,
                    key=repr(key),
                    milestone=repr(DEPLOYED),
                    milestones=", ".join(self.milestones),
                )
            cohorts = self.cohorts(fields, what, issued)
        if len(self.problems) > before or rid is None or issued is None:
            return None
        return Requirement(
            id=rid,
            issued=issued,
            cohorts=tuple(cohorts),
            applies_to=applies_to,
            title=get.get("title"),
            issuer=get.get("issuer"),
            in_force=get.get("in_force"),
            source=get.get("source"),
            refs=tuple(get.get("refs", ())),
            default=bool(get.get("default")),
            obligations=tuple(obligations),
            binding=get.get("binding") is not False,
            replaces=get.get("replaces"),
        )

    def cohorts(self, fields: dict[str, tuple[yaml.Node, yaml.Node]], what: str, issued: date | None) -> list[Cohort]:
        """The deadline(s) that `fields` give, as `deadline` (one date) or `deadlines` (one per cohort)."""
        cohorts: list[Cohort] = []
        if "deadline" in fields:
            d = self.date(fields["deadline"][1], f"{what}: deadline")
            if d is not None:
                cohorts.append(Cohort(Selector(), d))
                self.check_after(fields["deadline"][1], what, d, issued)
            return cohorts
        items = self.seq(fields["deadlines"][1], f"{what}: deadlines")
        if not items and isinstance(fields["deadlines"][1], yaml.SequenceNode):
            self.problem(fields["deadlines"][1], N_("{what}: deadlines is empty"), what)
        for i, item in enumerate(items):
            cohort_what = f"{what}: deadlines[{i}]"
            cf = self.mapping(item, cohort_what, ("applies_to", "deadline"))
            if not isinstance(item, yaml.MappingNode) or item.tag != MAP:
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
        return cohorts

    def obligations(self, node: yaml.Node, what: str, issued: date | None) -> list[Obligation]:
        """A requirement's `obligations`: a non-empty list of {milestone, deadline | deadlines, applies_to,
        principal}, a milestone of the vocabulary at most once, at most one principal."""
        items = self.seq(node, f"{what}: obligations")
        if not items and (isinstance(node, yaml.SequenceNode) or node.tag == "tag:yaml.org,2002:null"):
            self.problem(node, N_("{what}: obligations is empty"), what)
        out: list[Obligation] = []
        milestones: dict[str, int] = {}
        principal: int | None = None
        for i, item in enumerate(items):
            ow = f"{what}: obligations[{i}]"
            of = self.mapping(item, ow, ("milestone", "deadline", "deadlines", "applies_to", "principal"))
            if not isinstance(item, yaml.MappingNode) or item.tag != MAP:
                continue
            before = len(self.problems)
            milestone = None
            if "milestone" in of:
                milestone = self.choice(of["milestone"][1], f"{ow}: milestone", self.milestones)
                if milestone is not None and milestone in milestones:
                    self.problem(
                        of["milestone"][1],
                        N_("{what}: milestone {milestone} has an obligation already (obligations[{first}])"),
                        ow,
                        milestone=repr(milestone),
                        first=milestones[milestone],
                    )
                elif milestone is not None:
                    milestones[milestone] = i
            else:
                self.problem(item, N_("{what}: missing required field {key}"), ow, key="'milestone'")
            sel = Selector()
            if "applies_to" in of:
                sel = self.selector(of["applies_to"][1], f"{ow}: applies_to") or Selector()
            is_principal = False
            if "principal" in of:
                is_principal = self.flag(of["principal"][1], f"{ow}: principal") is True
                if is_principal and principal is not None:
                    self.problem(
                        of["principal"][1],
                        N_("{what}: only one obligation may be the principal one (obligations[{first}] already is)"),
                        ow,
                        first=principal,
                    )
                elif is_principal:
                    principal = i
            cohorts: list[Cohort] = []
            if ("deadline" in of) == ("deadlines" in of):
                self.problem(item, N_("{what}: give either 'deadline' (one date) or 'deadlines' (one per cohort)"), ow)
            else:
                cohorts = self.cohorts(of, ow, issued)
            if len(self.problems) == before and milestone is not None:
                out.append(Obligation(milestone, tuple(cohorts), applies_to=sel, principal=is_principal))
        return out

    def check_after(self, node: yaml.Node, what: str, deadline: date, issued: date | None) -> None:
        if issued is not None and deadline < issued:
            self.problem(
                node,
                N_("{what}: deadline {deadline} is before the issue date {issued}"),
                what,
                deadline=fmt_date(deadline),
                issued=fmt_date(issued),
            )
