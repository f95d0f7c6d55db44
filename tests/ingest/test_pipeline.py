"""Ingest end to end with the real model and a real Chroma store in a temp folder."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from assistant.settings import Settings, get_settings
from ingest.embedding import Embedder
from ingest.index import IndexIncompatible, IndexMissing, open_for_writing, open_index
from ingest.pipeline import build_index

SMALL_DOC = "belgian-review"  # the one document of the `small_settings` corpus


def test_build_index_full_corpus_report(built_index: Settings, embedder: Embedder) -> None:
    index = open_index(built_index, embedder)
    meta = index.metadata
    assert meta["embedding_model"] == "all-MiniLM-L6-v2" and meta["embedding_dimension"] == 384
    assert meta["corpus_fingerprint"] and meta["chunker_version"].startswith("chunker-")
    chunks = index.all_chunks()
    assert len(chunks) == index.count() > 150
    assert {c.kind for c in chunks} == {"text", "table", "caption"}
    assert {c.doc_id for c in chunks} == {
        "imwg-2021",
        "korean-2020",
        "barila-2025",
        "len-frontline-review",
        "belgian-review",
    }


def test_build_index_second_run_skips_with_same_ids(built_index: Settings, embedder: Embedder) -> None:
    before = sorted(c.id for c in open_index(built_index, embedder).all_chunks())
    report = build_index(built_index, progress=False)
    assert report.skipped and report.embedded == 0
    after = sorted(c.id for c in open_index(built_index, embedder).all_chunks())
    assert after == before and report.chunks == len(before)


def test_index_query_returns_cosine_similarity_and_filters(built_index: Settings, embedder: Embedder) -> None:
    index = open_index(built_index, embedder)
    query = embedder.embed_query("salvage autologous stem cell transplantation at relapse")
    hits = index.query(query, 5)
    assert len(hits) == 5 and all(-1.0 <= score <= 1.0 for _, score in hits)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    filtered = index.query(
        query, 5, where={"$and": [{"branches": {"$contains": "salvage_asct"}}, {"doc_id": "imwg-2021"}]}
    )
    assert filtered and all("salvage_asct" in c.branches and c.doc_id == "imwg-2021" for c, _ in filtered)
    tables = index.query(query, 3, where={"kind": "table"})
    assert tables and all(c.kind == "table" for c, _ in tables)


def test_build_index_changed_document_replaces_its_chunks(
    small_settings: Settings, embedder: Embedder, rewrite_corpus
) -> None:
    first = build_index(small_settings, progress=False)
    old_ids = {c.id for c in open_index(small_settings, embedder).all_chunks()}
    doc = Path(small_settings.corpus_dir) / f"{SMALL_DOC}.txt"
    text = doc.read_text(encoding="utf-8").replace(
        "Major progress has been achieved", "Great progress was made"
    )
    rewrite_corpus(Path(small_settings.corpus_dir), {SMALL_DOC: text})
    second = build_index(small_settings, progress=False)
    chunks = open_index(small_settings, embedder).all_chunks()
    new_ids = {c.id for c in chunks}
    assert not second.skipped
    assert second.deleted == len(old_ids - new_ids) >= 1
    assert 1 <= second.embedded < first.embedded  # unchanged chunks are not embedded again
    assert len(chunks) == len(new_ids) == second.chunks
    assert any("Great progress was made" in c.text for c in chunks)
    assert not any("Major progress has been achieved" in c.text for c in chunks)


def test_open_index_missing_raises(settings_tmp: Settings, embedder: Embedder) -> None:
    with pytest.raises(IndexMissing, match="python -m ingest"):
        open_index(settings_tmp, embedder)


def test_open_index_other_model_refused(small_settings: Settings, embedder: Embedder) -> None:
    build_index(small_settings, progress=False)
    index = open_for_writing(small_settings, embedder)
    index.set_metadata({**index.metadata, "embedding_model": "some-other-model", "embedding_dimension": 768})
    with pytest.raises(IndexIncompatible, match=r"some-other-model.*768.*all-MiniLM-L6-v2.*384"):
        open_index(small_settings, embedder)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def no_default_embedding_function(monkeypatch: pytest.MonkeyPatch) -> None:
    import chromadb.api.types
    import chromadb.utils.embedding_functions as embedding_functions

    def refuse_init(self, *args, **kwargs):
        raise AssertionError("Chroma's default embedding function was constructed")

    def refuse_call(self, input):
        raise AssertionError("Chroma's default embedding function was called")

    for cls in {chromadb.api.types.DefaultEmbeddingFunction, embedding_functions.DefaultEmbeddingFunction}:
        monkeypatch.setattr(cls, "__init__", refuse_init)
        monkeypatch.setattr(cls, "__call__", refuse_call)
    monkeypatch.setattr(embedding_functions.ONNXMiniLM_L6_V2, "__init__", refuse_init)


def test_ingest_and_embedding_never_touch_network(
    tmp_path: Path, small_settings: Settings, no_network: None, no_default_embedding_function: None
) -> None:
    fresh = Embedder("all-MiniLM-L6-v2", "float32", 16)  # loading the weights is offline too
    assert fresh.embed_query("lenalidomide").shape == (384,)
    report = build_index(small_settings, progress=False)
    assert report.chunks > 5 and not report.skipped
    settings = get_settings(corpus_dir=small_settings.corpus_dir, index_dir=small_settings.index_dir)
    index = open_index(settings, fresh)
    hits = index.query(fresh.embed_query("daratumumab monotherapy at later relapse"), 3)
    assert len(hits) == 3
