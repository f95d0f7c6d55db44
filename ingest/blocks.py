"""Page layout -> reading-order blocks: headings, paragraphs, tables (whole) and figure captions.

The five extractions differ: one paragraph per line between blank lines (imwg-2021, barila-2025),
hard-wrapped prose with page breaks inside sentences (belgian-review, len-frontline-review),
one-value-per-line tables (korean-2020), tab-separated tables with the caption after the rows
(imwg-2021). The rules below key on layout signals that all of them share: a sentence that does not
end before a blank line continues after it (possibly after a table, a figure or spliced furniture),
tables and figures announce themselves by a "Table n"/"Figure n" caption or by tab-separated rows,
and headings are short lines that are not followed by the rest of a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from ingest.clean import SUPERSCRIPT_DIGITS, cut_inline_furniture
from ingest.mapped import MappedText

BlockKind = Literal["heading", "text", "table", "caption"]

TABLE_CAPTION = re.compile(r"^\s*Table\s+\d+[.:]?(\s|$)")
FIGURE_CAPTION = re.compile(r"^\s*(Figure|FIGURE|Fig\.)\s*\d+[.:]")
LEGEND_START = re.compile(r"^\s*(Abbreviations|List of abbreviations)\b|^\s*[*†‡§]")
DEFINITION = re.compile(r"(?:^|[\s.;(])[A-Z][\w+/-]*(?:=| [a-z][a-z-]+-[a-z])|[A-Z][\w-]*: [a-z]")
FOOTNOTE_LINE = re.compile(rf"^\s*[{SUPERSCRIPT_DIGITS}\d]\s+[a-z]")
RUN_IN_LABEL = re.compile(r"^([A-Z][A-Za-z0-9 ()/-]{1,45}): (?=[A-Z])")
TERMINAL = re.compile(r"[.!?:]['’”)\]]?$")
FUNCTION_WORDS = {"AND", "OF", "IN", "FOR", "WITH", "THE", "TO", "AT", "ON", "OR", "BY"}
# A title never ends on these; a wrapped prose line often does ("... participating in the").
TRAILING_FUNCTION_WORDS = {w.lower() for w in FUNCTION_WORDS} | {
    "a",
    "an",
    "as",
    "from",
    "that",
    "which",
    "than",
}
BROKEN_WORD = re.compile(r"[A-Za-z]-$")
JOIN_LOOKAHEAD = 8  # blocks a split sentence may jump over (figure, table, spliced furniture)


@dataclass
class Block:
    kind: BlockKind
    text: MappedText  # raw printed text of the block, lines joined by "\n"
    label: str = ""  # run-in label opening a paragraph ("Bortezomib"), if any
    source_lines: list[int] = field(default_factory=list)

    @property
    def line_start(self) -> int:
        return min(self.text.lines)

    @property
    def line_end(self) -> int:
        return max(self.text.lines)


def segment(lines: list[str], noise: dict[int, str]) -> list[Block]:
    """Blocks in reading order. ``noise`` lines (1-based) are dropped as if they were not printed."""
    content = [None if (i + 1) in noise else cut_inline_furniture(line) for i, line in enumerate(lines)]
    claimed: dict[int, Block] = {}  # 0-based line -> table/caption block owning it
    for block in [*_tab_tables(content), *_captioned_tables(content), *_figures(content)]:
        if any(i in claimed for i in _indices(block)):
            continue
        for i in _indices(block):
            claimed[i] = block
    trailing_space_style = _uses_trailing_space(lines)
    blocks: list[Block] = []
    emitted: set[int] = set()
    for group in _groups(content, claimed):
        if isinstance(group, Block):
            if id(group) not in emitted:
                emitted.add(id(group))
                blocks.append(group)
            continue
        blocks.extend(_prose_units(group, content, trailing_space_style))
    blocks = _mark_headings(blocks)
    return _join_split_sentences(blocks)


def _indices(block: Block) -> list[int]:
    return [n - 1 for n in block.source_lines]


def _block(kind: BlockKind, content: list[str | None], indices: list[int]) -> Block:
    parts = [
        MappedText.from_line(content[i].strip(), i + 1) for i in indices if content[i] and content[i].strip()
    ]
    return Block(kind, MappedText.join(parts, "\n"), source_lines=[i + 1 for i in indices])


def _next_nonblank(content: list[str | None], i: int) -> int | None:
    while i < len(content):
        if content[i] is not None and content[i].strip():
            return i
        i += 1
    return None


def _group_at(content: list[str | None], i: int) -> list[int]:
    """The run of consecutive non-blank lines starting at ``i`` (noise lines are skipped over)."""
    run: list[int] = []
    while i < len(content):
        line = content[i]
        if line is None:
            i += 1
            continue
        if not line.strip():
            break
        run.append(i)
        i += 1
    return run


def _tab_tables(content: list[str | None]) -> list[Block]:
    """Tab-separated rows (imwg-2021, barila-2025) with the caption before or after and the legend."""
    tables: list[Block] = []
    i = 0
    while i < len(content):
        start = _next_nonblank(content, i)
        if start is None:
            break
        rows = _group_at(content, start)
        if sum("\t" in (content[j] or "") for j in rows) < 2:
            i = rows[-1] + 1
            continue
        indices = list(rows)
        previous = _previous_group(content, start)
        if previous and TABLE_CAPTION.match(content[previous[0]] or ""):
            indices = previous + indices
        j = rows[-1] + 1
        for _ in range(4):  # legend, footnotes and a caption printed after the rows
            nxt = _next_nonblank(content, j)
            if nxt is None:
                break
            group = _group_at(content, nxt)
            first = content[nxt] or ""
            if TABLE_CAPTION.match(first):
                indices += group
                j = group[-1] + 1
                break
            if (
                LEGEND_START.match(first)
                or len(DEFINITION.findall(" ".join(content[k] or "" for k in group))) >= 2
            ):
                indices += group
                j = group[-1] + 1
                continue
            break
        tables.append(_block("table", content, indices))
        i = j
    return tables


def _previous_group(content: list[str | None], start: int) -> list[int]:
    i = start - 1
    while i >= 0 and (content[i] is None or not content[i].strip()):
        i -= 1
    if i < 0:
        return []
    end = i
    while i >= 0 and content[i] is not None and content[i].strip():
        i -= 1
    return list(range(i + 1, end + 1))


def _captioned_tables(content: list[str | None]) -> list[Block]:
    """ "Table n" caption first, then rows until the legend ends or the running text resumes.

    The running text resumes on a line printed with a leading space (len-frontline-review,
    korean-2020), which no table row has; an "Abbreviations" legend closes the table.
    """
    tables: list[Block] = []
    for start, line in enumerate(content):
        if line is None or not TABLE_CAPTION.match(line) or "\t" in line:
            continue
        nxt = _next_nonblank(content, start + 1)
        if nxt is None or "\t" in (content[nxt] or ""):
            continue  # rows are tab-separated: handled with the tab tables
        indices = [start]
        in_legend = False
        for j in range(start + 1, min(len(content), start + 200)):
            text = content[j]
            if text is None:
                continue
            if not text.strip():
                if in_legend:
                    break
                continue
            if j > start + 2 and re.match(r"^ \S", text) and not in_legend:
                break
            if in_legend and re.match(r"^ \S", text):
                break
            if LEGEND_START.match(text) and text.lstrip().startswith(("Abbreviations", "List of")):
                in_legend = True
            indices.append(j)
        tables.append(_block("table", content, indices))
    return tables


def _figures(content: list[str | None]) -> list[Block]:
    """A figure caption with its legend lines and the footnotes printed just above it."""
    figures: list[Block] = []
    for start, line in enumerate(content):
        if line is None or not FIGURE_CAPTION.match(line):
            continue
        indices = []
        k = start - 1
        while k >= 0 and (content[k] is None or not content[k].strip() or FOOTNOTE_LINE.match(content[k])):
            if content[k] and content[k].strip():
                indices.insert(0, k)
            k -= 1
        indices = [i for i in indices if content[i] and FOOTNOTE_LINE.match(content[i])]
        group = _group_at(content, start)
        for j in group:  # the caption wraps; running text resumes at a leading-space line
            if j > start and re.match(r"^ \S", content[j] or ""):
                break
            indices.append(j)
        j = group[-1] + 1
        while True:
            nxt = _next_nonblank(content, j)
            if nxt is None:
                break
            grp = _group_at(content, nxt)
            text = " ".join(content[g] or "" for g in grp)
            if LEGEND_START.match(content[nxt] or "") or len(DEFINITION.findall(text)) >= 2:
                indices += grp
                j = grp[-1] + 1
                continue
            break
        figures.append(_block("caption", content, indices))
    return figures


def _groups(content: list[str | None], claimed: dict[int, Block]):
    """Yield claimed blocks (tables/captions) and runs of prose line indices, in reading order."""
    run: list[int] = []
    for i, line in enumerate(content):
        if i in claimed:
            if run:
                yield run
                run = []
            yield claimed[i]
            continue
        if line is None:
            continue
        if not line.strip():
            if run:
                yield run
                run = []
            continue
        run.append(i)
    if run:
        yield run


def _uses_trailing_space(lines: list[str]) -> bool:
    """belgian-review ends wrapped lines with a space; a line without one ends its paragraph."""
    nonblank = [line for line in lines if line.strip()]
    return bool(nonblank) and sum(line.endswith(" ") for line in nonblank) > 0.5 * len(nonblank)


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _prose_units(run: list[int], content: list[str | None], trailing_space_style: bool) -> list[Block]:
    """Split a run of printed lines into headings and paragraphs."""
    units: list[tuple[BlockKind, list[int]]] = []
    current: list[int] = []

    def flush() -> None:
        nonlocal current
        if current:
            units.append(("text", current))
            current = []

    def line(k: int) -> str:
        return (content[run[k]] or "") if 0 <= k < len(run) else ""

    k = 0
    while k < len(run):
        raw = line(k)
        text = raw.strip()
        after_heading = not current and bool(units) and units[-1][0] == "heading"
        previous = line(k - 1).strip()
        # A title printed over several short lines ends unterminated too ("... with lenalidomide").
        prev_terminated = (
            k == 0
            or after_heading
            or bool(TERMINAL.search(previous))
            or (_short_title(text) and _short_title(previous[:1].upper() + previous[1:]))
        )
        heading_lines = _heading_at(run, k, content) if prev_terminated else 0
        if heading_lines:
            flush()
            units.append(("heading", run[k : k + heading_lines]))
            k += heading_lines
            continue
        prev_raw = line(k - 1)
        if (
            current
            and prev_terminated
            and (
                (trailing_space_style and not prev_raw.endswith(" "))
                or RUN_IN_LABEL.match(text)
                # len-frontline prints a paragraph's first line, then a blank line, then the rest
                or (k == len(run) - 1 and _continues_after_blank(content, run[k]))
            )
        ):
            flush()
        current.append(run[k])
        k += 1
    flush()
    return [_block(kind, content, unit) for kind, unit in units]


def _heading_at(run: list[int], k: int, content: list[str | None]) -> int:
    """Number of printed lines of a heading starting at ``run[k]`` (0 when it is prose)."""

    def line(j: int) -> str:
        return (content[run[j]] or "").strip() if j < len(run) else ""

    def next_start(j: int) -> str:  # first character of the text after line j ("(Table 1) For" -> "F")
        if j + 1 < len(run):
            following = line(j + 1)
        else:
            nxt = _next_nonblank(content, run[j] + 1)
            following = (content[nxt] or "").strip() if nxt is not None else ""
        return re.sub(r"^\((Table|Figure|Fig\.) \d+\)\s*", "", following)[:1]

    text = line(k)
    if _is_caps(text) and len(text.split()) <= 12:
        size = 1
        while (
            k + size < len(run)
            and _is_caps(line(k + size))
            and (
                (content[run[k + size - 1]] or "").endswith(" ")
                or line(k + size - 1).split()[-1] in FUNCTION_WORDS
            )
        ):
            size += 1
        return size
    second = line(k + 1)
    if text.endswith("-") and _short_title(text[:-1]) and second and len(second.split()) <= 4:
        # "Lenalidomide use as frontline therapy and lenalidomide-" / "refractoriness"
        return 2 if not TERMINAL.search(second) and next_start(k + 1).isupper() else 0
    if not _short_title(text):
        return 0
    if next_start(k).isupper() or next_start(k) == "•":
        return 1
    # A title wrapped over two lines ("Outcomes of patients ..." / "lenalidomide therapy: data ...").
    wrapped = second and (_short_title(second) or _short_title(second[:1].upper() + second[1:]))
    return 2 if wrapped and not TERMINAL.search(second) and next_start(k + 1).isupper() else 0


def _short_title(text: str) -> bool:
    return (
        0 < len(text) <= 60
        and len(text.split()) <= 8
        and text[:1].isupper()
        and "," not in text
        and "=" not in text
        and not TERMINAL.search(text)
        and not text.endswith("-")
        and text.split()[-1].lower() not in TRAILING_FUNCTION_WORDS
        and not RUN_IN_LABEL.match(text)
    )


def _continues_after_blank(content: list[str | None], i: int) -> bool:
    nxt = _next_nonblank(content, i + 1)
    return nxt is not None and bool(re.match(r"^\s*[a-z(]", content[nxt] or ""))


def _first_char(block: Block) -> str:
    text = block.text.text.lstrip(" •-*")
    return text[:1]


TRAILING_MARKS = re.compile(
    rf"(?<=[.)\]])(\d{{1,3}}(?:[,–-]\d{{1,3}})*|[{SUPERSCRIPT_DIGITS},⁻–-]+|\^\{{[\d,–\s-]+\}})$"
)


def _is_terminated(block: Block) -> bool:
    """Ends a sentence, ignoring a trailing reference mark ("... treatment.11", "... survival.^{1,2}")."""
    return bool(TERMINAL.search(TRAILING_MARKS.sub("", block.text.text.rstrip())))


def _mark_headings(blocks: list[Block]) -> list[Block]:
    """Short unterminated lines followed by a new sentence are headings ("Salvage ASCT")."""
    for n, block in enumerate(blocks):
        if block.kind != "text":
            continue
        text = block.text.text
        first_lines = text.split("\n")
        if len(first_lines) > 3 or len(text) > 160 or len(text.split()) > 20:
            continue
        if len(first_lines) == 3 and any(len(part) > 60 for part in first_lines):
            continue
        if not text[:1].isupper() or TERMINAL.search(text.rstrip()) or re.search(r"[,;=]$", text.rstrip()):
            continue
        following = next((b for b in blocks[n + 1 :] if b.kind in ("text", "heading")), None)
        if following is None or following.kind == "heading" or _first_char(following)[:1].isupper():
            block.kind = "heading"
    for block in blocks:
        if block.kind == "text":
            match = RUN_IN_LABEL.match(block.text.text)
            if match and len(match.group(1).split()) <= 6:
                block.label = match.group(1)
    return blocks


def _join_split_sentences(blocks: list[Block]) -> list[Block]:
    """Re-attach the rest of a sentence printed after a page break, table, figure or furniture."""
    out: list[Block] = []
    consumed: set[int] = set()
    for n, block in enumerate(blocks):
        if n in consumed:
            continue
        if block.kind != "text":
            out.append(block)
            continue
        merged = block
        while not _is_terminated(merged):
            broken_word = bool(BROKEN_WORD.search(merged.text.text.rstrip()))
            target = _continuation_of(blocks, n, consumed, broken_word)
            if target is None:
                break
            consumed.add(target)
            merged = Block(
                "text", MappedText.join([merged.text, blocks[target].text], "\n"), label=block.label
            )
        out.append(merged)
    return out


def _continuation_of(blocks: list[Block], n: int, consumed: set[int], broken_word: bool) -> int | None:
    """The block that continues block `n`'s unfinished sentence. `broken_word`: it ends mid-word ("... 84%
    in the Bela-" | page break | "VD group ..."), so the nearest text goes on whatever its case."""
    crossed_heading = False
    skipped_text = 0
    for m in range(n + 1, min(len(blocks), n + 1 + JOIN_LOOKAHEAD)):
        if m in consumed:
            continue
        candidate = blocks[m]
        if candidate.kind == "heading":
            crossed_heading = True
        if candidate.kind != "text":
            continue
        first = _first_char(candidate)
        # "... 16.7 versus" | table | "7.1 months for Vd alone": a number may continue the sentence.
        nearest = not crossed_heading and not skipped_text
        if first.islower() or first in "([" or (nearest and (first.isdigit() or broken_word)):
            return m
        skipped_text += 1
        if not crossed_heading or skipped_text > 2:
            return None
        # A boxed panel (heading + complete paragraphs) printed inside the sentence: look past it.
    return None
