"""Numbered citations: inline markers, one expander per passage, and disagreeing sources side by side.

Every expander label carries the source's year label, because a clinician must see at a glance
whether a statement is from the 2020 review or the 2025 update.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import streamlit as st

from assistant.answer.models import AnswerSentence, Citation
from assistant.ui.text import escape_markdown, highlighted_html

_PASSAGE_STYLE = (
    "white-space: pre-wrap; font-size: 0.9rem; line-height: 1.45; padding: 0.6rem 0.8rem; "
    "border-left: 3px solid #9aa5b1; background: rgba(128,128,128,0.06); border-radius: 4px"
)
_SCOPE_NOTE = {
    "outside_branch": "Outside this patient's branch",
    "rule": "Source of the decision rule",
}


def markers(numbers: Iterable[int]) -> str:
    """Inline citation markers as small badges, e.g. ``[1] [3]``."""
    return " ".join(f":blue-badge[{n}]" for n in numbers)


def citation_label(citation: Citation, docs: Mapping[str, Any] | None = None) -> str:
    """One line that identifies a passage: number, document, year label, section, printed lines."""
    meta = (docs or {}).get(citation.doc)
    name = meta.short_title if meta else citation.title
    section = f" · {citation.section}" if citation.section else ""
    lines = (f"line {citation.line_start}" if citation.line_start == citation.line_end
             else f"lines {citation.line_start}–{citation.line_end}")
    return f"[{citation.n}] {name} · {citation.year_label}{section} · {lines}"


def passage_html(citation: Citation) -> str:
    """The passage for ``st.html``: corpus text escaped, so only our ``<div>`` and ``<mark>`` are markup."""
    return (f'<div class="rrmm-passage" style="{_PASSAGE_STYLE}">'
            f"{highlighted_html(citation.text, citation.span)}</div>")


def render_passage(citation: Citation, docs: Mapping[str, Any] | None = None) -> None:
    """The passage as printed with the supporting sentence highlighted, and where it is printed."""
    note = citation.label or _SCOPE_NOTE.get(citation.scope)
    if note:
        st.markdown(f":orange-badge[{escape_markdown(note)}]")
    if citation.span:
        # The supporting sentence first, so it is read before the (often long) passage around it.
        st.markdown(f"**Supporting sentence:** “{escape_markdown(supporting_text(citation))}”")
    st.html(passage_html(citation))
    meta = (docs or {}).get(citation.doc)
    st.caption(
        escape_markdown(
            f"Passage as printed in {meta.title if meta else citation.title} ({citation.year_label}) · "
            f"section: {citation.section or 'none printed'} · corpus/{citation.doc}.txt lines "
            f"{citation.line_start}–{citation.line_end} · {citation.kind}"
        )
    )


def render_citation(citation: Citation, docs: Mapping[str, Any] | None = None, *, key: str) -> None:
    """An expander with the passage as printed and the supporting sentence highlighted.

    The passage is drawn only while the expander is open: a patient answer cites some thirty passages,
    and sending all of them on every turn made the page slow to update.
    """
    expander = st.expander(escape_markdown(citation_label(citation, docs)), key=key, on_change="rerun")
    if expander.open:
        with expander:
            render_passage(citation, docs)


def render_citations(citations: Sequence[Citation], docs: Mapping[str, Any] | None = None, *,
                     key_prefix: str) -> None:
    for citation in sorted(citations, key=lambda c: c.n):
        render_citation(citation, docs, key=f"{key_prefix}_{citation.n}")


def render_citation_picker(citations: Sequence[Citation], docs: Mapping[str, Any] | None = None, *,
                           title: str, key: str) -> None:
    """All of an earlier answer's passages behind one expander, one passage shown at a time.

    Every rerun redraws the whole conversation; thirty expanders per earlier answer made each new turn
    slower than the last (the warm-answer target is 1 s), so only the newest answer gets one expander
    per citation. The year labels stay in the expander's title and in every choice.
    """
    ordered = sorted(citations, key=lambda c: c.n)
    years = ", ".join(dict.fromkeys(c.year_label for c in sorted(ordered, key=lambda c: c.year)))
    expander = st.expander(escape_markdown(f"{title} ({len(ordered)}) · {years}"), key=key,
                           on_change="rerun", icon=":material/format_quote:")
    if not expander.open:
        return
    by_number = {c.n: c for c in ordered}
    with expander:
        chosen = st.selectbox("Passage", options=list(by_number), key=f"{key}_choice",
                              format_func=lambda n: citation_label(by_number[n], docs))
        render_passage(by_number[chosen], docs)


def supporting_text(citation: Citation) -> str:
    """The highlighted sentence alone (the whole passage when no span is known)."""
    if citation.span and 0 <= citation.span[0] < citation.span[1] <= len(citation.text):
        return citation.text[citation.span[0]:citation.span[1]]
    return citation.text


def render_disagreement(sentence: AnswerSentence, by_number: dict[int, Citation],
                        docs: Mapping[str, Any] | None = None) -> None:
    """Sources that disagree, side by side, each with its own year, so the newer one is obvious."""
    cited = [by_number[n] for n in sentence.citations if n in by_number]
    st.markdown(f"**Sources differ:** {escape_markdown(sentence.text)} {markers(sentence.citations)}")
    if len(cited) < 2:
        return
    cited.sort(key=lambda c: c.year)
    for column, citation in zip(st.columns(len(cited)), cited, strict=True):
        with column, st.container(border=True):
            year = escape_markdown(citation.year_label)
            meta = (docs or {}).get(citation.doc)
            name = escape_markdown(meta.short_title if meta else citation.title)
            st.markdown(f"**{name}** :gray-badge[{year}] {markers([citation.n])}")
            st.markdown(escape_markdown(supporting_text(citation)))
