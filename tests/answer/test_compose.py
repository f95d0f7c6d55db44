"""The extractive composer on the real index: cited sentences, table rows, abstention, scope, bad input."""

from __future__ import annotations

import re

import pytest

from assistant.answer.compose import answer_question
from assistant.answer.followup import Conversation
from assistant.settings import MAX_INPUT_CHARS


def _norm(text: str) -> str:
    return " ".join(text.replace("·", ".").split())


def _assert_citations_resolve(answer, services) -> None:
    for citation in (*answer.citations, *answer.related):
        meta = services.corpus.meta(citation.doc)
        assert citation.title == meta.title and citation.year_label == meta.year_label
        assert citation.text == services.corpus.printed(citation.doc, citation.line_start, citation.line_end)
        if citation.span is not None:
            start, end = citation.span
            assert 0 <= start < end <= len(citation.text)
    numbered = answer.citations or answer.related  # an abstention numbers its related passages
    for sentence in answer.sentences:
        assert all(1 <= n <= len(numbered) for n in sentence.citations)


def test_answer_factual_cites_spans_holding_the_numbers(services) -> None:
    answer = answer_question("ENDEAVOR: what were the PFS and OS with Kd versus Vd?", services=services)
    assert answer.status == "answered" and answer.turn_kind == "factual"
    _assert_citations_resolve(answer, services)
    numbered = [s for s in answer.sentences if re.search(r"18[.·]7", s.text)]
    assert numbered, answer.text
    for sentence in numbered:
        for n in sentence.citations:
            citation = answer.citations[n - 1]
            start, end = citation.span
            assert re.search(r"18[.·]7", citation.text[start:end])


def test_answer_table_question_returns_row_verbatim(services) -> None:
    answer = answer_question(
        "From the IMWG len-refractory subgroup table, what PFS did Kd and DKd give len-refractory "
        "patients in CANDOR?",
        services=services,
    )
    rows = [
        answer.citations[n - 1]
        for s in answer.sentences
        for n in s.citations
        if answer.citations[n - 1].kind == "table"
    ]
    assert rows, answer.text
    table = rows[0]
    highlighted = table.text[table.span[0] : table.span[1]]
    # The highlighted printed row, tabs and all, reappears cell by cell in the answer text.
    cells = [c.strip() for c in highlighted.split("\t") if c.strip()]
    assert cells and all(cell in answer.text for cell in cells)
    assert "11.1" in answer.text


def test_answer_barila_table_row(services) -> None:
    answer = answer_question(
        "From Table 1, what was D-Kd's mPFS in the len-refractory subgroup of CANDOR, and the median OS?",
        services=services,
    )
    assert "28.1" in answer.text and "50.8" in answer.text
    assert any(c.doc == "barila-2025" and c.kind == "table" for c in answer.citations)


def test_answer_unanswerable_near_miss_abstains_with_related(services) -> None:
    answer = answer_question(
        "What step-up doses are used when starting teclistamab before the full weekly dose, "
        "and how long should patients be hospitalized for them?",
        services=services,
    )
    assert answer.status == "abstained" and answer.abstained
    assert answer.citations == ()
    assert answer.related and all(c.label == "related, not an answer" for c in answer.related)
    assert "do not cover" in answer.text
    _assert_citations_resolve(answer, services)


def test_abstains_when_no_passage_about_the_named_drug_gives_the_figure(services) -> None:
    """Barilà names mezigdomide once, with no response rate and no dose; a passage giving lenalidomide's
    ORR and dose in heavily pretreated patients covers the rest of the question but is not about it."""
    answer = answer_question(
        "In heavily pretreated patients, what response rate has mezigdomide with dexamethasone shown, "
        "and at which dose?",
        services=services,
    )
    assert answer.abstained and answer.citations == ()


def test_a_passage_naming_the_asked_drug_still_answers(services) -> None:
    """The guard on the rule above: passages that name the asked drug keep their support."""
    answer = answer_question("What response rate did ide-cel achieve in KarMMa?", services=services)
    assert not answer.abstained
    assert all("ide-cel" in c.text.lower() or "idecabtagene" in c.text.lower() for c in answer.citations)


