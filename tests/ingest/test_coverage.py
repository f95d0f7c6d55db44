from __future__ import annotations

import json

import pytest

from assistant.settings import PROJECT_ROOT
from ingest.coverage import is_covered, quote_coverage, tokens
from ingest.models import Chunk


@pytest.mark.parametrize(
    ("quote", "text", "expected"),
    [
        pytest.param("median 18·7 months", "median 18.7 months", 1.0, id="mid-dot-equals-dot"),
        pytest.param("ENDEAVOR¹⁷ trial", "the ENDEAVOR trial", 1.0, id="marks-ignored"),
        pytest.param("Kd group 464", "kd GROUP | 464", 1.0, id="case-folded"),
        pytest.param("alpha beta gamma delta epsilon", "alpha beta gamma delta", 0.8, id="partial"),
        pytest.param("", "anything", 0.0, id="empty-quote"),
    ],
)
def test_quote_coverage_examples(quote: str, text: str, expected: float) -> None:
    assert quote_coverage(quote, text) == pytest.approx(expected)


def test_tokens_split_numbers_and_words() -> None:
    assert tokens("HR 0·53 [95% CI 0.44–0.65]") == ["hr", "0", "53", "95", "ci", "0", "44", "0", "65"]


def test_coverage_evidence_quotes_survive_cleaning(chunks: list[Chunk]) -> None:
    """>= 98% of the dev-set evidence quotes are covered by one chunk of their document."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    quotes = [
        evidence
        for line in (PROJECT_ROOT / "evals" / "data" / "qa_dev.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.strip()
        for evidence in json.loads(line).get("evidence", [])
    ]
    assert len(quotes) > 100
    covered = [q for q in quotes if any(is_covered(q["quote"], c.text) for c in by_doc[q["doc"]])]
    assert len(covered) / len(quotes) >= 0.98
