"""Table questions that do not say "table": a trial's median PFS, OS, HR or MRD rate in a subgroup comes
from the review table's row, with the table's two-row column headers read and its trial names found as
the 2025 review prints them ("Castor", "Apollo")."""

from __future__ import annotations

import pytest

from assistant.answer.compose import answer_question
from assistant.answer.conflicts import load_config
from assistant.answer.select import is_gridded, labelled_row, table_header, table_title
from assistant.answer.table_rows import named_endpoints


def test_table_header_reads_a_group_row_over_its_columns_and_never_a_data_row() -> None:
    text = (
        "Intention-to-treat population | | | One previous line of therapy\n"
        "n | Median PFS, months (95% CI) | HR (95% CI); p value | "
        "n | Median PFS, months (95% CI) | HR (95% CI); p value\n"
        "ASPIRE | 0.69 (0.57–0.83); <0.0001 | 0.69 (0.52–0.94); 0.012\n"
        "Rd group | 396 | 17.6 (15.0–20.6) | .. | 157 | 17.6 (15.0–22.2) | ..\n"
    )
    assert table_header(text) == (
        "Intention-to-treat population | One previous line of therapy / "
        "n | Median PFS, months (95% CI) | HR (95% CI); p value (each)"
    )


GROUPED = (
    "Intention-to-treat population | | | One previous line of therapy\n"
    "n | Median PFS, months (95% CI) | HR (95% CI) | n | Median PFS, months (95% CI) | HR (95% CI)\n"
    "BELLINI | 0.63 (0.44–0.90); 0.010 | 0.75 (0.45–1.26); NA\n"
    "Vd group | 97 | 11.5 (9.6–15.0) | .. | 44 | 11.4 (9.0–NE) | ..\n"
)


def test_a_row_is_shown_with_each_cell_after_its_columns_name() -> None:
    assert labelled_row("Vd group | 97 | 11.5 (9.6–15.0) | .. | 44 | 11.4 (9.0–NE) | ..", GROUPED) == (
        "Vd group: Intention-to-treat population - n: 97; Median PFS, months (95% CI): 11.5 (9.6–15.0); "
        "HR (95% CI): .. | One previous line of therapy - n: 44; Median PFS, months (95% CI): 11.4 (9.0–NE); "
        "HR (95% CI): .."
    )
    flat = "Trial | Regimens | ORR % | mOS (months)\nApollo | D-PD vs PD | 69 | 34.4\n"
    assert labelled_row("Apollo | D-PD vs PD | 69 | 34.4", flat) == (
        "Trial: Apollo; Regimens: D-PD vs PD; ORR %: 69; mOS (months): 34.4"
    )


@pytest.mark.parametrize(
    "row",
    [
        "BELLINI | 0.63 (0.44–0.90); 0.010 | 0.75 (0.45–1.26); NA",  # merged cells: shown as printed
        "n | Median PFS, months (95% CI) | HR (95% CI) | n | Median PFS, months (95% CI) | HR (95% CI)",
    ],
)
def test_a_row_whose_cells_do_not_line_up_with_the_columns_is_not_labelled(row: str) -> None:
    assert labelled_row(row, GROUPED) is None


def test_a_gridded_tables_title_and_header_rows_are_no_evidence_of_their_own(services) -> None:
    bank = services.bank
    tables = [c for c in bank.chunks.values() if c.kind == "table" and is_gridded(c.text)]
    assert tables
    for chunk in tables:
        texts = {u.text for u in bank.units(chunk)}
        assert table_title(chunk.text) not in texts
        assert not any(t.startswith("n | Median PFS") or t.startswith("Trial | Regimens") for t in texts)


def test_a_tables_section_labels_are_no_evidence_and_its_notes_belong_to_no_trial(services) -> None:
    """Barilà Table 2 prints "Car-T Cells" over its CAR-T rows and its footnote key under the MonumenTAL-1
    row: neither is a point, nor is the footnote MonumenTAL-1's row."""
    bank = services.bank
    chunk = next(c for c in bank.chunks.values() if c.kind == "table" and "Car-T Cells" in c.text)
    units = bank.units(chunk)
    assert "Car-T Cells" not in {u.text for u in units}
    footnote = next(u for u in units if u.text.startswith("*Triple class refractory"))
    assert footnote.context == ""
    arm = next(u for u in units if u.text.startswith("Cartitude-4"))
    assert arm.context == ""  # each row of this table names its own trial


