"""``python -m evals all [--qa PATH ...] [--vignettes PATH ...] [--out DIR] [--smoke]``: one run, one report.

Four systems are measured side by side in one process, on the same items, so their ratios are not
skewed by machine load or by a changed index between runs:
(a) naive LangChain RAG (evals/baselines.py; its answer is the top passages' text), (b) BM25 only (its
answer is the top passages' text), (c) this pipeline with its branch constraints switched off and
(d) this pipeline. Then the benchmarks (evals/benchmarks.py) and the report (evals/report.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from tqdm import tqdm

from assistant.settings import PROJECT_ROOT, Settings, get_settings
from evals import benchmarks, report

DEFAULT_QA = PROJECT_ROOT / "evals" / "data" / "qa_dev.jsonl"
DEFAULT_VIGNETTES = PROJECT_ROOT / "evals" / "data" / "vignettes_dev.jsonl"
BASELINE_ANSWER_PASSAGES = 4  # LangChain's default retriever k: what a first RAG attempt would show
RETRIEVAL_K = 10
PREDICTION_ANSWER_CHARS = 400

SYSTEM_DESCRIPTIONS = {
    "naive_langchain": "raw text, `RecursiveCharacterTextSplitter` 1000/200, same embedding model, Chroma "
    f"similarity top-k; its answer is the top {BASELINE_ANSWER_PASSAGES} passages' text, citing them.",
    "bm25": "BM25 (bm25s) over the pipeline's cleaned chunks, no query expansion; its answer is the top "
    f"{BASELINE_ANSWER_PASSAGES} passages' text, citing them.",
    "pipeline_unconstrained": "hybrid retrieval + extractive cited answers + rule layer, but retrieval and "
    "options are not restricted to the patient's guideline branch.",
    "pipeline": "the shipped system: rule layer decides the branch; hybrid (dense + BM25 + RRF) retrieval "
    "constrained to it; extractive answers, every sentence cited.",
}


class SuiteConfig(BaseModel):
    """What one run evaluates and how hard the benchmarks work."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    qa_paths: tuple[Path, ...] = (DEFAULT_QA,)
    vignette_paths: tuple[Path, ...] = (DEFAULT_VIGNETTES,)
    out_dir: Path = PROJECT_ROOT / "docs" / "eval"
    smoke: bool = False
    qa_limit: int | None = Field(None, ge=1, description="Use at most this many QA items (smoke: 8).")
    vignette_limit: int | None = Field(None, ge=1)
    plan: benchmarks.BenchmarkPlan = benchmarks.BenchmarkPlan()
    run_benchmarks: bool = True
    progress: bool = True

    @classmethod
    def for_smoke(cls, **overrides: Any) -> SuiteConfig:
        return cls(**{"smoke": True, "qa_limit": 8, "vignette_limit": 8, "plan": benchmarks.SMOKE_PLAN,
                      **overrides})


# ------------------------------------------------------------------------------------------ inputs

def spread_sample(items: Sequence[dict], limit: int | None, key: Callable[[dict], str]) -> list[dict]:
    """At most ``limit`` items, round-robin over ``key`` groups so a small sample still covers every kind."""
    if limit is None or limit >= len(items):
        return list(items)
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    picked: list[dict] = []
    while len(picked) < limit:
        for group in groups.values():
            if group and len(picked) < limit:
                picked.append(group.pop(0))
    order = {id(item): i for i, item in enumerate(items)}
    return sorted(picked, key=lambda item: order[id(item)])


def combine_sets(paths: Sequence[Path], kind: str, load: Callable[[Path], list[dict]], limit: int | None,
                 key: Callable[[dict], str], target: Path) -> tuple[list[dict], list[dict]]:
    """All sets as one file (ids must be unique across them); returns the items and a description per set.

    ``load`` is the evaluation's own reader, so a file the suite accepts is one the evaluation accepts.
    """
    described, all_items, seen = [], [], {}
    per_set = [load(path) for path in paths]
    share = None if limit is None else max(1, limit // len(paths))
    for path, items in zip(paths, per_set, strict=True):
        used = spread_sample(items, share, key)
        for item in used:
            if item["id"] in seen:
                raise ValueError(f"{path}: {kind} id {item['id']!r} also appears in {seen[item['id']]}")
            seen[item["id"]] = path
        all_items.extend(used)
        described.append({"path": _display_path(path), "n_items": len(items), "n_used": len(used)})
    target.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in all_items),
                      encoding="utf-8")
    return all_items, described


