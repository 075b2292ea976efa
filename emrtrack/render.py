"""Results as people and programs read them: Rich tables, CSV, JSON and Markdown.

Nothing here touches the register or computes a state; it only presents what it is given.
Text from the register is never interpreted: Rich markup stays literal, and control and
direction-changing characters are shown escaped, so a name cannot drive the terminal.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from emrtrack.i18n import N_, _, fmt_date, fmt_number, milestone_label, milestone_word, ngettext
from emrtrack.model import MILESTONES, Facility, Requirement, Selection, Selector, Standing, State
from emrtrack.views import ChangeInfo, Counts, HistoryEntry, LoadSummary, MarkResult, RequirementStatus

if TYPE_CHECKING:  # Rich is imported by the functions that draw tables: other outputs start without it
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

# C0/C1 controls, DEL, and the Unicode characters that reorder or hide text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


OWNERSHIP_LABELS = {"public": N_("Public"), "non-public": N_("Non-public")}


def safe(text: str | None) -> str:
    """Text with every control or reordering character shown as an escape (e.g. \\x1b)."""
    if text is None:
        return ""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def cell(text: str | None) -> Text:
    from rich.text import Text

    return Text(safe(text))


def days_phrase(deadline: date, as_of: date) -> str:
    delta = (deadline - as_of).days
    if delta > 0:
        return ngettext("{n} day left", "{n} days left", delta).format(n=delta)
    if delta == 0:
        return _("due today")
    return ngettext("{n} day past", "{n} days past", -delta).format(n=-delta)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


# -- load and mark ---------------------------------------------------------------------------------
def load_summary(s: LoadSummary) -> str:
    lines = [_("Dry run: nothing was written. Loading would give:")] if s.dry_run else []
    lines += [
        _("Facilities: {added} added, {updated} updated, {unchanged} unchanged; "
          "{kept} in the register but not in these files (kept).").format(
            added=s.added, updated=s.updated, unchanged=s.unchanged, kept=s.not_in_files),
        _("Requirements: {added} added, {updated} updated.").format(
            added=s.requirements_added, updated=s.requirements_updated),
        (_("Milestones: {milestones} recorded, {corrected} of them corrected.").format(
            milestones=s.milestones_recorded, corrected=s.milestones_corrected) if s.milestones_corrected
         else _("Milestones: {milestones} recorded.").format(milestones=s.milestones_recorded)),
    ]
    if not s.changed and not s.dry_run:
        lines.append(_("Nothing changed; no history recorded."))
    elif s.change_id:
        lines.append(_("Recorded as change #{id}.").format(id=s.change_id))
    return "\n".join(lines)


def mark_result(r: MarkResult) -> str:
    who = f"{safe(r.facility.name)} ({r.facility.id})"
    values = {"who": who, "milestone": milestone_label(r.milestone), "date": fmt_date(r.date),
              "previous": fmt_date(r.previous), "change": r.change_id}
    if not r.changed:
        return _("Already recorded: {who} {milestone} on {date}. Nothing changed.").format(**values)
    if r.previous:
        return _("Corrected: {who} {milestone} on {date} (was {previous}). Change #{change}.").format(**values)
    return _("Recorded: {who} {milestone} on {date}. Change #{change}.").format(**values)


# -- status ----------------------------------------------------------------------------------------
def _counts_json(c: Counts) -> dict[str, Any]:
    return {"in_scope": c.in_scope, "deployed_on_time": c.deployed_on_time, "deployed_late": c.deployed_late,
            "overdue": c.overdue, "not_yet_due": c.not_yet_due, "compliance_pct": c.compliance_pct}


def requirement_json(r: Requirement) -> dict[str, Any]:
    return {"id": r.id, "title": r.title, "issuer": r.issuer, "issued": _iso(r.issued),
            "in_force": _iso(r.in_force), "deadline": _iso(r.final_deadline),
            "deadlines": [{"applies_to": c.selector.as_dict(), "deadline": _iso(c.deadline)} for c in r.cohorts],
            "applies_to": r.applies_to.as_dict(), "source": r.source, "refs": list(r.refs)}


def status_json(statuses: list[RequirementStatus], as_of: date, register_name: str | None,
                notes: tuple[str, ...]) -> str:
    doc = {
        "as_of": as_of.isoformat(),
        "register": register_name,
        "requirements": [
            {
                "id": s.requirement.id,
                "deadline": _iso(s.requirement.final_deadline),
                **_counts_json(s.total),
                "by_ownership": {o: _counts_json(c) for o, c in s.by_ownership.items()},
                "cohorts": [{"applies_to": c.selector.as_dict(), "deadline": _iso(c.deadline),
                             **_counts_json(c.counts)} for c in s.cohorts],
                "milestones": s.funnel,
                "data_age": {"oldest": _iso(s.oldest_data), "median": _iso(s.median_data),
                             "oldest_days": (as_of - s.oldest_data).days if s.oldest_data else None,
                             "median_days": (as_of - s.median_data).days if s.median_data else None,
                             "never_verified": s.never_verified},
            }
            for s in statuses
        ],
        "notes": list(notes),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _count_columns(table: Table) -> None:
    for name in (N_("In scope"), N_("On time"), N_("Late"), N_("Overdue"), N_("Not yet due"), N_("Compliance")):
        table.add_column(_(name), justify="right")


def _count_cells(c: Counts) -> list[str]:
    return [str(c.in_scope), str(c.deployed_on_time), str(c.deployed_late), str(c.overdue),
            str(c.not_yet_due), f"{fmt_number(c.compliance_pct)}%"]


def print_status(console: Console, statuses: list[RequirementStatus], as_of: date, register_name: str | None,
                 notes: tuple[str, ...]) -> None:
    from rich.table import Table
    from rich.text import Text

    title = _("{register}: status as of {date}").format(register=safe(register_name) or _("EMR register"),
                                                          date=fmt_date(as_of))
    table = Table(title=title, title_justify="left")
    table.add_column(_("Requirement"))
    table.add_column(_("Applies to"))
    table.add_column(_("Deadline"))
    table.add_column(_("Days"), justify="right")
    _count_columns(table)
    for s in statuses:
        for i, c in enumerate(s.cohorts):
            table.add_row(cell(s.requirement.id), describe_cohort(c.selector, i), fmt_date(c.deadline),
                          days_phrase(c.deadline, as_of), *_count_cells(c.counts))
    console.print(table)
    split = Table(title=_("By ownership"), title_justify="left")
    split.add_column(_("Requirement"))
    split.add_column(_("Ownership"))
    _count_columns(split)
    for s in statuses:
        for o, c in s.by_ownership.items():
            split.add_row(cell(s.requirement.id), ownership_label(o), *_count_cells(c))
    console.print(split)
    for s in statuses:
        funnel = " · ".join(f"{milestone_label(m)} {n}" for m, n in s.funnel.items())
        line = ngettext("{id}: milestones reached by {n} facility in scope: {funnel}.",
                        "{id}: milestones reached by {n} facilities in scope: {funnel}.",
                        s.total.in_scope).format(id=s.requirement.id, n=s.total.in_scope, funnel=funnel)
        if s.oldest_data and s.median_data:
            line = line + _(" Data last confirmed: oldest {oldest} ({oldest_days} days ago), "
                                 "median {median} ({median_days} days ago)").format(
                oldest=fmt_date(s.oldest_data), oldest_days=(as_of - s.oldest_data).days,
                median=fmt_date(s.median_data), median_days=(as_of - s.median_data).days)
            line += (_("; {n} never confirmed.").format(n=s.never_verified) if s.never_verified else ".")
        console.print(Text(safe(line)))
    if notes:
        console.print(Text(_("Notes:"), style="bold"))
        for note in notes:
            console.print(Text(f"- {safe(note)}"))


# -- report ----------------------------------------------------------------------------------------
REPORT_FIELDS = ("id", "name", "ownership", "kind", "deadline", "state", "days_overdue", "latest_milestone",
                 "verified", "deployed")


def standing_json(s: Standing) -> dict[str, Any]:
    return {"id": s.facility.id, "name": s.facility.name, "ownership": s.facility.ownership,
            "kind": s.facility.kind, "deadline": _iso(s.deadline), "state": s.state.value,
            "days_overdue": s.days_overdue, "latest_milestone": s.latest_milestone,
            "verified": _iso(s.facility.verified), "deployed": _iso(s.deployed)}


def write_report_json(out: IO[str], as_of: date, parts: list[tuple[Requirement, int, Iterator[Standing]]],
                      several: bool) -> None:
    """Stream the report as JSON; one requirement gives the documented object, `all` a list of them."""
    if several:
        out.write('{"as_of": %s, "reports": [' % json.dumps(as_of.isoformat()))
    for i, (req, count, rows) in enumerate(parts):
        if several and i:
            out.write(", ")
        head = {"requirement": requirement_json(req), "count": count}
        if not several:
            head = {"as_of": as_of.isoformat(), **head}
        out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "facilities": [')
        for j, s in enumerate(rows):
            out.write((",\n  " if j else "\n  ") + json.dumps(standing_json(s), ensure_ascii=False))
        out.write("\n]}")
    if several:
        out.write("]}")
    out.write("\n")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_report_csv(out: IO[str], parts: list[tuple[Requirement, int, Iterator[Standing]]]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("requirement", *REPORT_FIELDS))
    for req, _count, rows in parts:
        for s in rows:
            d = standing_json(s)
            writer.writerow([spreadsheet_safe(req.id)] + [spreadsheet_safe(d[k]) for k in REPORT_FIELDS])


# Only what would change the text where names appear (inside a list line): parentheses and
# underscores are common in facility names and stay as typed, since the list is pasted into letters.
_MD_SPECIAL = re.compile(r"([\\`*<>\[\]])")


def md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", safe(text))


def _group_key(s: Standing, group_by: str) -> str:
    return {"ownership": s.facility.ownership, "kind": s.facility.kind}.get(group_by, "")


def _group_title(key: str, group_by: str) -> str:
    if group_by == "ownership":
        return ownership_label(key)
    if group_by == "kind":
        label = kind_label(key)
        return label[:1].upper() + label[1:]
    return ""


def _grouped(rows: Iterable[Standing], group_by: str) -> Iterator[tuple[str, list[Standing]]]:
    current: str | None = None
    bucket: list[Standing] = []
    for s in rows:
        key = _group_key(s, group_by)
        if key != current and bucket:
            yield current or "", bucket
            bucket = []
        current = key
        bucket.append(s)
    if bucket:
        yield current or "", bucket


def _report_heading(req: Requirement, as_of: date, count: int, selection: Selection) -> str:
    overdue_only, due_within = selection.is_overdue, selection.days
    if overdue_only:
        text = ngettext("{n} facility overdue against {id} (deadline {deadlines}) as of {date}",
                        "{n} facilities overdue against {id} (deadline {deadlines}) as of {date}", count)
    elif due_within is not None:
        text = ngettext("{n} facility due within {days} days against {id} (deadline {deadlines}) as of {date}",
                        "{n} facilities due within {days} days against {id} (deadline {deadlines}) as of {date}",
                        count)
    else:
        text = ngettext("{n} facility in scope of {id} (deadline {deadlines}) as of {date}",
                        "{n} facilities in scope of {id} (deadline {deadlines}) as of {date}", count)
    return text.format(n=count, id=req.id, deadlines=deadlines_text(req), date=fmt_date(as_of), days=due_within)


KIND_LABELS = {"hospital": N_("hospital"), "medical-centre": N_("medical centre"),
               "specialised-centre": N_("specialised centre"), "clinic": N_("clinic"), "other": N_("other")}
STATE_LABELS = {State.DEPLOYED_ON_TIME: N_("deployed on time"), State.DEPLOYED_LATE: N_("deployed late"),
                State.OVERDUE: N_("overdue"), State.NOT_YET_DUE: N_("not yet due")}
_WHO = {
    ("ownership", "public", True): N_("Public hospitals"), ("ownership", "public", False): N_("Public facilities"),
    ("ownership", "non-public", True): N_("Non-public hospitals"),
    ("ownership", "non-public", False): N_("Non-public facilities"),
    ("kind", "hospital", True): N_("Hospitals"), ("kind", "medical-centre", True): N_("Medical centres"),
    ("kind", "specialised-centre", True): N_("Specialised centres"), ("kind", "clinic", True): N_("Clinics"),
    ("kind", "other", True): N_("Other facilities"),
}


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def state_label(state: State) -> str:
    return _(STATE_LABELS[state])


def ownership_label(ownership: str) -> str:
    return _(OWNERSHIP_LABELS[ownership]) if ownership in OWNERSHIP_LABELS else ownership


def describe_selector(selector: Selector) -> str:
    """Whom a deadline applies to, in the interface language."""
    parts = [" / ".join(ownership_label(o).lower() for o in selector.ownerships)] if selector.ownerships else []
    if selector.kinds:
        parts.append(" / ".join(kind_label(k) for k in selector.kinds))
    return " ".join(parts) if parts else _("all facilities")


def describe_cohort(selector: Selector, index: int) -> str:
    """Whom a requirement's index-th deadline applies to: a selector-less cohort after the first is the rest."""
    return describe_selector(selector) if index == 0 or not selector.is_everything else _("other facilities")


