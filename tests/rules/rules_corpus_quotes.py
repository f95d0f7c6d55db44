"""Check a {doc, line, quote} citation against corpus/: the spec's rule, verbatim after whitespace
collapse, and the quote must *begin* on the cited line (it may run on to the following lines)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus"


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=8)
def corpus_lines(doc: str) -> tuple[str, ...]:
    return tuple((CORPUS_DIR / f"{doc}.txt").read_text(encoding="utf-8").splitlines())


def quote_problem(doc: str, line: int, quote: str) -> str | None:
    """None when the quote starts on `line` of corpus/<doc>.txt, else a sentence saying what is wrong."""
    path = CORPUS_DIR / f"{doc}.txt"
    if not path.exists():
        return f"no corpus document {doc!r}"
    lines = corpus_lines(doc)
    if not 1 <= line <= len(lines):
        return f"{doc} has {len(lines)} lines, cited line {line}"
    first = _collapse(lines[line - 1])
    following = _collapse(" ".join(lines[line - 1 : line + 40]))
    wanted = _collapse(quote)
    start = following.find(wanted)
    while start != -1:
        if start < len(first):
            return None
        start = following.find(wanted, start + 1)
    return f"{doc}:{line} does not start the quote {quote[:60]!r}"
