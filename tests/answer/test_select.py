"""Sentence selection on the real corpus: figure look-ahead when joining neighbours, one point per named
trial / regimen for comparisons."""

from __future__ import annotations

import re

import pytest

from assistant.answer.compose import _evidence, answer_question
from assistant.answer.select import (
    ScoredUnit,
    _entity_points,
    is_run_in_title,
    join_neighbours,
    lexical_coverage,
    merge_adjacent,
    pick_points,
    question_terms,
)
from assistant.retrieval.expansion import QueryExpander
from assistant.retrieval.models import Passage

# barila-2025 describes MajesTEC-1 in a sentence without a figure, then gives figures in the next ones.
DESCRIPTION = "Teclistamab activity was investigated in the Majestec-1 trial."


@pytest.fixture(scope="module")
def described_trial(services) -> ScoredUnit:
    chunk = next(c for c in services.bank.chunks.values() if DESCRIPTION in c.text)
    unit = next(u for u in services.bank.units(chunk) if u.text.startswith(DESCRIPTION))
    return ScoredUnit(
        unit=unit,
        passage=Passage(chunk=chunk, score=1.0, rank=1),
        score=1.0,
        lexical=1.0,
        dense=1.0,
        entity=1.0,
        numbers=0.0,
    )


@pytest.mark.parametrize(
    ("wants_figure", "extended"),
    [pytest.param(True, True, id="figure-asked"), pytest.param(False, False, id="no-figure-asked")],
)
def test_join_neighbours_runs_on_to_a_figure_only_when_asked(
    services, described_trial: ScoredUnit, wants_figure: bool, extended: bool
) -> None:
    [joined] = join_neighbours([described_trial], [described_trial], services.bank, wants_figure=wants_figure)
    assert joined.unit.text.startswith(DESCRIPTION)
    added = joined.unit.text[len(described_trial.unit.text) :]
    assert bool(re.search(services.bank.config.gives_figure, added)) is extended
    chunk_text = services.bank.chunks[joined.unit.chunk_id].text
    # The joined quote is a contiguous stretch of the passage (quoted verbatim, one citation).
    assert chunk_text[joined.unit.start : joined.unit.end] == joined.unit.text


@pytest.mark.parametrize(
    ("asked", "runs_on"),
    [
        pytest.param(frozenset(), False, id="other-trial-not-asked"),
        pytest.param(frozenset({"PANORAMA-2"}), True, id="asked"),
    ],
)
def test_join_neighbours_does_not_run_on_into_another_trials_results(
    services, described_trial: ScoredUnit, asked: frozenset[str], runs_on: bool
) -> None:
    """The IMWG review recalls PANORAMA-1's approval, then gives the phase 2 PANORAMA 2 trial's figures: a
    PANORAMA-1 quote stops before them unless the question asks about that trial too."""
    bank = services.bank
    chunk = next(c for c in bank.chunks.values() if "Nevertheless, the phase 2 PANORAMA 2 trial" in c.text)
    unit = next(u for u in bank.units(chunk) if u.text.startswith("As discussed previously, the oral pan"))
    passage = Passage(chunk=chunk, score=1.0, rank=1)
    point = described_trial.model_copy(update={"unit": unit, "passage": passage})
    [joined] = join_neighbours([point], [point], bank, wants_figure=True, asked=asked)
    assert joined.unit.text.startswith("As discussed previously")
    assert ("PANORAMA 2 trial" in joined.unit.text) is runs_on


