"""The optional generative backend, driven by LangChain's fake chat models: generated text is kept only
where the cited passages support it, and never where it contradicts the rule layer."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.compose import render
from assistant.answer.generative import (
    build_messages,
    excluded_offers,
    guard_for,
    load_generative_config,
    rewrite,
    verify_generated,
)
from assistant.answer.models import Answer, AnswerSentence, Citation

PASSAGE = (
    "In the ENDEAVOR trial, carfilzomib plus dexamethasone significantly improved progression-free "
    "survival (median 18.7 months vs 9.4 months; HR 0.53) compared with bortezomib plus dexamethasone."
)


def _answer() -> Answer:
    citation = Citation(
        n=1,
        chunk_id="imwg-2021:86:abc",
        doc="imwg-2021",
        title="IMWG",
        year=2021,
        year_label="2021",
        section="First relapse",
        line_start=86,
        line_end=86,
        kind="text",
        text=PASSAGE,
        span=(0, len(PASSAGE)),
    )
    sentence = AnswerSentence(text=PASSAGE, citations=(1,), role="lead")
    return Answer(
        question="ENDEAVOR PFS?",
        resolved_question="ENDEAVOR PFS?",
        turn_kind="factual",
        status="answered",
        text=f"{PASSAGE} [1]",
        sentences=(sentence,),
        citations=(citation,),
    )


def test_rewrite_removes_hallucinated_citation_keys() -> None:
    model = GenericFakeChatModel(
        messages=iter(
            [
                AIMessage(
                    content="In ENDEAVOR, carfilzomib plus dexamethasone improved progression-free survival "
                    "to a median of 18.7 months versus 9.4 months [1][7]."
                )
            ]
        )
    )
    answer = rewrite(_answer(), model)
    assert answer.sentences[0].citations == (1,)
    assert "[7]" not in answer.text
    assert "18.7 months" in answer.text


def test_rewrite_drops_sentence_with_invented_number() -> None:
    model = FakeListChatModel(
        responses=[
            "Carfilzomib plus dexamethasone improved progression-free survival to 18.7 months [1]. "
            "Overall survival was 62.4 months with carfilzomib plus dexamethasone [1]."
        ]
    )
    answer = rewrite(_answer(), model)
    assert "62.4" not in answer.text
    assert len(answer.sentences) == 1


def test_rewrite_drops_uncited_and_unsupported_sentences() -> None:
    sentences = verify_generated(
        "Patients should also receive antiviral prophylaxis against zoster [1]. ENDEAVOR compared "
        "carfilzomib plus dexamethasone with bortezomib plus dexamethasone. ",
        _answer(),
    )
    assert sentences == []


def test_rewrite_keeps_extractive_answer_when_nothing_survives() -> None:
    model = FakeListChatModel(responses=["The weather is nice today [3]."])
    original = _answer()
    assert rewrite(original, model) == original


def test_rewrite_flag_policy_keeps_unsupported_sentence_marked() -> None:
    config = load_generative_config().model_copy(update={"unsupported_policy": "flag"})
    sentences = verify_generated("Overall survival was 62.4 months [1].", _answer(), config)
    assert sentences[0].text.startswith(config.flag_prefix)
    assert sentences[0].role == "notice"


def test_rewrite_leaves_abstentions_alone() -> None:
    abstained = _answer().model_copy(update={"status": "abstained", "abstained": True})
    model = FakeListChatModel(responses=["Something invented [1]."])
    assert rewrite(abstained, model) is abstained


# ---- the rule layer outranks the model (issue 7, part 6) --------------------------------------------
# A first-relapse, lenalidomide-refractory patient (dev vignette v001): KRd is on the avoid list.
PATIENT = (
    "62F IgA lambda. VRd x4 -> auto SCT -> Revlimid maint 10mg. Now clear PD on R maint: M-spike 0.1 -> "
    "1.6 g/dL, new rib lytic lesion, Hb 10.2. Dara naive, no PN, CrCl ~85. Relapsed ~2 yrs post ASCT."
)
RULE_QUOTE = (
    "The precise effect of lenalidomide-based triplet combinations in patients with lenalidomide-refractory "
    "disease is unknown, but it would most likely lead to suboptimal results, and these regimens are "
    "therefore rarely used in this setting."
)
# Passages as printed in corpus/imwg-2021.txt (OPTIMISMM, ASPIRE).
PVD_PASSAGE = (
    "The median progression-free survival was also longer with pomalidomide plus bortezomib plus "
    "dexamethasone than with bortezomib plus dexamethasone alone in patients with lenalidomide-refractory "
    "disease (9·5 months vs 5·6 months, HR 0·65 [95% CI 0·50–0·84]; $p=0\\cdot0008$)."
)
KRD_PASSAGE = (
    "In the ASPIRE trial, the median overall survival was 11.4 months longer with carfilzomib plus "
    "lenalidomide plus dexamethasone ($n=184$) versus lenalidomide plus dexamethasone ($n=157$) in patients "
    "who had received one previous line of therapy (47.3 months vs 35.9 months, HR 0.81)."
)
KRD_LABEL = "not for this patient: KRd — contains lenalidomide, to which the patient is refractory"


def _cite(n: int, text: str, scope: str = "in_branch", label: str | None = None) -> Citation:
    return Citation(n=n, chunk_id=f"imwg-2021:{n}:x", doc="imwg-2021", title="IMWG", year=2021,
                    year_label="2021", section="First relapse", line_start=n, line_end=n, kind="text",
                    text=text, span=(0, len(text)), scope=scope, label=label)


CARD = (
    AnswerSentence(text="Guideline branch: First relapse, lenalidomide-refractory.", citations=(1,),
                   role="branch"),
    AnswerSentence(text="Why: disease progressed while on lenalidomide.", citations=(1,), role="branch"),
    AnswerSentence(text="Option (IMWG option, phase 3 evidence): pomalidomide plus bortezomib plus "
                   "dexamethasone (PVd).", citations=(2,), role="option"),
    AnswerSentence(text="Not for this patient: carfilzomib plus lenalidomide plus dexamethasone (KRd) — "
                   "lenalidomide-based triplets would most likely lead to suboptimal results.",
                   citations=(1,), role="avoid"),
    AnswerSentence(text="Supporting evidence:", role="notice"),
)


def _patient_answer() -> Answer:
    evidence = (
        AnswerSentence(text=PVD_PASSAGE, citations=(2,), role="point"),
        AnswerSentence(text=f"({KRD_LABEL}) {KRD_PASSAGE}", citations=(3,), role="point"),
    )
    sentences = (*CARD, *evidence)
    return Answer(
        question="Next line?", resolved_question="Next line?", turn_kind="patient", status="answered",
        text=render(sentences), sentences=sentences, branch="first_relapse_len_refractory",
        citations=(_cite(1, RULE_QUOTE, scope="rule"), _cite(2, PVD_PASSAGE),
                   _cite(3, KRD_PASSAGE, label=KRD_LABEL)),
    )


@pytest.fixture(scope="module")
def guard():
    """The exclusions the rule layer draws for the patient (real extraction and rules)."""
    from assistant.rules import decide, extract_facts
    from assistant.vocabulary import load_vocabulary

    profile = extract_facts(PATIENT).profile
    decision = decide(profile)
    assert decision.branch == "first_relapse_len_refractory" and "KRd" in {a.regimen for a in decision.avoid}
    return guard_for(decision, profile.refractory_drugs(), load_vocabulary())


KEPT_PVD = ("Pomalidomide plus bortezomib plus dexamethasone gave longer progression-free survival than "
            "bortezomib plus dexamethasone alone in lenalidomide-refractory disease (9·5 months vs 5·6 "
            "months) [2].")


@pytest.mark.parametrize(
    ("reply", "dropped"),
    [
        pytest.param("Carfilzomib plus lenalidomide plus dexamethasone prolonged overall survival in the "
                     "ASPIRE trial (47.3 months vs 35.9 months) [3].", "47.3",
                     id="a-krd-by-name-real-passage"),
        pytest.param("KRd prolonged overall survival in ASPIRE (47.3 months vs 35.9 months) [3].", "KRd",
                     id="a-krd-by-code"),
        pytest.param("Lenalidomide plus dexamethasone was the comparator in ASPIRE [3].", "comparator",
                     id="a-refractory-drug-regimen"),
        pytest.param("Pomalidomide plus bortezomib plus dexamethasone improved progression-free survival "
                     "[9].", "improved", id="b-citation-not-retrieved"),
        pytest.param("Pomalidomide plus bortezomib plus dexamethasone improved progression-free survival "
                     "to 14.2 months [2].", "14.2", id="c-invented-number-real-citation"),
        pytest.param("This patient is in the triple-class refractory branch [1].", "triple-class",
                     id="d-restates-branch"),
        pytest.param("Guideline branch: Second or later relapse, anti-CD38 naive (or exposed, not "
                     "refractory) [1].", "Second or later", id="d-other-branch-label"),
    ],
)
def test_rewrite_rule_guard_drops_sentence(reply: str, dropped: str, guard) -> None:
    model = FakeListChatModel(responses=[f"{KEPT_PVD} {reply}"])
    original = _patient_answer()
    answer = rewrite(original, model, guard=guard)
    generated = [s for s in answer.sentences if s.role in ("lead", "point")]
    assert [s.text for s in generated] == [KEPT_PVD.removesuffix(" [2].") + "."]
    assert dropped not in " ".join(s.text for s in generated)
    assert answer.sentences[: len(CARD)] == CARD and answer.branch == original.branch


def test_rewrite_guard_from_answer_drops_excluded_regimen_without_rule_layer() -> None:
    model = FakeListChatModel(responses=[f"{KEPT_PVD} KRd prolonged overall survival in ASPIRE [3]."])
    answer = rewrite(_patient_answer(), model)
    assert not any("KRd" in s.text for s in answer.sentences if s.role == "point")


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(f"({KRD_LABEL}) Carfilzomib plus lenalidomide plus dexamethasone prolonged overall "
                     "survival in ASPIRE (47.3 months vs 35.9 months) [3].", id="labelled-excluded-regimen"),
        pytest.param("In lenalidomide-refractory disease, pomalidomide plus bortezomib plus dexamethasone "
                     "gave longer progression-free survival (9·5 months vs 5·6 months) [2].",
                     id="refractory-drug-describing-population"),
    ],
)
def test_rewrite_rule_guard_keeps_labelled_or_descriptive_mentions(reply: str, guard) -> None:
    answer = rewrite(_patient_answer(), FakeListChatModel(responses=[reply]), guard=guard)
    points = [s for s in answer.sentences if s.role == "point"]
    assert len(points) == 1 and points[0].text == reply.rsplit(" [", 1)[0] + "."


def test_rewrite_keeps_branch_card_lines_verbatim_and_in_place(guard) -> None:
    model = FakeListChatModel(responses=[KEPT_PVD])
    answer = rewrite(_patient_answer(), model, guard=guard)
    assert answer.sentences[: len(CARD)] == CARD
    assert answer.text.startswith(render(CARD))
    assert "9·5 months vs 5·6" in answer.text


def test_rewrite_flag_policy_still_drops_excluded_offer(guard) -> None:
    config = load_generative_config().model_copy(update={"unsupported_policy": "flag"})
    sentences = verify_generated("KRd is an option with 47.3 months [3]. KRd is the best regimen [7].",
                                 _patient_answer(), config, guard)
    assert sentences == []


def test_rewrite_leaves_card_only_answer_alone() -> None:
    card_only = _patient_answer().model_copy(update={"sentences": CARD[:4], "status": "needs_information"})
    model = FakeListChatModel(responses=[])  # any call would fail: nothing to rewrite, no call is made
    assert rewrite(card_only, model) is card_only


def test_build_messages_separates_decision_from_draft() -> None:
    _, human = build_messages(_patient_answer())
    decision, draft = human[1].split("Draft evidence to rewrite", 1)
    assert "First relapse, lenalidomide-refractory" in decision and "Not for this patient" in decision
    assert "9·5 months" in draft and "Guideline branch" not in draft


@pytest.mark.parametrize(
    ("text", "offers"),
    [
        pytest.param(f"({KRD_LABEL}) KRd prolonged overall survival.", [], id="own-label-excuses"),
        pytest.param("(not for this patient: Pano-Vd — toxicity) KRd prolonged overall survival.",
                     ["KRd", "lenalidomide"], id="label-for-another-regimen-does-not"),
        pytest.param("KRd prolonged overall survival (not for this patient: KRd — refractory).",
                     ["KRd", "lenalidomide"], id="label-after-the-offer-does-not"),
        pytest.param("Patients progressing on lenalidomide maintenance received PVd.", [],
                     id="population-description"),
        pytest.param("Lenalidomide should be continued.", ["lenalidomide"], id="refractory-drug-offered"),
    ],
)
def test_excluded_offers_label_must_name_the_excluded_option(text: str, offers: list[str], guard) -> None:
    from assistant.vocabulary import load_vocabulary

    found = excluded_offers(text, guard, load_vocabulary(), load_generative_config())
    assert found == offers
