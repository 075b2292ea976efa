"""The history's hash chain: each event's SHA-256 covers its content, its change and the event before.

Pure functions shared by the schema migration that fills the chain and by the register that extends it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

GENESIS = "0" * 64

# The columns an event's hash covers, in this order: the event's own, then its change's.
EVENT_COLUMNS = ("id", "change_id", "entity", "key", "milestone", "action", "old", "new")
CHANGE_COLUMNS = ("recorded_at", "actor", "source", "command", "summary", "ref", "note", "reverts")


def event_hash(prev_hash: str, event: Sequence[Any], change: Sequence[Any]) -> str:
    """SHA-256 (hex) of the previous hash and a canonical JSON of the event and its change."""
    payload = json.dumps([prev_hash, list(event), list(change)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
