"""Shared, expensive fixtures: settings on a temp index, the real embedding model, a built index.

The index is built once per test session (real model, real Chroma store in a temp folder) and
reused read-only by every test that asks for ``built_index``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from assistant.settings import PROJECT_ROOT, Settings, get_settings


@pytest.fixture
def settings_tmp(tmp_path: Path) -> Settings:
    """Settings whose index lives in this test's temp folder (nothing built yet)."""
    return get_settings(index_dir=tmp_path / "index", corpus_dir=PROJECT_ROOT / "corpus")


# A clean clone must see the same property-test examples every run, so a red CI names a real regression
# rather than a lucky draw; `HYPOTHESIS_PROFILE=explore` searches fresh random examples locally.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(scope="session")
def embedder():  # -> ingest.embedding.Embedder
    from ingest.embedding import load_embedder

    return load_embedder(get_settings())


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> Settings:
    """Settings pointing at a full index of the corpus, built once for the session."""
    from ingest.pipeline import build_index

    settings = get_settings(
        index_dir=tmp_path_factory.mktemp("index") / "chroma", corpus_dir=PROJECT_ROOT / "corpus"
    )
    build_index(settings, progress=False)
    return settings
