"""A progress bar on stderr for loads that turn out slow: shown only on a terminal, after a delay.

Each phase of the work (reading a file, writing the register, recording the history) is a line of its own
with its own count, so the bar moves while the longest phase runs."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from emrtrack.i18n import _, fmt_int
from emrtrack.progress import NOBODY, Phases


def _phase_words(name: str, file: str | None) -> str:
    if name == "read":
        return _("Reading {file}").format(file=file)
    if name == "write":
        return _("Writing the register")
    return _("Recording the history")


class Bar(Phases):
    """The phases as lines of a Rich progress display: a phase begun ends the one before it. Rich is told
    at most a few hundred times a phase, however many items it has."""

    def __init__(self, progress: Any):
        self._progress = progress
        self._task: Any = None
        self._total: int | None = None
        self._done = self._shown = 0

    def phase(self, name: str, total: int | None = None, *, file: str | None = None) -> None:
        self.close()
        self._task = self._progress.add_task(_phase_words(name, file), total=None)
        self._total, self._done, self._shown = None, 0, 0
        if total is not None:
            self.total(total)

    def total(self, total: int) -> None:
        self._total = total
        self._progress.update(self._task, total=total, completed=self._done)

    def advance(self, done: int = 1) -> None:
        self._done += done
        if self._done - self._shown >= max(1, (self._total or 0) // 200):
            self._progress.update(self._task, completed=self._done)
            self._shown = self._done

    def close(self) -> None:
        """The current phase is over: its line shows it complete."""
        if self._task is not None:
            end = max(self._total or 0, self._done, 1)
            self._progress.update(self._task, total=end, completed=end)


def _counts_column() -> Any:
    """A column "done/total", its numbers as the language writes them (20,000 or 20.000)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Counts(ProgressColumn):
        def render(self, task: Any) -> Text:
            total = "?" if task.total is None else fmt_int(int(task.total))
            return Text(f"{fmt_int(int(task.completed))}/{total}", style="progress.download")

    return Counts()


@contextmanager
def when_slow(*, delay: float = 1.0, console: Any = None) -> Iterator[Phases]:
    """A display of the work's phases, shown if the work inside takes longer than `delay` seconds.

    Nothing is shown when stderr is not a terminal (a pipe, a file, a test), so output stays clean."""
    if console is None:
        if not sys.stderr.isatty():
            yield NOBODY
            return
        from rich.console import Console

        console = Console(stderr=True)
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        _counts_column(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    bar = Bar(progress)
    lock = threading.Lock()
    state = {"done": False, "started": False}

    def start() -> None:
        with lock:
            if not state["done"]:
                progress.start()
                state["started"] = True

    timer = threading.Timer(delay, start)
    timer.daemon = True
    timer.start()
    try:
        yield bar
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            if state["started"]:
                bar.close()
                progress.stop()
