"""Sentences about changes to the register: what a load did, what a mark recorded, what one event of the
history or one change (as `undo` shows it) was, in the interface language."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from emrtrack.i18n import (
    N_,
    Labelled,
    _,
    fmt_date,
    fmt_int,
    fmt_offset,
    fmt_time,
    milestone_label,
    milestone_word,
    ngettext,
)
from emrtrack.model import Facility, Reached
from emrtrack.output.text import reached_phrase, safe
from emrtrack.rules import local_time
from emrtrack.views import ChangeInfo, HistoryEntry, LoadSummary, MarkResult, VerifyProblem, VerifyResult


def load_summary(s: LoadSummary) -> str:
    """What a load added, updated and recorded (or would, on a dry run), and the change it made."""
    lines = [_("Dry run: nothing was written. Loading would give:")] if s.dry_run else []
    lines += [
        _(
            "Facilities: {added} added, {updated} updated, {unchanged} unchanged; "
            "{kept} in the register but not in these files (kept)."
        ).format(
            added=fmt_int(s.added),
            updated=fmt_int(s.updated),
            unchanged=fmt_int(s.unchanged),
            kept=fmt_int(s.not_in_files),
        ),
        _("Requirements: {added} added, {updated} updated.").format(
            added=fmt_int(s.requirements_added), updated=fmt_int(s.requirements_updated)
        ),
        (
            _("Milestones: {milestones} recorded, {corrected} of them corrected.").format(
                milestones=fmt_int(s.milestones_recorded), corrected=fmt_int(s.milestones_corrected)
            )
            if s.milestones_corrected
            else _("Milestones: {milestones} recorded.").format(milestones=fmt_int(s.milestones_recorded))
        ),
    ]
    if not s.changed and not s.dry_run:
        lines.append(_("Nothing changed; no history recorded."))
    elif s.change_id:
        lines.append(_("Recorded as change #{id}.").format(id=s.change_id))
    return "\n".join(lines)


def when(r: Reached) -> str:
    """A milestone's date after a verb: "on 2025-08-20", or "on or before 2025-09-24"."""
    if r.exact:
        return _("on {date}").format(date=fmt_date(r.date))
    return _("on or before {date}").format(date=fmt_date(r.date))


def mark_result(r: MarkResult, vocabulary: Iterable[Labelled] = ()) -> str:
    """What a mark recorded, refined or corrected for one facility, or that it was already recorded."""
    values = {
        "who": f"{safe(r.facility.name)} ({r.facility.id})",
        "milestone": milestone_label(r.milestone, vocabulary),
        "when": when(r.reached),
        "previous": reached_phrase(r.previous) if r.previous else "",  # "2025-08-25", "on or before 2025-09-24"
        "change": r.change_id,
    }
    if not r.changed:
        return _("Already recorded: {who} {milestone} {when}. Nothing changed.").format(**values)
    if r.previous and r.previous.exact:
        return _("Corrected: {who} {milestone} {when} (was {previous}). Change #{change}.").format(**values)
    if r.previous:
        return _("Updated: {who} {milestone} {when} (was {previous}). Change #{change}.").format(**values)
    return _("Recorded: {who} {milestone} {when}. Change #{change}.").format(**values)


def mark_results(results: list[MarkResult], vocabulary: Iterable[Labelled] = ()) -> str:
    """What a mark did: for one facility, its line; for several (listed before they were confirmed), a line for
    each that already had it, then how many changed."""
    if not results:
        return _("Nothing to record: no facility in scope lacks this milestone.")
    lines = [mark_result(r, vocabulary) for r in results if len(results) == 1 or not r.changed]
    if len(results) > 1:
        changed = sum(r.changed for r in results)
        lines.append(
            ngettext(
                "{n} facility updated in change #{change}.", "{n} facilities updated in change #{change}.", changed
            ).format(n=fmt_int(changed), change=next((r.change_id for r in results if r.changed), None))
            if changed
            else _("Nothing changed.")
        )
    return "\n".join(lines)


def mark_plan(facilities: list[Facility], milestone: str, reached: Reached, vocabulary: Iterable[Labelled] = ()) -> str:
    """What a mark of several facilities will record, before it is confirmed."""
    if not facilities:
        return _("Nothing to record: no facility in scope lacks this milestone.")
    head = ngettext(
        "To record: {milestone} {when}, for {n} facility:",
        "To record: {milestone} {when}, for {n} facilities:",
        len(facilities),
    ).format(milestone=milestone_label(milestone, vocabulary), when=when(reached), n=fmt_int(len(facilities)))
    width = max(len(f.id) for f in facilities)
    return "\n".join([head, *(f"  {f.id:<{width}}  {safe(f.name)}" for f in facilities)])


