"""Read a set of register files, YAML and spreadsheets alike, into one LoadedFiles, or report every problem."""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import date
from pathlib import Path

from emrtrack.errors import InputError, Problem
from emrtrack.model import MILESTONES
from emrtrack.progress import NOBODY, Phases
from emrtrack.reading.checks import cross_check
from emrtrack.reading.entries import LoadedFiles
from emrtrack.reading.tables import read_table
from emrtrack.reading.yaml_files import read_yaml


def read_files(
    paths: list[Path],
    today: date,
    progress: Phases = NOBODY,
    *,
    milestones: Iterable[str] = MILESTONES,
    known_ids: Container[str] = frozenset(),
) -> LoadedFiles:
    """Read and validate files; raise InputError listing every problem, in every file.

    `progress` hears of each file begun and of each facility read in it. `milestones` is the stored register's
    milestone vocabulary, in force until a file's `register: milestones` replaces it for what is read after;
    `known_ids` are the facility ids the register holds, which a requirement's `applies_to` may name besides
    those of the files."""
    out = LoadedFiles(milestone_ids=tuple(milestones))
    problems: list[Problem] = []
    for path in paths:
        progress.phase("read", file=path.name)
        if path.suffix.lower() in (".csv", ".xlsx"):  # a facility list from a spreadsheet
            problems.extend(read_table(path, today, out, progress))
        else:
            problems.extend(read_yaml(path, today, out, progress))
    problems.extend(cross_check(out, known_ids))
    if problems:
        files = {str(p): i for i, p in enumerate(paths)}
        raise InputError(sorted(problems, key=lambda p: (files.get(p.file, len(files)), p.line)))
    return out
