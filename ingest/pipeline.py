"""verify corpus -> clean -> chunk -> tag -> embed -> upsert, idempotently.

A fingerprint of (corpus hashes, chunker code and rules, tagger data, embedding model, chunk limits)
is stored beside the index. When it matches, ingest returns in well under a second without
importing torch or chromadb. Otherwise only chunks whose id (a content hash) or section changed are
embedded; chunks that no longer exist are deleted, so a changed document never leaves stale chunks.

Every build happens aside and is swapped in, one at a time (``ingest.atomic``, ``ingest.lock``), and an
index is trusted only after a health check (``ingest.health``): a killed, concurrent or failed ingest
never leaves a broken index in place, and a damaged one is rebuilt without manual cleanup.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import statistics
import sys
import time
from collections import Counter
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.settings import Settings
from ingest.atomic import (
    carry_over,
    copy_index,
    is_storage_error,
    leftovers,
    new_build_dir,
    recover,
    storage_errors,
    swap,
    write_error,
    write_state,
)
from ingest.chunk import CHUNKER_VERSION, chunk_document
from ingest.corpus import Corpus
from ingest.errors import IndexWriteError
from ingest.health import IndexHealth, check_index, read_state
from ingest.lock import ingest_lock, try_lock
from ingest.models import Chunk
from ingest.tags import Tagger, tagger_version

if TYPE_CHECKING:
    from ingest.embedding import Embedder

log = logging.getLogger(__name__)

_CHUNKER_MODULES = ("mapped", "clean", "blocks", "chunk", "pipeline")  # pipeline: embedding input
# How long a reader (app, CLI) waits for another process's build before saying so: a full build takes
# about a minute on a laptop CPU, several on a loaded 2-core machine.
ENSURE_WAIT_S = 300.0


class IngestReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    index_dir: str
    fingerprint: str
    skipped: bool
    documents: int
    chunks: int
    chunks_by_kind: dict[str, int]
    text_chunk_chars: dict[str, float]  # median, p90, max of text chunks (characters)
    embedded: int = 0
    deleted: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.chunks_by_kind.items()))
        sizes = self.text_chunk_chars
        status = (
            "up to date, skipped" if self.skipped else f"embedded {self.embedded}, deleted {self.deleted}"
        )
        return (
            f"ingest: {self.documents} documents, {self.chunks} chunks ({kinds}); text chunk chars "
            f"median {sizes.get('median', 0):.0f} / p90 {sizes.get('p90', 0):.0f} / "
            f"max {sizes.get('max', 0):.0f}; "
            f"{status}; {self.seconds:.1f} s -> {self.index_dir}"
        )


def chunker_version() -> str:
    """CHUNKER_VERSION plus a hash of the cleaning/chunking code and rule data: edits force a rebuild."""
    digest = hashlib.sha256(CHUNKER_VERSION.encode())
    package = resources.files("ingest")
    for name in _CHUNKER_MODULES:
        digest.update(package.joinpath(f"{name}.py").read_bytes())
    digest.update(package.joinpath("data", "noise.yaml").read_bytes())
    return f"{CHUNKER_VERSION}+{digest.hexdigest()[:12]}"


def ingest_fingerprint(corpus: Corpus, settings: Settings) -> str:
    parts = [
        corpus.fingerprint,
        chunker_version(),
        tagger_version(),
        settings.embedding_model,
        settings.embedding_dtype,
        str(settings.chunk_target_chars),
        str(settings.chunk_max_chars),
        settings.collection,
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def make_chunks(corpus: Corpus, settings: Settings, tagger: Tagger | None = None) -> list[Chunk]:
    """Every tagged chunk of the corpus, in document and reading order (no model needed)."""
    tagger = tagger or Tagger()
    chunks: list[Chunk] = []
    for doc_id, meta in corpus.docs.items():
        chunks.extend(tagger.tag(chunk) for chunk in chunk_document(meta, corpus.lines(doc_id), settings))
    seen: set[str] = set()
    unique = []
    for chunk in chunks:  # identical text at the same line would hash alike; keep one
        if chunk.id not in seen:
            seen.add(chunk.id)
            unique.append(chunk)
    return unique


def embedding_input(chunk: Chunk) -> str:
    """What is embedded: the section title gives a paragraph its context ("Salvage ASCT: ...").

    A table is embedded as caption + row labels + legend: the model reads only its first 256 word
    pieces, which for a raw table would be the header and a few rows of numbers.
    """
    if chunk.kind == "table":
        return table_summary(chunk)
    text = caption_summary(chunk.text) if chunk.kind == "caption" else chunk.text
    return f"{chunk.section}\n{text}" if chunk.section else text


_DEFINITION = re.compile(r"^[A-Z][\w+/-]*(=|: )")


def caption_summary(text: str) -> str:
    """Figure title and notes ("*Consider salvage auto-transplantation ...") before the legend's
    abbreviation definitions, so they fall inside the model's 256-word-piece window."""
    sentences = re.split(r"(?<=\.)\s+", text)
    notes = [s for s in sentences if not _DEFINITION.match(s)]
    definitions = [s for s in sentences if _DEFINITION.match(s)]
    return " ".join(notes + definitions)


