"""Session fixture for retrieval tests: one HybridRetriever over the session's built index."""

from __future__ import annotations

import pytest

from assistant.settings import Settings


@pytest.fixture(scope="session")
def hybrid(built_index: Settings):  # -> HybridRetriever
    from assistant.retrieval.hybrid import HybridRetriever

    return HybridRetriever.from_settings(built_index)

