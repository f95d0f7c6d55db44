"""Literature lookup: ranked passages for an ad-hoc query, filtered by document and kind.

Not an answer: the passages are listed as printed, best first, each with its year label, for a
clinician who wants to read the sources directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from assistant.retrieval.models import Passage, SearchFilters
from assistant.ui.state import WIDGET_PREFIX, control_problem
from assistant.ui.text import escape_markdown, highlighted_html

if TYPE_CHECKING:
    from assistant.answer.services import Services

_KINDS = {"text": "running text", "table": "tables", "caption": "figure and table captions"}
# A search is a few words; a pasted page is not a search (and would be embedded only in part).
MAX_QUERY_CHARS = 1_000


def validate_query(query: str) -> str | None:
    """A clear reason when a search cannot be run (too long, control characters), else None."""
    if len(query) > MAX_QUERY_CHARS:
        return (
            f"The search is too long ({len(query):,} characters; the limit is {MAX_QUERY_CHARS:,}). "
            "Search with the words that matter: a trial, a regimen, an outcome."
        )
    return control_problem(query, "search")


def printed_html(printed: str) -> str:
    """Source lines for ``st.html``, escaped: a passage is data, and only our ``<div>`` is markup."""
    return (f'<div class="rrmm-passage" style="white-space: pre-wrap; font-size: 0.9rem">'
            f"{highlighted_html(printed, None)}</div>")


def passage_label(passage: Passage, services: Services) -> str:
    chunk = passage.chunk
    meta = services.corpus.meta(chunk.doc_id)
    section = f" · {chunk.section}" if chunk.section else ""
    kind = f" · {chunk.kind}" if chunk.kind != "text" else ""
    return (f"{passage.rank}. {meta.short_title} · {meta.year_label}{section}{kind} · "
            f"lines {chunk.line_start}–{chunk.line_end}")


def render_lookup(services: Services) -> None:
    docs = services.corpus.docs
    with st.form(key=f"{WIDGET_PREFIX}lookup_form", border=False):
        query = st.text_input(
            "Search the five reviews", key=f"{WIDGET_PREFIX}lookup_query",
            placeholder="e.g. CANDOR lenalidomide-refractory subgroup, t(11;14) venetoclax, renal dosing",
        )
        doc_col, kind_col, k_col = st.columns([3, 2, 1])
        doc_ids = doc_col.multiselect(
            "Documents", options=list(docs), key=f"{WIDGET_PREFIX}lookup_docs",
            format_func=lambda d: f"{docs[d].short_title} ({docs[d].year_label})", placeholder="all five",
        )
        kinds = kind_col.multiselect(
            "Kind", options=list(_KINDS), key=f"{WIDGET_PREFIX}lookup_kinds",
            format_func=lambda k: _KINDS[k], placeholder="text and tables",
        )
        k = k_col.number_input("Results", min_value=1, max_value=30, value=8, key=f"{WIDGET_PREFIX}lookup_k")
        st.form_submit_button("Search", icon=":material/search:", type="primary")
    if not query.strip():
        st.caption("Passages are ranked by meaning and by the exact words (trial names, regimen codes).")
        return
    if problem := validate_query(query):  # the query stays in the box to be shortened
        st.warning(problem, icon=":material/error:")
        return
    try:
        passages = services.retriever.search(
            query, k=int(k), filters=SearchFilters(doc_ids=tuple(doc_ids), kinds=tuple(kinds))
        )
    except ValueError as exc:  # an empty query or filters that match nothing: say which
        st.warning(str(exc), icon=":material/filter_alt_off:")
        return
    if not passages:
        st.info("No passage matches this search.", icon=":material/search_off:")
        return
    for passage in passages:
        chunk = passage.chunk
        with st.expander(escape_markdown(passage_label(passage, services)), expanded=passage.rank <= 3):
            printed = services.corpus.printed(chunk.doc_id, chunk.line_start, chunk.line_end)
            st.html(printed_html(printed))
            st.caption(escape_markdown(
                f"{services.corpus.meta(chunk.doc_id).title} · corpus/{chunk.doc_id}.txt "
                f"lines {chunk.line_start}–{chunk.line_end} · score {passage.score:.4f}"
            ))
