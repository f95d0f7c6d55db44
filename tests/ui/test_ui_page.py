"""The chat page through streamlit.testing.v1.AppTest, on the session's built test index."""

from __future__ import annotations

import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest
from ui_browser import APP_FILE, APP_TIMEOUT_S, settings_env

from assistant.settings import get_settings
from assistant.ui.export import conversation_markdown
from assistant.ui.state import STATE_KEY, ChatState
from ingest.corpus import Corpus

CASE = (
    "62F IgA lambda. VRd x4 -> auto SCT -> Revlimid maint 10mg. Now clear PD on R maint: M-spike 0.1 -> "
    "1.6 g/dL, new rib lytic lesion, Hb 10.2. Dara naive, no PN, CrCl ~85. Relapsed ~2 yrs post ASCT. "
    "Next line?"
)
LONG_MESSAGE = ("PD on lenalidomide maintenance. " * 700)[:20_000]
FACTUAL = "What did the CANDOR trial show for progression-free survival?"
UNANSWERABLE = (
    "What antiviral prophylaxis against herpes zoster is recommended with daratumumab- or "
    "bortezomib-based salvage regimens?"
)


def plain(markdown: str) -> str:
    """Screen Markdown without escapes, for readable assertions."""
    return re.sub(r"\\(.)", r"\1", markdown)


def send(at: AppTest, message: str) -> AppTest:
    at.chat_input[0].set_value(message).run()
    assert not at.exception, at.exception
    return at


def session(at: AppTest) -> ChatState:
    return at.session_state[STATE_KEY]


def last_reply(at: AppTest):
    return at.chat_message[-1]


def test_page_patient_message_fills_panel_and_shows_branch_card(app: AppTest) -> None:
    send(app, CASE)
    assert app.selectbox(key="rrmm_w_pf_lenalidomide").value == "refractory"
    assert app.number_input(key="rrmm_w_pf_prior_lines").value == 1
    captions = [plain(c.value) for c in app.sidebar.caption]
    assert any(c.startswith("parsed from your message: refractory ←") and "**R**" in c for c in captions)
    card = [plain(m.value) for m in app.main.markdown]
    assert "#### First relapse, lenalidomide-refractory" in card
    options = next(m for m in card if "IMWG primary or secondary option" in m)
    assert "**PVd**" in options and "**DKd**" in options
    excluded = next(m for m in card if m.startswith("- **KRd"))  # the card's excluded list, not the reply
    assert "suboptimal" in excluded
    assert "**KRd**" not in options  # never offered to a lenalidomide-refractory patient


def test_page_factual_question_shows_cited_sentences(app: AppTest) -> None:
    send(app, FACTUAL)
    answer = session(app).turns[-1].answer
    assert answer is not None and answer.status == "answered"
    body = "\n".join(m.value for m in last_reply(app).markdown)
    assert ":blue-badge[1]" in body
    labels = [plain(e.label) for e in last_reply(app).expander]
    first = next(label for label in labels if label.startswith("[1] "))
    assert answer.citations[0].year_label in first and "lines" in first


def test_page_unanswerable_question_shows_abstention(app: AppTest) -> None:
    send(app, UNANSWERABLE)
    warnings = [plain(w.value) for w in last_reply(app).warning]
    assert any(w.startswith("**Not found in the five sources.**") for w in warnings)
    assert not any(":blue-badge[" in m.value for m in last_reply(app).markdown)


def test_page_follow_up_uses_previous_turn(app: AppTest) -> None:
    send(app, FACTUAL)
    send(app, "And IKEMA?")
    answer = session(app).turns[-1].answer
    assert answer is not None and answer.turn_kind == "follow_up"
    assert "IKEMA" in answer.resolved_question and "progression-free survival" in answer.resolved_question
    assert any(plain(c.value).startswith("Read as:") for c in last_reply(app).caption)


def test_page_new_patient_clears_everything(app: AppTest) -> None:
    send(app, CASE)
    send(app, FACTUAL)
    app.button(key="rrmm_new_patient").click().run()
    assert not app.exception
    state = session(app)
    assert state.turns == [] and state.patient_text is None and state.decision is None and not state.manual
    assert app.selectbox(key="rrmm_w_pf_lenalidomide").value == "unknown"
    assert len(app.chat_message) == 1  # the welcome note only
    assert not any(
        "lenalidomide-refractory" in plain(m.value) and m.value.startswith("###") for m in app.main.markdown
    )


