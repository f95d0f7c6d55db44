from __future__ import annotations

from pathlib import Path

import pytest

from ingest.corpus import Corpus, CorpusError


def test_corpus_verified_lists_five_documents(corpus: Corpus) -> None:
    assert set(corpus.docs) == {
        "imwg-2021",
        "korean-2020",
        "barila-2025",
        "len-frontline-review",
        "belgian-review",
    }
    assert corpus.meta("imwg-2021").year == 2021


def test_corpus_changed_file_refused_with_hashes_and_ids(corpus_copy: Path) -> None:
    path = corpus_copy / "imwg-2021.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("18.7", "19.7", 1), encoding="utf-8")
    with pytest.raises(CorpusError) as error:
        Corpus(corpus_copy)
    message = str(error.value)
    assert "imwg-2021.txt" in message
    assert "expected 9f3f8aa0" in message and "found " in message
    assert "valid ids: imwg-2021, korean-2020" in message


def test_corpus_unlisted_file_refused(corpus_copy: Path) -> None:
    (corpus_copy / "extra.txt").write_text("not in the manifest", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"extra\.txt not listed"):
        Corpus(corpus_copy)


def test_corpus_unknown_id_names_valid_ids(corpus: Corpus) -> None:
    with pytest.raises(CorpusError, match="unknown document id 'nope'; valid ids: imwg-2021"):
        corpus.lines("nope")


def test_corpus_printed_returns_source_lines_verbatim(corpus: Corpus) -> None:
    printed = corpus.printed("imwg-2021", 208, 210)
    assert printed.splitlines()[0] == "Salvage ASCT"
    assert printed.splitlines()[2].startswith("Front-line ASCT is the standard of care")


def test_corpus_printed_out_of_range_refused(corpus: Corpus) -> None:
    with pytest.raises(CorpusError, match="outside 'imwg-2021'"):
        corpus.printed("imwg-2021", 370, 9999)
