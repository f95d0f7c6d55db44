"""Writes one run of the suite as files a reviewer can read and a script can diff.

``report.md`` (tables, targets met / not met, the scaling conclusion), ``metrics.json`` (every number,
with the git commit and the machine), PNG plots, and per-item JSONL predictions so a regression can be
traced to the item that moved. The writer only formats: it never recomputes a metric.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from assistant.settings import PROJECT_ROOT

SYSTEMS: dict[str, str] = {
    "naive_langchain": "(a) naive LangChain RAG",
    "bm25": "(b) BM25 only",
    "pipeline_unconstrained": "(c) pipeline, no branch constraints",
    "pipeline": "(d) pipeline",
}
RATIOS: tuple[tuple[str, str], ...] = (("pipeline", "naive_langchain"), ("pipeline", "bm25"))

Direction = Literal["higher", "lower", "info"]
PLOT_FILES = ("metrics_by_system.png", "latency_vs_corpus_size.png")


class MetricInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    better: Direction = "higher"
    fraction: bool = True  # a rate in [0, 1]: plotted in the bar chart, printed with 3 decimals


METRICS: dict[str, dict[str, MetricInfo]] = {
    "retrieval": {
        "recall@1": MetricInfo(label="recall@1"),
        "recall@5": MetricInfo(label="recall@5"),
        "recall@10": MetricInfo(label="recall@10"),
        "mrr": MetricInfo(label="MRR"),
        "latency_ms": MetricInfo(label="latency per query (ms, median)", better="lower", fraction=False),
    },
    "qa": {
        "key_fact_recall": MetricInfo(label="key-fact recall"),
        "citation_precision": MetricInfo(label="citation precision"),
        "evidence_recall": MetricInfo(label="evidence recall"),
        "abstention_accuracy": MetricInfo(label="abstention accuracy (unanswerable)"),
        "false_abstention_rate": MetricInfo(label="false abstention rate", better="lower"),
        "answer_chars": MetricInfo(label="answer length (chars, median)", better="info", fraction=False),
        "latency_ms_p50": MetricInfo(label="latency p50 (ms)", better="lower", fraction=False),
        "latency_ms_p95": MetricInfo(label="latency p95 (ms)", better="lower", fraction=False),
    },
    "vignettes": {
        "branch_accuracy": MetricInfo(label="branch accuracy"),
        "overlay_accuracy": MetricInfo(label="overlay accuracy"),
        "fact_accuracy": MetricInfo(label="fact accuracy"),
        "preferred_recall": MetricInfo(label="preferred-option recall"),
        "avoid_violations": MetricInfo(label="avoid violations (count)", better="lower", fraction=False),
        "answer_unflagged_avoid_rate": MetricInfo(
            label="reply shows an avoid-listed regimen unflagged (share of cases)", better="lower"),
        "answer_unflagged_avoid_mentions": MetricInfo(
            label="avoid-listed regimens named unflagged (count)", better="lower", fraction=False),
        "answer_preferred_recall": MetricInfo(label="reply names the preferred options (recall)"),
        "answer_evidence_on_branch": MetricInfo(label="evidence passages within the patient's branch"),
    },
}
SECTION_TITLES = {"retrieval": "Retrieval", "qa": "Answers (QA)", "vignettes": "Patient vignettes"}


class Target(BaseModel):
    """A release target: where the measured value lives in metrics.json and what it must satisfy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    path: tuple[str, ...]
    op: Literal[">=", "<=", "=="]
    threshold: float
    unit: str = ""

    def check(self, value: float | None) -> bool | None:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if self.op == ">=":
            return value >= self.threshold
        if self.op == "<=":
            return value <= self.threshold
        return value == self.threshold


# The project's release targets (issue 6). Quality targets are read on system (d), the shipped pipeline.
TARGETS: tuple[Target, ...] = (
    Target(label="retrieval recall@5", path=("systems", "pipeline", "retrieval", "recall@5"), op=">=",
           threshold=0.90),
    Target(label="key-fact recall", path=("systems", "pipeline", "qa", "key_fact_recall"), op=">=",
           threshold=0.85),
    Target(label="citation precision", path=("systems", "pipeline", "qa", "citation_precision"), op=">=",
           threshold=0.90),
    Target(label="branch accuracy", path=("systems", "pipeline", "vignettes", "branch_accuracy"), op=">=",
           threshold=0.95),
    Target(label="avoid violations", path=("systems", "pipeline", "vignettes", "avoid_violations"), op="==",
           threshold=0),
    Target(label="warm ask p95", path=("benchmarks", "warm", "ask", "p95_ms"), op="<=", threshold=300,
           unit="ms"),
    Target(label="warm ask p95, patient case", path=("benchmarks", "warm", "ask_patient", "p95_ms"), op="<=",
           threshold=300, unit="ms"),
    Target(label="full ingest, `python -m ingest` (median)", path=("benchmarks", "ingest", "median_s"),
           op="<=", threshold=60, unit="s"),
)


