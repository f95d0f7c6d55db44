"""Text that remembers, for every character, the source line it came from.

Cleaning rewrites text (joins hyphenated words, drops citation marks, splices paragraphs across page
furniture); citations must still point at the printed lines. Every edit goes through ``MappedText``
so any span of cleaned text maps back to a source line range.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Replacement = str | Callable[[re.Match[str]], str]


@dataclass(frozen=True)
class MappedText:
    text: str
    lines: tuple[int, ...]  # lines[i] is the 1-based source line of text[i]

    def __post_init__(self) -> None:
        if len(self.text) != len(self.lines):
            raise ValueError("MappedText: text and line map differ in length")

    @classmethod
    def from_line(cls, text: str, line_no: int) -> MappedText:
        return cls(text, (line_no,) * len(text))

    @classmethod
    def join(cls, parts: Iterable[MappedText], sep: str = "\n") -> MappedText:
        """Concatenate parts; each separator is attributed to the line of the character before it."""
        texts: list[str] = []
        lines: list[int] = []
        for part in parts:
            if not part.text:
                continue
            if texts and sep:
                texts.append(sep)
                lines.extend((lines[-1],) * len(sep))
            texts.append(part.text)
            lines.extend(part.lines)
        return cls("".join(texts), tuple(lines))

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, key: slice) -> MappedText:
        return MappedText(self.text[key], self.lines[key])

    def __add__(self, other: MappedText) -> MappedText:
        return MappedText(self.text + other.text, self.lines + other.lines)

    def sub(self, pattern: str | re.Pattern[str], repl: Replacement, flags: int = 0) -> MappedText:
        """``re.sub`` that keeps the map: inserted characters take the line of the match start."""
        regex = re.compile(pattern, flags) if isinstance(pattern, str) else pattern
        texts: list[str] = []
        lines: list[int] = []
        last = 0
        for match in regex.finditer(self.text):
            start, end = match.span()
            new = repl(match) if callable(repl) else match.expand(repl)
            texts.append(self.text[last:start])
            lines.extend(self.lines[last:start])
            if new:
                texts.append(new)
                lines.extend(self._lines_for_replacement(match, new))
            last = end
        if last == 0 and not texts:
            return self
        texts.append(self.text[last:])
        lines.extend(self.lines[last:])
        return MappedText("".join(texts), tuple(lines))

    def _lines_for_replacement(self, match: re.Match[str], new: str) -> tuple[int, ...]:
        """Keep the original line of each group that survives verbatim; default to the match start."""
        start, end = match.span()
        anchor = self.lines[start] if start < len(self.lines) else (self.lines[-1] if self.lines else 1)
        mapped = [anchor] * len(new)
        # Characters copied from a group keep that group's lines (e.g. "dexa-\nmethasone" -> "dexamethasone").
        cursor = 0
        for index in range(1, (match.re.groups or 0) + 1):
            group = match.group(index)
            if not group:
                continue
            found = new.find(group, cursor)
            if found < 0:
                continue
            g_start = match.start(index)
            mapped[found : found + len(group)] = self.lines[g_start : g_start + len(group)]
            cursor = found + len(group)
        if end > start and not (match.re.groups or 0):
            mapped = [self.lines[min(start + i, end - 1)] for i in range(len(new))]
        return tuple(mapped)

    def strip(self) -> MappedText:
        left = len(self.text) - len(self.text.lstrip())
        right = len(self.text.rstrip())
        return self[left:right] if right > left else MappedText("", ())

    def line_range(self, start: int = 0, end: int | None = None) -> tuple[int, int]:
        """First and last source line of the span ``text[start:end]``."""
        span = self.lines[start:end]
        if not span:
            raise ValueError("empty span has no line range")
        return min(span), max(span)
