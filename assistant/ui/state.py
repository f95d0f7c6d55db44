"""Everything about one patient and one conversation, kept only in ``st.session_state``.

Nothing here is shared between browser sessions and nothing is logged. The rule layer re-derives the
profile from all patient text so far; hand edits in the panel sit on top of it and win.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import streamlit as st

from assistant.answer.followup import Conversation
from assistant.answer.models import Answer

if TYPE_CHECKING:
    from assistant.rules import Decision, Extraction, PatientProfile

STATE_KEY = "rrmm_chat"
# Widget keys that hold patient or conversation data start with this, so "New patient" finds them all.
WIDGET_PREFIX = "rrmm_w_"
# A long case summary is a few thousand characters; 20,000 is a pasted document, not a message.
MAX_MESSAGE_CHARS = 10_000


@dataclass(frozen=True)
class ChatTurn:
    """One exchange as shown: the clinician's message and either an answer or a notice."""

    message: str
    answer: Answer | None = None
    notice: str | None = None


@dataclass
class ChatState:
    """The session's patient and conversation. Mutable, but only ever touched by this session."""

    turns: list[ChatTurn] = field(default_factory=list)
    conversation: Conversation = field(default_factory=Conversation)
    extraction: Extraction | None = None
    manual: dict[str, Any] = field(default_factory=dict)
    decision: Decision | None = None

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
    """A clear reason when a message cannot be answered (empty or too long), else None."""
    if text is None or not text.strip():
        return "The message is empty. Type a patient case or a question about relapsed myeloma."
    if len(text) > MAX_MESSAGE_CHARS:
        return (
            f"The message is too long ({len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}). "
            "Paste only the relevant part of the case: lines of therapy, response, what the disease "
            "is refractory to, and the question."
        )
    return None
