"""The Streamlit chat page, one module per part of the screen.

``app.py`` composes these parts. Heavy, shared, read-only objects (model, index, rules) come from
``resources`` (``st.cache_resource``); everything about a patient or a conversation lives only in
``st.session_state`` (see ``state``), so two browser sessions never see each other's patient.
"""
