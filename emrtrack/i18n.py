"""The interface language: English, or Vietnamese through the gettext catalogue shipped in the package.

Only the tool's own words are translated; facility data (names, ids, notes) never is.
The language is, in order: --lang, $EMRTRACK_LANG, a vi_* locale in $LC_ALL/$LC_MESSAGES/$LANG, else English.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterable
from datetime import date
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


def fmt_number(value: float, digits: int = 1, *, trim: bool = False) -> str:
    """A decimal number as the language writes it: 60.5 in English, 60,5 in Vietnamese."""
    text = f"{value:.{digits}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if _current == "vi" else text


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
