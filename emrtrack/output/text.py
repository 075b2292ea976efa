"""Labels and safe text shared by every output: names made harmless, the domain's words in the interface
language (states worded for their obligation and document: "reached late", "behind plan"), whom a deadline
applies to, what is known of a date ("≤ 2025-09-24"), how report rows are grouped and titled, the status's
optional columns, and the lines that say why a list is short (timing a bound leaves unconfirmed).

Text from the register is never interpreted: control and direction-changing characters are shown escaped,
so a name cannot drive the terminal; Markdown and spreadsheets get their own escaping on top.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from emrtrack.i18n import N_, Labelled, _, fmt_date, fmt_int, milestone_label, ngettext
from emrtrack.model import DEPLOYED, Basis, Obligation, Reached, Requirement, Selector, Standing, State
from emrtrack.views import Counts, ObligationStatus, ReportPart, RequirementStatus, StatusView

# C0/C1 controls, DEL, and the Unicode characters that reorder or hide text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Only what would change the text where names appear (inside a list line): parentheses and
# underscores are common in facility names and stay as typed, since the list is pasted into letters.
_MD_SPECIAL = re.compile(r"([\\`*<>\[\]])")


def safe(text: str | None) -> str:
    """Text with every control or reordering character shown as an escape (e.g. \\x1b)."""
    if text is None:
        return ""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def md(text: str) -> str:
    """Safe text with the characters Markdown would act on escaped."""
    return _MD_SPECIAL.sub(r"\\\1", safe(text))


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def iso(d: date | None) -> str | None:
    """A date as machine formats write it (YYYY-MM-DD), or None."""
    return d.isoformat() if d else None


def capitalised(text: str) -> str:
    """The text with its first letter in upper case (the rest as it is)."""
    return text[:1].upper() + text[1:]


# -- the domain's words ----------------------------------------------------------------------------
OWNERSHIP_LABELS = {"public": N_("Public"), "non-public": N_("Non-public")}
KIND_LABELS = {
    "hospital": N_("hospital"),
    "medical-centre": N_("medical centre"),
    "specialised-centre": N_("specialised centre"),
    "clinic": N_("clinic"),
    "other": N_("other"),
}
STATE_LABELS = {
    State.DEPLOYED_ON_TIME: N_("deployed on time"),
    State.DEPLOYED_LATE: N_("deployed late"),
    State.DEPLOYED_UNCONFIRMED: N_("deployed, timing unconfirmed"),
    State.OVERDUE: N_("overdue"),
    State.NOT_YET_DUE: N_("not yet due"),
}
# Under an obligation for another milestone than `deployed`, the states reached say "reached".
_REACHED_LABELS = {
    State.DEPLOYED_ON_TIME: N_("reached on time"),
    State.DEPLOYED_LATE: N_("reached late"),
    State.DEPLOYED_UNCONFIRMED: N_("reached, timing unconfirmed"),
}
# Under a plan target, being late is being behind plan.
_PLAN_LABELS = {
    (State.OVERDUE, True): N_("behind plan"),
    (State.OVERDUE, False): N_("behind plan"),
    (State.DEPLOYED_LATE, True): N_("deployed behind plan"),
    (State.DEPLOYED_LATE, False): N_("reached behind plan"),
}


def ownership_label(ownership: str) -> str:
    return _(OWNERSHIP_LABELS[ownership]) if ownership in OWNERSHIP_LABELS else ownership


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def state_label(state: State, milestone: str = DEPLOYED, *, binding: bool = True) -> str:
    """A state as a report words it: under the obligation for `milestone`, of a binding document or of a
    plan target ("behind plan" rather than "overdue")."""
    deployed = milestone == DEPLOYED
    if not binding and (state, deployed) in _PLAN_LABELS:
        return _(_PLAN_LABELS[state, deployed])
    if not deployed and state in _REACHED_LABELS:
        return _(_REACHED_LABELS[state])
    return _(STATE_LABELS[state])


def state_text(state: State, milestone: str = DEPLOYED, *, binding: bool = True, days_late: int = 0) -> str:
    """A state with, for one reached late, by how many days: "deployed 5 days late"."""
    if state is not State.DEPLOYED_LATE or days_late <= 0:
        return state_label(state, milestone, binding=binding)
    if milestone == DEPLOYED:
        text = (
            ngettext("deployed {n} day late", "deployed {n} days late", days_late)
            if binding
            else ngettext("deployed {n} day behind plan", "deployed {n} days behind plan", days_late)
        )
    else:
        text = (
            ngettext("reached {n} day late", "reached {n} days late", days_late)
            if binding
            else ngettext("reached {n} day behind plan", "reached {n} days behind plan", days_late)
        )
    return text.format(n=fmt_int(days_late))


def standing_state(s: Standing) -> str:
    """A report row's state, worded for its obligation and document, with the days late."""
    if s.exceptions.exemption is not None:
        return _("exempt")
    return state_text(s.state, s.milestone, binding=s.binding, days_late=s.days_late)


