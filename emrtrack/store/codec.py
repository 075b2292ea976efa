"""How the model is stored: rows ↔ model objects ↔ the canonical JSON that events carry.

Also the English sentence kept with each change (its `summary`, which the history's hashes cover), made
from the change's structured facts; people are shown the facts, worded by the outputs in their language."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

import orjson

from emrtrack.model import Cohort, Facility, Requirement, Selector
from emrtrack.rules import fold

# An event: (entity, key, milestone, action, old, new)
Event = tuple[str, str, str | None, str, str | None, str | None]

FACILITY_COLUMNS = "id, name, aliases, ownership, kind, managed_by, location, verified"
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


def requirement_doc(r: Requirement) -> str:
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
        "deadlines": [{"applies_to": c.selector.as_dict(), "deadline": c.deadline.isoformat()} for c in r.cohorts],
    }
    return canonical({k: v for k, v in doc.items() if v is not None})


def requirement_from_doc(doc: str) -> Requirement:
    d = json.loads(doc)

    def sel(s: dict[str, list[str]] | None) -> Selector:
        s = s or {}
        return Selector(kinds=tuple(s.get("kind", ())), ownerships=tuple(s.get("ownership", ())))

    return Requirement(
        id=d["id"],
        issued=date.fromisoformat(d["issued"]),
        cohorts=tuple(Cohort(sel(c.get("applies_to")), date.fromisoformat(c["deadline"])) for c in d["deadlines"]),
        applies_to=sel(d.get("applies_to")),
        title=d.get("title"),
        issuer=d.get("issuer"),
        in_force=to_date(d.get("in_force")),
        source=d.get("source"),
        refs=tuple(d.get("refs", ())),
        default=bool(d.get("default")),
    )


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


def mark_facts(milestone: str, action: str, facility_id: str, on: date, previous: date | None) -> dict[str, Any]:
    return {
        "command": "mark",
        "milestone": milestone,
        "action": action,
        "facility": facility_id,
        "date": on.isoformat(),
        "previous": iso(previous),
    }


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
        text = f"{facts['milestone']} {facts['action']} for {facts['facility']}: {facts['date']}"
        return text + (f" (was {facts['previous']})" if facts["previous"] else "")
    if command == "undo":
        return f"undo of #{facts['change']}: {summary_text(facts['of'])}"
    raise ValueError(f"unknown kind of change {command!r}")
