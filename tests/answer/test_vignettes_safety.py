"""Every dev vignette, answered through ``ask --patient`` and as the question itself: the expected branch, no
expected-avoid regimen ever presented as an option, and any evidence sentence naming one carries the "not
for this patient" label."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main
from assistant.settings import PROJECT_ROOT


def _load(name: str) -> list[dict]:
    path = PROJECT_ROOT / "evals" / "data" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


VIGNETTES = _load("vignettes_dev.jsonl")
# Written blind from the spec (see tests/rules/test_rules_vignettes.py); a few branch labels are open calls,
# so only the safety property is asserted here.
EXTRA_VIGNETTES = _load("vignettes_extra.jsonl")


ASKED_WITH_PATIENT = ["What are the options for this patient?", "--patient"]  # the case as --patient text
ASKED_AS_QUESTION: list[str] = []  # the case itself as the question: `ask "<vignette text>"`


@pytest.mark.parametrize("asked", [pytest.param(ASKED_WITH_PATIENT, id="patient"),
                                   pytest.param(ASKED_AS_QUESTION, id="question")])
@pytest.mark.parametrize("vignette", [pytest.param(v, id=v["id"]) for v in VIGNETTES])
def test_vignette_answer_never_offers_expected_avoid(services, monkeypatch, capsys, vignette, asked) -> None:
    """Either way the case is given, the rule layer decides the expected branch and no expected-avoid
    regimen is offered."""
    monkeypatch.setattr("assistant.cli.ask._load_services", lambda: services)
    assert main(["ask", *asked, vignette["text"], "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["branch"] == vignette["expected"]["branch"], out["answer"][:300]
    vocabulary = services.vocabulary
    avoid = {vocabulary.normalize_regimen(code) or code for code in vignette["expected"]["avoid"]}
    for sentence in out["sentences"]:
        named = {m.id for m in vocabulary.find_regimens(sentence["text"])} & avoid
        if sentence["role"] == "option":
            assert not named, sentence["text"]
        if sentence["role"] == "point" and named:
            labels = [out["citations"][n - 1]["label"] or "" for n in sentence["citations"]]
            assert labels and all(label.startswith("not for this patient") for label in labels), sentence[
                "text"
            ]


@pytest.mark.parametrize("asked", [pytest.param(ASKED_WITH_PATIENT, id="patient"),
                                   pytest.param(ASKED_AS_QUESTION, id="question")])
@pytest.mark.parametrize("vignette", [pytest.param(v, id=v["id"]) for v in EXTRA_VIGNETTES])
def test_extra_vignette_answer_never_offers_expected_avoid(services, monkeypatch, capsys, vignette, asked):
    """No option line offers a regimen the case's expected-avoid list names (an option's source quote may
    name its comparator, "Kd ... versus Vd": only the regimen the line offers counts)."""
    monkeypatch.setattr("assistant.cli.ask._load_services", lambda: services)
    assert main(["ask", *asked, vignette["text"], "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    vocabulary = services.vocabulary
    avoid = {vocabulary.normalize_regimen(code) or code for code in vignette["expected"]["avoid"]}
    for sentence in out["sentences"]:
        if sentence["role"] == "option":
            offered = sentence["text"].split(" — ")[0].split(". (also")[0]
            assert not {m.id for m in vocabulary.find_regimens(offered)} & avoid, sentence["text"]