_EVENT_TEXTS = {
    ("milestone", "recorded"): N_("{milestone} recorded: {date}"),
    ("milestone", "corrected"): N_("{milestone} corrected: {date}"),
    ("milestone", "refined"): N_("{milestone} refined: {date}"),
    ("milestone", "recorded", "was"): N_("{milestone} recorded: {date} (was {previous})"),
    ("milestone", "corrected", "was"): N_("{milestone} corrected: {date} (was {previous})"),
    ("milestone", "refined", "was"): N_("{milestone} refined: {date} (was {previous})"),
    ("milestone", "recorded", "bound"): N_("{milestone} recorded: on or before {date}"),
    ("milestone", "corrected", "bound"): N_("{milestone} corrected: on or before {date}"),
    ("milestone", "refined", "bound"): N_("{milestone} refined: on or before {date}"),
    ("milestone", "recorded", "bound", "was"): N_("{milestone} recorded: on or before {date} (was {previous})"),
    ("milestone", "corrected", "bound", "was"): N_("{milestone} corrected: on or before {date} (was {previous})"),
    ("milestone", "refined", "bound", "was"): N_("{milestone} refined: on or before {date} (was {previous})"),
    ("milestone", "cleared"): N_("{milestone} cleared (was {previous})"),
    ("facility", "added"): N_("facility added"),
    ("facility", "removed"): N_("facility removed"),
    ("facility", "updated"): N_("facility updated: {fields}"),
    ("requirement", "added"): N_("requirement {key} added"),
    ("requirement", "updated"): N_("requirement {key} updated"),
    ("requirement", "removed"): N_("requirement {key} removed"),
    ("register", "added"): N_("register {key} added"),
    ("register", "updated"): N_("register {key} updated"),
    ("register", "removed"): N_("register {key} removed"),
}


def _iso_date(value: str | None) -> str:
    """A date the history holds as YYYY-MM-DD, as the language writes it."""
    try:
        return fmt_date(date.fromisoformat(value)) if value else ""
    except ValueError:
        return value or ""


def reached_from_value(value: str) -> Reached:
    """A milestone event's old or new value: an ISO date (exact, as every earlier release wrote it), or
    canonical JSON {"on": …} or {"on_or_before": …}, with "source" (the store's `milestone_value`)."""
    if not value.startswith("{"):
        return Reached(date.fromisoformat(value))
    d = json.loads(value)
    exact = "on" in d
    return Reached(date.fromisoformat(d["on"] if exact else d["on_or_before"]), exact, d.get("source"))


def _value(value: str | None) -> Reached | None:
    """A milestone event's value as known, None when there is none or it cannot be read."""
    if not value:
        return None
    try:
        return reached_from_value(value)
    except (ValueError, KeyError, TypeError):
        return None


def _value_phrase(value: str | None) -> str:
    """A milestone event's value after "was": "2025-08-20", "on or before 2025-09-24" (as stored when unread)."""
    known = _value(value)
    if known is None:
        return value or ""
    return fmt_date(known.date) if known.exact else _("on or before {date}").format(date=fmt_date(known.date))


def describe_event(e: HistoryEntry, vocabulary: Iterable[Labelled] = ()) -> str:
    """One event of the history: "deployed recorded: 2025-08-20", "deployed recorded: on or before
    2025-09-24 (source: …)", "facility updated: name"."""
    if e.entity == "milestone":
        new = _value(e.new)
        if e.new is None:
            key: tuple[str, ...] = ("milestone", "cleared")
        else:
            key = ("milestone", e.action) + (("bound",) if new is not None and not new.exact else ())
            key += ("was",) if e.old else ()
        template = _EVENT_TEXTS.get(key)
        if template is None or (e.new is not None and new is None):
            return f"{e.milestone} {e.action}: {e.new}" + (f" (was {e.old})" if e.old else "")
        text = _(template).format(
            milestone=milestone_word(e.milestone or "", vocabulary),
            date=fmt_date(new.date) if new else "",
            previous=_value_phrase(e.old),
        )
        if new is not None and new.source:
            text += _(" (source: {source})").format(source=new.source)
        return text
    if e.entity == "facility":
        if e.old and e.new:
            old, new_doc = json.loads(e.old), json.loads(e.new)
            fields = sorted(k for k in set(old) | set(new_doc) if old.get(k) != new_doc.get(k))
            return _(_EVENT_TEXTS["facility", "updated"]).format(
                fields=", ".join(_field_change(k, old.get(k), new_doc.get(k)) for k in fields)
            )
        return _(_EVENT_TEXTS["facility", "added" if e.new else "removed"])
    template = _EVENT_TEXTS.get((e.entity, e.action))
    if template is None:
        return f"{e.entity} {e.key} {e.action}"
    return _(template).format(key=e.key)


