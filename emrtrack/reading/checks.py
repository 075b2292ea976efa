"""The checks that span files: a facility or requirement id used twice, more than one default requirement."""

from __future__ import annotations

from emrtrack.errors import Problem
from emrtrack.i18n import _
from emrtrack.reading.entries import LoadedFiles, RequirementEntry


def cross_check(out: LoadedFiles) -> list[Problem]:
    """The problems between the entries of all the files read, in the order the entries were read."""
    problems = []
    seen: dict[str, tuple[str, int]] = {}
    for fid, file, line in out.facility_ids:
        first = seen.get(fid)
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
            seen[fid] = (file, line)
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
    return problems
