"""The answer pipeline as a LangChain Runnable: ``{question, patient_text?, conversation?} -> Answer``.

Lets the pipeline compose with other LangChain pieces (batching, callbacks, tracing) without a second
code path: the Runnable calls the same ``answer_question``, and, when ``settings.answer_backend`` is
"langchain", the verified generative rewrite, guarded by the patient's exclusions from the rule layer.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answer.compose import answer_question
from assistant.answer.followup import Conversation
from assistant.answer.models import Answer
from assistant.answer.services import Services

_KEYS = {"question", "patient_text", "conversation"}


def patient_guard(answer: Answer, patient_text: str | None, services: Services) -> Any:
    """The rule layer's exclusions for the patient behind a patient answer (None otherwise): the same
    facts and rules that drew the answer's branch card, so the rewrite cannot offer what it excluded."""
    if not answer.branch or not patient_text:
        return None
    from assistant.answer.generative import guard_for
    from assistant.rules import decide, extract_facts

    profile = extract_facts(patient_text).profile
    decision = decide(profile, services.rules, services.vocabulary)
    return guard_for(decision, profile.refractory_drugs(), services.vocabulary)


def answer_runnable(services: Services, chat_model: Any | None = None) -> Runnable[dict[str, Any], Answer]:
    """A Runnable over `services`. `chat_model` (or the configured one, for the langchain backend)
    rewrites the extractive draft; without either the answer stays extractive."""
    model = chat_model
    if model is None and services.settings.answer_backend == "langchain":
        from assistant.answer.generative import load_chat_model

        model = load_chat_model(services.settings)

    def invoke(inputs: dict[str, Any] | str) -> Answer:
        if isinstance(inputs, str):
            inputs = {"question": inputs}
        if not isinstance(inputs, dict):
            raise TypeError(
                "the answer runnable takes a dict {question, patient_text?, conversation?} or a str"
            )
        unknown = set(inputs) - _KEYS
        if unknown:
            raise ValueError(f"unknown input keys {sorted(unknown)}; expected {sorted(_KEYS)}")
        conversation = inputs.get("conversation")
        if conversation is not None and not isinstance(conversation, Conversation):
            conversation = Conversation.model_validate(conversation)
        answer = answer_question(
            inputs.get("question") or "",
            conversation=conversation,
            patient_text=inputs.get("patient_text"),
            services=services,
        )
        if model is not None:
            from assistant.answer.generative import rewrite

            patient_text = inputs.get("patient_text") or (conversation.patient_text if conversation else None)
            answer = rewrite(answer, model, guard=patient_guard(answer, patient_text, services))
        return answer

    return RunnableLambda(invoke, name="rrmm_answer")
