"""Sidebar: the facts that decide the branch, parsed from the clinician's messages and editable by hand.

Each parsed fact shows the words it came from ("refractory ← 'progressing on R maintenance'") so a
misreading is visible and can be corrected; a hand edit always wins over parsing.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
import streamlit as st
from pydantic import ValidationError

from assistant.rules.profile import PatientProfile
from assistant.ui.state import WIDGET_PREFIX, ChatState, get_state, reset_patient
from assistant.ui.text import escape_markdown
from assistant.ui.words import NOT_STATED, display_config, value_words


@dataclass(frozen=True)
class FieldSpec:
    """How one profile field is shown: a choice among values, or a number."""

    name: str
    label: str
    group: Literal["branch", "modifier"]
    options: tuple[Any, ...] = ()  # empty for numbers
    integer: bool = True
    minimum: float | None = None
    maximum: float | None = None

    @property
    def key(self) -> str:
        return f"{WIDGET_PREFIX}pf_{self.name}"


@lru_cache(maxsize=1)
def field_specs() -> tuple[FieldSpec, ...]:
    """Widget specs derived from the PatientProfile types, in the order of display.yaml."""
    specs = []
    for name, shown in display_config()["fields"].items():
        info = PatientProfile.model_fields[name]  # KeyError here = the YAML names a field that is gone
        optional = get_origin(info.annotation) in (Union, types.UnionType)
        args = [a for a in get_args(info.annotation) if a is not type(None)] if optional else [
            info.annotation]
        if get_origin(args[0]) is Literal:
            options = (None, *get_args(args[0])) if optional else get_args(args[0])
            specs.append(FieldSpec(name, shown["label"], shown["group"], options=tuple(options)))
        elif args[0] is bool:
            specs.append(FieldSpec(name, shown["label"], shown["group"], options=(None, True, False)))
        else:
            bounds = {type(m): m for m in info.metadata}
            ge, le = bounds.get(annotated_types.Ge), bounds.get(annotated_types.Le)
            specs.append(FieldSpec(name, shown["label"], shown["group"], integer=args[0] is int,
                                   minimum=ge.ge if ge else None, maximum=le.le if le else None))
    return tuple(specs)


def is_stated(value: Any) -> bool:
    return value is not None and value != "unknown"


def parsed_from(state: ChatState) -> dict[str, list[str]]:
    """Field -> Markdown lines "value ← “…words around the fact…”" for the facts behind the profile.

    A field read several times ("VRd" = exposed, then "PD on R" = refractory) shows the readings that
    agree with the value in use, or else the last one.
    """
    if state.extraction is None:
        return {}
    text = state.patient_text or ""
    by_field: dict[str, list] = {}
    for fact in state.extraction.facts:
        by_field.setdefault(fact.field, []).append(fact)
    out: dict[str, list[str]] = {}
    for name, facts in by_field.items():
        current = getattr(state.extraction.profile, name, None)
        chosen = [f for f in facts if f.value == current] or facts[-1:]
        lines = [f"{escape_markdown(value_words(f.value))} ← “{_in_context(text, f.start, f.end, f.surface)}”"
                 for f in chosen]
        out[name] = list(dict.fromkeys(lines))[-1:]
    return out


def _in_context(text: str, start: int, end: int, surface: str, reach: int = 24) -> str:
    """The matched words in bold with a few words either side, as the clinician typed them."""
    if not (0 <= start < end <= len(text)) or text[start:end] != surface:
        return f"**{escape_markdown(surface)}**"
    left = text[max(0, start - reach):start]
    right = text[end:end + reach]
    if start - reach > 0 and " " in left:
        left = "…" + left.split(" ", 1)[1]
    if end + reach < len(text) and " " in right:
        right = right.rsplit(" ", 1)[0] + "…"
    return f"{escape_markdown(left)}**{escape_markdown(surface)}**{escape_markdown(right)}"


def _on_edit(spec: FieldSpec) -> None:
    """Keep a hand edit only if the profile accepts it; an impossible value (CrCl -5, age 300) is refused
    with the reason, and the field keeps its previous value, so the branch never rests on a typo."""
    state = get_state()
    value = st.session_state[spec.key]
    problem = edit_problem(state, spec.name, value)
    if problem:
        state.refused_edits[spec.name] = problem
        return
    state.refused_edits.pop(spec.name, None)
    state.manual[spec.name] = value


def edit_problem(state: ChatState, name: str, value: Any) -> str | None:
    """Why the profile would refuse ``value`` for field ``name``, in the validator's words, else None."""
    try:
        PatientProfile.model_validate({**state.profile().model_dump(), name: value})
    except ValidationError as exc:
        message = str(exc.errors()[0].get("msg", "invalid value")).removeprefix("Value error, ")
        return f"Not used: {message}"
    return None


