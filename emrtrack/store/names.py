"""Naming a facility: by id, folded name or alias, a part of one starting a word, or all its words; did-you-mean.

Names are matched in memory over one read of the folded names (kept for the life of the object), laid out in
one text where each rule is a few substring searches, instead of a table scan or a loop over every facility:
naming a facility stays fast in a national register."""

from __future__ import annotations

import re
import sqlite3
from bisect import bisect_right
from collections.abc import Callable
from functools import cached_property
from itertools import accumulate, compress, count, repeat
from operator import ge
from typing import Any

from emrtrack.errors import AmbiguousFacility, FacilityNotFound
from emrtrack.model import Facility
from emrtrack.naming import expand_abbreviations, fold, match_key, spellings, word_starts
from emrtrack.store.codec import FACILITY_COLUMNS, facility_from_row

_SEPARATOR = "\x00"  # between facilities in one text: never in a folded name
# Did-you-mean scores (by `WRatio`) only the names and aliases nearest by cheaper scores, this many by each:
# scoring a whole register takes too long (half a second at national scale).
_NEAREST = 300


class _Read:
    """The folded names of every facility as read, and all of them in one text laid out by `word_starts`
    (facilities apart by `_SEPARATOR`), where a rule finds its facilities with a few searches."""

    def __init__(self, names: list[tuple[int, str]]):
        self.rowids = [rowid for rowid, _ in names]
        self.folded = [f for _, f in names]
        self.laid_out = word_starts(_SEPARATOR.join(self.folded)).replace(_SEPARATOR, _SEPARATOR + " ")
        self.starts = [0, *(m.end() for m in re.finditer(_SEPARATOR, self.laid_out))] if names else []

    def bearers(self, *spellings: str, whole: bool = False) -> set[int]:
        """The facilities (by position) with a name that has one of these spellings starting at a word, or that
        is one of them if `whole`."""
        found: set[int] = set()
        text, ends = self.laid_out, "\n" + _SEPARATOR
        for words in spellings:
            needle = f" {words}"
            at = text.find(needle)
            while at >= 0:
                end = at + len(needle)
                if not whole or ((at == 0 or text[at - 1] in ends) and (end == len(text) or text[end] in ends)):
                    found.add(bisect_right(self.starts, at) - 1)
                at = text.find(needle, at + 1)
        return found

    def bearing_every(self, words: list[str]) -> set[int]:
        """The facilities with names where each of `words` (in any of its spellings) starts a word: none at once
        when a word is nowhere (a typo), else the first word's bearers narrowed by each of the others."""
        text = self.laid_out
        each = [spellings(word) for word in words]
        if not each or not all(any(f" {s}" in text for s in spelled) for spelled in each):
            return set()
        found: set[int] | None = None
        for spelled in each:
            bearers = self.bearers(*spelled)
            found = bearers if found is None else found & bearers
            if not found:
                break
        return found or set()

    @cached_property
    def lines(self) -> list[str]:
        """Every folded name and alias, facility after facility (a facility's name first)."""
        return "\n".join(self.folded).split("\n")

    @cached_property
    def lengths(self) -> list[int]:
        """The length of each of `choices`."""
        return list(map(len, self.choices))

    @cached_property
    def first_lines(self) -> list[int]:
        """Where each facility's name is in `lines`."""
        return [0, *accumulate(f.count("\n") + 1 for f in self.folded)][:-1] if self.folded else []

    @cached_property
    def choices(self) -> list[str]:
        """The distinct folded names and aliases, in the order first borne."""
        return list(dict.fromkeys(self.lines))