def test_join_neighbours_quotes_the_sentence_an_anaphoric_opening_refers_to(
    services, described_trial: ScoredUnit
) -> None:
    """"In this study, Cohort A ..." quoted alone does not say which study: the quote starts one sentence
    earlier, at the sentence naming the trial, under the same single citation."""
    bank = services.bank
    chunk = bank.chunks[described_trial.unit.chunk_id]
    unit = next(u for u in bank.units(chunk) if u.text.startswith("In this study, Cohort A"))
    point = described_trial.model_copy(update={"unit": unit})
    [joined] = join_neighbours([point], [point], bank)
    assert joined.unit.text.startswith(DESCRIPTION + " In this study, Cohort A")
    assert chunk.text[joined.unit.start : joined.unit.end] == joined.unit.text
    # Not when the sentence before is already a point of its own.
    pair = join_neighbours([described_trial, point], [described_trial, point], bank)
    assert [p.unit.text.startswith(DESCRIPTION) for p in pair] == [True, False]


def test_merge_adjacent_joins_a_point_that_cannot_stand_alone_to_the_one_before(
    services, described_trial: ScoredUnit
) -> None:
    bank = services.bank
    chunk = bank.chunks[described_trial.unit.chunk_id]
    units = bank.units(chunk)
    this_study = next(i for i, u in enumerate(units) if u.text.startswith("In this study, Cohort A"))
    following = described_trial.model_copy(update={"unit": units[this_study], "score": 2.0})
    standalone = described_trial.model_copy(update={"unit": units[this_study + 1]})
    assert not standalone.unit.text.startswith(("In this", "However", "These"))
    # "In this study" ranked first: the merged quote takes its place and starts at the trial's name.
    [merged, kept] = merge_adjacent([following, described_trial, standalone], bank)
    assert merged.unit.text.startswith(DESCRIPTION + " In this study, Cohort A") and merged.score == 2.0
    assert chunk.text[merged.unit.start : merged.unit.end] == merged.unit.text
    # A sentence that stands on its own stays a point of its own, though it follows in the passage.
    assert kept.unit.text == standalone.unit.text


def test_merge_adjacent_rejoins_a_numbered_list_cut_into_sentences(services) -> None:
    answer = answer_question("What is the definition of relapsed and refractory myeloma?", services=services)
    items = [s.text for s in answer.sentences if "relapsed but not refractory" in s.text]
    assert items and "3) primary refractory" in items[0], answer.text
    assert not [s for s in answer.sentences if s.text.startswith(("2)", "3)"))], answer.text


def test_entity_points_add_a_point_for_the_unnamed_side(services) -> None:
    question = "Kd versus PVd: which gave the longer progression-free survival?"
    passages = services.retriever.search(question, k=services.bank.config.passages)
    _, scored = _evidence(question, passages, services)
    bank = services.bank
    kd_only = [s for s in scored if "Kd" in bank.entities(s.unit.scoring_text)][:1]
    assert kd_only and "PVd" not in bank.entities(kd_only[0].unit.scoring_text)
    added = _entity_points(frozenset({"Kd", "PVd"}), kd_only, scored, bank, [])
    assert [p for p in added if "PVd" in bank.entities(p.unit.scoring_text)]


def test_pick_points_single_entity_adds_nothing(services) -> None:
    question = "What PFS did KRd give in ASPIRE?"
    passages = services.retriever.search(question, k=services.bank.config.passages)
    _, scored = _evidence(question, passages, services)
    plain = pick_points(scored, services.bank)
    with_entity = pick_points(scored, services.bank, entities=frozenset({"KRd"}))
    assert [p.unit.start for p in plain] == [p.unit.start for p in with_entity]


@pytest.mark.parametrize(
    ("question", "docs"),
    [
        pytest.param(
            "Do the Korean and Belgian reviews agree on when to consider a second transplant?",
            {"korean-2020", "belgian-review"},
            id="korean-and-belgian",
        ),
        pytest.param(
            "How do the IMWG and the Barila review differ on daratumumab retreatment?",
            {"imwg-2021", "barila-2025"},
            id="imwg-and-barila",
        ),
    ],
)
def test_a_question_naming_two_sources_quotes_each_of_them(services, question: str, docs: set[str]) -> None:
    """Asking whether two reviews agree needs both heard: each named source contributes a cited point."""
    answer = answer_question(question, services=services)
    assert not answer.abstained, answer.text
    cited = {c.doc for c in answer.citations}
    assert docs <= cited, (cited, answer.text)


