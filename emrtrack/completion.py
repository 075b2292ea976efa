"""Shell completion: facility ids (with their names) and requirement ids, read from the register.

Completion never creates or migrates a register: with none at the usual place, it offers nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from emrtrack.naming import expand_abbreviations, fold, spellings, starts_a_word, word_starts
from emrtrack.store import Register

LIMIT = 50
T = TypeVar("T")


def _read(db: Path | None, read: Callable[[Register], list[T]]) -> list[T]:
    from emrtrack.service.registers import default_register_path

    register = Register.open_read_only(db or default_register_path())
    if register is None:
        return []
    try:
        return read(register)
    except sqlite3.Error:  # not a register, or one being written: offer nothing rather than fail
        return []
    finally:
        register.close()


def facilities(incomplete: str, db: Path | None = None, before: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(id, name) of the facilities a word being typed may name: those whose id starts with it, then those whose
    name or alias has it where a word starts, as names are matched ("do lu", "bvdk do lu", "hoan mi": folded,
    abbreviations written out, i and y as one). `before`: words typed earlier that are part of the same name (a
    name quoted as one word needs none)."""
    return matching_facilities(_read(db, Register.facility_names), incomplete, before)[:LIMIT]


def matching_facilities(
    rows: list[tuple[str, str, str]], incomplete: str, before: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """`facilities` over (id, name, folded names) rows."""
    by_id = [(fid, name) for fid, name, _f in rows if fid.startswith(incomplete)] if not before else []
    typed = fold(" ".join((*before, incomplete)))
    if not typed:
        return by_id
    if before and not fold(incomplete):  # "do <TAB>": a word of the name after "do"
        typed += " "
    written_out = expand_abbreviations(typed) + (" " if typed.endswith(" ") else "")
    keys = dict.fromkeys((*spellings(typed), *spellings(written_out)))
    seen = {fid for fid, _ in by_id}
    by_name = []
    for fid, name, names in rows:
        laid_out = word_starts(names)
        if fid not in seen and any(starts_a_word(key, laid_out) for key in keys):
            by_name.append((fid, name))
    return by_id + by_name


def name_words(incomplete: str, db: Path | None, before: Sequence[str]) -> list[str]:
    """The words that may follow `before` in a facility's name or alias and start with `incomplete`, folded
    ("do", "lu" → "luong"): for a name typed as several words without quotes, completed a word at a time."""
    return next_words(_read(db, Register.facility_names), incomplete, before)[:LIMIT]


def next_words(rows: list[tuple[str, str, str]], incomplete: str, before: Sequence[str]) -> list[str]:
    """`name_words` over (id, name, folded names) rows."""
    typed = fold(" ".join(before))
    current = fold(incomplete)
    if not typed or " " in current:
        return []
    keys = dict.fromkeys((*spellings(typed), *spellings(expand_abbreviations(typed))))
    found: dict[str, None] = {}
    for _fid, _name, names in rows:
        for name in names.split("\n"):
            words = name.split(" ")
            for key in keys:
                n = len(key.split(" "))
                for i in range(len(words) - n):
                    if " ".join(words[i : i + n]) == key and words[i + n].startswith(current):
                        found[words[i + n]] = None
    return sorted(found)


def milestones(incomplete: str, db: Path | None = None, *, every: bool = False) -> list[tuple[str, str]]:
    """The register's milestones whose id starts with `incomplete`, with their labels (and 'all' if `every`)."""
    known = _read(db, lambda register: list(register.info().milestones))
    out = [(m.id, m.label("en")) for m in known if m.id.startswith(incomplete)]
    if every and known and "all".startswith(incomplete):
        out.append(("all", "every obligation"))
    return out


def requirements(incomplete: str, db: Path | None = None) -> list[tuple[str, str]]:
    """Requirement ids starting with `incomplete` (case-insensitive), with their titles, and 'all'."""
    known = _read(db, Register.requirements)
    out = [(r.id, r.title or "") for r in known if r.id.lower().startswith(incomplete.lower())]
    if known and "all".startswith(incomplete.lower()):
        out.append(("all", "every requirement"))
    return out
