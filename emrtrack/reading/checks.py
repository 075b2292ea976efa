"""The checks that span files: a facility or requirement id used twice, more than one default requirement,
a requirement naming a facility that is nowhere."""

from __future__ import annotations

from collections.abc import Container

from emrtrack.errors import Problem
from emrtrack.i18n import _
from emrtrack.model import Requirement, Selector
from emrtrack.reading.entries import LoadedFiles, RequirementEntry


def _selectors(r: Requirement) -> list[Selector]:
    """Every selector of a requirement: its scope, and each obligation's and each cohort's."""
    out = [r.applies_to]
    for o in r.obligations:
        out.append(o.applies_to)
        out.extend(c.selector for c in o.cohorts)
    return out


def cross_check(out: LoadedFiles, known_ids: Container[str] = frozenset()) -> list[Problem]:
    """The problems between the entries of all the files read, in the order the entries were read.

    `known_ids` are the facility ids already in the register: a selector may name them, or those read."""
    problems = []
    seen: dict[str, tuple[str, int]] = {}  # by the id casefolded: ids are compared without regard to case
    for fid, file, line in out.facility_ids:
        first = seen.get(fid.casefold())
        if first is not None:
            problems.append(
                Problem(
                    file,
                    line,
                    _("facility {id}: the id is used twice (first at {where})").format(
                        id=repr(fid), where=f"{first[0]}:{first[1]}"
                    ),
                )
            )
        else:
            seen[fid.casefold()] = (file, line)
    req_seen: dict[str, RequirementEntry] = {}
    default: RequirementEntry | None = None
    for r in out.requirements:
        first_r = req_seen.get(r.requirement.id)
        if first_r is not None:
            problems.append(
                Problem(
                    r.file,
                    r.line,
                    _("requirement {id}: the id is used twice (first at {where})").format(
                        id=repr(r.requirement.id), where=f"{first_r.file}:{first_r.line}"
                    ),
                )
            )
        req_seen[r.requirement.id] = r
        if r.requirement.default:
            if default is not None:
                problems.append(
                    Problem(
                        r.file,
                        r.line,
                        _(
                            "requirement {id}: only one requirement may be the default ({other} already is, at {where})"
                        ).format(
                            id=repr(r.requirement.id),
                            other=repr(default.requirement.id),
                            where=f"{default.file}:{default.line}",
                        ),
                    )
                )
            else:
                default = r
        named = dict.fromkeys(f for s in _selectors(r.requirement) for f in s.facilities)
        for fid in named:
            if fid.casefold() not in seen and fid not in known_ids:
                problems.append(
                    Problem(
                        r.file,
                        r.line,
                        _(
                            "requirement {id}: applies_to names facility {facility}, "
                            "which is not in the register or the files"
                        ).format(id=repr(r.requirement.id), facility=repr(fid)),
                    )
                )
    for entry in out.facilities:
        for other in entry.distinct_from:
            if other.casefold() not in seen and other not in known_ids:
                problems.append(
                    Problem(
                        entry.file,
                        entry.line,
                        _(
                            "facility {id}: distinct_from names facility {other}, "
                            "which is not in the register or the files"
                        ).format(id=repr(entry.facility.id), other=repr(other)),
                    )
                )
    return problems
