"""Is the index on disk complete, readable and current? Answered without importing chromadb or torch.

An index is usable only when (1) its state file, written last by a build, is present; (2) Chroma's
SQLite database opens read-only and passes ``PRAGMA quick_check``; (3) its collection holds as many
chunks as the build recorded. Anything else is *damaged* (a killed build, a truncated copy, garbage
bytes) and is rebuilt from scratch. A sound index built from other inputs is merely *stale*: it is
updated incrementally. The vector (HNSW) files are not checked: Chroma rebuilds them from SQLite.

The checks read Chroma's SQLite schema (tables ``collections``, ``segments``, ``embeddings``), which
is internal to chromadb; it is pinned in pyproject.toml, and a test checks a fresh build passes.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

SQLITE_FILE = "chroma.sqlite3"
STATE_FILE = "ingest_state.json"

HealthStatus = Literal["ok", "stale", "missing", "damaged"]

_COLLECTION_COUNT = """
    SELECT count(*) FROM embeddings e
    JOIN segments s ON s.id = e.segment_id
    JOIN collections c ON c.id = s.collection
    WHERE c.name = ? AND s.scope = 'METADATA'
"""


class IndexHealth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: HealthStatus
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def read_state(index_dir: Path) -> dict[str, Any] | None:
    """The state file of a completed build, or None when it is absent or unreadable."""
    try:
        state = json.loads((index_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def check_index(index_dir: Path, collection: str, fingerprint: str | None = None) -> IndexHealth:
    """The health of the index in ``index_dir``; ``fingerprint=None`` checks completeness only."""
    if not (index_dir / SQLITE_FILE).is_file():
        if index_dir.is_dir() and any(index_dir.iterdir()):
            return IndexHealth(status="damaged", reason=f"its database {SQLITE_FILE} is missing")
        return IndexHealth(status="missing", reason=f"no index in {index_dir}")
    state = read_state(index_dir)
    if state is None:
        return IndexHealth(
            status="damaged", reason=f"its state file {STATE_FILE} is missing or unreadable (a build did "
            "not finish)"
        )
    try:
        recorded = int(state["report"]["chunks"])
    except (KeyError, TypeError, ValueError):
        return IndexHealth(status="damaged", reason=f"its state file {STATE_FILE} records no chunk count")
    problem = _database_problem(index_dir / SQLITE_FILE, collection, recorded)
    if problem:
        return IndexHealth(status="damaged", reason=problem)
    if fingerprint is not None and state.get("fingerprint") != fingerprint:
        return IndexHealth(status="stale", reason="it was built from another corpus, code or settings")
    return IndexHealth(status="ok")


def _database_problem(path: Path, collection: str, recorded: int) -> str | None:
    """Why Chroma's database is unusable, or None. Opened read-only: checking never changes a file."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                return f"its database fails SQLite's integrity check ({verdict})"
            if db.execute("SELECT 1 FROM collections WHERE name = ?", (collection,)).fetchone() is None:
                return f"its database has no collection '{collection}'"
            stored = int(db.execute(_COLLECTION_COUNT, (collection,)).fetchone()[0])
    except sqlite3.Error as exc:
        return f"its database cannot be read ({exc})"
    if stored != recorded:
        return f"its collection holds {stored} chunks, but the build that wrote it recorded {recorded}"
    return None
