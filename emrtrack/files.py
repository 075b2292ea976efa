"""Files written whole: a new file beside the one it will replace, and the permissions it should get."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def beside(path: Path) -> Path:
    """A new empty file in the folder of `path`, named after it, to be renamed into its place when complete."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


def mode_for(path: Path) -> int:
    """The permissions of the file at `path`, or those a new file gets there (as `open` would make it)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask
