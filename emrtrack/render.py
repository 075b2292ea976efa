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
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from emrtrack.model import Facility, Requirement, Standing, State
from emrtrack.register import ChangeInfo, Counts, HistoryEntry, LoadSummary, MarkResult, RequirementStatus

# C0/C1 controls, DEL, and the Unicode characters that reorder or hide text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
OWNERSHIP_LABELS = {"public": "Public", "non-public": "Non-public"}


def safe(text: str | None) -> str:
    """Text with every control or reordering character shown as an escape (e.g. \\x1b)."""
    if text is None:
        return ""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def cell(text: str | None) -> Text:
    return Text(safe(text))


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def days_phrase(deadline: date, as_of: date) -> str:
    delta = (deadline - as_of).days
    if delta > 0:
        return f"{plural(delta, 'day')} left"
    if delta == 0:
        return "due today"
    return f"{plural(-delta, 'day')} past"


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


# -- load and mark ---------------------------------------------------------------------------------
def load_summary(s: LoadSummary) -> str:
    head = "Dry run, nothing written. Would load" if s.dry_run else "Loaded"
    lines = [
        f"{head}: {s.added} facilities added, {s.updated} updated, {s.unchanged} unchanged; "
        f"{s.not_in_files} in the register but not in these files (kept).",
        f"Requirements: {s.requirements_added} added, {s.requirements_updated} updated. "
        f"Milestones recorded: {s.milestones_recorded}.",
    ]
    if not s.changed and not s.dry_run:
        lines.append("Nothing changed; no history recorded.")
    elif s.change_id:
        lines.append(f"Recorded as change #{s.change_id}.")
    return "\n".join(lines)


def mark_result(r: MarkResult) -> str:
    who = f"{safe(r.facility.name)} ({r.facility.id})"
    if not r.changed:
        return f"Already recorded: {who} {r.milestone} on {r.date}. Nothing changed."
    if r.previous:
        return f"Corrected: {who} {r.milestone} on {r.date} (was {r.previous}). Change #{r.change_id}."
    return f"Recorded: {who} {r.milestone} on {r.date}. Change #{r.change_id}."


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
    for name in ("In scope", "On time", "Late", "Overdue", "Not yet due", "Compliance"):
        table.add_column(name, justify="right")


def _count_cells(c: Counts) -> list[str]:
    return [str(c.in_scope), str(c.deployed_on_time), str(c.deployed_late), str(c.overdue),
            str(c.not_yet_due), f"{c.compliance_pct:.1f}%"]


def print_status(console: Console, statuses: list[RequirementStatus], as_of: date, register_name: str | None,
                 notes: tuple[str, ...]) -> None:
    title = f"{safe(register_name) or 'EMR register'}: status as of {as_of}"
    table = Table(title=title, title_justify="left")
    table.add_column("Requirement")
    table.add_column("Applies to")
    table.add_column("Deadline")
    table.add_column("Days", justify="right")
    _count_columns(table)
    for s in statuses:
        for c in s.cohorts:
            table.add_row(cell(s.requirement.id), c.selector.describe(), str(c.deadline),
                          days_phrase(c.deadline, as_of), *_count_cells(c.counts))
    console.print(table)
    split = Table(title="By ownership", title_justify="left")
    split.add_column("Requirement")
    split.add_column("Ownership")
    _count_columns(split)
    for s in statuses:
        for o, c in s.by_ownership.items():
            split.add_row(cell(s.requirement.id), OWNERSHIP_LABELS.get(o, o), *_count_cells(c))
    console.print(split)
    for s in statuses:
        funnel = " · ".join(f"{m.replace('-', ' ')} {n}" for m, n in s.funnel.items())
        line = f"{s.requirement.id}: milestones reached by {plural(s.total.in_scope, 'facility', 'facilities')} " \
               f"in scope: {funnel}."
        if s.oldest_data:
            line += (f" Data last confirmed: oldest {s.oldest_data} ({plural((as_of - s.oldest_data).days, 'day')} "
                     f"ago), median {s.median_data} ({plural((as_of - s.median_data).days, 'day')} ago)")
            line += f"; {s.never_verified} never confirmed." if s.never_verified else "."
        console.print(Text(safe(line)))
    if notes:
        console.print(Text("Notes:", style="bold"))
        for note in notes:
            console.print(Text(f"- {safe(note)}"))