def deadlines_text(req: Requirement) -> str:
    if len(req.cohorts) == 1 and req.cohorts[0].selector.is_everything:
        return fmt_date(req.cohorts[0].deadline)
    return "; ".join(f"{fmt_date(c.deadline)} ({describe_cohort(c.selector, i)})" for i, c in enumerate(req.cohorts))


def _who(group_by: str, key: str, group: list[Standing]) -> str:
    if group_by == "none":
        return _("Facilities")
    hospitals = all(s.facility.kind == "hospital" for s in group)
    found = _WHO.get((group_by, key, hospitals if group_by == "ownership" else True))
    return _(found) if found else key


def selection_label(selection: Selection) -> str:
    overdue_only, due_within = selection.is_overdue, selection.days
    if overdue_only:
        return _("overdue (past the deadline, not deployed)")
    if due_within is not None:
        return _("not deployed, deadline within {days} days").format(days=due_within)
    return _("all in scope")


def write_report_markdown(out: IO[str], as_of: date, parts: list[tuple[Requirement, int, Iterator[Standing]]],
                          group_by: str, selection: Selection) -> None:
    """The list a dispatch carries: per requirement, grouped (public first) and numbered, ready to paste."""
    overdue_only, due_within = selection.is_overdue, selection.days
    for n, (req, count, rows) in enumerate(parts):
        if n:
            out.write("\n")
        out.write(_("Requirement **{id}**, deadline {deadlines}").format(
            id=md(req.id), deadlines=deadlines_text(req)))
        out.write(f": {md(req.title)}\n\n" if req.title else "\n\n")
        if overdue_only:
            lead = ngettext("As of {date}, {n} facility is past its deadline and has not yet deployed EMR.",
                            "As of {date}, {n} facilities are past their deadline and have not yet deployed EMR.",
                            count)
        elif due_within is not None:
            lead = ngettext("As of {date}, {n} facility has not yet deployed EMR and is due within {days} days.",
                            "As of {date}, {n} facilities have not yet deployed EMR and are due within {days} days.",
                            count)
        else:
            lead = ngettext("As of {date}, {n} facility is in scope.", "As of {date}, {n} facilities are in scope.",
                            count)
        out.write(lead.format(date=fmt_date(as_of), n=count, days=due_within) + "\n")
        for key, group in _grouped(rows, group_by):
            who = _who(group_by, key, group)
            if overdue_only:
                heading = _("{who} that have not yet deployed EMR ({n}):")
            elif due_within is not None:
                heading = _("{who} due to deploy EMR within {days} days ({n}):")
            else:
                heading = _("{who} ({n}):")
            out.write("\n" + heading.format(who=who, n=len(group), days=due_within) + "\n\n")
            for i, s in enumerate(group, 1):
                detail = kind_label(s.facility.kind) if group_by != "kind" else ""
                if s.state is State.OVERDUE:
                    more = ngettext("{n} day overdue", "{n} days overdue", s.days_overdue).format(n=s.days_overdue)
                elif due_within is not None:
                    left = (s.deadline - as_of).days
                    more = _("deadline {date}").format(date=fmt_date(s.deadline)) + ", " + (
                        _("due today") if left == 0 else
                        ngettext("{n} day left", "{n} days left", left).format(n=left))
                else:
                    more = state_label(s.state)
                detail = f"{detail}; {more}" if detail else more
                out.write(f"{i}. {md(s.facility.name)} ({detail})\n")