def _field_change(key: str, old: Any, new: Any) -> str:
    """One fact of a facility that changed, with what it was and is: `name: A → B` (a list, by its items)."""

    def shown(value: Any) -> str:
        if value is None:
            return "—"
        if key == "codes" and isinstance(value, dict):
            return ", ".join(f"{k} {v}" for k, v in value.items())
        if key in ("former_names", "former_managed_by") and isinstance(value, list):
            return "; ".join(
                _("{name} (until {date})").format(name=v["name"], date=_iso_date(v["until"])) for v in value
            )
        if key == "exceptions" and isinstance(value, list):
            from emrtrack.output.life import exception_phrase
            from emrtrack.store.codec import exception_from_doc

            return "; ".join(exception_phrase(exception_from_doc(v)) for v in value)
        if key == "merged_into" and isinstance(value, dict):
            return _("{into} on {date}").format(into=value["id"], date=_iso_date(value["on"]))
        if key == "withdrawn" and isinstance(value, dict):
            return _("on {date}").format(date=_iso_date(value["on"]))
        return "; ".join(map(str, value)) if isinstance(value, list) else str(value)

    return f"{key}: {shown(old)} → {shown(new)}"


def describe_change(c: ChangeInfo) -> str:
    """A change as `undo` shows it before reverting it: who recorded what, when, and how many events."""
    n = len(c.events)
    moment = local_time(c.recorded_at, c.timezone)
    return ngettext(
        "Change #{id}, recorded {at} by {actor} ({command}, {source}): {summary}; {n} event.",
        "Change #{id}, recorded {at} by {actor} ({command}, {source}): {summary}; {n} events.",
        n,
    ).format(
        id=c.id,
        at=f"{fmt_time(moment)} ({fmt_offset(moment)})",
        actor=safe(c.actor),
        command=c.command,
        source=safe(c.source),
        summary=safe(describe_summary(c)),
        n=fmt_int(n),
    )


def describe_summary(change: ChangeInfo) -> str:
    """What a change did, worded from its facts in the interface language; its stored English summary
    where it has no facts (a summary emrtrack did not write)."""
    return change.summary if change.facts is None else describe_facts(change.facts)


_MARK_TEXTS = {
    ("recorded", False): N_("{milestone} recorded for {id}: {date}"),
    ("corrected", False): N_("{milestone} corrected for {id}: {date}"),
    ("refined", False): N_("{milestone} refined for {id}: {date}"),
    ("recorded", True): N_("{milestone} recorded for {id}: on or before {date}"),
    ("corrected", True): N_("{milestone} corrected for {id}: on or before {date}"),
    ("refined", True): N_("{milestone} refined for {id}: on or before {date}"),
}


def _count(singular: str, plural: str, n: int) -> str:
    return ngettext(singular, plural, n).format(n=fmt_int(n))


def describe_facts(facts: dict[str, Any]) -> str:
    """A change's facts as a sentence (the English one equals the summary the history keeps)."""
    if facts["command"] == "mark":
        template = _MARK_TEXTS.get((facts["action"], bool(facts.get("on_or_before"))))
        if "facilities" in facts:
            n = facts["facilities"]
            who = _count("{n} facility", "{n} facilities", n)
        else:
            who = facts["facility"]
        if template is None:  # an action this release does not know: its facts as they are
            return f"{facts['milestone']} {facts['action']} for {who}: {facts['date']}"
        text = _(template).format(milestone=milestone_word(facts["milestone"]), id=who, date=_iso_date(facts["date"]))
        previous = facts["previous"]
        if not previous:
            return text
        if facts.get("previous_on_or_before"):
            return text + _(" (was on or before {previous})").format(previous=_iso_date(previous))
        return text + _(" (was {previous})").format(previous=_iso_date(previous))
    if facts["command"] == "load":
        parts = [
            _count("{n} facility added", "{n} facilities added", facts["facilities_added"]),
            _("{n} updated").format(n=fmt_int(facts["facilities_updated"])),
        ]
        if facts["requirements"]:
            parts.append(
                _count("{n} requirement added or updated", "{n} requirements added or updated", facts["requirements"])
            )
        if facts["milestones"]:
            parts.append(_count("{n} milestone recorded", "{n} milestones recorded", facts["milestones"]))
        return _("load of {source}: {parts}").format(source=facts["source"], parts=", ".join(parts))
    if facts["command"] in ("exception", "withdraw", "reinstate"):
        return _life_facts(facts)
    return _("undo of #{id}: {summary}").format(id=facts["change"], summary=describe_facts(facts["of"]))


