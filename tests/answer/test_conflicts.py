"""Source disagreements on the real corpus: a later data cut of the same trial and population is shown with
both years; a subgroup figure, a figure of another trial or the same figure printed at another precision is
not a disagreement."""

from __future__ import annotations

import re

import pytest

from assistant.answer.compose import answer_question
from assistant.answer.conflicts import _same, endpoint_figures, find_conflicts, load_config, read_findings
from assistant.answer.select import ScoredUnit
from assistant.retrieval.models import Passage


def _scored(services, sentence_start: str, score: float = 1.0) -> ScoredUnit:
    """The corpus sentence opening with `sentence_start`, as a scored unit."""
    for chunk in services.bank.chunks.values():
        for unit in services.bank.units(chunk):
            if unit.kind == "sentence" and unit.text.startswith(sentence_start):
                return ScoredUnit(
                    unit=unit,
                    passage=Passage(chunk=chunk, score=score, rank=1),
                    score=score,
                    lexical=score,
                    dense=score,
                    entity=0.0,
                    numbers=0.0,
                )
    raise AssertionError(f"no corpus sentence opens with {sentence_start!r}")


# MM-014 in lenalidomide-refractory patients: ORR 75 % after 8.2 months (2019 review), 76.2 % after 28.4
# months (2025 update).
MM014_2019 = "The ORR (primary end-point) was 75% in lenalidomide-refractory patients"
MM014_2025 = "With a median follow-up of 28.4 months, Len refractory patients showed an ORR of 76.2%"
# ENDEAVOR: the whole population (Korean review) and the len-refractory subgroup (2019 review).
ENDEAVOR_ALL = "Kd also significantly improved PFS (18.7 vs. 9.4 mo)"
ENDEAVOR_SUBGROUP = "The median PFS for the group of lenalidomide-refractory patients was rather short"
# CASTOR's HR printed as 0.3123 (2019 review) and 0.31 (IMWG).
CASTOR_2019 = "The triplet combination was associated with a significant PFS improvement"
CASTOR_IMWG = "In CASTOR, after 19.4 months of median follow-up"


def test_a_later_data_cut_of_the_same_population_is_a_conflict(services):
    point, other = _scored(services, MM014_2019), _scored(services, MM014_2025, score=0.9)
    found = find_conflicts([point], [point, other], services.bank, services.vocabulary, frozenset({"MM-014"}))
    assert [(c.trial, c.endpoints) for c in found] == [("MM-014", ("ORR", "PFS"))]
    assert [s.passage.chunk.doc_id for s in found[0].sides] == ["len-frontline-review", "barila-2025"]


@pytest.mark.parametrize(
    ("first", "second", "why"),
    [
        (ENDEAVOR_ALL, ENDEAVOR_SUBGROUP, "whole population vs len-refractory subgroup"),
        (CASTOR_2019, CASTOR_IMWG, "HR 0.3123 and 0.31 are one figure"),
    ],
)
def test_no_conflict_between_different_populations_or_precisions(services, first, second, why):
    point, other = _scored(services, first), _scored(services, second, score=0.9)
    assert find_conflicts([point], [point, other], services.bank, services.vocabulary) == [], why


def test_a_conflict_about_a_trial_the_question_does_not_ask_about_is_not_shown(services):
    point, other = _scored(services, MM014_2019), _scored(services, MM014_2025, score=0.9)
    asked = frozenset({"APOLLO"})
    assert find_conflicts([point], [point, other], services.bank, services.vocabulary, asked) == []


def test_a_quote_joined_across_two_trials_is_read_sentence_by_sentence(services):
    """The 2019 review gives MMY1001's D-Pd arm (ORR 66 %), then introduces MM-014 two sentences on: in a
    quote joined over the three, the 66 % is not read as MM-014's."""
    point = _scored(services, "The ORR for the whole group of patients was 66%")
    chunk_text = point.passage.chunk.text
    end = chunk_text.index("another phase 2 MM-014 trial")
    end = chunk_text.index(".", chunk_text.index(")", end)) + 1
    joined = point.unit.model_copy(update={"text": chunk_text[point.unit.start : end], "end": end})
    findings = read_findings(
        point.model_copy(update={"unit": joined}), services.bank, services.vocabulary, load_config()
    )
    assert len(findings) == 3
    assert {"ORR": frozenset({"66"}), "PFS": frozenset({"10.1"})} in [f.figures for f in findings]
    assert all("MM-014" not in f.trials for f in findings if f.figures)


def test_endpoint_figures_skip_differences_and_read_the_first_figure_after_the_endpoint():
    config = load_config()
    assert endpoint_figures("improved progression-free survival by 4 months", config) == {}
    assert endpoint_figures("an ORR of 76.2%, with PFS of 23.7 months", config) == {
        "ORR": frozenset({"76.2"}),
        "PFS": frozenset({"23.7"}),
    }
    assert _same("11.20", "11.2") and not _same("75", "76.2")


def test_endpoint_figures_read_a_figure_whole_and_leave_another_endpoints_figure_to_it():
    """IMWG: "superior ... in terms of progression-free survival, both in patients with previous lenalidomide
    exposure (HR 0.53 ...": the 60-character window ended inside "0.53", read as a PFS of "0", so a
    subgroup's median PFS counted as given and its table row was never added."""
    text = (
        "DKd was superior to Kd in terms of progression-free survival, both in patients with previous "
        "lenalidomide exposure (HR 0.53 [95% CI 0.34-0.82]) and in len-refractory patients (HR 0.47)."
    )
    assert endpoint_figures(text, load_config()) == {"HR": frozenset({"0.53", "0.47"})}
    assert endpoint_figures("median overall survival of 41.4 months", load_config()) == {
        "OS": frozenset({"41.4"})
    }


def test_the_answer_shows_both_sides_with_their_years(services):
    answer = answer_question("MM-014: response rate of D-Pd in len-refractory patients?", services=services)
    line = next(s for s in answer.sentences if s.role == "conflict")
    assert "MM-014 (ORR" in line.text and "(about 2019)" in line.text and "(2025)" in line.text
    cited = {answer.citations[n - 1].doc for n in line.citations}
    assert cited == {"len-frontline-review", "barila-2025"}


def test_the_endeavor_topline_answer_flags_no_conflict(services):
    """It used to flag the len-refractory subgroup figures as a disagreement with the whole-trial figures."""
    answer = answer_question("ENDEAVOR topline: Kd vs Vd PFS and OS?", services=services)
    assert not [s for s in answer.sentences if s.role == "conflict"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("patients with disease not refractory to lenalidomide (HR 0.74)", {"not-lenalidomide-refractory"}),
        ("if the patient isn't len-refractory", {"not-lenalidomide-refractory"}),
        ("non-len-refractory patients", {"not-lenalidomide-refractory"}),
        ("in lenalidomide-refractory patients (HR 0.47)", {"lenalidomide-refractory"}),
        ("patients refractory to lenalidomide", {"lenalidomide-refractory"}),
    ],
)
def test_a_negated_population_is_the_other_population(text, expected):
    """CANDOR's non-refractory subgroup (HR 0.74) and its len-refractory one (HR 0.47) are different
    populations: reading both as len-refractory would report a disagreement that is not one."""
    lenalidomide = {"lenalidomide-refractory", "not-lenalidomide-refractory"}
    found = {name for name, pattern in load_config().population.items() if re.search(pattern, text, re.I)}
    assert found & lenalidomide == expected


def test_a_malformed_config_names_its_file(tmp_path):
    bad = tmp_path / "conflicts.yaml"
    bad.write_text("endpoints: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"conflicts\.yaml"):
        load_config(bad)
