"""Places a register or a file may be kept in at an office: a small disk that fills, a read-only folder. Where
this machine lets a test mount a file system (tmpfs, as the administrator), the real one is used; elsewhere each
test says how it stands in for it, so that the behaviour is tested either way. Imported as `from places import ...`."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MOUNTED = "mounted"  # a real file system, mounted for the test
STAND_IN = "stand-in"  # the test stands in for it (SQLite's page limit, /dev/full, a read-only open)


def _run(*args: str) -> bool:
    try:
        return subprocess.run(args, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@contextmanager
def tmpfs(folder: Path, size: str = "4m") -> Iterator[bool]:
    """A tmpfs of `size` mounted at `folder` (made if needed) while the block runs; False when mounting is not
    permitted here (the folder is then an ordinary one)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = _run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder))
    try:
        yield mounted
    finally:
        if mounted:
            _run("mount", "-o", "remount,rw", str(folder))
            if not _run("umount", str(folder)):
                _run("umount", "-l", str(folder))


def remount_read_only(folder: Path) -> bool:
    return _run("mount", "-o", "remount,ro", str(folder))


def fill(folder: Path, leave: int) -> Path:
    """Fill the file system of `folder` with a file, leaving about `leave` bytes free."""
    filler = folder / "filler"
    stat = os.statvfs(folder)
    free = stat.f_bavail * stat.f_frsize
    chunk = b"\0" * 65_536
    remaining = max(free - leave, 0)
    with open(filler, "wb") as out:
        try:
            while remaining > 0:
                out.write(chunk[: min(remaining, len(chunk))])
                remaining -= len(chunk)
            out.flush()
        except OSError:  # full already
            pass
    return filler


def copy_register(source: Path, dest: Path) -> Path:
    shutil.copyfile(source, dest)
    return dest


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())