def print_report_table(console: Console, as_of: date, parts: list[tuple[Requirement, int, Iterator[Standing]]],
                       group_by: str, selection: Selection, limit: int | None) -> None:
    from rich.table import Table

    overdue_only, due_within = selection.is_overdue, selection.days
    from rich.text import Text

    for req, count, rows in parts:
        console.print(Text(safe(_report_heading(req, as_of, count, selection)), style="bold"))
        if not count:
            console.print(_("None.") if overdue_only or due_within is not None else _("No facility in scope."))
            continue
        shown = 0
        groups = list(_grouped(rows, group_by))
        truncated = limit is not None and count > sum(len(g) for _k, g in groups)
        for n, (key, group) in enumerate(groups, 1):
            size = (_("{n} shown").format(n=len(group)) if truncated and n == len(groups) else str(len(group)))
            title = f"{_group_title(key, group_by)} ({size})" if group_by != "none" else None

            def new_table(title: str | None = title) -> Table:
                table = Table(title=title, title_justify="left")
                table.add_column("#", justify="right")
                table.add_column(_("Facility"))
                table.add_column(_("Id"))
                if group_by != "ownership":
                    table.add_column(_("Ownership"))
                if group_by != "kind":
                    table.add_column(_("Kind"))
                table.add_column(_("Deadline"))
                if not overdue_only:
                    table.add_column(_("State"))
                table.add_column(_("Days left") if due_within is not None else _("Days overdue"), justify="right")
                table.add_column(_("Latest milestone"))
                table.add_column(_("Verified"))
                return table

            cells = []
            for i, s in enumerate(group, 1):
                latest = (f"{milestone_label(s.latest_milestone)} {fmt_date(s.latest_milestone_date)}"
                          if s.latest_milestone else _("none"))
                row = [str(i), cell(s.facility.name), cell(s.facility.id)]
                row += [ownership_label(s.facility.ownership)] if group_by != "ownership" else []
                row += [kind_label(s.facility.kind)] if group_by != "kind" else []
                row.append(fmt_date(s.deadline))
                if not overdue_only:
                    row.append(state_label(s.state))
                if due_within is not None:
                    days = str((s.deadline - as_of).days)
                else:
                    days = str(s.days_overdue) if s.state is State.OVERDUE else ""
                row += [days, latest, fmt_date(s.facility.verified) or _("never")]
                cells.append(row)
            print_rows(console, new_table, cells)
            shown += len(group)
        if limit is not None and count > shown:
            console.print(_("... and {n} more not shown (--limit {limit}). "
                            "Use --all to list every one, or --format csv or json for a file.").format(
                n=count - shown, limit=limit))