def test_abstention_names_the_clinical_terms_the_sources_never_use_not_phrasing_words(services) -> None:
    """"zoster" is why the sources cannot answer; "simply" (also never in the sources) is not, and naming it
    would tell the clinician to rephrase a question that has no answer in the reviews."""
    common = services.embedder.common_words
    assert "simply" in common and "zoster" not in common
    answer = answer_question(
        "What antiviral prophylaxis against herpes zoster do the reviews simply recommend?", services=services
    )
    assert answer.abstained
    notice = answer.sentences[0].text
    assert '"zoster"' in notice and "never mentioned" in notice
    assert '"simply"' not in notice


def test_answer_out_of_scope_message(services) -> None:
    answer = answer_question(
        "What is the best induction for newly diagnosed transplant-eligible myeloma?", services=services
    )
    assert answer.status == "out_of_scope" and answer.turn_kind == "out_of_scope"
    assert "relapsed or refractory multiple myeloma only" in answer.text
    assert answer.citations == ()
    assert answer.branch == "out_of_scope"  # the rule layer's branch for what lies outside RRMM
    assert answer_question("hello", services=services).branch is None  # chit-chat is no branch at all


def test_a_case_asked_as_the_question_gets_the_branch_card(services) -> None:
    """`ask "71M, VRd -> auto -> len maintenance, progressing. Next?"` without --patient: the case is the
    patient text, so the rule layer decides the branch and its card leads, as on the chat page."""
    answer = answer_question(
        "71M, VRd then auto then len maintenance 10 mg, now progressing on it after 2 years. Next?",
        services=services,
    )
    assert answer.turn_kind == "patient"
    assert answer.branch == "first_relapse_len_refractory", answer.text[:400]
    assert answer.sentences[0].citations, answer.sentences[0]


def test_a_case_asked_line_by_line_keeps_its_lines(services) -> None:
    """A history typed one line per line of therapy, asked as the question, is read as typed: flattened into
    one line, "-> PD 9/2023" ran into "Now: 69F" and pomalidomide-refractory disease was offered Pd."""
    case = (
        "2015-2016: VTD x4 + ASCT (Mel200)\n"
        "2016-2019: lenalidomide maintenance -> PD on len\n"
        "2019-2021: Dara-Vd (CASTOR) -> PD while on daratumumab + Velcade\n"
        "2021-2023: Kyprolis + Pomalyst + dex (KPd) -> PD 9/2023\n"
        "Now: 69F, ECOG 1, CrCl 50. What options are left?"
    )
    answer = answer_question(case, services=services)
    assert answer.branch == "triple_class_refractory", answer.text[:300]
    options = [sentence.text for sentence in answer.sentences if sentence.role == "option"]
    assert options and not [text for text in options if "(Pd)" in text or "(PCd)" in text], options


@pytest.mark.parametrize(
    ("question", "patient"),
    [
        pytest.param("", None, id="empty"),
        pytest.param("   \n ", None, id="blank"),
        pytest.param("x" * (MAX_INPUT_CHARS + 1), None, id="too-long-question"),
        pytest.param("What next?", "y" * (MAX_INPUT_CHARS + 1), id="too-long-patient"),
    ],
)
def test_answer_invalid_input_never_raises(services, question: str, patient: str | None) -> None:
    answer = answer_question(question, patient_text=patient, services=services)
    assert answer.status == "invalid_input"
    assert answer.text


def test_answer_follow_up_resolves_against_previous_turn(services) -> None:
    first = answer_question("CANDOR: what was the DKd vs Kd PFS hazard ratio?", services=services)
    conversation = Conversation().with_answer(first, services.vocabulary)
    second = answer_question("and in len-refractory patients?", conversation=conversation, services=services)
    assert second.turn_kind == "follow_up"
    assert "CANDOR" in second.resolved_question and "len-refractory" in second.resolved_question
    assert second.status == "answered"
    assert "0.47" in _norm(second.text)


def test_answer_patient_needs_more_information_asks_by_name(services) -> None:
    answer = answer_question(
        "What next?", patient_text="pt w/ 2 prior lines now progressing. next regimen?", services=services
    )
    assert answer.branch == "needs_more_information"
    assert answer.status == "needs_information"
    missing = [s for s in answer.sentences if s.role == "missing"]
    assert missing and all(s.text.endswith("?") for s in missing)
    # A bare "what next?" has nothing to look up before the branch is known.
    assert not [s for s in answer.sentences if s.role == "point"]


