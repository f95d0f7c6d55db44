"""Performance benchmarks: ingest, re-ingest, cold start, warm latency, memory and corpus-size scaling.

Every timing is a median and p95 over repeated runs after warm-up, so one slow first call (lazy imports,
page cache, model JIT) does not dominate. Cold start is measured from a fresh interpreter because that is
what a user of ``python -m assistant ask`` waits for. Memory is peak RSS from the kernel's accounting
(``resource`` / ``os.wait4``), so it needs no extra dependency.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from assistant.settings import PROJECT_ROOT, Settings


class TimingStats(BaseModel):
    """Summary of repeated wall-clock samples, in milliseconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n: int = Field(ge=1)
    median_ms: float
    p95_ms: float
    min_ms: float
    max_ms: float


class BenchmarkPlan(BaseModel):
    """How much to measure. The smoke plan keeps the same shape with tiny numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    warmup: int = Field(5, ge=0, description="Untimed calls first, on inputs that are not timed afterwards.")
    warm_queries: int = Field(60, ge=1, description="Distinct inputs timed per warm operation, once each.")
    ingest_repeats: int = Field(3, ge=1)
    cold_start_repeats: int = Field(3, ge=1)
    scaling_factors: tuple[int, ...] = (1, 4, 16)
    scaling_dtype: str = Field("bfloat16", description="Embedding dtype of the scaling runs only.")
    scaling_queries: int = Field(20, ge=1, description="Distinct questions timed per operation and size.")
    scaling_cold_start: bool = Field(True, description="Also time a cold `ask` (and its RSS) at each size.")
    scaling_warm: bool = Field(True, description="Embed every corpus sentence at each size, as the app does.")
    first_ask_after_ingest: bool = Field(True, description="Time the first `ask` on a freshly built index.")


SMOKE_PLAN = BenchmarkPlan(
    warmup=1, warm_queries=3, ingest_repeats=1, cold_start_repeats=1, scaling_factors=(1, 2),
    scaling_queries=2, scaling_cold_start=False, scaling_warm=False, first_ask_after_ingest=False,
)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between samples (numpy's default)."""
    if not values:
        raise ValueError("percentile of an empty sample")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    return float(np.percentile(np.asarray(values, dtype=float), q))


def summarize_ms(samples_ms: Sequence[float]) -> TimingStats:
    return TimingStats(
        n=len(samples_ms),
        median_ms=percentile(samples_ms, 50),
        p95_ms=percentile(samples_ms, 95),
        min_ms=float(min(samples_ms)),
        max_ms=float(max(samples_ms)),
    )


def time_calls(fn: Callable[[Any], object], inputs: Sequence[Any], *,
               warmup_inputs: Sequence[Any] = ()) -> TimingStats:
    """Time ``fn(x)`` once per input, after untimed calls on ``warmup_inputs``.

    Each timed input is new to the process: repeating one would time the answer layer's query-embedding
    cache, not what a user waits for when asking something new.
    """
    if not inputs:
        raise ValueError("nothing to time: the input list is empty")
    for item in warmup_inputs:
        fn(item)
    samples = []
    for item in inputs:
        start = time.perf_counter()
        fn(item)
        samples.append((time.perf_counter() - start) * 1000)
    return summarize_ms(samples)


def split_inputs(pool: Sequence[Any], sizes: Sequence[int]) -> list[list[Any]]:
    """Consecutive disjoint slices of ``pool`` with the given sizes; shorter when the pool runs out, and
    never empty (a slice past the end reuses the pool's start: only tiny smoke sets get there)."""
    slices, start = [], 0
    for size in sizes:
        chunk = list(pool[start : start + size])
        start += size
        slices.append(chunk or list(pool[:size]))
    return slices


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class ProcessRun:
    """One child process: wall time, its own peak RSS, exit code and the tail of stderr."""

    wall_ms: float
    peak_rss_mb: float
    returncode: int
    stderr_tail: str


