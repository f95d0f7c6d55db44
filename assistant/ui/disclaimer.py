"""The short statement of what this page is and is not, naming the five sources and their years."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from assistant.ui.text import escape_markdown
from ingest.models import DocumentMeta


def disclaimer_text(documents: Iterable[DocumentMeta]) -> str:
    """Plain text (also written at the top of every export)."""
    docs = list(documents)
    named = "; ".join(f"{d.short_title}, {d.year_label}" for d in docs)
    return (
        f"Decision support built only on {len(docs)} published reviews ({named}). "
        "It is not a substitute for clinical judgment or for current drug labelling, "
        "and it knows nothing published after these sources."
    )


def render_disclaimer(documents: Iterable[DocumentMeta]) -> None:
    st.caption(f":material/info: {escape_markdown(disclaimer_text(documents))}")