def overdue_phrase(days: int, *, binding: bool = True) -> str:
    """How long past the deadline, in a list: "3 days overdue", or "3 days behind plan"."""
    if binding:
        return ngettext("{n} day overdue", "{n} days overdue", days).format(n=fmt_int(days))
    return ngettext("{n} day behind plan", "{n} days behind plan", days).format(n=fmt_int(days))


def document_kind(req: Requirement) -> str:
    """What a requirement is: a binding document, or a plan target."""
    return _("binding document") if req.binding else _("plan target")


def requirement_name(req: Requirement) -> str:
    """A requirement's id as a status row shows it, with "(plan target)" when it is one."""
    return req.id if req.binding else _("{id} (plan target)").format(id=req.id)


# -- what is known of a date -----------------------------------------------------------------------
def reached_cell(r: Reached | None) -> str:
    """A milestone's date in a cell: "2025-08-20", or "≤ 2025-09-24" when known only as on or before it."""
    if r is None:
        return ""
    return fmt_date(r.date) if r.exact else f"≤ {fmt_date(r.date)}"


def reached_phrase(r: Reached) -> str:
    """A milestone's date in a sentence: "2025-08-20", or "on or before 2025-09-24"."""
    return fmt_date(r.date) if r.exact else _("on or before {date}").format(date=fmt_date(r.date))


def milestone_named(milestone: str, vocabulary: Iterable[Labelled] = ()) -> str | None:
    """The label a report words an obligation's milestone with, None for `deployed` (its own words)."""
    return None if milestone == DEPLOYED else milestone_label(milestone, vocabulary)


def describe_selector(selector: Selector) -> str:
    """Whom a deadline applies to, in the interface language."""
    parts = [" / ".join(ownership_label(o).lower() for o in selector.ownerships)] if selector.ownerships else []
    if selector.kinds:
        parts.append(" / ".join(kind_label(k) for k in selector.kinds))
    if selector.facilities:
        n = len(selector.facilities)
        parts.append(ngettext("{n} named facility", "{n} named facilities", n).format(n=fmt_int(n)))
    return " ".join(parts) if parts else _("all facilities")


def describe_cohort(selector: Selector, index: int, applies_to: Selector | None = None) -> str:
    """Whom a requirement's index-th deadline applies to: a selector-less cohort after the first is the rest;
    the first, when its obligation applies to some facilities only (`applies_to`), is those."""
    if index and selector.is_everything:
        return _("other facilities")
    if selector.is_everything and applies_to is not None and not applies_to.is_everything:
        return describe_selector(applies_to)
    return describe_selector(selector)


