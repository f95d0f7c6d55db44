"""Named conditions the rule data can use in `when:` lists. The data names them; this module defines them.

Each predicate says which fact it reads and what it expects, so the decision trace can show
"condition X on fact Y: expected Z, actual W -> fired". The loader rejects unknown names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.rules.profile import PatientProfile

# The canonical branch ids that recommend treatment, in display order (engine.CANONICAL_BRANCHES
# adds the three non-treatment outcomes after them).
TREATMENT_BRANCH_IDS = (
    "first_relapse_len_refractory",
    "first_relapse_not_len_refractory",
    "first_relapse_after_frontline_dvmp",
    "first_relapse_after_frontline_dara_len",
    "later_relapse_anti_cd38_naive",
    "later_relapse_anti_cd38_refractory",
    "triple_class_refractory",
)
TREATMENT_BRANCHES = frozenset(TREATMENT_BRANCH_IDS)
LATER_BRANCHES = frozenset(
    {"later_relapse_anti_cd38_naive", "later_relapse_anti_cd38_refractory", "triple_class_refractory"}
)


@dataclass(frozen=True)
class Context:
    """What a predicate may look at: the profile, the chosen branch and the numeric settings."""

    profile: PatientProfile
    branch: str
    thresholds: dict[str, float]


@dataclass(frozen=True)
class Predicate:
    fact: str
    expected: str
    test: Callable[[Context], bool]
    actual: Callable[[Context], Any]


def _p(
    fact: str, expected: str, test: Callable[[Context], bool], actual: Callable[[Context], Any] | None = None
) -> Predicate:
    return Predicate(fact, expected, test, actual or (lambda c: getattr(c.profile, fact, None)))


def _salvage_remission_months(p: PatientProfile) -> int:
    # IMWG: 3 years after a first ASCT, reducible to 2 years without maintenance (grade 2A).
    return 24 if p.maintenance_after_asct is False else 36


def _salvage_eligible(c: Context) -> bool:
    p = c.profile
    if p.prior_lines != 1 or p.transplant_eligible is not True or c.branch not in TREATMENT_BRANCHES:
        return False
    if p.prior_asct is False:
        return p.stem_cells_stored is True
    if p.prior_asct and p.months_since_asct is not None and p.maintenance_after_asct is not None:
        return p.months_since_asct >= _salvage_remission_months(p)
    return False


def _salvage_too_short(c: Context) -> bool:
    p = c.profile
    return bool(
        p.prior_asct
        and p.months_since_asct is not None
        and p.months_since_asct < _salvage_remission_months(p)
        and not (p.maintenance_after_asct is None and p.months_since_asct >= 24)
    )


def _renal(c: Context) -> bool:
    p = c.profile
    if p.renal_impairment is not None:
        return p.renal_impairment
    return p.crcl_ml_min is not None and p.crcl_ml_min < c.thresholds["renal_flag_below_ml_min"]


def _exposed(status: str) -> bool:
    return status not in ("unknown", "naive")


def _triple_class_exposed(c: Context) -> bool:
    p = c.profile
    imid = any(_exposed(getattr(p, d)) for d in ("lenalidomide", "pomalidomide", "thalidomide"))
    return imid and _exposed(p.pi_status()) and _exposed(p.anti_cd38)


PREDICATES: dict[str, Predicate] = {
    "treatment_branch": _p(
        "branch", "a treatment branch", lambda c: c.branch in TREATMENT_BRANCHES, lambda c: c.branch
    ),
    "later_relapse": _p(
        "branch", "a later-relapse branch", lambda c: c.branch in LATER_BRANCHES, lambda c: c.branch
    ),
    "len_refractory": _p("lenalidomide", "refractory", lambda c: c.profile.lenalidomide == "refractory"),
    "len_not_refractory": _p(
        "lenalidomide",
        "naive or exposed_not_refractory",
        lambda c: c.profile.lenalidomide in ("naive", "exposed_not_refractory"),
    ),
    "bortezomib_refractory": _p("bortezomib", "refractory", lambda c: c.profile.bortezomib == "refractory"),
    "pomalidomide_not_refractory": _p(
        "pomalidomide", "not refractory", lambda c: c.profile.pomalidomide != "refractory"
    ),
    "thalidomide_not_refractory": _p(
        "thalidomide", "not refractory", lambda c: c.profile.thalidomide != "refractory"
    ),
    "anti_cd38_not_refractory": _p(
        "anti_cd38", "not refractory", lambda c: not c.profile.anti_cd38_refractory()
    ),
    "anti_cd38_exposed_not_refractory": _p(
        "anti_cd38", "exposed_not_refractory", lambda c: c.profile.anti_cd38 == "exposed_not_refractory"
    ),
    "double_refractory_imid_pi": _p(
        "class refractoriness",
        "IMiD and PI refractory",
        lambda c: c.profile.imid_refractory() and c.profile.pi_refractory(),
        lambda c: (c.profile.imid_refractory(), c.profile.pi_refractory()),
    ),
    "triple_class_exposed": _p(
        "class exposure",
        "PI, IMiD and anti-CD38 exposed",
        _triple_class_exposed,
        lambda c: (c.profile.pi_status(), c.profile.lenalidomide, c.profile.anti_cd38),
    ),
    "prior_lines_at_most_3": _p(
        "prior_lines", "<= 3", lambda c: c.profile.prior_lines is not None and c.profile.prior_lines <= 3
    ),
    "any_refractory_drug": _p(
        "refractory drugs",
        "at least one",
        lambda c: bool(c.profile.refractory_drugs()),
        lambda c: sorted(c.profile.refractory_drugs()),
    ),
    "renal_impairment": _p("crcl_ml_min", "renal impairment", _renal),
    "neuropathy_present": _p("neuropathy_grade", ">= 1", lambda c: (c.profile.neuropathy_grade or 0) >= 1),
    "neuropathy_below_avoid_grade": _p(
        "neuropathy_grade",
        "below the avoid grade",
        lambda c: (c.profile.neuropathy_grade or 0) < c.thresholds["neuropathy_avoid_from_grade"],
    ),
    "neuropathy_at_avoid_grade": _p(
        "neuropathy_grade",
        ">= avoid grade",
        lambda c: (c.profile.neuropathy_grade or 0) >= c.thresholds["neuropathy_avoid_from_grade"],
    ),
    "cardiac_disease": _p("cardiac_disease", "true", lambda c: c.profile.cardiac_disease is True),
    "t11_14": _p("t11_14", "true", lambda c: c.profile.t11_14 is True),
    "not_t11_14": _p("t11_14", "not true", lambda c: c.profile.t11_14 is not True),
    "high_risk": _p("high_risk_cytogenetics", "true", lambda c: c.profile.high_risk_cytogenetics is True),
    "extramedullary": _p("extramedullary", "true", lambda c: c.profile.extramedullary is True),
    "aggressive": _p(
        "aggressive",
        "true (or extramedullary disease)",
        lambda c: c.profile.aggressive is True or c.profile.extramedullary is True,
        lambda c: (c.profile.aggressive, c.profile.extramedullary),
    ),
    "frail": _p("frail", "true", lambda c: c.profile.frail is True),
    "not_frail_or_over_75": _p(
        "frail / age",
        "not frail and not over 75",
        lambda c: c.profile.frail is not True and not (c.profile.age is not None and c.profile.age > 75),
        lambda c: (c.profile.frail, c.profile.age),
    ),
    "frail_or_over_75_or_unknown": _p(
        "frail / age",
        "frail, over 75, or unknown",
        lambda c: c.profile.frail is not False or (c.profile.age is not None and c.profile.age > 75),
        lambda c: (c.profile.frail, c.profile.age),
    ),
    "clinician_avoids_drug": _p(
        "clinician_avoids",
        "at least one drug",
        lambda c: bool(c.profile.clinician_avoids),
        lambda c: sorted(c.profile.clinician_avoids),
    ),
    "stopped_for_toxicity": _p(
        "stopped_for_toxicity",
        "at least one drug",
        lambda c: bool(c.profile.stopped_for_toxicity),
        lambda c: sorted(c.profile.stopped_for_toxicity),
    ),
    "limited_access": _p(
        "access",
        "low_middle_income or unavailable drugs",
        lambda c: (
            c.profile.access == "low_middle_income"
            or bool(c.profile.unavailable_drugs)
            or bool(c.profile.available_drugs)
        ),
        lambda c: (c.profile.access, sorted(c.profile.unavailable_drugs)),
    ),
    "salvage_asct_eligible": _p(
        "prior_asct / months_since_asct / transplant_eligible",
        "first relapse, eligible, never transplanted with cells stored, or remission "
        ">= 36 months with maintenance (24 without)",
        _salvage_eligible,
        lambda c: (
            c.profile.transplant_eligible,
            c.profile.prior_asct,
            c.profile.months_since_asct,
            c.profile.maintenance_after_asct,
            c.profile.stem_cells_stored,
        ),
    ),
    "salvage_asct_remission_too_short": _p(
        "months_since_asct",
        "< 36 months with maintenance (24 without)",
        _salvage_too_short,
        lambda c: (c.profile.months_since_asct, c.profile.maintenance_after_asct),
    ),
    "prior_asct": _p("prior_asct", "true", lambda c: c.profile.prior_asct is True),
    "melflufen_asct_condition": _p(
        "prior_asct / months_since_asct",
        "no ASCT, or progression > 36 months after",
        lambda c: (
            c.profile.prior_asct is False
            or (c.profile.months_since_asct is not None and c.profile.months_since_asct > 36)
        ),
        lambda c: (c.profile.prior_asct, c.profile.months_since_asct),
    ),
}


def evaluate(name: str, ctx: Context) -> tuple[bool, Any]:
    predicate = PREDICATES[name]
    return bool(predicate.test(ctx)), predicate.actual(ctx)
