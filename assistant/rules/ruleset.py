"""Rule data models and loader: the YAML under data/ becomes a frozen, validated RuleSet.

Loading fails (ValueError naming the file) on unknown keys, options or exclusions without sources,
unknown predicates, regimen codes the vocabulary does not know, or a `wording` that is not taken from
one of the option's own quotes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.rules.predicates import PREDICATES
from assistant.vocabulary import SourceQuote, Vocabulary, load_vocabulary

DATA_DIR = Path(__file__).parent / "data"
CORPUS_METADATA = Path(__file__).resolve().parents[2] / "corpus" / "metadata.yaml"

Tier = Literal[
    "primary_or_secondary", "alternative", "not_derivable", "update_2025", "other_source", "principle"
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class OptionRule(_Frozen):
    regimen: str
    tier: Tier
    evidence: str
    wording: str
    when: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    sources: tuple[SourceQuote, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _wording_is_quoted(self) -> OptionRule:
        if not any(_collapse(self.wording) in _collapse(s.quote) for s in self.sources):
            raise ValueError(f"{self.regimen}: wording {self.wording!r} is not part of any of its quotes")
        return self


class AvoidRule(_Frozen):
    regimens: tuple[str, ...] = ()
    drugs: tuple[str, ...] = ()
    reason: str
    sources: tuple[SourceQuote, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _targets_something(self) -> AvoidRule:
        if not (self.regimens or self.drugs):
            raise ValueError("an avoid rule needs `regimens` or `drugs`")
        return self


class Branch(_Frozen):
    id: str
    label: str
    explanation: str
    sources: tuple[SourceQuote, ...] = Field(min_length=1)
    options: tuple[OptionRule, ...] = ()
    include: tuple[str, ...] = ()
    avoid: tuple[AvoidRule, ...] = ()


class Modifier(_Frozen):
    id: str
    label: str
    effect: str = ""
    explanation: str = ""
    when: tuple[str, ...] = ()
    avoid_drugs: tuple[str, ...] = ()
    avoid_regimens: tuple[str, ...] = ()
    flag_drugs: tuple[str, ...] = ()
    flag_regimens: tuple[str, ...] = ()
    avoid_refractory: bool = False
    avoid_clinician_drugs: bool = False
    avoid_unavailable: bool = False
    flag_toxicity_drugs: bool = False
    add_options: tuple[OptionRule, ...] = ()
    sources: tuple[SourceQuote, ...] = ()

    @model_validator(mode="after")
    def _sourced(self) -> Modifier:
        if not self.sources and not any(o.sources for o in self.add_options):
            raise ValueError(f"modifier {self.id} has no sources")
        return self


class Position(_Frozen):
    doc: str
    position: str
    sources: tuple[SourceQuote, ...] = Field(min_length=1)


class UpdateRule(_Frozen):
    id: str
    kind: Literal["update", "conflict"]
    topic: str
    branches: tuple[str, ...]
    when: tuple[str, ...] = ()
    positions: tuple[Position, ...] = Field(min_length=2)


class DocumentInfo(_Frozen):
    id: str
    short_title: str
    year_label: str


class RuleSet(_Frozen):
    branches: dict[str, Branch]
    overlays: dict[str, Modifier]
    modifiers: dict[str, Modifier]
    updates: tuple[UpdateRule, ...]
    thresholds: dict[str, float]
    documents: dict[str, DocumentInfo]

    def year_label(self, doc: str) -> str:
        return self.documents[doc].year_label if doc in self.documents else "year unknown"

    def all_options(self) -> list[OptionRule]:
        out = [o for b in self.branches.values() for o in b.options]
        for m in (*self.overlays.values(), *self.modifiers.values()):
            out.extend(m.add_options)
        return out


def _read(name: str) -> dict:
    path = DATA_DIR / name
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _check_references(rules: RuleSet, vocab: Vocabulary) -> None:
    problems: list[str] = []
    for option in rules.all_options():
        if vocab.normalize_regimen(option.regimen) != option.regimen:
            problems.append(f"option regimen {option.regimen!r} is not a canonical vocabulary code")
        problems += [
            f"unknown predicate {w!r} ({option.regimen})" for w in option.when if w not in PREDICATES
        ]
    for branch in rules.branches.values():
        problems += [
            f"{branch.id} includes unknown branch {b!r}" for b in branch.include if b not in rules.branches
        ]
        for rule in branch.avoid:
            problems += [
                f"{branch.id} avoids unknown regimen {r!r}"
                for r in rule.regimens
                if vocab.normalize_regimen(r) is None
            ]
            problems += [f"{branch.id} avoids unknown drug {d!r}" for d in rule.drugs if d not in vocab.drugs]
    for mod in (*rules.overlays.values(), *rules.modifiers.values()):
        problems += [f"{mod.id}: unknown predicate {w!r}" for w in mod.when if w not in PREDICATES]
        problems += [
            f"{mod.id}: unknown drug {d!r}"
            for d in (*mod.avoid_drugs, *mod.flag_drugs)
            if d not in vocab.drugs
        ]
        problems += [
            f"{mod.id}: unknown regimen {r!r}"
            for r in (*mod.avoid_regimens, *mod.flag_regimens)
            if vocab.normalize_regimen(r) is None
        ]
    for update in rules.updates:
        problems += [
            f"update {update.id}: unknown branch {b!r}" for b in update.branches if b not in rules.branches
        ]
        problems += [
            f"update {update.id}: unknown predicate {w!r}" for w in update.when if w not in PREDICATES
        ]
    cited = {s.doc for o in rules.all_options() for s in o.sources}
    problems += [
        f"source doc {d!r} is not in corpus/metadata.yaml" for d in cited if d not in rules.documents
    ]
    if problems:
        raise ValueError("rule data: " + "; ".join(problems))


def build_ruleset(vocab: Vocabulary | None = None) -> RuleSet:
    vocab = vocab or load_vocabulary()
    try:
        branches_doc = _read("branches.yaml")
        modifiers_doc = _read("modifiers.yaml")
        updates_doc = _read("updates.yaml")
        with CORPUS_METADATA.open(encoding="utf-8") as fh:
            documents = {
                d["id"]: DocumentInfo(id=d["id"], short_title=d["short_title"], year_label=d["year_label"])
                for d in yaml.safe_load(fh)["documents"]
            }
        rules = RuleSet(
            branches={k: Branch(id=k, **v) for k, v in branches_doc["branches"].items()},
            overlays={k: Modifier(id=k, **v) for k, v in modifiers_doc["overlays"].items()},
            modifiers={k: Modifier(id=k, **v) for k, v in modifiers_doc["modifiers"].items()},
            updates=tuple(UpdateRule(**u) for u in updates_doc["updates"]),
            thresholds=modifiers_doc["thresholds"],
            documents=documents,
        )
    except ValidationError as exc:
        raise ValueError(f"rule data in {DATA_DIR} is invalid: {exc}") from exc
    _check_references(rules, vocab)
    return rules


@lru_cache(maxsize=1)
def load_rules() -> RuleSet:
    """The project's rule data, validated once per process."""
    return build_ruleset()
