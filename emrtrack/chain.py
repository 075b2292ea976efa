"""The history's hash chain: each event's SHA-256 covers its content, its change and the event before.

Pure functions shared by the schema migration that fills the chain and by the register that extends it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

GENESIS = "0" * 64

# The columns an event's hash covers, in this order: the event's own, then its change's.
EVENT_COLUMNS = ("id", "change_id", "entity", "key", "milestone", "action", "old", "new")
CHANGE_COLUMNS = ("recorded_at", "actor", "source", "command", "summary", "ref", "note", "reverts")


_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # one encoder: built once


def event_hash(prev_hash: str, event: Sequence[Any], change: Sequence[Any]) -> str:
    """SHA-256 (hex) of the canonical JSON `[prev_hash, event, change]`."""
    return event_hasher(change)(prev_hash, event)


def event_hasher(change: Sequence[Any]) -> Callable[[str, Sequence[Any]], str]:
    """`event_hash` for the events of one change, its part of the JSON written once."""
    tail = "," + _json(list(change)) + "]"

    def hash_event(prev_hash: str, event: Sequence[Any]) -> str:
        payload = "[" + _json(prev_hash) + "," + _json(list(event)) + tail
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    return hash_event