class Names:
    """The facilities' folded names, read once, and the rules that match a query against them."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._read: _Read | None = None

    def forget(self) -> None:
        """The register changed: read the names again when next asked."""
        self._read = None

    def resolve(self, query: str) -> Facility:
        """The one facility `query` names: by id, official code, folded name, alias or earlier name, a part
        starting a word, or all words."""
        typed = query.strip()
        row = self.conn.execute(f"SELECT {FACILITY_COLUMNS} FROM facilities WHERE id = ?", (typed,)).fetchone()
        if row is None and typed and " " not in typed and typed != typed.lower():  # an id typed in capitals
            row = self.conn.execute(
                f"SELECT {FACILITY_COLUMNS} FROM facilities WHERE id = ? COLLATE NOCASE", (typed,)
            ).fetchone()
        if row is None and typed and " " not in typed:  # an official code names one facility exactly
            row = self.conn.execute(
                f"SELECT {FACILITY_COLUMNS} FROM facilities WHERE details IS NOT NULL AND EXISTS "
                "(SELECT 1 FROM json_each(details, '$.codes') c WHERE c.value = ?)",
                (typed,),
            ).fetchone()
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
        """How many facilities the first matching rule finds, and the first 51 of them by folded name. The rules:
        a whole name or alias as folded; the same with i and y taken as one ("hoan mi vinh", see `spellings`); a
        part of one that starts at a word ("do lu", and "hoa" is not in "da khoa"); every word, each starting a
        word of the facility's names, in any order."""
        read = self._names()
        typed = spellings(folded)
        rules: tuple[Callable[[], set[int]], ...] = (
            lambda: read.bearers(folded, whole=True),
            lambda: read.bearers(*typed[1:], whole=True),
            lambda: read.bearers(*typed),
            lambda: read.bearing_every(folded.split()),
        )
        for rule in rules:
            matched = sorted((read.folded[i].split("\n", 1)[0], read.rowids[i]) for i in rule())
            if matched:
                first = self._rows_by_rowid([rowid for _, rowid in matched[:51]])
                return len(matched), sorted(first, key=lambda r: (fold(r[2]), r[1]))
        return 0, []

    def _names(self) -> _Read:
        """The folded names of every facility, read once."""
        if self._read is None:
            self._read = _Read(self.conn.execute("SELECT rowid, folded FROM facilities").fetchall())
        return self._read

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
        """The facilities whose names or aliases are closest to `folded` (did-you-mean): the names closest as a
        whole are short-listed, then ranked by how well each word typed matches a word of the name (so "do lung"
        is Đô Lương before the Lung Hospital), then a facility's name before its aliases."""
        if not folded:
            return []
        from rapidfuzz import fuzz, process

        # Each distinct folded name is scored once, then stands for every facility that bears it. Only the closest
        # as written or with their words sorted (a cheap score each), and, of the names long enough for WRatio to
        # take the best part of them, those whose best part is close, are scored by WRatio: ties keep their order.
        read = self._names()
        choices = read.choices
        nearest = {
            i
            for scorer in (fuzz.ratio, fuzz.token_sort_ratio)
            for *_, i in process.extract(folded, choices, scorer=scorer, limit=max(_NEAREST, limit * 10))
        }
        longer = dict(compress(enumerate(choices), map(ge, read.lengths, repeat(1.5 * len(folded)))))
        nearest.update(
            i for *_, i in process.extract(folded, longer, scorer=fuzz.partial_ratio, limit=_NEAREST, score_cutoff=80)
        )
        short_list = sorted(
            (-score, i) for i in nearest if (score := fuzz.WRatio(folded, choices[i], score_cutoff=60))
        )[: limit * 10]
        minus_score = {choices[i]: minus for minus, i in short_list}
        typed = match_key(folded).split()
        likeness = {choice: -_word_score(typed, match_key(choice).split()) for choice in minus_score}
        lines, first_lines = read.lines, read.first_lines
        scored = []
        for pos in compress(count(), map(minus_score.__contains__, lines)):
            at = bisect_right(first_lines, pos) - 1
            choice = lines[pos]
            scored.append((likeness[choice], minus_score[choice], pos > first_lines[at], pos, read.rowids[at]))
        scored = sorted(scored)[: limit * 3]
        facts = {r[0]: (r[1], r[2]) for r in self._rows_by_rowid([s[-1] for s in scored])}
        out: dict[str, str] = {}
        for *_, rowid in scored:
            fid, name = facts[rowid]
            out.setdefault(fid, name)
        return list(out.items())[:limit]


def _word_score(typed: list[str], name: list[str]) -> float:
    """How well the words typed match words of a name (0-100): each typed word's best likeness to a word of
    the name, weighted by its length."""
    from rapidfuzz import fuzz

    total = sum(map(len, typed))
    if not total or not name:
        return 0.0
    return sum(len(w) * max(fuzz.ratio(w, n) for n in name) for w in typed) / total


def facility_names(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(id, name, folded names and aliases) of every facility, by id."""
    rows: list[tuple[str, str, str]] = conn.execute("SELECT id, name, folded FROM facilities ORDER BY id").fetchall()
    return rows