FAST_ROWS = 100


def print_rows(console: Console, new_table: Callable[[], Table], rows: list[list[str | Text]]) -> None:
    """Print a table exactly as Rich would, but fast for many rows.

    Rich lays out and renders each cell on its own, which takes seconds for ten thousand rows. Its
    layout depends only on each column's widest cell and longest word: so Rich renders the frame
    (title, header, borders, column widths) around two rows made of those cells, and every row is
    then written the same way by hand, with Rich wrapping only the cells too wide for their column.
    The hand-written form of the two sample rows must equal Rich's lines, else Rich renders all."""
    from rich.text import Text

    table = new_table()
    if len(rows) < FAST_ROWS or any(isinstance(c, Text) and c.spans for row in rows for c in row) \
            or any(isinstance(c, str) and ("[" in c or ":" in c) for row in rows for c in row):
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    from rich.cells import cell_len

    texts = [[c.plain if isinstance(c, Text) else c for c in row] for row in rows]
    sizes = [[cell_len(c) for c in row] for row in texts]
    ncols = len(table.columns)
    widest = [max(range(len(rows)), key=lambda r, j=j: sizes[r][j]) for j in range(ncols)]
    longest_word = [max(range(len(rows)), key=lambda r, j=j: max(map(cell_len, texts[r][j].split()), default=0))
                    for j in range(ncols)]
    samples = [[texts[r][j] for j, r in enumerate(widest)], [texts[r][j] for j, r in enumerate(longest_word)]]
    for sample in samples:
        table.add_row(*(Text(c) for c in sample))
    with console.capture() as capture:
        console.print(table)
    frame = capture.get().split("\n")
    top = next((line for line in frame if line.startswith("┏") and line.endswith("┓")), None)
    widths = [len(part) - 2 for part in top[1:-1].split("┳")] if top else []
    columns = table.columns

    def lines_of(row: list[str], row_sizes: list[int]) -> list[str]:
        cells: list[list[str]] = []
        for text, size, width, col in zip(row, row_sizes, widths, columns):
            if size <= width and "\n" not in text:
                pad = " " * (width - size)
                cells.append([f" {pad}{text} " if col.justify == "right" else f" {text}{pad} "])
            else:  # too wide for its column: Rich's own wrapping, as in the whole table
                wrapped = Text(text).wrap(console, width, justify=col.justify, overflow=col.overflow,
                                          no_wrap=bool(col.no_wrap))
                cells.append([f" {line.plain}{' ' * (width - cell_len(line.plain))} " for line in wrapped])
        height = max(len(c) for c in cells)
        return ["│" + "│".join(c[i] if i < len(c) else " " * (w + 2) for c, w in zip(cells, widths)) + "│"
                for i in range(height)]

    if len(widths) == ncols:
        mine = [line for sample in samples for line in lines_of(sample, [cell_len(c) for c in sample])]
        at = [i for i in range(len(frame) - len(mine) + 1) if frame[i:i + len(mine)] == mine]
    else:
        at = []
    if len(at) != 1:
        table = new_table()
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    out = console.file
    out.write("\n".join(frame[:at[0]]) + "\n")
    for start in range(0, len(rows), 1000):
        out.write("\n".join(line for i in range(start, min(start + 1000, len(rows)))
                            for line in lines_of(texts[i], sizes[i])) + "\n")
    out.write("\n".join(frame[at[0] + len(mine):]))
    out.flush()


