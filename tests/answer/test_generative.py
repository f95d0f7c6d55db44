"""The optional generative backend, driven by LangChain's fake chat models: generated text is kept only
where the cited passages support it."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.generative import load_generative_config, rewrite, verify_generated
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
