"""Branch-constrained retrieval and the "not for this patient" guard.

For a patient question, evidence is searched within the decided branch's passages and passages about
its offered regimens and trials (chunk tags written at ingest); when that finds too little, the whole
corpus fills in, labelled ``outside_branch``, rather than returning nothing. Retrieval must never
bring back an option the rule layer excluded: any sentence naming an excluded regimen, or a regimen
containing a drug the patient is refractory to, carries the label "not for this patient: <reason>".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.retrieval.models import Passage, SearchFilters
from assistant.vocabulary import Vocabulary


def known_tags(retriever: Any) -> dict[str, set[str]]:
    """Tag values present in the index (filters with unknown values are rejected by the retriever)."""
    cached = getattr(retriever, "_answer_known_tags", None)
    if cached is None:
        cached = {
            field: {t for c in retriever.chunks for t in getattr(c, field)}
            for field in ("branches", "regimens", "trials")
        }
        retriever._answer_known_tags = cached
    return cached


def branch_scope(decision: Any, vocabulary: Vocabulary) -> dict[str, tuple[str, ...]]:
    """Branch id, offered regimens and the trials that tested them: what 'within the branch' means."""
    regimens = tuple(dict.fromkeys(o.regimen for o in decision.options))
    trials = tuple(
        sorted({name for name, trial in vocabulary.trials.items() if set(trial.regimens) & set(regimens)})
    )
    return {"branches": (decision.branch,), "regimens": regimens, "trials": trials}


def constrained_search(query: str, decision: Any, services: Any, k: int) -> list[Passage]:
    """Passages within the branch first (scope ``in_branch``), topped up from the whole corpus
    (scope ``outside_branch``) when fewer than `k` are found."""
    retriever = services.retriever
    tags = known_tags(retriever)
    scope = branch_scope(decision, services.vocabulary)
    found: dict[str, Passage] = {}
    for field, values in scope.items():
        usable = tuple(v for v in values if v in tags[field])
        if not usable:
            continue
        for passage in retriever.search(query, k=k, filters=SearchFilters(**{field: usable})):
            best = found.get(passage.chunk.id)
            if best is None or passage.score > best.score:
                found[passage.chunk.id] = passage
    inside = sorted(found.values(), key=lambda p: -p.score)[:k]
    ranked = [p.model_copy(update={"rank": i, "scope": "in_branch"}) for i, p in enumerate(inside, start=1)]
    if len(ranked) < k:
        for passage in retriever.search(query, k=k):
            if passage.chunk.id not in found and len(ranked) < k:
                ranked.append(passage.model_copy(update={"rank": len(ranked) + 1, "scope": "outside_branch"}))
    return ranked


def unconstrained_search(query: str, services: Any, k: int) -> list[Passage]:
    return [p.model_copy(update={"scope": "unconstrained"}) for p in services.retriever.search(query, k=k)]


def excluded_reasons(
    decision: Any, refractory_drugs: frozenset[str], vocabulary: Vocabulary, refractory_template: str
) -> dict[str, str]:
    """Regimen code -> why it is not for this patient: the rule layer's exclusions, plus every vocabulary
    regimen containing a drug the patient is refractory to (whatever retrieval finds)."""
    reasons = {a.regimen: a.reason.rstrip(".") for a in decision.avoid}
    offered = {o.regimen for o in decision.options}
    for code, regimen in vocabulary.regimens.items():
        hit = sorted(set(regimen.drugs) & refractory_drugs)
        if hit and code not in reasons and code not in offered:
            reasons[code] = refractory_template.format(drug=", ".join(hit))
    return reasons


def not_for_patient(text: str, reasons: dict[str, str], vocabulary: Vocabulary) -> tuple[str, ...]:
    """The excluded regimens a sentence names (by code or by full name)."""
    named = {m.id for m in vocabulary.find_regimens(text)}
    lowered = text.lower()
    for code in reasons:
        regimen = vocabulary.regimens.get(code)
        if regimen and regimen.name.lower() in lowered:
            named.add(code)
    return tuple(sorted(code for code in named if code in reasons))


def label_for(codes: Sequence[str], reasons: dict[str, str], template: str) -> str | None:
    if not codes:
        return None
    return template.format(reason="; ".join(f"{code} — {reasons[code]}" for code in codes))
