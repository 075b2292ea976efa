"""What a command does with the register, above SQL and below the command line.

Where the register lives, creating it from the shipped data, and loading files into it."""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from emrtrack.register import LoadSummary, Register

SHIPPED_DATA = "nghe-an-2898.yaml"


def default_register_path() -> Path:
    """$EMRTRACK_DB, else `register.db` in the user's data directory."""
    env = os.environ.get("EMRTRACK_DB")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path("emrtrack") / "register.db"


def shipped_data_path() -> Path:
    """The register shipped with the package (the Nghệ An dispatch)."""
    try:
        return Path(str(resources.files("emrtrack.data").joinpath(SHIPPED_DATA)))
    except ModuleNotFoundError:  # a source checkout used without installing: data/ is beside the package
        return Path(__file__).resolve().parent.parent / "data" / SHIPPED_DATA


def open_register(path: Path | None, *, notify: Callable[[str], None]) -> Register:
    """Open the register; a new one is first filled with the shipped data (said through `notify`)."""
    path = path or default_register_path()
    is_new = not path.exists() or path.stat().st_size == 0
    register = Register.open(path)
    if is_new and register.is_empty():
        shipped = shipped_data_path()
        load_files(register, [shipped], actor="emrtrack", source=f"{SHIPPED_DATA} (shipped)")
        from emrtrack.i18n import ngettext

        count = register.facility_count()
        notify(ngettext("Created a new register at {path} with the shipped data ({file}: {n} facility).",
                        "Created a new register at {path} with the shipped data ({file}: {n} facilities).", count)
               .format(path=path, file=SHIPPED_DATA, n=count))
    return register


def load_files(register: Register, paths: list[Path], *, actor: str, dry_run: bool = False,
               source: str | None = None) -> LoadSummary:
    """Validate every file, then load them together in one transaction."""
    import gc

    from emrtrack.loader import read_files
    from emrtrack.rules import today

    info = register.info()
    # A large file becomes millions of small objects that hold no cycles: the cycle collector would
    # walk them all again and again (most of the time of a national load) and find nothing to free.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        loaded = read_files(paths, today(info.timezone))
        return register.load(loaded, source=source or ", ".join(str(p) for p in paths), actor=actor,
                             dry_run=dry_run)
    finally:
        if gc_was_enabled:
            gc.enable()
