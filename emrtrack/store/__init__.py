"""The store: SQLite only. `Register` is its entry point; the modules beside it each do one job."""

from emrtrack.store.register import Register, default_actor

__all__ = ["Register", "default_actor"]
