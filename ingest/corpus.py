"""The verified corpus: the five source texts exactly as printed, checked against ``metadata.yaml``.

Every citation points at a line range of these files, so ingest refuses to run on a text whose
sha256 differs from the manifest: a silently edited source would make citations lie.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import ValidationError

from ingest.models import DocumentMeta

MANIFEST = "metadata.yaml"


class CorpusError(Exception):
    """The corpus on disk does not match its manifest (missing file, wrong hash, unknown id)."""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Corpus:
    """The manifest's documents, their hashes verified at construction, and their printed lines."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.docs: dict[str, DocumentMeta] = _load_manifest(self.corpus_dir)
        self._verify_files()

    def _verify_files(self) -> None:
        for meta in self.docs.values():
            path = self.corpus_dir / meta.file
            if not path.is_file():
                raise CorpusError(f"{path}: listed in {MANIFEST} as '{meta.id}' but the file is missing")
            actual = sha256_of(path)
            if actual != meta.sha256:
                raise CorpusError(
                    f"{path}: sha256 mismatch for document '{meta.id}': expected {meta.sha256}, "
                    f"found {actual}. The corpus must stay unchanged; valid ids: {', '.join(self.docs)}"
                )

    @cached_property
    def fingerprint(self) -> str:
        """One hash over all (id, sha256) pairs: changes iff any document or the id set changes."""
        joined = "\n".join(f"{doc_id}:{meta.sha256}" for doc_id, meta in sorted(self.docs.items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]

    def meta(self, doc_id: str) -> DocumentMeta:
        try:
            return self.docs[doc_id]
        except KeyError:
            raise CorpusError(f"unknown document id '{doc_id}'; valid ids: {', '.join(self.docs)}") from None

    def lines(self, doc_id: str) -> list[str]:
        """The document's lines as printed (1-based line n is ``lines(doc)[n - 1]``), no newlines."""
        return list(self._lines(doc_id))

    def _lines(self, doc_id: str) -> tuple[str, ...]:
        cache = self.__dict__.setdefault("_line_cache", {})
        if doc_id not in cache:
            text = (self.corpus_dir / self.meta(doc_id).file).read_text(encoding="utf-8")
            cache[doc_id] = tuple(text.split("\n"))
        return cache[doc_id]

    def printed(self, doc_id: str, line_start: int, line_end: int) -> str:
        """The passage exactly as printed: source lines ``line_start..line_end`` (1-based, inclusive)."""
        lines = self._lines(doc_id)
        if not 1 <= line_start <= line_end <= len(lines):
            raise CorpusError(f"line range {line_start}-{line_end} is outside '{doc_id}' (1-{len(lines)})")
        return "\n".join(lines[line_start - 1 : line_end])


def _load_manifest(corpus_dir: Path) -> dict[str, DocumentMeta]:
    path = corpus_dir / MANIFEST
    if not path.is_file():
        raise CorpusError(f"{path}: corpus manifest not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = [DocumentMeta(**entry) for entry in raw.get("documents", [])]
    except (yaml.YAMLError, TypeError, ValidationError) as exc:
        raise CorpusError(f"{path}: invalid manifest: {exc}") from exc
    if not entries:
        raise CorpusError(f"{path}: the manifest lists no documents")
    docs: dict[str, DocumentMeta] = {}
    for meta in entries:
        if meta.id in docs:
            raise CorpusError(f"{path}: duplicate document id '{meta.id}'")
        docs[meta.id] = meta
    listed = {meta.file for meta in entries}
    unlisted = sorted(p.name for p in corpus_dir.glob("*.txt") if p.name not in listed)
    if unlisted:
        raise CorpusError(
            f"{corpus_dir}: {', '.join(unlisted)} not listed in {MANIFEST}; valid ids: {', '.join(docs)}"
        )
    return docs