def _life_facts(facts: dict[str, Any]) -> str:
    """A change to one facility's life, as a sentence (the English one equals the summary the history keeps)."""
    basis = _(" ({basis})").format(basis=facts["basis"]) if facts.get("basis") else ""
    fid = facts["facility"]
    if facts["command"] == "withdraw":
        return _("withdrawal of {id}").format(id=fid) + basis
    if facts["command"] == "reinstate":
        return _("reinstatement of {id}").format(id=fid) + basis
    kind, rid, day = facts["kind"], facts["requirement"], _iso_date(facts["date"])
    if kind == "extension":
        text = _("extension of {requirement} for {id}: deadline {date}")
    elif kind == "exemption" and facts.get("until"):
        text = _("exemption from {requirement} for {id}: from {date} until {until}")
    elif kind == "exemption":
        text = _("exemption from {requirement} for {id}: from {date}")
    else:
        text = _("commitment to {requirement} by {id}: {date}")
    return text.format(requirement=rid, id=fid, date=day, until=_iso_date(facts.get("until"))) + basis


_ENTITY_NAMES = {
    "facility": N_("facility"),
    "milestone": N_("milestone"),
    "requirement": N_("requirement"),
    "register": N_("register"),
}
_AT_EVENT = {
    "change-missing": N_("its change #{id} is missing (deleted)"),
    "no-hash": N_("it has no hash: it was inserted outside emrtrack"),
    "altered": N_("its content or its change #{id} was altered"),
    "event-deleted": N_("the event before it (#{id}) was deleted"),
    "out-of-order": N_("it was inserted out of order (its chain does not follow the event before it)"),
    "change-out-of-order": N_("its change #{id} comes before change #{last}: inserted out of order"),
    "unknown-entity": N_("unknown kind of fact {entity}"),
    "old-mismatch": N_("its old value does not match what the history before it recorded"),
}


def verify_result(result: VerifyResult) -> str:
    """What `verify` found: "ok" with the events checked and the last hash, or the first problem."""
    if result.problem is None:
        return "\n".join(
            [
                ngettext("ok: {n} event checked", "ok: {n} events checked", result.events).format(
                    n=fmt_int(result.events)
                ),
                _("last hash: {hash}").format(hash=result.head),
            ]
        )
    return ngettext(
        "verify failed after {n} good event: {problem}", "verify failed after {n} good events: {problem}", result.events
    ).format(n=fmt_int(result.events), problem=verify_problem(result.problem))


def verify_problem(p: VerifyProblem) -> str:
    """The first problem `verify` found, in the interface language."""
    v = p.values
    if "line" in v:  # found in a history file: where
        return _("line {line}: {problem}").format(line=v["line"], problem=_history_file_problem(p))
    return _register_problem(p)


def _history_file_problem(p: VerifyProblem) -> str:
    v = p.values
    if p.kind == "line-not-json":
        return _("not valid JSON (cut short or edited)")
    if p.kind == "line-bad-shape":
        if not v.get("field"):
            return _("not a change as emrtrack writes it (not a JSON object)")
        return _("not a change as emrtrack writes it: {field} is missing, unexpected or of the wrong kind").format(
            field=v["field"]
        )
    return _register_problem(p)


def _register_problem(p: VerifyProblem) -> str:
    v = p.values
    if p.kind == "history-empty":
        return _("the file holds no history (it is empty)")
    if p.kind in _AT_EVENT:
        problem = _(_AT_EVENT[p.kind]).format(**{**v, "entity": repr(v.get("entity"))})
        return _("event #{id}: {problem}").format(id=p.event, problem=problem)
    if p.kind == "empty-change":
        return _("change #{id} has no events (its events were deleted)").format(id=v["change"])
    if p.kind == "facts-altered":
        return _("change #{id}: its recorded facts do not match its summary (altered)").format(id=v["change"])
    if p.kind == "names-altered":
        difference = _("facility {id}: its search names were altered").format(id=repr(v["facility"]))
    elif p.kind == "tables-differ":
        what = (
            _("{milestone} of {id}").format(milestone=v["milestone"], id=repr(v["key"]))
            if v["entity"] == "milestone"
            else repr(v["key"])
        )
        difference = _("{entity} {what} is {current} in the register but {replayed} in the history").format(
            entity=_(_ENTITY_NAMES[v["entity"]]), what=what, current=repr(v["current"]), replayed=repr(v["replayed"])
        )
    else:  # order-altered
        difference = _("the order of the requirements was altered")
    return _("the current tables do not match the history: {difference}").format(difference=difference)
