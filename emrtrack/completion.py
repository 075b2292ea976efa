"""Shell completion: facility ids (with their names) and requirement ids, read from the register.

Completion never creates or migrates a register: with none at the usual place, it offers nothing."""

from __future__ import annotations

import sqlite3

from emrtrack.rules import fold

LIMIT = 50


def _connect() -> sqlite3.Connection | None:
    from emrtrack.app import default_register_path

    path = default_register_path()
    if not path.is_file():
        return None
    try:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return None


def facilities(incomplete: str) -> list[tuple[str, str]]:
    """(id, name) of facilities whose id starts with `incomplete`, then those whose name or alias has it."""
    conn = _connect()
    if conn is None:
        return []
    folded = fold(incomplete)
    try:
        rows = conn.execute("SELECT id, name, folded FROM facilities ORDER BY id").fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    by_id = [(fid, name) for fid, name, _f in rows if fid.startswith(incomplete)]
    # a name or alias matches where one of its words starts what was typed ("do lu" finds "... Đô Lương")
    by_name = [(fid, name) for fid, name, names in rows
               if folded and not fid.startswith(incomplete)
               and any(f" {folded}" in f" {n}" for n in names.split("\n"))]
    return (by_id + by_name)[:LIMIT]


def requirements(incomplete: str) -> list[tuple[str, str]]:
    """Requirement ids starting with `incomplete` (case-insensitive), with their titles, and 'all'."""
    conn = _connect()
    if conn is None:
        return []
    try:
        rows = conn.execute("SELECT id, json_extract(doc, '$.title') FROM requirements ORDER BY position").fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    out = [(rid, title or "") for rid, title in rows if rid.lower().startswith(incomplete.lower())]
    if "all".startswith(incomplete.lower()):
        out.append(("all", "every requirement"))
    return out
