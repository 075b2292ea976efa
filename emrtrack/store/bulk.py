"""Writing many rows fast: many rows to a statement, on a helper thread for a large load, and the
interpreter settings such a load needs (no cycle collection, a short switch interval)."""

from __future__ import annotations

import gc
import itertools
import queue
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """A large file becomes millions of small objects that hold no cycles: the cycle collector would
    walk them all again and again (most of the time of a national load) and find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Writer:
    """The statements of one write, run as they come, or, for a large one, on a helper thread.

    SQLite releases the interpreter lock while it writes, so on a machine with more than one core a
    large load's rows are written while the next ones are prepared (and hashed). Rows go many to a
    statement: each statement is then one long stretch of work outside the lock. The caller does not
    use the connection until the block ends, which waits for the last statement (and raises its error).
    """

    # facilities from which a helper thread pays for itself (more than one batch), and from which a
    # load writes straight into the register file (connection.direct_writes)
    BEHIND_FROM = 5_000
    BATCH = 5_000  # facilities, or events, prepared at a time
    SWITCH_INTERVAL = 0.000_25  # seconds a thread may hold the interpreter lock while another waits

    def __init__(self, conn: sqlite3.Connection, *, behind: bool):
        self.conn = conn
        # how many values one statement may take: Python 3.11 can ask SQLite; before, its old default
        if sys.version_info >= (3, 11):
            self.max_variables = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        else:
            self.max_variables = 999
        self.error: BaseException | None = None
        self.stopping = False  # the write failed or was interrupted: what is still queued is not run
        self.jobs: queue.Queue[tuple[str, Any] | None] | None = None
        if behind:
            self.cache_size = conn.execute("PRAGMA cache_size").fetchone()[0]
            self.switch_interval: float | None = None  # what to restore, when lowered here
            self.thread = threading.Thread(target=self._work, name="emrtrack-writer", daemon=True)
            self.jobs = queue.Queue(maxsize=16)
            try:
                self.thread.start()
                # Room for every page a large write touches, not SQLite's 2 MiB: fewer trips to the disk.
                conn.execute("PRAGMA cache_size = -262144")
                # The helper thread needs the interpreter lock back after each statement; by default the
                # thread holding it keeps it for up to 5 ms, and the helper waits that long every time.
                # (Lowered by the first of several large writes at once, which restores it.)
                if (previous := sys.getswitchinterval()) > self.SWITCH_INTERVAL:
                    sys.setswitchinterval(self.SWITCH_INTERVAL)
                    self.switch_interval = previous
            except BaseException:
                self._stop_thread()
                raise

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self.jobs is not None:
            if kind is not None:  # the transaction will be rolled back: nothing more is worth writing
                self.stopping = True
            self._stop_thread()
        if self.error is not None and kind is None:
            raise self.error

    def _stop_thread(self) -> None:
        """Wait for the helper thread to end, even through Ctrl-C (raised again once it has ended): the
        caller rolls back next, and the thread must not write after that."""
        assert self.jobs is not None
        interrupted: BaseException | None = None
        sent = False
        while self.thread.is_alive():
            try:
                if not sent:
                    self.jobs.put(None)
                    sent = True
                self.thread.join()
            except BaseException as e:  # Ctrl-C: stop at once, cutting short the statement under way
                interrupted = interrupted or e
                self.stopping = True
                self.conn.interrupt()
        self.jobs = None
        if self.switch_interval is not None:
            sys.setswitchinterval(self.switch_interval)
        self.conn.execute(f"PRAGMA cache_size = {int(self.cache_size)}")
        if interrupted is not None:
            raise interrupted

    def __call__(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run `sql` once for each row."""
        if self.jobs is None:
            self.conn.executemany(sql, rows)
        else:
            self.jobs.put((sql, rows))

    def rows(self, table: str, columns: str, rows: list[tuple[Any, ...]], *, replace: bool = False) -> None:
        """Insert (or with `replace`, insert or replace) rows, as many to a statement as SQLite allows."""
        width = columns.count(",") + 1
        per = max(1, min(5_000, self.max_variables // width))
        head = f"INSERT {'OR REPLACE ' if replace else ''}INTO {table} ({columns}) VALUES "
        one = "(" + ", ".join("?" * width) + ")"
        for start in range(0, len(rows), per):
            batch = rows[start : start + per]
            sql = head + ", ".join([one] * len(batch))
            params = list(itertools.chain.from_iterable(batch))
            if self.jobs is None:
                self.conn.execute(sql, params)
            else:
                self.jobs.put((sql, [params]))

    def drain(self) -> None:
        """Wait until every statement given so far has run: the caller may then use the connection."""
        if self.jobs is not None:
            self.jobs.join()
        if self.error is not None:
            raise self.error

    def _work(self) -> None:
        jobs = self.jobs  # its own reference: the caller lets go of the queue once this thread has ended
        assert jobs is not None
        while (job := jobs.get()) is not None:
            if self.error is None and not self.stopping:  # otherwise the rest are only taken off the queue
                try:
                    self.conn.executemany(*job)
                except BaseException as e:  # raised on the caller's thread by drain or at the end
                    self.error = e
                    self.stopping = True
            jobs.task_done()
        jobs.task_done()
