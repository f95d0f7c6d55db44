"""Value types produced by ingest and read by everything downstream.

A ``Chunk`` is a citation unit: its id is a hash of its document, position and text, so a citation
key survives re-ingest and Chroma upserts stay idempotent.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ChunkKind = Literal["text", "table", "caption"]


class DocumentMeta(BaseModel):
    """One entry of ``corpus/metadata.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    file: str
    title: str
    short_title: str
    authors: list[str] = Field(default_factory=list)
    journal: str
    year: int
    year_label: str = Field(description='What the user sees, e.g. "2021" or "about 2019".')
    year_is_approximate: bool
    role: str
    sha256: str


class Chunk(BaseModel):
    """A passage of one document, cleaned for search, traceable to the printed source lines."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    doc_id: str
    kind: ChunkKind
    section: str = Field(description="Nearest section heading above the chunk ('' if none).")
    text: str = Field(description="Cleaned text: embedded, BM25-indexed and used for sentence selection.")
    line_start: int = Field(ge=1, description="First source line (1-based, inclusive) in corpus/<doc>.txt.")
    line_end: int = Field(ge=1, description="Last source line (1-based, inclusive).")
    year: int
    # Deterministic tags (issue 4): which guideline branches, regimens and trials the chunk speaks about.
    branches: tuple[str, ...] = ()
    regimens: tuple[str, ...] = ()
    trials: tuple[str, ...] = ()

    @staticmethod
    def make_id(doc_id: str, line_start: int, text: str) -> str:
        """Content-hashed id: stable across runs, changes when the text or its place changes."""
        digest = hashlib.sha256(f"{doc_id}\x00{line_start}\x00{text}".encode()).hexdigest()
        return f"{doc_id}:{line_start}:{digest[:12]}"
