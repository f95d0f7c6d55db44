"""Conversation state and deterministic follow-up resolution.

"And in len-refractory patients?", "what about OS?", "and for DKd?" mean nothing alone. We rebuild a
full question from the previous turn's resolved question by swapping in the new regimen / trial /
endpoint, or by appending the new population, so retrieval and sentence selection see a complete
question. The rewrite is rule-based and shown to the user as ``resolved_question``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml
from pydantic import BaseModel, ConfigDict

from assistant.answer.classify import DATA as PATTERNS_FILE
from assistant.answer.models import Answer, TurnKind
from assistant.vocabulary import Vocabulary


class Turn(BaseModel):
    """What a later turn may lean on: the resolved question and the entities it was about."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question: str
    resolved_question: str
    kind: TurnKind
    regimens: tuple[str, ...] = ()
    trials: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    branch: str | None = None


class Conversation(BaseModel):
    """The conversation so far. Immutable: ``with_answer`` returns the next state.

    The patient text is kept (never logged) so later turns can re-run the deterministic fact
    extraction with it; the rule layer re-derives the profile each turn.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    turns: tuple[Turn, ...] = ()
    patient_text: str | None = None
    max_turns: int = 20

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def with_answer(
        self, answer: Answer, vocabulary: Vocabulary, patient_text: str | None = None
    ) -> Conversation:
        """The state after `answer`; `patient_text`, when given, is added to what is known of the patient."""
        text = answer.resolved_question
        turn = Turn(
            question=answer.question,
            resolved_question=text,
            kind=answer.turn_kind,
            regimens=tuple(dict.fromkeys(m.id for m in vocabulary.find_regimens(text))),
            trials=tuple(dict.fromkeys(m.id for m in vocabulary.find_trials(text))),
            endpoints=tuple(e for e, _ in _find_endpoints(text)),
            branch=answer.branch,
        )
        patient = self.patient_text
        if patient_text and patient_text.strip():
            patient = f"{patient}\n{patient_text.strip()}" if patient else patient_text.strip()
        return self.model_copy(
            update={"turns": (*self.turns, turn)[-self.max_turns :], "patient_text": patient}
        )


@lru_cache(maxsize=1)
def _followup_data() -> tuple[dict[str, tuple[str, re.Pattern[str]]], re.Pattern[str]]:
    data = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    endpoints = {}
    for name, entry in data["endpoints"].items():
        # Two-letter capitals (OS, HR) are words only in capitals: "os" and "hr" are not endpoints.
        parts = [f"(?-i:{f})" if re.fullmatch(r"[A-Z]{2,3}", f) else f for f in entry["forms"]]
        pattern = re.compile(rf"(?<![\w-])(?:{'|'.join(parts)})(?![\w-])", re.IGNORECASE)
        endpoints[name] = (entry["group"], pattern)
    return endpoints, re.compile(data["connectives"], re.IGNORECASE)


def _find_endpoints(text: str) -> list[tuple[str, re.Match[str]]]:
    """(endpoint name, first match) for each endpoint named in `text`, in order of appearance."""
    found = []
    for name, (_, pattern) in _followup_data()[0].items():
        match = pattern.search(text)
        if match:
            found.append((name, match))
    return sorted(found, key=lambda item: item[1].start())


def _group(endpoint: str) -> str:
    return _followup_data()[0][endpoint][0]


def _replace_first(text: str, spans: list[tuple[int, int]], new: str) -> str:
    start, end = spans[0]
    return text[:start] + new + text[end:]


def resolve_follow_up(question: str, previous: Turn, vocabulary: Vocabulary) -> str:
    """A complete question from a follow-up fragment and the previous turn.

    New regimen / trial / endpoint replace the previous turn's first one of the same type; anything
    else (a population, a condition) is appended to the previous question.
    """
    base = previous.resolved_question.strip().rstrip("?").strip()
    fragment = _followup_data()[1].sub("", question.strip()).strip().rstrip("?").strip()
    if not fragment:
        return previous.resolved_question
    replaced = False
    rest = fragment
    new_regimens, new_trials = vocabulary.find_regimens(fragment), vocabulary.find_trials(fragment)
    old_trials = vocabulary.find_trials(base)
    if new_trials and old_trials:
        base = _replace_first(base, [(old_trials[0].start, old_trials[0].end)], new_trials[0].surface)
        rest = rest.replace(new_trials[0].surface, " ")
        replaced = True
        if not new_regimens:
            # "And IKEMA?" after a CANDOR question: the arm tested in the new trial replaces the old one.
            old_arms = set(vocabulary.trials[old_trials[0].id].regimens)
            new_arms = vocabulary.trials[new_trials[0].id].regimens
            arm = next((m for m in vocabulary.find_regimens(base) if m.id in old_arms), None)
            if arm and new_arms:
                base = _replace_first(base, [(arm.start, arm.end)], new_arms[0])
    old_regimens = vocabulary.find_regimens(base)
    if new_regimens and old_regimens:
        base = _replace_first(base, [(old_regimens[0].start, old_regimens[0].end)], new_regimens[0].surface)
        rest = rest.replace(new_regimens[0].surface, " ")
        replaced = True
    by_group: dict[str, list[str]] = {}
    for name, match in _find_endpoints(fragment):
        by_group.setdefault(_group(name), []).append(match.group(0))
    for group, surfaces in by_group.items():
        same_group = [m for n, m in _find_endpoints(base) if _group(n) == group]
        if same_group:
            base = _replace_first(
                base, [(same_group[0].start(), same_group[0].end())], " and ".join(surfaces)
            )
            for surface in surfaces:
                rest = rest.replace(surface, " ", 1)
            replaced = True
    rest = " ".join(
        re.sub(
            r"^(?:(?:for|the|with|and|or)\b\s*)+|\b(?:and|or)\s*$",
            "",
            rest.strip(" ,.;:"),
            flags=re.IGNORECASE,
        ).split()
    )
    if not replaced:
        return f"{base} — {fragment}?"
    if rest and re.search(r"[A-Za-z]{3,}", rest):
        return f"{base} — {rest}?"
    return f"{base}?"
