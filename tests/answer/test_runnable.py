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


LEN_REFRACTORY = (
    "62F IgA lambda. VRd x4 -> auto SCT -> Revlimid maint 10mg. Now clear PD on R maint: M-spike 0.1 -> "
    "1.6 g/dL, new rib lytic lesion, Hb 10.2. Dara naive, no PN, CrCl ~85. Relapsed ~2 yrs post ASCT."
)


def test_runnable_rewrite_cannot_offer_excluded_regimen_or_change_card(services) -> None:
    """A model that recommends KRd to a lenalidomide-refractory patient (citing a real passage) and moves
    the branch: both are dropped, and the rule layer's lines come out exactly as the extractive answer."""
    inputs = {"question": "What next?", "patient_text": LEN_REFRACTORY}
    extractive = answer_runnable(services).invoke(inputs)
    assert extractive.branch == "first_relapse_len_refractory" and extractive.status == "answered"
    cited = next(s for s in extractive.sentences if s.role == "point").citations[0]
    model = FakeListChatModel(responses=[
        "Carfilzomib plus lenalidomide plus dexamethasone is the preferred option for this patient [1]. "
        f"KRd prolonged progression-free survival [{cited}]. Guideline branch: triple-class refractory [1]."
    ])
    answer = answer_runnable(services, chat_model=model).invoke(inputs)
    card = [s for s in extractive.sentences if s.role not in ("lead", "point", "conflict")]
    assert [s for s in answer.sentences if s.role not in ("lead", "point", "conflict")] == card
    rewritten = " ".join(s.text for s in answer.sentences if s.role in ("lead", "point"))
    assert "preferred option" not in rewritten and "triple-class" not in rewritten
    assert "KRd prolonged" not in rewritten and answer.branch == extractive.branch
