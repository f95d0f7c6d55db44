"""What the page draws for one answer, derived once when the answer arrives.

Every Streamlit rerun redraws the whole conversation. Re-deriving each earlier answer's Markdown and
abbreviation glossary on every rerun took longer than composing the new answer, so the derived text
is kept beside the answer in the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from assistant.answer.models import Answer, AnswerSentence
from assistant.ui.citations import markers
from assistant.ui.glossary import regimen_glossary
from assistant.ui.text import escape_markdown
from assistant.vocabulary import Vocabulary

_BULLET_ROLES = {"option", "avoid", "modifier", "missing", "update", "related"}


@dataclass(frozen=True)
class AnswerView:
    """Escaped Markdown for one answer, ready to hand to ``st.markdown``."""

    body: str
    read_as: str | None = None
    glossary: tuple[tuple[str, str], ...] = ()


def sentences_markdown(sentences: tuple[AnswerSentence, ...] | list[AnswerSentence]) -> str:
    """Answer sentences as Markdown with inline citation markers; options and exclusions as bullets."""
    blocks: list[str] = []
    for bullet, group in groupby(sentences, key=lambda s: s.role in _BULLET_ROLES):
        lines = [f"{escape_markdown(s.text)} {markers(s.citations)}".strip() for s in group]
        blocks.append("\n".join(f"- {line}" for line in lines) if bullet else " ".join(lines))
    return "\n\n".join(blocks)


def answer_view(answer: Answer, vocabulary: Vocabulary) -> AnswerView:
    # Related passages are listed once, as expanders below; disagreements get their own columns.
    plain = [s for s in answer.sentences if s.role not in ("conflict", "related")]
    body = sentences_markdown(plain) if plain else escape_markdown(answer.text)
    read_as = None
    if answer.resolved_question.strip() != answer.question.strip() and answer.turn_kind == "follow_up":
        read_as = escape_markdown(answer.resolved_question)
    return AnswerView(body=body, read_as=read_as,
                      glossary=tuple(regimen_glossary(answer.text, vocabulary).items()))