def test_case_missing_facts_still_gets_its_own_question_answered(services) -> None:
    # The branch cannot be chosen (lenalidomide and anti-CD38 status unknown), but the clinician asked
    # about a named regimen and trial: the card asks for the facts, then the sources answer the question,
    # marked as not yet matched to a branch, every point cited.
    answer = answer_question(
        "Should we use selinexor with bortezomib, as in BOSTON?",
        patient_text="pt w/ 2 prior lines now progressing.",
        services=services,
    )
    assert answer.status == "needs_information"
    roles = [s.role for s in answer.sentences]
    assert "missing" in roles
    points = [s for s in answer.sentences if s.role == "point"]
    assert points and all(s.citations for s in points)
    assert roles.index("missing") < roles.index("point")
    assert any("BOSTON" in s.text for s in points)
    assert any("not yet matched" in s.text for s in answer.sentences if s.role == "notice")
    cited = {n for s in answer.sentences for n in s.citations}
    assert cited <= {c.n for c in answer.citations}


def test_case_missing_facts_labels_evidence_on_a_regimen_it_rules_out(services) -> None:
    answer = answer_question(
        "Is DKd an option?",
        patient_text="70F relapsed myeloma, 2 prior lines, progressed on carfilzomib; other drugs unknown.",
        services=services,
    )
    assert answer.status == "needs_information"
    points = [s for s in answer.sentences if s.role == "point"]
    assert points
    naming_dkd = [s for s in points if "DKd" in s.text]
    assert naming_dkd and all(s.text.startswith("(not for this patient: ") for s in naming_dkd)
    # A legend entry cut off as a sentence ("DKd=daratumumab plus ...") is no evidence for a patient.
    unlabelled = [re.sub(r"^\(not for this patient: [^)]*\) ", "", s.text) for s in points]
    assert not [t for t in unlabelled if re.match(r"[\w\-]+ ?= ?[A-Za-z]", t)]


@pytest.mark.parametrize("via_conversation", [False, True])
def test_a_lookup_asked_with_a_patient_labels_what_the_patient_cannot_have(services, via_conversation):
    # "What did POLLUX show?" is a lookup, but with a len-refractory patient in play the Dara-Rd result must
    # not read as an option for them, whether the case came with the turn or earlier in the conversation.
    case = "65M, VRd then len maintenance, progressed on len 10 mg, dara-naive"
    kwargs = (
        {"conversation": Conversation(patient_text=case)} if via_conversation else {"patient_text": case}
    )
    answer = answer_question("What did POLLUX show?", services=services, **kwargs)
    assert answer.turn_kind == "factual" and answer.status == "answered"
    assert answer.branch == "first_relapse_len_refractory"
    _assert_citations_resolve(answer, services)
    naming_rd = [s for s in answer.sentences if s.role in ("lead", "point") and re.search(r"\bRd\b", s.text)]
    assert naming_rd and all(s.text.startswith("(not for this patient: ") for s in naming_rd)
    closing = answer.sentences[-1]
    assert closing.role == "notice" and "lenalidomide-refractory" in closing.text and closing.citations
    # Without a patient the same lookup carries no label and no branch.
    plain = answer_question("What did POLLUX show?", services=services)
    assert plain.branch is None and "not for this patient" not in plain.text


def test_a_definition_asked_with_a_patient_is_answered_from_the_legend_as_without(services) -> None:
    case = "65M, VRd then len maintenance, progressed on len 10 mg, dara-naive"
    with_case = answer_question("What does DKd stand for?", services=services, patient_text=case)
    alone = answer_question("What does DKd stand for?", services=services)
    assert alone.sentences[0].text.startswith("DKd=daratumumab plus carfilzomib plus dexamethasone")
    assert with_case.sentences[0].text == alone.sentences[0].text


def test_answer_patient_missing_intro_says_what_the_asked_fact_changes(services) -> None:
    # The branch is decided (progressing on len maintenance); only the salvage-transplant overlay
    # needs the remission length, so the answer must not claim the branch is still undecided.
    answer = answer_question(
        "What should I give at first relapse?",
        patient_text="68M, VRd then ASCT 2020, len maintenance, progressing on len 10 mg, dara naive",
        services=services,
    )
    assert answer.branch == "first_relapse_len_refractory"
    notices = [s.text for s in answer.sentences if s.role == "notice"]
    assert any("salvage transplant" in t for t in notices)
    assert not any("choose the branch" in t for t in notices)
    branch_asks = answer_question(
        "What next?", patient_text="pt w/ 2 prior lines now progressing. next regimen?", services=services
    )
    assert any("choose the branch" in s.text for s in branch_asks.sentences if s.role == "notice")


