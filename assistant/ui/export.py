"""The audit trail: the whole conversation as Markdown, for a tumour board or the patient's record.

It holds what the screen showed: patient facts (and where each came from), the branch with its options,
exclusions and sources, the full decision trace, and every cited passage as printed with its year.
Built in memory on demand and handed to the browser; never written to disk or logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from assistant.answer.models import Answer, Citation
from assistant.ui import branch_card
from assistant.ui.disclaimer import disclaimer_text
from assistant.ui.patient_panel import field_specs, is_stated, parsed_from
from assistant.ui.state import ChatState
from assistant.ui.words import value_words

_DIRECTIVE = re.compile(r":[a-z]+(?:-badge)?\[((?:\\\]|[^\]])*)\]")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{}~])")
_STATUS_WORDS = {
    "answered": "answer",
    "abstained": "not found in the sources",
    "out_of_scope": "out of scope",
    "needs_information": "more information needed",
    "invalid_input": "message not answered",
}


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def _plain(text: str) -> str:
    """Parsed-from lines are built for st.markdown (escaped); the export wants them readable."""
    return text.replace("\\", "").replace("**", "")


def facts_markdown(state: ChatState) -> str:
    profile = state.profile()
    sources = parsed_from(state)
    rows = []
    for spec in field_specs():
        value = getattr(profile, spec.name)
        if not is_stated(value) and spec.name not in state.manual:
            continue
        origin = "set by hand" if spec.name in state.manual else "; ".join(_plain(s) for s in
                                                                           sources.get(spec.name, ()))
        rows.append(f"| {spec.label} | {value_words(value)} | {origin.replace('|', '/') or 'parsed'} |")
    if not rows:
        return "No patient facts were given."
    return "| Fact | Value | From |\n|---|---|---|\n" + "\n".join(rows)


def citation_markdown(citation: Citation) -> str:
    head = (f"**[{citation.n}] {citation.title}** ({citation.year_label}), section: "
            f"{citation.section or 'none printed'}, corpus/{citation.doc}.txt lines "
            f"{citation.line_start}–{citation.line_end}")
    if citation.label:
        head += f" — {citation.label}"
    parts = [head, "", _quote(citation.text)]
    if citation.span:
        parts += ["", f"Supporting sentence: “{citation.text[citation.span[0]:citation.span[1]]}”"]
    return "\n".join(parts)


def answer_markdown(answer: Answer) -> str:
    parts = [f"**Assistant** ({_STATUS_WORDS.get(answer.status, answer.status)}):", "", answer.text]
    if answer.resolved_question.strip() != answer.question.strip():
        parts[1:1] = ["", f"_Read as: {answer.resolved_question}_"]
    for heading, citations in (("Cited passages", answer.citations), ("Related passages (not an answer)",
                                                                        answer.related)):
        if citations:
            parts += ["", f"#### {heading}", ""]
            parts += ["\n\n".join(citation_markdown(c) for c in citations)]
    return "\n".join(parts)


def conversation_markdown(state: ChatState, docs: Mapping[str, Any] | None = None,
                          now: datetime | None = None) -> str:
    """The whole session as one Markdown document (pure: tests call it directly)."""
    docs = docs or {}
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# RRMM decision support: conversation record", "", f"Exported {stamp}."]
    if docs:
        out += ["", f"_{disclaimer_text(docs.values())}_"]
    out += ["", "## Patient facts", "", facts_markdown(state)]
    decision = state.decision
    out += ["", "## Guideline branch", ""]
    if decision is None:
        out.append("No branch: no patient was described.")
    else:
        out += [f"**{decision.branch_label}** (`{decision.branch}`)", "", decision.explanation]
        if decision.branch_sources:
            out.append(f"Source: {branch_card.cite(decision.branch_sources, docs)}.")
        for title, body in (
            ("Facts that chose the branch", "\n".join(f"- {w}" for w in branch_card.why_lines(decision))),
            ("Ask before deciding", "\n".join(f"- {m.question}" for m in decision.missing_facts)),
            ("Options by evidence tier", branch_card.options_markdown(decision, docs)),
            ("Not for this patient", branch_card.avoid_markdown(decision, docs)),
            ("Modifiers", branch_card.modifiers_markdown(decision)),
            ("What changed between the sources", branch_card.updates_markdown(decision, docs)),
            ("Decision trace", branch_card.trace_markdown(decision)),
        ):
            if body:
                out += ["", f"### {title}", "", _plain_markdown(body)]
        quotes = [(o.regimen, s) for o in decision.options for s in o.sources]
        quotes += [(a.regimen, s) for a in decision.avoid for s in a.sources]
        if quotes:
            out += ["", "### Source quotes behind the options and exclusions", ""]
            out += [f"- {regimen}: {branch_card.cite((s,), docs)}: “{s.quote}”" for regimen, s in quotes]
    out += ["", "## Conversation"]
    for i, turn in enumerate(state.turns, start=1):
        out += ["", f"### Turn {i}", "", "**Clinician:**", "", _quote(turn.message), ""]
        out.append(answer_markdown(turn.answer) if turn.answer else f"_Not answered: {turn.notice}_")
    return "\n".join(out) + "\n"


def _plain_markdown(text: str) -> str:
    """Screen Markdown made portable: Streamlit-only directives (:gray[...], :orange-badge[...]) become
    parentheses and escapes go, except "\\|", which keeps table cells intact."""
    text = _DIRECTIVE.sub(r"(\1)", text)
    return _ESCAPE.sub(r"\1", text)


def render_export(state: ChatState, docs: Mapping[str, Any]) -> None:
    """Sidebar download; built only when there is something to export."""
    if not state.turns and not state.manual:
        return
    with st.sidebar:
        st.download_button(
            # A callable defers building the document to the click, off the page's run.
            "Download record (Markdown)", data=lambda: conversation_markdown(state, docs), on_click="ignore",
            file_name="rrmm-conversation.md", mime="text/markdown", icon=":material/download:",
            key="rrmm_export", width="stretch",
            help="Patient facts, branch, decision trace and every cited passage, for a tumour board",
        )
