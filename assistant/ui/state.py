"""Everything about one patient and one conversation, kept only in ``st.session_state``.

Nothing here is shared between browser sessions and nothing is logged. The rule layer re-derives the
profile from all patient text so far; hand edits in the panel sit on top of it and win.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import streamlit as st

from assistant.answer.followup import Conversation
from assistant.answer.models import Answer
from assistant.ui.answer_view import AnswerView
from assistant.ui.text import escape_markdown

if TYPE_CHECKING:
    from assistant.rules import Decision, Extraction, PatientProfile

STATE_KEY = "rrmm_chat"
# Widget keys that hold patient or conversation data start with this, so "New patient" finds them all.
WIDGET_PREFIX = "rrmm_w_"
# A long case summary is a few thousand characters; 20,000 is a pasted document, not a message.
MAX_MESSAGE_CHARS = 10_000
# Tab, newline, carriage return, vertical tab and form feed come with text pasted from documents.
_WHITESPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c")


@dataclass(frozen=True)
class ChatTurn:
    """One exchange as shown: the clinician's message and either an answer or a notice."""

    message: str
    answer: Answer | None = None
    notice: str | None = None
    view: AnswerView | None = None
    # A refused message in full, so that nothing the clinician pasted is lost (the chat box empties).
    refused_text: str | None = None

    @cached_property
    def message_markdown(self) -> str:
        """The message as literal text for ``st.markdown`` (never live Markdown, HTML or links)."""
        return escape_markdown(self.message, keep_lines=True)


@dataclass
class ChatState:
    """The session's patient and conversation. Mutable, but only ever touched by this session."""

    turns: list[ChatTurn] = field(default_factory=list)
    conversation: Conversation = field(default_factory=Conversation)
    extraction: Extraction | None = None
    manual: dict[str, Any] = field(default_factory=dict)
    decision: Decision | None = None
    # Field -> why the last hand-entered value was refused (shown under the field until corrected).
    refused_edits: dict[str, str] = field(default_factory=dict)

    @property
    def patient_text(self) -> str | None:
        return self.conversation.patient_text

    @property
    def has_patient(self) -> bool:
        return bool(self.patient_text or self.manual)

    def profile(self) -> PatientProfile:
        """The extracted profile with the clinician's hand edits applied on top."""
        from assistant.rules.profile import PatientProfile

        base = self.extraction.profile.model_dump() if self.extraction else {}
        return PatientProfile.model_validate({**base, **self.manual})


def get_state() -> ChatState:
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = ChatState()
    return st.session_state[STATE_KEY]


def reset_patient() -> None:
    """New patient: forget the conversation, the profile, hand edits and every patient widget value."""
    for key in [k for k in st.session_state if k == STATE_KEY or str(k).startswith(WIDGET_PREFIX)]:
        del st.session_state[key]


def validate_message(text: str | None) -> str | None:
    """A clear reason when a message cannot be answered (empty, too long, control characters), else None.

    Control characters are refused rather than dropped: a NUL or a terminal escape ("\\x1b[31m") is
    not clinical text, and silently removing it could join two numbers into a different fact.
    """
    if text is None or not text.strip():
        return "The message is empty. Type a patient case or a question about relapsed myeloma."
    if len(text) > MAX_MESSAGE_CHARS:
        return (
            f"The message is too long ({len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}). "
            "Paste only the relevant part of the case: lines of therapy, response, what the disease "
            "is refractory to, and the question."
        )
    return control_problem(text, "message")


def visible_controls(text: str) -> str:
    """`text` with each control character that is not whitespace shown by name ("⟨U+001B⟩")."""
    return "".join(f"⟨U+{ord(c):04X}⟩" if _is_control(c) else c for c in text)


def _is_control(char: str) -> bool:
    """A control character that is not whitespace pasted from a document (NUL, ESC, BEL...)."""
    return unicodedata.category(char) == "Cc" and char not in _WHITESPACE_CONTROLS


def control_problem(text: str, what: str) -> str | None:
    """Why `text` (the clinician's `what`) holds characters that are not text, or None."""
    controls = sorted({c for c in text if _is_control(c)})
    if controls:
        named = ", ".join(f"U+{ord(c):04X}" for c in controls[:3])
        return (
            f"The {what} contains control characters ({named}) that are not text. Retype it, or paste it "
            "as plain text."
        )
    return None
