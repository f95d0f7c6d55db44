"""``python -m evals retrieval`` on a 10-item sample: the JSON has every system and metric."""

from __future__ import annotations

import json

import pytest

from assistant.settings import PROJECT_ROOT
from evals.__main__ import main as evals_main
from evals.baselines import RetrievedText
from evals.retrieval import QAItem, found_rank, load_qa

SYSTEMS = ("pipeline", "dense", "bm25", "naive_langchain")
METRICS = ("recall@1", "recall@5", "recall@10", "mrr", "latency_ms", "n_items", "by_type")


@pytest.fixture
def qa_sample(tmp_path):
    lines = (PROJECT_ROOT / "evals" / "data" / "qa_dev.jsonl").read_text(encoding="utf-8").splitlines()
    answerable = [line for line in lines if json.loads(line)["evidence"]][:10]
    unanswerable = [line for line in lines if not json.loads(line)["evidence"]][:1]
    path = tmp_path / "sample.jsonl"
    path.write_text("\n".join(answerable + unanswerable) + "\n", encoding="utf-8")
    return path


def test_retrieval_eval_json_has_every_system_and_metric(built_index, qa_sample, tmp_path, monkeypatch,
                                                         capsys):
    monkeypatch.setenv("RRMM_INDEX_DIR", str(built_index.index_dir))
    report = tmp_path / "retrieval.md"
    assert evals_main(["retrieval", "--qa", str(qa_sample), "--json", "--markdown", str(report)]) == 0
    results = json.loads(capsys.readouterr().out.split("\nwrote ")[0])
    assert set(results) == set(SYSTEMS)
    for system in SYSTEMS:
        assert all(metric in results[system] for metric in METRICS)
        assert results[system]["n_items"] == 10  # the unanswerable item is skipped
        scores = results[system]
        assert 0.0 <= scores["recall@1"] <= scores["recall@5"] <= scores["recall@10"] <= 1.0
    assert results["pipeline"]["recall@10"] >= 0.4
    assert "| pipeline (hybrid + expansion) |" in report.read_text(encoding="utf-8")


def test_found_rank_needs_every_quote_covered():
    item = QAItem(id="x", question="q", evidence=[
        {"doc": "d", "quote": "alpha beta gamma delta epsilon"},
        {"doc": "d", "quote": "zeta eta theta iota kappa"},
    ])
    hits = [
        RetrievedText("d", "alpha beta gamma delta"),          # 4/5 = 80%: covers quote 1
        RetrievedText("other", "zeta eta theta iota kappa"),  # right words, wrong document
        RetrievedText("d", "zeta eta theta iota kappa"),
    ]
    assert found_rank(item, hits) == 3
    assert found_rank(item, hits[:2]) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param('{"id": "a", "question": "q"}\nnot json\n', "bad.jsonl:2", id="not-json"),
        pytest.param('{"id": "a"}\n', r"bad.jsonl:1: not a QA item \(question: Field", id="no-question"),
        pytest.param("\n", "no QA items", id="empty"),
    ],
)
def test_load_qa_bad_file_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_qa(path)


def test_retrieval_eval_cli_missing_file_is_clear(capsys):
    assert evals_main(["retrieval", "--qa", "/no/such/qa.jsonl"]) == 2
    assert "QA file not found" in capsys.readouterr().err