def _widget(spec: FieldSpec, value: Any) -> None:
    # Streamlit lets us seed a keyed widget through session_state before it is drawn; the widget then
    # shows the parsed (or hand-edited) value without a `value=` argument fighting it.
    if st.session_state.get(spec.key, object()) != value:
        st.session_state[spec.key] = value
    if spec.options:
        st.selectbox(spec.label, options=spec.options, format_func=value_words, key=spec.key,
                     on_change=_on_edit, args=(spec,))
    else:
        # No min_value/max_value: Streamlit resets an out-of-range entry to the minimum and reports it
        # as an edit, so "CrCl -5" would become a hand-set CrCl of 0. The profile's own validation
        # (edit_problem) refuses it instead, with the reason.
        st.number_input(
            spec.label, key=spec.key, on_change=_on_edit, args=(spec,), placeholder=NOT_STATED,
            step=1 if spec.integer else 1.0, help=range_help(spec),
        )


def range_help(spec: FieldSpec) -> str | None:
    """The accepted range, said beside the field: the input refuses anything outside it (CrCl -5,
    age 300), which would otherwise look like a value that was silently ignored."""
    low, high = (None if b is None else f"{b:g}" for b in (spec.minimum, spec.maximum))
    if low is None and high is None:
        return None
    if high is None:
        return f"Accepted values: {low} or more."
    if low is None:
        return f"Accepted values: up to {high}."
    return f"Accepted values: {low} to {high}."


def _caption(spec: FieldSpec, state: ChatState, sources: dict[str, list[str]]) -> None:
    refused = state.refused_edits.get(spec.name)
    if refused:
        st.error(escape_markdown(refused), icon=":material/error:")
    if spec.name in state.manual:
        st.caption(":orange-badge[set by hand]")
    for line in sources.get(spec.name, ()):
        st.caption(f"parsed from your message: {line}")


def render_patient_panel(state: ChatState, on_reset: Callable[[], None] = reset_patient) -> None:
    profile = state.profile()
    sources = parsed_from(state)
    with st.sidebar:
        st.subheader("Patient", anchor=False)
        st.button("New patient", on_click=on_reset, icon=":material/person_add:", key="rrmm_new_patient",
                  help="Forget this patient and the conversation", width="stretch")
        if not state.has_patient:
            st.caption("Describe the patient in the chat. The facts that decide the guideline branch "
                       "appear here; correct any of them by hand.")
        implausible = state.extraction.implausible if state.extraction else ()
        if implausible:  # read from the message but impossible: shown, never used for the branch
            st.warning("Please check these values (not used for the decision):\n\n"
                       + "\n".join(f"- {escape_markdown(fact.message)}" for fact in implausible),
                       icon=":material/rule:")
        specs = field_specs()
        stated = [s for s in specs if is_stated(getattr(profile, s.name)) or s.name in state.manual
                  or s.name in state.refused_edits]
        for spec in stated:
            _widget(spec, getattr(profile, spec.name))
            _caption(spec, state, sources)
        for group, title in (("branch", "Facts that decide the branch"), ("modifier", "Modifiers")):
            rest = [s for s in specs if s.group == group and s not in stated]
            if not rest:
                continue
            with st.expander(f"{title}: not stated ({len(rest)})"):
                for spec in rest:
                    _widget(spec, getattr(profile, spec.name))
        if state.manual and st.button("Undo hand edits", icon=":material/undo:", key="rrmm_undo_edits"):
            for spec in specs:
                st.session_state.pop(spec.key, None)
            state.manual.clear()
            state.refused_edits.clear()
            st.rerun()
