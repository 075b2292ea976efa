"""Naming a facility: by id, folded name or alias, a unique part of one, or all its words; did-you-mean.

Names are matched in memory over one read of the folded names (kept for the life of the object): one pass
per rule instead of one table scan each, which keeps naming a facility fast in a national register."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from emrtrack.errors import AmbiguousFacility, FacilityNotFound
from emrtrack.model import Facility
from emrtrack.rules import expand_abbreviations, fold
from emrtrack.store.codec import FACILITY_COLUMNS, facility_from_row


class Names:
    """The facilities' folded names, read once, and the rules that match a query against them."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._names: list[tuple[int, str]] | None = None

    def forget(self) -> None:
        """The register changed: read the names again when next asked."""
        self._names = None

    def resolve(self, query: str) -> Facility:
        """The one facility `query` names: by id, folded name or alias, unique substring, or all words."""
        row = self.conn.execute(f"SELECT {FACILITY_COLUMNS} FROM facilities WHERE id = ?", (query.strip(),)).fetchone()
        if row is not None:
            return facility_from_row(row)
        folded = fold(query)
        expanded = expand_abbreviations(folded)
        for wanted in dict.fromkeys(w for w in (folded, expanded) if w):  # as typed, then abbreviations written out
            total, found = self._match(wanted)
            if total == 1:
                return facility_from_row(found[0][1:])
            if total:
                raise AmbiguousFacility(query, [(r[1], r[2]) for r in found], total)
        raise FacilityNotFound(query, self.suggest(expanded))

    def _match(self, folded: str) -> tuple[int, list[tuple[Any, ...]]]:
        """How many facilities the first matching rule finds (a whole name or alias, then part of one,
        then every word anywhere), and the first 51 of them by folded name."""
        names = self._folded_names()
        everything = "\n" + "\n".join(f for _, f in names) + "\n"  # to rule out a rule at once
        words = [f" {w} " for w in folded.split()]
        line = f"\n{folded}\n"
        rules: tuple[tuple[bool, Callable[[str], bool]], ...] = (
            (line in everything, lambda f: line in f"\n{f}\n"),
            (folded in everything, lambda f: folded in f),
            (
                all(w.strip() in everything for w in words),
                lambda f: all(w in f" {f.replace(chr(10), ' ')} " for w in words),
            ),
        )
        for possible, rule in rules:
            matched = sorted((f.split("\n", 1)[0], rowid) for rowid, f in names if rule(f)) if possible else []
            if matched:
                first = self._rows_by_rowid([rowid for _, rowid in matched[:51]])
                return len(matched), sorted(first, key=lambda r: (fold(r[2]), r[1]))
        return 0, []

    def _folded_names(self) -> list[tuple[int, str]]:
        """(rowid, folded names and aliases) of every facility, read once."""
        if self._names is None:
            self._names = self.conn.execute("SELECT rowid, folded FROM facilities").fetchall()
        return self._names

    def _rows_by_rowid(self, rowids: list[int]) -> list[tuple[Any, ...]]:
        """(rowid, *facility columns) of these facilities."""
        sql = f"SELECT rowid, {FACILITY_COLUMNS} FROM facilities"
        if len(rowids) > 500:
            wanted = set(rowids)
            return [r for r in self.conn.execute(sql) if r[0] in wanted]
        rows: list[tuple[Any, ...]] = self.conn.execute(
            f"{sql} WHERE rowid IN ({', '.join('?' * len(rowids))})", rowids
        ).fetchall()
        return rows

    def suggest(self, folded: str, limit: int = 3) -> list[tuple[str, str]]:
        """The facilities whose names or aliases are closest to `folded` (did-you-mean)."""
        if not folded:
            return []
        from rapidfuzz import fuzz, process

        # Each distinct folded name is scored once, then stands for every facility that bears it.
        bearers: dict[str, list[tuple[int, int]]] = {}
        position = 0
        for rowid, folded_names in self._folded_names():
            for n in folded_names.split("\n"):
                bearers.setdefault(n, []).append((position, rowid))
                position += 1
        scored = sorted(
            (-score, pos, rowid)
            for choice, score, _ in process.extract(
                folded, list(bearers), scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=60
            )
            for pos, rowid in bearers[choice]
        )[: limit * 3]
        facts = {r[0]: (r[1], r[2]) for r in self._rows_by_rowid([rowid for _, _, rowid in scored])}
        out: dict[str, str] = {}
        for _, _, rowid in scored:
            fid, name = facts[rowid]
            out.setdefault(fid, name)
        return list(out.items())[:limit]


def facility_names(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(id, name, folded names and aliases) of every facility, by id."""
    rows: list[tuple[str, str, str]] = conn.execute("SELECT id, name, folded FROM facilities ORDER BY id").fetchall()
    return rows
