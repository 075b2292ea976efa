"""What reading files gives (the entry types and LoadedFiles), the limits and patterns every format
shares, and the decoding of a file's bytes into text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from emrtrack.errors import InputError, Problem
from emrtrack.i18n import _
from emrtrack.model import MILESTONES, Facility, Reached, RegisterInfo, Requirement

DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}\Z")
MILESTONE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")  # an ID without "/"
MAX_FILE_BYTES = 64 * 1024 * 1024
# An .xlsx file is a zip of XML parts: refused before it is unpacked when its parts would unpack to more than
# MAX_UNPACKED_BYTES in all, or when a part of more than UNPACKED_RATIO_FROM bytes would unpack to more than
# MAX_UNPACKED_RATIO times its packed size (a "zip bomb"; real spreadsheets pack 5 to 30 times).
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_UNPACKED_RATIO = 200
UNPACKED_RATIO_FROM = 1024 * 1024


@dataclass(frozen=True)
class ReadOptions:
    """How a load reads spreadsheets, as asked on the command line: carried whole from `load` to the readers.

    `sheet` is the worksheet of an .xlsx file to read (default: the first visible one); with
    `ignore_unknown_columns`, a column the reader does not know is reported in a note and left out, instead of
    refusing the file."""

    sheet: str | None = None
    ignore_unknown_columns: bool = False


READ_AS_ASKED = ReadOptions()


@dataclass
class FacilityEntry:
    """A facility read from a file, with its milestones as known and where it was written."""

    facility: Facility
    milestones: dict[str, Reached]
    file: str
    line: int
    distinct_from: tuple[str, ...] = ()  # facilities the file says this one is not, though named alike


@dataclass
class RequirementEntry:
    requirement: Requirement
    file: str
    line: int


@dataclass
class LoadedFiles:
    """Everything read from one or more files, in file order.

    `milestone_ids` is the milestone vocabulary in force while reading: the stored register's, until a
    file's `register: milestones` replaces it for everything read after."""

    register: RegisterInfo | None = None
    register_fields: frozenset[str] = frozenset()
    milestone_ids: tuple[str, ...] = MILESTONES
    requirements: list[RequirementEntry] = field(default_factory=list)
    facilities: list[FacilityEntry] = field(default_factory=list)
    # (id, file, line) of every facility entry with a usable id, valid or not: for duplicate checks
    facility_ids: list[tuple[str, str, int]] = field(default_factory=list)
    # the Vietnamese label of each milestone of the stored register, by id: headers a spreadsheet may use
    milestone_labels: dict[str, str] = field(default_factory=dict)
    # what a reader did that the user should know of (the sheet read, title rows skipped): one line each
    notes: list[str] = field(default_factory=list)


def check_size(path: Path) -> None:
    """Refuse a file over MAX_FILE_BYTES before reading it (InputError)."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        _too_large(path, size)


def _too_large(path: Path, size: int | None) -> None:
    """Refuse the file at `path`, of `size` bytes (None: more than the limit, read from a stream)."""
    limit = MAX_FILE_BYTES // 2**20
    message = (
        _("the file is over the limit of {limit} MiB").format(limit=limit)
        if size is None
        else _("the file is {size} MiB; the limit is {limit} MiB").format(size=size // 2**20, limit=limit)
    )
    raise InputError([Problem(str(path), 1, message)])


def read_limited(path: Path) -> bytes:
    """A file's bytes, up to MAX_FILE_BYTES: a device or a pipe that says nothing of its size (`/dev/zero`) is
    refused at the limit like a large file, not read until memory runs out."""
    with path.open("rb") as f:
        raw = f.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        _too_large(path, None)
    return raw


def nfc(text: str) -> str:
    """Text in Unicode's composed form (NFC), left as it is when it already is (the usual case)."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def decode(name: str, raw: bytes) -> str:
    """A file's text, in Unicode's composed form (NFC): a name written with decomposed accents, as some
    converters write them, is the same name as the one typed, and loading it again changes nothing."""
    try:
        return nfc(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise InputError(
            [
                Problem(
                    name,
                    line,
                    _("the file is not UTF-8 text (byte {position}: {byte}); save it as UTF-8").format(
                        position=e.start, byte=f"0x{raw[e.start]:02x}"
                    ),
                )
            ]
        ) from None
