"""How the outputs word a report's Selection (all in scope, the overdue, or those due within some days): its
headings, lead sentences and column labels, in the interface language; for plan targets ("behind plan") and
for obligations other than deployment ("report submitted by …")."""

from __future__ import annotations

from datetime import date

from emrtrack.i18n import _, fmt_date, fmt_int, ngettext
from emrtrack.model import Selection, Standing, State
from emrtrack.views import ExceptionCounts


# Each takes what the report covers: `binding` False for a plan target (late on it is "behind plan",
# not "overdue"), and `milestone`, the label of the obligation's milestone when it is not `deployed`
# (None: the words of deployment). Their defaults word a binding document's deployment deadline.
def label(selection: Selection, *, binding: bool = True, milestone: str | None = None) -> str:
    """Which facilities are listed, as a spreadsheet's header block says it."""
    if selection.is_overdue:
        if binding:
            text = (
                _("overdue (past the deadline, not deployed)")
                if milestone is None
                else _("overdue (past the deadline, “{milestone}” not reached)")
            )
        else:
            text = (
                _("behind plan (past the target date, not deployed)")
                if milestone is None
                else _("behind plan (past the target date, “{milestone}” not reached)")
            )
        return text.format(milestone=milestone)
    if selection.is_due_within:
        text = (
            _("not deployed, deadline within {days} days")
            if milestone is None
            else _("“{milestone}” not reached, deadline within {days} days")
        )
        return text.format(days=selection.days, milestone=milestone)
    if selection.is_broken_commitments:
        return _("past the date they committed to, not yet done")
    if selection.is_exempt:
        return _("exempt on the day")
    return _("all in scope")


def due(deadlines: str, *, binding: bool = True, milestone: str | None = None) -> str:
    """What a report is against, after its requirement: "deadline 2025-08-31", "target date 2026-12-31",
    or with the milestone named, "annex signed by 2025-12-31"."""
    if milestone is None:
        text = _("deadline {deadlines}") if binding else _("target date {deadlines}")
    else:
        text = _("{milestone} by {deadlines}") if binding else _("{milestone} by the target date {deadlines}")
    return text.format(deadlines=deadlines, milestone=milestone)


def heading(
    selection: Selection,
    count: int,
    requirement: str,
    deadlines: str,
    as_of: date,
    *,
    binding: bool = True,
    milestone: str | None = None,
) -> str:
    """A report's heading: how many facilities are listed against the requirement, as of a date;
    `milestone` names the obligation covered (None: the deadlines alone)."""
    if selection.is_overdue:
        if binding:
            text = ngettext(
                "{n} facility overdue against {id} ({due}) as of {date}",
                "{n} facilities overdue against {id} ({due}) as of {date}",
                count,
            )
        else:
            text = ngettext(
                "{n} facility behind plan against {id} ({due}) as of {date}",
                "{n} facilities behind plan against {id} ({due}) as of {date}",
                count,
            )
    elif selection.is_due_within:
        text = ngettext(
            "{n} facility due within {days} days against {id} ({due}) as of {date}",
            "{n} facilities due within {days} days against {id} ({due}) as of {date}",
            count,
        )
    elif selection.is_broken_commitments:
        text = ngettext(
            "{n} facility past the date it committed to under {id} ({due}) as of {date}",
            "{n} facilities past the date they committed to under {id} ({due}) as of {date}",
            count,
        )
    elif selection.is_exempt:
        text = ngettext(
            "{n} facility exempt from {id} ({due}) as of {date}",
            "{n} facilities exempt from {id} ({due}) as of {date}",
            count,
        )
    else:
        text = ngettext(
            "{n} facility in scope of {id} ({due}) as of {date}",
            "{n} facilities in scope of {id} ({due}) as of {date}",
            count,
        )
    against = due(deadlines, binding=binding, milestone=milestone)
    return text.format(n=fmt_int(count), id=requirement, due=against, date=fmt_date(as_of), days=selection.days)


