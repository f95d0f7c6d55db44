"""The names clinicians use for the five sources ("the IMWG", "the Korean review"), from one data file.

Retrieval boosts a named source's passages; sentence selection credits them and takes the names out of
the question's content words (a source's name says where to look, not what to find).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).with_name("source_names.yaml")


class SourceNames:
    """Names of each source document, matched case-insensitively as whole words."""

    def __init__(self, names: Mapping[str, Sequence[str]]) -> None:
        self._owner = {name.casefold(): doc for doc, doc_names in names.items() for name in doc_names}
        alternation = "|".join(re.escape(n) for n in sorted(self._owner, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.IGNORECASE)

    @classmethod
    def load(cls, path: Path = DATA) -> SourceNames:
        return _load(path)

    def find(self, text: str) -> set[str]:
        """Doc ids named in ``text``."""
        return {self._owner[m.group(0).casefold()] for m in self._pattern.finditer(text)}

    def blank(self, text: str) -> tuple[str, frozenset[str]]:
        """``text`` with the sources' names replaced by spaces (offsets into it stay offsets into ``text``),
        and the doc ids they name."""
        found: set[str] = set()

        def spaces(match: re.Match[str]) -> str:
            found.add(self._owner[match.group(0).casefold()])
            return " " * len(match.group(0))

        return self._pattern.sub(spaces, text), frozenset(found)


@lru_cache(maxsize=4)
def _load(path: Path) -> SourceNames:
    with path.open(encoding="utf-8") as fh:
        return SourceNames(yaml.safe_load(fh)["sources"])