def test_a_sentence_opening_on_by_contrast_is_quoted_with_what_it_contrasts(services) -> None:
    """"By contrast, in patients without t(11;14) ..." quoted alone hides what it is contrasted with: the
    quote starts at the sentence before it, under the same single citation."""
    answer = answer_question("What is the role of venetoclax in t(11;14)?", services=services)
    assert not answer.abstained, answer.text
    contrast = [s for s in answer.sentences if "By contrast" in s.text]
    assert contrast, answer.text
    assert not contrast[0].text.startswith("By contrast"), contrast[0].text
    [n] = contrast[0].citations
    citation = answer.citations[n - 1]
    start, end = citation.span
    quoted = citation.text[start:end]
    assert "By contrast" in quoted and not quoted.startswith("By contrast"), quoted


def test_a_dose_question_credits_the_figure_only_to_sentences_giving_a_dose(services) -> None:
    """"What is the dose of pomalidomide?": the Belgian "Pomalidomide 4 mg/day" sentence gives a dose; the
    MM-003 sentence gives response rates and months, which answer another question."""
    question = "What is the dose of pomalidomide?"
    passages = services.retriever.search(question, k=services.bank.config.passages)
    terms, scored = _evidence(question, passages, services)
    assert terms.figures, "a dose question asks for a dose"
    numbers = {s.unit.text[:40]: s.numbers for s in scored}
    dose = next(v for k, v in numbers.items() if k.startswith("Pomalidomide 4 mg/day"))
    rates = next(v for k, v in numbers.items() if "MM-003" in k)
    assert (dose, rates) == (1.0, 0.0)


def test_a_question_asking_for_the_evidence_gets_the_studys_results_not_only_its_name(services) -> None:
    """"What evidence is there ...?" asks for what a study found: the lead quotes the trial with its
    response rate and survival, not only "a phase 1/2 trial reported by the HOVON group"."""
    answer = answer_question(
        "What evidence is there that a third agent added to lenalidomide and a steroid overcomes "
        "lenalidomide refractoriness?",
        services=services,
    )
    lead = answer.sentences[0]
    assert lead.role == "lead" and re.search(r"\d+% response rate", lead.text), answer.text


@pytest.mark.parametrize(
    ("sentence", "section", "title"),
    [
        pytest.param("CAR-T cell therapy.", "CAR-T cell therapy", True, id="run-in-title"),
        pytest.param("Bortezomib.", "Drugs: Bortezomib", True, id="labelled-paragraph"),
        pytest.param("CAR-T cell therapy was approved.", "CAR-T cell therapy", False, id="sentence"),
        pytest.param("Conclusions.", "", False, id="no-section"),
    ],
)
def test_is_run_in_title(sentence: str, section: str, title: bool) -> None:
    assert is_run_in_title(sentence, section) is title


def test_run_in_titles_are_not_evidence_units(services) -> None:
    """barila-2025 runs its section titles into the paragraph ("Anti-CD38 plus Pomalidomide and
    Dexamethasone combinations. The APOLLO study ..."); quoted, the title read as a cited finding."""
    bank = services.bank
    title = "Anti-CD38 plus Pomalidomide and Dexamethasone combinations."
    chunk = next(c for c in bank.chunks.values() if c.text.startswith(title))
    units = bank.units(chunk)
    assert units and units[0].text.startswith("The APOLLO study")
    assert not [u for c in bank.chunks.values() for u in bank.units(c) if u.text == title]
    answer = answer_question("What did the APOLLO trial show for DPd vs Pd?", services=services)
    assert answer.status == "answered"
    assert not [s for s in answer.sentences if s.text.startswith(title)], answer.text