def run_process(argv: Sequence[str], *, env: dict[str, str], cwd: Path, timeout_s: float = 900) -> ProcessRun:
    """Run a child to completion; its peak RSS is the kernel's high-water mark of the child's own memory.

    Not ``ru_maxrss`` from ``wait4``: Linux carries the parent's high-water mark across fork + exec, so a
    child of this (large) process would report at least the parent's size. ``VmHWM`` in /proc belongs to
    the child's new address space; it is polled until exit (it only grows, so the last reading is the
    peak up to the last few milliseconds).
    """
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull, _TempStderr() as err:
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=devnull, stderr=err.handle)
        deadline = start + timeout_s
        peak_kib = 0
        while True:
            peak_kib = max(peak_kib, _vm_hwm_kib(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise TimeoutError(f"{' '.join(argv[:4])} ... did not finish in {timeout_s:.0f} s")
            time.sleep(0.01)
        wall_ms = (time.perf_counter() - start) * 1000
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for a reaped child
        peak_mb = peak_kib / 1024 if peak_kib else usage.ru_maxrss / 1024  # no /proc: best available
        return ProcessRun(wall_ms, peak_mb, proc.returncode, err.tail())


def _vm_hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class _TempStderr:
    """A temporary file for a child's stderr (a pipe could fill up and block the child)."""

    def __enter__(self) -> _TempStderr:
        import tempfile

        self.handle = tempfile.TemporaryFile()
        return self

    def tail(self, chars: int = 600) -> str:
        self.handle.seek(0)
        return self.handle.read().decode("utf-8", "replace")[-chars:]

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def replicate_corpus(source_dir: Path, target_dir: Path, factor: int) -> Path:
    """Write ``factor`` copies of the corpus under distinct doc ids, with a matching metadata.yaml.

    Copy 1 keeps the original ids; copy r >= 2 gets ids and file names suffixed ``-r<r>``. The text is
    byte-identical, so each entry's sha256 still matches its file and ingest accepts the manifest.
    """
    if factor < 1:
        raise ValueError(f"replication factor must be >= 1, got {factor}")
    manifest = yaml.safe_load((source_dir / "metadata.yaml").read_text(encoding="utf-8"))
    target_dir.mkdir(parents=True, exist_ok=True)
    documents = []
    for copy in range(1, factor + 1):
        for doc in manifest["documents"]:
            suffix = "" if copy == 1 else f"-r{copy}"
            stem, ext = os.path.splitext(doc["file"])
            entry = {**doc, "id": f"{doc['id']}{suffix}", "file": f"{stem}{suffix}{ext}"}
            shutil.copyfile(source_dir / doc["file"], target_dir / entry["file"])
            documents.append(entry)
    with open(target_dir / "metadata.yaml", "w", encoding="utf-8") as fh:
        yaml.safe_dump({**manifest, "documents": documents}, fh, sort_keys=False, allow_unicode=True)
    return target_dir


def dir_mb(path: Path) -> float:
    """Disk footprint of a directory tree (the index, with its cached sentence vectors)."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20


def with_paths(settings: Settings, **overrides: object) -> Settings:
    """A copy of ``settings`` with some fields replaced, validated again (Settings is frozen)."""
    return Settings(**{**settings.model_dump(), **overrides})


def child_env(settings: Settings) -> dict[str, str]:
    """Environment for a child ``python -m assistant``: exactly these settings (as RRMM_*), offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RRMM_")}
    for field, value in settings.model_dump().items():
        if value is not None:
            env[f"RRMM_{field.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})
    return env


def cli_runs(args: Sequence[str], settings: Settings, *, repeats: int,
             before_each: Callable[[int], None] | None = None) -> list[ProcessRun]:
    """``python -m <args>`` in a fresh interpreter, ``repeats`` times; a failed run raises with its stderr."""
    runs = []
    for i in range(repeats):
        if before_each is not None:
            before_each(i)
        run = run_process([sys.executable, "-m", *args], env=child_env(settings), cwd=PROJECT_ROOT)
        if run.returncode != 0:
            tail = " ".join(run.stderr_tail.split())
            raise RuntimeError(f"`python -m {' '.join(args[:2])}` exited with {run.returncode}: {tail}")
        runs.append(run)
    return runs


def summarize_runs(runs: Sequence[ProcessRun]) -> dict:
    return {"wall": summarize_ms([r.wall_ms for r in runs]).model_dump(),
            "peak_rss_mb": max(r.peak_rss_mb for r in runs)}


def cold_ask(settings: Settings, question: str, *, repeats: int) -> dict:
    """Wall time and peak RSS of ``python -m assistant ask QUESTION`` from a fresh interpreter."""
    return summarize_runs(cli_runs(["assistant", "ask", question], settings, repeats=repeats))


def cold_ingest(settings: Settings, *, repeats: int) -> dict:
    """``python -m ingest`` as a user runs it: a full build into an emptied index dir, then an unchanged
    re-run (which the fingerprint makes a no-op). Model loading and imports are included."""
    index_dir = Path(settings.index_dir)

    def empty(_: int) -> None:
        shutil.rmtree(index_dir, ignore_errors=True)

    full = cli_runs(["ingest", "--quiet"], settings, repeats=repeats, before_each=empty)
    unchanged = cli_runs(["ingest", "--quiet"], settings, repeats=repeats)
    return {"full": summarize_runs(full), "unchanged": summarize_runs(unchanged)}


@dataclass
class Workload:
    """The three warm operations a user triggers, bound to loaded services (built once, reused)."""

    search: Callable[[str], object]
    decide: Callable[[str], object]
    ask: Callable[[str], object]
    ask_patient: Callable[[str], object]


def lookup_number(tree: dict, *path: str) -> float | None:
    node: Any = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, int | float) else None


def ms_to_s(stats: TimingStats) -> dict:
    """Ingest-sized timings read better in seconds."""
    return {"n": stats.n, "median_s": stats.median_ms / 1000, "p95_s": stats.p95_ms / 1000,
            "min_s": stats.min_ms / 1000, "max_s": stats.max_ms / 1000}


def growth_per_x4(sizes: Sequence[float], values: Sequence[float]) -> float | None:
    """Fitted growth factor of ``values`` per 4x ``sizes`` (log-log slope), e.g. 1.3 = +30% per 4x."""
    pairs = [(s, v) for s, v in zip(sizes, values, strict=True) if s > 0 and v > 0]
    if len(pairs) < 2:
        return None
    x = np.log([s for s, _ in pairs])
    y = np.log([v for _, v in pairs])
    slope = float(np.polyfit(x, y, 1)[0])
    return float(4 ** slope)
