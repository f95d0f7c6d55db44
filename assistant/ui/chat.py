"""The conversation: message box, one turn at a time, answers rendered with their citations.

An answer, an abstention ("not in the sources"), an out-of-scope reply and a request for a missing
fact look different on purpose, so a clinician never mistakes "I could not find it" for an answer.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import TYPE_CHECKING

import streamlit as st

from assistant.answer.models import Answer
from assistant.ui.answer_view import AnswerView, answer_view
from assistant.ui.citations import render_citation_picker, render_citations, render_disagreement
from assistant.ui.glossary import render_glossary
from assistant.ui.state import WIDGET_PREFIX, ChatState, ChatTurn, validate_message, visible_controls

if TYPE_CHECKING:
    from assistant.answer.services import Services

log = logging.getLogger(__name__)
PLACEHOLDER = "Describe the patient (lines of therapy, what the disease is refractory to) or ask a question"
_PREVIEW_CHARS = 400
_QUESTION = re.compile(r"\?|^\s*(?:what|which|how|would|should|could|can|is|are|does|do)\b", re.IGNORECASE)
_STATUS_STYLE = {
    # status -> (streamlit alert, icon, heading)
    "abstained": (st.warning, ":material/search_off:", "Not found in the five sources"),
    "out_of_scope": (st.info, ":material/block:", "Outside what this assistant covers"),
    "needs_information": (st.info, ":material/help:", "One more fact is needed"),
    "invalid_input": (st.error, ":material/error:", "This message cannot be answered"),
}


def submit(message: str, state: ChatState, services: Services) -> None:
    """Answer one message and update the patient; a bad message becomes a notice, never a traceback.

    Patient facts are read (and the branch card updated by the rule layer) before the answer is composed,
    so the card stays right even if composing the answer fails.
    """
    problem = validate_message(message)
    if problem:
        refused = message if message and message.strip() else None
        state.turns.append(ChatTurn(message=_preview(message), notice=problem, refused_text=refused))
        return
    from assistant.rules import extract_facts

    try:
        from assistant.answer.compose import answer_question

        if is_patient_message(message, state):
            patient_text = _joined(state.patient_text, message)
            state.conversation = state.conversation.model_copy(update={"patient_text": patient_text})
            state.extraction = extract_facts(patient_text)
        answer = answer_question(message, conversation=state.conversation, patient_text=state.patient_text,
                                 services=services, profile=state.profile() if state.has_patient else None)
    except Exception as exc:  # the page must survive a bug; the log gets where, never the patient text
        where = "".join(traceback.format_tb(exc.__traceback__))
        log.error("answering failed with %s:\n%s", type(exc).__name__, where)
        state.turns.append(ChatTurn(message=_preview(message), notice=(
            f"This message could not be answered because of an internal error ({type(exc).__name__}). "
            "Please rephrase, or report the problem."), refused_text=message))
        return
    state.conversation = state.conversation.with_answer(answer, services.vocabulary)
    view = answer_view(answer, services.vocabulary)
    state.turns.append(ChatTurn(message=message, answer=answer, view=view))


def is_patient_message(message: str, state: ChatState) -> bool:
    """Does this message describe the patient (and so add to the facts), or only ask about the sources?

    Yes for a case description ("62F, VRd -> ASCT -> R maint, PD on R"), for a first question about
    one patient ("relapsed after VRd + ASCT, what next?"), and, once a patient is known, for a statement
    of new facts ("now CrCl 25", "she also had daratumumab"). No for a question about patients in
    general ("what about triple-class refractory patients?") or a question that merely names a regimen
    ("and for DKd?", "would DKd suit her?"): the fact extractor reads every regimen in patient text as
    treatment received, so such a question must never reach the patient's facts.
    """
    from assistant.answer.classify import classify_turn, describes_patient, load_patterns, looks_like_case
    from assistant.rules import extract_facts

    if load_patterns().general_population.search(message):
        return False
    if looks_like_case(message):
        return True
    kind = classify_turn(message, has_patient=state.has_patient, has_history=bool(state.turns)).kind
    if kind == "patient" and not state.has_patient:
        return True
    facts = extract_facts(message).facts
    fields = {f.field for f in facts} - {"scope"}
    if kind == "patient" and fields and not _QUESTION.search(message):
        return True
    # A terse case ("62F IgA. VRd x4 -> auto SCT -> R maint. PD on R. Next line?") may not read as a case
    # to the turn classifier; what the fact extractor finds in it gives it away (shared with `ask`).
    return kind != "out_of_scope" and describes_patient(message)


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
    newest = len(state.turns) - 1
    for i, turn in enumerate(state.turns):
        with st.chat_message("user"):
            st.markdown(turn.message_markdown)
        with st.chat_message("assistant"), st.container(key=f"rrmm-turn-{i}"):
            if turn.answer is None:
                st.warning(turn.notice or "No answer.", icon=":material/edit_note:")
                if turn.refused_text:
                    with st.expander("Your whole message, to copy, shorten and send again"):
                        st.code(visible_controls(turn.refused_text), language=None, wrap_lines=True,
                                height=300)
            else:
                view = turn.view or answer_view(turn.answer, services.vocabulary)
                render_answer(turn.answer, view, services, key=f"{WIDGET_PREFIX}turn{i}", newest=i == newest)


def render_answer(answer: Answer, view: AnswerView, services: Services, *, key: str,
                  newest: bool = True) -> None:
    """One reply; the newest gets an expander per citation, earlier ones one picker (see citations)."""
    if view.read_as:
        st.caption(f"Read as: {view.read_as}")
    docs = services.corpus.docs
    by_number = {c.n: c for c in answer.citations}
    style = _STATUS_STYLE.get(answer.status)
    if style is None:
        st.markdown(view.body)
    else:
        alert, icon, heading = style
        alert(f"**{heading}.** {view.body}", icon=icon)
    for sentence in answer.sentences:
        if sentence.role == "conflict":
            render_disagreement(sentence, by_number, docs)
    related_title = "Closest passages in the sources: related, not an answer"
    if newest:
        if answer.citations:
            render_citations(answer.citations, docs, key_prefix=f"{key}_cite")
        if answer.related:
            # Expanders cannot nest, so the related passages get a caption instead of an outer expander.
            st.caption(related_title)
            render_citations(answer.related, docs, key_prefix=f"{key}_related")
    else:
        if answer.citations:
            render_citation_picker(answer.citations, docs, title="Cited passages", key=f"{key}_cite")
        if answer.related:
            render_citation_picker(answer.related, docs, title=related_title, key=f"{key}_related")
    render_glossary(view.glossary)


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