def _display_path(path: Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------------------ the run

def run_suite(config: SuiteConfig, settings: Settings, command: str | None = None) -> dict[str, Any]:
    """Every evaluation and benchmark; writes the report into ``config.out_dir``; returns metrics.json.

    A stage that fails is recorded (``errors`` in metrics.json, a line in the report) and the others still
    run, so one broken component does not hide every other number of a long run.
    """
    from evals.qa import load_qa_items
    from evals.vignettes import _read as load_vignettes
    from ingest.pipeline import build_index

    started = time.perf_counter()
    out_dir = config.out_dir
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rrmm-eval-")))
        qa_items, qa_sets = combine_sets(config.qa_paths, "QA", load_qa_items, config.qa_limit,
                                         lambda item: item["type"], work / "qa.jsonl")
        vignettes, vignette_sets = combine_sets(
            config.vignette_paths, "vignette", load_vignettes, config.vignette_limit,
            lambda item: item["expected"]["branch"], work / "vignettes.jsonl")
        out_dir.mkdir(parents=True, exist_ok=True)
        for stale in [*out_dir.glob("predictions_*.jsonl"), *(out_dir / name for name in report.PLOT_FILES)]:
            stale.unlink(missing_ok=True)  # only what an earlier run wrote: a system may have been dropped
        stages = Stages(_Log(config.progress))
        stages.run("index (build if missing or stale)",
                   lambda: build_index(settings, force=False, progress=config.progress), required=True)
        services = stages.run("load services", lambda: _load_services(settings), required=True)
        naive = stages.run("naive LangChain baseline: split + embed",
                           lambda: stack.enter_context(_naive_baseline(settings)), required=True)
        retrieval = stages.run(f"retrieval: {len(qa_items)} QA items x 4 retrievers",
                               lambda: evaluate_retrieval_systems(work / "qa.jsonl", services, naive), {})
        qa = stages.run("answers: QA for 4 systems",
                        lambda: evaluate_qa_systems(work / "qa.jsonl", services, naive, config.progress), {})
        vignette_results = stages.run(f"vignettes: rule layer, {len(vignettes)} items",
                                      lambda: evaluate_vignette_rules(work / "vignettes.jsonl"), {})
        if vignette_results:
            vignette_results["answers"] = stages.run(
                "vignettes: what each system replies to the case",
                lambda: evaluate_vignette_answers(vignettes, vignette_results["predictions"], services,
                                                  naive), {})

        metrics: dict[str, Any] = {
            "schema": 1,
            "generated": report.now_iso(),
            "mode": "smoke" if config.smoke else "full",
            "command": command,
            "git": report.git_commit(),
            "machine": report.machine_description(),
            "settings": {k: str(v) for k, v in settings.model_dump().items()},
            "inputs": {"QA": qa_sets, "vignette": vignette_sets},
            "system_descriptions": SYSTEM_DESCRIPTIONS,
            "systems": {s: {} for s in report.SYSTEMS},
            "item_counts": {},
            "notes": [],
        }
        _merge(metrics, retrieval, qa, vignette_results)
        _write_predictions(out_dir, retrieval, qa, vignette_results)

        metrics["benchmarks"], metrics["scaling"] = {}, {}
        if config.run_benchmarks:
            metrics["benchmarks"], metrics["scaling"] = run_all_benchmarks(
                settings, config.plan, services, qa_items, vignettes, work, stages)
            metrics["notes"].append(
                f"Scaling runs embed with `{config.plan.scaling_dtype}` so that ×"
                f"{max(config.plan.scaling_factors)} fits in minutes on this CPU; the main index and all "
                f"quality numbers use `{settings.embedding_dtype}`.")
            if not config.plan.scaling_warm:
                metrics["notes"].append(
                    "This plan loads the scaled indexes without embedding every corpus sentence (smoke "
                    "mode): scaled ask latencies are not comparable with a full run.")
        metrics["benchmarks"]["suite_peak_rss_mb"] = benchmarks.peak_rss_mb()
        metrics["stage_seconds"] = stages.seconds
        metrics["errors"] = stages.errors
        metrics["runtime_s"] = round(time.perf_counter() - started, 1)
        report.write_report(out_dir, metrics)
    return metrics


class StageFailed(RuntimeError):
    """A stage every later stage depends on (index, model) failed: nothing else can run."""


class Stages:
    """Runs named stages, timing each and recording (not raising) the failure of an optional one."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.seconds: dict[str, float] = {}
        self.errors: dict[str, str] = {}

    def run(self, name: str, fn: Callable[[], Any], default: Any = None, *, required: bool = False) -> Any:
        self.log(name)
        started = time.perf_counter()
        try:
            return fn()
        except (KeyboardInterrupt, StageFailed):
            raise
        except Exception as exc:  # any failure: recorded with its traceback, the suite goes on
            self.errors[name] = f"{type(exc).__name__}: {exc}"
            self.log(f"FAILED {name}:\n{traceback.format_exc()}")
            if required:
                raise StageFailed(f"{name} failed: {type(exc).__name__}: {exc}") from exc
            return default
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 1)


class _Log:
    """Progress lines on stderr (never patient text: only stage names and counts)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.enabled or message.startswith("FAILED"):
            print(f"[{time.perf_counter() - self.start:6.1f} s] {message}", file=sys.stderr, flush=True)


def _load_services(settings: Settings) -> Any:
    from assistant.answer.services import Services

    return Services.load(settings, build_index=False)


def _naive_baseline(settings: Settings) -> Any:
    """The baseline gets the bare model: the answer layer's query cache would flatter its latency."""
    from evals.baselines import NaiveLangChainBaseline
    from ingest.embedding import load_embedder

    return NaiveLangChainBaseline(settings, load_embedder(settings))


def reset_query_cache(services: Any) -> None:
    """Forget the query vectors the answer layer cached, so a stage's latency does not depend on which
    questions an earlier stage happened to ask."""
    cache = services.embedder
    if hasattr(cache, "clear"):
        cache.clear()
    elif isinstance(getattr(cache, "_cache", None), dict):
        cache._cache.clear()  # QueryEmbeddingCache has no public clear() yet


# ------------------------------------------------------------------------------------------ retrieval

def evaluate_retrieval_systems(qa_path: Path, services: Any, naive: Any) -> dict[str, Any]:
    """recall@k / MRR per retriever with evals.retrieval's scoring, sharing the suite's naive baseline.

    Each ranker is wrapped to remember its last hits per question, for the per-item predictions.
    """
    from assistant.retrieval.hybrid import HybridRetriever
    from evals.baselines import RetrievedText
    from evals.retrieval import load_qa, run_system

    items = [item for item in load_qa(qa_path) if item.evidence]
    if not items:
        return {}
    # Built as evals.retrieval builds it (bare model, no query cache): each retriever pays for its own
    # query embedding, and the numbers match `python -m evals retrieval`.
    hybrid = HybridRetriever.from_settings(services.settings)

    def texts(passages: Iterable[Any]) -> list[RetrievedText]:
        return [RetrievedText(p.chunk.doc_id, p.chunk.text) for p in passages]

    rankers = {
        "pipeline": lambda q, n: texts(hybrid.search(q, k=n)),
        "dense": lambda q, n: texts(hybrid.dense_search(q, k=n)),
        "bm25": lambda q, n: texts(hybrid.lexical_search(q, k=n)),
        "naive_langchain": naive.search,
    }
    results: dict[str, Any] = {}
    for name, ranker in rankers.items():
        seen: dict[str, list[RetrievedText]] = {}

        def recording(question: str, k: int, ranker: Callable = ranker, seen: dict = seen) -> list:
            seen[question] = hits = list(ranker(question, k))
            return hits

        results[name] = run_system(items, recording, RETRIEVAL_K)
        results[name]["predictions"] = [
            {"id": item.id, "type": item.type, "question": item.question,
             "found_rank": results[name]["ranks"][item.id],
             "top": [{"rank": r, "doc": hit.doc, "text": hit.text[:160]}
                     for r, hit in enumerate(seen.get(item.question, [])[:5], start=1)]}
            for item in items]
    return results


# ------------------------------------------------------------------------------------------ QA

class Hit(BaseModel):
    """A baseline's retrieved passage, located in the printed source so it can be cited like ours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    doc: str
    text: str
    line_start: int = 1
    line_end: int = 1
    section: str = ""
    kind: str = "text"
    chunk_id: str = ""


def passages_answer(question: str, hits: Sequence[Hit], documents: Any, latency_ms: float) -> Any:
    """What a retrieve-and-show baseline answers: the top passages' text, each cited, never abstaining."""
    from assistant.answer.models import Answer, AnswerSentence, Citation

    citations, sentences = [], []
    for n, hit in enumerate(hits, start=1):
        meta = documents.get(hit.doc)
        citations.append(Citation(
            n=n, chunk_id=hit.chunk_id or f"{hit.doc}:{hit.line_start}", doc=hit.doc,
            title=meta.title if meta else hit.doc, year=meta.year if meta else 0,
            year_label=meta.year_label if meta else "?", section=hit.section, line_start=hit.line_start,
            line_end=max(hit.line_end, hit.line_start), kind=hit.kind, text=hit.text))
        sentences.append(AnswerSentence(text=hit.text, citations=(n,), role="point"))
    return Answer(question=question, resolved_question=question, turn_kind="factual", status="answered",
                  text="\n\n".join(f"{s.text} [{n}]" for n, s in enumerate(sentences, start=1)),
                  sentences=tuple(sentences), citations=tuple(citations), latency_ms=latency_ms)


class SourceLines:
    """Line ranges of raw-text snippets (the naive splitter keeps no positions: find them in the file)."""

    def __init__(self, corpus_dir: Path) -> None:
        self._corpus_dir = corpus_dir
        self._texts: dict[str, str] = {}

    def locate(self, doc: str, snippet: str) -> tuple[int, int]:
        if doc not in self._texts:
            self._texts[doc] = (self._corpus_dir / f"{doc}.txt").read_text(encoding="utf-8")
        text = self._texts[doc]
        start = text.find(snippet)
        if start < 0:
            return 1, 1
        first = text.count("\n", 0, start) + 1
        return first, first + snippet.count("\n")


def baseline_rankers(services: Any, naive: Any) -> dict[str, Callable[[str, int], list[Hit]]]:
    """(a) and (b) as functions question -> top passages."""
    lines = SourceLines(services.settings.corpus_dir)

    def naive_hits(question: str, k: int) -> list[Hit]:
        hits = []
        for hit in naive.search(question, k):
            first, last = lines.locate(hit.doc, hit.text)
            hits.append(Hit(doc=hit.doc, text=hit.text, line_start=first, line_end=last))
        return hits

    def bm25_hits(question: str, k: int) -> list[Hit]:
        return [Hit(doc=c.doc_id, text=c.text, line_start=c.line_start, line_end=c.line_end,
                    section=c.section, kind=c.kind, chunk_id=c.id)
                for c in (p.chunk for p in services.retriever.lexical_search(question, k=k))]

    return {"naive_langchain": naive_hits, "bm25": bm25_hits}


def evaluate_baseline_qa(qa_path: Path, ranker: Callable[[str, int], list[Hit]], documents: Any,
                         progress: bool) -> dict[str, Any]:
    """evals.qa's per-item scoring and summary, applied to a baseline's passages-as-answer."""
    from evals.qa import load_qa_items, score_item, summarise

    items = load_qa_items(qa_path)
    ranker(items[0]["question"], BASELINE_ANSWER_PASSAGES)  # warm-up, as for the pipeline
    predictions = []
    for item in tqdm(items, desc="qa baseline", disable=not progress, file=sys.stderr, leave=False):
        started = time.perf_counter()
        hits = ranker(item["question"], BASELINE_ANSWER_PASSAGES)
        latency = round((time.perf_counter() - started) * 1000, 2)
        record = score_item(item, passages_answer(item["question"], hits, documents, latency))
        # The answer is just the passages: keep the file small, the citations give their line ranges.
        if len(record["answer"]) > PREDICTION_ANSWER_CHARS:
            record["answer"] = record["answer"][: PREDICTION_ANSWER_CHARS - 1] + "…"
        predictions.append(record)
    return {**summarise(predictions), "by_type": _by_type(predictions, summarise), "predictions": predictions}


def _by_type(predictions: Sequence[dict], summarise: Callable[[Sequence[dict]], dict]) -> dict[str, dict]:
    groups: dict[str, list[dict]] = {}
    for p in predictions:
        groups.setdefault(p["type"], []).append(p)
    return {kind: summarise(group) for kind, group in sorted(groups.items())}


def evaluate_qa_systems(qa_path: Path, services: Any, naive: Any, progress: bool) -> dict[str, Any]:
    """QA metrics + per-item predictions for all four systems on the same items."""
    from evals.qa import evaluate_qa

    documents = services.retriever.documents
    results = {name: evaluate_baseline_qa(qa_path, ranker, documents, progress)
               for name, ranker in baseline_rankers(services, naive).items()}
    for name, constrained in (("pipeline_unconstrained", False), ("pipeline", True)):
        reset_query_cache(services)
        results[name] = evaluate_qa(qa_path, services, constrained=constrained, progress=progress)
    for result in results.values():
        lengths = [len(p["answer"]) for p in result["predictions"] if not p["abstained"]]
        result["answer_chars"] = benchmarks.percentile(lengths, 50) if lengths else None
    return results


# ------------------------------------------------------------------------------------------ vignettes

# An answer line in one of these roles tells the reader the regimen is not for this patient (or is not a
# recommendation at all); anywhere else, unless its citation is labelled "not for this patient", naming
# an avoid-listed regimen reads as offering it.
FLAGGED_ROLES = frozenset({"avoid", "modifier", "notice", "missing", "conflict", "update"})


def evaluate_vignette_rules(path: Path) -> dict[str, Any]:
    """The rule layer's vignette metrics (evals.vignettes) and one prediction record per vignette."""
    from assistant.rules import decide, extract_facts, load_rules
    from assistant.vocabulary import load_vocabulary
    from evals.vignettes import _read, evaluate_vignettes, profile_facts

    rules_result = evaluate_vignettes(path)
    misses = {m.get("id"): {k: v for k, v in m.items() if k != "id"} for m in rules_result.get("misses", [])}
    rules, vocab = load_rules(), load_vocabulary()
    items = _read(path)
    predictions = []
    for item in items:
        extraction = extract_facts(item["text"], vocab=vocab)
        decision = decide(extraction.profile, rules, vocab)
        predictions.append({
            "id": item.get("id"),
            "expected_branch": item["expected"].get("branch"),
            "branch": decision.branch,
            "branch_correct": decision.branch == item["expected"].get("branch"),
            "overlays": list(decision.overlays),
            "options": [o.regimen for o in decision.options],
            "avoid": [a.regimen for a in decision.avoid],
            "missing_facts": [m.fact for m in decision.missing_facts],
            "facts": profile_facts(extraction.profile),
            "misses": misses.get(item.get("id"), {}),
        })
    return {"rules": rules_result, "predictions": predictions}


def evaluate_vignette_answers(items: Sequence[dict], predictions: list[dict], services: Any,
                              naive: Any) -> dict[str, dict[str, Any]]:
    """For each system's reply to the case text: avoid-listed regimens it names outside a flagged line,
    and the share of expected preferred regimens it names. Baselines' replies are their top passages.
    Adds each system's findings to the vignette's prediction record."""
    from assistant.answer.compose import answer_question
    from evals.vignettes import normalize_label

    vocab = services.vocabulary
    documents = services.retriever.documents
    reset_query_cache(services)
    repliers: dict[str, Callable[[str], Any]] = {
        name: (lambda text, ranker=ranker: passages_answer(text, ranker(text, BASELINE_ANSWER_PASSAGES),
                                                          documents, 0.0))
        for name, ranker in baseline_rankers(services, naive).items()
    }
    repliers["pipeline_unconstrained"] = lambda text: answer_question(
        "", patient_text=text, services=services, constrained=False)
    repliers["pipeline"] = lambda text: answer_question("", patient_text=text, services=services,
                                                        constrained=True)
    scopes = [_branch_scope(item["text"], services) for item in items]
    results = {}
    for system, reply in repliers.items():
        unsafe_items = unsafe_mentions = preferred_total = preferred_named = evidence = on_branch = 0
        for item, record, scope in zip(items, predictions, scopes, strict=True):
            answer = reply(item["text"])
            tagged = _evidence_on_branch(answer, scope, services.chunks_by_id)
            if tagged is not None:
                evidence += tagged[1]
                on_branch += tagged[0]
            avoid, preferred = (_codes(item["expected"].get(key), vocab, normalize_label)
                                for key in ("avoid", "preferred"))
            shown = {m.id for s in answer.sentences if not _flagged(s, answer)
                     for m in vocab.find_regimens(s.text)}
            named = {m.id for s in answer.sentences for m in vocab.find_regimens(s.text)}
            unsafe = sorted(avoid & shown)
            unsafe_items += bool(unsafe)
            unsafe_mentions += len(unsafe)
            preferred_total += len(preferred)
            preferred_named += len(preferred & named)
            record.setdefault("answers", {})[system] = {
                "status": answer.status, "avoid_named_unflagged": unsafe,
                "preferred_named": sorted(preferred & named), "preferred_missing": sorted(preferred - named)}
        results[system] = {
            "answer_unflagged_avoid_rate": unsafe_items / len(items),
            "answer_unflagged_avoid_mentions": unsafe_mentions,
            "answer_preferred_recall": preferred_named / preferred_total if preferred_total else None,
            "answer_evidence_on_branch": on_branch / evidence if evidence else None,
        }
    return results


def _branch_scope(text: str, services: Any) -> dict[str, set[str]]:
    """What "within the patient's branch" means, as the answer layer defines it (branch id, offered
    regimens, their trials), for the rule layer's decision on this case text."""
    from assistant.answer.constrain import branch_scope
    from assistant.rules import decide, extract_facts

    decision = decide(extract_facts(text, vocab=services.vocabulary).profile, services.rules,
                      services.vocabulary)
    return {field: set(values) for field, values in branch_scope(decision, services.vocabulary).items()}


def _evidence_on_branch(answer: Any, scope: dict[str, set[str]],
                        chunks: dict[str, Any]) -> tuple[int, int] | None:
    """(on-branch, all) evidence passages the reply cites: for the pipeline its supporting-evidence lines,
    for a baseline every passage. None when the passages are not index chunks (naive baseline)."""
    cited = {n for s in answer.sentences if s.role == "point" for n in s.citations}
    evidence = [chunks.get(c.chunk_id) for c in answer.citations if c.n in cited]
    if not evidence or any(chunk is None for chunk in evidence):
        return None
    inside = sum(any(set(getattr(chunk, field)) & values for field, values in scope.items())
                 for chunk in evidence)
    return inside, len(evidence)


def _flagged(sentence: Any, answer: Any) -> bool:
    """The line tells the reader it is not a recommendation for this patient: by its role, or by a
    "not for this patient" label on a citation it rests on."""
    labelled = {c.n for c in answer.citations if c.label}
    return sentence.role in FLAGGED_ROLES or bool(labelled & set(sentence.citations))


def _codes(labels: Sequence[str] | None, vocab: Any, normalize: Callable[[str, Any], str | None]) -> set[str]:
    """Regimen codes of an expected list; free-text labels that name no regimen are skipped."""
    return {code for code in (normalize(label, vocab) for label in labels or []) if code}


# ------------------------------------------------------------------------------------------ assembly

_RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr", "latency_ms")
_DROP = {"predictions", "by_type", "n_items", "ranks", "misses"}


def _numbers(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in _DROP and not isinstance(v, dict | list)}


def _merge(metrics: dict[str, Any], retrieval: dict, qa: dict, vignettes: dict) -> None:
    """Put each evaluation's numbers under systems.<system>.<section>; per-type tables beside them."""
    systems = metrics["systems"]
    # Retrieval over QA questions has no patient, hence no branch: (c) and (d) run the same search.
    retrieval_source = {"naive_langchain": "naive_langchain", "bm25": "bm25",
                        "pipeline_unconstrained": "pipeline", "pipeline": "pipeline"}
    for system, source in retrieval_source.items():
        if source in retrieval:
            result = retrieval[source]
            systems[system]["retrieval"] = {k: result[k] for k in _RETRIEVAL_KEYS if k in result}
            systems[system]["retrieval_by_type"] = {t: {**v, "n": v.get("n_items")}
                                                    for t, v in result.get("by_type", {}).items()}
    if "dense" in retrieval:
        dense = {k: retrieval["dense"][k] for k in _RETRIEVAL_KEYS}
        metrics["extra_systems"] = {"dense": {"retrieval": dense}}
    if "pipeline" in retrieval:
        metrics["item_counts"]["retrieval"] = retrieval["pipeline"]["n_items"]
    for system, result in qa.items():
        systems[system]["qa"] = _numbers(result)
        systems[system]["qa_by_type"] = {t: {**v, "n": v.get("n_items")}
                                         for t, v in result["by_type"].items()}
        metrics["item_counts"]["qa"] = result["n_items"]
    rules = _numbers(vignettes.get("rules", {}))
    for system in ("pipeline_unconstrained", "pipeline"):
        systems[system]["vignettes"] = dict(rules)
    for system, result in vignettes.get("answers", {}).items():
        systems[system].setdefault("vignettes", {}).update(_numbers(result))
    if vignettes.get("rules"):
        metrics["item_counts"]["vignettes"] = vignettes["rules"].get("n_items")
    metrics["notes"] += [
        "Retrieval is scored over the answerable QA items; those questions carry no patient, so (c) and (d) "
        "run the identical search and share one measurement. The extra dense-only ablation is in "
        "metrics.json (`extra_systems`).",
        f"QA for (a) and (b): the answer is the top {BASELINE_ANSWER_PASSAGES} passages' text and its "
        "citations are those passages; they never abstain, so their abstention accuracy is 0 by construction "
        "and their key-fact recall is helped by answer length (see the answer-length row).",
        "Vignette rule metrics (branch, overlay, fact accuracy, preferred recall, avoid violations) measure "
        "the rule layer, which (c) and (d) share; (a) and (b) have no decision layer, hence “—”. The "
        "answer-level rows ask every system about the case text itself: an avoid-listed regimen named in "
        "the reply outside a line that flags it (roles avoid / modifier / notice / missing / conflict / "
        "update, or a citation labelled “not for this patient”) counts as shown unflagged; for (a) and (b) "
        "every line "
        "is an unflagged passage. Naming is matched with the project vocabulary, so a passage that names a "
        "regimen only to reject it still counts: a conservative exposure measure, not a judgement of "
        "intent.",
    ]


def _write_predictions(out_dir: Path, retrieval: dict, qa: dict, vignettes: dict) -> None:
    for system, result in retrieval.items():
        report.write_jsonl(out_dir / f"predictions_retrieval_{system}.jsonl", result.get("predictions", []))
    for system, result in qa.items():
        report.write_jsonl(out_dir / f"predictions_qa_{system}.jsonl", result.get("predictions", []))
    report.write_jsonl(out_dir / "predictions_vignettes.jsonl", vignettes.get("predictions", []))


def run_all_benchmarks(settings: Settings, plan: benchmarks.BenchmarkPlan, services: Any,
                       qa_items: Sequence[dict], vignettes: Sequence[dict], work: Path,
                       stages: Stages) -> tuple[dict, dict]:
    """Ingest, re-ingest, cold start, warm search / decide / ask, then the corpus-size scaling runs."""
    from ingest.pipeline import build_index

    questions = [item["question"] for item in qa_items if item.get("type") != "unanswerable"]
    questions = questions or [item["question"] for item in qa_items]
    # Disjoint question sets: search must not warm the query-embedding cache that ask then reads.
    warm_questions, search_questions, ask_questions = benchmarks.split_inputs(
        questions, (plan.warmup, plan.warm_queries, plan.warm_queries))
    warm_patients, patients = benchmarks.split_inputs([item["text"] for item in vignettes],
                                                      (plan.warmup, plan.warm_queries))
    bench: dict[str, Any] = {"plan": plan.model_dump()}

    def ingest_runs() -> None:
        fresh = benchmarks.with_paths(settings, index_dir=work / "ingest-bench")
        runs = benchmarks.cold_ingest(fresh, repeats=plan.ingest_repeats)
        bench["ingest"] = {**benchmarks.ms_to_s(benchmarks.TimingStats(**runs["full"]["wall"])),
                           "peak_rss_mb": runs["full"]["peak_rss_mb"]}
        bench["reingest"] = {**benchmarks.ms_to_s(benchmarks.TimingStats(**runs["unchanged"]["wall"])),
                             "peak_rss_mb": runs["unchanged"]["peak_rss_mb"]}
        # The answer layer caches every corpus sentence's vector beside the index on its first load, so
        # the first question after a fresh ingest pays for that; later cold starts read the cache.
        if plan.first_ask_after_ingest:
            bench["first_ask_after_ingest"] = benchmarks.cold_ask(fresh, questions[0], repeats=1)
        built = build_index(fresh, progress=False)  # up to date: returns the stored report at once
        bench["ingest_report"] = {"documents": built.documents, "chunks": built.chunks,
                                  "embedding_dtype": settings.embedding_dtype}
        shutil.rmtree(work / "ingest-bench", ignore_errors=True)

    stages.run(f"benchmark: `python -m ingest`, full and unchanged, x{plan.ingest_repeats} each", ingest_runs)
    bench["cold_start"] = stages.run(
        f"benchmark: cold start x{plan.cold_start_repeats}",
        lambda: benchmarks.cold_ask(settings, questions[0], repeats=plan.cold_start_repeats), {})

    reset_query_cache(services)  # the quality stages asked these questions already
    workload = project_workload(services)
    bench["warm"] = {}
    operations = (("search", workload.search, warm_questions, search_questions),
                  ("decide", workload.decide, warm_patients, patients),
                  ("ask", workload.ask, warm_questions, ask_questions),
                  ("ask_patient", workload.ask_patient, warm_patients, patients))
    for name, fn, warm_inputs, inputs in operations:
        stats = stages.run(f"benchmark: warm {name} ({len(inputs)} inputs)",
                           lambda fn=fn, inputs=inputs, warm_inputs=warm_inputs: benchmarks.time_calls(
                               fn, inputs, warmup_inputs=warm_inputs))
        if stats is not None:
            bench["warm"][name] = stats.model_dump()
    scaling = stages.run("benchmark: scaling",
                         lambda: run_scaling(settings, plan, questions, work, stages), {})
    return bench, scaling


def project_workload(services: Any) -> benchmarks.Workload:
    """The warm operations behind `search`, `decide` and `ask`, bound to loaded services."""
    from assistant.answer.compose import answer_question
    from assistant.rules import decide, extract_facts

    def decide_text(text: str) -> Any:
        return decide(extract_facts(text, vocab=services.vocabulary).profile, services.rules,
                      services.vocabulary)

    return benchmarks.Workload(
        search=lambda q: services.retriever.search(q, k=5),
        decide=decide_text,
        ask=lambda q: answer_question(q, services=services),
        ask_patient=lambda text: answer_question("", patient_text=text, services=services),
    )


def run_scaling(settings: Settings, plan: benchmarks.BenchmarkPlan, questions: Sequence[str], work: Path,
                stages: Stages) -> dict[str, Any]:
    """Ingest the corpus replicated xN under distinct ids and time search / ask at each size."""
    from assistant.answer.services import Services
    from ingest.pipeline import build_index

    points = []
    for factor in plan.scaling_factors:
        stages.log(f"scaling: corpus x{factor}")
        corpus = benchmarks.replicate_corpus(settings.corpus_dir, work / f"corpus-x{factor}", factor)
        scaled = benchmarks.with_paths(settings, corpus_dir=corpus, index_dir=work / f"index-x{factor}",
                                       embedding_dtype=plan.scaling_dtype)
        started = time.perf_counter()
        ingest_report = build_index(scaled, force=True, progress=False)
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        # warm: embed (and cache) every corpus sentence, as the app does; the smoke plan skips it for time
        services = Services.load(scaled, build_index=False, warm=plan.scaling_warm)
        load_s = time.perf_counter() - started
        workload = project_workload(services)
        warm_questions, search_questions, ask_questions = benchmarks.split_inputs(
            questions, (plan.warmup, plan.scaling_queries, plan.scaling_queries))
        search = benchmarks.time_calls(workload.search, search_questions, warmup_inputs=warm_questions)
        ask = benchmarks.time_calls(workload.ask, ask_questions, warmup_inputs=warm_questions)
        cold = stages.run(f"scaling x{factor}: cold ask", lambda scaled=scaled: benchmarks.cold_ask(
            scaled, questions[0], repeats=1), {}) if plan.scaling_cold_start else {}
        points.append({"factor": factor, "documents": ingest_report.documents,
                       "passages": ingest_report.chunks, "ingest_s": round(ingest_s, 2),
                       "first_load_s": round(load_s, 2),
                       "index_mb": round(benchmarks.dir_mb(scaled.index_dir), 1),
                       "search": search.model_dump(), "ask": ask.model_dump(),
                       "cold_ask_ms": benchmarks.lookup_number(cold, "wall", "median_ms"),
                       "cold_peak_rss_mb": cold.get("peak_rss_mb")})
        del services, workload
        shutil.rmtree(work / f"index-x{factor}", ignore_errors=True)
    sizes = [p["passages"] for p in points]
    growth = {
        "search_median_ms": benchmarks.growth_per_x4(sizes, [p["search"]["median_ms"] for p in points]),
        "search_p95_ms": benchmarks.growth_per_x4(sizes, [p["search"]["p95_ms"] for p in points]),
        "ask_median_ms": benchmarks.growth_per_x4(sizes, [p["ask"]["median_ms"] for p in points]),
        "ask_p95_ms": benchmarks.growth_per_x4(sizes, [p["ask"]["p95_ms"] for p in points]),
        "ingest_s": benchmarks.growth_per_x4(sizes, [p["ingest_s"] for p in points]),
        "first_load_s": benchmarks.growth_per_x4(sizes, [p["first_load_s"] for p in points]),
    }
    return {"embedding_dtype": plan.scaling_dtype, "points": points,
            "growth_per_x4": {k: v for k, v in growth.items() if v is not None}}


# ------------------------------------------------------------------------------------------ CLI

def register(subparsers: argparse._SubParsersAction, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("--qa", type=Path, nargs="+", default=[DEFAULT_QA], metavar="PATH",
                        help="QA sets (JSON lines); several are evaluated as one set")
    parser.add_argument("--vignettes", type=Path, nargs="+", default=[DEFAULT_VIGNETTES], metavar="PATH",
                        help="patient vignette sets (JSON lines)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "eval", metavar="DIR",
                        help="report directory (default docs/eval)")
    parser.add_argument("--smoke", action="store_true",
                        help="CI size: 8 QA items, 8 vignettes, corpus x1/x2, 2 repetitions")
    parser.add_argument("--no-benchmarks", action="store_true", help="quality evaluations only")
    parser.add_argument("--scaling-dtype", choices=("float32", "bfloat16"), default=None,
                        help="embedding dtype of the scaling runs (default bfloat16)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    base = SuiteConfig.for_smoke() if args.smoke else SuiteConfig()
    plan = base.plan if args.scaling_dtype is None else base.plan.model_copy(
        update={"scaling_dtype": args.scaling_dtype})
    config = base.model_copy(update={
        "qa_paths": tuple(args.qa), "vignette_paths": tuple(args.vignettes), "out_dir": args.out,
        "plan": plan, "run_benchmarks": not args.no_benchmarks, "progress": not args.quiet,
    })
    for path in (*config.qa_paths, *config.vignette_paths):
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: file not found")
    try:
        metrics = run_suite(config, get_settings(), command=" ".join(["python -m evals", *sys.argv[1:]]))
    except StageFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(summary_lines(metrics, config.out_dir))
    for stage, error in metrics["errors"].items():
        print(f"FAILED stage {stage}: {error}", file=sys.stderr)
    return 1 if metrics["errors"] else 0


def summary_lines(metrics: dict[str, Any], out_dir: Path) -> str:
    lines = [f"wrote {out_dir / 'report.md'} ({metrics['runtime_s']} s)"]
    for row in metrics.get("targets", []):
        status = {True: "met", False: "NOT MET", None: "not measured"}[row["met"]]
        unit = f" {row['unit']}" if row["unit"] else ""
        required = f"{row['op']} {report.fmt(row['threshold'])}{unit}"
        lines.append(f"  {row['label']:<28} {report.fmt(row['measured']):>8}  ({required})  {status}")
    return "\n".join(lines)
