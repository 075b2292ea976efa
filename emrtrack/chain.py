"""The history's hash chain: each event's SHA-256 covers its content, its change and the event before.

Pure functions shared by the schema migration that fills the chain and by the register that extends it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

GENESIS = "0" * 64

# The columns an event's hash covers, in this order: the event's own, then its change's.
EVENT_COLUMNS = ("id", "change_id", "entity", "key", "milestone", "action", "old", "new")
CHANGE_COLUMNS = ("recorded_at", "actor", "source", "command", "summary", "ref", "note", "reverts")


def json_encoder(*, sort_keys: bool = False, separators: tuple[str, str] = (",", ":")) -> Callable[[Any], str]:
    """`json.JSONEncoder(ensure_ascii=False, ...).encode`, giving the same text, with the C encoder built
    once: the json module builds it anew on every call, which costs as much as the encoding itself."""
    reference = json.JSONEncoder(ensure_ascii=False, sort_keys=sort_keys, separators=separators)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - a Python without the json module's C part
        return reference.encode
    encode_chunks = make(None, reference.default, json.encoder.encode_basestring, None, separators[1],
                         separators[0], sort_keys, False, True)

    def encode(value: Any) -> str:
        return "".join(encode_chunks(value, 0))

    return encode


_json = json_encoder()


def event_hash(prev_hash: str, event: tuple[Any, ...] | list[Any], change: tuple[Any, ...] | list[Any]) -> str:
    """SHA-256 (hex) of the canonical JSON `[prev_hash, event, change]`."""
    return event_hasher(change)(prev_hash, event)


def event_hasher(change: tuple[Any, ...] | list[Any]) -> Callable[[str, tuple[Any, ...] | list[Any]], str]:
    """`event_hash` for the events of one change, its part of the JSON written once."""
    tail = "," + _json(tuple(change)) + "]"
    sha256, text = hashlib.sha256, json.encoder.encode_basestring

    def hash_event(prev_hash: str, event: tuple[Any, ...] | list[Any]) -> str:
        return sha256(("[" + text(prev_hash) + "," + _json(event) + tail).encode()).hexdigest()

    return hash_event
