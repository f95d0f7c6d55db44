"""The conversation: message box, one turn at a time, answers rendered with their citations.

An answer, an abstention ("not in the sources"), an out-of-scope reply and a request for a missing
fact look different on purpose, so a clinician never mistakes "I could not find it" for an answer.
"""

from __future__ import annotations

import re
from itertools import groupby
from typing import TYPE_CHECKING

import streamlit as st

from assistant.answer.models import Answer, AnswerSentence
from assistant.ui.citations import markers, render_citations, render_disagreement
from assistant.ui.glossary import render_glossary
from assistant.ui.state import ChatState, ChatTurn, validate_message
from assistant.ui.text import escape_markdown

if TYPE_CHECKING:
    from assistant.answer.services import Services

PLACEHOLDER = "Describe the patient (lines of therapy, what the disease is refractory to) or ask a question"
_PREVIEW_CHARS = 400
_QUESTION = re.compile(r"\?\s*$|^\s*(?:what|which|how|when|why|who|is|are|does|do|can|should|could)\b",
                       re.IGNORECASE)
_BULLET_ROLES = {"option", "avoid", "modifier", "missing", "update", "related"}
_STATUS_STYLE = {
    # status -> (streamlit alert, icon, heading)
    "abstained": (st.warning, ":material/search_off:", "Not found in the five sources"),
    "out_of_scope": (st.info, ":material/block:", "Outside what this assistant covers"),
    "needs_information": (st.info, ":material/help:", "One more fact is needed"),
    "invalid_input": (st.error, ":material/error:", "This message cannot be answered"),
}


def submit(message: str, state: ChatState, services: Services) -> None:
    """Answer one message and update the patient; a bad message becomes a notice, never a traceback."""
    problem = validate_message(message)
    if problem:
        state.turns.append(ChatTurn(message=_preview(message), notice=problem))
        return
    from assistant.answer.compose import answer_question

    about_patient = is_patient_message(message, state)
    patient_text = _joined(state.patient_text, message) if about_patient else state.patient_text
    answer = answer_question(message, conversation=state.conversation, patient_text=patient_text,
                             services=services)
    state.conversation = state.conversation.with_answer(
        answer, services.vocabulary, patient_text=message if about_patient else None
    )
    if about_patient:
        from assistant.rules import extract_facts

        state.extraction = extract_facts(state.patient_text)
    state.turns.append(ChatTurn(message=message, answer=answer))


def is_patient_message(message: str, state: ChatState) -> bool:
    """Does this message describe the patient (and so add to the facts), or only ask about the sources?

    A case description always counts. Once a patient is known, a short statement that states facts
    ("now CrCl 25", "she also had daratumumab") adds to them; a question does not, so "what about
    triple-class refractory patients?" never makes this patient triple-class refractory.
    """
    from assistant.answer.classify import looks_like_case, out_of_scope_reason

    if out_of_scope_reason(message):
        return False
    if looks_like_case(message):
        return True
    if not state.has_patient or _QUESTION.search(message):
        return False
    from assistant.rules import extract_facts

    return bool(extract_facts(message).facts)


def refresh_decision(state: ChatState, services: Services) -> None:
    """Re-run the rule layer on the current profile (parsed facts + hand edits); it takes milliseconds."""
    from assistant.rules import decide

    state.decision = decide(state.profile(), services.rules) if state.has_patient else None


def _joined(previous: str | None, message: str) -> str:
    return f"{previous}\n{message.strip()}" if previous else message.strip()


def _preview(message: str) -> str:
    if len(message) <= _PREVIEW_CHARS:
        return message
    return f"{message[:_PREVIEW_CHARS]}… ({len(message):,} characters in all)"


# ---- rendering -------------------------------------------------------------------------------------


def render_history(state: ChatState, services: Services) -> None:
    for i, turn in enumerate(state.turns):
        with st.chat_message("user"):
            st.markdown(escape_markdown(turn.message, keep_lines=True))
        with st.chat_message("assistant"), st.container(key=f"rrmm-turn-{i}"):
            if turn.answer is None:
                st.warning(turn.notice or "No answer.", icon=":material/edit_note:")
            else:
                render_answer(turn.answer, services)


def sentences_markdown(sentences: tuple[AnswerSentence, ...] | list[AnswerSentence]) -> str:
    """Answer sentences as Markdown with inline citation markers; options and exclusions as bullets."""
    blocks: list[str] = []
    for bullet, group in groupby(sentences, key=lambda s: s.role in _BULLET_ROLES):
        lines = [f"{escape_markdown(s.text)} {markers(s.citations)}".strip() for s in group]
        blocks.append("\n".join(f"- {line}" for line in lines) if bullet else " ".join(lines))
    return "\n\n".join(blocks)


def render_answer(answer: Answer, services: Services) -> None:
    if answer.resolved_question.strip() != answer.question.strip() and answer.turn_kind == "follow_up":
        st.caption(f"Read as: {escape_markdown(answer.resolved_question)}")
    by_number = {c.n: c for c in answer.citations}
    plain = [s for s in answer.sentences if s.role != "conflict"]
    body = sentences_markdown(plain) if plain else escape_markdown(answer.text)
    style = _STATUS_STYLE.get(answer.status)
    if style is None:
        st.markdown(body)
    else:
        alert, icon, heading = style
        alert(f"**{heading}.** {body}", icon=icon)
    for sentence in answer.sentences:
        if sentence.role == "conflict":
            render_disagreement(sentence, by_number)
    if answer.citations:
        render_citations(answer.citations)
    if answer.related:
        # Expanders cannot nest, so the related passages get a caption instead of an outer expander.
        st.caption("Closest passages in the sources: related, not an answer")
        render_citations(answer.related)
    render_glossary(answer.text, services.vocabulary)


def render_welcome() -> None:
    with st.chat_message("assistant"):
        st.markdown(
            "Describe a patient with relapsed myeloma, for example *“68-year-old, VRd then ASCT, now "
            "progressing on lenalidomide maintenance, daratumumab-naive. Next line?”*. The facts I read "
            "appear on the left, the guideline branch on the right, and every statement cites the "
            "passage it comes from.\n\n"
            "You can also ask about the sources directly, e.g. *“What did CANDOR show in "
            "lenalidomide-refractory patients?”*, or switch to **Literature lookup** to browse passages."
        )
