"""Rich tables for people: one facility (its facts, milestones as known, standing under each obligation and
history), and the register's history. Drawn like the others (output.tables)."""

from __future__ import annotations

from datetime import date
from typing import IO, TYPE_CHECKING

from emrtrack.i18n import N_, _, fmt_date, fmt_int, fmt_offset, fmt_time, milestone_label
from emrtrack.model import DEFAULT_TIMEZONE, DEPLOYED, MilestoneDef, Reached, State
from emrtrack.output.life import life_facts
from emrtrack.output.messages import describe_event
from emrtrack.output.tables import STATUS_BLOCKS, cell, fit_all, fit_columns, heading, make_console
from emrtrack.output.text import (
    capitalised,
    kind_label,
    ownership_label,
    reached_phrase,
    requirement_name,
    safe,
    state_text,
)
from emrtrack.rules import local_time
from emrtrack.views import HistoryEntry, HistoryView, ShowView

if TYPE_CHECKING:
    from rich.console import Console

_HISTORY_LABELS = (
    N_("Change"),
    N_("Recorded"),
    N_("Facility"),
    N_("What"),
    N_("By"),
    N_("Source"),
    N_("Ref / note"),
)


def _print_history(
    console: Console,
    events: list[HistoryEntry],
    title: str,
    vocabulary: tuple[MilestoneDef, ...] = (),
    timezone: str = DEFAULT_TIMEZONE,
) -> None:
    """The events as a table; on a terminal too narrow for its columns, one block per event. Times are shown
    in the register's time zone, its offset in the heading (and beside a time whose offset differs)."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    rows: list[list[str]] = []
    zone = fmt_offset(local_time(events[0].recorded_at, timezone)) if events else ""
    for e in events:
        facility = e.facility_name or e.key if e.entity in ("facility", "milestone") else ""
        refnote = " / ".join(x for x in (e.ref, e.note) if x)
        what = describe_event(e, vocabulary)
        if e.reverts is not None:
            what = _("undo of #{change}: {what}").format(change=e.reverts, what=what)
        moment = local_time(e.recorded_at, timezone)
        when = fmt_time(moment) + ("" if fmt_offset(moment) == zone else f" {fmt_offset(moment)}")
        rows.append([f"#{e.change_id}", when, *map(safe, (facility, what, e.actor, e.source, refnote))])
    headers = [_(name) for name in _HISTORY_LABELS]
    if zone:
        headers[1] = _("Recorded ({zone})").format(zone=zone)
    whole = [True, True, *[False] * 5]  # the change and the time never wrap
    fits, _widths = fit_all(console.width, headers, [[safe(c) for c in r] for r in rows], whole)
    if console.width >= STATUS_BLOCKS and fits:
        table = Table(title=heading(title), title_justify="left")
        for i, name in enumerate(headers):  # Rich shares the room: the wrapping columns give way, at words
            table.add_column(cell(name), no_wrap=whole[i], overflow="fold")
        for row in rows:
            table.add_row(row[0], row[1], *map(cell, row[2:]))
        console.print(table)
        return
    console.print(Text(title, style="bold"))  # a narrow terminal: one block per event, of label: value lines
    for row in rows:
        console.print()
        console.print(Text(f"{row[0]} · {row[1]} ({zone})", style="bold"))
        for label, value in zip(_HISTORY_LABELS[2:], row[2:], strict=True):
            if value:
                line = _("{label}: {value}").format(label=_(label), value=value)
                console.print(Padding(Text(line), (0, 0, 0, 2), expand=False))


def write_history_table(view: HistoryView, out: IO[str]) -> None:
    """The events, newest first, of one facility or of the register; and a line if older ones were left out."""
    title = (
        _("History of {name}, newest first").format(name=safe(view.facility.name))
        if view.facility
        else _("History of the register, newest first")
    )
    console = make_console(out)
    _print_history(console, view.events, title, view.milestones, view.timezone)
    if view.more:
        console.print(cell(_("Older events are not shown: see more with --limit {n}.").format(n=view.limit * 5)))


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
    facts: list[tuple[str, str]] = []
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
        facts.append((label, value))
    facts += life_facts(f, as_of)  # codes, opening, closing, merge, earlier names, exceptions, withdrawal
    known = [m.id for m in vocabulary]
    for m in known + [m for m in view.milestones if m not in known]:
        facts.append((capitalised(milestone_label(m, vocabulary)), _milestone_value(view.milestones.get(m), as_of)))
    texts = [[safe(label), safe(value)] for label, value in facts]
    _keep, widths = fit_columns(console.width, ["", ""], texts, [None, None], [False, False], {0: 24})
    table = Table(show_header=False, title=heading(f.name), title_justify="left")
    table.add_column("field", style="bold", width=widths[0] if widths else None, overflow="fold")
    table.add_column("value", width=widths[1] if widths else None, overflow="fold")
    for label, value in facts:
        table.add_row(cell(label), cell(value))
    console.print(table)
    with_milestone = any(o.milestone != DEPLOYED for _r, o, _d, _s, _n in view.standings)
    standing_title = _("Standing as of {date}").format(date=fmt_date(as_of))
    if console.width < STATUS_BLOCKS:  # a narrow terminal: one block per requirement and obligation
        _standing_blocks(console, view, standing_title, with_milestone)
        console.print()
        _print_history(console, view.history, _("History, newest first"), vocabulary, view.timezone)
        return
    states = Table(title=heading(standing_title), title_justify="left")
    states.add_column(cell(_("Requirement")))
    if with_milestone:
        states.add_column(cell(_("Milestone")))
    for name in (N_("Deadline"), N_("State"), N_("Days overdue")):
        states.add_column(cell(_(name)))
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
            fmt_int(days) if state is State.OVERDUE and days else "",
        )
    console.print(states)
    _print_history(console, view.history, _("History, newest first"), vocabulary, view.timezone)


def _standing_blocks(console: Console, view: ShowView, title: str, with_milestone: bool) -> None:
    """A facility's standing on a narrow terminal: a block of label: value lines per requirement and obligation."""
    from rich.padding import Padding
    from rich.text import Text

    console.print(Text(title, style="bold"))
    for req, obligation, deadline, state, days in view.standings:
        head = requirement_name(req)
        if with_milestone:
            head = f"{head} · {milestone_label(obligation.milestone, view.milestone_defs)}"
        console.print()
        console.print(Text(safe(head), style="bold"))
        if deadline is None or state is None:
            lines = [(N_("State"), _("not in scope"))]
        else:
            late = days if state is State.DEPLOYED_LATE else 0
            lines = [
                (N_("Deadline"), fmt_date(deadline)),
                (N_("State"), state_text(state, obligation.milestone, binding=req.binding, days_late=late)),
            ]
            if state is State.OVERDUE and days:
                lines.append((N_("Days overdue"), fmt_int(days)))
        for label, value in lines:
            line = _("{label}: {value}").format(label=_(label), value=value)
            console.print(Padding(Text(line), (0, 0, 0, 2), expand=False))
