"""Deterministic classification of one conversational turn.

The kind decides the answer's shape (a branch card for a patient, cited points for a lookup, a scope
message...), so it must be predictable and testable: regular expressions from
``data/question_patterns.yaml``, no model. Out of scope means another disease, newly diagnosed or
smouldering myeloma (the sources cover relapse only) or chit-chat.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from assistant.answer.models import TurnKind

DATA = Path(__file__).parent / "data" / "question_patterns.yaml"
NOT_CLINICAL = "not a clinical question"  # the out-of-scope reason for chit-chat


class TurnClass(BaseModel):
    """The kind of a turn and, for out-of-scope turns, why (shown to the user)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: TurnKind
    reason: str = ""


class _Patterns(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    other_diseases: tuple[re.Pattern[str], ...]
    early_myeloma: tuple[re.Pattern[str], ...]
    relapse_context: tuple[re.Pattern[str], ...]
    chit_chat: tuple[re.Pattern[str], ...]
    follow_up: tuple[re.Pattern[str], ...]
    treatment_ask: tuple[re.Pattern[str], ...]
    literature_lookup: re.Pattern[str]
    patient_reference: re.Pattern[str]
    case_features: tuple[re.Pattern[str], ...]
    min_case_features_without_ask: int
    min_case_words_without_ask: int
    general_population: re.Pattern[str]
    one_patient_facts: frozenset[str]
    one_patient_rules: frozenset[str]
    assumed_rules: frozenset[str]
    history_rules: frozenset[str]
    decision_ask: tuple[re.Pattern[str], ...]
    definition: tuple[re.Pattern[str], ...]


def _compile(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@lru_cache(maxsize=1)
def load_patterns(path: Path = DATA) -> _Patterns:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    scope, patient = data["out_of_scope"], data["patient"]
    return _Patterns(
        other_diseases=_compile(scope["other_diseases"]),
        early_myeloma=_compile(scope["early_myeloma"]),
        relapse_context=_compile(scope["relapse_context"]),
        chit_chat=_compile(scope["chit_chat"]),
        follow_up=_compile(data["follow_up"]),
        treatment_ask=_compile(patient["treatment_ask"]),
        literature_lookup=re.compile(patient["literature_lookup"], re.IGNORECASE),
        patient_reference=re.compile(patient["patient_reference"], re.IGNORECASE),
        case_features=_compile(patient["case_features"]),
        min_case_features_without_ask=patient["min_case_features_without_ask"],
        min_case_words_without_ask=patient["min_case_words_without_ask"],
        general_population=re.compile(patient["general_population"], re.IGNORECASE),
        one_patient_facts=frozenset(patient["one_patient_facts"]),
        one_patient_rules=frozenset(patient["one_patient_rules"]),
        assumed_rules=frozenset(patient["assumed_rules"]),
        history_rules=frozenset(patient["history_rules"]),
        decision_ask=_compile(patient["decision_ask"]),
        definition=_compile(data["definition"]),
    )


def _first(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return match
    return None


def foreign_script(text: str) -> str | None:
    """The script most letters of `text` are written in, when it is not Latin ("Greek", "Cyrillic", "CJK").

    The sources and the patterns are English: of such a question only its Latin-script words (a trial name,
    a regimen code) are read, and the reader must be told so.
    """
    scripts = Counter(unicodedata.name(c, "?").split()[0] for c in text if c.isalpha())
    if not scripts:
        return None
    script, count = scripts.most_common(1)[0]
    if script == "LATIN" or count * 2 <= sum(scripts.values()):
        return None
    return script if script == "CJK" else script.title()


def out_of_scope_reason(text: str) -> str:
    """Why a text is outside relapsed/refractory myeloma ('' when it is in scope)."""
    p = load_patterns()
    text = " ".join(text.split())
    if _first(p.chit_chat, text):
        return NOT_CLINICAL
    disease = _first(p.other_diseases, text)
    early = _first(p.early_myeloma, text)
    scope = _rule_layer_scope(text) if disease or early else None
    if scope == "rrmm":
        # "Prior DLBCL (R-CHOP 2012). Myeloma: VRd/ASCT/len, PD on len": the other disease is history.
        return ""
    if disease:
        return f"about another condition ({disease.group(0)})"
    # "NDMM: which induction lowers the risk of early relapse?" names a relapse but is about induction.
    if early and (scope in ("newly_diagnosed", "smoldering") or not _first(p.relapse_context, text)):
        return f"about {early.group(0)} myeloma, not relapsed or refractory disease"
    return ""


def _rule_layer_scope(text: str) -> str | None:
    """The rule layer's reading of the scope ("rrmm", "newly_diagnosed", ...), which owns what counts as
    in scope: a myeloma treated with myeloma drugs and now relapsing is in scope even when the text also
    names a precursor or another disease in the history."""
    from assistant.rules import extract_facts

    return extract_facts(text).profile.scope


def is_treatment_ask(text: str) -> bool:
    return _first(load_patterns().treatment_ask, " ".join(text.split())) is not None


def asks_definition(text: str) -> bool:
    """What a term means ("What does DKd stand for?"): then an abbreviation legend is an answer."""
    return _first(load_patterns().definition, " ".join(text.split())) is not None


def looks_like_case(text: str) -> bool:
    """A patient description: several case features (age, prior lines, progression on a drug...)."""
    p = load_patterns()
    text = " ".join(text.split())
    features = sum(1 for pattern in p.case_features if pattern.search(text))
    return features >= p.min_case_features_without_ask and len(text.split()) >= p.min_case_words_without_ask


def describes_patient(text: str) -> bool:
    """Does `text` describe one patient, so that it is that patient's case as well as a question?

    Yes when the turn classifier reads a patient turn, and for a terse case it misses: two facts only one
    patient's description carries (an age, a CrCl, months since transplant), or a treatment history read
    by the fact extractor plus a terse ask for a decision ("pt w/ 2 prior lines now progressing. next?").
    Never for a question about a population, or an out-of-scope one.
    """
    from assistant.rules import extract_facts

    p = load_patterns()
    text = " ".join(text.split())
    if not text or p.general_population.search(text) or out_of_scope_reason(text):
        return False
    if looks_like_case(text) or classify_turn(text).kind == "patient":
        return True
    # A fact the extractor assumes for want of a qualifier ("progression" read as a clinical relapse) is
    # no sign that one patient is described: "Relapse after a prior auto: VTD vs TD. Was adding bortezomib
    # worth the extra neuropathy?" asks about a trial.
    facts = [f for f in extract_facts(text).facts if f.rule not in p.assumed_rules]
    fields, rules = {f.field for f in facts}, {f.rule for f in facts}
    if len((fields & p.one_patient_facts) | (rules & p.one_patient_rules)) >= 2:
        return True
    return bool(rules & p.history_rules) and _first(p.decision_ask, text) is not None


def classify_turn(question: str, *, has_patient: bool = False, has_history: bool = False) -> TurnClass:
    """Classify a question. `has_patient`: a patient text/profile is in play; `has_history`: a previous
    turn exists, so a question may lean on it."""
    p = load_patterns()
    text = " ".join(question.split())
    if not text:
        return TurnClass(kind="empty", reason="the question is empty")
    reason = out_of_scope_reason(text)
    if reason:
        return TurnClass(kind="out_of_scope", reason=reason)
    if has_history and _first(p.follow_up, text):
        return TurnClass(kind="follow_up", reason="leans on the previous turn")
    asks_treatment = _first(p.treatment_ask, text) is not None
    # "Is DKd ok for her?" is about the patient; "What did CANDOR show?" asks the sources.
    short_about_patient = len(text.split()) <= 12 and (
        not p.literature_lookup.search(text) or p.patient_reference.search(text) is not None
    )
    if (
        (has_patient and (asks_treatment or short_about_patient or looks_like_case(text)))
        or (asks_treatment and sum(1 for f in p.case_features if f.search(text)) >= 1)
        or looks_like_case(text)
    ):
        return TurnClass(kind="patient", reason="asks what to do for a patient")
    if _first(p.definition, text):
        return TurnClass(kind="definition", reason="asks what a term means")
    return TurnClass(kind="factual", reason="a lookup in the sources")
