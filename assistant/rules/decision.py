"""The engine's output: a frozen, JSON-ready record of the branch, options, exclusions and why."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CitedSource(_Frozen):
    doc: str
    line: int
    quote: str
    year_label: str


class Option(_Frozen):
    regimen: str
    name: str
    tier: str
    evidence: str
    wording: str
    doc: str
    year_label: str
    sources: tuple[CitedSource, ...]
    flags: tuple[str, ...] = ()
    origin: str


class Avoid(_Frozen):
    regimen: str
    name: str
    reason: str
    sources: tuple[CitedSource, ...]
    origin: str


class AppliedModifier(_Frozen):
    id: str
    label: str
    effect: str
    sources: tuple[CitedSource, ...]


class UpdatePosition(_Frozen):
    doc: str
    year_label: str
    position: str
    sources: tuple[CitedSource, ...]


class UpdateNote(_Frozen):
    id: str
    kind: str
    topic: str
    positions: tuple[UpdatePosition, ...]


class MissingFact(_Frozen):
    fact: str
    question: str
    affects: str = "branch"


class TraceStep(_Frozen):
    rule: str
    condition: str
    fact: str
    expected: str
    actual: Any
    fired: bool


class CandidateBranch(_Frozen):
    id: str
    label: str


class Decision(_Frozen):
    branch: str
    branch_label: str
    explanation: str
    branch_sources: tuple[CitedSource, ...] = ()
    sub_case: str | None = None
    overlays: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    avoid: tuple[Avoid, ...] = ()
    modifiers: tuple[AppliedModifier, ...] = ()
    updates: tuple[UpdateNote, ...] = ()
    missing_facts: tuple[MissingFact, ...] = ()
    candidate_branches: tuple[CandidateBranch, ...] = ()
    trace: tuple[TraceStep, ...] = ()
