"""Dense search: embed the query with the project embedder and ask the Chroma index for neighbours."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ingest.models import Chunk


class QueryEmbedder(Protocol):
    def embed_query(self, text: str) -> Sequence[float]: ...


class VectorIndex(Protocol):
    def query(
        self, query_embedding: Sequence[float], n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[Chunk, float]]: ...


class DenseSearcher:
    """Cosine-similarity neighbours of a query; the embedder and index are built once by the caller."""

    def __init__(self, embedder: QueryEmbedder, index: VectorIndex) -> None:
        self._embedder = embedder
        self._index = index

    def embed(self, query: str) -> Sequence[float]:
        return self._embedder.embed_query(query)

    def search(
        self, query: str | Sequence[float], n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[Chunk, float]]:
        """Top ``n`` chunks by similarity (best first) for a query text or a ready embedding."""
        embedding = self.embed(query) if isinstance(query, str) else query
        return self._index.query(embedding, n, where)