def test_the_subgroup_tables_columns_are_part_of_what_a_row_is_matched_on(services) -> None:
    bank = services.bank
    chunk = next(
        c for c in bank.chunks.values() if c.kind == "table" and "One previous line of therapy" in c.text
    )
    frame = bank.units(chunk)[0].frame
    assert "One previous line of therapy" in frame and "Median PFS" in frame and "HR" in frame


def test_a_column_header_word_reads_as_the_words_a_question_uses(services) -> None:
    tokens = services.bank.tokens
    assert tokens("median PFS") <= tokens("mPFS (months)")
    assert tokens("median OS") <= tokens("mOS (months)")


def test_trial_names_as_the_2025_tables_print_them_are_found_but_not_lowercase_words(services) -> None:
    vocabulary = services.vocabulary
    assert [m.id for m in vocabulary.find_trials("Castor | D-VD vs VD | 2")] == ["CASTOR"]
    assert [m.id for m in vocabulary.find_trials("Apollo | D-PD vs PD")] == ["APOLLO"]
    assert vocabulary.find_trials("castor oil and apollo") == []


@pytest.mark.parametrize(
    ("text", "outcomes"),
    [
        ("CASTOR: response rate and median OS with D-Vd?", {"ORR", "OS"}),
        ("What hazard ratio did DKd reach over Kd, and the PFS?", {"HR", "PFS"}),
        ("mPFS In LEN Refractory (months) | mOS (months)", {"PFS", "OS"}),
        ("How well tolerated is D-Vd?", set()),
        ("Any Kd dose adjustment for older patients (e.g. those over 75, or with poor PS)?", set()),
    ],
)
def test_named_endpoints(text: str, outcomes: set[str]) -> None:
    assert named_endpoints(text, load_config()) == outcomes


def _table_citations(answer) -> list:
    return [c for c in answer.citations if c.kind == "table"]


@pytest.mark.parametrize(
    ("question", "figures", "doc"),
    [
        # Barilà Table 1: "Apollo | D-PD vs PD | ... | 12.4 | 9.9 | 34.4" (len-refractory mPFS 9.9, mOS 34.4)
        (
            "What median overall survival did D-Pd give in APOLLO, and the median PFS in its len-refractory "
            "patients?",
            ("9.9", "34.4"),
            "barila-2025",
        ),
        # Barilà Table 1: "Castor | D-VD vs VD | ... | 15.1 | 16.7 | 7.8 | 49.6" (MRD- 15.1%, mOS 49.6)
        (
            "In CASTOR, what rate of MRD negativity and what median OS did D-Vd achieve?",
            ("15.1", "49.6"),
            "barila-2025",
        ),
        # IMWG Table 1 (lenalidomide-refractory subgroup): Kd arm 11.1 (7.4-14.9); HR 0.47 (0.29-0.78)
        (
            "For len-refractory patients in CANDOR, what was the median PFS with Kd alone and DKd's HR?",
            ("11.1", "0.47"),
            "imwg-2021",
        ),
    ],
)
def test_a_trials_outcome_in_a_subgroup_is_answered_from_its_table_row(
    services, question: str, figures: tuple[str, ...], doc: str
) -> None:
    answer = answer_question(question, services=services)
    assert not answer.abstained
    tables = [c for c in _table_citations(answer) if c.doc == doc]
    assert tables, answer.text
    for figure in figures:
        # Copied as printed from the cited table (an arm's row or the trial's row shown above it).
        assert any(figure in c.text for c in tables), (figure, answer.text)
        assert figure in answer.text


def test_a_table_rows_cells_are_shown_after_their_column_names(services) -> None:
    answer = answer_question(
        "What median overall survival did D-Pd give in APOLLO, and the median PFS in its len-refractory "
        "patients?",
        services=services,
    )
    assert "mPFS In LEN Refractory (months): 9.9; mOS (months): 34.4" in answer.text, answer.text


