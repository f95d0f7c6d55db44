"""Blocks -> citation-sized chunks that know their section, kind and printed line range.

Chunks are citation units: a paragraph (or a few short ones of the same section) is one chunk; a
paragraph longer than ``chunk_max_chars`` is split between sentences by LangChain's
``RecursiveCharacterTextSplitter`` with a sentence-boundary separator that does not break "vs." or
"et al." or a decimal; tables stay whole with caption and legend, figure captions are chunks of
their own.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.settings import Settings
from ingest.blocks import Block, segment
from ingest.clean import Lexicon, load_noise_rules, noise_lines, normalise
from ingest.mapped import MappedText
from ingest.models import Chunk, ChunkKind, DocumentMeta

CHUNKER_VERSION = "chunker-1"

_ABBREVIATIONS = ("vs", "al", "e.g", "i.e", "Fig", "No", "Prof", "Dr", "approx", "resp", "ref", "Dott")
# A sentence ends at . ! ? followed by white space and an upper-case letter, digit or bracket, unless
# the period closes a known abbreviation. Fixed-width look-behinds, one per abbreviation.
SENTENCE_BOUNDARY = (
    r"(?<=[.!?])" + "".join(rf"(?<!\b{re.escape(a)}\.)" for a in _ABBREVIATIONS) + r"\s+(?=[A-Z0-9(\[“\"•])"
)
# Run-in section titles of barila-2025: "Novel Belantamab-based combinations. Belantamab ..."
RUN_IN_TITLE = re.compile(r"^([A-Z][^.:;,?!]{2,100}?)\. (?=[A-Z])")
_VERBISH = re.compile(
    r"\b(is|are|was|were|has|have|had|be|been|can|may|might|will|should|showed?|shown|demonstrated|"
    r"reported|remains?|represents?|include[sd]?|compared|evaluated|received|led)\b"
)


@dataclass
class _Paragraph:
    text: MappedText  # normalised
    section: str


def chunk_document(meta: DocumentMeta, lines: list[str], settings: Settings) -> list[Chunk]:
    """All chunks of one document, in reading order."""
    noise = noise_lines(lines, load_noise_rules())
    lexicon = Lexicon.of_lines(lines)
    blocks = segment(lines, noise)
    chunks: list[Chunk] = []
    pending: list[_Paragraph] = []
    heading = ""
    section = ""

    def flush() -> None:
        chunks.extend(_pack_paragraphs(meta, pending, settings))
        pending.clear()

    for block in blocks:
        if block.kind == "heading":
            flush()
            heading = section = _heading_text(block, lexicon)
            continue
        if block.kind in ("table", "caption"):
            text = normalise(block.text, lexicon, prose=block.kind == "caption")
            if text.text:
                chunks.append(_make_chunk(meta, block.kind, section, text))
            continue
        text = normalise(block.text, lexicon)
        if not text.text:
            continue
        run_in = _run_in_title(text.text)
        if run_in:
            flush()
            heading = section = run_in
        elif block.label:
            flush()
            section = f"{heading}: {block.label}" if heading else block.label
        pending.append(_Paragraph(text, section))
    flush()
    return chunks


def _heading_text(block: Block, lexicon: Lexicon) -> str:
    text = normalise(block.text, lexicon).text
    return re.sub(r"^Review Article\s*", "", text).strip(" *")


def _run_in_title(text: str) -> str:
    """A short title run into its paragraph ("CAR-T cell therapy. Idecabtagene ..."), or ''."""
    match = RUN_IN_TITLE.match(text)
    if not match:
        return ""
    title = match.group(1)
    if len(title.split()) > 12 or _VERBISH.search(title):
        return ""
    return title


def _pack_paragraphs(meta: DocumentMeta, paragraphs: list[_Paragraph], settings: Settings) -> list[Chunk]:
    """Merge short neighbouring paragraphs up to the target size; split long ones between sentences."""
    chunks: list[Chunk] = []
    group: list[_Paragraph] = []

    def emit_group() -> None:
        if group:
            merged = MappedText.join([p.text for p in group], " ")
            chunks.append(_make_chunk(meta, "text", group[0].section, merged))
            group.clear()

    for paragraph in paragraphs:
        size = len(paragraph.text)
        if size > settings.chunk_max_chars:
            emit_group()
            for piece in split_long_text(paragraph.text, settings):
                chunks.append(_make_chunk(meta, "text", paragraph.section, piece))
            continue
        current = sum(len(p.text) + 1 for p in group)
        if group and (current + size > settings.chunk_target_chars or paragraph.section != group[0].section):
            emit_group()
        group.append(paragraph)
    emit_group()
    return chunks


def split_long_text(text: MappedText, settings: Settings) -> list[MappedText]:
    """Split between sentences into near-equal pieces no longer than the target size."""
    pieces = max(2, math.ceil(len(text) / settings.chunk_target_chars))
    size = min(settings.chunk_max_chars, math.ceil(len(text) / pieces) + 120)
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=0,
        separators=[SENTENCE_BOUNDARY, r"(?<=;)\s+", r"(?<=,)\s+", r"\s+"],
        is_separator_regex=True,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )
    out: list[MappedText] = []
    for doc in splitter.create_documents([text.text]):
        start = doc.metadata["start_index"]
        out.append(text[start : start + len(doc.page_content)])
    return out


def _make_chunk(meta: DocumentMeta, kind: ChunkKind, section: str, text: MappedText) -> Chunk:
    line_start, line_end = text.line_range()
    return Chunk(
        id=Chunk.make_id(meta.id, line_start, text.text),
        doc_id=meta.id,
        kind=kind,
        section=section,
        text=text.text,
        line_start=line_start,
        line_end=line_end,
        year=meta.year,
    )
