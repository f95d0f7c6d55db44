"""Deterministic chunk tags: the guideline branches, regimens and trials a passage speaks about.

Regimens and trials come from the shared vocabulary (``assistant.vocabulary``), plus the spelled-out
form the IMWG text uses ("daratumumab plus lenalidomide plus dexamethasone" is DRd); branches come
from the keyword map in ``data/branch_keywords.yaml``. The section title counts as part of the
passage, so every paragraph under "First relapse in patients with lenalidomide-refractory disease"
is tagged with that branch.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

import yaml

from assistant.vocabulary import Vocabulary, load_vocabulary
from ingest.models import Chunk

_SEPARATOR = r"(?:\s+plus\s+|\s*[-–/]\s*|,\s*(?:and\s+)?|\s+and\s+|\s+with\s+)"


@dataclass(frozen=True)
class BranchRule:
    branch: str
    any: tuple[re.Pattern[str], ...]
    context: tuple[re.Pattern[str], ...] = ()

    def matches(self, text: str) -> bool:
        if not any(p.search(text) for p in self.any):
            return False
        return not self.context or any(p.search(text) for p in self.context)


def _branch_yaml() -> str:
    return resources.files("ingest.data").joinpath("branch_keywords.yaml").read_text(encoding="utf-8")


@cache
def load_branch_rules() -> tuple[BranchRule, ...]:
    raw = yaml.safe_load(_branch_yaml()) or {}
    rules = []
    for branch, spec in (raw.get("branches") or {}).items():
        rules.append(
            BranchRule(
                branch=branch,
                any=tuple(re.compile(p, re.I) for p in spec.get("any", [])),
                context=tuple(re.compile(p, re.I) for p in spec.get("context", [])),
            )
        )
    return tuple(rules)


def tagger_version() -> str:
    """Changes whenever the keyword map, the shared vocabulary (data or the code reading mentions) or this
    tagger's code changes (forces re-tagging)."""
    import assistant.vocabulary as vocabulary_package

    digest = hashlib.sha256(_branch_yaml().encode())
    for path in sorted(Path(vocabulary_package.__file__).parent.glob("*.yaml")):
        digest.update(path.read_bytes())
    digest.update(Path(vocabulary_package.__file__).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return "tags-" + digest.hexdigest()[:12]


class Tagger:
    """Tags chunks; built once (compiles the vocabulary's spelled-out regimen names)."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocabulary = vocabulary or load_vocabulary()
        self.rules = load_branch_rules()

    @cached_property
    def _spelled_regimens(self) -> list[tuple[str, re.Pattern[str]]]:
        """("DRd", /daratumumab plus lenalidomide plus dexamethasone/), longest names first."""
        patterns = []
        for code, regimen in self.vocabulary.regimens.items():
            words = [w for w in re.split(r"\s+plus\s+", regimen.name.strip()) if w]
            if len(words) < 2:
                continue
            body = _SEPARATOR.join(re.escape(w) for w in words)
            patterns.append((len(regimen.name), code, re.compile(rf"\b{body}\b", re.I)))
        patterns.sort(key=lambda item: -item[0])
        return [(code, pattern) for _, code, pattern in patterns]

    def regimens(self, text: str) -> list[str]:
        found = [m.id for m in self.vocabulary.find_regimens(text)]
        taken: list[tuple[int, int]] = []
        for code, pattern in self._spelled_regimens:
            for match in pattern.finditer(text):
                span = match.span()
                if any(span[0] < end and start < span[1] for start, end in taken):
                    continue  # "lenalidomide plus dexamethasone" inside "daratumumab plus lenalidomide ..."
                taken.append(span)
                found.append(code)
        return sorted(set(found))

    def trials(self, text: str) -> list[str]:
        """Trial names as printed: "FIRST" and "ReLApsE" are trials, "First relapse" is not."""
        found = set()
        for mention in self.vocabulary.find_trials(text):
            trial = self.vocabulary.trials.get(mention.id)
            spellings = {mention.id, *(trial.variants if trial else ())}
            if mention.surface in spellings or not mention.surface.isalpha():
                found.add(mention.id)
        return sorted(found)

    def branches(self, text: str) -> list[str]:
        return sorted(rule.branch for rule in self.rules if rule.matches(text))

    def tag(self, chunk: Chunk) -> Chunk:
        text = f"{chunk.section}\n{chunk.text}"
        return chunk.model_copy(
            update={
                "branches": tuple(self.branches(text)),
                "regimens": tuple(self.regimens(text)),
                "trials": tuple(self.trials(text)),
            }
        )
