"""Every {doc, line, quote} in the rule data and the vocabulary is checked against corpus/."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rules_corpus_quotes import quote_problem

ROOT = Path(__file__).resolve().parents[2]
DATA_FILES = sorted((ROOT / "assistant" / "rules" / "data").glob("*.yaml")) + sorted(
    (ROOT / "assistant" / "vocabulary").glob("*.yaml")
)


def _sources(node, path):
    if isinstance(node, dict):
        if {"doc", "line", "quote"} <= node.keys():
            yield path, node
        for key, value in node.items():
            yield from _sources(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _sources(value, f"{path}[{i}]")


ALL_SOURCES = [
    pytest.param(src, id=f"{file.name}:{path}")
    for file in DATA_FILES
    for path, src in _sources(yaml.safe_load(file.read_text(encoding="utf-8")), "")
]


def test_rule_data_has_many_sources():
    assert len(ALL_SOURCES) > 200


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_source_quote_starts_on_cited_line(source):
    assert quote_problem(source["doc"], source["line"], source["quote"]) is None


@pytest.mark.parametrize(
    ("doc", "line", "quote"),
    [
        pytest.param("imwg-2021", 71, "Rd=lenalidomide plus dexamethasone.", id="quote-on-next-line"),
        pytest.param("imwg-2021", 70, "Rd=lenalidomide plus dexamethasone, invented", id="not-verbatim"),
        pytest.param("nope-2020", 1, "anything", id="unknown-doc"),
    ],
)
def test_quote_problem_rejects_bad_citations(doc, line, quote):
    assert quote_problem(doc, line, quote) is not None
