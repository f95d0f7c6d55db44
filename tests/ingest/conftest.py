"""Fixtures for ingest tests: the verified corpus, its chunks, and a small one-document corpus copy."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

from assistant.settings import PROJECT_ROOT, Settings, get_settings
from ingest.corpus import Corpus
from ingest.models import Chunk
from ingest.pipeline import make_chunks

SMALL_DOC = "belgian-review"


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return Corpus(PROJECT_ROOT / "corpus")


@pytest.fixture(scope="session")
def chunks(corpus: Corpus) -> list[Chunk]:
    return make_chunks(corpus, get_settings())


def write_corpus(target: Path, docs: dict[str, str]) -> Path:
    """A corpus folder holding ``{doc_id: text}`` with a manifest whose hashes match."""
    source = yaml.safe_load((PROJECT_ROOT / "corpus" / "metadata.yaml").read_text(encoding="utf-8"))
    target.mkdir(parents=True, exist_ok=True)
    entries = []
    for entry in source["documents"]:
        if entry["id"] in docs:
            text = docs[entry["id"]]
            (target / entry["file"]).write_text(text, encoding="utf-8")
            entries.append({**entry, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()})
    (target / "metadata.yaml").write_text(
        yaml.safe_dump({"documents": entries}, allow_unicode=True), encoding="utf-8"
    )
    return target


@pytest.fixture
def rewrite_corpus():
    """``rewrite_corpus(folder, {doc_id: text})``: replace texts and update the manifest's hashes."""
    return write_corpus


@pytest.fixture
def small_settings(tmp_path: Path) -> Settings:
    """One short document (belgian-review) as the whole corpus: a full build takes seconds."""
    text = (PROJECT_ROOT / "corpus" / f"{SMALL_DOC}.txt").read_text(encoding="utf-8")
    corpus_dir = write_corpus(tmp_path / "corpus", {SMALL_DOC: text})
    return get_settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index")


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", target)
    return target
