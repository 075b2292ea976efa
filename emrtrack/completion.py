"""Shell completion: facility ids (with their names) and requirement ids, read from the register.

Completion never creates or migrates a register: with none at the usual place, it offers nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from emrtrack.rules import fold
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


def facilities(incomplete: str, db: Path | None = None) -> list[tuple[str, str]]:
    """(id, name) of facilities whose id starts with `incomplete`, then those whose name or alias has it."""
    rows = _read(db, Register.facility_names)
    folded = fold(incomplete)
    by_id = [(fid, name) for fid, name, _f in rows if fid.startswith(incomplete)]
    # a name or alias matches where one of its words starts what was typed ("do lu" finds "... Đô Lương")
    by_name = [
        (fid, name)
        for fid, name, names in rows
        if folded and not fid.startswith(incomplete) and any(f" {folded}" in f" {n}" for n in names.split("\n"))
    ]
    return (by_id + by_name)[:LIMIT]


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
