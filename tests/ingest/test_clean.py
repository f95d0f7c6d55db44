from __future__ import annotations

import pytest

from ingest.clean import Lexicon, noise_lines, normalise
from ingest.mapped import MappedText
from ingest.models import Chunk

LEXICON = Lexicon.of_lines(
    ["the treatment of disease", "progression-free survival and a progression", "lenalidomide-refractory"]
)


def clean(text: str) -> str:
    lines = text.split("\n")
    mapped = MappedText.join([MappedText.from_line(line, n + 1) for n, line in enumerate(lines)], "\n")
    return normalise(mapped, LEXICON).text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("front-line treat-\nment", "front-line treatment", id="line-break-hyphen-joined"),
        pytest.param("dis- \nease", "disease", id="hyphen-with-trailing-space"),
        pytest.param("lenalidomide-\nrefractory", "lenalidomide-refractory", id="compound-keeps-hyphen"),
        pytest.param("progression-\nfree", "progression-free", id="known-compound"),
        pytest.param("median 18·7 months", "median 18.7 months", id="mid-dot-decimal"),
        pytest.param("ENDEAVOR¹⁷ (HR 0.61)", "ENDEAVOR (HR 0.61)", id="superscript-mark"),
        pytest.param("trial,^{17,18} showed", "trial, showed", id="latex-superscript-mark"),
        pytest.param("at extramedullary sites.1 For", "at extramedullary sites. For", id="mark-after-period"),
        pytest.param(
            "carfilzomib (KRd)12, ixazomib14, and", "carfilzomib (KRd), ixazomib, and", id="glued-marks"
        ),
        pytest.param(
            "HR 0.61 and 18.7 months, 56 mg/m2", "HR 0.61 and 18.7 months, 56 mg/m2", id="numbers-kept"
        ),
        pytest.param("anti-CD38 and PFS2 and XPO1", "anti-CD38 and PFS2 and XPO1", id="identifiers-kept"),
        pytest.param("($p=0\\cdot008$)", "(p=0.008)", id="latex-decimal"),
        pytest.param("insuf\ufffdcient", "insufficient", id="lost-fi-ligature"),
    ],
)
def test_normalise_examples(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_normalise_keeps_source_line_of_every_character() -> None:
    mapped = MappedText.join(
        [MappedText.from_line("dexa-", 10), MappedText.from_line("methasone works.", 12)], "\n"
    )
    out = normalise(mapped, Lexicon.of_lines(["dexamethasone"]))
    assert out.text == "dexamethasone works."
    assert out.line_range(0, 4) == (10, 10)
    assert out.line_range(len("dexa"), len("dexamethasone")) == (12, 12)


def test_noise_lines_imwg_affiliations_furniture_and_references(corpus) -> None:
    noise = noise_lines(corpus.lines("imwg-2021"))
    for line in (27, 29, 31, 33, 35, 43, 57, 63, 72, 100, 102, 144, 146):
        assert line in noise, f"line {line} should be noise"
    assert noise[306] == "references" and noise[298] == "declarations"
    for line in (9, 23, 25, 70, 74, 98, 104, 282, 284):
        assert line not in noise, f"line {line} is content"


def test_chunks_contain_no_affiliation_or_boilerplate(chunks: list[Chunk]) -> None:
    text = "\n".join(c.text for c in chunks)
    for noise in (
        "(Prof ",
        " MD)",
        "Department of Hematology",
        "reports honoraria",
        "N Engl J Med",
        "bloodresearch.or.kr",
        "Blood Res 2020",
        "Lancet Oncol 2021; 22",
        "Correspondence to",
    ):
        assert noise not in text


def test_chunks_join_sentence_split_by_affiliation_block(chunks: list[Chunk]) -> None:
    joined = (
        "A second consideration that will be increasingly important is whether the disease is progressing"
    )
    assert any(joined in c.text for c in chunks if c.doc_id == "imwg-2021")


def test_chunks_rejoin_word_hyphenated_across_a_page_break(chunks: list[Chunk]) -> None:
    """"... 84% in the Bela-" | page break | "VD group and 73% ...": a capital after the break still continues
    the broken word, so the sentence (and its HR) is one unit, not a fragment ending in "Bela-"."""
    assert any("84% in the Bela-VD group and 73%" in c.text for c in chunks if c.doc_id == "barila-2025")


def test_chunks_rejoin_word_split_by_running_footer(chunks: list[Chunk]) -> None:
    assert any("Several combination regimens with Vd" in c.text for c in chunks if c.doc_id == "korean-2020")


def test_chunks_have_no_mid_dot_or_superscript_marks(chunks: list[Chunk]) -> None:
    for chunk in chunks:
        assert "·" not in chunk.text
        assert not any(ch in chunk.text for ch in "¹²³⁴⁵⁶⁷⁸⁹⁰"), chunk.id
