"""Names as officers type them: folded (no case, no diacritics, no invisible characters), the usual
abbreviations written out, i and y taken as one letter where Vietnamese spells a syllable either way, and a
part of a name found where it starts a word. Plain functions, no I/O."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Combining marks (the diacritics NFKD splits off), removed in one pass.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Letters that Unicode decomposition does not split into a base letter and a mark.
_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"})
# Characters that show nothing, pasted inside a word (from a web page or a word processor): removed, so that
# "Lư\u00adơng" is "luong", not "lu ong". Zero-width space, non-joiner and joiner, word joiner, soft hyphen, BOM.
INVISIBLE = "\u200b\u200c\u200d\u2060\u00ad\ufeff"
_DROP_INVISIBLE = str.maketrans(dict.fromkeys(map(ord, INVISIBLE)))


def fold(text: str) -> str:
    """Fold a name for matching: no case, no diacritics, đ as d, words split by single spaces.

    >>> fold("Bệnh viện Đa khoa Đô Lương")
    'benh vien da khoa do luong'
    """
    return " ".join(filter(None, map(_FOLDED_WORDS.__getitem__, text.split())))


class _FoldedWords(dict[str, str]):
    """Each word folded once: names share most of their words."""

    def __missing__(self, word: str) -> str:
        done = _fold_word(word)
        if len(self) < 200_000:
            self[word] = done
        return done


_FOLDED_WORDS = _FoldedWords()


def _fold_word(word: str) -> str:
    if word.isascii():  # nothing to decompose, nothing invisible
        return _NON_ALNUM.sub(" ", word.lower()).strip()
    word = word.translate(_DROP_INVISIBLE).translate(_EXTRA_FOLDS)
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", word))
    return _NON_ALNUM.sub(" ", text.casefold()).strip()


# Abbreviations officers write in facility names, folded: "BV Phổi" is "Bệnh viện Phổi".
ABBREVIATIONS = {
    "bv": "benh vien",
    "bvdk": "benh vien da khoa",
    "dk": "da khoa",
    "ttyt": "trung tam y te",
    "tyt": "tram y te",
    "pk": "phong kham",
    "pkdk": "phong kham da khoa",
    "yhct": "y hoc co truyen",
    "rhm": "rang ham mat",
    "phcn": "phuc hoi chuc nang",
    "bvqy": "benh vien quan y",
    "tt": "trung tam",
    "kv": "khu vuc",
    "tp": "thanh pho",
    "qt": "quoc te",
}


def expand_abbreviations(folded: str) -> str:
    """A folded name with the usual abbreviations written out ("bvdk do luong" → "benh vien da khoa do luong")."""
    return " ".join(ABBREVIATIONS.get(word, word) for word in folded.split())


# A syllable whose only vowel is a final i or y after its initial consonant(s): Vietnamese writes it either way
# (Mỹ/Mĩ, lý/lí, kỳ/kì, Quy/Qui). Other y's (yên, tuy, tây) are other sounds and stay.
_I_OR_Y = re.compile(r"(qu|[bcdghklmnprstvx]{1,3})([iy])")
_Y_SYLLABLE = re.compile(r"\b(qu|[bcdghklmnprstvx]{1,3})y\b")
_MOST_VARIED = 3  # words of a query spelled both ways: 2**3 spellings at most


def match_key(folded: str) -> str:
    """What a folded name is compared by: i for y where the spelling varies ("hoan my" → "hoan mi"). Never shown."""
    return _Y_SYLLABLE.sub(r"\1i", folded) if "y" in folded else folded


def spellings(folded: str) -> list[str]:
    """A folded query as typed, then spelled with i for y or y for i in the syllables written either way:
    ["hoan mi", "hoan my"]. Searching every spelling of the query finds what comparing by `match_key` finds,
    without the names spelled again, and also the words a spelling begins ("quy" finds Quỳnh, "qui" does not)."""
    words = folded.split(" ")
    varied = [i for i, w in enumerate(words) if _I_OR_Y.fullmatch(w)][:_MOST_VARIED]
    out = [words]
    for i in varied:
        other = words[i][:-1] + ("y" if words[i].endswith("i") else "i")
        out += [[*w[:i], other, *w[i + 1 :]] for w in out]
    return [" ".join(w) for w in out]


def word_starts(folded_names: str) -> str:
    """Folded names (one a line) laid out for `starts_a_word`: a space before each name."""
    return " " + folded_names.replace("\n", "\n ")


def starts_a_word(part: str, laid_out: str) -> bool:
    """`part` is in one of the names (as laid out by `word_starts`) where it starts at the start of a word:
    "do lu" is in "benh vien da khoa do luong", "hoa" is not in "da khoa"."""
    return f" {part}" in laid_out
