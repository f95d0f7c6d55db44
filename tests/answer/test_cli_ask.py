"""``python -m assistant ask``: JSON shape, batch mode, bad input; the model and index are the session's."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main


@pytest.fixture
def cli(services, monkeypatch):
    monkeypatch.setattr("assistant.cli.ask._load_services", lambda: services)
    return main


def test_ask_json_has_documented_keys(cli, capsys) -> None:
    assert cli(["ask", "ENDEAVOR: what were the PFS and OS with Kd versus Vd?", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("answer", "sentences", "citations", "abstained", "branch"):
        assert key in out
    assert out["abstained"] is False and out["citations"]
    citation = out["citations"][0]
    for key in ("n", "doc", "title", "year", "section", "line_start", "line_end", "text", "span"):
        assert key in citation
    assert all(set(s) >= {"text", "citations"} for s in out["sentences"])


def test_ask_human_output_lists_sources_with_year(cli, capsys) -> None:
    assert cli(["ask", "Mechanism of selinexor?"]) == 0
    out = capsys.readouterr().out
    assert "Sources:" in out and "lines" in out
    assert any(label in out for label in ("(2021)", "(2025)", "(2020)", "(about 2019)", "(about 2020-2021)"))


def test_ask_batch_prints_one_json_line_per_question(cli, capsys, tmp_path) -> None:
    batch = tmp_path / "questions.txt"
    batch.write_text("Mechanism of selinexor?\n\nWhat is the best induction for newly diagnosed myeloma?\n")
    assert cli(["ask", "--batch", str(batch)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["status"] for line in lines] == ["answered", "out_of_scope"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["ask", ""], "the question is empty", id="empty"),
        pytest.param(["ask", "x" * 20_001], "limit is 20000", id="too-long"),
        pytest.param(["ask", "--batch", "/nonexistent/q.txt"], "batch file not found", id="missing-batch"),
        pytest.param(["ask", "q?", "--batch", "/nonexistent/q.txt"], "not both", id="question-and-batch"),
    ],
)
def test_ask_bad_input_is_one_line_exit_2(cli, capsys, argv: list[str], message: str) -> None:
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_ask_langchain_backend_rewrites_and_verifies(services, monkeypatch, capsys) -> None:
    import dataclasses

    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    configured = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"answer_backend": "langchain"})
    )
    reply = "Selinexor blocks exportin 1 [1][12]. It doubles survival to 99 months [1]."
    model = FakeListChatModel(responses=[reply])
    monkeypatch.setattr("assistant.cli.ask._load_services", lambda: configured)
    monkeypatch.setattr("assistant.answer.generative.load_chat_model", lambda settings: model)
    assert main(["ask", "Mechanism of selinexor?", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "[12]" not in out["answer"] and "99 months" not in out["answer"]
    assert "exportin 1" in out["answer"]


def test_ask_langchain_backend_guards_with_the_patients_exclusions(services, monkeypatch, capsys) -> None:
    """The CLI's rewrite gets the rule layer's guard (refractory drugs included), as the Runnable's does."""
    import dataclasses

    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.answer import generative

    configured = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"answer_backend": "langchain"})
    )
    guards = []

    def recording_rewrite(answer, model, config=None, guard=None):
        guards.append(guard)
        return answer

    monkeypatch.setattr("assistant.cli.ask._load_services", lambda: configured)
    monkeypatch.setattr(generative, "load_chat_model", lambda settings: FakeListChatModel(responses=["x"]))
    monkeypatch.setattr(generative, "rewrite", recording_rewrite)
    patient = "62F, VRd -> ASCT -> R maintenance, progressed on lenalidomide maintenance, dara naive"
    assert main(["ask", "What are the options?", "--patient", patient, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["branch"] == "first_relapse_len_refractory"
    assert guards and guards[0] is not None and "lenalidomide" in guards[0].refractory_drugs
