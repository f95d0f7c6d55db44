"""The patient profile: every input the guideline branches depend on, with "unknown" as an explicit value.

A field left at its default means "not stated"; the engine never reads a default as a clinical fact
(drug statuses default to "unknown", booleans and numbers to None).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

DrugStatus = Literal["unknown", "naive", "exposed_not_refractory", "indeterminate", "refractory"]
Scope = Literal["rrmm", "newly_diagnosed", "smoldering", "al_amyloidosis", "other_disease", "unknown"]
RelapseType = Literal["biochemical", "clinical"]
Access = Literal["standard", "low_middle_income"]

# Drug statuses tracked one by one; a class status (pi, anti_cd38) is kept separately for statements
# about the class ("PI-exposed", "TCR") that do not name the drug.
TRACKED_DRUGS = ("lenalidomide", "pomalidomide", "thalidomide", "bortezomib", "carfilzomib", "ixazomib")
PI_DRUGS = ("bortezomib", "carfilzomib", "ixazomib")
IMID_DRUGS = ("lenalidomide", "pomalidomide", "thalidomide")
ANTI_CD38_DRUGS = ("daratumumab", "isatuximab")

# Higher rank = stronger evidence about exposure; combining two statements keeps the higher rank.
STATUS_RANK: dict[str, int] = {
    "unknown": 0,
    "naive": 1,
    "exposed_not_refractory": 2,
    "indeterminate": 3,
    "refractory": 4,
}


def stronger(a: DrugStatus, b: DrugStatus) -> DrugStatus:
    return a if STATUS_RANK[a] >= STATUS_RANK[b] else b


RANGES_PATH = Path(__file__).parent / "data" / "plausible_ranges.yaml"


class PlausibleRange(BaseModel):
    """The values a number can take in a real patient; outside it the value is a typo, not a fact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: float
    high: float
    unit: str
    label: str
    profile: bool = True


class ImplausibleValue(BaseModel):
    """A number outside its plausible range: not used, shown to the clinician to check."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    value: float
    low: float
    high: float
    unit: str
    message: str


@lru_cache(maxsize=1)
def plausible_ranges() -> dict[str, PlausibleRange]:
    data = yaml.safe_load(RANGES_PATH.read_text(encoding="utf-8"))
    return {name: PlausibleRange(**spec) for name, spec in data.items()}


def _number(value: float) -> str:
    return f"{value:g}"


def check_plausible(field: str, value: Any) -> ImplausibleValue | None:
    """The problem with one number, or None when it is plausible (or not a number, or not range-checked)."""
    spec = plausible_ranges().get(field)
    if spec is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if spec.low <= value <= spec.high:
        return None
    return ImplausibleValue(
        field=field,
        value=value,
        low=spec.low,
        high=spec.high,
        unit=spec.unit,
        message=(
            f"{spec.label} = {_number(value)} is outside the plausible range "
            f"{_number(spec.low)}-{_number(spec.high)}{' ' + spec.unit if spec.unit else ''}; "
            "please check the value"
        ),
    )


def _bounded(name: str, kind: type[int] | type[float]) -> Any:
    """A profile number field whose bounds (and so the form's input limits) are the plausible range."""
    spec = plausible_ranges()[name]
    return Field(default=None, ge=kind(spec.low), le=kind(spec.high))


class PatientProfile(BaseModel):
    """What is known about the patient. Built by fact extraction or directly (tests, API callers)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scope: Scope = "unknown"
    prior_lines: int | None = _bounded("prior_lines", int)

    lenalidomide: DrugStatus = "unknown"
    pomalidomide: DrugStatus = "unknown"
    thalidomide: DrugStatus = "unknown"
    bortezomib: DrugStatus = "unknown"
    carfilzomib: DrugStatus = "unknown"
    ixazomib: DrugStatus = "unknown"
    pi: DrugStatus = "unknown"
    anti_cd38: DrugStatus = "unknown"
    other_refractory: frozenset[str] = frozenset()
    # Lenalidomide was given but the text does not say whether the disease progressed on it.
    lenalidomide_exposure_unclear: bool = False
    # Progression on maintenance whose drug is not named ("progressing on maintenance after auto").
    maintenance_drug_unknown: bool = False

    frontline_regimen: str | None = None
    frontline_anti_cd38: Literal["none", "D-VMP", "D-Rd", "D-VTd", "other"] | None = None
    on_therapy_at_progression: bool | None = None

    prior_asct: bool | None = None
    months_since_asct: int | None = _bounded("months_since_asct", int)
    maintenance_after_asct: bool | None = None
    stem_cells_stored: bool | None = None
    transplant_eligible: bool | None = None

    crcl_ml_min: float | None = _bounded("crcl_ml_min", float)
    renal_impairment: bool | None = None
    neuropathy_grade: int | None = _bounded("neuropathy_grade", int)
    cardiac_disease: bool | None = None
    t11_14: bool | None = None
    high_risk_cytogenetics: bool | None = None
    extramedullary: bool | None = None
    aggressive: bool | None = None
    age: int | None = _bounded("age", int)
    frail: bool | None = None
    ecog: int | None = _bounded("ecog", int)

    access: Access | None = None
    unavailable_drugs: frozenset[str] = frozenset()
    available_drugs: frozenset[str] = frozenset()
    clinician_avoids: frozenset[str] = frozenset()
    # Drugs stopped for toxicity or intolerance, not for progression ("Blenrep stopped for keratopathy").
    stopped_for_toxicity: frozenset[str] = frozenset()

    relapse_type: RelapseType | None = None
    crab_absent: bool | None = None
    triple_class_refractory: bool | None = None
    penta_refractory: bool | None = None

    @field_validator(*(n for n, r in plausible_ranges().items() if r.profile), mode="before")
    @classmethod
    def _plausible(cls, value: Any, info: Any) -> Any:
        # Runs before the ge/le bounds so the error names the field, the value and the plausible range.
        problem = check_plausible(info.field_name, value)
        if problem is not None:
            raise ValueError(problem.message)
        return value

    # ---- derived views -------------------------------------------------------------------------
    def pi_status(self) -> DrugStatus:
        status = self.pi
        for drug in PI_DRUGS:
            status = stronger(status, getattr(self, drug))
        return status

    def imid_refractory(self) -> bool:
        return any(getattr(self, d) == "refractory" for d in IMID_DRUGS) or bool(self.triple_class_refractory)

    def pi_refractory(self) -> bool:
        return self.pi_status() == "refractory" or bool(self.triple_class_refractory)

    def anti_cd38_refractory(self) -> bool:
        return self.anti_cd38 == "refractory" or bool(self.triple_class_refractory)

    def is_triple_class_refractory(self) -> bool:
        if self.triple_class_refractory or self.penta_refractory:
            return True
        return self.pi_refractory() and self.imid_refractory() and self.anti_cd38_refractory()

    def refractory_drugs(self) -> frozenset[str]:
        """Drug ids never to offer. Anti-CD38 refractoriness covers both antibodies (same target)."""
        drugs = {d for d in TRACKED_DRUGS if getattr(self, d) == "refractory"}
        if self.anti_cd38_refractory():
            drugs.update(ANTI_CD38_DRUGS)
        if self.penta_refractory:
            drugs.update({"bortezomib", "carfilzomib", "lenalidomide", "pomalidomide", "daratumumab"})
        return frozenset(drugs | self.other_refractory)
