"""Read a set of register files, YAML and spreadsheets alike, into one LoadedFiles, or report every problem."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from datetime import date
from pathlib import Path

from emrtrack.errors import InputError, Problem
from emrtrack.model import MILESTONES
from emrtrack.reading.checks import cross_check
from emrtrack.reading.entries import LoadedFiles
from emrtrack.reading.tables import read_table
from emrtrack.reading.yaml_files import read_yaml


def read_files(
    paths: list[Path],
    today: date,
    on_file: Callable[[Path], None] | None = None,
    *,
    milestones: Iterable[str] = MILESTONES,
    known_ids: Container[str] = frozenset(),
) -> LoadedFiles:
    """Read and validate files; raise InputError listing every problem, in every file.

    `on_file` is told when each file is begun (for a progress bar). `milestones` is the stored register's
    milestone vocabulary, in force until a file's `register: milestones` replaces it for what is read after;
    `known_ids` are the facility ids the register holds, which a requirement's `applies_to` may name besides
    those of the files."""
    out = LoadedFiles(milestone_ids=tuple(milestones))
    problems: list[Problem] = []
    for path in paths:
        if on_file is not None:
            on_file(path)
        if path.suffix.lower() in (".csv", ".xlsx"):  # a facility list from a spreadsheet
            problems.extend(read_table(path, today, out))
        else:
            problems.extend(read_yaml(path, today, out))
    problems.extend(cross_check(out, known_ids))
    if problems:
        files = {str(p): i for i, p in enumerate(paths)}
        raise InputError(sorted(problems, key=lambda p: (files.get(p.file, len(files)), p.line)))
    return out
