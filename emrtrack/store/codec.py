"""How the model is stored: rows ↔ model objects ↔ the canonical JSON that events carry.

Also the English sentence kept with each change (its `summary`, which the history's hashes cover), made
from the change's structured facts; people are shown the facts, worded by the outputs in their language."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

import orjson

from emrtrack.model import DEPLOYED, Cohort, Facility, MilestoneDef, Obligation, Reached, Requirement, Selector
from emrtrack.naming import fold

# An event: (entity, key, milestone, action, old, new)
Event = tuple[str, str, str | None, str, str | None, str | None]

FACILITY_COLUMNS = "id, name, aliases, ownership, kind, managed_by, location, verified"
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
    return (f.id, f.name, aliases_json(f.aliases), f.ownership, f.kind, f.managed_by, f.location, iso(f.verified))


def facility_from_row(row: tuple[Any, ...] | sqlite3.Row) -> Facility:
    return Facility(
        id=row[0],
        name=row[1],
        aliases=tuple(json.loads(row[2])),
        ownership=row[3],
        kind=row[4],
        managed_by=row[5],
        location=row[6],
        verified=to_date(row[7]),
    )


def row_doc(row: tuple[Any, ...], aliases: list[str] | tuple[str, ...] | None = None) -> str:
    """A facility row as the canonical JSON its events carry (`aliases` given spares decoding them)."""
    fid, name, aliases_column, ownership, kind, managed_by, location, verified = row
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
    return canonical(doc)


def doc_row(doc: str) -> tuple[Any, ...]:
    d = json.loads(doc)
    return (
        d["id"],
        d["name"],
        aliases_json(d.get("aliases", [])),
        d["ownership"],
        d["kind"],
        d.get("managed_by"),
        d.get("location"),
        d.get("verified"),
    )


def folded_names(name: str, aliases: list[str] | tuple[str, ...]) -> str:
    """The `folded` column: the folded name, then each folded alias that differs, one per line."""
    folded = [fold(name)]
    for alias in aliases:
        if (f := fold(alias)) not in folded:
            folded.append(f)
    return "\n".join(folded)


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
    """(facility id, milestone) → the milestone as its latest event's value (`milestone_value`)."""
    return {
        (fid, m): milestone_value(reached_from_row(d, exact, source))
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
    raise ValueError(f"unknown kind of change {command!r}")
