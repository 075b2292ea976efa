"""The interface language: English, or Vietnamese through the gettext catalogue shipped in the package.

Only the tool's own words are translated; facility data (names, ids, notes) never is.
The language is, in order: --lang, $EMRTRACK_LANG, a vi_* locale in $LC_ALL/$LC_MESSAGES/$LANG, else English.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

DOMAIN = "emrtrack"
LOCALE_DIR = Path(__file__).parent / "locale"

_translation: gettext.NullTranslations = gettext.NullTranslations()
_current = "en"


def resolve(option: str | None = None) -> str:
    """The language to use, from the option, the environment or the locale."""
    for value in (option, os.environ.get("EMRTRACK_LANG")):
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:  # the first one set decides, as in the C library
            return "vi" if value.lower().startswith("vi") else "en"
    return "en"


def lang_argument(argv: list[str]) -> str | None:
    """The value of the last --lang (or --lang=...) on a command line, if any."""
    found = None
    for i, arg in enumerate(argv):
        if arg == "--":  # what follows is arguments, not options
            break
        if arg == "--lang" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--lang="):
            found = arg.removeprefix("--lang=")
    return found


def set_language(lang: str) -> None:
    """Use `lang` ('en' or 'vi') for every message from now on."""
    global _translation, _current
    if lang == "vi":
        _translation = gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=["vi"])
    else:
        _translation = gettext.NullTranslations()
    _current = lang


def current() -> str:
    return _current


def _(message: str) -> str:
    return _translation.gettext(message)


def N_(message: str) -> str:
    """Marks a message for translation where it is defined; it is translated where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def fmt_date(d: date | None) -> str:
    """A date as the language writes it in a letter: 2025-08-31, or 31/08/2025 in Vietnamese."""
    if d is None:
        return ""
    # Translators: a strftime pattern for dates in letters.
    return d.strftime(_("%Y-%m-%d"))


_VIETNAMESE_DIGITS = str.maketrans({",": ".", ".": ","})


def _written(text: str) -> str:
    """A number formatted the English way (1,234.5), written as the language writes it (1.234,5 in Vietnamese)."""
    return text.translate(_VIETNAMESE_DIGITS) if _current == "vi" else text


def fmt_int(value: int) -> str:
    """A count as the language writes it: 50,000 in English, 50.000 in Vietnamese."""
    return _written(f"{value:,}")


def fmt_number(value: float, digits: int = 1, *, trim: bool = False) -> str:
    """A decimal number as the language writes it: 1,234.5 in English, 1.234,5 in Vietnamese."""
    text = f"{value:,.{digits}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return _written(text)


def fmt_percent(value: float) -> str:
    """A percentage with one decimal, as the language writes it: 60.5% in English, 60,5% in Vietnamese."""
    return f"{fmt_number(value)}%"


def fmt_time(moment: datetime) -> str:
    """A moment to the second, its date as the language writes it: 2025-09-02 21:03:11, 02/09/2025 21:03:11."""
    return f"{fmt_date(moment.date())} {moment:%H:%M:%S}"


def fmt_offset(moment: datetime) -> str:
    """The UTC offset of an aware moment, as people say it: UTC+7, UTC+5:30, UTC-3, UTC."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset else 0
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


_MILESTONE_LABELS = {"appraised": N_("appraised"), "deployed": N_("deployed"), "annex-signed": N_("annex signed")}


class Labelled(Protocol):
    """A milestone of a register's vocabulary (model.MilestoneDef): its id and labels."""

    @property
    def id(self) -> str: ...
    @property
    def en(self) -> str: ...
    @property
    def vi(self) -> str: ...


def milestone_label(milestone: str, vocabulary: Iterable[Labelled] = ()) -> str:
    """A milestone as a report shows it: its label in the register's vocabulary, else the built-in one
    ("annex signed", "đã ký phụ lục"), else its id."""
    for known in vocabulary:
        if known.id == milestone:
            return known.vi if _current == "vi" else known.en
    return _(_MILESTONE_LABELS[milestone]) if milestone in _MILESTONE_LABELS else milestone


def milestone_word(milestone: str, vocabulary: Iterable[Labelled] = ()) -> str:
    """A milestone in a sentence: its key in English (as typed on the command line), else its label."""
    return milestone if _current == "en" else milestone_label(milestone, vocabulary)
