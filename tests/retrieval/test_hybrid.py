"""Hybrid retrieval over the real built index: relevance, filters, errors, no network."""

from __future__ import annotations

import socket

import pytest
from pydantic import ValidationError

from assistant.retrieval.hybrid import (
    HybridRetriever,
    IndexNotReady,
    InvalidFilter,
    chroma_where,
)
from assistant.retrieval.models import SearchFilters
from assistant.retrieval.source_names import SourceNames
from assistant.settings import PROJECT_ROOT, get_settings


@pytest.mark.parametrize(
    ("query", "doc", "phrase"),
    [
        pytest.param("OPTIMISMM PFS lenalidomide-refractory", "imwg-2021", "OPTIMISMM", id="trial-subgroup"),
        pytest.param("ENDEAVOR Kd vs Vd overall survival", "imwg-2021", "ENDEAVOR", id="regimen-codes"),
        pytest.param("t(11;14) venetoclax", "imwg-2021", "t(11;14)", id="karyotype"),
        pytest.param("salvage auto after a long first remission", "imwg-2021", "ASCT", id="auto-means-asct"),
        pytest.param("teclistamab elranatamab bispecifics", "barila-2025", "Teclistamab", id="newest-drugs"),
    ],
)
def test_search_clinical_query_hits_expected_passage(hybrid, query, doc, phrase):
    passages = hybrid.search(query, k=5)
    assert any(p.chunk.doc_id == doc and phrase.casefold() in p.chunk.text.casefold() for p in passages)


def test_search_returns_k_ranked_unique_passages(hybrid):
    passages = hybrid.search("daratumumab lenalidomide dexamethasone first relapse", k=7)
    assert [p.rank for p in passages] == list(range(1, 8))
    assert len({p.chunk.id for p in passages}) == 7
    assert all(p.dense_rank or p.lexical_rank for p in passages)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_search_doc_filter_keeps_only_that_document(hybrid):
    passages = hybrid.search("carfilzomib", k=10, filters=SearchFilters(doc_ids=("korean-2020",)))
    assert passages and {p.chunk.doc_id for p in passages} == {"korean-2020"}


def test_search_kind_filter_returns_tables(hybrid):
    passages = hybrid.search("median PFS hazard ratio", k=5, filters=SearchFilters(kinds=("table",)))
    assert passages and all(p.chunk.kind == "table" for p in passages)


def test_search_section_filter_is_case_insensitive_substring(hybrid):
    passages = hybrid.search("options", k=5, filters=SearchFilters(section="CAR-T"))
    assert passages and all("car-t" in p.chunk.section.casefold() for p in passages)


def test_search_regimen_tag_filter_matches_tagged_chunks_on_both_sides(hybrid):
    tag = hybrid._tag_values["regimens"][0]
    filters = SearchFilters(regimens=(tag,))
    passages = hybrid.search("progression-free survival", k=5, filters=filters)
    assert passages and all(tag in p.chunk.regimens for p in passages)
    dense_only = hybrid.dense_search("progression-free survival", k=5, filters=filters)
    assert dense_only and all(tag in p.chunk.regimens for p in dense_only)


def test_search_branch_tag_filter(hybrid):
    branch = hybrid._tag_values["branches"][0]
    passages = hybrid.search("what to give next", k=3, filters=SearchFilters(branches=(branch,)))
    assert passages and all(branch in p.chunk.branches for p in passages)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        pytest.param(SearchFilters(doc_ids=("nope",)), "unknown document id nope; valid: barila", id="doc"),
        pytest.param(SearchFilters(section="zzz-no-such"), "no section title contains", id="section"),
        pytest.param(SearchFilters(regimens=("XYZd",)), "unknown regimens tag XYZd", id="regimen-tag"),
        pytest.param(SearchFilters(branches=("no_branch",)), "unknown branches tag", id="branch-tag"),
    ],
)
def test_search_invalid_filter_raises_with_valid_values(hybrid, filters, message):
    with pytest.raises(InvalidFilter, match=message):
        hybrid.search("lenalidomide", filters=filters)


def test_search_filters_reject_unknown_kind():
    with pytest.raises(ValidationError):
        SearchFilters(kinds=("figure",))


@pytest.mark.parametrize("query", [pytest.param("", id="empty"), pytest.param("   ", id="blank")])
def test_search_empty_query_raises(hybrid, query):
    with pytest.raises(ValueError, match="empty"):
        hybrid.search(query)


def test_chroma_where_combines_conditions_with_and():
    where = chroma_where(SearchFilters(doc_ids=("imwg-2021",), regimens=("Kd", "DKd")))
    assert where == {
        "$and": [
            {"doc_id": {"$in": ["imwg-2021"]}},
            {"$or": [{"regimens": {"$contains": "Kd"}}, {"regimens": {"$contains": "DKd"}}]},
        ]
    }


def test_from_settings_missing_index_says_how_to_build(tmp_path):
    settings = get_settings(index_dir=tmp_path / "nothing-here", corpus_dir=PROJECT_ROOT / "corpus")
    with pytest.raises(IndexNotReady, match="python -m ingest"):
        HybridRetriever.from_settings(settings)


def test_search_makes_no_network_calls(built_index, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted during search")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    retriever = HybridRetriever.from_settings(built_index)  # opening the index and model: offline too
    assert retriever.search("KRd ASPIRE overall survival", k=3)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("What does the Korean review recommend?", {"korean-2020"}, id="korean"),
        pytest.param("IMWG and Barilà on CAR-T", {"imwg-2021", "barila-2025"}, id="two"),
        pytest.param("what do the reviews say", set(), id="none"),
        pytest.param("The 2025 update and Belgium", {"barila-2025", "belgian-review"}, id="other-names"),
    ],
)
def test_source_names_found_in_query(query, expected):
    assert SourceNames.load().find(query) == expected


def test_source_names_blanked_keep_offsets():
    """Selection reads a question without the sources' names (they say where to look, not what to find);
    the blanked text keeps every other word at its offset."""
    question = "What does the IMWG say about KRd in the Korean review?"
    content, documents = SourceNames.load().blank(question)
    assert documents == {"imwg-2021", "korean-2020"}
    assert len(content) == len(question)
    assert "IMWG" not in content and "Korean" not in content
    assert content.index("KRd") == question.index("KRd")
