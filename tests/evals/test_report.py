"""The report writer: targets are marked met / not met correctly, ratios and files are well-formed."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from assistant.settings import PROJECT_ROOT
from evals.benchmarks import (
    growth_per_x4,
    percentile,
    replicate_corpus,
    run_process,
    split_inputs,
    summarize_ms,
)
from evals.report import (
    SYSTEMS,
    TARGETS,
    Target,
    evaluate_targets,
    render_markdown,
    system_ratios,
    write_report,
)


def _metrics(recall5: float, violations: int, ask_p95: float) -> dict:
    per_system = {
        "retrieval": {"recall@5": recall5, "mrr": 0.5},
        "qa": {"key_fact_recall": 0.9, "citation_precision": 0.95},
        "vignettes": {"branch_accuracy": 1.0, "avoid_violations": violations},
    }
    return {
        "mode": "test",
        "systems": {
            "naive_langchain": {"retrieval": {"recall@5": 0.5, "mrr": 0.0}, "qa": {"key_fact_recall": 0.6}},
            "bm25": {"retrieval": {"recall@5": 0.8, "mrr": 0.4}},
            "pipeline_unconstrained": per_system,
            "pipeline": per_system,
        },
        "benchmarks": {"warm": {"ask": {"p95_ms": ask_p95, "median_ms": 10.0, "n": 2}},
                       "ingest": {"median_s": 12.0, "p95_s": 13.0, "n": 1}},
        "scaling": {"embedding_dtype": "bfloat16", "growth_per_x4": {"search_median_ms": 1.2},
                    "points": [{"factor": 1, "passages": 100, "ingest_s": 1.0, "search": {"median_ms": 5.0,
                                "p95_ms": 6.0}, "ask": {"median_ms": 9.0, "p95_ms": 11.0}},
                               {"factor": 4, "passages": 400, "ingest_s": 4.0, "search": {"median_ms": 6.0,
                                "p95_ms": 7.0}, "ask": {"median_ms": 10.0, "p95_ms": 12.0}}]},
    }


@pytest.mark.parametrize(
    ("recall5", "violations", "ask_p95", "expected"),
    [
        pytest.param(0.95, 0, 120.0, {"retrieval recall@5": True, "avoid violations": True,
                                      "warm ask p95": True}, id="all-met"),
        pytest.param(0.90, 0, 300.0, {"retrieval recall@5": True, "warm ask p95": True},
                     id="boundary-is-met"),
        pytest.param(0.89, 1, 301.0, {"retrieval recall@5": False, "avoid violations": False,
                                      "warm ask p95": False}, id="all-missed"),
    ],
)
def test_evaluate_targets_marks_met_and_not_met(recall5, violations, ask_p95, expected):
    rows = {row["label"]: row for row in evaluate_targets(_metrics(recall5, violations, ask_p95))}
    for label, met in expected.items():
        assert rows[label]["met"] is met, label


def test_evaluate_targets_unmeasured_is_none_not_failed():
    rows = evaluate_targets({"systems": {}})
    assert len(rows) == len(TARGETS)
    assert all(row["met"] is None and row["measured"] is None for row in rows)


def test_target_check_equality_rejects_nan():
    target = Target(label="x", path=("a",), op="==", threshold=0)
    assert target.check(float("nan")) is None
    assert target.check(0) is True


def test_system_ratios_divide_pipeline_by_baselines_and_skip_zero_denominators():
    ratios = system_ratios(_metrics(0.9, 0, 100.0)["systems"])
    assert ratios["pipeline_vs_naive_langchain"]["retrieval.recall@5"] == pytest.approx(1.8)
    assert ratios["pipeline_vs_naive_langchain"]["retrieval.mrr"] is None  # baseline mrr is 0
    assert ratios["pipeline_vs_bm25"]["retrieval.recall@5"] == pytest.approx(0.9 / 0.8)
    assert "qa.key_fact_recall" not in ratios["pipeline_vs_bm25"]  # bm25 has no QA numbers here


def test_render_markdown_shows_not_met_and_every_system():
    metrics = _metrics(0.5, 2, 900.0)
    metrics["targets"] = evaluate_targets(metrics)
    metrics["ratios"] = system_ratios(metrics["systems"])
    text = render_markdown(metrics)
    assert text.count("**not met**") == 3
    for label in SYSTEMS.values():
        assert label in text
    assert "per ×4 corpus" in text.lower()


def test_write_report_writes_parseable_json_markdown_and_pngs(tmp_path):
    files = write_report(tmp_path, _metrics(0.95, 0, 100.0))
    data = json.loads(files["metrics"].read_text())
    assert {row["label"] for row in data["targets"]} == {t.label for t in TARGETS}
    assert (tmp_path / "metrics_by_system.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "latency_vs_corpus_size.png").read_bytes()[:4] == b"\x89PNG"
    assert "metrics_by_system.png" in files["report"].read_text()


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        pytest.param([1.0, 2.0, 3.0, 4.0, 5.0], 50, 3.0, id="median-odd"),
        pytest.param([1.0, 2.0, 3.0, 4.0], 50, 2.5, id="median-even"),
        pytest.param(list(range(1, 101)), 95, 95.05, id="p95-linear"),
        pytest.param([7.0], 95, 7.0, id="single-sample"),
    ],
)
def test_percentile_interpolates_linearly(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("values", "q"), [pytest.param([], 50, id="empty"), pytest.param([1.0], 101, id="q-above-100")]
)
def test_percentile_rejects_bad_input(values, q):
    with pytest.raises(ValueError):
        percentile(values, q)


def test_summarize_ms_orders_statistics():
    stats = summarize_ms([10.0, 1.0, 5.0, 100.0])
    assert stats.min_ms == 1.0 and stats.max_ms == 100.0
    assert stats.min_ms <= stats.median_ms <= stats.p95_ms <= stats.max_ms


@pytest.mark.parametrize(
    ("values", "expected"),
    [pytest.param([1.0, 4.0, 16.0], 4.0, id="linear"), pytest.param([2.0, 2.0, 2.0], 1.0, id="flat"),
     pytest.param([1.0, 2.0, 4.0], 2.0, id="sqrt")],
)
def test_growth_per_x4_fits_log_log_slope(values, expected):
    assert growth_per_x4([100, 400, 1600], values) == pytest.approx(expected)


def test_replicate_corpus_writes_distinct_ids_with_matching_files(tmp_path):
    target = replicate_corpus(PROJECT_ROOT / "corpus", tmp_path / "x3", 3)
    docs = yaml.safe_load((target / "metadata.yaml").read_text())["documents"]
    original = yaml.safe_load((PROJECT_ROOT / "corpus" / "metadata.yaml").read_text())["documents"]
    assert len(docs) == 3 * len(original)
    assert len({d["id"] for d in docs}) == len(docs)
    for doc in docs:
        assert hashlib.sha256((target / doc["file"]).read_bytes()).hexdigest() == doc["sha256"]


@pytest.mark.parametrize(
    ("pool", "sizes", "expected"),
    [
        pytest.param(list(range(10)), (2, 3, 3), [[0, 1], [2, 3, 4], [5, 6, 7]], id="disjoint"),
        pytest.param(list(range(5)), (1, 3, 3), [[0], [1, 2, 3], [4]], id="short-last"),
        pytest.param(list(range(3)), (1, 2, 2), [[0], [1, 2], [0, 1]], id="exhausted-starts-over"),
    ],
)
def test_split_inputs_gives_disjoint_slices_while_the_pool_lasts(pool, sizes, expected):
    assert split_inputs(pool, sizes) == expected


def test_run_process_reports_the_childs_own_peak_memory_not_the_parents():
    parent = bytearray(400 * 2**20)
    parent[:: 4096] = b"\x01" * len(parent[:: 4096])  # touch every page: the parent is now >= 400 MB
    child = "x = bytearray(100 * 2**20)\nx[::4096] = b'\\x01' * len(x[::4096])"
    run = run_process([sys.executable, "-c", child], env=dict(os.environ), cwd=Path.cwd())
    assert run.returncode == 0
    assert 100 <= run.peak_rss_mb < 350
    del parent


def test_run_process_returns_the_exit_code_and_stderr_tail():
    run = run_process([sys.executable, "-c", "import sys; sys.exit('boom')"], env=dict(os.environ),
                      cwd=Path.cwd())
    assert run.returncode == 1
    assert "boom" in run.stderr_tail
