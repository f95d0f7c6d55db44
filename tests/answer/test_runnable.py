"""The answer pipeline as a LangChain Runnable."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.runnables import Runnable

from assistant.answer.models import Answer
from assistant.answer.runnable import answer_runnable


def test_runnable_invoke_returns_answer(services) -> None:
    chain = answer_runnable(services)
    assert isinstance(chain, Runnable)
    answer = chain.invoke({"question": "Mechanism of selinexor?"})
    assert isinstance(answer, Answer) and answer.status == "answered"
    assert chain.invoke("hello").status == "out_of_scope"


def test_runnable_batch_and_patient_text(services) -> None:
    chain = answer_runnable(services)
    answers = chain.batch(
        [{"question": "What next?", "patient_text": "pt w/ 2 prior lines now progressing."}, {"question": ""}]
    )
    assert [a.status for a in answers] == ["needs_information", "invalid_input"]


def test_runnable_rejects_unknown_keys(services) -> None:
    with pytest.raises(ValueError, match="unknown input keys"):
        answer_runnable(services).invoke({"query": "x"})


def test_runnable_with_chat_model_verifies_rewrite(services) -> None:
    model = FakeListChatModel(responses=["Selinexor blocks exportin 1 [1][9]. It cures everyone, 100% [1]."])
    answer = answer_runnable(services, chat_model=model).invoke({"question": "Mechanism of selinexor?"})
    assert "[9]" not in answer.text and "100%" not in answer.text
