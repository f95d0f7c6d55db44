"""The branch card: what the rule layer decided for this patient, readable at a glance.

Order follows a clinician's reading: the branch in plain words, the question to ask if a fact is
missing, why (the facts that fired the rule), options by evidence tier, what not to give and why,
modifiers, then what changed between the sources (each with its year). Every line comes from the
rule layer's `Decision`; nothing here decides anything. The Markdown builders are shared with the
export, so the download says exactly what the screen said.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from assistant.rules import Decision
from assistant.rules.decision import Avoid, CitedSource, Option
from assistant.ui.text import escape_markdown
from assistant.ui.words import (
    display_config,
    short_cite,
    source_name,
    tier_order,
    tier_words,
    value_words,
)

CARD_HEIGHT_PX = 640


def _cell(text: object) -> str:
    """Literal text for Markdown, also safe inside a table cell ("|" comes out escaped)."""
    return escape_markdown(str(text))


def cite(sources: tuple[CitedSource, ...], docs: Mapping[str, Any]) -> str:
    """'IMWG recommendations (Moreau et al.), 2021, line 96' for each distinct source line (export)."""
    seen = dict.fromkeys(f"{source_name(s.doc, docs)}, line {s.line}" for s in sources)
    return "; ".join(seen)


def compact_cite(sources: tuple[CitedSource, ...], docs: Mapping[str, Any]) -> str:
    """'IMWG 2021, l. 96; Barilà et al. 2025, l. 161' for the card, where space is short."""
    return "; ".join(dict.fromkeys(short_cite(s.doc, s.line, docs) for s in sources))


def why_lines(decision: Decision) -> list[str]:
    """The branch-choosing facts that fired, in plain words: 'lenalidomide status: refractory'.

    Branch selection steps have plain rule names ("lines", "lenalidomide"); option, modifier and update
    checks are namespaced ("modifier:renal_impairment") and belong to the trace, not to "why".
    """
    lines = []
    for step in decision.trace:
        if step.fired and ":" not in step.rule:
            lines.append(f"{step.condition}: {value_words(step.actual)}")
    return list(dict.fromkeys(lines))


def _option_line(option: Option, docs: Mapping[str, Any], compact: bool) -> str:
    where = compact_cite(option.sources, docs) if compact else cite(option.sources, docs)
    flags = "".join(f" · :orange[{_cell(f)}]" for f in option.flags)
    name = "" if compact else f" ({_cell(option.name)})"
    return (f"- **{_cell(option.regimen)}**{name} “{_cell(option.wording)}” "
            f":gray[{_cell(option.evidence)} · {_cell(where)}]{flags}")


def options_markdown(decision: Decision, docs: Mapping[str, Any], tiers: Iterable[str] | None = None, *,
                     compact: bool = False) -> str:
    """Options grouped by evidence tier (IMWG phase-3 tier first), one line each with its source."""
    blocks = []
    order = {t: i for i, t in enumerate(tier_order())}
    present = sorted({o.tier for o in decision.options}, key=lambda t: order.get(t, len(order)))
    for tier in (t for t in present if tiers is None or t in tiers):
        lines = [f"**{_cell(tier_words(tier))}**"]
        lines += [_option_line(o, docs, compact) for o in decision.options if o.tier == tier]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def avoid_markdown(decision: Decision, docs: Mapping[str, Any], *, compact: bool = False) -> str:
    """Excluded options, grouped by reason so five lenalidomide combinations read as one line."""
    groups: dict[str, list[Avoid]] = {}
    for item in decision.avoid:
        groups.setdefault(item.reason, []).append(item)
    lines = []
    for reason, items in groups.items():
        regimens = ", ".join(dict.fromkeys(i.regimen for i in items))
        sources = tuple(s for i in items for s in i.sources)
        where = compact_cite(sources, docs) if compact else cite(sources, docs)
        lines.append(f"- **{_cell(regimens)}**: {_cell(reason)} :gray[{_cell(where)}]")
    return "\n".join(lines)


def modifiers_markdown(decision: Decision) -> str:
    """Modifiers in effect, minus those already spelled out as a reason under "not for this patient"."""
    reasons = [a.reason for a in decision.avoid]
    shown = [m for m in decision.modifiers if not any(r.startswith(f"{m.label}:") for r in reasons)]
    return "\n".join(f"- **{_cell(m.label)}**: {_cell(m.effect)}" for m in shown)


def updates_markdown(decision: Decision, docs: Mapping[str, Any]) -> str:
    """Each update or disagreement as a small table, oldest source first, with the year beside it."""
    blocks = []
    for note in decision.updates:
        kind = "sources disagree" if note.kind == "conflict" else "changed over time"
        rows = sorted(note.positions, key=lambda p: getattr(docs.get(p.doc), "year", 0))
        table = "\n".join(
            f"| {_cell(p.year_label)} | {_cell(getattr(docs.get(p.doc), 'short_title', p.doc))} | "
            f"{_cell(p.position)} |"
            for p in rows
        )
        blocks.append(f"**{_cell(note.topic)}** :gray[({kind})]\n\n"
                      f"| Year | Source | Position |\n|---|---|---|\n{table}")
    return "\n\n".join(blocks)


def trace_markdown(decision: Decision) -> str:
    rows = "\n".join(
        f"| {_cell(s.rule)} | {_cell(s.condition)} | {_cell(s.fact)} | {_cell(s.expected)} | "
        f"{_cell(value_words(s.actual))} | {'yes' if s.fired else 'no'} |"
        for s in decision.trace
    )
    return f"| Rule | Condition | Fact | Expected | Actual | Fired |\n|---|---|---|---|---|---|\n{rows}"


def render_branch_card(decision: Decision | None, docs: Mapping[str, Any]) -> None:
    # A fixed height keeps the card beside the conversation: the top (branch, question to ask, why,
    # options) reads at a glance and the rest scrolls inside the card.
    with st.container(border=True, key="rrmm-branch-card", height=CARD_HEIGHT_PX if decision else "content"):
        if decision is None:
            st.markdown("**Guideline branch**")
            st.caption("Appears here once the patient is described: the branch, the options by evidence "
                       "tier, what to avoid and why, and what changed between the sources.")
            return
        st.caption("Guideline branch (rule layer)")
        st.markdown(f"#### {_cell(decision.branch_label)}")
        if decision.overlays:
            st.markdown(" ".join(f":violet-badge[{_cell(o.replace('_', ' '))}]" for o in decision.overlays))
        if decision.missing_facts:
            asks = "\n".join(f"- {_cell(m.question)}" for m in decision.missing_facts)
            st.warning(f"**Ask before deciding:**\n{asks}", icon=":material/help:")
        why = why_lines(decision)
        where = compact_cite(decision.branch_sources, docs)
        sources = f" :gray[{_cell(where)}]" if where else ""
        st.markdown(f"**Why.** {_cell(decision.explanation)}{sources}")
        if why:
            st.markdown("\n".join(f"- {_cell(line)}" for line in why))
        if decision.options:
            st.markdown(":material/medication: **Options**")
            glance = display_config()["at_a_glance_tiers"]
            st.markdown(options_markdown(decision, docs, glance, compact=True))
            more = [o for o in decision.options if o.tier not in glance]
            if more:
                with st.expander(f"More options ({len(more)}): phase 1/2, no derivable tier, other reviews"):
                    st.markdown(options_markdown(decision, docs, [o.tier for o in more], compact=True))
        if decision.avoid:
            st.markdown(":material/block: **Not for this patient**")
            st.markdown(avoid_markdown(decision, docs, compact=True))
        modifiers = modifiers_markdown(decision)
        if modifiers:
            st.markdown(":material/tune: **Modifiers**")
            st.markdown(modifiers)
        if decision.updates:
            with st.expander(f"What changed between the sources ({len(decision.updates)})",
                             icon=":material/history:"):
                st.markdown(updates_markdown(decision, docs))
        with st.expander("Decision trace", icon=":material/account_tree:"):
            st.markdown(trace_markdown(decision))