def embed_key(chunk: Chunk) -> str:
    """Hash of the exact text a chunk's vector is computed from (stored as Chroma metadata)."""
    return hashlib.sha256(embedding_input(chunk).encode()).hexdigest()[:16]


def table_summary(chunk: Chunk) -> str:
    lines = [line.strip() for line in chunk.text.split("\n") if line.strip()]
    captions = [line for line in lines if re.match(r"^Table\s+\d", line)]
    legends = [line for line in lines if re.match(r"^(Abbreviations|[*†‡§])", line) or line.count("=") >= 2]
    labels: list[str] = []
    for line in lines:
        if line in captions or line in legends:
            continue
        cells = line.split(" | ")
        if len(cells) > 1:  # row label, plus the regimen column when it is words ("Castor | D-VD vs VD")
            label = cells[0] + (f" {cells[1]}" if re.search(r"[A-Za-z]{2}", cells[1]) else "")
        else:
            label = " ".join(line.split()[:4])
        if label and not re.fullmatch(r"[\d.,;:()%–\- ]+|NA|N/A|NR|UK|\.\.", label) and label not in labels:
            labels.append(label)
    parts = [*captions, "Rows: " + "; ".join(labels), *legends]
    return "\n".join(part for part in parts if part)


def index_health(settings: Settings, corpus: Corpus | None = None) -> IndexHealth:
    """Whether the index is complete, readable and built from exactly this corpus, code, data and model."""
    corpus = corpus or Corpus(settings.corpus_dir)
    return check_index(Path(settings.index_dir), settings.collection, ingest_fingerprint(corpus, settings))


def is_up_to_date(settings: Settings, corpus: Corpus | None = None) -> bool:
    return index_health(settings, corpus).ok


def build_index(
    settings: Settings, *, force: bool = False, progress: bool = True, wait_s: float = 0.0
) -> IngestReport:
    """Build or refresh the index under ``settings.index_dir``; a no-op when it is sound and current.

    The build happens aside and is swapped in (``ingest.atomic``), under the ingest lock (``ingest.lock``):
    waits up to ``wait_s`` seconds for another process's build, then raises ``IngestBusy``. A damaged
    index is rebuilt from scratch; a sound but stale one is updated incrementally; ``force`` rebuilds.
    Raises ``IndexWriteError`` when the directory cannot be written (the old index is left intact).
    """
    started = time.perf_counter()
    corpus = Corpus(settings.corpus_dir)
    fingerprint = ingest_fingerprint(corpus, settings)
    index_dir = Path(settings.index_dir)
    if not force and check_index(index_dir, settings.collection, fingerprint).ok:
        _tidy_leftovers(index_dir, settings.collection)
        return _skipped_report(index_dir, started)
    with ExitStack() as held:
        with storage_errors(index_dir):  # the lock file itself cannot be created
            held.enter_context(ingest_lock(index_dir, wait_s=wait_s))
        _recover(index_dir, settings.collection)
        health = check_index(index_dir, settings.collection, fingerprint)
        if health.ok and not force:  # another process built it while this one waited for the lock
            return _skipped_report(index_dir, started)
        if health.status == "damaged":
            log.warning("the index in %s is damaged (%s): rebuilding it from scratch", index_dir,
                        health.reason)
        incremental = health.status in ("ok", "stale") and not force
        return _build_aside(settings, corpus, fingerprint, incremental=incremental, progress=progress,
                            started=started)


def ensure_index(settings: Settings, *, wait_s: float = ENSURE_WAIT_S) -> IngestReport:
    """Build the index only when it is missing, damaged or stale (what the app calls at start-up).

    If another process is building it, wait for that build (bounded) rather than start a second one.
    """
    return build_index(settings, force=False, progress=False, wait_s=wait_s)


def _skipped_report(index_dir: Path, started: float) -> IngestReport:
    stored = (read_state(index_dir) or {}).get("report", {})
    return IngestReport(
        **{
            **stored,
            "index_dir": str(index_dir),  # the stored one may name the build directory it was made in
            "skipped": True,
            "embedded": 0,
            "deleted": 0,
            "seconds": time.perf_counter() - started,
        }
    )


def _recover(index_dir: Path, collection: str) -> None:
    """Under the lock: finish or clean up after an interrupted ingest (see ``ingest.atomic.recover``)."""
    with storage_errors(index_dir):
        notes = recover(index_dir, collection)
    for note in notes:
        log.warning("index %s: %s", index_dir, note)
    if notes:
        _forget_cached_client(index_dir)


def _tidy_leftovers(index_dir: Path, collection: str) -> None:
    """On the fast path: remove a killed ingest's leftovers if no build is running (else leave them)."""
    if not leftovers(index_dir):
        return
    lock = try_lock(index_dir)
    if lock is None:
        return
    try:
        for note in recover(index_dir, collection):
            log.warning("index %s: %s", index_dir, note)
    except OSError as exc:  # cleaning is best effort: the index itself is sound
        log.warning("index %s: leftovers not removed (%s)", index_dir, exc)
    finally:
        lock.release()