def test_a_trials_outcome_the_prose_gives_gets_no_table_row(services) -> None:
    """ELOQUENT-3's PFS is stated in prose; no table row is added beside it."""
    answer = answer_question("ELOQUENT-3: elo-pom-dex PFS vs pom-dex?", services=services)
    assert "10.3 months" in answer.text
    assert not _table_citations(answer), answer.text


RECORDS = (
    "Table 2 Ongoing phase 3 trials that include\n"
    "patients progressing on lenalidomide\n"
    "CANDOR (NCT03158688):\n"
    "Objective:\n"
    "-To compare Kd, and Daratumumab-Kd\n"
    "Estimated enrollment: 466 patients\n"
    "BOSTON (NCT03110562):\n"
    "Objective:\n"
    "-To compare Vd, and Vd-Selinexor\n"
    "Estimated enrollment: 364 patients\n"
    "Kd carfilzomib-dexamethasone, Vd bortezomib-dexamethasone\n"
)


def test_a_lost_grid_table_of_trial_records_splits_into_records_without_its_caption_or_legend() -> None:
    from assistant.answer.select import load_selection_config, record_spans

    heading = load_selection_config().record_heading
    records = [RECORDS[a:b] for a, b in record_spans(RECORDS, heading)]
    assert records == [
        "CANDOR (NCT03158688):\nObjective:\n-To compare Kd, and Daratumumab-Kd\n"
        "Estimated enrollment: 466 patients",
        "BOSTON (NCT03110562):\nObjective:\n-To compare Vd, and Vd-Selinexor\n"
        "Estimated enrollment: 364 patients",
    ]
    # One heading is no record table: a table printed one cell per line stays whole.
    assert record_spans(RECORDS.split("BOSTON")[0], heading) == []


def test_a_trial_record_is_quoted_with_the_tables_caption_not_the_whole_table(services) -> None:
    """The frontline-len review's Table 2 lost its grid but prints one record per ongoing trial: asked about
    BOSTON, the answer quotes BOSTON's record (its 364 planned patients), not every trial's."""
    answer = answer_question("BOSTON: planned vs actual enrollment and result?", services=services)
    records = [s for s in answer.sentences if "BOSTON (NCT03110562)" in s.text]
    assert len(records) == 1 and "Estimated enrollment: 364 patients" in records[0].text
    assert records[0].text.startswith("Table 2 Primary end-point")
    assert "progressing on lenalidomide: BOSTON" in records[0].text
    assert not any(name in answer.text for name in ("CANDOR (NCT", "BELLINI (NCT", "466 patients"))
    citation = answer.citations[records[0].citations[0] - 1]
    start, end = citation.span
    assert citation.text[start:end].startswith("BOSTON (NCT03110562)")
    assert citation.text[start:end].rstrip().endswith("364 patients")


def test_a_question_naming_no_trial_gets_the_records_holding_its_answer(services) -> None:
    answer = answer_question(
        "Which ongoing phase 3 trials had to enroll patients refractory to the last line of treatment?",
        services=services,
    )
    shown = [s.text for s in answer.sentences if "(NCT" in s.text]
    assert any("ICARIA" in t and "refractory to the last line of treatment" in t for t in shown), shown
    assert len(shown) < 6  # the records holding the chosen lines, not all six trials
    assert all(t.rstrip().endswith("patients") for t in shown)  # each record whole, without the legend


def test_a_record_under_the_sources_misprinted_trial_name_is_that_trials(services) -> None:
    """The frontline-len review prints APOLLO's record as "APPOLLO / EMN14 (NCT 03180736)": the misprint and
    the EMN14 code are APOLLO's names, so its criteria and planned size answer a question about APOLLO."""
    for question in (
        "APOLLO inclusion criteria and estimated enrollment?",
        "Could a patient with only one prior line enter APOLLO, per its inclusion criteria?",
    ):
        answer = answer_question(question, services=services)
        assert not answer.abstained, question
        records = [s.text for s in answer.sentences if "(NCT" in s.text]
        assert records and all("APPOLLO / EMN14" in t for t in records), (question, records)
        assert "Estimated enrollment: 302 patients" in records[0]
        assert "60 days of completion of the lenalidomide-containing" in records[0]
