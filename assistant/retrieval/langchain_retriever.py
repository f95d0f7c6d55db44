"""LangChain interfaces over the project's retrieval (the only retrieval module that imports LangChain).

``RRMMRetriever`` lets any LangChain chain use the hybrid, filterable search; ``ProjectEmbeddings``
lets LangChain vector stores use the project's offline embedder (the naive baseline in evals needs it,
and it keeps Chroma from ever constructing its downloading default embedding function).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.models import Passage, SearchFilters


class _Embedder(Protocol):
    def embed_query(self, text: str) -> Sequence[float]: ...
    def embed_documents(self, texts: list[str]) -> Sequence[Sequence[float]]: ...


class ProjectEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over the project embedder (bundled MiniLM weights, no network)."""

    def __init__(self, embedder: _Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in vector] for vector in self._embedder.embed_documents(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self._embedder.embed_query(text)]


class RRMMRetriever(BaseRetriever):
    """Hybrid (dense + BM25 + RRF) search over the RRMM sources as a LangChain retriever.

    ``k`` and ``filters`` can be set on the instance or per call (``invoke(q, k=3, filters=...)``).
    Each ``Document`` holds the chunk's cleaned text and citation metadata: id, doc, title, year,
    year_label, section, line_start, line_end, kind, score.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    hybrid: HybridRetriever
    k: int = Field(5, ge=1)
    filters: SearchFilters | None = None

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        filters: SearchFilters | dict[str, Any] | None = None,
    ) -> list[Document]:
        chosen = self.filters if filters is None else _as_filters(filters)
        passages = self.hybrid.search(query, k=k or self.k, filters=chosen)
        return [passage_document(p, self.hybrid) for p in passages]


def passage_document(passage: Passage, hybrid: HybridRetriever) -> Document:
    return Document(
        id=passage.chunk.id, page_content=passage.chunk.text, metadata=hybrid.citation_fields(passage)
    )


def _as_filters(filters: SearchFilters | dict[str, Any]) -> SearchFilters:
    return filters if isinstance(filters, SearchFilters) else SearchFilters(**filters)
