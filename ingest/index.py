"""The Chroma store of chunks: the only module that talks to chromadb's client.

The collection records which embedding model (and dimension) built it; opening it with another
model is refused, because query vectors from one model are meaningless against another's index.
Telemetry is off and the project's embedding function is always passed, so Chroma never constructs
its default (downloading) embedding function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, NotFoundError

from assistant.settings import Settings
from ingest.embedding import Embedder, ProjectEmbeddingFunction
from ingest.errors import IndexIncompatible, IndexMissing  # defined there so callers need no chromadb
from ingest.health import SQLITE_FILE
from ingest.models import Chunk

LIST_FIELDS = ("branches", "regimens", "trials")
SCALAR_FIELDS = ("doc_id", "section", "kind", "line_start", "line_end", "year")
EMBED_KEY = "embed_key"
_BATCH = 256


def client_for(index_dir: Path) -> Any:
    index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(index_dir), settings=ChromaSettings(anonymized_telemetry=False))


def index_exists(settings: Settings) -> bool:
    return (Path(settings.index_dir) / SQLITE_FILE).is_file()


class Index:
    """Read/write access to one collection of chunks."""

    def __init__(self, collection: Any, client: Any = None) -> None:
        self._collection = collection
        self._client = client  # kept by writers only, so a build can release its files before the swap

    def close(self) -> None:
        """Release the writer's client (and Chroma's files) so its directory can be renamed."""
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self._collection.metadata or {})

    def count(self) -> int:
        return int(self._collection.count())

    def ids(self) -> set[str]:
        return set(self._collection.get(include=[])["ids"])

    def embed_keys(self) -> dict[str, str]:
        """{chunk id: hash of the text its vector was computed from}: ingest re-embeds on a mismatch."""
        result = self._collection.get(include=["metadatas"])
        return {
            id_: str((meta or {}).get(EMBED_KEY, ""))
            for id_, meta in zip(result["ids"], result["metadatas"], strict=True)
        }

    def all_chunks(self) -> list[Chunk]:
        """Every chunk, in a stable order (document, then first line): the BM25 corpus."""
        result = self._collection.get(include=["documents", "metadatas"])
        chunks = [
            chunk_from_record(id_, doc, meta)
            for id_, doc, meta in zip(result["ids"], result["documents"], result["metadatas"], strict=True)
        ]
        return sorted(chunks, key=lambda c: (c.doc_id, c.line_start, c.line_end, c.id))

    def query(
        self, query_embedding: Any, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[Chunk, float]]:
        """Nearest chunks by cosine similarity (1 = same direction), best first."""
        if n <= 0:
            return []
        result = self._collection.query(
            query_embeddings=[[float(x) for x in query_embedding]],
            n_results=n,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (chunk_from_record(id_, doc, meta), 1.0 - float(distance))
            for id_, doc, meta, distance in zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=True,
            )
        ]

    def upsert(self, chunks: list[Chunk], embeddings: Any, embed_keys: list[str]) -> None:
        for start in range(0, len(chunks), _BATCH):
            batch = chunks[start : start + _BATCH]
            keys = embed_keys[start : start + _BATCH]
            self._collection.upsert(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[record_metadata(c, key) for c, key in zip(batch, keys, strict=True)],
                embeddings=[[float(x) for x in vector] for vector in embeddings[start : start + _BATCH]],
            )

    def update_metadata(self, chunks: list[Chunk], embed_keys: list[str]) -> None:
        """Rewrite the metadata (tags) of stored chunks without re-embedding them."""
        for start in range(0, len(chunks), _BATCH):
            batch = chunks[start : start + _BATCH]
            keys = embed_keys[start : start + _BATCH]
            self._collection.update(
                ids=[c.id for c in batch],
                metadatas=[record_metadata(c, key) for c, key in zip(batch, keys, strict=True)],
            )

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), _BATCH):
            self._collection.delete(ids=ids[start : start + _BATCH])

    def set_metadata(self, metadata: dict[str, Any]) -> None:
        self._collection.modify(metadata=metadata)


def record_metadata(chunk: Chunk, embed_key: str = "") -> dict[str, Any]:
    """Chroma metadata of a chunk. Empty tag lists are omitted: Chroma rejects empty lists."""
    meta: dict[str, Any] = {name: getattr(chunk, name) for name in SCALAR_FIELDS}
    if embed_key:
        meta[EMBED_KEY] = embed_key
    for name in LIST_FIELDS:
        values = list(getattr(chunk, name))
        if values:
            meta[name] = values
    return meta


def chunk_from_record(id_: str, document: str | None, meta: dict[str, Any] | None) -> Chunk:
    meta = dict(meta or {})
    return Chunk(
        id=id_,
        text=document or "",
        doc_id=str(meta["doc_id"]),
        section=str(meta.get("section", "")),
        kind=meta["kind"],
        line_start=int(meta["line_start"]),
        line_end=int(meta["line_end"]),
        year=int(meta["year"]),
        **{name: tuple(meta.get(name) or ()) for name in LIST_FIELDS},
    )


def model_metadata(embedder: Embedder) -> dict[str, Any]:
    return {"embedding_model": embedder.model_name, "embedding_dimension": embedder.dimension}


def open_index(settings: Settings, embedder: Embedder) -> Index:
    """Open the built index for reading; refuse one built with another embedding model."""
    if not index_exists(settings):
        raise IndexMissing(f"no index in {settings.index_dir}: build it with `python -m ingest`")
    client = client_for(Path(settings.index_dir))
    collection = _get_collection(client, settings.collection, ProjectEmbeddingFunction(embedder))
    if collection is None:
        raise IndexMissing(
            f"index {settings.index_dir} has no collection '{settings.collection}': "
            "build it with `python -m ingest`"
        )
    index = Index(collection)
    check_compatible(index.metadata, embedder, settings)
    return index


def _get_collection(client: Any, name: str, ef: ProjectEmbeddingFunction) -> Any | None:
    """The collection, or None. (``list_collections`` is avoided: it attaches Chroma's default function.)"""
    try:
        return client.get_collection(name, embedding_function=ef)
    except (NotFoundError, ValueError):
        return None


def check_compatible(metadata: dict[str, Any], embedder: Embedder, settings: Settings) -> None:
    expected = model_metadata(embedder)
    found = {key: metadata.get(key) for key in expected}
    if found != expected:
        raise IndexIncompatible(
            f"index in {settings.index_dir} was built with embedding model "
            f"{found['embedding_model']!r} (dimension {found['embedding_dimension']}), but this run uses "
            f"{expected['embedding_model']!r} (dimension {expected['embedding_dimension']}); "
            "rebuild it with `python -m ingest --force`"
        )


def open_for_writing(settings: Settings, embedder: Embedder, *, recreate: bool = False) -> Index:
    """The collection to (re)build, created with cosine space and the model recorded if absent."""
    client = client_for(Path(settings.index_dir))
    ef = ProjectEmbeddingFunction(embedder)
    existing = _get_collection(client, settings.collection, ef)
    if existing is not None and recreate:
        client.delete_collection(settings.collection)
        existing = None
    if existing is not None:
        index = Index(existing, client)
        try:
            check_compatible(index.metadata, embedder, settings)
        except IndexIncompatible:
            index.close()
            raise
        return index
    collection = client.create_collection(
        settings.collection,
        configuration={"hnsw": {"space": "cosine"}},
        metadata=model_metadata(embedder),
        embedding_function=ef,
    )
    return Index(collection, client)


def forget_cached_client(index_dir: Path) -> None:
    """Make the next client for ``index_dir`` open the files now there (after a swap).

    Chroma caches one System per path for the whole process; after the directory is swapped, that
    System still reads the old (deleted) files. It is dropped from the cache, not stopped: collections
    already handed out keep working on the old files until they are released.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    target = index_dir.resolve()
    for identifier in list(SharedSystemClient._identifier_to_system):
        if identifier and Path(identifier).resolve() == target:
            SharedSystemClient._identifier_to_system.pop(identifier, None)


_STORAGE_FAILURES = ("database or disk is full", "readonly database", "disk i/o error")


def is_storage_failure(exc: BaseException) -> bool:
    """Chroma reports SQLite's SQLITE_FULL / SQLITE_READONLY / SQLITE_IOERR as plain InternalErrors."""
    return isinstance(exc, ChromaError) and any(text in str(exc).lower() for text in _STORAGE_FAILURES)
