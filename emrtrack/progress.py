"""How far a load has got: phases, each with its own count, heard by whoever shows them (a progress bar).

The phases are named by key, not in words (the output words them): "read" (one file: its facilities, once
their number is known), "write" (the facilities written) and "history" (the events recorded)."""

from __future__ import annotations


class Phases:
    """Hears of each phase and how far it has got. This one ignores them: work with nobody watching."""

    def phase(self, name: str, total: int | None = None, *, file: str | None = None) -> None:
        """Phase `name` (of `file`) has begun; `total` items are to be done in it, if known yet."""

    def total(self, total: int) -> None:
        """The current phase has `total` items to do (now that it is known)."""

    def advance(self, done: int = 1) -> None:
        """`done` more items of the current phase are done."""


NOBODY = Phases()
