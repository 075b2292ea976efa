"""Deadlines, states and name folding: the rules, without I/O or presentation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from emrtrack.model import MILESTONES, Facility, Requirement, State

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Combining marks (the diacritics NFKD splits off), removed in one pass.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Letters that Unicode decomposition does not split into a base letter and a mark.
_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"})


def fold(text: str) -> str:
    """Fold a name for matching: no case, no diacritics, đ as d, words split by single spaces.

    >>> fold("Bệnh viện Đa khoa Đô Lương")
    'benh vien da khoa do luong'
    """
    return " ".join(filter(None, map(_FOLDED_WORDS.__getitem__, text.split())))


class _FoldedWords(dict[str, str]):
    """Each word folded once: names share most of their words."""

    def __missing__(self, word: str) -> str:
        done = _fold_word(word)
        if len(self) < 200_000:
            self[word] = done
        return done


_FOLDED_WORDS = _FoldedWords()


def _fold_word(word: str) -> str:
    if word.isascii():  # nothing to decompose
        return _NON_ALNUM.sub(" ", word.lower()).strip()
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", word.translate(_EXTRA_FOLDS)))
    return _NON_ALNUM.sub(" ", text.casefold()).strip()


# Abbreviations officers write in facility names, folded: "BV Phổi" is "Bệnh viện Phổi".
ABBREVIATIONS = {
    "bv": "benh vien",
    "bvdk": "benh vien da khoa",
    "dk": "da khoa",
    "ttyt": "trung tam y te",
    "pk": "phong kham",
    "pkdk": "phong kham da khoa",
    "yhct": "y hoc co truyen",
    "rhm": "rang ham mat",
    "phcn": "phuc hoi chuc nang",
    "bvqy": "benh vien quan y",
    "tt": "trung tam",
}


def expand_abbreviations(folded: str) -> str:
    """A folded name with the usual abbreviations written out ("bvdk do luong" → "benh vien da khoa do luong")."""
    return " ".join(ABBREVIATIONS.get(word, word) for word in folded.split())


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def parse_date(text: str) -> date:
    """A calendar date written YYYY-MM-DD, strictly; ValueError says what is wrong in plain words."""
    value = text.strip()
    if not _ISO_DATE.match(value):
        raise ValueError(f"{value!r} is not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a real date") from None


def today(timezone: str) -> date:
    """Today's date in the register's time zone (not in UTC)."""
    return datetime.now(ZoneInfo(timezone)).date()


def cohort_index(requirement: Requirement, ownership: str, kind: str) -> int | None:
    """Which of a requirement's cohorts a facility falls in (the first that matches), None when the
    requirement does not apply to it."""
    if not requirement.applies_to.matches(ownership, kind):
        return None
    return next((i for i, c in enumerate(requirement.cohorts) if c.selector.matches(ownership, kind)), None)


def deadline_for(requirement: Requirement, ownership: str, kind: str) -> date | None:
    """The deadline a requirement sets for a facility, or None when it is out of scope."""
    index = cohort_index(requirement, ownership, kind)
    return None if index is None else requirement.cohorts[index].deadline


def state_of(deadline: date, deployed: date | None, as_of: date) -> State:
    """A facility's state on `as_of`. Deadlines are inclusive; a deployment after `as_of` is unknown then."""
    if deployed is not None and deployed <= as_of:
        return State.DEPLOYED_ON_TIME if deployed <= deadline else State.DEPLOYED_LATE
    return State.OVERDUE if as_of > deadline else State.NOT_YET_DUE


def days_overdue(deadline: date, deployed: date | None, as_of: date) -> int:
    """Days past the deadline without deployment on `as_of` (0 when not overdue)."""
    if state_of(deadline, deployed, as_of) is State.OVERDUE:
        return (as_of - deadline).days
    return 0


def standing_under_each(
    requirements: Iterable[Requirement], facility: Facility, milestones: dict[str, date], as_of: date
) -> list[tuple[Requirement, date | None, State | None, int]]:
    """One facility under each requirement on `as_of`: (requirement, deadline, state, days overdue); the
    deadline and state are None where the requirement does not apply to it."""
    deployed = milestones.get("deployed")
    out: list[tuple[Requirement, date | None, State | None, int]] = []
    for requirement in requirements:
        deadline = deadline_for(requirement, facility.ownership, facility.kind)
        if deadline is None:
            out.append((requirement, None, None, 0))
        else:
            out.append(
                (requirement, deadline, state_of(deadline, deployed, as_of), days_overdue(deadline, deployed, as_of))
            )
    return out


def milestones_as_of(milestones: dict[str, date], as_of: date) -> dict[str, date]:
    """The milestones reached on or before `as_of`, in their usual order."""
    return {m: milestones[m] for m in MILESTONES if m in milestones and milestones[m] <= as_of}


def latest_milestone(milestones: dict[str, date], as_of: date) -> tuple[str, date] | None:
    """The most recent milestone reached by `as_of` (the later in the usual order on a tie)."""
    reached = milestones_as_of(milestones, as_of)
    if not reached:
        return None
    order = {m: i for i, m in enumerate(MILESTONES)}
    name = max(reached, key=lambda m: (reached[m], order[m]))
    return name, reached[name]


def pick_requirement(requirements: list[Requirement], wanted: str | None) -> Requirement | None:
    """The requirement named (by id, or folded id), else the default one, else the only/first one."""
    if not requirements:
        return None
    if wanted is None:
        for r in requirements:
            if r.default:
                return r
        return requirements[0]
    for r in requirements:
        if r.id == wanted:
            return r
    folded = fold(wanted)
    for r in requirements:
        if fold(r.id) == folded:
            return r
    return None
