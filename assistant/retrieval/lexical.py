"""BM25 over chunk texts (``bm25s`` + PyStemmer), with a tokeniser that keeps clinical tokens whole.

Generic tokenisers split "t(11;14)", "del(17p)", "18.7" and "Isa-Kd" into fragments that match
everywhere; here those survive as single tokens (hyphenated words also yield their parts, so
"lenalidomide-refractory" still matches "lenalidomide refractory"). Only plain words are stemmed:
stemming "Kd" or "DVd" would merge regimen codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from ingest.models import Chunk

# Order matters: the first alternative that matches at a position wins.
_TOKEN_RE = re.compile(
    r"""
    [a-z]{1,5}\([0-9a-z;]+\)(?:\([0-9a-z;.]+\))?  # cytogenetics: t(11;14), del(17p), t(4;14)(p16;q32)
    | \d+;\d+                                       # a karyotype written bare: 11;14
    | \d+(?:\.\d+)+                                 # decimals: 18.7, 0.53
    | [a-z0-9]+(?:[-/][a-z0-9]+)+                   # hyphenated words and codes: isa-kd, len-refractory
    | [a-z0-9]+                                     # plain words, numbers and regimen codes: krd, 17p
    """,
    re.VERBOSE,
)
_STOPWORDS = frozenset(STOPWORDS_EN)
_MIN_STEM_LENGTH = 4  # shorter words are mostly codes (kd, dvd, pfs) that the stemmer would only damage


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def normalise(text: str) -> str:
    """Case-fold and unify the printing variants the corpus mixes ("18·7", en dashes, non-breaking spaces)."""
    return (
        text.casefold()
        .replace("·", ".")
        .replace("\u2013", "-")
        .replace("\u2010", "-")
        .replace("\u2011", "-")
        .replace("\u00a0", " ")
    )


def tokenize(text: str) -> list[str]:
    """Search tokens: clinical tokens kept whole, hyphenated words also split, plain words stemmed."""
    stem = _stemmer().stemWord
    tokens: list[str] = []
    for match in _TOKEN_RE.finditer(normalise(text)):
        token = match.group(0)
        if token in _STOPWORDS:
            continue
        if token.endswith(")") and ";" in token:  # t(11;14) also matches a bare "11;14"
            tokens.append(token)
            tokens.append(token[token.index("(") + 1 : token.index(")")])
        elif "-" in token or "/" in token:
            tokens.append(token)
            parts = re.split(r"[-/]", token)
            tokens.extend(_plain(part, stem) for part in parts if part and part not in _STOPWORDS)
        else:
            tokens.append(_plain(token, stem))
    return tokens


def _plain(word: str, stem) -> str:
    return stem(word) if word.isalpha() and len(word) >= _MIN_STEM_LENGTH else word


class LexicalIndex:
    """BM25 over a fixed list of chunks; built once per process (a few hundred chunks take ~50 ms)."""

    def __init__(self, chunks: Sequence[Chunk], concepts: Callable[[str], list[str]] | None = None) -> None:
        """``concepts`` maps a text to canonical vocabulary ids that are indexed beside its words."""
        if not chunks:
            raise ValueError("cannot build a BM25 index over zero chunks")
        self.chunks: tuple[Chunk, ...] = tuple(chunks)
        self._concepts = concepts
        self._bm25 = bm25s.BM25()
        # The section title is part of what a chunk is about ("Table 1: ...", "Extramedullary disease").
        self._bm25.index([self.terms(f"{c.section}\n{c.text}") for c in self.chunks], show_progress=False)

    def terms(self, text: str) -> list[str]:
        """Index/query terms of a text: its tokens plus its concept ids (when a concept mapper is set)."""
        tokens = tokenize(text)
        if self._concepts is not None:
            tokens += [f"\x00{concept}" for concept in self._concepts(text)]
        return tokens

    def scores(self, query: str | Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk (index order) for a query string or pre-made term list."""
        tokens = self.terms(query) if isinstance(query, str) else list(query)
        known = [t for t in tokens if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return self._bm25.get_scores(known)

    def search(
        self,
        query: str | Sequence[str],
        n: int,
        allowed: np.ndarray | None = None,
        expansion: str = "",
        expansion_weight: float = 0.0,
    ) -> list[tuple[Chunk, float]]:
        """Top ``n`` chunks with a positive score; ``allowed`` is an optional boolean mask (filters).

        Expansion terms (full names for the query's abbreviations and vice versa) score with a lower
        weight than the words the user typed: at full weight a long regimen name swamps a short query.
        """
        scores = self.scores(query)
        if expansion and expansion_weight > 0.0:
            typed = set(self.terms(query) if isinstance(query, str) else query)
            extra = [t for t in tokenize(expansion) if t not in typed]
            if extra:
                scores = scores + expansion_weight * self.scores(extra)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(self.chunks[i], float(scores[i])) for i in order if scores[i] > 0.0]
