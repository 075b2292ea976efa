"""The register's two ways of changing: a load (what the files hold, diffed against what is stored) and a
mark (one milestone of one facility). Each is one change in the history.

The load's diff is a pure function (`diff_load`) over the stored state; it yields the rows to write in
batches, so that a large load writes one batch (on a helper thread) while it works out the next."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from emrtrack.errors import Refused
from emrtrack.i18n import _, fmt_date, milestone_word, ngettext
from emrtrack.model import DEFAULT_TIMEZONE, Facility, FormerValue, Reached
from emrtrack.naming import fold
from emrtrack.progress import NOBODY, Phases
from emrtrack.store import history
from emrtrack.store.bulk import Writer
from emrtrack.store.codec import (
    FACILITY_COLUMNS,
    MILESTONE_COLUMNS,
    Event,
    canonical,
    facility_from_row,
    facility_row,
    folded_names,
    load_facts,
    mark_facts,
    milestone_defs_json,
    milestone_row,
    milestone_value,
    reached_from_value,
    requirement_doc,
    row_doc,
    stored_milestone_values,
)
from emrtrack.store.connection import direct_writes, transaction
from emrtrack.views import LoadSummary, MarkResult

if TYPE_CHECKING:
    from emrtrack.reading import LoadedFiles
    from emrtrack.reading.entries import FacilityEntry

Rows = list[tuple[Any, ...]]


@dataclass
class Stored:
    """What the register holds that a load is compared with."""

    meta: dict[str, str]
    requirements: dict[str, str]  # id → canonical document
    facilities: dict[str, tuple[Any, ...]]  # id → facility row
    milestones: dict[tuple[str, str], str]  # (facility id, milestone) → its value (`milestone_value`)
    conn: sqlite3.Connection | None = None
    today: date | None = None
    _named: dict[str, tuple[str, str]] | None = None
    _codes: dict[tuple[str, str], str] | None = None

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> Stored:
        from emrtrack.rules import today

        meta = dict(conn.execute("SELECT key, value FROM meta"))
        return cls(
            meta=meta,
            requirements=dict(conn.execute("SELECT id, doc FROM requirements")),
            facilities={row[0]: row for row in conn.execute(f"SELECT {FACILITY_COLUMNS} FROM facilities")},
            milestones=stored_milestone_values(conn),
            conn=conn,
            today=today(json.loads(meta["timezone"]) if "timezone" in meta else DEFAULT_TIMEZONE),
        )

    def code_owner(self, scheme: str, code: str) -> str | None:
        """The id of the facility holding `code` of `scheme`, read when first asked."""
        if self._codes is None:
            self._codes = {}
            for fid, row in self.facilities.items():
                if row[8]:
                    for k, v in json.loads(row[8]).get("codes", {}).items():
                        self._codes[k, v] = fid
        return self._codes.get((scheme, code))

    def named(self, folded: str) -> tuple[str, str] | None:
        """(id, name) of the facility whose folded name or alias is `folded`, read when first asked."""
        if self._named is None:
            self._named = {}
            rows = self.conn.execute("SELECT id, name, folded FROM facilities") if self.conn is not None else []
            for fid, name, names in rows:
                for line in names.split("\n"):
                    self._named.setdefault(line, (fid, name))
        return self._named.get(folded)


@dataclass
class LoadDiff:
    """What a load changes: its counts, its events, and the recorded dates it would replace unasked."""

    summary: LoadSummary
    events: list[Event] = field(default_factory=list)
    facts: int = 0  # the first `facts` events (register facts, requirements) are applied at the end
    conflicts: list[str] = field(default_factory=list)
    similar: list[str] = field(default_factory=list)  # facilities added under the name of one the register has
    invalid: list[str] = field(default_factory=list)  # codes, merges and exceptions the register cannot take
    worked_out: int = 0  # facilities gone through so far


def _check_similar(stored: Stored, entry: FacilityEntry, f: Facility, diff: LoadDiff) -> None:
    """A facility added under the name (folded) of one the register holds is most likely that one under another
    id (a district's own list): noted, unless the file says they differ."""
    twin = stored.named(fold(f.name))
    if twin is None or twin[0].casefold() in {d.casefold() for d in entry.distinct_from}:
        return
    diff.similar.append(
        _(
            "{file}:{line}: facility {id}: the register has this name as {other} ({name}): give that id to update "
            "it, or say they differ with distinct_from: [{other_id}] (or load with --allow-similar)"
        ).format(file=entry.file, line=entry.line, id=repr(f.id), other=repr(twin[0]), name=twin[1], other_id=twin[0])
    )


def _lived(stored: Facility, given: Facility, today: date, *, correct: bool = False) -> Facility:
    """The facility a load writes: what the file gives, with what the register knows of its life and the file
    does not say (a load removes none of it: codes are merged by scheme, exceptions and earlier names
    gathered). A name or managing body the file changes becomes an earlier one, used until yesterday, unless
    the load corrects (`correct`: the old one was a mistake, not an earlier name)."""

    def earlier(
        former: tuple[FormerValue, ...], given_former: tuple[FormerValue, ...], old: str | None, new: str | None
    ) -> tuple[FormerValue, ...]:
        merged = list(former) + [f for f in given_former if f not in former]
        if not correct and old is not None and old != new and all(f.value != old for f in merged):
            merged.append(FormerValue(old, today - timedelta(days=1)))
        return tuple(sorted(merged, key=lambda f: (f.until, f.value)))

    return replace(
        given,
        codes=tuple(sorted({**dict(stored.codes), **dict(given.codes)}.items())),
        opened=given.opened or stored.opened,
        closed=given.closed or stored.closed,
        merged_into=given.merged_into or stored.merged_into,
        merged_on=given.merged_on or stored.merged_on,
        exceptions=stored.exceptions + tuple(e for e in given.exceptions if e not in stored.exceptions),
        withdrawn=given.withdrawn or stored.withdrawn,
        former_names=earlier(stored.former_names, given.former_names, stored.name, given.name),
        former_managed_by=earlier(
            stored.former_managed_by, given.former_managed_by, stored.managed_by, given.managed_by
        ),
    )


def _code_schemes(stored: Stored, loaded: LoadedFiles) -> dict[str, str]:
    """The code schemes in force for a load (scheme → pattern): the files' if they declare some, else the register's."""
    if loaded.register is not None and "code_schemes" in loaded.register_fields:
        return {c.id: c.pattern for c in loaded.register.code_schemes}
    return {c["id"]: c["pattern"] for c in json.loads(stored.meta.get("code_schemes", "[]"))}


def _check_life(
    stored: Stored,
    loaded: LoadedFiles,
    entry: FacilityEntry,
    f: Facility,
    codes: dict[tuple[str, str], str],
    schemes: dict[str, str],
) -> list[str]:
    """What is wrong with a facility's codes, merge and exceptions given what the register and the files
    hold: `codes` are those the facilities loaded so far hold (scheme, code) → id; `schemes` those in force."""
    where = f"{entry.file}:{entry.line}: " + _("facility {id}").format(id=repr(f.id))
    problems = []
    for scheme, code in entry.facility.codes:
        pattern = schemes.get(scheme)
        if pattern is None:
            problems.append(
                _("{where}: codes: unknown code scheme {scheme} (declare it in register: code_schemes)").format(
                    where=where, scheme=repr(scheme)
                )
            )
            continue
        if not re.fullmatch(pattern, code):
            problems.append(
                _("{where}: codes: {scheme} {code} does not match the scheme's pattern {pattern}").format(
                    where=where, scheme=scheme, code=repr(code), pattern=pattern
                )
            )
            continue
        holder = codes.get((scheme, code))
        if holder is None:
            holder = stored.code_owner(scheme, code)
            if holder is not None and holder.casefold() == f.id.casefold():
                holder = None
        if holder is not None and holder != f.id:
            problems.append(
                _("{where}: codes: {scheme} {code} is already the code of {other}").format(
                    where=where, scheme=scheme, code=repr(code), other=repr(holder)
                )
            )
        codes[scheme, code] = f.id
    into = entry.facility.merged_into
    if into is not None and into not in stored.facilities and not any(e.facility.id == into for e in loaded.facilities):
        problems.append(
            _("{where}: merged_into: no facility {into} in the register or the files").format(
                where=where, into=repr(into)
            )
        )
    known = set(stored.requirements) | {r.requirement.id for r in loaded.requirements}
    for e in entry.facility.exceptions:
        if e.requirement not in known:
            problems.append(
                _("{where}: exceptions: no requirement {id} in the register or the files").format(
                    where=where, id=repr(e.requirement)
                )
            )
    return problems


def diff_load(
    loaded: LoadedFiles,
    stored: Stored,
    diff: LoadDiff,
    *,
    correct: bool,
    allow_similar: bool = False,
    batch: int | None = None,
) -> Iterator[tuple[Rows, Rows]]:
    """Work out what `loaded` changes in `stored`, filling `diff`; yield (facility rows, milestone rows)
    to write, a batch of facilities at a time. Nothing is ever deleted by a load, and a milestone date
    already recorded is replaced only with `correct`."""
    summary, events = diff.summary, diff.events
    batch = batch or Writer.BATCH
    if loaded.register is not None:
        given = {
            "name": json.dumps(loaded.register.name, ensure_ascii=False),
            "timezone": json.dumps(loaded.register.timezone, ensure_ascii=False),
            "notes": json.dumps(list(loaded.register.notes), ensure_ascii=False),
            "milestones": milestone_defs_json(loaded.register.milestones),
            "code_schemes": json.dumps(
                [{"id": c.id, "label": c.label, "pattern": c.pattern} for c in loaded.register.code_schemes],
                ensure_ascii=False,
            ),
        }
        for key in sorted(loaded.register_fields):
            new = given[key]
            if stored.meta.get(key) != new:
                events.append(
                    ("register", key, None, "updated" if key in stored.meta else "added", stored.meta.get(key), new)
                )
                summary.register_updated = True
    new_default = next((r.requirement.id for r in loaded.requirements if r.requirement.default), None)
    for r in (entry.requirement for entry in loaded.requirements):
        doc = requirement_doc(r)
        old = stored.requirements.get(r.id)
        if old is None:
            summary.requirements_added += 1
            events.append(("requirement", r.id, None, "added", None, doc))
        elif old != doc:
            summary.requirements_updated += 1
            events.append(("requirement", r.id, None, "updated", old, doc))
    if new_default is not None:
        given_ids = {e.requirement.id for e in loaded.requirements}
        for rid, doc in stored.requirements.items():
            if rid != new_default and json.loads(doc).get("default") and rid not in given_ids:
                d = json.loads(doc)
                d.pop("default")
                summary.requirements_updated += 1
                events.append(("requirement", rid, None, "updated", doc, canonical(d)))
    diff.facts = len(events)
    mentioned = set()
    put_facilities: Rows = []
    put_milestones: Rows = []
    stored_ids: dict[str, str] | None = None  # casefolded id → the id as the register has it, when first needed
    codes: dict[tuple[str, str], str] = {}  # (scheme, code) → the facility loaded with it
    schemes: dict[str, str] | None = None  # the code schemes in force, read when first needed
    for entry in loaded.facilities:
        f = entry.facility
        if f.id not in stored.facilities:  # ids are compared without regard to case: DO-LUONG is do-luong
            if stored_ids is None:
                stored_ids = {fid.casefold(): fid for fid in stored.facilities}
            same = stored_ids.get(f.id.casefold())
            if same is not None:
                f = replace(f, id=same)
        mentioned.add(f.id)
        old_row = stored.facilities.get(f.id)
        if old_row is not None and (f.has_life or old_row[8] or old_row[1] != f.name or old_row[5] != f.managed_by):
            f = _lived(facility_from_row(old_row), f, stored.today or date.today(), correct=correct)
        if entry.facility.codes or entry.facility.merged_into or entry.facility.exceptions:
            if schemes is None:
                schemes = _code_schemes(stored, loaded)
            diff.invalid.extend(_check_life(stored, loaded, entry, f, codes, schemes))
        row = facility_row(f)
        if old_row is None and not allow_similar and stored.facilities:
            _check_similar(stored, entry, f, diff)
        if old_row is None:
            summary.added += 1
            events.append(("facility", f.id, None, "added", None, row_doc(row, f.aliases)))
            put_facilities.append((*row, folded_names(f.name, (*f.aliases, *(n.value for n in f.former_names)))))
        elif tuple(old_row) != row:
            summary.updated += 1
            events.append(("facility", f.id, None, "updated", row_doc(tuple(old_row)), row_doc(row, f.aliases)))
            put_facilities.append((*row, folded_names(f.name, (*f.aliases, *(n.value for n in f.former_names)))))
        else:
            summary.unchanged += 1
        for m, reached in entry.milestones.items():
            value = milestone_value(reached)
            old = stored.milestones.get((f.id, m))
            if old != value and not implied(reached_from_value(old) if old else None, reached):
                action = milestone_action(reached_from_value(old) if old else None, reached)
                if action == "corrected" and not correct:
                    assert old is not None
                    diff.conflicts.append(
                        _(
                            "{file}:{line}: facility {id!r}: {milestone} is recorded as {old}; the file says {new}"
                        ).format(
                            file=entry.file,
                            line=entry.line,
                            id=f.id,
                            milestone=milestone_word(m),
                            old=reached_text(reached_from_value(old)),
                            new=reached_text(reached),
                        )
                    )
                    continue
                summary.milestones_recorded += 1
                summary.milestones_corrected += action == "corrected"
                events.append(("milestone", f.id, m, action, old, value))
                put_milestones.append(milestone_row(f.id, m, reached))
        diff.worked_out += 1
        if len(put_facilities) >= batch or diff.worked_out % batch == 0:  # a batch to write, or news of progress
            yield put_facilities, put_milestones
            put_facilities, put_milestones = [], []
    yield put_facilities, put_milestones  # the last batch (perhaps nothing to write: news of the end)
    summary.not_in_files = sum(1 for fid in stored.facilities if fid not in mentioned)


class _Rollback(Exception):
    """Raised inside a transaction to discard it (a dry run)."""


def load(
    conn: sqlite3.Connection,
    loaded: LoadedFiles,
    *,
    source: str,
    actor: str,
    dry_run: bool = False,
    correct: bool = False,
    allow_similar: bool = False,
    progress: Phases = NOBODY,
) -> LoadSummary:
    """Upsert what the files hold, in one transaction (none for a dry run); `progress` hears of the facilities
    written, then of the history recorded. A facility added under the name of one the register holds is refused
    unless the file says they differ or `allow_similar`."""
    summary = LoadSummary(dry_run=dry_run)
    large = not dry_run and len(loaded.facilities) >= Writer.BEHIND_FROM
    try:
        with direct_writes(conn) if large else nullcontext(), transaction(conn):
            _load(
                conn,
                loaded,
                summary,
                source=source,
                actor=actor,
                correct=correct,
                allow_similar=allow_similar,
                large=large,
                progress=progress,
            )
            if dry_run:
                raise _Rollback()
    except _Rollback:
        pass
    return summary


def _load(
    conn: sqlite3.Connection,
    loaded: LoadedFiles,
    summary: LoadSummary,
    *,
    source: str,
    actor: str,
    correct: bool,
    allow_similar: bool,
    large: bool,
    progress: Phases,
) -> None:
    diff = LoadDiff(summary)
    writing = not summary.dry_run
    progress.phase("write", len(loaded.facilities))
    written = 0
    # facility and milestone rows are written as they are worked out; a refusal rolls them back
    with Writer(conn, behind=large) as write:
        stored = Stored.read(conn)
        for facilities, milestones in diff_load(loaded, stored, diff, correct=correct, allow_similar=allow_similar):
            if writing and facilities:
                write.rows("facilities", FACILITY_COLUMNS + ", folded", facilities, replace=True)
            if writing and milestones:
                write.rows("milestones", MILESTONE_COLUMNS, milestones, replace=True)
            progress.advance(diff.worked_out - written)
            written = diff.worked_out
        if diff.similar or diff.invalid:
            raise Refused("\n".join([*diff.invalid, *diff.similar, _("Nothing was loaded.")]))
        if diff.conflicts:
            nothing = ngettext(
                "Nothing was loaded: to replace the recorded date with the file's, load again with --correct.",
                "Nothing was loaded: to replace the recorded dates with the file's, load again with --correct.",
                len(diff.conflicts),
            )
            raise Refused("\n".join([*diff.conflicts, nothing]))
        if diff.events and writing:
            progress.phase("history", len(diff.events))
            write.drain()
            facts = load_facts(
                source,
                summary.added,
                summary.updated,
                summary.requirements_added + summary.requirements_updated,
                summary.milestones_recorded,
            )
            change_id = history.new_change(conn, actor=actor, source=source, command="load", facts=facts)
            history.apply_events(diff.events[: diff.facts], write)
            history.append_events(conn, change_id, diff.events, write)
            progress.advance(len(diff.events))
            summary.change_id = change_id


def implied(known: Reached | None, new: Reached) -> bool:
    """Whether what is `known` already says `new`: a bound no earlier than a date or bound recorded (it says
    less, and recording it would lose what is known), unless it is the same bound with evidence of its own."""
    if known is None or new.exact or known.date > new.date:
        return False
    same = known.date == new.date and not known.exact
    return not same or new.source is None or new.source == known.source


def milestone_action(previous: Reached | None, new: Reached) -> str:
    """What recording `new` over `previous` is: "recorded" (nothing before), "refined" (what was known
    only as a bound, narrowed to a date or an earlier bound within it; or the same fact with evidence where it
    had none) or "corrected" (a different fact, or other evidence: needs the user's say-so)."""
    if previous is None:
        return "recorded"
    same = new.date == previous.date and new.exact == previous.exact
    if same:
        return "refined" if previous.source is None else "corrected"
    if not previous.exact and new.date <= previous.date:
        return "refined"
    return "corrected"


def reached_text(r: Reached) -> str:
    """A milestone's date in a sentence: "2025-09-24", or "on or before 2025-09-24"."""
    return fmt_date(r.date) if r.exact else _("on or before {date}").format(date=fmt_date(r.date))


def _when(r: Reached) -> str:
    """A milestone's date after a verb: "on 2025-08-20", or "on or before 2025-09-24"."""
    return _("on {date}").format(date=fmt_date(r.date)) if r.exact else reached_text(r)


def mark(
    conn: sqlite3.Connection,
    facilities: list[Facility],
    milestone: str,
    reached: Reached,
    *,
    actor: str,
    today: date,
    timezone: str,
    ref: str | None = None,
    note: str | None = None,
    correct: bool = False,
) -> list[MarkResult]:
    """Record a milestone for one or more facilities, as one change: the same fact again changes nothing,
    a different one needs `correct` (a bound narrowed does not), a date after `today` (in the register's
    `timezone`) is refused. Nothing is recorded when any facility is refused."""
    if reached.date > today:
        raise Refused(
            _(
                "{on} is in the future (today is {today} in {timezone}); a milestone is recorded once it has happened"
            ).format(on=fmt_date(reached.date), today=fmt_date(today), timezone=timezone)
        )
    value = milestone_value(reached)
    with transaction(conn):
        results: list[MarkResult] = []
        events: list[Event] = []
        # what is recorded, read once: of the one facility, or of every facility (--all may name thousands)
        if len(facilities) == 1:
            known = stored_milestone_values(
                conn, "WHERE facility_id = ? AND milestone = ?", (facilities[0].id, milestone)
            )
        else:
            known = stored_milestone_values(conn, "WHERE milestone = ?", (milestone,))
        for facility in facilities:
            old = known.get((facility.id, milestone))
            previous = reached_from_value(old) if old is not None else None
            if old == value or implied(previous, reached):
                results.append(MarkResult(facility, milestone, previous or reached, previous, changed=False))
                continue
            action = milestone_action(previous, reached)
            if action == "corrected" and not correct:
                assert previous is not None
                raise Refused(
                    _(
                        "{name} ({id}) already has {milestone} {previous}; "
                        "to record {on} instead, run the command again with --correct"
                    ).format(
                        name=facility.name,
                        id=facility.id,
                        milestone=milestone_word(milestone),
                        previous=_when(previous),
                        on=reached_text(reached),
                    )
                )
            events.append(("milestone", facility.id, milestone, action, old, value))
            results.append(MarkResult(facility, milestone, reached, previous, changed=True))
        if not events:
            return results
        changed = [r for r in results if r.changed]
        change_id = history.new_change(
            conn,
            actor=actor,
            source="cli",
            command=f"mark {milestone}",
            facts=mark_facts(
                milestone,
                changed[0].facility.id if len(changed) == 1 else len(changed),
                reached,
                changed[0].previous if len(changed) == 1 else None,
                "corrected" if any(e[3] == "corrected" for e in events) else events[0][3],
            ),
            ref=ref,
            note=note,
        )
        history.record(conn, change_id, events)
        for r in changed:
            r.change_id = change_id
    return results


def update_facility(
    conn: sqlite3.Connection,
    before: Facility,
    after: Facility,
    *,
    facts: dict[str, Any],
    actor: str,
    ref: str | None = None,
    note: str | None = None,
) -> int:
    """Record one facility's new facts (`after`) as one change; refused when someone changed the facility since
    it was read as `before` (nothing is recorded then)."""
    with transaction(conn):
        row = conn.execute(f"SELECT {FACILITY_COLUMNS} FROM facilities WHERE id = ?", (before.id,)).fetchone()
        old = row_doc(tuple(row)) if row is not None else None
        if old != row_doc(facility_row(before)):
            raise Refused(
                _("{id} was changed by someone else meanwhile: nothing was recorded; run the command again").format(
                    id=before.id
                )
            )
        new = facility_row(after)
        change_id = history.new_change(
            conn, actor=actor, source="cli", command=facts["command"], facts=facts, ref=ref, note=note
        )
        history.record(conn, change_id, [("facility", after.id, None, "updated", old, row_doc(new, after.aliases))])
    return change_id
