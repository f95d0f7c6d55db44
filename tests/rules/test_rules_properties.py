"""Property tests over random profiles: the engine is total and never offers a refractory drug."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.rules import CANONICAL_BRANCHES, PatientProfile, decide, load_rules
from assistant.vocabulary import load_vocabulary

STATUS = st.sampled_from(["unknown", "naive", "exposed_not_refractory", "indeterminate", "refractory"])
MAYBE_BOOL = st.sampled_from([None, True, False])
DRUGS = st.frozensets(
    st.sampled_from(["daratumumab", "carfilzomib", "bortezomib", "pomalidomide", "selinexor"])
)

profiles = st.builds(
    PatientProfile,
    scope=st.sampled_from(
        ["rrmm", "unknown", "newly_diagnosed", "smoldering", "al_amyloidosis", "other_disease"]
    ),
    prior_lines=st.one_of(st.none(), st.integers(0, 8)),
    lenalidomide=STATUS,
    pomalidomide=STATUS,
    thalidomide=STATUS,
    bortezomib=STATUS,
    carfilzomib=STATUS,
    ixazomib=STATUS,
    pi=STATUS,
    anti_cd38=STATUS,
    other_refractory=st.frozensets(st.sampled_from(["selinexor", "elotuzumab", "venetoclax"])),
    lenalidomide_exposure_unclear=st.booleans(),
    maintenance_drug_unknown=st.booleans(),
    frontline_anti_cd38=st.sampled_from([None, "none", "D-VMP", "D-Rd", "D-VTd", "other"]),
    on_therapy_at_progression=MAYBE_BOOL,
    prior_asct=MAYBE_BOOL,
    months_since_asct=st.one_of(st.none(), st.integers(0, 120)),
    maintenance_after_asct=MAYBE_BOOL,
    stem_cells_stored=MAYBE_BOOL,
    transplant_eligible=MAYBE_BOOL,
    crcl_ml_min=st.one_of(st.none(), st.floats(5, 150)),
    neuropathy_grade=st.one_of(st.none(), st.integers(0, 4)),
    cardiac_disease=MAYBE_BOOL,
    t11_14=MAYBE_BOOL,
    high_risk_cytogenetics=MAYBE_BOOL,
    extramedullary=MAYBE_BOOL,
    aggressive=MAYBE_BOOL,
    age=st.one_of(st.none(), st.integers(30, 95)),
    frail=MAYBE_BOOL,
    access=st.sampled_from([None, "standard", "low_middle_income"]),
    unavailable_drugs=DRUGS,
    available_drugs=DRUGS,
    clinician_avoids=DRUGS,
    relapse_type=st.sampled_from([None, "biochemical", "clinical"]),
    crab_absent=MAYBE_BOOL,
    triple_class_refractory=MAYBE_BOOL,
    penta_refractory=MAYBE_BOOL,
)

RULES = load_rules()
VOCAB = load_vocabulary()


@settings(max_examples=400, deadline=None)
@given(profiles)
def test_decide_is_total_and_canonical(profile):
    decision = decide(profile, RULES, VOCAB)
    assert decision.branch in CANONICAL_BRANCHES
    assert set(decision.overlays) <= {"salvage_asct", "limited_access"}


@settings(max_examples=400, deadline=None)
@given(profiles)
def test_never_offers_a_refractory_drug(profile):
    decision = decide(profile, RULES, VOCAB)
    refractory = profile.refractory_drugs()
    for option in decision.options:
        assert not refractory & VOCAB.regimen_drugs(option.regimen), option.regimen


@settings(max_examples=300, deadline=None)
@given(profiles)
def test_first_relapse_asks_instead_of_guessing_lenalidomide(profile):
    decision = decide(profile, RULES, VOCAB)
    guessed = decision.branch in ("first_relapse_len_refractory", "first_relapse_not_len_refractory")
    if guessed:
        assert profile.lenalidomide in ("refractory", "naive", "exposed_not_refractory")
    if (
        profile.prior_lines == 1
        and profile.lenalidomide in ("unknown", "indeterminate")
        and decision.branch == "needs_more_information"
    ):
        assert "lenalidomide" in {m.fact for m in decision.missing_facts}
