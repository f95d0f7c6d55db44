from __future__ import annotations

import re
import statistics

import pytest

from assistant.settings import get_settings
from ingest.chunk import split_long_text
from ingest.corpus import Corpus
from ingest.coverage import tokens
from ingest.mapped import MappedText
from ingest.models import Chunk


def test_chunks_text_sizes_within_limits(chunks: list[Chunk]) -> None:
    settings = get_settings()
    sizes = [len(c.text) for c in chunks if c.kind == "text"]
    assert statistics.median(sizes) <= 1200
    assert max(sizes) <= settings.chunk_max_chars <= 2000
    assert min(sizes) > 0


def test_chunks_ids_are_content_hashes(chunks: list[Chunk]) -> None:
    assert len({c.id for c in chunks}) == len(chunks)
    for chunk in chunks:
        assert chunk.id == Chunk.make_id(chunk.doc_id, chunk.line_start, chunk.text)


def test_chunks_printed_lines_contain_the_chunk_words(corpus: Corpus, chunks: list[Chunk]) -> None:
    """The source map is right: a chunk's cleaned words are on its printed lines."""
    for chunk in chunks:
        printed = set(tokens(corpus.printed(chunk.doc_id, chunk.line_start, chunk.line_end)))
        words = [t for t in tokens(chunk.text) if not t.isdigit()]
        found = sum(w in printed for w in words) / len(words)
        assert found >= 0.9, (chunk.id, found)


def test_chunks_first_and_last_words_on_first_and_last_line(corpus: Corpus, chunks: list[Chunk]) -> None:
    """The line range is tight: it starts on the line of the first word and ends near the last one."""
    for chunk in chunks:
        if chunk.kind != "text":
            continue
        words = tokens(chunk.text)
        first_line = corpus.printed(chunk.doc_id, chunk.line_start, chunk.line_start).casefold()
        last_lines = corpus.printed(chunk.doc_id, max(chunk.line_start, chunk.line_end - 2), chunk.line_end)
        assert words[0] in first_line, chunk.id
        assert words[-1] in last_lines.casefold(), chunk.id


def _table(chunks: list[Chunk], doc_id: str, caption: str) -> Chunk:
    found = [c for c in chunks if c.doc_id == doc_id and c.kind == "table" and caption in c.text]
    assert len(found) == 1, f"{doc_id}: expected one table chunk with {caption!r}, got {len(found)}"
    return found[0]


@pytest.mark.parametrize(
    ("doc_id", "caption", "row", "legend", "lines"),
    [
        pytest.param(
            "imwg-2021",
            "Table 1: Subgroup analysis",
            "Kd | 154 | 15.8 (12.1 to NE)",
            "DKd=daratumumab",
            (116, 136),
            id="imwg-table-1",
        ),
        pytest.param(
            "imwg-2021",
            "Table 2: Subgroup analysis",
            "DRd group | 286 | 44.5 (34.1–NE)",
            "Elo-Rd=elotuzumab",
            (154, 192),
            id="imwg-table-2",
        ),
        pytest.param(
            "imwg-2021",
            "Table 3: Clinical trials",
            "Belantamab 3.4 mg/kg group | 99 | 4.9",
            "Ide-cel=Idecabtagene",
            (228, 247),
            id="imwg-table-3",
        ),
        pytest.param(
            "barila-2025",
            "Table 1. Current pi-based",
            "Ikema | Isa-KD-vs KD",
            "Abbreviations. PI:",
            (54, 68),
            id="barila-table-1",
        ),
        pytest.param(
            "barila-2025",
            "Table 2. Current and novel",
            "Cartitude-4 | CILTACEL vs D-PD/P-VD",
            "*Triple class refractory",
            (111, 131),
            id="barila-table-2",
        ),
        pytest.param(
            "korean-2020",
            "Table 1. A summary",
            "POLLUX",
            "Abbreviations: D, high-dose",
            (185, 288),
            id="korean-table-1",
        ),
        pytest.param(
            "korean-2020",
            "Table 2. The efficacy",
            "22.6 vs. 10.2 mo",
            "Abbreviations: DRd",
            (290, 378),
            id="korean-table-2",
        ),
        pytest.param(
            "len-frontline-review",
            "Table 1 Sub-analysis",
            "Median PFS months 8.6 6.6 7.8 4.9 9.5 5.6",
            "Kd Carfilzomib-dexamethasone",
            (228, 262),
            id="len-table-1",
        ),
        pytest.param(
            "len-frontline-review",
            "Table 2 Primary end-point",
            "Estimated enrollment: 291 patients",
            "Pom-dex pomalidomide-dexamethasone",
            (509, 600),
            id="len-table-2",
        ),
    ],
)
def test_chunks_tables_whole_with_caption_and_legend(chunks, doc_id, caption, row, legend, lines) -> None:
    table = _table(chunks, doc_id, caption)
    assert row in table.text
    assert legend in table.text
    assert (table.line_start, table.line_end) == lines


