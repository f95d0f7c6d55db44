"""The page's pure parts: escaping, highlighting, patient-message detection, panel fields, export."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from assistant.answer.followup import Conversation
from assistant.answer.models import AnswerSentence
from assistant.rules import PatientProfile, decide, extract_facts
from assistant.settings import get_settings
from assistant.ui.answer_view import sentences_markdown
from assistant.ui.chat import is_patient_message
from assistant.ui.export import conversation_markdown
from assistant.ui.patient_panel import field_specs, parsed_from
from assistant.ui.state import MAX_MESSAGE_CHARS, ChatState, validate_message
from assistant.ui.text import escape_markdown, highlighted_html
from assistant.ui.words import display_config, value_words
from ingest.corpus import Corpus

CASE = (
    "62F IgA lambda. VRd x4 -> auto SCT -> Revlimid maint 10mg. Now clear PD on R maint: M-spike 0.1 -> "
    "1.6 g/dL, new rib lytic lesion, Hb 10.2. Dara naive, no PN, CrCl ~85. Relapsed ~2 yrs post ASCT."
)


def patient_state(text: str = CASE) -> ChatState:
    state = ChatState(conversation=Conversation(patient_text=text), extraction=extract_facts(text))
    state.decision = decide(state.profile())
    return state


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("HR 0.59 (95% CI 0.44–0.81); $p=0.0010$", id="latex-dollars"),
        pytest.param("t(11;14) and [ref 12] with *stars* and _under_", id="markdown-marks"),
        pytest.param(":red[alarm] :material/home: <b>bold</b> # heading", id="streamlit-directives-html"),
        pytest.param("1. not a list | not a table", id="list-and-table"),
    ],
)
def test_escape_markdown_leaves_no_active_markup(text: str) -> None:
    escaped = escape_markdown(text)
    assert re.sub(r"\\(.)", r"\1", escaped) == text
    assert not re.search(r"(?<!\\)[$*_\[\]<>:|#]", escaped)


def test_highlighted_html_escapes_passage_and_marks_span() -> None:
    text = "Before. <script>alert(1)</script> supported sentence. After."
    start = text.index("supported")
    html = highlighted_html(text, (start, start + len("supported sentence.")))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>supported sentence.</mark>" in html


@pytest.mark.parametrize("span", [pytest.param((5, 500), id="past-end"), pytest.param((9, 3), id="reversed")])
def test_highlighted_html_ignores_span_outside_text(span: tuple[int, int]) -> None:
    assert "<mark>" not in highlighted_html("short passage", span)


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param(" \n\t", "empty", id="whitespace"),
        pytest.param("x" * (MAX_MESSAGE_CHARS + 1), "too long", id="over-limit"),
        pytest.param("x" * 20_000, "too long", id="20000"),
        pytest.param("What did CANDOR show?", None, id="ordinary"),
    ],
)
def test_validate_message_condition(message: str, problem: str | None) -> None:
    result = validate_message(message)
    assert (result is None) if problem is None else (problem in result)


@pytest.mark.parametrize(
    ("message", "known_patient", "expected"),
    [
        pytest.param(CASE, False, True, id="terse-case"),
        pytest.param("What did the CANDOR trial show for progression-free survival?", False, False,
                     id="trial-question"),
        pytest.param("What about triple-class refractory patients?", True, False, id="population-question"),
        pytest.param("And for DKd?", True, False, id="follow-up-naming-regimen"),
        pytest.param("Would DKd suit her?", True, False, id="question-naming-regimen"),
        pytest.param("Now CrCl 25.", True, True, id="new-fact-statement"),
    ],
)
def test_is_patient_message_condition(message: str, known_patient: bool, expected: bool) -> None:
    state = patient_state("67M, VRd -> ASCT -> R maint, PD on R, dara-naive") if known_patient else (
        ChatState())
    assert is_patient_message(message, state) is expected


def test_field_specs_cover_yaml_fields_with_profile_types() -> None:
    names = [spec.name for spec in field_specs()]
    assert names == list(display_config()["fields"])
    assert set(names) <= set(PatientProfile.model_fields)
    lenalidomide = next(s for s in field_specs() if s.name == "lenalidomide")
    assert "refractory" in lenalidomide.options and "unknown" in lenalidomide.options
    prior_lines = next(s for s in field_specs() if s.name == "prior_lines")
    assert prior_lines.options == () and prior_lines.integer and prior_lines.minimum == 0


def test_parsed_from_shows_the_words_behind_a_fact() -> None:
    lines = parsed_from(patient_state())["lenalidomide"]
    assert any(line.startswith("refractory ← “") and "on **R** maint" in line for line in lines)


def test_value_words_plain_language() -> None:
    assert value_words("exposed_not_refractory") == "exposed, not refractory"
    assert value_words(None) == "not stated" and value_words(True) == "yes" and value_words(85.0) == "85"


def test_sentences_markdown_lists_options_and_keeps_markers() -> None:
    md = sentences_markdown([
        AnswerSentence(text="Switch class.", citations=(1,), role="lead"),
        AnswerSentence(text="PVd (phase 3).", citations=(2,), role="option"),
        AnswerSentence(text="DKd (phase 3).", citations=(2, 3), role="option"),
    ])
    assert md.startswith("Switch class\\. :blue-badge[1]")
    assert "\n\n- PVd \\(phase 3\\)\\. :blue-badge[2]\n- DKd" in md and ":blue-badge[3]" in md


def test_conversation_markdown_without_turns_has_facts_branch_and_trace() -> None:
    state = patient_state()
    state.manual["crcl_ml_min"] = 40.0
    docs = Corpus(get_settings().corpus_dir).docs
    record = conversation_markdown(state, docs, now=datetime(2025, 1, 2, 3, 4, tzinfo=UTC))
    assert "Exported 2025-01-02 03:04 UTC." in record
    assert re.search(r"\| Lenalidomide \| refractory \| refractory ← “[^|]*on R maint", record)
    assert "| Creatinine clearance (mL/min) | 40 | set by hand |" in record
    assert "**First relapse, lenalidomide-refractory** (`first_relapse_len_refractory`)" in record
    assert "- **KRd, DRd, IRd, Elo-Rd, Rd**:" in record  # exclusions grouped by reason
    assert "### Decision trace" in record and "\\" not in record.split("### Decision trace")[0].split(
        "## Guideline branch")[1].replace("\\|", "")
    assert ":gray[" not in record and ":orange-badge[" not in record
    assert "IMWG recommendations (Moreau et al.), 2021, line 84" in record
