"""The history's hash format never changes: every register written so far must keep verifying.

The chain's definition is SHA-256 of the JSON text `[prev_hash, event, change]` (no spaces, non-ASCII
as is), as Python's json module writes it; the register builds that text faster, and these tests hold
it to the definition."""

from __future__ import annotations

import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from emrtrack.store.chain import GENESIS, event_hash, event_hasher
from emrtrack.store.codec import aliases_json as _aliases
from emrtrack.store.codec import canonical as _canonical


def _defined(prev: str, event: tuple, change: tuple) -> str:
    text = json.dumps([prev, event, change], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# any text a register can hold: every character that UTF-8 can carry (quotes, backslashes,
# control characters, line and paragraph separators, emoji)
text = st.text(st.characters(codec="utf-8"), max_size=40)
value = st.none() | text
event = st.tuples(st.integers(1, 2**53), st.integers(1, 2**31), text, text, value, text, value, value)
change = st.tuples(text, text, text, text, text, value, value, st.none() | st.integers(1, 2**31))


def test_a_known_event_has_its_known_hash() -> None:
    event = (7, 2, "milestone", "do-luong-general", "deployed", "recorded", None, "2025-08-20")
    change = (
        "2025-08-21T02:03:04Z",
        "Nguyễn Văn A",
        "mark-deployed",
        "mark",
        'deployed: "Đô Lương"\n\\ \x01 \u2028 😀',
        "3120/SYT-VP",
        None,
        None,
    )
    assert event_hash(GENESIS, event, change) == "c9cab45f0c8bce3b150b5522f1359556e6ab07e3da61da173eb5c6548025c8bb"


@settings(max_examples=500)
@given(st.text(st.characters(codec="utf-8"), max_size=64), st.lists(event, min_size=1, max_size=3), change)
def test_the_hash_is_the_defined_one(prev: str, events: list[tuple], change: tuple) -> None:
    hash_event = event_hasher(change)
    for e in events:
        assert hash_event(prev, e) == _defined(prev, e, change)
        prev = hash_event(prev, e)


@settings(max_examples=500)
@given(st.dictionaries(text, value | st.lists(text, max_size=3) | st.dictionaries(text, st.lists(text)), max_size=8))
def test_documents_are_the_json_modules_sorted_compact_text(doc: dict) -> None:
    """Facility and requirement documents are stored in events, and so are hashed: their text is fixed too."""
    assert _canonical(doc) == json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@given(st.lists(text, max_size=4))
def test_the_aliases_column_is_the_json_modules_text(aliases: list[str]) -> None:
    """A load compares it with what it would write: another text would count every facility as changed."""
    assert _aliases(aliases) == _aliases(tuple(aliases)) == json.dumps(aliases, ensure_ascii=False)