def lookup(tree: Mapping[str, Any], path: Sequence[str]) -> Any:
    node: Any = tree
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def evaluate_targets(metrics: Mapping[str, Any], targets: Sequence[Target] = TARGETS) -> list[dict]:
    """Each target with its measured value and met (True / False / None when not measured)."""
    rows = []
    for target in targets:
        value = lookup(metrics, target.path)
        value = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        rows.append({**target.model_dump(), "path": ".".join(target.path), "measured": value,
                     "met": target.check(value)})
    return rows


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """d / a style ratio; None when either side is missing or the denominator is zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def system_ratios(systems: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    """Every shared numeric metric of (d) divided by the same metric of (a) and of (b)."""
    out: dict[str, dict[str, float | None]] = {}
    for num, den in RATIOS:
        key = f"{num}_vs_{den}"
        out[key] = {}
        for section, metrics in systems.get(num, {}).items():
            for name, value in metrics.items():
                other = systems.get(den, {}).get(section, {}).get(name)
                if _is_number(value) and _is_number(other):
                    out[key][f"{section}.{name}"] = ratio(value, other)
    return out


def git_commit(cwd: Path = PROJECT_ROOT) -> dict:
    """HEAD commit and whether the tree had uncommitted changes; commit None before the first commit."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None}


def machine_description() -> dict:
    """CPU, cores, RAM and the versions that move the numbers (read from metadata: no heavy imports)."""
    cpu = platform.processor() or platform.machine()
    flags: list[str] = []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu in (platform.processor(), platform.machine()):
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = [f for f in line.split(":", 1)[1].split() if f in ("avx2", "avx512f", "avx512_bf16",
                                                                           "amx_bf16")]
    except OSError:
        pass
    ram_gb = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        ram_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    versions = {}
    for package in ("torch", "sentence-transformers", "chromadb", "bm25s", "langchain-core",
                    "langchain-text-splitters", "langchain-chroma"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu, "cpu_flags": flags, "cores": os.cpu_count(), "ram_gb": ram_gb,
        "os": platform.platform(), "python": platform.python_version(), "packages": versions,
    }


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """One JSON object per line; returns the number of rows written."""
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
            count += 1
    return count


def write_metrics_json(path: Path, metrics: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False, default=_json_default) + "\n",
                    encoding="utf-8")


