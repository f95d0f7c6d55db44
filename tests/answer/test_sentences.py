"""Sentence splitting (clinical abbreviations) and mapping of sentences onto the printed passage."""

from __future__ import annotations

import re

import pytest

from assistant.answer.sentences import printed_span, split_rows, split_sentences
from assistant.settings import get_settings
from ingest.corpus import Corpus
from ingest.pipeline import make_chunks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Kd vs. Vd improved PFS. It was 18.7 months.", 2, id="vs"),
        pytest.param("Agents (e.g. bortezomib) work. Others, i.e. IMiDs, too.", 2, id="eg-ie"),
        pytest.param("Moreau et al. showed this. It held in all subgroups.", 2, id="et-al"),
        pytest.param("See Fig. 2 for the no. of patients. Next point here.", 2, id="fig-no"),
        pytest.param("HR 0.53 [95% CI 0.44–0.65]. The median was 9.4 months.", 2, id="decimals"),
        pytest.param(
            "PFS was 17.84 months in the PVd arm (n= 64) vs 9.49 in the Vd arm (n= 65) for these. "
            "The next sentence stands alone.",
            2,
            id="open-bracket",
        ),
    ],
)
def test_split_sentences_keeps_clinical_abbreviations(text: str, expected: int) -> None:
    spans = split_sentences(text)
    assert len(spans) == expected
    for span in spans:
        assert text[span.start : span.end] == span.text


def test_split_rows_one_per_line() -> None:
    rows = split_rows("CANDOR | 0.63\nKd group | 154 | 15.8\n\nDKd group | 312 | NR")
    assert [r.text for r in rows] == ["CANDOR | 0.63", "Kd group | 154 | 15.8", "DKd group | 312 | NR"]


def test_printed_span_handles_hyphenation_and_superscripts() -> None:
    printed = "In ENDEAVOR,²¹ Kd improved pro-\ngression-free survival ($p=0\\cdot008$) a lot.\nNext one."
    start, end = printed_span("In ENDEAVOR, Kd improved progression-free survival (p=0·008) a lot.", printed)
    assert printed[start:end].startswith("In ENDEAVOR")
    assert printed[start:end].endswith("a lot")


def test_printed_span_unknown_sentence_falls_back_to_whole_passage() -> None:
    printed = "Completely different text about something else."
    assert printed_span("Carfilzomib dosing in renal failure is 56 mg/m2.", printed) == (0, len(printed))


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def test_printed_span_maps_corpus_sentences_onto_printed_lines() -> None:
    settings = get_settings()
    corpus = Corpus(settings.corpus_dir)
    chunks = [c for c in make_chunks(corpus, settings) if c.kind == "text"]
    total = located = 0
    for chunk in chunks:
        printed = corpus.printed(chunk.doc_id, chunk.line_start, chunk.line_end)
        for sentence in split_sentences(chunk.text):
            start, end = printed_span(sentence.text, printed)
            assert 0 <= start < end <= len(printed)
            total += 1
            if (start, end) != (0, len(printed)):
                # A located span holds the sentence's first or last word (a sentence the cleaner spliced
                # around page furniture may be highlighted from its printed continuation only).
                words = re.findall(r"[A-Za-z]{4,}", sentence.text)
                if words:
                    shown = _normal(printed[start:end])
                    assert _normal(words[0]) in shown or _normal(words[-1]) in shown
                located += 1
    assert located / total >= 0.95


def test_a_stray_open_bracket_does_not_glue_the_whole_passage() -> None:
    text = "Noise ( opens here. " + "This sentence is long enough to stand alone. " * 30
    spans = split_sentences(text)
    assert 1 < len(spans) < 31
    assert max(len(s.text) for s in spans) < 900
