"""The LangChain retriever passes langchain-tests' standard suite and carries citation metadata."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.retrieval.langchain_retriever import ProjectEmbeddings, RRMMRetriever
from assistant.retrieval.models import SearchFilters

METADATA_KEYS = {
    "id", "doc", "title", "year", "year_label", "section", "line_start", "line_end", "kind", "score"
}


# pytest-asyncio runs in strict mode: the suite's async test needs the marker; the sync ones then warn.
@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:The test <Function:pytest.PytestWarning")
class TestRRMMRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _hybrid(self, hybrid) -> None:
        self._shared_hybrid = hybrid

    @property
    def retriever_constructor(self) -> type[RRMMRetriever]:
        return RRMMRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"hybrid": self._shared_hybrid}

    @property
    def retriever_query_example(self) -> str:
        return "carfilzomib plus dexamethasone in lenalidomide-refractory disease"


def test_rrmm_retriever_documents_carry_citation_metadata(hybrid):
    docs = RRMMRetriever(hybrid=hybrid, k=2).invoke("DREAMM-2 belantamab response")
    assert len(docs) == 2
    assert all(set(d.metadata) >= METADATA_KEYS for d in docs)
    assert all(d.id == d.metadata["id"] and d.page_content for d in docs)


@pytest.mark.parametrize(
    "filters",
    [
        pytest.param(SearchFilters(doc_ids=("barila-2025",)), id="model"),
        pytest.param({"doc_ids": ["barila-2025"]}, id="dict"),
    ],
)
def test_rrmm_retriever_filters_per_call(hybrid, filters):
    docs = RRMMRetriever(hybrid=hybrid).invoke("CAR-T cell therapy", filters=filters)
    assert docs and {d.metadata["doc"] for d in docs} == {"barila-2025"}


def test_project_embeddings_match_the_embedder(embedder):
    adapter = ProjectEmbeddings(embedder)
    query = adapter.embed_query("lenalidomide")
    docs = adapter.embed_documents(["lenalidomide", "bortezomib"])
    assert len(query) == embedder.dimension and len(docs) == 2
    assert query == pytest.approx(docs[0], abs=1e-5)
