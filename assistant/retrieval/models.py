"""Types at the retrieval boundary: what a caller may filter on and what comes back."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest.models import Chunk, ChunkKind


class SearchFilters(BaseModel):
    """Optional metadata filters. Unknown values are rejected with the list of valid ones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    doc_ids: tuple[str, ...] = ()
    kinds: tuple[ChunkKind, ...] = ()
    section: str | None = Field(None, description="Case-insensitive substring of the section title.")
    branches: tuple[str, ...] = Field((), description="Chunk tagged with any of these branch ids.")
    regimens: tuple[str, ...] = Field((), description="Chunk tagged with any of these regimens.")
    trials: tuple[str, ...] = Field((), description="Chunk tagged with any of these trials.")


class Passage(BaseModel):
    """One ranked search hit: the chunk, its fused score and where each retriever ranked it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chunk: Chunk
    score: float
    rank: int = Field(ge=1)
    dense_rank: int | None = None
    lexical_rank: int | None = None
    scope: Literal["in_branch", "outside_branch", "unconstrained"] = "unconstrained"
