"""Sentence segmentation of passages and mapping of each sentence onto the passage *as printed*.

Answers quote sentences of the cleaned chunk text (no hyphenation, no superscript debris) but the user
is shown the printed source lines, so every sentence also needs its character span in the printed
passage for highlighting. The two texts differ by line-end hyphenation, superscript citation numbers,
LaTeX fragments and whitespace; we align on a normalised letters-and-digits stream, which those
differences do not touch, and fall back to fuzzy alignment, then to the whole passage.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pysbd
import yaml
from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz

DATA = Path(__file__).parent / "data" / "segmentation.yaml"

# Fuzzy alignment must reproduce most of the sentence to be trusted; below this the whole passage is
# highlighted instead (a wrong highlight is worse than a broad one).
_MIN_ALIGNMENT_SCORE = 80.0
_LATEX = re.compile(r"\^\{[^}]*\}|\\[a-zA-Z]+|[${}]")


class TextSpan(BaseModel):
    """A sentence (or table row) and its character span in the text it was cut from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _config() -> tuple[frozenset[str], int]:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return frozenset(a.lower() for a in data["non_terminal_abbreviations"]), int(data["min_sentence_chars"])


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def _ends_with_abbreviation(segment: str, abbreviations: frozenset[str]) -> bool:
    tail = segment.rstrip().lower()
    return any(
        tail.endswith(a) and (len(tail) == len(a) or not tail[-len(a) - 1].isalnum()) for a in abbreviations
    )


# A bracket left open by extraction noise must not glue a whole passage into one "sentence".
_BRACKET_GLUE_LIMIT = 800  # characters; the corpus's longest sentence is 670


def _opens_bracket(segment: str) -> bool:
    unbalanced = segment.count("(") > segment.count(")") or segment.count("[") > segment.count("]")
    return unbalanced and len(segment) < _BRACKET_GLUE_LIMIT


def split_sentences(text: str) -> list[TextSpan]:
    """Sentences of a prose passage with their spans; clinical abbreviations never end a sentence."""
    if not text.strip():
        return []
    abbreviations, min_chars = _config()
    merged: list[list[int]] = []
    glue_next = False
    for piece in _segmenter().segment(text):
        start, end = piece.start, piece.end
        ends_with_abbreviation = _ends_with_abbreviation(text[start:end], abbreviations)
        short = len(text[start:end].strip()) < min_chars and not ends_with_abbreviation
        if merged and (glue_next or short):
            merged[-1][1] = end
        else:
            merged.append([start, end])
        # pysbd cuts "... in the PVd arm (n= | 64) vs 9.49 ...": a sentence never ends inside a bracket.
        glue_next = ends_with_abbreviation or _opens_bracket(text[merged[-1][0] : merged[-1][1]])
    spans = []
    for start, end in merged:
        raw = text[start:end]
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        if body:
            spans.append(TextSpan(text=body, start=start + lead, end=start + lead + len(body)))
    return spans


def split_rows(text: str) -> list[TextSpan]:
    """Rows of a table passage (one per line): table answers quote whole rows, never cut sentences."""
    spans, offset = [], 0
    for line in text.splitlines(keepends=True):
        body = line.strip()
        if body:
            lead = len(line) - len(line.lstrip())
            spans.append(TextSpan(text=body, start=offset + lead, end=offset + lead + len(body)))
        offset += len(line)
    return spans


@lru_cache(maxsize=1024)
def _normalised(text: str) -> tuple[str, tuple[int, ...]]:
    """Lower-case letters and digits only, with the index of each kept character in `text`.

    Superscripts (citation numbers) and LaTeX markup are dropped because the cleaned text may or may
    not keep them; hyphens and line breaks vanish with the other punctuation, which rejoins
    "pro-\\ngression" to "progression".
    """
    masked = list(text)
    for m in _LATEX.finditer(text):
        for i in range(m.start(), m.end()):
            masked[i] = " "
    chars, index = [], []
    for i, ch in enumerate(masked):
        if not ch.isalnum():
            continue
        if unicodedata.normalize("NFKC", ch) != ch and ch.isdigit():
            continue  # ² ¹ ₂: superscript / subscript citation markers
        chars.append(ch.lower())
        index.append(i)
    return "".join(chars), tuple(index)


def printed_span(sentence: str, printed: str) -> tuple[int, int]:
    """Character span of `sentence` inside the printed passage; the whole passage when not found."""
    whole = (0, len(printed))
    needle, _ = _normalised(sentence)
    hay, index = _normalised(printed)
    if not needle or not hay:
        return whole
    at = hay.find(needle)
    if at >= 0:
        return index[at], index[at + len(needle) - 1] + 1
    # Anchors: the sentence's first and last stretches usually survive intact even when the middle
    # holds a LaTeX formula, or page furniture (affiliations, running heads) the cleaner spliced out;
    # long anchors are trusted across any gap, short ones only across a small one.
    for size, max_stretch in ((40, None), (24, None), (14, 1.5)):
        if len(needle) < 2 * size:
            continue
        head, tail = hay.find(needle[:size]), -1
        if head >= 0:
            tail = hay.find(needle[-size:], head)
        if (
            head >= 0
            and tail >= 0
            and (max_stretch is None or tail + size - head <= max_stretch * len(needle))
        ):
            return index[head], index[tail + size - 1] + 1
    alignment = fuzz.partial_ratio_alignment(needle, hay, score_cutoff=_MIN_ALIGNMENT_SCORE)
    if alignment is None or alignment.dest_end <= alignment.dest_start:
        return whole
    return _to_word_edges(printed, index[alignment.dest_start], index[alignment.dest_end - 1] + 1)


def _to_word_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """Fuzzy alignment may stop a few letters short: widen the span to whole words."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end
