"""verify corpus -> clean -> chunk -> tag -> embed -> upsert, idempotently.

A fingerprint of (corpus hashes, chunker code and rules, tagger data, embedding model, chunk limits)
is stored beside the index. When it matches, ingest returns in well under a second without
importing torch or chromadb. Otherwise only chunks whose id (a content hash) or section changed are
embedded; chunks that no longer exist are deleted, so a changed document never leaves stale chunks.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import time
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.settings import Settings
from ingest.chunk import CHUNKER_VERSION, chunk_document
from ingest.corpus import Corpus
from ingest.models import Chunk
from ingest.tags import Tagger, tagger_version

if TYPE_CHECKING:
    from ingest.embedding import Embedder

STATE_FILE = "ingest_state.json"
_CHUNKER_MODULES = ("mapped", "clean", "blocks", "chunk", "pipeline")  # pipeline: embedding input


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


def _state_path(settings: Settings) -> Path:
    return Path(settings.index_dir) / STATE_FILE


def _read_state(settings: Settings) -> dict:
    try:
        return json.loads(_state_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def is_up_to_date(settings: Settings, corpus: Corpus | None = None) -> bool:
    """True when the stored index was built from exactly this corpus, code, data and model."""
    from ingest.index import index_exists

    corpus = corpus or Corpus(settings.corpus_dir)
    state = _read_state(settings)
    return index_exists(settings) and state.get("fingerprint") == ingest_fingerprint(corpus, settings)


def build_index(settings: Settings, *, force: bool = False, progress: bool = True) -> IngestReport:
    """Build or refresh the index under ``settings.index_dir``; a no-op when already up to date."""
    started = time.perf_counter()
    corpus = Corpus(settings.corpus_dir)
    fingerprint = ingest_fingerprint(corpus, settings)
    if not force and is_up_to_date(settings, corpus):
        stored = _read_state(settings).get("report", {})
        return IngestReport(
            **{
                **stored,
                "skipped": True,
                "embedded": 0,
                "deleted": 0,
                "seconds": time.perf_counter() - started,
            }
        )

    from ingest.embedding import load_embedder
    from ingest.index import open_for_writing

    chunks = make_chunks(corpus, settings)
    embedder = load_embedder(settings)
    index = open_for_writing(settings, embedder, recreate=force)
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
    report = IngestReport(
        index_dir=str(settings.index_dir),
        fingerprint=fingerprint,
        skipped=False,
        documents=len(corpus.docs),
        chunks=index.count(),
        chunks_by_kind=dict(Counter(c.kind for c in chunks)),
        text_chunk_chars=size_distribution([len(c.text) for c in chunks if c.kind == "text"]),
        embedded=len(to_embed),
        deleted=len(stale),
        seconds=time.perf_counter() - started,
    )
    stored = report.model_dump(exclude={"skipped", "embedded", "deleted", "seconds"})
    _state_path(settings).write_text(
        json.dumps({"fingerprint": fingerprint, "report": {**stored, "skipped": True}}, indent=2),
        encoding="utf-8",
    )
    return report


def ensure_index(settings: Settings) -> IngestReport:
    """Build the index only when it is missing or stale (what the app calls at start-up)."""
    return build_index(settings, force=False, progress=False)


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
