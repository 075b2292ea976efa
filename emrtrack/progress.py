"""A progress indicator on stderr for work that turns out slow: shown only on a terminal, after a delay."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def when_slow(message: str, *, delay: float = 1.0, console: Any = None) -> Iterator[None]:
    """Show a spinner with `message` if the work inside takes longer than `delay` seconds.

    Nothing is shown when stderr is not a terminal (a pipe, a file, a test), so output stays clean."""
    if console is None:
        if not sys.stderr.isatty():
            yield
            return
        from rich.console import Console

        console = Console(stderr=True)
    status = console.status(message)
    lock = threading.Lock()
    state = {"done": False, "started": False}

    def start() -> None:
        with lock:
            if not state["done"]:
                status.start()
                state["started"] = True

    timer = threading.Timer(delay, start)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            if state["started"]:
                status.stop()