def test_sentence_bank_warm_reports_batches_stops_when_asked_and_loads_the_cache(services) -> None:
    from pathlib import Path

    from assistant.answer.select import SentenceBank
    from assistant.answer.services import SENTENCE_CACHE

    bank = SentenceBank(services.retriever.chunks, services.embedder, services.vocabulary)
    calls: list[tuple[int, int]] = []
    assert bank.warm(batch=16, on_batch=lambda done, total: calls.append((done, total)) and False) is False
    assert calls[0][0] == 16 and len(calls) == 1 and not bank.warmed
    cache = Path(services.settings.index_dir) / SENTENCE_CACHE  # written when the session's services warmed
    assert cache.is_file()
    calls.clear()
    assert bank.warm(cache_path=cache, on_batch=lambda done, total: calls.append((done, total)) or True)
    assert bank.warmed and calls == []  # loaded, not embedded


def test_inflected_and_conversational_words_carry_no_content(services) -> None:
    """'wants', 'go', 'someone' are no clinical detail: counted as content, a word the sources never use
    weighs as much as a drug name and pushes a plain-English question towards abstention."""
    tokens = services.bank.tokens("Someone wants to go back to the thing the IMWG needs: lenalidomide")
    assert tokens == services.bank.tokens("back IMWG lenalidomide")
    assert {"imwg", "back"} <= tokens


def test_a_pt_is_a_patient(services) -> None:
    """"pt" / "pts" are how clinicians write "patient(s)", a stopword: never a term the sources lack
    ("Fourth relapse ... the pt is getting frailer" was declined for "pt")."""
    assert services.bank.tokens("the pt and older pts on lenalidomide") == services.bank.tokens(
        "the patient and older patients on lenalidomide"
    )


def test_plain_english_retreatment_question_is_answered(services) -> None:
    question = "When is it reasonable to go back to a drug the patient already had before?"
    answer = answer_question(question, services=services)
    assert not answer.abstained
    assert any(c.doc == "korean-2020" for c in answer.citations)


def test_a_term_printed_in_its_other_spelling_counts_in_full(services) -> None:
    """The IMWG review spells out what a question abbreviates ("carfilzomib plus dexamethasone", "progression-
    free survival" for "Kd", "PFS"): counted at half weight, as an expansion, its sentences lost to other
    reviews' restatements of the same trial in the question's own abbreviations."""
    question = "Kd vs Vd: PFS in ENDEAVOR?"
    bank = services.bank
    terms = question_terms(question, QueryExpander.default().expand(question).text, bank)
    spelled_out = "carfilzomib plus dexamethasone vs bortezomib plus dexamethasone: progression-free survival"
    abbreviated = "Kd versus Vd: PFS"
    assert lexical_coverage(terms, bank.tokens(f"ENDEAVOR {spelled_out}"), bank) == pytest.approx(1.0)
    assert lexical_coverage(terms, bank.tokens(f"ENDEAVOR {abbreviated}"), bank) == pytest.approx(1.0)
    # Still no credit for a sentence that prints neither spelling.
    assert lexical_coverage(terms, bank.tokens("ENDEAVOR carfilzomib"), bank) < 0.6


@pytest.mark.parametrize(
    ("question", "doc", "source_words"),
    [
        ("Which regimens does the frontline-len review find most encouraging?", "len-frontline-review",
         {"frontlin", "len", "lenalidomid"}),
        ("What does the IMWG advise at first relapse?", "imwg-2021", {"imwg"}),
    ],
)
def test_a_sources_name_says_where_to_look_not_what_to_find(
    services, question: str, doc: str, source_words: set[str]
) -> None:
    """'frontline-len review' named the document and also counted 'frontline' and 'len' as content, so a
    sentence asking companies to report on 'frontline therapy with lenalidomide' outranked the review's
    'most encouraging data' sentence."""
    terms = question_terms(question, question, services.bank)
    assert terms.documents == {doc}
    assert not source_words & terms.tokens


