"""A facility's life through the command line: exceptions granted or recorded (an extension, an exemption, a
commitment, each with the document behind it), withdrawal of a facility entered by mistake and its
reinstatement; and the refusal to write to a facility that merged into another or was withdrawn."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from emrtrack.errors import Refused, UsageError
from emrtrack.i18n import _, fmt_date
from emrtrack.model import COMMITMENT, EXEMPTION, EXTENSION, Basis, Exception_, Facility, Withdrawal
from emrtrack.store import Register, default_actor
from emrtrack.store.codec import life_facts


def merged_line(facility: Facility) -> str | None:
    """What to say of a facility that merged into another (None when it did not)."""
    if facility.merged_into is None:
        return None
    return _("{name} ({id}) merged into {into} on {date}; its history stays here.").format(
        name=facility.name, id=facility.id, into=facility.merged_into, date=fmt_date(facility.merged_on)
    )


def writable(register: Register, facility: Facility) -> None:
    """Refuse a write to a facility that merged into another, or was withdrawn, saying what to do instead."""
    if facility.merged_into is not None:
        raise Refused(
            _(
                "{name} ({id}) merged into {into} on {date}: record it on {into} instead "
                "(its own history stays, and is shown by emrtrack show {id})"
            ).format(name=facility.name, id=facility.id, into=facility.merged_into, date=fmt_date(facility.merged_on))
        )
    if facility.withdrawn is not None:
        raise Refused(
            _("{name} ({id}) was withdrawn on {date}: reinstate it first (emrtrack reinstate {id})").format(
                name=facility.name, id=facility.id, date=fmt_date(facility.withdrawn.on)
            )
        )


def grant(
    register: Register,
    query: str,
    kind: str,
    *,
    requirement: str | None,
    on: date | None = None,
    start: date | None = None,
    until: date | None = None,
    milestone: str | None = None,
    basis: Basis,
    granted: date | None = None,
    note: str | None = None,
    by: str | None = None,
    ref: str | None = None,
) -> tuple[Facility, Exception_, int]:
    """Record an exception for the facility `query` names: an extension to `on`, an exemption from `start`
    (until `until`), or a commitment to `on`; in force from `granted` (default: the basis's date, else today).
    Returns the facility, the exception and the change's id."""
    facility = register.resolve(query)
    writable(register, facility)
    req = register.requirement(requirement)
    if milestone is not None and req.obligation(milestone) is None:
        raise UsageError(
            _("{id} sets no obligation for {milestone} (its obligations: {known})").format(
                id=req.id, milestone=milestone, known=", ".join(o.milestone for o in req.obligations)
            )
        )
    today = register.today()
    granted = granted or basis.date or today
    if granted > today:
        raise UsageError(
            _("granted {date} is in the future (today is {today})").format(
                date=fmt_date(granted), today=fmt_date(today)
            )
        )
    if kind == EXEMPTION and start is None:
        start = granted
    if kind == EXEMPTION and until is not None and start is not None and until < start:
        raise UsageError(
            _("--until {until} is before --from {start}").format(until=fmt_date(until), start=fmt_date(start))
        )
    if kind in (EXTENSION, COMMITMENT) and on is None:
        raise UsageError(_("give the date: --until for an extension, --date for a commitment"))
    exception = Exception_(
        kind=kind,
        requirement=req.id,
        granted=granted,
        on=on if kind != EXEMPTION else None,
        start=start if kind == EXEMPTION else None,
        until=until if kind == EXEMPTION else None,
        milestone=milestone,
        basis=basis,
        note=note,
    )
    if exception in facility.exceptions:
        raise Refused(_("{id} already has this {kind}: nothing changed").format(id=facility.id, kind=kind))
    after = replace(facility, exceptions=(*facility.exceptions, exception))
    change = register.update_facility(
        facility,
        after,
        facts=life_facts("exception", facility.id, exception, basis.ref),
        actor=by or default_actor(),
        ref=ref or basis.ref,
    )
    return after, exception, change


def withdraw(
    register: Register, query: str, *, basis: Basis | None, by: str | None = None, note: str | None = None
) -> tuple[Facility, int]:
    """Withdraw a facility entered by mistake: out of every report from now on, kept in the history."""
    facility = register.resolve(query)
    if facility.withdrawn is not None:
        raise Refused(
            _("{id} was withdrawn already, on {date}").format(id=facility.id, date=fmt_date(facility.withdrawn.on))
        )
    return _withdrawn(register, facility, Withdrawal(register.today(), basis), "withdraw", basis, by, note)


def reinstate(
    register: Register, query: str, *, basis: Basis | None = None, by: str | None = None, note: str | None = None
) -> tuple[Facility, int]:
    """Put a withdrawn facility back in the reports, as it was."""
    facility = register.resolve(query)
    if facility.withdrawn is None:
        raise Refused(_("{id} is not withdrawn: nothing to reinstate").format(id=facility.id))
    return _withdrawn(register, facility, None, "reinstate", basis, by, note)


def _withdrawn(
    register: Register,
    facility: Facility,
    withdrawal: Withdrawal | None,
    command: str,
    basis: Basis | None,
    by: str | None,
    note: str | None,
) -> tuple[Facility, int]:
    """The facility withdrawn (or, with None, reinstated), as one change."""
    after = replace(facility, withdrawn=withdrawal)
    ref = basis.ref if basis else None
    facts = life_facts(command, facility.id, ref=ref)
    change = register.update_facility(facility, after, facts=facts, actor=by or default_actor(), ref=ref, note=note)
    return after, change