def write_report(out_dir: Path, metrics: dict[str, Any]) -> dict[str, Path]:
    """Fill in targets and ratios, then write metrics.json, the plots and report.md into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics["ratios"] = system_ratios(metrics.get("systems", {}))
    metrics["targets"] = evaluate_targets(metrics)
    files = {"metrics": out_dir / "metrics.json", "report": out_dir / "report.md"}
    files.update(write_plots(out_dir, metrics))
    written = {p.name for p in out_dir.iterdir() if p.is_file()}
    metrics["files"] = sorted(written | {"metrics.json", "report.md"})
    write_metrics_json(files["metrics"], metrics)
    files["report"].write_text(render_markdown(metrics), encoding="utf-8")
    return files


# ---------------------------------------------------------------------------------------------- markdown

def render_markdown(metrics: Mapping[str, Any]) -> str:
    lines: list[str] = ["# Evaluation and benchmark report", ""]
    lines += _header(metrics)
    lines += ["", "## Targets", "", "| Target | Measured | Required | Status |", "|---|---:|---:|---|"]
    for row in metrics.get("targets", []):
        status = {True: "met", False: "**not met**", None: "not measured"}[row["met"]]
        unit = f" {row['unit']}" if row["unit"] else ""
        required = f"{row['op']} {fmt(row['threshold'])}{unit}".replace("==", "=")
        measured = "—" if row["measured"] is None else f"{fmt(row['measured'])}{unit}"
        lines.append(f"| {row['label']} | {measured} | {required} | {status} |")
    lines += ["", "Quality targets are read on system (d), the shipped pipeline.", ""]
    lines += _systems_section(metrics)
    lines += _benchmark_section(metrics.get("benchmarks", {}))
    lines += _scaling_section(metrics.get("scaling", {}))
    errors = metrics.get("errors", {})
    if errors:
        lines += ["## Failed stages", "", "These stages raised; their numbers are missing above.", ""]
        lines += [f"- {stage}: `{_one_line(error, 300)}`" for stage, error in errors.items()] + [""]
    notes = metrics.get("notes", [])
    if notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in notes] + [""]
    stage_seconds = metrics.get("stage_seconds", {})
    if stage_seconds:
        lines += ["## Suite stages", "", "| Stage | wall time (s) |", "|---|---:|"]
        lines += [f"| {stage} | {fmt(seconds)} |" for stage, seconds in stage_seconds.items()] + [""]
    pngs = [f for f in metrics.get("files", []) if f.endswith(".png")]
    jsonl = [f for f in metrics.get("files", []) if f.endswith(".jsonl")]
    lines += ["## Files", ""]
    lines += [f"- ![{name}]({name})" for name in pngs]
    lines += [f"- [`{name}`]({name})" for name in jsonl]
    lines += ["- [`metrics.json`](metrics.json): every number above, machine-readable.", ""]
    return "\n".join(lines)


def _header(metrics: Mapping[str, Any]) -> list[str]:
    git = metrics.get("git", {})
    commit = git.get("commit") or "no commit yet"
    if git.get("dirty"):
        commit += " (+ uncommitted changes)"
    machine = metrics.get("machine", {})
    packages = ", ".join(f"{k} {v}" for k, v in machine.get("packages", {}).items() if v)
    lines = [
        f"- Generated: {metrics.get('generated', '?')}; mode: **{metrics.get('mode', '?')}**; "
        f"suite wall time: {fmt(metrics.get('runtime_s'))} s",
        f"- Commit: `{commit}`",
        f"- Command: `{metrics.get('command') or 'run_suite() from Python'}`",
        f"- Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
        f"{machine.get('ram_gb', '?')} GB RAM, {machine.get('os', '?')}, Python {machine.get('python', '?')}",
        f"- Packages: {packages}",
    ]
    for kind, sets in metrics.get("inputs", {}).items():
        described = "; ".join(f"`{s['path']}` ({s['n_used']} of {s['n_items']} items)" for s in sets)
        lines.append(f"- {kind} sets: {described}")
    return lines


def _systems_section(metrics: Mapping[str, Any]) -> list[str]:
    systems = metrics.get("systems", {})
    descriptions = metrics.get("system_descriptions", {})
    lines = ["## Systems", ""]
    for key, label in SYSTEMS.items():
        lines.append(f"- **{label}**: {descriptions.get(key, '')}".rstrip())
    lines.append("")
    ratios = metrics.get("ratios", {})
    ratio_keys = [f"{n}_vs_{d}" for n, d in RATIOS]
    header = ["Metric", "better", *SYSTEMS.values(), *(_ratio_label(k) for k in ratio_keys)]
    for section, known in METRICS.items():
        present = _metric_names(systems, section, known)
        if not present:
            continue
        counts = metrics.get("item_counts", {}).get(section)
        title = SECTION_TITLES.get(section, section)
        lines += [f"### {title}" + (f" (n = {counts})" if counts else ""), ""]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" + "---|" + "---:|" * (len(header) - 2)]
        for name in present:
            info = known.get(name, MetricInfo(label=name, better="info", fraction=False))
            cells = [info.label, {"higher": "↑", "lower": "↓", "info": ""}[info.better]]
            cells += [fmt(systems.get(s, {}).get(section, {}).get(name)) for s in SYSTEMS]
            cells += [_fmt_ratio(ratios.get(k, {}).get(f"{section}.{name}")) for k in ratio_keys]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        by_type = _by_type_rows(systems, section)
        if by_type:
            lines += by_type
    lines.append("“—” = not applicable to that system (see Notes) or not measured.")
    lines.append("")
    return lines


def _by_type_rows(systems: Mapping[str, Any], section: str) -> list[str]:
    """Per question type, the headline metric of the section for every system."""
    headline = {"retrieval": "recall@5", "qa": "key_fact_recall"}.get(section)
    by_type = {s: systems.get(s, {}).get(f"{section}_by_type", {}) for s in SYSTEMS}
    types = sorted({t for per in by_type.values() for t in per})
    if not headline or not types:
        return []
    lines = [f"{SECTION_TITLES[section]}: {headline} by question type", "",
             "| Type | n | " + " | ".join(SYSTEMS.values()) + " |", "|---|---:|" + "---:|" * len(SYSTEMS)]
    for kind in types:
        n = next((per[kind].get("n") for per in by_type.values() if kind in per), None)
        cells = [fmt(by_type[s].get(kind, {}).get(headline)) for s in SYSTEMS]
        lines.append(f"| {kind} | {n if n is not None else '—'} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _benchmark_section(bench: Mapping[str, Any]) -> list[str]:
    if not bench:
        return []
    lines = ["## Benchmarks", "",
             "Median and p95 over repeated runs. `python -m ...` rows are fresh interpreters (imports and "
             "model load included), as a user runs them. Warm rows call the loaded services in-process, "
             "after warm-up calls on other inputs; every timed input is new to the process, so no query "
             "cache is hit.", "",
             "| Measure | median | p95 | runs |", "|---|---:|---:|---:|"]
    rows = [
        ("full ingest into an empty index, `python -m ingest` (s)", bench.get("ingest"), "s"),
        ("unchanged re-ingest, `python -m ingest` (s)", bench.get("reingest"), "s"),
        ("first answer after a fresh ingest, `python -m assistant ask` (ms)",
         lookup(bench, ["first_ask_after_ingest", "wall"]), "ms"),
        ("cold start to first answer, `python -m assistant ask` (ms)", lookup(bench, ["cold_start", "wall"]),
         "ms"),
        ("warm search (ms)", lookup(bench, ["warm", "search"]), "ms"),
        ("warm decide (ms)", lookup(bench, ["warm", "decide"]), "ms"),
        ("warm ask, factual question (ms)", lookup(bench, ["warm", "ask"]), "ms"),
        ("warm ask, patient case (ms)", lookup(bench, ["warm", "ask_patient"]), "ms"),
    ]
    for label, stats, unit in rows:
        if stats:
            median, p95 = fmt(stats.get(f"median_{unit}")), fmt(stats.get(f"p95_{unit}"))
            lines.append(f"| {label} | {median} | {p95} | {stats.get('n', '—')} |")
    lines += ["", "| Memory | peak RSS (MB) |", "|---|---:|"]
    memory = (("`python -m ingest` process, full build", ("ingest", "peak_rss_mb")),
              ("`python -m assistant ask` process, cold", ("cold_start", "peak_rss_mb")),
              ("suite process (all evaluations and the largest scaled index)", ("suite_peak_rss_mb",)))
    for label, key in memory:
        value = lookup(bench, list(key))
        if value is not None:
            lines.append(f"| {label} | {fmt(value)} |")
    extra = bench.get("ingest_report")
    if extra:
        lines += ["", "Ingest: " + ", ".join(f"{k} = {fmt(v)}" for k, v in extra.items())]
    return [*lines, ""]


def _scaling_section(scaling: Mapping[str, Any]) -> list[str]:
    points = scaling.get("points", [])
    if not points:
        return []
    lines = ["## Scaling with corpus size", "",
             f"The corpus replicated under distinct document ids; embedding dtype "
             f"`{scaling.get('embedding_dtype', '?')}` for these runs.", "",
             "| Corpus | documents | passages | index on disk (MB) | ingest (s) | first load (s) | "
             "search median / p95 (ms) | ask median / p95 (ms) | cold ask (s) | cold ask peak RSS (MB) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in points:
        lines.append(
            f"| ×{p['factor']} | {p.get('documents', '—')} | {p.get('passages', '—')} "
            f"| {fmt(p.get('index_mb'))} "
            f"| {fmt(p.get('ingest_s'))} | {fmt(p.get('first_load_s'))} "
            f"| {fmt(lookup(p, ['search', 'median_ms']))} / {fmt(lookup(p, ['search', 'p95_ms']))} "
            f"| {fmt(lookup(p, ['ask', 'median_ms']))} / {fmt(lookup(p, ['ask', 'p95_ms']))} "
            f"| {fmt(p['cold_ask_ms'] / 1000 if _is_number(p.get('cold_ask_ms')) else None)} "
            f"| {fmt(p.get('cold_peak_rss_mb'))} |")
    conclusion = scaling_conclusion(scaling)
    return [*lines, "", "Ingest = chunk + embed + write the index (in-process, model loaded); first load = "
            "open the index and embed every corpus sentence for answer selection (cached beside the index "
            "afterwards).", "", f"**Conclusion:** {conclusion}", ""]


def scaling_conclusion(scaling: Mapping[str, Any]) -> str:
    """One sentence per measure: its fitted growth per 4x corpus and what kind of growth that is."""
    growth = scaling.get("growth_per_x4", {})
    points = sorted(scaling.get("points", []), key=lambda p: p["factor"])
    if not growth or len(points) < 2:
        return "Not enough corpus sizes to fit a trend."
    parts = []
    for key, label in (("search_median_ms", "warm search median"), ("ask_median_ms", "warm ask median"),
                       ("ask_p95_ms", "warm ask p95"), ("ingest_s", "ingest time"),
                       ("first_load_s", "first load")):
        g = growth.get(key)
        if g is not None:
            parts.append(f"{label} ×{g:.2f} ({_growth_kind(g)})")
    span = f"×{points[0]['factor']}–×{points[-1]['factor']}"
    text = f"Per ×4 corpus (log-log fit over {span}): " + ", ".join(parts) + "."
    largest = points[-1]
    if lookup(largest, ["ask", "p95_ms"]) is not None:
        text += (f" At ×{largest['factor']} ({largest.get('passages', '?')} passages) warm ask p95 is "
                 f"{fmt(lookup(largest, ['ask', 'p95_ms']))} ms.")
    return text


def _growth_kind(per_x4: float) -> str:
    """Linear growth is ×4 per ×4 corpus; the words say where a measured factor sits."""
    if per_x4 < 1.3:
        return "nearly flat"
    if per_x4 < 3.0:
        return "sub-linear"
    if per_x4 <= 5.0:
        return "about linear"
    return "super-linear"


# ------------------------------------------------------------------------------------------------ plots

def write_plots(out_dir: Path, metrics: Mapping[str, Any]) -> dict[str, Path]:
    """Bar chart of rate metrics per system and latency vs corpus size (Agg backend: no display)."""
    import matplotlib

    matplotlib.use("Agg")
    files = {}
    bars = _plot_metric_bars(out_dir / PLOT_FILES[0], metrics.get("systems", {}))
    if bars:
        files["metrics_plot"] = bars
    scaling = _plot_scaling(out_dir / PLOT_FILES[1], metrics.get("scaling", {}))
    if scaling:
        files["scaling_plot"] = scaling
    return files


_COLORS = {"naive_langchain": "#9e9e9e", "bm25": "#e0a040", "pipeline_unconstrained": "#7fb3d5",
           "pipeline": "#1f5f99"}


def _plot_metric_bars(path: Path, systems: Mapping[str, Any]) -> Path | None:
    """One row per section, a group of four bars (one per system) per metric; n/a where not applicable."""
    import matplotlib.pyplot as plt

    panels = []
    for section, known in METRICS.items():
        names = [n for n in _metric_names(systems, section, known)
                 if known.get(n, MetricInfo(label=n, fraction=False)).fraction]
        if names:
            panels.append((section, names))
    if not panels:
        return None
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 3.3 * len(panels) + 0.8), squeeze=False)
    bar_w = 0.8 / len(SYSTEMS)
    for ax, (section, names) in zip(axes[:, 0], panels, strict=True):
        for i, system in enumerate(SYSTEMS):
            values = [systems.get(system, {}).get(section, {}).get(n) for n in names]
            xs = [j + (i - (len(SYSTEMS) - 1) / 2) * bar_w for j in range(len(names))]
            heights = [v if _is_number(v) else 0 for v in values]
            rects = ax.bar(xs, heights, bar_w * 0.95, color=_COLORS[system], label=SYSTEMS[system])
            for rect, value in zip(rects, values, strict=True):
                text = f"{value:.2f}" if _is_number(value) else "n/a"
                ax.annotate(text, (rect.get_x() + rect.get_width() / 2, rect.get_height()),
                            xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=7,
                            color="black" if _is_number(value) else "#888888")
        ax.set_xticks(range(len(names)))
        labels = [METRICS[section][n].label if n in METRICS[section] else n for n in names]
        lower = {n for n in names if n in METRICS[section] and METRICS[section][n].better == "lower"}
        ax.set_xticklabels([_wrap(label + (" (lower is better)" if n in lower else ""), 20)
                            for label, n in zip(labels, names, strict=True)], fontsize=9)
        ax.set_xlim(-0.6, max(len(names), 3) - 0.4)
        ax.set_ylim(0, 1.15)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(SECTION_TITLES.get(section, section), fontsize=11, loc="left")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(SYSTEMS), frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, 0.995))
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / (3.3 * len(panels) + 0.8)))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_scaling(path: Path, scaling: Mapping[str, Any]) -> Path | None:
    """Latency (linear axis from 0, so growth is not exaggerated) and ingest time vs index size."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FormatStrFormatter, LogLocator, NullLocator

    points = sorted(scaling.get("points", []), key=lambda p: p["factor"])
    if not points:
        return None
    has_passages = all(p.get("passages") for p in points)
    xs = [p["passages"] if has_passages else p["factor"] for p in points]
    ticks = [f"{p['passages']}\n(×{p['factor']})" if has_passages else f"×{p['factor']}" for p in points]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
    for key, stat, style, label in (("search", "median_ms", "o-", "search median"),
                                    ("search", "p95_ms", "o--", "search p95"),
                                    ("ask", "median_ms", "s-", "ask median"),
                                    ("ask", "p95_ms", "s--", "ask p95")):
        ys = [lookup(p, [key, stat]) for p in points]
        if all(_is_number(y) for y in ys):
            left.plot(xs, ys, style, label=label, color="#1f5f99" if key == "ask" else "#e0a040")
    left.set_ylim(bottom=0)
    left.set_ylabel("warm latency (ms)")
    left.set_title("Query latency vs corpus size")
    left.legend(fontsize=8, loc="best")
    left.margins(x=0.12)
    plotted: list[float] = []
    for key, style, color, label in (("ingest_s", "d-", "#555555", "ingest (chunk + embed + write)"),
                                     ("first_load_s", "^-", "#8e44ad", "first load (embed all sentences)")):
        values = [p.get(key) for p in points]
        if not all(_is_number(v) for v in values):
            continue
        right.plot(xs, values, style, color=color, label=label)
        for x, v in zip(xs, values, strict=True):
            right.annotate(f"{v:.1f} s", (x, v), xytext=(6, -4), textcoords="offset points", fontsize=8,
                           va="top", color=color)
        plotted += values
    if plotted:
        # log-log: linear growth is a straight line of slope 1; label the measured values, not decades
        right.set_yscale("log")
        right.yaxis.set_major_formatter(FormatStrFormatter("%.0f"))
        right.yaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
        right.yaxis.set_minor_formatter(FormatStrFormatter("%.0f"))
        right.margins(x=0.12, y=0.15)
        right.legend(fontsize=8, loc="upper left")
    right.set_ylabel("seconds (log scale)")
    right.set_title(f"Build time (embedding dtype {scaling.get('embedding_dtype', '?')})")
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(FixedLocator(xs))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels(ticks, fontsize=8)
        ax.set_xlabel("passages in the index (replication)" if has_passages else "corpus replication")
        ax.grid(alpha=0.3)
    fig.text(0.5, 0.01, _wrap(scaling_conclusion(scaling), 140), ha="center", va="bottom", fontsize=8.5)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ------------------------------------------------------------------------------------------------ helpers

def _metric_names(systems: Mapping[str, Any], section: str, known: Mapping[str, MetricInfo]) -> list[str]:
    """Known metrics first in their fixed order, then any extra numeric metric a system reported."""
    seen = {n for s in systems.values() for n, v in s.get(section, {}).items() if _is_number(v)}
    return [n for n in known if n in seen] + sorted(seen - set(known))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 10:
            return f"{value:.0f}"
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3f}" if abs(value) < 1 or value == 1 else f"{value:.2f}"
    return str(value)


def _fmt_ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}×" if abs(value) >= 100 else f"{value:.2f}×"


def _one_line(text: str, limit: int) -> str:
    text = " ".join(str(text).split()).replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ratio_label(key: str) -> str:
    num, den = key.split("_vs_")
    return f"{SYSTEMS[num][:3]} / {SYSTEMS[den][:3]}"


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _json_default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
