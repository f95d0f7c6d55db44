"""Tokeniser keeps clinical tokens whole; BM25 ranks exact clinical matches first and honours masks."""

import numpy as np
import pytest

from assistant.retrieval.lexical import LexicalIndex, tokenize
from ingest.models import Chunk


def _chunk(n: int, text: str, section: str = "") -> Chunk:
    return Chunk(
        id=f"toy:{n}", doc_id="toy", kind="text", section=section, text=text,
        line_start=n, line_end=n, year=2021,
    )


TOY = [
    _chunk(1, "Kd group 464 patients, median PFS 18·7 months (15.6 to NE) in ENDEAVOR."),
    _chunk(2, "Patients with t(11;14) may respond to venetoclax plus dexamethasone."),
    _chunk(3, "Isa-Kd prolonged progression-free survival in IKEMA versus Kd."),
    _chunk(4, "Lenalidomide-refractory disease after frontline maintenance is common."),
    _chunk(5, "High-risk cytogenetics such as del(17p) predict shorter survival.", section="Cytogenetics"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("t(11;14)", ["t(11;14)", "11;14"], id="translocation"),
        pytest.param("11;14", ["11;14"], id="bare-karyotype"),
        pytest.param("del(17p)", ["del(17p)"], id="deletion"),
        pytest.param("18·7", ["18.7"], id="middle-dot-decimal"),
        pytest.param("Isa-Kd", ["isa-kd", "isa", "kd"], id="hyphenated-regimen"),
        pytest.param("the KRd", ["krd"], id="stopword-and-code"),
        pytest.param("0.32–0.89", ["0.32", "0.89"], id="en-dash-range"),
    ],
)
def test_tokenize_keeps_clinical_tokens(text, expected):
    assert tokenize(text) == expected


def test_tokenize_hyphenated_word_also_yields_stemmed_parts():
    tokens = tokenize("lenalidomide-refractory")
    assert tokens[0] == "lenalidomide-refractory"
    assert set(tokenize("lenalidomide refractory")) <= set(tokens)


@pytest.mark.parametrize(
    ("query", "expected_id"),
    [
        pytest.param("18.7 months", "toy:1", id="number"),
        pytest.param("t(11;14)", "toy:2", id="translocation"),
        pytest.param("Isa-Kd", "toy:3", id="regimen-code"),
        pytest.param("lenalidomide refractory", "toy:4", id="hyphen-split"),
        pytest.param("cytogenetics", "toy:5", id="section-title"),
    ],
)
def test_lexical_search_ranks_exact_clinical_match_first(query, expected_id):
    hits = LexicalIndex(TOY).search(query, n=3)
    assert hits[0][0].id == expected_id


def test_lexical_search_mask_excludes_chunks():
    index = LexicalIndex(TOY)
    allowed = np.array([c.id != "toy:2" for c in TOY])
    assert all(chunk.id != "toy:2" for chunk, _ in index.search("t(11;14)", n=5, allowed=allowed))


def test_lexical_search_unknown_words_return_nothing():
    assert LexicalIndex(TOY).search("zebrafish", n=5) == []


def test_lexical_index_refuses_empty_corpus():
    with pytest.raises(ValueError, match="zero chunks"):
        LexicalIndex([])
