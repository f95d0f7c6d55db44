"""The dev vignettes meet the issue's targets (hidden sets of the same format are run too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.vocabulary import load_vocabulary
from evals.vignettes import evaluate_vignettes, normalize_label

DEV = Path(__file__).resolve().parents[2] / "evals" / "data" / "vignettes_dev.jsonl"
# 280 cases written by helpers from the spec alone, never from this code, 40 per set: b* and c* (plain
# shorthand), d* (EHR pastes, tables, dictation, mixed languages), e* (letters, handovers, US shorthand, dates
# written every way), f* (line counting, refractoriness nuances, relapse type), g* (quick chats, listed
# histories, organ function, rarer branches), k* (medication lists, plans, quoted labels, lab series around
# the history). Measured blind, before any fix, branch accuracy was 0.675 / 0.800 / 0.575 / 0.875 / 0.600 /
# 0.875 / 0.750 with 11 / 7 / 10 / 4 / 34 / 6 / 0 avoid violations;
# the misreads they exposed were fixed, and the rest are the spec's open calls (the 60-day to 6-month
# lenalidomide window) or histories the reader does not yet follow.
EXTRA = DEV.with_name("vignettes_extra.jsonl")


def test_dev_vignettes_meet_targets():
    result = evaluate_vignettes(DEV)
    assert result["n_items"] == 45
    assert result["branch_accuracy"] >= 0.95
    assert result["avoid_violations"] == 0
    assert result["preferred_recall"] >= 0.85
    assert result["fact_accuracy"] >= 0.90


def test_extra_vignettes_offer_nothing_to_avoid():
    result = evaluate_vignettes(EXTRA)
    assert result["n_items"] == 280
    assert result["avoid_violations"] == 0
    assert result["branch_accuracy"] >= 0.9
    assert result["preferred_recall"] >= 0.9


@pytest.mark.parametrize(
    ("label", "code"),
    [
        pytest.param("IsaKd", "Isa-Kd", id="spelling"),
        pytest.param("Ven-Vd (off-label)", "Ven-Vd", id="parenthesis"),
        pytest.param("salvage ASCT after reinduction", "Salvage-ASCT", id="prefix"),
        pytest.param("observation: repeat paraprotein", "Observation", id="colon"),
        pytest.param("thalidomide-based regimens", None, id="no-regimen"),
    ],
)
def test_normalize_label(label, code):
    assert normalize_label(label, load_vocabulary()) == code


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param('{"id": "x", "text": "t"\n', "not valid JSON", id="bad-json"),
        pytest.param('{"id": "x"}\n', "expected an object", id="missing-fields"),
    ],
)
def test_evaluate_vignettes_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"bad.jsonl:1: {message}"):
        evaluate_vignettes(path)


def test_evaluate_vignettes_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        evaluate_vignettes(tmp_path / "none.jsonl")
