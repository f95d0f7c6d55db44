"""The naive LangChain baseline the pipeline is measured against (issue 2, evaluation row d).

What a first attempt looks like: the raw documents (no cleaning, no structure) split with
``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``, embedded with the same model,
stored in a throw-away Chroma via ``langchain-chroma``, searched by similarity top-k.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.retrieval.langchain_retriever import ProjectEmbeddings
from assistant.settings import Settings


class RetrievedText(NamedTuple):
    """One hit as the evaluation sees it: enough to check whether it covers an evidence quote."""

    doc: str
    text: str


class NaiveLangChainBaseline:
    """Build with ``with NaiveLangChainBaseline(settings, embedder) as baseline:``; the store is temporary."""

    CHUNK_SIZE = 1000
    CHUNK_OVERLAP = 200

    def __init__(self, settings: Settings, embedder) -> None:
        self._settings = settings
        self._embeddings = ProjectEmbeddings(embedder)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._store: Chroma | None = None
        self.n_chunks = 0

    def __enter__(self) -> NaiveLangChainBaseline:
        self._tmp = tempfile.TemporaryDirectory(prefix="rrmm-naive-")
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=self.CHUNK_SIZE, chunk_overlap=self.CHUNK_OVERLAP
        )
        texts: list[str] = []
        metadatas: list[dict[str, str]] = []
        for path in sorted(Path(self._settings.corpus_dir).glob("*.txt")):
            for piece in splitter.split_text(path.read_text(encoding="utf-8")):
                texts.append(piece)
                metadatas.append({"doc": path.stem})
        self._store = Chroma(
            collection_name="naive_baseline",
            embedding_function=self._embeddings,
            persist_directory=self._tmp.name,
            client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
        )
        self._store.add_texts(texts, metadatas=metadatas)
        self.n_chunks = len(texts)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._store = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def search(self, query: str, k: int) -> list[RetrievedText]:
        if self._store is None:
            raise RuntimeError("use the baseline inside a `with` block")
        hits = self._store.similarity_search(query, k=k)
        return [RetrievedText(d.metadata["doc"], d.page_content) for d in hits]
