"""``python -m evals qa --qa PATH [--json] [--calibrate] [--predictions FILE]``: grounded-answer quality.

Metrics over any file in the QA format (evals/data/README or ../shared/evals/README.md):
- key-fact recall: share of an item's key facts found in the answer text (case-insensitive, `·` read
  as `.`, whitespace collapsed);
- citation precision: share of citations whose passage covers one of the item's evidence quotes
  (80 % of its tokens, ingest/coverage.py) or contains one of its key facts;
- evidence recall: share of the item's evidence quotes covered by some cited passage;
- abstention accuracy on `unanswerable` items, false-abstention rate on the others;
- warm latency p50/p95 (model loaded, corpus sentences embedded, one warm-up question).
`--calibrate` picks the abstention threshold from the items' support scores (most abstentions on
unanswerable items with at most 10 % false abstentions) and writes it with its calibration to
assistant/answer/data/abstention.yaml.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from tqdm import tqdm

from evals.jsonl import read_jsonl

REQUIRED_KEYS = ("id", "question", "key_facts", "evidence", "type")
COVERAGE_THRESHOLD = 0.8
CALIBRATION_NOTE = "# Written by evals/qa.py --calibrate: one scalar for every question, not tuned per item."


def load_qa_items(path: Path) -> list[dict[str, Any]]:
    """Items of a QA file; a malformed line is a ValueError naming the file and line."""
    items = []
    for number, item in read_jsonl(path, "QA"):
        keys = item if isinstance(item, dict) else {}
        missing = [k for k in REQUIRED_KEYS if k not in keys]
        if missing:
            raise ValueError(f"{path}:{number}: missing keys {missing}")
        items.append(item)
    return items


def normalise(text: str) -> str:
    return " ".join(text.lower().replace("·", ".").split())


def fact_found(fact: str, answer_text: str) -> bool:
    return normalise(fact) in normalise(answer_text)


def _coverage(quote: str, passage: str) -> float:
    from ingest.coverage import quote_coverage

    return quote_coverage(quote, passage)


def citation_supports(passage: str, item: dict[str, Any]) -> bool:
    if any(_coverage(e["quote"], passage) >= COVERAGE_THRESHOLD for e in item["evidence"]):
        return True
    return any(fact_found(f, passage) for f in item["key_facts"])


def score_item(item: dict[str, Any], answer: Any) -> dict[str, Any]:
    """Per-item prediction record with its metric components."""
    unanswerable = item["type"] == "unanswerable" or not item["evidence"]
    passages = [c.text for c in answer.citations]
    facts = [f for f in item["key_facts"] if fact_found(f, answer.text)]
    supported = [citation_supports(p, item) for p in passages]
    covered = [
        e for e in item["evidence"] if any(_coverage(e["quote"], p) >= COVERAGE_THRESHOLD for p in passages)
    ]
    return {
        "id": item["id"],
        "type": item["type"],
        "question": item["question"],
        "answer": answer.text,
        "status": answer.status,
        "abstained": answer.abstained,
        "unanswerable": unanswerable,
        "support_score": answer.support_score,
        "key_facts_found": facts,
        "key_facts_missing": [f for f in item["key_facts"] if f not in facts],
        "key_fact_recall": len(facts) / len(item["key_facts"]) if item["key_facts"] else None,
        "n_citations": len(passages),
        "n_supported_citations": sum(supported),
        "evidence_recall": len(covered) / len(item["evidence"]) if item["evidence"] else None,
        "citations": [
            {"n": c.n, "doc": c.doc, "lines": [c.line_start, c.line_end]} for c in answer.citations
        ],
        "latency_ms": answer.latency_ms,
    }


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return round(statistics.fmean(kept), 4) if kept else None


def summarise(
    predictions: Sequence[dict[str, Any]], latencies: Sequence[float] | None = None
) -> dict[str, Any]:
    answerable = [p for p in predictions if not p["unanswerable"]]
    unanswerable = [p for p in predictions if p["unanswerable"]]
    n_cit = sum(p["n_citations"] for p in answerable)
    latencies = list(latencies if latencies is not None else [p["latency_ms"] for p in predictions])
    return {
        "n_items": len(predictions),
        "key_fact_recall": _mean([p["key_fact_recall"] for p in answerable]),
        "citation_precision": round(sum(p["n_supported_citations"] for p in answerable) / n_cit, 4)
        if n_cit
        else None,
        "evidence_recall": _mean([p["evidence_recall"] for p in answerable]),
        "abstention_accuracy": round(sum(p["abstained"] for p in unanswerable) / len(unanswerable), 4)
        if unanswerable
        else None,
        "false_abstention_rate": round(sum(p["abstained"] for p in answerable) / len(answerable), 4)
        if answerable
        else None,
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2) if latencies else None,
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 2) if latencies else None,
    }


def evaluate_qa(
    qa_path: Path, services: Any, constrained: bool = True, progress: bool = False
) -> dict[str, Any]:
    """Metrics (top level and `by_type`) plus `predictions`, one record per item."""
    from assistant.answer.compose import answer_question

    items = load_qa_items(qa_path)
    services.bank.warm()
    answer_question(items[0]["question"], services=services, constrained=constrained)  # warm-up
    predictions = []
    for item in tqdm(items, desc="qa", disable=not progress, file=sys.stderr):
        started = time.perf_counter()
        answer = answer_question(item["question"], services=services, constrained=constrained)
        record = score_item(item, answer)
        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
        predictions.append(record)
    metrics = summarise(predictions)
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in predictions:
        by_type[p["type"]].append(p)
    metrics["by_type"] = {t: summarise(ps) for t, ps in sorted(by_type.items())}
    metrics["predictions"] = predictions
    return metrics


def calibrate_threshold(
    predictions: Sequence[dict[str, Any]], max_false_abstention: float = 0.10
) -> dict[str, Any]:
    """The support threshold that abstains on the most unanswerable items while abstaining on at most
    `max_false_abstention` of the answerable ones (the issue's bound); among equals, the higher balanced
    accuracy, then the widest margin to any item's score. Candidates are midpoints between item scores."""
    scores = sorted({p["support_score"] for p in predictions if p["support_score"] is not None})
    if not scores:
        raise ValueError("no support scores to calibrate on")
    candidates = [scores[0] - 0.01] + [(a + b) / 2 for a, b in pairwise(scores)]
    unanswerable = [p for p in predictions if p["unanswerable"] and p["support_score"] is not None]
    answerable = [p for p in predictions if not p["unanswerable"] and p["support_score"] is not None]

    def rates(threshold: float) -> tuple[float, float]:
        abst = sum(p["support_score"] < threshold for p in unanswerable) / max(len(unanswerable), 1)
        false = sum(p["support_score"] < threshold for p in answerable) / max(len(answerable), 1)
        return abst, false

    def key(threshold: float) -> tuple[bool, float, float, float]:
        abst, false = rates(threshold)
        margin = min(abs(threshold - s) for s in scores)
        return (false <= max_false_abstention, abst, round(0.5 * (abst + 1 - false), 6), margin)

    best = max(candidates, key=key)
    abst, false = rates(best)
    return {
        "threshold": round(best, 4),
        "abstention_accuracy": round(abst, 4),
        "false_abstention_rate": round(false, 4),
        "balanced_accuracy": round(0.5 * (abst + 1 - false), 4),
        "max_false_abstention": max_false_abstention,
        "n_unanswerable": len(unanswerable),
        "n_answerable": len(answerable),
    }


def write_calibration(result: dict[str, Any], qa_path: Path) -> Path:
    """Store the threshold and how it was obtained in abstention.yaml, keeping the file's comments."""
    from assistant.answer.abstain import DATA, load_abstention_config

    text = DATA.read_text(encoding="utf-8")
    text = text.split(CALIBRATION_NOTE)[0].split("\ncalibration:")[0].rstrip() + "\n"
    text = re.sub(r"(?m)^threshold: .*$", f"threshold: {result['threshold']}", text)
    calibration = {
        "method": "grid over midpoints of the items' support scores; maximise abstention accuracy on "
        "unanswerable items subject to a false-abstention rate <= max_false_abstention on answerable "
        "ones; ties -> higher balanced accuracy, then widest margin to the nearest item score",
        "command": f"python -m evals qa --qa {qa_path} --calibrate",
        "qa_file": Path(qa_path).name,
        **{k: v for k, v in result.items() if k != "threshold"},
    }
    text += CALIBRATION_NOTE + "\n"
    text += yaml.safe_dump({"calibration": calibration}, sort_keys=False, allow_unicode=True, width=100)
    DATA.write_text(text, encoding="utf-8")
    load_abstention_config.cache_clear()
    return DATA


def register(subparsers: argparse._SubParsersAction, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--qa", type=Path, required=True, help="QA file (JSON lines)")
    parser.add_argument("--json", action="store_true", help="print metrics as one JSON object")
    parser.add_argument("--no-constraint", action="store_true", help="turn off branch-constrained retrieval")
    parser.add_argument("--predictions", type=Path, help="write per-item predictions (JSON lines) here")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="re-calibrate the abstention threshold on this file and store it",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.answer.services import Services

    load_qa_items(args.qa)  # fail fast on a bad file, before loading the model
    services = Services.load()
    metrics = evaluate_qa(args.qa, services, constrained=not args.no_constraint, progress=not args.json)
    if args.calibrate:
        result = calibrate_threshold(metrics["predictions"])
        path = write_calibration(result, args.qa)
        print(f"abstention threshold {result['threshold']} written to {path}", file=sys.stderr)
        metrics = evaluate_qa(args.qa, services, constrained=not args.no_constraint, progress=not args.json)
    predictions = metrics.pop("predictions")
    if args.predictions:
        args.predictions.write_text("".join(json.dumps(p) + "\n" for p in predictions), encoding="utf-8")
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        _print_table(metrics)
    return 0


def _print_table(metrics: dict[str, Any]) -> None:
    keys = (
        "n_items",
        "key_fact_recall",
        "citation_precision",
        "evidence_recall",
        "abstention_accuracy",
        "false_abstention_rate",
        "latency_ms_p50",
        "latency_ms_p95",
    )
    print(
        f"{'type':<16}" + "".join(f"{k.replace('_rate', '').replace('latency_ms_', 'ms_'):>22}" for k in keys)
    )
    rows = [("all", metrics), *metrics["by_type"].items()]
    for name, row in rows:
        print(f"{name:<16}" + "".join(f"{'-' if row.get(k) is None else row[k]:>22}" for k in keys))
