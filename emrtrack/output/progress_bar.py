"""A progress bar on stderr for loads that turn out slow: shown only on a terminal, after a delay."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Steps:
    """Where a piece of work is: `step(what)` says the next step has begun."""

    def __init__(self, progress: Any = None, task: Any = None):
        self._progress, self._task, self._begun = progress, task, False

    def step(self, what: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=what, advance=1 if self._begun else 0)
        self._begun = True


@contextmanager
def when_slow(steps: int, first: str, *, delay: float = 1.0, console: Any = None) -> Iterator[Steps]:
    """A bar of `steps` steps, shown if the work inside takes longer than `delay` seconds.

    Nothing is shown when stderr is not a terminal (a pipe, a file, a test), so output stays clean."""
    if console is None:
        if not sys.stderr.isatty():
            yield Steps()
            return
        from rich.console import Console

        console = Console(stderr=True)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task(first, total=steps)
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
        yield Steps(progress, task)
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            if state["started"]:
                progress.update(task, completed=steps)
                progress.stop()
