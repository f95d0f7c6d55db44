"""Regimen abbreviations used in an answer, expanded to full drug names on demand."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from assistant.ui.text import escape_markdown
from assistant.vocabulary import Vocabulary


def regimen_glossary(text: str, vocabulary: Vocabulary) -> dict[str, str]:
    """Canonical regimen code -> full drug names, for every regimen mentioned in ``text`` (in order)."""
    codes = list(dict.fromkeys(m.id for m in vocabulary.find_regimens(text)))
    return vocabulary.glossary(codes)


def render_glossary(entries: Iterable[tuple[str, str]]) -> None:
    """An expander of (code, full names) pairs, from ``regimen_glossary``; nothing when there are none."""
    entries = list(entries)
    if not entries:
        return
    with st.expander(f"Abbreviations in this answer ({len(entries)})", icon=":material/menu_book:"):
        st.markdown("\n".join(f"- **{escape_markdown(code)}**: {escape_markdown(name)}"
                              for code, name in entries))