# -- one facility, history, undo -----------------------------------------------------------------
_EVENT_TEXTS = {
    ("milestone", "recorded"): N_("{milestone} recorded: {date}"),
    ("milestone", "corrected"): N_("{milestone} corrected: {date}"),
    ("milestone", "recorded", "was"): N_("{milestone} recorded: {date} (was {previous})"),
    ("milestone", "corrected", "was"): N_("{milestone} corrected: {date} (was {previous})"),
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


def describe_event(e: HistoryEntry) -> str:
    if e.entity == "milestone":
        if e.new is None:
            key: tuple[str, ...] = ("milestone", "cleared")
        else:
            key = ("milestone", e.action, "was") if e.old else ("milestone", e.action)
        template = _EVENT_TEXTS.get(key)
        if template is None:
            return f"{e.milestone} {e.action}: {e.new}" + (f" (was {e.old})" if e.old else "")
        return _(template).format(milestone=milestone_word(e.milestone or ""), date=_iso_date(e.new),
                                  previous=_iso_date(e.old))
    if e.entity == "facility":
        if e.old and e.new:
            old, new = json.loads(e.old), json.loads(e.new)
            fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            return _(_EVENT_TEXTS["facility", "updated"]).format(fields=", ".join(fields))
        return _(_EVENT_TEXTS["facility", "added" if e.new else "removed"])
    template = _EVENT_TEXTS.get((e.entity, e.action))
    if template is None:
        return f"{e.entity} {e.key} {e.action}"
    return _(template).format(key=e.key)


def print_history(console: Console, events: list[HistoryEntry], title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for name in (N_("Change"), N_("Recorded (UTC)"), N_("Facility"), N_("What"), N_("By"), N_("Source"),
                 N_("Ref / note")):
        table.add_column(_(name))
    for e in events:
        facility = e.facility_name or e.key if e.entity in ("facility", "milestone") else ""
        refnote = " / ".join(x for x in (e.ref, e.note) if x)
        what = describe_event(e)
        if e.reverts is not None:
            what = _("undo of #{change}: {what}").format(change=e.reverts, what=what)
        table.add_row(f"#{e.change_id}", e.recorded_at.replace("T", " ").rstrip("Z"), cell(facility),
                      cell(what), cell(e.actor), cell(e.source), cell(refnote))
    console.print(table)


def history_json(events: list[HistoryEntry]) -> str:
    return json.dumps([{"event": e.event_id, "change": e.change_id, "recorded_at": e.recorded_at, "by": e.actor,
                        "source": e.source, "command": e.command, "reverts": e.reverts, "ref": e.ref, "note": e.note,
                        "entity": e.entity, "key": e.key, "milestone": e.milestone, "action": e.action,
                        "old": e.old, "new": e.new} for e in events], ensure_ascii=False, indent=2)


def describe_change(c: ChangeInfo) -> str:
    n = len(c.events)
    return ngettext("Change #{id}, recorded {at} UTC by {actor} ({command}, {source}): {summary}; {n} event.",
                    "Change #{id}, recorded {at} UTC by {actor} ({command}, {source}): {summary}; {n} events.", n
                    ).format(id=c.id, at=c.recorded_at.replace("T", " ").rstrip("Z"), actor=safe(c.actor),
                             command=c.command, source=safe(c.source), summary=safe(describe_summary(c.summary)), n=n)


_MARK_SUMMARY = re.compile(r"(\S+) (recorded|corrected) for (\S+): (\d{4}-\d{2}-\d{2})(?: \(was (\d{4}-\d{2}-\d{2})\))?\Z")
_LOAD_SUMMARY = re.compile(r"load of (.*): (\d+) facilities added, (\d+) updated"
                           r"(?:, (\d+) requirements added or updated)?(?:, (\d+) milestones recorded)?\Z", re.S)
_UNDO_SUMMARY = re.compile(r"undo of #(\d+): (.*)\Z", re.S)


def describe_summary(summary: str) -> str:
    """A change's summary as the register keeps it (in English), in the interface language."""
    from emrtrack import i18n

    if i18n.current() == "en":
        return summary
    m = _MARK_SUMMARY.match(summary)
    if m:
        milestone, action, fid, on, was = m.groups()
        text = (_("{milestone} corrected for {id}: {date}") if action == "corrected"
                else _("{milestone} recorded for {id}: {date}")).format(
            milestone=milestone_word(milestone or ""), id=fid, date=_iso_date(on))
        return text + (_(" (was {previous})").format(previous=_iso_date(was)) if was else "")
    m = _LOAD_SUMMARY.match(summary)
    if m:
        source, added, updated, requirements, milestones = m.groups()
        parts = [_("{n} facilities added").format(n=added), _("{n} updated").format(n=updated)]
        if requirements:
            parts.append(_("{n} requirements added or updated").format(n=requirements))
        if milestones:
            parts.append(_("{n} milestones recorded").format(n=milestones))
        return _("load of {source}: {parts}").format(source=source, parts=", ".join(parts))
    m = _UNDO_SUMMARY.match(summary)
    if m:
        return _("undo of #{id}: {summary}").format(id=m.group(1), summary=describe_summary(m.group(2)))
    return summary


def _as_of_date(when: date | None, as_of: date) -> str:
    """A date as known on `as_of`: a later one is shown as such."""
    if when is not None and when > as_of:
        return _("{date} (after {as_of})").format(date=fmt_date(when), as_of=fmt_date(as_of))
    return fmt_date(when)


def print_facility(console: Console, f: Facility, milestones: dict[str, date],
                   standings: list[tuple[Requirement, date | None, State | None, int]], as_of: date) -> None:
    from rich.table import Table

    table = Table(show_header=False, title=safe(f.name), title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for label, value in ((_("Id"), f.id), (_("Name"), f.name), (_("Aliases"), "; ".join(f.aliases) or _("none")),
                         (_("Ownership"), ownership_label(f.ownership)), (_("Kind"), kind_label(f.kind)),
                         (_("Managed by"), f.managed_by or ""), (_("Location"), f.location or ""),
                         (_("Verified"), _as_of_date(f.verified, as_of) or _("never"))):
        table.add_row(label, cell(value))
    for m in MILESTONES:
        label = milestone_label(m)
        table.add_row(label[:1].upper() + label[1:], _as_of_date(milestones.get(m), as_of) or _("not recorded"))
    console.print(table)
    states = Table(title=_("Standing as of {date}").format(date=fmt_date(as_of)), title_justify="left")
    for name in (N_("Requirement"), N_("Deadline"), N_("State"), N_("Days overdue")):
        states.add_column(_(name))
    for req, deadline, state, overdue in standings:
        if deadline is None or state is None:
            states.add_row(cell(req.id), "", _("not in scope"), "")
        else:
            states.add_row(cell(req.id), fmt_date(deadline), state_label(state), str(overdue) if overdue else "")
    console.print(states)