def test_british_and_american_spellings_are_one_word(services) -> None:
    """The IMWG review writes "randomised", "tumour", "multicentre"; a question typed in American spelling
    must match them."""
    bank = services.bank
    assert bank.tokens("randomised multicentre tumour") == bank.tokens("randomized multicenter tumor")
    # A hyphenated "re-" joins its word: "re-treating" is no question about treating.
    assert bank.tokens("re-treating after re-induction") == bank.tokens("retreating after reinduction")
    # And the IMWG review's "previous line of therapy" is the "prior line" questions ask about.
    assert bank.tokens("one prior line") == bank.tokens("one previous line")


def test_an_everyday_phrase_never_printed_whole_stands_for_the_sources_term(services) -> None:
    """"how long until it comes back" is PFS in everyday words. Its words are all common in the sources, so
    they counted as content ("back", "come", "long") and the printed name never stood in; and standing in,
    "progression-free survival" must also match the "PFS" most sentences print."""
    question = "Kd vs Vd - how long until it comes back?"
    bank = services.bank
    terms = question_terms(question, QueryExpander.default().expand(question).text, bank)
    assert {"come", "back"}.isdisjoint(terms.tokens)
    assert {"progress", "free", "surviv"} <= terms.tokens
    assert lexical_coverage(terms, bank.tokens("Kd vs Vd: median PFS"), bank) == pytest.approx(1.0)


def test_an_everyday_survival_question_is_answered_with_the_trials_figures(services) -> None:
    answer = answer_question("On teclistamab, how long do people live?", services=services)
    assert not answer.abstained
    assert "21.9 months" in answer.text


def test_a_passage_of_one_sentence_can_lead_the_answer(services) -> None:
    """barilà prints the real-life D-Pd series as a paragraph of one sentence: ranked on its best two
    sentences, a passage with no second one lost to APOLLO's longer paragraph, which gives another figure."""
    question = "A real-life D-Pd series: what median PFS after progressing on len?"
    answer = answer_question(question, services=services)
    assert not answer.abstained
    assert answer.sentences[0].text.startswith("Interestingly, a real-life experience of D-PD")
    assert "18.9 months" in answer.text


def test_a_question_naming_drugs_but_no_regimen_prefers_sentences_naming_them(services) -> None:
    """"Selinexor alone ... and combined with bortezomib": the PVd sentence sharing "bortezomib ... alone ...
    refractory disease" with the question does not lead; a sentence naming selinexor does."""
    question = (
        "What's the evidence for selinexor both alone in very refractory disease and combined with "
        "bortezomib?"
    )
    passages = services.retriever.search(question, k=services.bank.config.passages)
    terms, scored = _evidence(question, passages, services)
    assert terms.agents == {"selinexor", "bortezomib"} and not terms.trials | terms.regimens
    pvd_opening = "The median progression-free survival was also longer"
    pvd = next(s for s in scored if s.unit.text.startswith(pvd_opening))
    assert pvd.entity == 0.5 * 0.5, "bortezomib, not selinexor, at half the entity weight"
    answer = answer_question(question, services=services)
    assert "selinexor" in answer.sentences[0].text.lower(), answer.text


def test_a_sentence_is_read_with_its_passage_for_dense_similarity_too(services) -> None:
    """"Any OS advantage for KRd at first relapse in ASPIRE?": the IMWG sentence giving ASPIRE's overall
    survival spells every regimen out and carries its statistics, so on its own it embeds far from the
    terse question; read with its passage (about first relapse after one previous line), it leads, before
    the Korean review's ASPIRE PFS sentence."""
    answer = answer_question("Any OS advantage for KRd at first relapse in ASPIRE?", services=services)
    lead = answer.sentences[0]
    assert lead.text.startswith("In the ASPIRE trial, the median overall survival was 11.4 months longer"), (
        answer.text
    )