def test_chunks_text_never_contains_table_rows(chunks: list[Chunk]) -> None:
    for chunk in chunks:
        if chunk.kind == "text":
            assert " | " not in chunk.text
            assert not re.search(r"^Table \d", chunk.text), chunk.id


@pytest.mark.parametrize(
    ("doc_id", "start"),
    [
        pytest.param("imwg-2021", "Figure 1: Recommendations for the first relapse", id="imwg-figure-1"),
        pytest.param(
            "imwg-2021", "Figure 2: Recommendations for second or higher relapse", id="imwg-figure-2"
        ),
        pytest.param("barila-2025", "Figure 1. Treatment algorithm", id="barila-figure-1"),
        pytest.param("korean-2020", "Fig. 1. Proposed treatment algorithm", id="korean-figure-1"),
    ],
)
def test_chunks_figure_captions_are_own_chunks(chunks: list[Chunk], doc_id: str, start: str) -> None:
    captions = [c for c in chunks if c.doc_id == doc_id and c.kind == "caption" and c.text.startswith(start)]
    assert len(captions) == 1


@pytest.mark.parametrize(
    ("doc_id", "phrase", "section"),
    [
        pytest.param(
            "imwg-2021",
            "The only randomised, controlled trial to show the role of salvage ASCT",
            "Salvage ASCT",
            id="imwg-heading",
        ),
        pytest.param(
            "belgian-review", "Ixazomib (a third PI)", "PROTEASOME INHIBITORS (PIs)", id="belgian-caps"
        ),
        pytest.param(
            "korean-2020",
            "Elotuzumab plus Rd showed significantly better efficacy",
            "Monoclonal antibodies: Elotuzumab",
            id="korean-run-in-label",
        ),
        pytest.param(
            "barila-2025",
            "Both Ide-cel and Cilta-cel have been associated",
            "CAR-T cell therapy",
            id="barila-run-in-title",
        ),
        pytest.param(
            "len-frontline-review",
            "The CHAMPION-1 trial evaluated",
            "Outcomes of patients progressing on frontline lenalidomide therapy: data from phase 1b/2 trials",
            id="len-two-line-heading",
        ),
    ],
)
def test_chunks_know_their_section(chunks: list[Chunk], doc_id: str, phrase: str, section: str) -> None:
    found = [c for c in chunks if c.doc_id == doc_id and phrase in c.text]
    assert found and all(c.section == section for c in found)


def test_split_long_text_cuts_between_sentences_only() -> None:
    settings = get_settings()
    sentence = "The median PFS was 18.7 months vs. 9.4 months (HR 0.53; et al. reported). "
    text = MappedText.from_line(sentence * 60, 1)
    pieces = split_long_text(text, settings)
    assert len(pieces) >= 2
    assert all(len(p) <= settings.chunk_max_chars for p in pieces)
    for piece in pieces:
        assert piece.text.startswith("The median PFS") and piece.text.endswith("reported).")