def lead(selection: Selection, count: int, as_of: date, *, binding: bool = True, milestone: str | None = None) -> str:
    """The sentence a dispatch's list opens with: how many facilities, as of a date."""
    if selection.is_overdue and binding and milestone is None:
        text = ngettext(
            "As of {date}, {n} facility is past its deadline and has not yet deployed EMR.",
            "As of {date}, {n} facilities are past their deadline and have not yet deployed EMR.",
            count,
        )
    elif selection.is_overdue and binding:
        text = ngettext(
            "As of {date}, {n} facility is past its deadline and has not yet reached “{milestone}”.",
            "As of {date}, {n} facilities are past their deadline and have not yet reached “{milestone}”.",
            count,
        )
    elif selection.is_overdue and milestone is None:
        text = ngettext(
            "As of {date}, {n} facility is behind plan: past its target date, it has not yet deployed EMR.",
            "As of {date}, {n} facilities are behind plan: past their target date, they have not yet deployed EMR.",
            count,
        )
    elif selection.is_overdue:
        text = ngettext(
            "As of {date}, {n} facility is behind plan: past its target date, it has not yet reached “{milestone}”.",
            "As of {date}, {n} facilities are behind plan: past their target date, they have not yet "
            "reached “{milestone}”.",
            count,
        )
    elif selection.is_due_within and milestone is None:
        text = ngettext(
            "As of {date}, {n} facility has not yet deployed EMR and is due within {days} days.",
            "As of {date}, {n} facilities have not yet deployed EMR and are due within {days} days.",
            count,
        )
    elif selection.is_due_within:
        text = ngettext(
            "As of {date}, {n} facility has not yet reached “{milestone}” and is due within {days} days.",
            "As of {date}, {n} facilities have not yet reached “{milestone}” and are due within {days} days.",
            count,
        )
    elif selection.is_broken_commitments:
        text = ngettext(
            "As of {date}, {n} facility is past the date it committed to and has not yet done it.",
            "As of {date}, {n} facilities are past the date they committed to and have not yet done it.",
            count,
        )
    elif selection.is_exempt:
        text = ngettext("As of {date}, {n} facility is exempt.", "As of {date}, {n} facilities are exempt.", count)
    else:
        text = ngettext("As of {date}, {n} facility is in scope.", "As of {date}, {n} facilities are in scope.", count)
    return text.format(date=fmt_date(as_of), n=fmt_int(count), days=selection.days, milestone=milestone)


def group_heading(selection: Selection, who: str, count: int, *, milestone: str | None = None) -> str:
    """The line above one group of a dispatch's list: who they are and how many."""
    if selection.is_overdue:
        text = (
            _("{who} that have not yet deployed EMR ({n}):")
            if milestone is None
            else _("{who} that have not yet reached “{milestone}” ({n}):")
        )
    elif selection.is_due_within:
        text = (
            _("{who} due to deploy EMR within {days} days ({n}):")
            if milestone is None
            else _("{who} due to reach “{milestone}” within {days} days ({n}):")
        )
    else:
        text = _("{who} ({n}):")
    return text.format(who=who, n=fmt_int(count), days=selection.days, milestone=milestone)


def none_listed(selection: Selection) -> str:
    """What a report's table says when the selection lists no facility."""
    return _("No facility in scope.") if selection.is_all else _("None.")


def days_label(selection: Selection, *, binding: bool = True) -> str:
    """The header of a report table's days column: days left before the deadline, or days overdue (days
    behind plan, under a plan target)."""
    if selection.is_due_within:
        return _("Days left")
    if selection.is_broken_commitments:
        return _("Days past commitment")
    return _("Days overdue") if binding else _("Days behind plan")


def days_shown(selection: Selection, standing: Standing, as_of: date) -> int | None:
    """A report table's days: left before the deadline (due within), else overdue (None if not)."""
    if selection.is_due_within:
        exemption = standing.exceptions.exemption
        if exemption is not None and exemption.until is not None:  # an exemption ending: days it has left
            return (exemption.until - as_of).days
        return (standing.deadline - as_of).days
    if selection.is_broken_commitments:
        return standing.days_past_commitment
    return standing.days_overdue if standing.state is State.OVERDUE else None


def exception_counts_line(requirement: str, counts: ExceptionCounts) -> str | None:
    """The line of `status` saying how many facilities exceptions touch (None when none)."""
    parts = []
    if counts.extension:
        parts.append(_("{n} on an extension").format(n=fmt_int(counts.extension)))
    if counts.exempt:
        parts.append(_("{n} exempt (not counted in scope)").format(n=fmt_int(counts.exempt)))
    if counts.commitment:
        parts.append(_("{n} with a commitment of their own").format(n=fmt_int(counts.commitment)))
    if counts.broken_commitment:
        parts.append(_("{n} past the date they committed to").format(n=fmt_int(counts.broken_commitment)))
    if not parts:
        return None
    return _("{id}: exceptions: {parts}.").format(id=requirement, parts=" · ".join(parts))
