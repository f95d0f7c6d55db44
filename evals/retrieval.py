"""``python -m evals retrieval --qa PATH [--k 10] [--json] [--markdown OUT.md]``: recall@k and MRR.

Coverage rule (issue 2): an evidence quote is *covered* by a passage from the same document when at
least 80% of the quote's case-folded word tokens appear in the passage's text (``ingest.coverage``).
An item counts as found at rank r when every one of its quotes is covered by some passage within the
top r (the union of the top-r passages covers all quotes: multi-hop questions need all their evidence).

- recall@k: share of answerable items found within the top k;
- MRR: mean of 1 / (rank at which the item's last quote becomes covered), 0 when not found within
  the top ``--k``; i.e. the reciprocal rank of *complete* evidence, stricter than first-hit MRR.

Items without evidence (unanswerable) are skipped. Systems: (a) the pipeline (hybrid + expansion),
(b) dense only, (c) BM25 only (no expansion), (d) the naive LangChain baseline (evals/baselines.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.settings import Settings, get_settings
from evals.baselines import NaiveLangChainBaseline, RetrievedText
from evals.jsonl import read_jsonl
from ingest.coverage import quote_coverage

COVERAGE_THRESHOLD = 0.8
RECALL_AT = (1, 5, 10)
SYSTEMS = ("pipeline", "dense", "bm25", "naive_langchain")
SYSTEM_LABELS = {
    "pipeline": "pipeline (hybrid + expansion)",
    "dense": "dense only",
    "bm25": "BM25 only",
    "naive_langchain": "naive LangChain",
}

Ranker = Callable[[str, int], Sequence[RetrievedText]]


class Evidence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    doc: str
    quote: str = Field(min_length=1)


class QAItem(BaseModel):
    """One line of a QA file. Other fields of the format (answer, key_facts, ...) are not needed here."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    question: str = Field(min_length=1)
    evidence: tuple[Evidence, ...] = ()
    type: str = "unknown"


def load_qa(path: Path) -> list[QAItem]:
    """Parse a QA JSON-lines file; a bad line is reported with the file name and line number."""
    items: list[QAItem] = []
    for number, raw in read_jsonl(path, "QA"):
        try:
            items.append(QAItem(**raw))
        except (TypeError, ValidationError) as exc:
            detail = str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else _first_error(exc)
            raise ValueError(f"{path}:{number}: not a QA item ({detail})") from None
    return items


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"


def found_rank(item: QAItem, hits: Sequence[RetrievedText]) -> int | None:
    """Rank (1-based) at which all of the item's quotes are covered, or None within ``hits``."""
    last = 0
    for evidence in item.evidence:
        rank = next(
            (
                r
                for r, hit in enumerate(hits, start=1)
                if hit.doc == evidence.doc and quote_coverage(evidence.quote, hit.text) >= COVERAGE_THRESHOLD
            ),
            None,
        )
        if rank is None:
            return None
        last = max(last, rank)
    return last