def test_page_literature_question_beside_a_patient_gets_the_literature(app: AppTest) -> None:
    send(app, CASE)
    send(app, FACTUAL)
    answer = session(app).turns[-1].answer
    assert answer is not None and answer.turn_kind == "factual" and answer.status == "answered"
    assert any("CANDOR" in c.text for c in answer.citations)
    assert session(app).decision.branch == "first_relapse_len_refractory"  # the patient stays


def test_page_later_message_updates_a_measurement(app: AppTest) -> None:
    send(app, CASE)
    assert app.number_input(key="rrmm_w_pf_crcl_ml_min").value == 85
    send(app, "Update from today: CrCl 25 ml/min.")
    assert app.number_input(key="rrmm_w_pf_crcl_ml_min").value == 25
    assert session(app).profile().crcl_ml_min == 25


def test_page_hand_edit_overrides_parsed_fact(app: AppTest) -> None:
    send(app, CASE)
    app.selectbox(key="rrmm_w_pf_lenalidomide").set_value("exposed_not_refractory").run()
    assert not app.exception
    assert session(app).decision.branch == "first_relapse_not_len_refractory"
    assert any("set by hand" in c.value for c in app.sidebar.caption)


def test_export_contains_facts_branch_and_passages(app: AppTest) -> None:
    send(app, FACTUAL)
    send(app, CASE)
    state = session(app)
    docs = Corpus(get_settings().corpus_dir).docs
    record = conversation_markdown(state, docs)
    assert "| Lenalidomide | refractory |" in record
    assert "**First relapse, lenalidomide-refractory** (`first_relapse_len_refractory`)" in record
    assert "### Decision trace" in record and "| lines | number of previous lines known |" in record
    citation = state.turns[0].answer.citations[0]
    assert f"[{citation.n}] {citation.title}** ({citation.year_label})" in record
    assert f"> {citation.text.splitlines()[0]}" in record
    assert "IMWG recommendations (Moreau et al.), 2021" in record  # the disclaimer names the sources
    assert app.sidebar.get("download_button"), "the sidebar offers the record for download"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param("", "The message is empty", id="empty"),
        pytest.param("   \n ", "The message is empty", id="blank"),
        pytest.param(LONG_MESSAGE, "The message is too long (20,000 characters", id="20000-characters"),
    ],
)
def test_page_unusable_input_gets_clear_message(app: AppTest, message: str, expected: str) -> None:
    send(app, message)
    warnings = [plain(w.value) for w in last_reply(app).warning]
    assert any(expected in w for w in warnings), warnings
    assert session(app).turns[-1].answer is None and session(app).patient_text is None


def test_page_lookup_lists_ranked_passages_with_year_labels(app: AppTest) -> None:
    app.segmented_control(key="rrmm_mode").set_value("Literature lookup").run()
    app.text_input(key="rrmm_w_lookup_query").input("carfilzomib daratumumab CANDOR")
    app.multiselect(key="rrmm_w_lookup_docs").set_value(["imwg-2021"])
    app.form_submit_button[0].click().run()
    assert not app.exception, app.exception
    labels = [plain(e.label) for e in app.main.expander]
    assert labels and labels[0].startswith("1. IMWG recommendations (Moreau et al.) · 2021")
    assert all("· 2021 ·" in label for label in labels)  # the document filter holds


def test_page_incompatible_index_offers_rebuild_not_traceback(
    built_index, embedder, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index built with another model: a plain message and a rebuild button, never a traceback."""
    from ingest.embedding import ProjectEmbeddingFunction
    from ingest.index import client_for

    damaged = built_index.model_copy(update={"index_dir": tmp_path / "index"})
    shutil.copytree(built_index.index_dir, damaged.index_dir)
    collection = client_for(damaged.index_dir).get_collection(
        damaged.collection, embedding_function=ProjectEmbeddingFunction(embedder)
    )
    collection.modify(metadata={**(collection.metadata or {}), "embedding_dimension": 7})
    for name, value in settings_env(damaged).items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(APP_FILE), default_timeout=APP_TIMEOUT_S).run()
    assert not at.exception
    assert any("The search index cannot be used" in e.value for e in at.error)
    assert at.button(key="rrmm_rebuild_index").label == "Rebuild index"
    assert not at.chat_input  # the page stops before the chat


def test_bad_environment_setting_stops_the_page_with_a_message(monkeypatch) -> None:
    """A bad RRMM_* value: the page names the variable and stops, no traceback."""
    monkeypatch.setenv("RRMM_EMBEDDING_DTYPE", "float16")
    at = AppTest.from_file(str(APP_FILE), default_timeout=APP_TIMEOUT_S).run()
    assert not at.exception
    assert any("RRMM_EMBEDDING_DTYPE" in e.value for e in at.error)
    assert not at.chat_input
