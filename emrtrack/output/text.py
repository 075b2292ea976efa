"""Labels and safe text shared by every output: names made harmless, the domain's words in the interface
language, whom a deadline applies to, and how report rows are grouped and titled.

Text from the register is never interpreted: control and direction-changing characters are shown escaped,
so a name cannot drive the terminal; Markdown and spreadsheets get their own escaping on top.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from emrtrack.i18n import N_, _, fmt_date, ngettext
from emrtrack.model import Requirement, Selector, Standing, State

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
    State.OVERDUE: N_("overdue"),
    State.NOT_YET_DUE: N_("not yet due"),
}


def ownership_label(ownership: str) -> str:
    return _(OWNERSHIP_LABELS[ownership]) if ownership in OWNERSHIP_LABELS else ownership


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def state_label(state: State) -> str:
    return _(STATE_LABELS[state])


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
    """A requirement's deadline, or each of its deadlines with whom it applies to."""
    if len(req.cohorts) == 1 and req.cohorts[0].selector.is_everything:
        return fmt_date(req.cohorts[0].deadline)
    return "; ".join(f"{fmt_date(c.deadline)} ({describe_cohort(c.selector, i)})" for i, c in enumerate(req.cohorts))


def days_phrase(deadline: date, as_of: date) -> str:
    """How far a deadline is from `as_of`: days left, due today, or days past."""
    delta = (deadline - as_of).days
    if delta > 0:
        return ngettext("{n} day left", "{n} days left", delta).format(n=delta)
    if delta == 0:
        return _("due today")
    return ngettext("{n} day past", "{n} days past", -delta).format(n=-delta)


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
    return {"ownership": s.facility.ownership, "kind": s.facility.kind}.get(group_by, "")


def group_label(key: str, group_by: str) -> str:
    """A group's key as a cell shows it: the ownership or the kind, as a label ("" for none)."""
    if group_by == "ownership":
        return ownership_label(key)
    if group_by == "kind":
        return kind_label(key)
    return ""


def group_title(key: str, group_by: str) -> str:
    """A group's title above its table: "Public", "Medical centre" ("" for none)."""
    return capitalised(group_label(key, group_by)) if group_by == "kind" else group_label(key, group_by)


def group_who(group_by: str, key: str, group: list[Standing]) -> str:
    """Who a group is, as the subject of a sentence: "Public hospitals", "Clinics", "Facilities"."""
    if group_by == "none":
        return _("Facilities")
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
