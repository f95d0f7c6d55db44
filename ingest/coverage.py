"""Does a passage contain an evidence quote? The shared yardstick of ingest and retrieval evaluation.

A quote is *covered* by a passage when at least 80% of its case-folded word tokens occur in the
passage's cleaned text. Both sides go through the same normalisation (``·`` -> ``.``, reference
marks and LaTeX dropped) so a quote copied from the printed page matches the cleaned chunk.
"""

from __future__ import annotations

import re

from ingest.clean import SUPERSCRIPT_CITATION

COVERAGE_THRESHOLD = 0.8
_TOKEN = re.compile(r"[^\W_]+")
_LATEX = re.compile(r"\\(cdot|text|times|geq|leq)\b|[$]")


def tokens(text: str) -> list[str]:
    """Case-folded word tokens ("18·7" and "18.7" both give "18", "7"; reference marks are dropped)."""
    text = SUPERSCRIPT_CITATION.sub(" ", text.replace("·", "."))
    text = _LATEX.sub(" ", text)
    return _TOKEN.findall(text.casefold())


def quote_coverage(quote: str, text: str) -> float:
    """Share of the quote's tokens (with multiplicity ignored) present in ``text``; 0.0 for an empty quote."""
    wanted = set(tokens(quote))
    if not wanted:
        return 0.0
    present = set(tokens(text))
    return len(wanted & present) / len(wanted)


def is_covered(quote: str, text: str, threshold: float = COVERAGE_THRESHOLD) -> bool:
    return quote_coverage(quote, text) >= threshold