def test_answer_patient_branch_card_lines_are_cited(services) -> None:
    answer = answer_question(
        "What should I give next?",
        services=services,
        patient_text="62F. VRd x4 -> ASCT -> lenalidomide maintenance 10mg, now clear PD on "
        "len maintenance. 1 prior line. Dara naive, no neuropathy, CrCl 85.",
    )
    assert answer.branch == "first_relapse_len_refractory"
    for sentence in answer.sentences:
        if sentence.role in {"branch", "option", "avoid"}:
            assert sentence.citations, sentence.text
            assert all(answer.citations[n - 1].scope == "rule" for n in sentence.citations)
    options = " ".join(s.text for s in answer.sentences if s.role == "option")
    assert "(KRd)" not in options and "(DRd)" not in options
    _assert_citations_resolve(answer, services)


def test_answer_patient_card_names_sources_by_title_and_date(services) -> None:
    """The 2021-vs-2025 lines and second-source notes are read by clinicians: a source appears by its
    short title and year, never by the corpus id or a rule-data tier key."""
    answer = answer_question(
        "What should I give next?",
        services=services,
        patient_text="71M, DRd frontline continuous, now progression on DRd after 3 years, 1 prior line. "
        "No neuropathy, CrCl 55.",
    )
    card = [s.text for s in answer.sentences if s.role in {"option", "update"}]
    updates = [t for t in card if t.startswith("Sources compared")]
    assert updates and all("Barilà et al. update (2025)" in t for t in updates), updates
    ids = (*services.corpus.docs, "update_2025")  # every corpus id, and the rule data's tier key
    assert not [t for t in card if any(i in t for i in ids)], card
    assert not [t for t in updates if ".;" in t], updates


def test_answer_question_hand_edited_profile_decides_the_branch(services):
    """The page's hand edits must reach the answer: the branch comes from the given profile, not the text."""
    from assistant.rules import extract_facts

    text = "67M, VRd -> ASCT -> len maintenance, progressing on R, dara-naive. Next line?"
    parsed = extract_facts(text).profile
    edited = parsed.model_copy(update={"lenalidomide": "naive"})

    from_text = answer_question("What next?", patient_text=text, services=services)
    from_edit = answer_question("What next?", patient_text=text, services=services, profile=edited)

    assert from_text.branch == "first_relapse_len_refractory"
    assert from_edit.branch == "first_relapse_not_len_refractory"


def test_table_printed_one_cell_per_line_is_quoted_whole_never_as_a_lone_cell(services) -> None:
    # The Korean review's Table 2 lost its grid in extraction (one cell per line, column after column):
    # a cell cannot be tied to its trial, so the table is quoted whole, with its figures as printed.
    answer = answer_question(
        "From the Korean table of high-risk subgroups, median PFS for DRd vs Rd and KRd vs Rd in all "
        "high-risk patients?",
        services=services,
    )
    assert answer.status == "answered"
    cited = {c.n: c for c in answer.citations}
    lost_grid = {n for n, c in cited.items() if c.kind == "table" and "|" not in c.text}
    tables = [s for s in answer.sentences if set(s.citations) & lost_grid]
    assert tables
    for sentence in tables:
        assert len(sentence.citations) == 1 and sentence.text.startswith("Table ")  # quoted whole
    korean_table = next(cited[n] for s in tables for n in s.citations if "22.6 vs. 10.2 mo" in cited[n].text)
    highlighted = korean_table.text[korean_table.span[0] : korean_table.span[1]]
    assert highlighted.startswith("Table 2.") and "10.1 vs. 6.8 mo" in highlighted  # the whole table
    assert "22.6 vs. 10.2 mo" in answer.text and "23.1 vs. 13.9 mo" in answer.text


