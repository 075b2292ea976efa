"""The history's hash chain: each event's SHA-256 covers its content, its change and the event before.

Pure functions shared by the schema migration that fills the chain and by the register that extends it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

GENESIS = "0" * 64

# The columns an event's hash covers, in this order: the event's own, then its change's.
EVENT_COLUMNS = ("id", "change_id", "entity", "key", "milestone", "action", "old", "new")
CHANGE_COLUMNS = ("recorded_at", "actor", "source", "command", "summary", "ref", "note", "reverts")


def event_hash(prev_hash: str, event: tuple[Any, ...] | list[Any], change: tuple[Any, ...] | list[Any]) -> str:
    """SHA-256 (hex) of the canonical JSON `[prev_hash, event, change]`: the text Python's
    `json.dumps(..., ensure_ascii=False, separators=(",", ":"))` gives, in UTF-8."""
    return event_hasher(change)(prev_hash, event)


def event_hasher(change: tuple[Any, ...] | list[Any]) -> Callable[[str, tuple[Any, ...] | list[Any]], str]:
    """`event_hash` for the events of one change, its part of the JSON written once."""
    import hashlib  # here, not at the top: loading OpenSSL costs every command a few MiB, and reads need none

    dumps, sha256 = orjson.dumps, hashlib.sha256  # orjson writes that same text, several times faster
    tail = b"," + dumps(tuple(change)) + b"]"

    def hash_event(prev_hash: str, event: tuple[Any, ...] | list[Any]) -> str:
        return sha256(b"[" + dumps(prev_hash) + b"," + dumps(event) + tail).hexdigest()

    return hash_event
