"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal rank fusion, with metadata filters.

Dense search finds paraphrases ("second-line options after progression on len maintenance"); BM25 finds
the exact tokens clinicians search for (trial names, "t(11;14)", "18.7", regimen codes). Neither alone
is enough on the dev set (see docs/retrieval.md), so both rank a candidate pool and RRF fuses them.
Filters are applied to both sides with the same semantics, so a filtered search never leaks a chunk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, get_args

import numpy as np

from assistant.retrieval.dense import DenseSearcher, QueryEmbedder, VectorIndex
from assistant.retrieval.expansion import QueryExpander
from assistant.retrieval.fusion import reciprocal_rank_fusion
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.models import Passage, SearchFilters
from assistant.retrieval.source_names import SourceNames
from assistant.settings import Settings
from ingest.corpus import Corpus
from ingest.models import Chunk, ChunkKind, DocumentMeta

_TAG_FIELDS = ("branches", "regimens", "trials")


class InvalidFilter(ValueError):
    """A filter value that matches nothing the index knows; the message lists the valid values."""


class IndexNotReady(RuntimeError):
    """The index is missing or was built with another model: the message says how to (re)build it."""


class ChunkIndex(VectorIndex, Protocol):
    def all_chunks(self) -> list[Chunk]: ...


class HybridRetriever:
    """Dense + BM25 + RRF over one built index. Build once per process; ``search`` is cheap.

    Defaults measured on evals/data/qa_dev.jsonl (docs/retrieval.md), recall@5 of the fused result:
    - ``concept_terms``: chunks and queries are indexed with canonical vocabulary ids, so "Kd" meets
      "carfilzomib plus dexamethasone" at full weight (BM25 alone +0.07);
    - ``expansion_weight`` 0.3: added full names/abbreviations score at 30% of typed words (1.0 lost
      recall@1: long regimen names swamp short queries);
    - ``expand_dense``: the dense side embeds the expanded query (+0.07; MiniLM does not know "Kd");
    - ``dense_weight`` 0.3 in RRF: MiniLM alone is the weaker ranker on this corpus (0.53 vs 0.79);
      at equal weight it pulled the fused recall@5 below BM25's;
    - ``source_boost`` 0.5: a query naming a source ("the Korean review") lifts that source's passages
      by half a first-place RRF score (+0.02 recall@5, +0.02 recall@10; 1.0 was no better).
    """

    def __init__(
        self,
        settings: Settings,
        embedder: QueryEmbedder,
        index: ChunkIndex,
        expander: QueryExpander | None = None,
        expand_dense: bool = True,
        expansion_weight: float = 0.3,
        dense_weight: float = 0.3,
        concept_terms: bool = True,
        source_boost: float = 0.5,
        corpus: Corpus | None = None,
    ) -> None:
        self.settings = settings
        self.corpus = corpus if corpus is not None else Corpus(settings.corpus_dir)
        self.documents: Mapping[str, DocumentMeta] = self.corpus.docs
        self.embedder = embedder
        self.index = index
        self._dense = DenseSearcher(embedder, index)
        self.chunks: tuple[Chunk, ...] = tuple(index.all_chunks())
        if not self.chunks:
            raise IndexNotReady("the index holds no chunks: run `python -m ingest` to build it")
        self._expander = expander if expander is not None else QueryExpander.default()
        self._lexical = LexicalIndex(self.chunks, self._expander.concepts if concept_terms else None)
        self._plain_lexical = LexicalIndex(self.chunks) if concept_terms else self._lexical
        self._position = {c.id: i for i, c in enumerate(self.chunks)}
        self._expand_dense = expand_dense
        self._expansion_weight = expansion_weight
        self._dense_weight = dense_weight
        self._source_boost = source_boost
        self._source_names = SourceNames.load()
        self.doc_ids: tuple[str, ...] = tuple(sorted({c.doc_id for c in self.chunks}))
        self.kinds: tuple[str, ...] = tuple(get_args(ChunkKind))
        self._tag_values = {
            field: sorted({t for c in self.chunks for t in getattr(c, field)}) for field in _TAG_FIELDS
        }

    @classmethod
    def from_settings(cls, settings: Settings, corpus: Corpus | None = None) -> HybridRetriever:
        """Load the embedding model and open the index once; a missing/incompatible index is a clear error."""
        from ingest.embedding import load_embedder
        from ingest.index import IndexIncompatible, IndexMissing, open_index

        embedder = load_embedder(settings)
        try:
            index = open_index(settings, embedder)
        except IndexMissing as exc:
            raise IndexNotReady(f"{exc} — build it with `python -m ingest`") from exc
        except IndexIncompatible as exc:
            raise IndexNotReady(f"{exc} — rebuild it with `python -m ingest --force`") from exc
        return cls(settings, embedder, index, corpus=corpus)

    # ---- public API ----------------------------------------------------------------------------
    def search(self, query: str, k: int = 5, filters: SearchFilters | None = None) -> list[Passage]:
        """The ``k`` best chunks for ``query`` (fused dense + BM25), best first."""
        query = self._check_query(query, k)
        allowed = self._allowed(filters)
        expanded = self._expander.expand(query)
        pool = self.settings.candidate_pool
        dense_hits = self._dense_hits(expanded.text if self._expand_dense else query, pool, filters, allowed)
        lexical_hits = self._lexical.search(
            query, pool, allowed, " ".join(expanded.additions), self._expansion_weight
        )
        dense_ids = [chunk.id for chunk, _ in dense_hits]
        lexical_ids = [chunk.id for chunk, _ in lexical_hits]
        fused = reciprocal_rank_fusion(
            [dense_ids, lexical_ids], k=self.settings.rrf_k, weights=[self._dense_weight, 1.0]
        )
        by_id = {chunk.id: chunk for chunk, _ in (*dense_hits, *lexical_hits)}
        fused = self._prefer_named_sources(query, fused, by_id)[:k]
        dense_rank = {cid: r for r, cid in enumerate(dense_ids, start=1)}
        lexical_rank = {cid: r for r, cid in enumerate(lexical_ids, start=1)}
        return [
            Passage(
                chunk=by_id[cid],
                score=round(score, 6),
                rank=rank,
                dense_rank=dense_rank.get(cid),
                lexical_rank=lexical_rank.get(cid),
            )
            for rank, (cid, score) in enumerate(fused, start=1)
        ]

    def citation_fields(self, passage: Passage) -> dict[str, Any]:
        """What every consumer (CLI JSON, LangChain metadata) shows to locate a hit: doc, title, the year
        label users must see, section, line range, kind and score."""
        chunk = passage.chunk
        meta = self.documents[chunk.doc_id]
        return {
            "id": chunk.id,
            "doc": chunk.doc_id,
            "title": meta.title,
            "year": chunk.year,
            "year_label": meta.year_label,
            "section": chunk.section,
            "line_start": chunk.line_start,
            "line_end": chunk.line_end,
            "kind": chunk.kind,
            "score": passage.score,
        }

    def dense_search(self, query: str, k: int = 5, filters: SearchFilters | None = None) -> list[Passage]:
        """Dense side alone (no expansion): the evaluation's "dense only" row."""
        query = self._check_query(query, k)
        hits = self._dense_hits(query, k, filters, self._allowed(filters))
        return _ranked(hits, lexical=False)

    def lexical_search(
        self, query: str, k: int = 5, filters: SearchFilters | None = None, expand: bool = False
    ) -> list[Passage]:
        """BM25 side alone: the evaluation's "BM25 only" row (plain BM25 unless ``expand``)."""
        query = self._check_query(query, k)
        if not expand:  # plain BM25: the baseline the issue compares against
            return _ranked(self._plain_lexical.search(query, k, self._allowed(filters)), lexical=True)
        additions = " ".join(self._expander.expand(query).additions)
        hits = self._lexical.search(query, k, self._allowed(filters), additions, self._expansion_weight)
        return _ranked(hits, lexical=True)

    # ---- internals -----------------------------------------------------------------------------
    def _prefer_named_sources(
        self, query: str, fused: list[tuple[str, float]], chunks: dict[str, Chunk]
    ) -> list[tuple[str, float]]:
        """Second stage: a query that names a source ("the Korean review") lifts that source's passages.

        The bonus is ``source_boost`` times the RRF score of a first-place lexical hit, so a passage
        from the named source overtakes others of similar fused rank but not a far better one.
        """
        named = self._source_names.find(query)
        if not named or self._source_boost <= 0.0:
            return fused
        bonus = self._source_boost / (self.settings.rrf_k + 1)
        rescored = [(cid, score + bonus if chunks[cid].doc_id in named else score) for cid, score in fused]
        return sorted(rescored, key=lambda pair: -pair[1])

    @staticmethod
    def _check_query(query: str, k: int) -> str:
        if not isinstance(query, str) or not query.strip():
            raise ValueError("the search query is empty")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        return query.strip()

    def _dense_hits(
        self, text: str, n: int, filters: SearchFilters | None, allowed: np.ndarray | None
    ) -> list[tuple[Chunk, float]]:
        if allowed is None:
            return self._dense.search(text, n)
        # Chroma cannot filter on a substring of the section title: fetch everything the metadata
        # filter lets through and apply the same mask as BM25 (the corpus is a few hundred chunks).
        fetch = len(self.chunks) if filters and filters.section else n
        hits = self._dense.search(text, fetch, chroma_where(filters))
        return [(c, s) for c, s in hits if allowed[self._position[c.id]]][:n]

    def _allowed(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Boolean mask over ``self.chunks`` for ``filters`` (None = no filter); unknown values raise."""
        if filters is None or filters == SearchFilters():
            return None
        self._validate(filters)
        section = filters.section.casefold() if filters.section else None

        def keep(chunk: Chunk) -> bool:
            if filters.doc_ids and chunk.doc_id not in filters.doc_ids:
                return False
            if filters.kinds and chunk.kind not in filters.kinds:
                return False
            if section and section not in chunk.section.casefold():
                return False
            return all(
                not getattr(filters, field) or set(getattr(filters, field)) & set(getattr(chunk, field))
                for field in _TAG_FIELDS
            )

        mask = np.fromiter((keep(c) for c in self.chunks), dtype=bool, count=len(self.chunks))
        if not mask.any():
            raise InvalidFilter(f"no passage matches all of these filters together: {_describe(filters)}")
        return mask

    def _validate(self, filters: SearchFilters) -> None:
        unknown_docs = sorted(set(filters.doc_ids) - set(self.doc_ids))
        if unknown_docs:
            raise InvalidFilter(
                f"unknown document id {', '.join(unknown_docs)}; valid: {', '.join(self.doc_ids)}"
            )
        if filters.section is not None:
            if not filters.section.strip():
                raise InvalidFilter("the section filter is empty")
            wanted = filters.section.casefold()
            if not any(wanted in c.section.casefold() for c in self.chunks):
                raise InvalidFilter(f"no section title contains {filters.section!r}")
        for field in _TAG_FIELDS:
            unknown = sorted(set(getattr(filters, field)) - set(self._tag_values[field]))
            if unknown:
                known = ", ".join(self._tag_values[field]) or "none (the index has no such tags)"
                raise InvalidFilter(f"unknown {field} tag {', '.join(unknown)}; tagged in the index: {known}")


def _ranked(hits: list[tuple[Chunk, float]], lexical: bool) -> list[Passage]:
    """Passages of a single retriever's hits (its rank recorded on its side)."""
    return [
        Passage(chunk=c, score=round(s, 6), rank=r, **{"lexical_rank" if lexical else "dense_rank": r})
        for r, (c, s) in enumerate(hits, start=1)
    ]


def chroma_where(filters: SearchFilters | None) -> dict[str, Any] | None:
    """The Chroma ``where`` for the metadata part of ``filters`` (section is matched in Python).

    List-valued tags need ``$contains`` (``$in`` matches nothing on list fields); several conditions
    need an explicit ``$and``.
    """
    if filters is None:
        return None
    conditions: list[dict[str, Any]] = []
    if filters.doc_ids:
        conditions.append({"doc_id": {"$in": list(filters.doc_ids)}})
    if filters.kinds:
        conditions.append({"kind": {"$in": list(filters.kinds)}})
    for field in _TAG_FIELDS:
        values: Sequence[str] = getattr(filters, field)
        if values:
            options = [{field: {"$contains": v}} for v in values]
            conditions.append(options[0] if len(options) == 1 else {"$or": options})
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}


def _describe(filters: SearchFilters) -> str:
    return ", ".join(f"{key}={value}" for key, value in filters.model_dump(exclude_defaults=True).items())