def test_cells_of_a_lost_grid_table_get_no_inferred_trial(services) -> None:
    # "ASPIRE / (HR, 0.41)" once put POLLUX's hazard ratio under ASPIRE: the line above a cell is just
    # another cell, not its row's trial.
    bank = services.bank
    chunk = next(c for c in bank.chunks.values() if c.kind == "table" and "22.6 vs. 10.2 mo" in c.text)
    rows = bank.units(chunk)
    assert rows and all(u.kind == "row" and u.context == "" for u in rows)
    gridded = next(
        c for c in bank.chunks.values() if c.kind == "table" and "|" in c.text and "CANDOR" in c.text
    )
    assert any(u.context for u in bank.units(gridded))


def test_subgroup_question_gets_the_asked_subgroup_not_another_subgroups_table(services) -> None:
    # "subgroup" once made table rows preferred: the one-prior-line subgroup table of CANDOR led the
    # answer to a question about patients with two or more previous lines.
    answer = answer_question(
        "CANDOR subgroup with two or more previous lines: how many patients and what PFS hazard ratio?",
        services=services,
    )
    assert "266" in answer.sentences[0].text and "0.61" in answer.sentences[0].text
    assert "one previous line" not in answer.text


def test_out_of_scope_patient_reply_names_the_patients_kind(services) -> None:
    # The rule layer's out-of-scope explanation lists every kind; pasted into "this question is about
    # {reason}" it made a broken sentence. The reply names the described patient's kind.
    answer = answer_question(
        "Observe or treat?",
        patient_text="Asymptomatic myeloma, IgA kappa 2.8 g/dL, marrow 22% plasma cells, no anaemia. "
        "66-year-old man, no therapy so far.",
        services=services,
    )
    assert answer.status == "out_of_scope"
    assert "about smouldering (asymptomatic) myeloma" in answer.text
    assert "The five sources cover" not in answer.text


def test_a_question_in_another_script_says_which_words_were_read(services) -> None:
    """Only the Latin-script terms of a Greek question are read: the reply says so before answering."""
    answer = answer_question("Τι έδειξε η μελέτη CANDOR για την επιβίωση;", services=services)
    first = answer.sentences[0]
    assert first.role == "notice" and not first.citations
    assert "Greek script" in first.text and "(CANDOR)" in first.text
    assert answer.status == "answered" and answer.citations  # the trial's cited sentences still follow
    unread = answer_question("Какие побочные эффекты?", services=services).sentences[0].text
    assert "Cyrillic script" in unread and "none of it could be read" in unread


def test_an_english_question_gets_no_script_notice(services) -> None:
    answer = answer_question("What did CANDOR show for β2-microglobulin-high patients?", services=services)
    assert all("script" not in s.text for s in answer.sentences if s.role == "notice")


def test_abbreviation_legends_answer_only_what_a_term_means(services) -> None:
    # "DKd=daratumumab plus ..." answers "what does DKd stand for?", not a question about a trial's result,
    # where it used to be the lead, before the sentences that give the result.
    legend = re.compile(r"^(?:[\w\-]+ ?= ?[A-Za-z]|.*\b[\w\-]+ ?= ?[A-Za-z].*\b[\w\-]+ ?= ?[A-Za-z])")
    results = answer_question("Would Isa-Kd be reasonable, given what IKEMA showed?", services=services)
    points = [s.text for s in results.sentences if s.role in ("lead", "point")]
    assert points and not [t for t in points if legend.search(t)]
    meaning = answer_question("What does DKd stand for?", services=services)
    assert legend.search(next(s.text for s in meaning.sentences if s.role == "lead"))


def test_a_toxicity_asked_in_everyday_words_leads_with_the_sources_term(services) -> None:
    """Asked about "eye problems", the sources' "corneal toxicity (keratopathy)" is the answer; it was five
    points on belantamab's mechanism and approval."""
    answer = answer_question("What eye problems should I expect with belantamab?", services=services)
    assert not answer.abstained
    assert "keratopathy" in answer.sentences[0].text


def test_a_question_in_everyday_words_and_brand_names_is_answered(services) -> None:
    """The words "restart velcade" and "nerve damage" are the sources' "bortezomib retreatment" and
    "peripheral neuropathy": the question was declined as about terms the sources never use."""
    answer = answer_question(
        "if we restart velcade in someone who responded before, how many get the nerve damage again?",
        services=services,
    )
    assert not answer.abstained
    assert "49%" in answer.text
