"""Where the register lives; making one (built aside with the shipped data, put in place only whole); and
loading files into it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from emrtrack.errors import RegisterError
from emrtrack.files import mode_for
from emrtrack.i18n import _, ngettext
from emrtrack.progress import NOBODY, Phases
from emrtrack.store import Register
from emrtrack.views import LoadSummary, VerifyResult

if TYPE_CHECKING:
    from emrtrack.reading.entries import ReadOptions

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
        return Path(__file__).resolve().parents[2] / "data" / SHIPPED_DATA


def _is_new(path: Path) -> bool:
    return not path.exists() or path.stat().st_size == 0


def _created_message(path: Path, count: int) -> str:
    return ngettext(
        "Created a new register at {path} with the shipped data ({file}: {n} facility).",
        "Created a new register at {path} with the shipped data ({file}: {n} facilities).",
        count,
    ).format(path=path, file=SHIPPED_DATA, n=count)


@contextlib.contextmanager
def _built_aside(path: Path, *, shipped: bool = True) -> Iterator[tuple[Register, Callable[[], bool]]]:
    """A new register built in a temporary file beside `path`, holding the shipped data (unless not `shipped`).

    It takes the place of `path` only when `publish()` is called, and only if no register appeared there
    meanwhile (publish() then says False): a register never exists half made, and a failed or dry-run load
    into a new path leaves nothing behind."""
    made = [p for p in reversed(path.parents) if not p.exists()]  # folders to remove if nothing is published
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new")
    except OSError as e:
        raise RegisterError(
            _("{path}: cannot create the register: {error}").format(path=path, error=e.strerror or e)
        ) from None
    os.close(fd)
    aside = Path(name)
    register = Register.open(aside)
    closed = False

    def publish() -> bool:
        nonlocal closed
        register.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        register.close()
        closed = True
        os.chmod(aside, mode_for(path))  # as any new file there, not private as a temporary one
        try:
            os.link(aside, path)  # fails if a register appeared at `path` meanwhile: that one wins
        except OSError:  # it exists (perhaps an empty file), or a file system without hard links
            if not _is_new(path):
                return False
            os.replace(aside, path)
        return True

    try:
        if shipped:
            load_files(register, [shipped_data_path()], actor="emrtrack", source=f"{SHIPPED_DATA} (shipped)")
        yield register, publish
    finally:
        if not closed:
            register.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{aside}{suffix}").unlink(missing_ok=True)
        if not path.exists():  # nothing was published: leave no empty folder behind either
            for folder in reversed(made):
                with contextlib.suppress(OSError):
                    folder.rmdir()


def open_register(path: Path | None, *, notify: Callable[[str], None]) -> Register:
    """Open the register; a new one is first filled with the shipped data (said through `notify`)."""
    path = path or default_register_path()
    if _is_new(path):
        with _built_aside(path) as (register, publish):
            count = register.facility_count()
            if publish():
                notify(_created_message(path, count))
    return Register.open(path)


def load_into(
    path: Path | None,
    paths: list[Path],
    *,
    actor: str,
    dry_run: bool,
    correct: bool,
    notify: Callable[[str], None],
    progress: Phases = NOBODY,
    shipped: bool = True,
    allow_similar: bool = False,
    options: ReadOptions | None = None,
) -> LoadSummary:
    """`load`: files into the register at `path`. A new register is made with the shipped data (unless not
    `shipped`) and these files together, only once they are valid, and not at all for a dry run. `options` say
    how spreadsheets are read; `notify` hears what the readers say of them (the sheet read, title rows skipped)."""
    path = path or default_register_path()

    def load_into_register(register: Register) -> LoadSummary:
        return load_files(
            register,
            paths,
            actor=actor,
            dry_run=dry_run,
            correct=correct,
            allow_similar=allow_similar,
            progress=progress,
            options=options,
            notify=notify,
        )

    if _is_new(path):
        with _built_aside(path, shipped=shipped) as (register, publish):
            count = register.facility_count()  # the shipped data's, for the notice
            summary = load_into_register(register)
            if dry_run:
                return summary
            if publish():
                notify(
                    _created_message(path, count)
                    if shipped
                    else _("Created a new register at {path}.").format(path=path)
                )
                return summary
    return load_into_register(Register.open(path))


def load_files(
    register: Register,
    paths: list[Path],
    *,
    actor: str,
    dry_run: bool = False,
    correct: bool = False,
    allow_similar: bool = False,
    source: str | None = None,
    progress: Phases = NOBODY,
    options: ReadOptions | None = None,
    notify: Callable[[str], None] | None = None,
) -> LoadSummary:
    """Validate every file, then load them together in one transaction (`progress` hears how far each phase
    has got; `options` say how spreadsheets are read, and `notify` hears the readers' notes, once they are
    valid)."""
    from emrtrack.reading import read_files  # YAML and spreadsheet readers: only for a load
    from emrtrack.store.bulk import no_cycle_collection

    with no_cycle_collection():
        from emrtrack.reading.entries import READ_AS_ASKED

        loaded = read_files(
            paths,
            register.today(),
            progress,
            milestones=register.info().milestones,
            known_ids=register,
            options=options or READ_AS_ASKED,
        )
        if notify is not None:
            for note in loaded.notes:
                notify(note)
        return register.load(
            loaded,
            source=source or ", ".join(str(p) for p in paths),
            actor=actor,
            dry_run=dry_run,
            correct=correct,
            allow_similar=allow_similar,
            progress=progress,
        )


def backup(register: Register, dest: Path) -> VerifyResult:
    """`backup`: the register, as one snapshot however many write meanwhile, into the file `dest`, checked."""
    return register.backup(dest)


def restore(path: Path | None, source: Path) -> tuple[VerifyResult, Path | None]:
    """`restore`: the backup `source` in the place of the register at `path` (default: the usual one), once
    checked; what `verify` found in it, and where the register it replaced was kept."""
    from emrtrack.store.backup import restore as put_back

    return put_back(path or default_register_path(), source)
