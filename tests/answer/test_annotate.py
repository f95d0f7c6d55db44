"""Editing of quoted sentences: regimen codes beside spelled-out regimens, no bibliography numbers."""

from __future__ import annotations

import re

import pytest

from assistant.answer.annotate import annotate_regimens, cell_abbreviations, drop_reference_markers
from assistant.answer.compose import answer_question
from assistant.vocabulary import load_vocabulary


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "pomalidomide plus bortezomib plus dexamethasone or carfilzomib plus pomalidomide plus "
            "dexamethasone",
            "pomalidomide plus bortezomib plus dexamethasone [PVd] or carfilzomib plus pomalidomide plus "
            "dexamethasone [KPd]",
            id="two-regimens",
        ),
        pytest.param(
            "better with carfilzomib plus lenalidomide plus dexamethasone (n=184)",
            "better with carfilzomib plus lenalidomide plus dexamethasone [KRd] (n=184)",
            id="longest-name-wins",
        ),
        pytest.param(
            "Daratumumab plus lenalidomide plus dexamethasone (DRd) was superior",
            "Daratumumab plus lenalidomide plus dexamethasone (DRd) was superior",
            id="code-already-given",
        ),
        pytest.param(
            "HR 0·47 [0·29–0·78] with no regimen named",
            "HR 0·47 [0·29–0·78] with no regimen named",
            id="nothing-to-annotate",
        ),
    ],
)
def test_annotate_regimens_adds_codes_once(vocabulary, text: str, expected: str) -> None:
    assert annotate_regimens(text, vocabulary) == expected


@pytest.mark.parametrize(
    ("quoted", "shown"),
    [
        pytest.param("(Dara-Vd) (CASTOR) [20], have", "(Dara-Vd) (CASTOR), have", id="one-reference"),
        pytest.param("t(4;14) [16, 17].", "t(4;14).", id="reference-list"),
        pytest.param("CASTOR [20, 59] / DVd", "CASTOR / DVd", id="table-cell"),
        pytest.param("HR 0.53 [95% CI 0.44–0.67]", "HR 0.53 [95% CI 0.44–0.67]", id="ci-kept"),
        pytest.param("median [0.53]", "median [0.53]", id="decimal-kept"),
    ],
)
def test_drop_reference_markers_removes_bibliography_numbers_only(quoted: str, shown: str) -> None:
    assert drop_reference_markers(quoted) == shown


def test_answer_quoting_the_korean_review_shows_no_bibliography_numbers(services) -> None:
    # "[17]" in a quoted sentence would read as citation 17 (or, worse, as one of ours, e.g. "[2]").
    answer = answer_question(
        "Which combinations improved the poor outcomes of high-risk cytogenetics disease in the Korean "
        "review?",
        services=services,
    )
    assert any(c.doc == "korean-2020" and re.search(r"\[\d+\]", c.text) for c in answer.citations)
    for sentence in answer.sentences:
        assert not {int(n) for n in re.findall(r"\[(\d+)\]", sentence.text)} - set(sentence.citations)


LEGEND = (
    "Table 1\nKd | 154 | NR (NE) | ..\nDKd=daratumumab plus carfilzomib. HR=hazard ratio. NA=not available. "
    "NE=not estimable. NR=not reached. PFS=progression-free survival.\n"
)


@pytest.mark.parametrize(
    ("rows", "stretch"),
    [
        pytest.param(["Kd | 154 | NR (NE) | .."], "NE=not estimable. NR=not reached.", id="cell-values"),
        pytest.param(["Kd | 113 | 8.6, NA | .."], "NA=not available.", id="one-value"),
        pytest.param(
            ["CANDOR | NA / Kd | 154 | NR"],
            "NA=not available. NE=not estimable. NR=not reached.",
            id="context-row",
        ),
        pytest.param(["HR | 154 | 15.8 | .."], "", id="row-label-not-glossed"),
        pytest.param(["Kd | 154 | 15.8 (12.1-19.0) | .."], "", id="no-abbreviation"),
        pytest.param(["Kd 154 NR"], "", id="lost-grid"),
    ],
)
def test_cell_abbreviations_quote_the_tables_own_legend(rows: list[str], stretch: str) -> None:
    assert cell_abbreviations(LEGEND, rows) == stretch


def test_table_answer_explains_its_cell_abbreviations_from_the_cited_legend(services) -> None:
    """The IMWG subgroup table prints "NR (NE)" for DKd's median PFS: the answer quotes the table's own
    legend for NR and NE, cited to that table, with the legend's words highlighted."""
    answer = answer_question(
        "From the IMWG len-refractory subgroup table, what PFS did Kd and DKd give len-refractory patients?",
        services=services,
    )
    assert "NR (NE)" in answer.text
    [glossary] = [s for s in answer.sentences if "NR=not reached" in s.text]
    assert glossary.citations
    for n in glossary.citations:
        cited = answer.citations[n - 1]
        assert cited.kind == "table"
        assert "NR=not reached" in cited.text[cited.span[0] : cited.span[1] + 1]
