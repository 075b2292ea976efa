"""How the model is stored: rows ↔ model objects ↔ the canonical JSON that events carry.

Also the English sentence kept with each change (its `summary`, which the history's hashes cover), made
from the change's structured facts; people are shown the facts, worded by the outputs in their language."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import date
from typing import Any

import orjson

from emrtrack.model import (
    DEPLOYED,
    EXEMPTION,
    EXTENSION,
    Basis,
    Cohort,
    Exception_,
    Facility,
    FormerValue,
    MilestoneDef,
    Obligation,
    Reached,
    Requirement,
    Selector,
    Withdrawal,
)
from emrtrack.naming import fold

# An event: (entity, key, milestone, action, old, new)
Event = tuple[str, str, str | None, str, str | None, str | None]

FACILITY_COLUMNS = "id, name, aliases, ownership, kind, managed_by, location, verified, details"
DETAIL_KEYS = (
    "codes",
    "opened",
    "closed",
    "merged_into",
    "former_names",
    "former_managed_by",
    "exceptions",
    "withdrawn",
)
MILESTONE_COLUMNS = "facility_id, milestone, date, exact, source"
EVENT_COLUMNS = "id, change_id, entity, key, milestone, action, old, new, prev_hash, hash"


def canonical(value: Any) -> str:
    """JSON with sorted keys, no spaces and non-ASCII as is: the text of a stored document."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


_json_string = json.encoder.encode_basestring  # a string as JSON, non-ASCII as is


def aliases_json(aliases: tuple[str, ...] | list[str]) -> str:
    """How the `aliases` column holds a list: as `json.dumps(aliases, ensure_ascii=False)` writes it."""
    return "[" + ", ".join(map(_json_string, aliases)) + "]"


def iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def to_date(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def facility_row(f: Facility) -> tuple[Any, ...]:
    details = details_of(f)
    return (
        f.id,
        f.name,
        aliases_json(f.aliases),
        f.ownership,
        f.kind,
        f.managed_by,
        f.location,
        iso(f.verified),
        canonical(details) if details else None,
    )


def facility_from_row(row: tuple[Any, ...] | sqlite3.Row) -> Facility:
    facility = Facility(
        id=row[0],
        name=row[1],
        aliases=tuple(json.loads(row[2])),
        ownership=row[3],
        kind=row[4],
        managed_by=row[5],
        location=row[6],
        verified=to_date(row[7]),
    )
    return with_details(facility, json.loads(row[8])) if row[8] else facility


def row_doc(row: tuple[Any, ...], aliases: list[str] | tuple[str, ...] | None = None) -> str:
    """A facility row as the canonical JSON its events carry (`aliases` given spares decoding them). The facts
    later releases added (`details`) are keys of their own, absent when not known, so that a facility as
    earlier releases stored it keeps the same document."""
    fid, name, aliases_column, ownership, kind, managed_by, location, verified, details = row
    doc = {"id": fid, "name": name, "ownership": ownership, "kind": kind}
    if aliases is None:
        aliases = json.loads(aliases_column)
    if aliases:
        doc["aliases"] = aliases
    if managed_by is not None:
        doc["managed_by"] = managed_by
    if location is not None:
        doc["location"] = location
    if verified is not None:
        doc["verified"] = verified
    if details:
        doc.update(json.loads(details))
    return canonical(doc)


def doc_row(doc: str) -> tuple[Any, ...]:
    d = json.loads(doc)
    details = {k: d[k] for k in DETAIL_KEYS if k in d}
    return (
        d["id"],
        d["name"],
        aliases_json(d.get("aliases", [])),
        d["ownership"],
        d["kind"],
        d.get("managed_by"),
        d.get("location"),
        d.get("verified"),
        canonical(details) if details else None,
    )


# -- a facility's later facts (codes, lifecycle, exceptions, withdrawal) as JSON -------------------
def _basis_doc(b: Basis) -> dict[str, Any]:
    doc: dict[str, Any] = {"ref": b.ref}
    if b.date is not None:
        doc["date"] = b.date.isoformat()
    if b.issuer is not None:
        doc["issuer"] = b.issuer
    return doc


def _basis(d: dict[str, Any] | None) -> Basis | None:
    return None if d is None else Basis(d["ref"], to_date(d.get("date")), d.get("issuer"))


def exception_doc(e: Exception_) -> dict[str, Any]:
    """An exception as the YAML form writes it: `deadline` (extension), `from`/`until` (exemption) or `date`
    (commitment), then `granted`, `basis` and `note`."""
    doc: dict[str, Any] = {"kind": e.kind, "requirement": e.requirement}
    if e.milestone is not None:
        doc["milestone"] = e.milestone
    if e.kind == EXTENSION:
        doc["deadline"] = iso(e.on)
    elif e.kind == EXEMPTION:
        doc["from"] = iso(e.start)
        if e.until is not None:
            doc["until"] = e.until.isoformat()
    else:
        doc["date"] = iso(e.on)
    doc["granted"] = e.granted.isoformat()
    if e.basis is not None:
        doc["basis"] = _basis_doc(e.basis)
    if e.note is not None:
        doc["note"] = e.note
    return doc


def exception_from_doc(d: dict[str, Any]) -> Exception_:
    return Exception_(
        kind=d["kind"],
        requirement=d["requirement"],
        granted=date.fromisoformat(d["granted"]),
        on=to_date(d.get("deadline") or d.get("date")),
        start=to_date(d.get("from")),
        until=to_date(d.get("until")) if d["kind"] == EXEMPTION else None,
        milestone=d.get("milestone"),
        basis=_basis(d.get("basis")),
        note=d.get("note"),
    )


def details_of(f: Facility) -> dict[str, Any]:
    """A facility's later facts, keyed as the YAML form writes them (empty when it has none)."""
    doc: dict[str, Any] = {}
    if f.codes:
        doc["codes"] = dict(sorted(f.codes))
    if f.opened is not None:
        doc["opened"] = f.opened.isoformat()
    if f.closed is not None:
        doc["closed"] = f.closed.isoformat()
    if f.merged_into is not None:
        doc["merged_into"] = {"id": f.merged_into, "on": iso(f.merged_on)}
    if f.former_names:
        doc["former_names"] = [{"name": n.value, "until": n.until.isoformat()} for n in f.former_names]
    if f.former_managed_by:
        doc["former_managed_by"] = [{"name": n.value, "until": n.until.isoformat()} for n in f.former_managed_by]
    if f.exceptions:
        doc["exceptions"] = [exception_doc(e) for e in f.exceptions]
    if f.withdrawn is not None:
        withdrawn: dict[str, Any] = {"on": f.withdrawn.on.isoformat()}
        if f.withdrawn.basis is not None:
            withdrawn["basis"] = _basis_doc(f.withdrawn.basis)
        doc["withdrawn"] = withdrawn
    return doc


def facility_life(fid: str, ownership: str, kind: str, details: str) -> Facility:
    """A facility with only what judges it against a deadline beside its kind: its opening day and exceptions
    (for counting many at once: a whole facility costs more to read)."""
    d = json.loads(details)
    return Facility(
        id=fid,
        name="",
        ownership=ownership,
        kind=kind,
        opened=to_date(d.get("opened")),
        exceptions=tuple(exception_from_doc(e) for e in d.get("exceptions", ())),
    )


def _former(items: list[dict[str, str]] | None) -> tuple[FormerValue, ...]:
    return tuple(FormerValue(i["name"], date.fromisoformat(i["until"])) for i in items or ())


def with_details(f: Facility, d: dict[str, Any]) -> Facility:
    """`f` with the later facts of `d` (`details_of`'s form)."""
    merged = d.get("merged_into")
    withdrawn = d.get("withdrawn")
    return replace(
        f,
        codes=tuple(sorted(d.get("codes", {}).items())),
        opened=to_date(d.get("opened")),
        closed=to_date(d.get("closed")),
        merged_into=merged["id"] if merged else None,
        merged_on=to_date(merged["on"]) if merged else None,
        former_names=_former(d.get("former_names")),
        former_managed_by=_former(d.get("former_managed_by")),
        exceptions=tuple(exception_from_doc(e) for e in d.get("exceptions", ())),
        withdrawn=Withdrawal(date.fromisoformat(withdrawn["on"]), _basis(withdrawn.get("basis")))
        if withdrawn
        else None,
    )


def folded_names(name: str, aliases: list[str] | tuple[str, ...]) -> str:
    """The `folded` column: the folded name, then each folded alias that differs, one per line."""
    folded = [fold(name)]
    for alias in aliases:
        if (f := fold(alias)) not in folded:
            folded.append(f)
    return "\n".join(folded)


def row_folded(row: tuple[Any, ...], aliases: list[str] | None = None) -> str:
    """The `folded` column of a facility row: its name, aliases and earlier names, folded (`aliases` given spares
    decoding them)."""
    names = json.loads(row[2]) if aliases is None else list(aliases)
    if row[8]:
        names += [n["name"] for n in json.loads(row[8]).get("former_names", ())]
    return folded_names(row[1], names)


def _obligation_doc(o: Obligation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "milestone": o.milestone,
        "deadlines": [{"applies_to": c.selector.as_dict(), "deadline": c.deadline.isoformat()} for c in o.cohorts],
    }
    if not o.applies_to.is_everything:
        doc["applies_to"] = o.applies_to.as_dict()
    if o.principal:
        doc["principal"] = True
    return doc


def requirement_doc(r: Requirement) -> str:
    """A requirement as canonical JSON. `deadlines` are always the principal obligation's; `obligations`
    are written only when the document sets more than `deployed` by its deadlines (so a requirement as
    earlier releases stored it keeps the same document)."""
    principal = r.principal
    plain = len(r.obligations) == 1 and principal.milestone == DEPLOYED
    plain = plain and principal.applies_to.is_everything and not principal.principal
    doc: dict[str, Any] = {
        "id": r.id,
        "title": r.title,
        "issuer": r.issuer,
        "issued": iso(r.issued),
        "in_force": iso(r.in_force),
        "source": r.source,
        "refs": list(r.refs) or None,
        "default": r.default or None,
        "applies_to": r.applies_to.as_dict() or None,
        "deadlines": _obligation_doc(principal)["deadlines"],
        "obligations": None if plain else [_obligation_doc(o) for o in r.obligations],
        "binding": None if r.binding else False,
        "replaces": r.replaces,
    }
    return canonical({k: v for k, v in doc.items() if v is not None})


def _selector(s: dict[str, list[str]] | None) -> Selector:
    s = s or {}
    return Selector(
        kinds=tuple(s.get("kind", ())),
        ownerships=tuple(s.get("ownership", ())),
        facilities=tuple(s.get("facilities", ())),
    )


def _cohorts(deadlines: list[dict[str, Any]]) -> tuple[Cohort, ...]:
    return tuple(Cohort(_selector(c.get("applies_to")), date.fromisoformat(c["deadline"])) for c in deadlines)


def requirement_from_doc(doc: str) -> Requirement:
    d = json.loads(doc)
    obligations = tuple(
        Obligation(o["milestone"], _cohorts(o["deadlines"]), _selector(o.get("applies_to")), bool(o.get("principal")))
        for o in d.get("obligations", ())
    )
    return Requirement(
        id=d["id"],
        issued=date.fromisoformat(d["issued"]),
        cohorts=_cohorts(d["deadlines"]),
        applies_to=_selector(d.get("applies_to")),
        title=d.get("title"),
        issuer=d.get("issuer"),
        in_force=to_date(d.get("in_force")),
        source=d.get("source"),
        refs=tuple(d.get("refs", ())),
        default=bool(d.get("default")),
        obligations=obligations,
        binding=d.get("binding", True),
        replaces=d.get("replaces"),
    )


# -- a milestone as stored and as its events carry it ----------------------------------------------
def milestone_value(r: Reached) -> str:
    """A milestone as an event's old/new value: the ISO date alone for an exact date without a source (as
    every earlier release wrote it), else canonical JSON: {"on": …} or {"on_or_before": …}, with "source"."""
    if r.exact and r.source is None:
        return r.date.isoformat()
    doc: dict[str, Any] = {"on" if r.exact else "on_or_before": r.date.isoformat()}
    if r.source is not None:
        doc["source"] = r.source
    return canonical(doc)


def reached_from_value(value: str) -> Reached:
    if not value.startswith("{"):
        return Reached(date.fromisoformat(value))
    d = json.loads(value)
    exact = "on" in d
    return Reached(date.fromisoformat(d["on"] if exact else d["on_or_before"]), exact, d.get("source"))


def milestone_row(facility_id: str, milestone: str, r: Reached) -> tuple[Any, ...]:
    """A row of the `milestones` table (MILESTONE_COLUMNS)."""
    return (facility_id, milestone, r.date.isoformat(), int(r.exact), r.source)


def reached_from_row(day: str, exact: int | None, source: str | None) -> Reached:
    return Reached(date.fromisoformat(day), exact is None or bool(exact), source)


def stored_milestone_values(
    conn: sqlite3.Connection, where: str = "", params: tuple[Any, ...] = ()
) -> dict[tuple[str, str], str]:
    """(facility id, milestone) → the milestone as its latest event's value (`milestone_value`): for an exact date
    without a source, the date as written (emrtrack writes it as `milestone_value` does)."""
    return {
        (fid, m): d if exact == 1 and source is None else milestone_value(reached_from_row(d, exact, source))
        for fid, m, d, exact, source in conn.execute(f"SELECT {MILESTONE_COLUMNS} FROM milestones {where}", params)
    }


def milestone_defs_json(defs: tuple[MilestoneDef, ...]) -> str:
    """How the `milestones` register fact is stored in `meta`."""
    return json.dumps([{"id": m.id, "en": m.en, "vi": m.vi} for m in defs], ensure_ascii=False)


def milestone_defs_from_json(text: str) -> tuple[MilestoneDef, ...]:
    return tuple(MilestoneDef(m["id"], m["en"], m["vi"]) for m in json.loads(text))


# -- a change's facts and its stored sentence ------------------------------------------------------
def load_facts(source: str, added: int, updated: int, requirements: int, milestones: int) -> dict[str, Any]:
    return {
        "command": "load",
        "source": source,
        "facilities_added": added,
        "facilities_updated": updated,
        "requirements": requirements,
        "milestones": milestones,
    }


def mark_facts(
    milestone: str, facilities: str | int, reached: Reached, previous: Reached | None, action: str
) -> dict[str, Any]:
    """A mark's facts: one facility (its id) or several (how many), the date and, only where they apply
    (so that an exact mark keeps the facts earlier releases wrote), `on_or_before` and the previous bound."""
    facts: dict[str, Any] = {"command": "mark", "milestone": milestone, "action": action}
    if isinstance(facilities, int):
        facts["facilities"] = facilities
    else:
        facts["facility"] = facilities
    facts["date"] = reached.date.isoformat()
    facts["previous"] = iso(previous.date) if previous else None
    if not reached.exact:
        facts["on_or_before"] = True
    if previous is not None and not previous.exact:
        facts["previous_on_or_before"] = True
    return facts


def life_facts(
    command: str, facility: str, exception: Exception_ | None = None, ref: str | None = None
) -> dict[str, Any]:
    """The facts of a change to one facility's life: an exception granted or recorded (`command` "exception"),
    a withdrawal ("withdraw") or its reversal ("reinstate"); `ref` the document behind it."""
    facts: dict[str, Any] = {"command": command, "facility": facility}
    if exception is not None:
        facts.update(
            kind=exception.kind,
            requirement=exception.requirement,
            date=iso(exception.on if exception.kind != EXEMPTION else exception.start),
            until=iso(exception.until),
        )
    facts["basis"] = ref
    return facts


def undo_facts(change_id: int, reverted: dict[str, Any] | None) -> dict[str, Any] | None:
    """An undo's facts: the change it reverts and that change's facts (None when those are not known)."""
    return None if reverted is None else {"command": "undo", "change": change_id, "of": reverted}


def summary_text(facts: dict[str, Any]) -> str:
    """The English sentence a change keeps in its `summary` column, from its facts.

    Stored and hashed, so it never changes wording: `verify` checks that a change's facts still give it."""
    command = facts["command"]
    if command == "load":
        parts = [f"{facts['facilities_added']} facilities added", f"{facts['facilities_updated']} updated"]
        if facts["requirements"]:
            parts.append(f"{facts['requirements']} requirements added or updated")
        if facts["milestones"]:
            parts.append(f"{facts['milestones']} milestones recorded")
        return f"load of {facts['source']}: " + ", ".join(parts)
    if command == "mark":
        who = f"{facts['facilities']} facilities" if "facilities" in facts else facts["facility"]
        on = ("on or before " if facts.get("on_or_before") else "") + facts["date"]
        text = f"{facts['milestone']} {facts['action']} for {who}: {on}"
        if facts["previous"]:
            was = ("on or before " if facts.get("previous_on_or_before") else "") + facts["previous"]
            text += f" (was {was})"
        return text
    if command == "undo":
        return f"undo of #{facts['change']}: {summary_text(facts['of'])}"
    basis = f" ({facts['basis']})" if facts.get("basis") else ""
    if command == "exception":
        kind, fid, rid, day = facts["kind"], facts["facility"], facts["requirement"], facts["date"]
        if kind == EXTENSION:
            return f"extension of {rid} for {fid}: deadline {day}{basis}"
        if kind == EXEMPTION:
            until = f" until {facts['until']}" if facts.get("until") else ""
            return f"exemption from {rid} for {fid}: from {day}{until}{basis}"
        return f"commitment to {rid} by {fid}: {day}{basis}"
    if command == "withdraw":
        return f"withdrawal of {facts['facility']}{basis}"
    if command == "reinstate":
        return f"reinstatement of {facts['facility']}{basis}"
    raise ValueError(f"unknown kind of change {command!r}")
