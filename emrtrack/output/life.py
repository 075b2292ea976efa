"""How the outputs word a facility's life: an exception as a phrase and as the line a command prints, a
withdrawal and its reversal, and the lifecycle lines of `show`."""

from __future__ import annotations

from datetime import date

from emrtrack.i18n import _, fmt_date
from emrtrack.model import COMMITMENT, EXEMPTION, EXTENSION, Exception_, Facility
from emrtrack.output.text import basis_text


def exception_phrase(e: Exception_) -> str:
    """ "extension of 2898/SYT-VP to 31/10/2025, by 3500/SYT-NVY of 05/09/2025 (Sở Y tế Nghệ An)"."""
    if e.kind == EXTENSION:
        text = _("extension of {requirement} to {date}").format(requirement=e.requirement, date=fmt_date(e.on))
    elif e.kind == EXEMPTION:
        text = (
            _("exemption from {requirement} from {start} until {until}")
            if e.until
            else _("exemption from {requirement} from {start}, without end")
        ).format(requirement=e.requirement, start=fmt_date(e.start), until=fmt_date(e.until))
    elif e.kind == COMMITMENT:
        text = _("commitment to {requirement} by {date}").format(requirement=e.requirement, date=fmt_date(e.on))
    else:
        text = f"{e.kind} {e.requirement}"
    if e.milestone:
        text += _(" (obligation {milestone})").format(milestone=e.milestone)
    if e.basis is not None:
        text += _(", by {basis}").format(basis=basis_text(e.basis))
    if e.granted != (e.basis.date if e.basis else None):
        text += _(", in force from {date}").format(date=fmt_date(e.granted))
    if e.note:
        text += f" — {e.note}"
    return text


def exception_recorded(facility: Facility, e: Exception_, change: int) -> str:
    return _("Recorded for {name} ({id}): {what}. Change #{change}.").format(
        name=facility.name, id=facility.id, what=exception_phrase(e), change=change
    )


def withdrawn_line(facility: Facility, change: int) -> str:
    return _(
        "Withdrawn: {name} ({id}) is out of every report from now on; its history stays. Change #{change}. "
        "To put it back: emrtrack reinstate {id}"
    ).format(name=facility.name, id=facility.id, change=change)


def reinstated_line(facility: Facility, change: int) -> str:
    return _("Reinstated: {name} ({id}) is back in the reports. Change #{change}.").format(
        name=facility.name, id=facility.id, change=change
    )


def life_facts(facility: Facility, as_of: date) -> list[tuple[str, str]]:
    """What `show` says of a facility's life, as (label, value) rows: codes, opening and closing, merge, earlier
    names and managing bodies, exceptions, withdrawal (none for a facility without them)."""
    rows = []
    if facility.codes:
        rows.append((_("Codes"), ", ".join(f"{s} {c}" for s, c in facility.codes)))
    if facility.opened:
        rows.append((_("Opened"), fmt_date(facility.opened)))
    if facility.closed:
        rows.append((_("Closed"), fmt_date(facility.closed)))
    if facility.merged_into:
        rows.append(
            (
                _("Merged into"),
                _("{into} on {date}").format(into=facility.merged_into, date=fmt_date(facility.merged_on)),
            )
        )
    for f in facility.former_names:
        rows.append((_("Earlier name"), _("{name} (until {date})").format(name=f.value, date=fmt_date(f.until))))
    for f in facility.former_managed_by:
        rows.append(
            (_("Earlier managing body"), _("{name} (until {date})").format(name=f.value, date=fmt_date(f.until)))
        )
    for e in facility.exceptions:
        future = _(" (not yet in force on {date})").format(date=fmt_date(as_of)) if e.granted > as_of else ""
        rows.append((_("Exception"), exception_phrase(e) + future))
    if facility.withdrawn:
        basis = basis_text(facility.withdrawn.basis)
        when = fmt_date(facility.withdrawn.on)
        rows.append((_("Withdrawn"), _("{date}, by {basis}").format(date=when, basis=basis) if basis else when))
    return rows