# -- report ----------------------------------------------------------------------------------------
REPORT_FIELDS = ("id", "name", "ownership", "kind", "deadline", "state", "days_overdue", "latest_milestone",
                 "verified")


def standing_json(s: Standing) -> dict[str, Any]:
    return {"id": s.facility.id, "name": s.facility.name, "ownership": s.facility.ownership,
            "kind": s.facility.kind, "deadline": _iso(s.deadline), "state": s.state.value,
            "days_overdue": s.days_overdue, "latest_milestone": s.latest_milestone,
            "verified": _iso(s.facility.verified)}


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


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|])")


def md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", safe(text))


def _group_key(s: Standing, group_by: str) -> str:
    return {"ownership": s.facility.ownership, "kind": s.facility.kind}.get(group_by, "")


def _group_title(key: str, group_by: str) -> str:
    if group_by == "ownership":
        return OWNERSHIP_LABELS.get(key, key)
    if group_by == "kind":
        return key.replace("-", " ").capitalize()
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


def _report_heading(req: Requirement, as_of: date, count: int, overdue_only: bool) -> str:
    deadlines = ", ".join(f"{c.deadline} for {c.selector.describe()}" if not c.selector.is_everything
                          else str(c.deadline) for c in req.cohorts)
    what = "overdue" if overdue_only else "in scope"
    return (f"{plural(count, 'facility', 'facilities')} {what} against {req.id} "
            f"(deadline {deadlines}) as of {as_of}")


def write_report_markdown(out: IO[str], as_of: date, parts: list[tuple[Requirement, int, Iterator[Standing]]],
                          group_by: str, overdue_only: bool) -> None:
    for req, count, rows in parts:
        out.write(f"## {md(_report_heading(req, as_of, count, overdue_only))}\n\n")
        if req.title:
            out.write(f"{md(req.title)}\n\n")
        for key, group in _grouped(rows, group_by):
            if group_by != "none":
                out.write(f"### {md(_group_title(key, group_by))} ({len(group)})\n\n")
            for i, s in enumerate(group, 1):
                detail = s.facility.kind.replace("-", " ")
                if s.state is State.OVERDUE:
                    detail += f", {plural(s.days_overdue, 'day')} overdue"
                else:
                    detail += f", {s.state.label}"
                out.write(f"{i}. {md(s.facility.name)} ({detail})\n")
            out.write("\n")


def print_report_table(console: Console, as_of: date, parts: list[tuple[Requirement, int, Iterator[Standing]]],
                       group_by: str, overdue_only: bool, limit: int | None) -> None:
    for req, count, rows in parts:
        console.print(Text(safe(_report_heading(req, as_of, count, overdue_only)), style="bold"))
        if not count:
            console.print("None." if overdue_only else "No facility in scope.")
            continue
        shown = 0
        for key, group in _grouped(rows, group_by):
            title = f"{_group_title(key, group_by)} ({len(group)})" if group_by != "none" else None

            def new_table(title: str | None = title) -> Table:
                table = Table(title=title, title_justify="left")
                table.add_column("#", justify="right")
                table.add_column("Facility")
                table.add_column("Id")
                if group_by != "ownership":
                    table.add_column("Ownership")
                if group_by != "kind":
                    table.add_column("Kind")
                table.add_column("Deadline")
                if not overdue_only:
                    table.add_column("State")
                table.add_column("Days overdue", justify="right")
                table.add_column("Latest milestone")
                table.add_column("Verified")
                return table

            cells = []
            for i, s in enumerate(group, 1):
                latest = f"{s.latest_milestone} {s.latest_milestone_date}" if s.latest_milestone else "none"
                row = [str(i), cell(s.facility.name), cell(s.facility.id)]
                row += [s.facility.ownership] if group_by != "ownership" else []
                row += [s.facility.kind] if group_by != "kind" else []
                row.append(str(s.deadline))
                if not overdue_only:
                    row.append(s.state.label)
                row += [str(s.days_overdue) if s.state is State.OVERDUE else "", latest,
                        str(s.facility.verified or "never")]
                cells.append(row)
            print_rows(console, new_table, cells)
            shown += len(group)
        if limit is not None and count > shown:
            console.print(f"... and {count - shown} more not shown (--limit {limit}). "
                          "Use --all to list every one, or --format csv or json for a file.")