def _build_aside(
    settings: Settings, corpus: Corpus, fingerprint: str, *, incremental: bool, progress: bool, started: float
) -> IngestReport:
    """Build in a sibling directory (a copy of the current index when ``incremental``), then swap it in."""
    index_dir = Path(settings.index_dir)
    with storage_errors(index_dir):
        build_dir = new_build_dir(index_dir)
    try:
        if incremental:
            copy_index(index_dir, build_dir)
        else:
            carry_over(index_dir, build_dir)
        build_settings = settings.model_copy(update={"index_dir": build_dir})
        report = _write_index(build_settings, corpus, fingerprint, progress, started, final_dir=index_dir)
        verdict = check_index(build_dir, settings.collection, fingerprint)  # never swap in a broken index
        if verdict.ok:
            swap(build_dir, index_dir)
    except BaseException as exc:  # the build directory never outlives a failed build, whatever failed
        shutil.rmtree(build_dir, ignore_errors=True)
        if isinstance(exc, OSError) and is_storage_error(exc):
            raise write_error(index_dir, exc) from exc
        if _is_chroma_storage_failure(exc):
            raise IndexWriteError(
                f"cannot write the index in {index_dir.parent}: {exc}; the existing index is unchanged"
            ) from exc
        raise
    if not verdict.ok:
        shutil.rmtree(build_dir, ignore_errors=True)
        if not incremental:
            raise RuntimeError(f"the index built for {index_dir} failed its check ({verdict.reason}); "
                               "the existing index was left in place")
        log.warning("the updated copy of %s failed its check (%s): rebuilding from scratch", index_dir,
                    verdict.reason)
        return _build_aside(settings, corpus, fingerprint, incremental=False, progress=progress,
                            started=started)
    _forget_cached_client(index_dir)
    return report.model_copy(update={"seconds": time.perf_counter() - started})


def _write_index(
    settings: Settings, corpus: Corpus, fingerprint: str, progress: bool, started: float, *, final_dir: Path
) -> IngestReport:
    """Embed what changed into the index at ``settings.index_dir`` (the build directory, to be swapped
    into ``final_dir``); the state file last."""
    from ingest.embedding import load_embedder
    from ingest.index import open_for_writing

    chunks = make_chunks(corpus, settings)
    embedder = load_embedder(settings)
    index = open_for_writing(settings, embedder)
    try:
        existing = index.embed_keys()
        keys = {c.id: embed_key(c) for c in chunks}
        stale = sorted(set(existing) - set(keys))
        index.delete(stale)
        to_embed = [c for c in chunks if existing.get(c.id) != keys[c.id]]
        to_retag = [c for c in chunks if existing.get(c.id) == keys[c.id]]
        vectors = _embed(embedder, to_embed, progress)
        index.upsert(to_embed, vectors, [keys[c.id] for c in to_embed])
        index.update_metadata(to_retag, [keys[c.id] for c in to_retag])
        index.set_metadata(
            {
                "embedding_model": embedder.model_name,
                "embedding_dimension": embedder.dimension,
                "embedding_dtype": embedder.dtype,
                "corpus_fingerprint": corpus.fingerprint,
                "chunker_version": chunker_version(),
                "tagger_version": tagger_version(),
                "ingest_fingerprint": fingerprint,
            }
        )
        stored_chunks = index.count()
    finally:
        index.close()
    report = IngestReport(
        index_dir=str(final_dir),
        fingerprint=fingerprint,
        skipped=False,
        documents=len(corpus.docs),
        chunks=stored_chunks,
        chunks_by_kind=dict(Counter(c.kind for c in chunks)),
        text_chunk_chars=size_distribution([len(c.text) for c in chunks if c.kind == "text"]),
        embedded=len(to_embed),
        deleted=len(stale),
        seconds=time.perf_counter() - started,
    )
    stored = report.model_dump(exclude={"skipped", "embedded", "deleted", "seconds"})
    write_state(
        Path(settings.index_dir),
        json.dumps({"fingerprint": fingerprint, "report": {**stored, "skipped": True}}, indent=2),
    )
    return report


def _forget_cached_client(index_dir: Path) -> None:
    """Chroma's per-path client cache only exists once chromadb is imported; never import it for this."""
    if "chromadb" in sys.modules:
        from ingest.index import forget_cached_client

        forget_cached_client(index_dir)


def _is_chroma_storage_failure(exc: BaseException) -> bool:
    if "chromadb" not in sys.modules:
        return False
    from ingest.index import is_storage_failure

    return is_storage_failure(exc)


def _embed(embedder: Embedder, chunks: list[Chunk], progress: bool) -> np.ndarray:
    """One encode call: sentence-transformers sorts all texts by length, so batches pad little.
    Its tqdm bar ("Batches") is the progress bar of the embedding step."""
    return embedder.embed_documents([embedding_input(c) for c in chunks], progress=progress)


def size_distribution(sizes: list[int]) -> dict[str, float]:
    if not sizes:
        return {"median": 0.0, "p90": 0.0, "max": 0.0}
    ordered = sorted(sizes)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median": float(statistics.median(ordered)), "p90": float(p90), "max": float(ordered[-1])}
