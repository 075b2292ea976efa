"""Rich tables for people: one facility (its facts, milestones as known, standing under each obligation and
history), and the register's history. Drawn like the others (output.tables)."""

from __future__ import annotations

from datetime import date
from typing import IO, TYPE_CHECKING

from emrtrack.i18n import N_, _, fmt_date, milestone_label
from emrtrack.model import DEPLOYED, MilestoneDef, Reached, State
from emrtrack.output.messages import describe_event
from emrtrack.output.tables import cell, make_console
from emrtrack.output.text import (
    capitalised,
    kind_label,
    ownership_label,
    reached_phrase,
    requirement_name,
    safe,
    state_text,
)
from emrtrack.views import HistoryEntry, HistoryView, ShowView

if TYPE_CHECKING:
    from rich.console import Console

_HISTORY_LABELS = (
    N_("Change"),
    N_("Recorded (UTC)"),
    N_("Facility"),
    N_("What"),
    N_("By"),
    N_("Source"),
    N_("Ref / note"),
)


def _print_history(
    console: Console, events: list[HistoryEntry], title: str, vocabulary: tuple[MilestoneDef, ...] = ()
) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for name in _HISTORY_LABELS:
        table.add_column(_(name))
    for e in events:
        facility = e.facility_name or e.key if e.entity in ("facility", "milestone") else ""
        refnote = " / ".join(x for x in (e.ref, e.note) if x)
        what = describe_event(e, vocabulary)
        if e.reverts is not None:
            what = _("undo of #{change}: {what}").format(change=e.reverts, what=what)
        table.add_row(
            f"#{e.change_id}",
            e.recorded_at.replace("T", " ").rstrip("Z"),
            cell(facility),
            cell(what),
            cell(e.actor),
            cell(e.source),
            cell(refnote),
        )
    console.print(table)


def write_history_table(view: HistoryView, out: IO[str]) -> None:
    """The events, newest first, of one facility or of the register; and a line if older ones were left out."""
    title = (
        _("History of {name}, newest first").format(name=safe(view.facility.name))
        if view.facility
        else _("History of the register, newest first")
    )
    console = make_console(out)
    _print_history(console, view.events, title, view.milestones)
    if view.more:
        console.print(_("Older events are not shown: see more with --limit {n}.").format(n=view.limit * 5))


def _as_of_date(when: date | None, as_of: date) -> str:
    """A date as known on `as_of`: a later one is shown as such."""
    if when is not None and when > as_of:
        return _("{date} (after {as_of})").format(date=fmt_date(when), as_of=fmt_date(as_of))
    return fmt_date(when)


def _milestone_value(r: Reached | None, as_of: date) -> str:
    """A milestone as `show` says it: its date, or "on or before" its date, a later one said to be so, and
    the source of the date."""
    if r is None:
        return _("not recorded")
    text = reached_phrase(r)
    if r.date > as_of:
        text = _("{date} (after {as_of})").format(date=text, as_of=fmt_date(as_of))
    return _("{date}; source: {source}").format(date=text, source=r.source) if r.source else text


def write_facility_table(view: ShowView, out: IO[str]) -> None:
    """One facility: its facts and milestones, its standing under each requirement, and its history."""
    from rich.table import Table

    console, f, as_of = make_console(out), view.facility, view.as_of
    vocabulary = view.milestone_defs
    table = Table(show_header=False, title=safe(f.name), title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for label, value in (
        (_("Id"), f.id),
        (_("Name"), f.name),
        (_("Aliases"), "; ".join(f.aliases) or _("none")),
        (_("Ownership"), ownership_label(f.ownership)),
        (_("Kind"), kind_label(f.kind)),
        (_("Managed by"), f.managed_by or ""),
        (_("Location"), f.location or ""),
        (_("Verified"), _as_of_date(f.verified, as_of) or _("never")),
    ):
        table.add_row(label, cell(value))
    known = [m.id for m in vocabulary]
    for m in known + [m for m in view.milestones if m not in known]:
        table.add_row(
            cell(capitalised(milestone_label(m, vocabulary))), cell(_milestone_value(view.milestones.get(m), as_of))
        )
    console.print(table)
    with_milestone = any(o.milestone != DEPLOYED for _r, o, _d, _s, _n in view.standings)
    states = Table(title=_("Standing as of {date}").format(date=fmt_date(as_of)), title_justify="left")
    states.add_column(_("Requirement"))
    if with_milestone:
        states.add_column(_("Milestone"))
    for name in (N_("Deadline"), N_("State"), N_("Days overdue")):
        states.add_column(_(name))
    for req, obligation, deadline, state, days in view.standings:
        named = [cell(milestone_label(obligation.milestone, vocabulary))] if with_milestone else []
        if deadline is None or state is None:
            states.add_row(cell(requirement_name(req)), *named, "", _("not in scope"), "")
            continue
        late = days if state is State.DEPLOYED_LATE else 0
        states.add_row(
            cell(requirement_name(req)),
            *named,
            fmt_date(deadline),
            state_text(state, obligation.milestone, binding=req.binding, days_late=late),
            str(days) if state is State.OVERDUE and days else "",
        )
    console.print(states)
    _print_history(console, view.history, _("History, newest first"), vocabulary)
