"""The chat page (`make run`). Composition only: each part of the screen lives in assistant/ui/."""

from __future__ import annotations

import streamlit as st

from assistant.ui import branch_card, chat, export, lookup, patient_panel, resources
from assistant.ui.disclaimer import render_disclaimer
from assistant.ui.state import get_state

st.set_page_config(page_title="RRMM decision support", page_icon=":material/biotech:", layout="wide")
# Less empty space above the title, so the branch card and the answer start higher on a laptop screen.
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}</style>")

settings = resources.current_settings()
corpus = resources.load_corpus(settings)
st.markdown("#### Relapsed/refractory multiple myeloma · decision support")
render_disclaimer(corpus.docs.values())
services = resources.load_services(settings)
session = get_state()

mode = st.segmented_control(
    "Mode", ["Patient and questions", "Literature lookup"], default="Patient and questions", required=True,
    key="rrmm_mode", label_visibility="collapsed",
)
if mode == "Literature lookup":
    patient_panel.render_patient_panel(session)
    lookup.render_lookup(services)
else:
    message = st.chat_input(chat.PLACEHOLDER)
    if message is not None:
        with st.spinner("Reading the sources…"):
            chat.submit(message, session, services)
    chat.refresh_decision(session, services)
    patient_panel.render_patient_panel(session)
    conversation_col, card_col = st.columns([3, 2], gap="large")
    with card_col:
        branch_card.render_branch_card(session.decision, corpus.docs)
    with conversation_col:
        if session.turns:
            chat.render_history(session, services)
        else:
            chat.render_welcome()
export.render_export(session, corpus.docs)
resources.render_status(services)