def score_ranks(ranks: Sequence[int | None]) -> dict[str, float]:
    n = len(ranks)
    if n == 0:
        return {**{f"recall@{k}": 0.0 for k in RECALL_AT}, "mrr": 0.0}
    scores = {f"recall@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in RECALL_AT}
    scores["mrr"] = sum(1.0 / r for r in ranks if r is not None) / n
    return {key: round(value, 4) for key, value in scores.items()}


def run_system(items: Sequence[QAItem], ranker: Ranker, k: int) -> dict[str, Any]:
    """Metrics of one system overall and by question type, plus mean latency and per-item ranks."""
    ranker(items[0].question, k)  # warm-up: the first call pays for lazy initialisation
    ranks: list[int | None] = []
    elapsed = 0.0
    for item in items:
        start = time.perf_counter()
        hits = ranker(item.question, k)
        elapsed += time.perf_counter() - start
        ranks.append(found_rank(item, hits))
    by_type: dict[str, list[int | None]] = defaultdict(list)
    for item, rank in zip(items, ranks, strict=True):
        by_type[item.type].append(rank)
    return {
        **score_ranks(ranks),
        "latency_ms": round(1000 * elapsed / len(items), 2),
        "n_items": len(items),
        "by_type": {t: {**score_ranks(r), "n_items": len(r)} for t, r in sorted(by_type.items())},
        "ranks": {item.id: rank for item, rank in zip(items, ranks, strict=True)},
    }


def evaluate_retrieval(qa_path: Path, settings: Settings, k: int = 10) -> dict[str, Any]:
    """All four systems on the answerable items of ``qa_path``.

    Keys: pipeline, dense, bm25, naive_langchain; each with recall@1/5/10, mrr, latency_ms, n_items,
    by_type and per-item ``ranks`` (None = not found within the top k).
    """
    from assistant.retrieval.hybrid import HybridRetriever

    if k < max(RECALL_AT):
        raise ValueError(f"--k must be at least {max(RECALL_AT)} to report recall@{max(RECALL_AT)}")
    items = [item for item in load_qa(qa_path) if item.evidence]
    if not items:
        raise ValueError(f"{qa_path}: no answerable items (every item has empty evidence)")
    hybrid = HybridRetriever.from_settings(settings)

    def as_texts(passages) -> list[RetrievedText]:
        return [RetrievedText(p.chunk.doc_id, p.chunk.text) for p in passages]

    results: dict[str, Any] = {
        "pipeline": run_system(items, lambda q, n: as_texts(hybrid.search(q, k=n)), k),
        "dense": run_system(items, lambda q, n: as_texts(hybrid.dense_search(q, k=n)), k),
        "bm25": run_system(items, lambda q, n: as_texts(hybrid.lexical_search(q, k=n)), k),
    }
    with NaiveLangChainBaseline(settings, hybrid.embedder) as baseline:
        results["naive_langchain"] = run_system(items, baseline.search, k)
    return results


# ---- CLI -----------------------------------------------------------------------------------------
def register(subparsers: argparse._SubParsersAction, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("--qa", type=Path, required=True, help="QA file (JSON lines, evals format)")
    parser.add_argument("--k", type=int, default=10, help="passages retrieved per question (>= 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--markdown", type=Path, metavar="OUT.md", help="also write a markdown report")
    parser.add_argument("--misses", action="store_true", help="list items the pipeline misses at 5")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from assistant.retrieval.hybrid import IndexNotReady

    try:
        results = evaluate_retrieval(args.qa, get_settings(), k=args.k)
    except IndexNotReady as exc:
        raise ValueError(str(exc)) from None
    public = {system: {key: v for key, v in results[system].items() if key != "ranks"} for system in SYSTEMS}
    if args.json:
        print(json.dumps(public, indent=2))
    else:
        print(summary_table(public))
        print()
        print(by_type_table(public))
    if args.misses:
        _print_misses(args.qa, results)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown_report(public, args), encoding="utf-8")
        print(f"wrote {args.markdown}")
    return 0


def summary_table(results: dict[str, Any]) -> str:
    header = "| system | recall@1 | recall@5 | recall@10 | MRR | latency ms/query | items |"
    rows = [header, "|---|---:|---:|---:|---:|---:|---:|"]
    for system in SYSTEMS:
        r = results[system]
        rows.append(
            f"| {SYSTEM_LABELS[system]} | {r['recall@1']:.3f} | {r['recall@5']:.3f} | {r['recall@10']:.3f}"
            f" | {r['mrr']:.3f} | {r['latency_ms']:.1f} | {r['n_items']} |"
        )
    return "\n".join(rows)


def by_type_table(results: dict[str, Any], metric: str = "recall@5") -> str:
    types = sorted(results["pipeline"]["by_type"])
    header = f"| question type (n) | {' | '.join(SYSTEM_LABELS[s] for s in SYSTEMS)} |"
    rows = [f"{metric} by question type:", "", header, "|---|" + "---:|" * len(SYSTEMS)]
    for t in types:
        n = results["pipeline"]["by_type"][t]["n_items"]
        cells = " | ".join(f"{results[s]['by_type'][t][metric]:.3f}" for s in SYSTEMS)
        rows.append(f"| {t} ({n}) | {cells} |")
    return "\n".join(rows)


def markdown_report(results: dict[str, Any], args: argparse.Namespace) -> str:
    command = f"python -m evals retrieval --qa {args.qa} --k {args.k} --markdown {args.markdown}"
    machine = (
        f"{platform.machine()}, {os.cpu_count() or 1} CPU cores, {platform.system()}, "
        f"Python {platform.python_version()}"
    )
    return "\n".join(
        [
            "# Retrieval evaluation",
            "",
            f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine} by `{command}`.",
            "",
            "An evidence quote is covered by a passage of the same document when >= 80% of its case-folded",
            "word tokens appear in the passage's text; an item is found at rank r when all of its quotes are",
            "covered within the top r. MRR uses the rank at which the last quote becomes covered (0 if not",
            f"within the top {args.k}). Unanswerable items (no evidence) are skipped. Latency is the mean",
            "warm retrieval time per query (query embedding included).",
            "",
            summary_table(results),
            "",
            by_type_table(results),
            "",
            by_type_table(results, "mrr"),
            "",
        ]
    )


def _print_misses(qa_path: Path, results: dict[str, Any]) -> None:
    items = {item.id: item for item in load_qa(qa_path)}
    print("\nitems the pipeline does not fully cover within the top 5:")
    for item_id, rank in results["pipeline"]["ranks"].items():
        if rank is None or rank > 5:
            item = items[item_id]
            print(f"- {item_id} [{item.type}] rank={rank} bm25={results['bm25']['ranks'][item_id]} "
                  f"dense={results['dense']['ranks'][item_id]}: {item.question}")
