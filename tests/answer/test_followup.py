"""Follow-up resolution: a fragment becomes a full question from the previous turn's entities."""

from __future__ import annotations

import pytest

from assistant.answer.followup import Conversation, Turn, resolve_follow_up
from assistant.answer.models import Answer
from assistant.vocabulary import load_vocabulary

PREVIOUS = "CANDOR: what was the DKd vs Kd PFS hazard ratio?"


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        pytest.param(
            "and in len-refractory patients?",
            "CANDOR: what was the DKd vs Kd PFS hazard ratio — in len-refractory patients?",
            id="population",
        ),
        pytest.param("what about OS?", "CANDOR: what was the DKd vs Kd OS hazard ratio?", id="endpoint"),
        pytest.param("and for Isa-Kd?", "CANDOR: what was the Isa-Kd vs Kd PFS hazard ratio?", id="regimen"),
        pytest.param(
            "And IKEMA?", "IKEMA: what was the Isa-Kd vs Kd PFS hazard ratio?", id="trial-swaps-arm"
        ),
        pytest.param(
            "What about OS and ORR?",
            "CANDOR: what was the DKd vs Kd OS and ORR hazard ratio?",
            id="two-endpoints",
        ),
    ],
)
def test_resolve_follow_up_table(follow_up: str, expected: str) -> None:
    previous = Turn(question=PREVIOUS, resolved_question=PREVIOUS, kind="factual")
    assert resolve_follow_up(follow_up, previous, load_vocabulary()) == expected


def test_conversation_with_answer_records_entities_and_patient() -> None:
    answer = Answer(
        question=PREVIOUS, resolved_question=PREVIOUS, turn_kind="factual", status="answered", text=""
    )
    state = Conversation().with_answer(answer, load_vocabulary(), patient_text="62F, PD on len maintenance")
    assert state.last is not None
    assert state.last.trials == ("CANDOR",)
    assert set(state.last.regimens) == {"DKd", "Kd"}
    assert state.patient_text == "62F, PD on len maintenance"
    assert Conversation().last is None
