"""The ways an index can be unusable, as exceptions every caller can catch without importing chromadb.

Each message is one line that says what is wrong and what to do; the CLI prints it as is (exit 2) and
the app shows it instead of a traceback.
"""

from __future__ import annotations


class IndexMissing(Exception):
    """No index has been built in the configured directory yet (run ``python -m ingest``)."""


class IndexIncompatible(Exception):
    """The index was built with another embedding model or dimension (rebuild with ``--force``)."""


class IndexWriteError(Exception):
    """The index cannot be written where it lives (read-only file system, no permission, disk full)."""


class IngestBusy(Exception):
    """Another process is building this index right now."""