def deadlines_text(req: Requirement, obligation: Obligation | None = None) -> str:
    """An obligation's (default: the principal one's) deadline, or each of its cohorts' deadlines with whom it
    applies to (the obligation's own scope goes without saying: the facilities listed are in it)."""
    o = obligation or req.principal
    cohorts = o.cohorts
    if len(cohorts) == 1 and cohorts[0].selector.is_everything:
        return fmt_date(cohorts[0].deadline)
    return "; ".join(
        f"{fmt_date(c.deadline)} ({describe_cohort(c.selector, i, o.applies_to)})" for i, c in enumerate(cohorts)
    )


def days_phrase(deadline: date, as_of: date) -> str:
    """How far a deadline is from `as_of`: days left, due today, or days past."""
    delta = (deadline - as_of).days
    if delta > 0:
        return ngettext("{n} day left", "{n} days left", delta).format(n=fmt_int(delta))
    if delta == 0:
        return _("due today")
    return ngettext("{n} day past", "{n} days past", -delta).format(n=fmt_int(-delta))


# -- groups of a report ----------------------------------------------------------------------------
_WHO = {
    ("ownership", "public", True): N_("Public hospitals"),
    ("ownership", "public", False): N_("Public facilities"),
    ("ownership", "non-public", True): N_("Non-public hospitals"),
    ("ownership", "non-public", False): N_("Non-public facilities"),
    ("kind", "hospital", True): N_("Hospitals"),
    ("kind", "medical-centre", True): N_("Medical centres"),
    ("kind", "specialised-centre", True): N_("Specialised centres"),
    ("kind", "clinic", True): N_("Clinics"),
    ("kind", "other", True): N_("Other facilities"),
}


def group_key(s: Standing, group_by: str) -> str:
    """The group a row falls in: its ownership, its kind, or "" for `--group-by none`."""
    if group_by == "managed-by":
        return s.facility.managed_by or ""
    return {"ownership": s.facility.ownership, "kind": s.facility.kind}.get(group_by, "")


def group_label(key: str, group_by: str) -> str:
    """A group's key as a cell shows it: the ownership or the kind, as a label ("" for none)."""
    if group_by == "ownership":
        return ownership_label(key)
    if group_by == "kind":
        return kind_label(key)
    if group_by == "managed-by":
        return key or _("managing body not recorded")
    return ""


def group_title(key: str, group_by: str) -> str:
    """A group's title above its table: "Public", "Medical centre" ("" for none)."""
    return capitalised(group_label(key, group_by)) if group_by != "ownership" else group_label(key, group_by)


def group_who(group_by: str, key: str, group: list[Standing]) -> str:
    """Who a group is, as the subject of a sentence: "Public hospitals", "Clinics", "Facilities"."""
    if group_by == "none":
        return _("Facilities")
    if group_by == "managed-by":
        return _("Facilities managed by {body}").format(body=key) if key else _("Facilities")
    hospitals = all(s.facility.kind == "hospital" for s in group)
    found = _WHO.get((group_by, key, hospitals if group_by == "ownership" else True))
    return _(found) if found else key


def grouped(rows: Iterable[Standing], group_by: str) -> Iterator[tuple[str, list[Standing]]]:
    """The rows (already in group order) as (key, rows) per group; one group for `--group-by none`."""
    current: str | None = None
    bucket: list[Standing] = []
    for s in rows:
        key = group_key(s, group_by)
        if key != current and bucket:
            yield current or "", bucket
            bucket = []
        current = key
        bucket.append(s)
    if bucket:
        yield current or "", bucket


def obligation_statuses(s: RequirementStatus) -> list[ObligationStatus]:
    """A requirement's counts per obligation (the principal one alone when the status has no others)."""
    return s.obligations or [ObligationStatus(s.requirement.principal, s.total, s.cohorts, s.by_ownership)]


# -- status --------------------------------------------------------------------------------------------
_COUNT_LABELS = (N_("In scope"), N_("On time"), N_("Late"), N_("Overdue"), N_("Not yet due"), N_("Compliance"))
_UNCONFIRMED_LABEL = N_("Unconfirmed")  # after "Late", when some facility's timing is unconfirmed


