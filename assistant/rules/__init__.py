"""Deterministic guideline rule layer: patient facts -> branch, options, exclusions, reasons and sources.

    from assistant.rules import extract_facts, decide
    decision = decide(extract_facts("67M, VRd -> ASCT -> R maint, PD on R, dara-naive").profile)

Nothing here reads the network or the retrieval index; the rule data is loaded once (lru-cached).
"""

from assistant.rules.decision import Decision
from assistant.rules.engine import CANONICAL_BRANCHES, decide
from assistant.rules.extract import ExtractedFact, Extraction, extract_facts
from assistant.rules.profile import PatientProfile
from assistant.rules.ruleset import RuleSet, load_rules

__all__ = [
    "CANONICAL_BRANCHES",
    "Decision",
    "ExtractedFact",
    "Extraction",
    "PatientProfile",
    "RuleSet",
    "decide",
    "extract_facts",
    "load_rules",
]