FAST_ROWS = 100


def print_rows(console: Console, new_table: Callable[[], Table], rows: list[list[str | Text]]) -> None:
    """Print a table exactly as Rich would, but fast for many rows.

    Rich lays out and renders each cell on its own, which takes seconds for ten thousand rows. Its
    layout depends only on each column's widest cell and longest word: so Rich renders the frame
    (title, header, borders, column widths) around two rows made of those cells, and every row is
    then written the same way by hand, with Rich wrapping only the cells too wide for their column.
    The hand-written form of the two sample rows must equal Rich's lines, else Rich renders all."""
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
def describe_event(e: HistoryEntry) -> str:
    if e.entity == "milestone":
        if e.new is None:
            return f"{e.milestone} cleared (was {e.old})"
        return f"{e.milestone} {e.action}: {e.new}" + (f" (was {e.old})" if e.old else "")
    if e.entity == "facility":
        if e.old and e.new:
            old, new = json.loads(e.old), json.loads(e.new)
            fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            return "facility updated: " + ", ".join(fields)
        return f"facility {'added' if e.new else 'removed'}"
    if e.entity == "requirement":
        return f"requirement {e.key} {e.action}"
    return f"register {e.key} {e.action}"


def print_history(console: Console, events: list[HistoryEntry], title: str) -> None:
    table = Table(title=title, title_justify="left")
    for name in ("Change", "Recorded (UTC)", "Facility", "What", "By", "Source", "Ref / note"):
        table.add_column(name)
    for e in events:
        facility = e.facility_name or e.key if e.entity in ("facility", "milestone") else ""
        refnote = " / ".join(x for x in (e.ref, e.note) if x)
        table.add_row(f"#{e.change_id}", e.recorded_at.replace("T", " ").rstrip("Z"), cell(facility),
                      cell(describe_event(e)), cell(e.actor), cell(e.source), cell(refnote))
    console.print(table)


def history_json(events: list[HistoryEntry]) -> str:
    return json.dumps([{"event": e.event_id, "change": e.change_id, "recorded_at": e.recorded_at, "by": e.actor,
                        "source": e.source, "command": e.command, "ref": e.ref, "note": e.note,
                        "entity": e.entity, "key": e.key, "milestone": e.milestone, "action": e.action,
                        "old": e.old, "new": e.new} for e in events], ensure_ascii=False, indent=2)


def describe_change(c: ChangeInfo) -> str:
    return (f"Change #{c.id}, recorded {c.recorded_at.replace('T', ' ').rstrip('Z')} UTC by {safe(c.actor)} "
            f"({c.command}, {safe(c.source)}): {safe(c.summary)}; {plural(len(c.events), 'event')}.")


def print_facility(console: Console, f: Facility, milestones: dict[str, date],
                   standings: list[tuple[Requirement, date | None, State | None, int]], as_of: date) -> None:
    table = Table(show_header=False, title=safe(f.name), title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for label, value in (("Id", f.id), ("Name", f.name), ("Aliases", "; ".join(f.aliases) or "none"),
                         ("Ownership", f.ownership), ("Kind", f.kind), ("Managed by", f.managed_by or ""),
                         ("Location", f.location or ""), ("Verified", str(f.verified or "never"))):
        table.add_row(label, cell(value))
    for m in ("appraised", "deployed", "annex-signed"):
        table.add_row(m.replace("-", " ").capitalize(), str(milestones.get(m, "not recorded")))
    console.print(table)
    states = Table(title=f"Standing as of {as_of}", title_justify="left")
    for name in ("Requirement", "Deadline", "State", "Days overdue"):
        states.add_column(name)
    for req, deadline, state, overdue in standings:
        if deadline is None or state is None:
            states.add_row(cell(req.id), "", "not in scope", "")
        else:
            states.add_row(cell(req.id), str(deadline), state.label, str(overdue) if overdue else "")
    console.print(states)