def count_labels(unconfirmed: bool) -> list[str]:
    """The headers of the counts, in the interface language; "Unconfirmed" among them when asked."""
    names = [_(name) for name in _COUNT_LABELS]
    if unconfirmed:
        names.insert(3, _(_UNCONFIRMED_LABEL))
    return names


def count_values(c: Counts, unconfirmed: bool) -> list[int]:
    """The counts in the order of `count_labels` (compliance apart)."""
    values = [c.in_scope, c.deployed_on_time, c.deployed_late, c.overdue, c.not_yet_due]
    if unconfirmed:
        values.insert(3, c.deployed_unconfirmed)
    return values


def status_layout(view: StatusView) -> tuple[bool, bool]:
    """Which of the optional columns a status shows: the milestone of each obligation (when a requirement
    sets another obligation than deployment) and the unconfirmed count (when some facility is so)."""
    obligations = [o for s in view.statuses for o in obligation_statuses(s)]
    milestones = any(o.obligation.milestone != DEPLOYED for o in obligations)
    unconfirmed = any(
        c.deployed_unconfirmed
        for o in obligations
        for c in (o.total, *(k.counts for k in o.cohorts), *o.by_ownership.values())
    )
    return milestones, unconfirmed


def plan_notes(view: StatusView) -> list[str]:
    """A line for each plan target a status shows: late on it is behind plan, not overdue."""
    return [
        _(
            "{id} is a plan target, not a binding document: the facilities counted overdue against it are behind plan."
        ).format(id=s.requirement.id)
        for s in view.statuses
        if not s.requirement.binding
    ]


# -- why a list is short ---------------------------------------------------------------------------
def unconfirmed_lines(
    part: ReportPart, vocabulary: Iterable[Labelled] = (), escape: Callable[[str], str] = safe
) -> list[str]:
    """One sentence per (bound, source) of a report part's facilities whose timing is unconfirmed: reached
    on or before a date past the deadline, with nothing to say whether on time. `escape` makes the source
    (text from the register) safe for the output."""
    req, o = part.requirement, part.covers
    deadlines = deadlines_text(req, o)
    named = milestone_named(o.milestone, vocabulary)
    milestone = None if named is None else escape(named)
    lines = []
    for bound, source, n in part.unconfirmed:
        when = _("on or before {date}").format(date=fmt_date(bound))
        if source:
            when = f"{when} ({escape(source)})"
        if milestone is None and req.binding:
            text = ngettext(
                "{n} facility deployed {when}: timing against the deadline {deadlines} unconfirmed.",
                "{n} facilities deployed {when}: timing against the deadline {deadlines} unconfirmed.",
                n,
            )
        elif milestone is None:
            text = ngettext(
                "{n} facility deployed {when}: timing against the target date {deadlines} unconfirmed.",
                "{n} facilities deployed {when}: timing against the target date {deadlines} unconfirmed.",
                n,
            )
        elif req.binding:
            text = ngettext(
                "{n} facility reached “{milestone}” {when}: timing against the deadline {deadlines} unconfirmed.",
                "{n} facilities reached “{milestone}” {when}: timing against the deadline {deadlines} unconfirmed.",
                n,
            )
        else:
            text = ngettext(
                "{n} facility reached “{milestone}” {when}: timing against the target date {deadlines} unconfirmed.",
                "{n} facilities reached “{milestone}” {when}: timing against the target date {deadlines} unconfirmed.",
                n,
            )
        lines.append(text.format(n=fmt_int(n), when=when, deadlines=deadlines, milestone=milestone))
    return lines


def basis_text(basis: Basis | None) -> str:
    """A document as a report cites it: "3500/SYT-NVY of 05/09/2025 (Sở Y tế Nghệ An)"."""
    if basis is None:
        return ""
    text = basis.ref
    if basis.date is not None:
        text = _("{ref} of {date}").format(ref=text, date=fmt_date(basis.date))
    if basis.issuer:
        text += f" ({basis.issuer})"
    return text
