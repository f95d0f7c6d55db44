"""The combined suite: a smoke run produces a complete, well-formed report; bad input is one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from evals.__main__ import main as evals_main
from evals.qa import load_qa_items
from evals.report import SYSTEMS, TARGETS
from evals.suite import Hit, SuiteConfig, combine_sets, passages_answer, run_suite, spread_sample

QA_DEV = PROJECT_ROOT / "evals" / "data" / "qa_dev.jsonl"


@pytest.fixture(scope="module")
def smoke_run(built_index, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("eval-smoke")
    metrics = run_suite(SuiteConfig.for_smoke(out_dir=out, progress=False), built_index)
    return out, metrics


@pytest.mark.slow
def test_suite_smoke_writes_every_artifact(smoke_run):
    out, _ = smoke_run
    for name in ("report.md", "metrics.json", "metrics_by_system.png", "latency_vs_corpus_size.png",
                 "predictions_vignettes.jsonl"):
        assert (out / name).is_file(), name
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for system in SYSTEMS:
        assert (out / f"predictions_qa_{system}.jsonl").is_file()
    for system in ("pipeline", "bm25", "naive_langchain"):
        assert (out / f"predictions_retrieval_{system}.jsonl").is_file()


@pytest.mark.slow
def test_suite_smoke_metrics_json_is_complete(smoke_run):
    out, _ = smoke_run
    data = json.loads((out / "metrics.json").read_text())
    assert data["errors"] == {}, data["errors"]
    assert data["mode"] == "smoke"
    assert set(data["systems"]) == set(SYSTEMS)
    for system in SYSTEMS:
        assert 0 <= data["systems"][system]["retrieval"]["recall@5"] <= 1
        assert 0 <= data["systems"][system]["qa"]["key_fact_recall"] <= 1
    assert data["systems"]["pipeline"]["vignettes"]["branch_accuracy"] >= 0
    assert {row["label"] for row in data["targets"]} == {t.label for t in TARGETS}
    assert all(row["met"] in (True, False) for row in data["targets"]), "every target must be measured"
    assert "commit" in data["git"]
    assert data["machine"]["cores"] >= 1 and data["machine"]["python"].startswith("3.")
    assert data["inputs"]["QA"][0]["n_used"] == 8
    assert [p["factor"] for p in data["scaling"]["points"]] == [1, 2]
    small, large = data["scaling"]["points"]
    assert large["passages"] == 2 * small["passages"]
    assert data["benchmarks"]["cold_start"]["peak_rss_mb"] > 0
    assert set(data["ratios"]) == {"pipeline_vs_naive_langchain", "pipeline_vs_bm25"}


@pytest.mark.slow
def test_suite_smoke_predictions_are_one_json_object_per_item(smoke_run):
    out, _ = smoke_run
    lines = (out / "predictions_qa_pipeline.jsonl").read_text().splitlines()
    assert len(lines) == 8
    records = [json.loads(line) for line in lines]
    assert all({"id", "answer", "key_fact_recall"} <= set(r) for r in records)
    vignettes = [json.loads(line) for line in (out / "predictions_vignettes.jsonl").read_text().splitlines()]
    assert len(vignettes) == 8 and all("branch" in v and "expected_branch" in v for v in vignettes)


@pytest.mark.slow
def test_suite_smoke_report_lists_targets_and_systems(smoke_run):
    out, _ = smoke_run
    text = (out / "report.md").read_text()
    assert "## Targets" in text and "## Scaling with corpus size" in text
    for label in SYSTEMS.values():
        assert label in text
    assert text.count(" met |") + text.count("**not met**") >= len(TARGETS)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--qa", "no/such/file.jsonl"], "no/such/file.jsonl: file not found", id="missing-qa"),
        pytest.param(["--vignettes", "nope.jsonl"], "nope.jsonl: file not found", id="missing-vignettes"),
    ],
)
def test_suite_cli_missing_input_is_one_clear_line(argv, message, tmp_path, capsys):
    code = evals_main(["all", *argv, "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_suite_cli_malformed_qa_line_names_file_and_line(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.jsonl"
    good = '{"id": "x", "question": "q", "key_facts": [], "evidence": [], "type": "unanswerable"}'
    bad.write_text(good + "\n{not json\n")
    monkeypatch.setenv("RRMM_INDEX_DIR", str(tmp_path / "never-built"))
    code = evals_main(["all", "--qa", str(bad), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{bad}:2: not valid JSON" in err
    assert "Traceback" not in err


def test_combine_sets_rejects_duplicate_ids_across_sets(tmp_path):
    with pytest.raises(ValueError, match="also appears in"):
        combine_sets([QA_DEV, QA_DEV], "QA", load_qa_items, None, lambda i: i["type"], tmp_path / "x.jsonl")


def test_spread_sample_covers_every_group_before_repeating_one():
    items = [{"id": i, "type": t} for i, t in enumerate("aaaaabbbc")]
    picked = spread_sample(items, 4, lambda item: item["type"])
    assert sorted(item["type"] for item in picked) == ["a", "a", "b", "c"]
    assert [item["id"] for item in picked] == sorted(item["id"] for item in picked)  # original order kept


def test_passages_answer_cites_every_passage_and_scores_with_qa_metrics():
    from evals.qa import score_item

    quote = "at least seven different classes of approved agents"
    item = {"id": "t1", "question": "q?", "type": "factoid", "key_facts": ["seven"],
            "evidence": [{"doc": "imwg-2021", "quote": quote}]}
    hits = [Hit(doc="imwg-2021", text="There are at least seven different classes of approved agents."),
            Hit(doc="korean-2020", text="Unrelated text about something else.")]
    answer = passages_answer("q?", hits, {}, latency_ms=1.0)
    assert [c.n for c in answer.citations] == [1, 2]
    scored = score_item(item, answer)
    assert scored["key_fact_recall"] == 1.0
    assert scored["n_supported_citations"] == 1 and scored["n_citations"] == 2
    assert scored["abstained"] is False
