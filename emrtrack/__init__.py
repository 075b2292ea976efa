"""emrtrack: a compliance tracker for electronic medical record (EMR) deadlines."""

__version__ = "1.0.0"
