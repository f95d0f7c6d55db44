"""Everything an answer needs, built once per process: model, index, retriever, corpus, rules, vocabulary.

Loading the embedding model and opening Chroma take seconds; answering takes milliseconds. The UI
caches one ``Services`` with ``st.cache_resource``; the CLI and the evaluations build one and reuse it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answer.select import SentenceBank
from assistant.settings import Settings, get_settings
from assistant.vocabulary import Vocabulary, load_vocabulary

# Sentence vectors kept beside the index (derived data, rebuilt when the sentences or the model change).
SENTENCE_CACHE = "answer_sentence_vectors.npz"


@dataclass
class Services:
    """Heavy, shared, read-only objects. Construct with ``Services.load``; never at import time."""

    settings: Settings
    embedder: Any
    index: Any
    retriever: Any  # assistant.retrieval.hybrid.HybridRetriever
    corpus: Any  # ingest.corpus.Corpus
    rules: Any  # assistant.rules rule set (load_rules())
    vocabulary: Vocabulary
    bank: SentenceBank
    chunks_by_id: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls, settings: Settings | None = None, *, build_index: bool = True, warm: bool = True
    ) -> Services:
        """Load the model once, open (or first build) the index, and wire the retriever to them.

        `build_index`: build the index when it is missing (first run). `warm`: embed every corpus
        sentence now (or read the vectors cached beside the index): questions are then fast from the
        first, and the corpus-wide sentence search that backs up passage retrieval is on. Answers
        differ without it; turn it off only for tests of loading itself.
        """
        from assistant.retrieval.hybrid import HybridRetriever
        from assistant.rules import load_rules
        from ingest.corpus import Corpus
        from ingest.embedding import load_embedder
        from ingest.index import open_index

        settings = settings or get_settings()
        _single_thread_inference()
        embedder = load_embedder(settings)
        if build_index:
            _ensure_index(settings)
        index = open_index(settings, embedder)
        embedder = QueryEmbeddingCache(embedder)
        retriever = HybridRetriever(settings, embedder, index)
        vocabulary = load_vocabulary()
        bank = SentenceBank(retriever.chunks, embedder, vocabulary)
        services = cls(
            settings=settings,
            embedder=embedder,
            index=index,
            retriever=retriever,
            corpus=Corpus(settings.corpus_dir),
            rules=load_rules(),
            vocabulary=vocabulary,
            bank=bank,
            chunks_by_id={c.id: c for c in retriever.chunks},
        )
        if warm:
            bank.warm(cache_path=Path(settings.index_dir) / SENTENCE_CACHE)
        return services


def _ensure_index(settings: Settings) -> None:
    """Build a missing, damaged or stale index (or wait for another process's build). What can go wrong
    here (another build still running, a read-only or full disk, another model's index) becomes the
    one-line ``IndexNotReady`` the CLI prints, not a traceback."""
    from assistant.retrieval.hybrid import IndexNotReady
    from ingest.errors import IndexIncompatible, IndexWriteError, IngestBusy
    from ingest.pipeline import ensure_index

    try:
        ensure_index(settings)
    except (IngestBusy, IndexWriteError, IndexIncompatible) as exc:
        raise IndexNotReady(str(exc)) from exc


def _single_thread_inference() -> None:
    """Answering embeds one short question at a time. With torch's default of one thread per core, on a
    2-core machine shared with other work, OpenMP threads spin-wait on each other: measured 0.5 s per
    query embedding with 2 threads vs 25 ms with 1. Batch embedding (ingest) is not affected by this
    call unless it runs in the same process afterwards."""
    import torch

    torch.set_num_threads(1)


class QueryEmbeddingCache:
    """Remembers recent query embeddings: retrieval and sentence scoring embed the same question, and on a
    CPU the embedding is most of an answer's latency. Everything else is passed to the wrapped embedder."""

    def __init__(self, embedder: Any, size: int = 256) -> None:
        self._embedder = embedder
        self._size = size
        self._cache: dict[str, Any] = {}

    def embed_query(self, text: str) -> Any:
        vector = self._cache.get(text)
        if vector is None:
            vector = self._embedder.embed_query(text)
            if len(self._cache) >= self._size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[text] = vector
        return vector

    def embed_documents(self, texts: list[str]) -> Any:
        return self._embedder.embed_documents(texts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embedder, name)
