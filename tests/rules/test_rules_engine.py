"""The engine per branch from profiles (no text), plus overlays, modifiers and loader checks."""

from __future__ import annotations

import shutil

import pytest
import yaml

from assistant.rules import CANONICAL_BRANCHES, PatientProfile, decide, load_rules
from assistant.rules import ruleset as ruleset_module
from assistant.vocabulary import load_vocabulary

LEN_REF = dict(
    prior_lines=1, lenalidomide="refractory", anti_cd38="naive", bortezomib="exposed_not_refractory"
)


def offered(decision):
    return {o.regimen for o in decision.options}


def avoided(decision):
    return {a.regimen for a in decision.avoid}


@pytest.mark.parametrize(
    ("profile", "branch", "must_offer", "must_avoid"),
    [
        pytest.param(
            LEN_REF,
            "first_relapse_len_refractory",
            {"PVd", "DKd", "Isa-Kd"},
            {"KRd", "DRd", "IRd", "Elo-Rd", "Rd", "Pano-Vd"},
            id="len-refractory",
        ),
        pytest.param(
            dict(prior_lines=1, lenalidomide="naive", anti_cd38="naive"),
            "first_relapse_not_len_refractory",
            {"DRd", "KRd", "IRd", "Elo-Rd"},
            set(),
            id="not-len-refractory",
        ),
        pytest.param(
            dict(prior_lines=1, lenalidomide="naive", anti_cd38="refractory", frontline_anti_cd38="D-VMP"),
            "first_relapse_after_frontline_dvmp",
            {"KRd"},
            set(),
            id="after-dvmp",
        ),
        pytest.param(
            dict(
                prior_lines=1, lenalidomide="refractory", anti_cd38="refractory", frontline_anti_cd38="D-Rd"
            ),
            "first_relapse_after_frontline_dara_len",
            {"Kd", "VCd", "PVd", "VMP", "KPd"},
            {"DKd", "Isa-Kd", "DRd", "KRd"},
            id="after-dara-len",
        ),
        pytest.param(
            dict(
                prior_lines=2,
                lenalidomide="refractory",
                anti_cd38="naive",
                bortezomib="exposed_not_refractory",
            ),
            "later_relapse_anti_cd38_naive",
            {"Isa-Pd", "DPd", "DKd", "Isa-Kd"},
            {"KRd", "Rd"},
            id="later-anti-cd38-naive",
        ),
        pytest.param(
            dict(
                prior_lines=2,
                lenalidomide="refractory",
                pomalidomide="refractory",
                anti_cd38="refractory",
                bortezomib="exposed_not_refractory",
                carfilzomib="naive",
            ),
            "later_relapse_anti_cd38_refractory",
            {"Kd", "SVd"},
            {"Isa-Pd", "DPd", "PVd", "Elo-Pd"},
            id="later-anti-cd38-refractory",
        ),
        pytest.param(
            dict(
                prior_lines=4,
                lenalidomide="refractory",
                pomalidomide="refractory",
                anti_cd38="refractory",
                carfilzomib="refractory",
            ),
            "triple_class_refractory",
            {"Clinical-trial", "Sd", "Bela-mono"},
            {"Isa-Kd", "KPd", "Elo-Pd"},
            id="triple-class-refractory",
        ),
        pytest.param(
            dict(
                prior_lines=1,
                lenalidomide="naive",
                anti_cd38="naive",
                relapse_type="biochemical",
                crab_absent=True,
            ),
            "biochemical_relapse_monitor",
            {"Observation"},
            set(),
            id="biochemical",
        ),
        pytest.param(
            dict(prior_lines=4, triple_class_refractory=True, frail=True),
            "triple_class_refractory",
            {"Sd"},
            {"VdT-PACE", "DT-PACE", "DCEP"},
            id="frail-no-intensive-chemotherapy",
        ),
        pytest.param(
            dict(prior_lines=4, triple_class_refractory=True, frail=False),
            "triple_class_refractory",
            {"VdT-PACE"},
            set(),
            id="fit-intensive-chemotherapy-offered",
        ),
        pytest.param(dict(scope="al_amyloidosis"), "out_of_scope", set(), set(), id="out-of-scope"),
        pytest.param(dict(), "needs_more_information", set(), set(), id="nothing-known"),
    ],
)
def test_decide_branch_options_and_exclusions(profile, branch, must_offer, must_avoid):
    decision = decide(PatientProfile(**profile))
    assert decision.branch == branch
    assert must_offer <= offered(decision)
    assert must_avoid <= avoided(decision)
    assert not must_avoid & offered(decision)


def test_options_carry_spec_tiers_and_year_labelled_sources():
    decision = decide(PatientProfile(**LEN_REF))
    by_code = {o.regimen: o for o in decision.options}
    assert by_code["PVd"].tier == "primary_or_secondary"
    assert by_code["DPd"].tier == "alternative"
    assert by_code["Cilta-cel"].tier == "update_2025"
    assert by_code["Cilta-cel"].year_label == "2025"
    assert all(s.year_label for o in decision.options for s in o.sources)
    assert {u.id for u in decision.updates} >= {"len_refractory_first_relapse_standard"}
    years = {p.doc: p.year_label for u in decision.updates for p in u.positions}
    assert years["len-frontline-review"] == "about 2019"


def test_indeterminate_lenalidomide_asks_and_lists_both_candidates():
    decision = decide(PatientProfile(prior_lines=1, lenalidomide="indeterminate", anti_cd38="naive"))
    assert decision.branch == "needs_more_information"
    assert [m.fact for m in decision.missing_facts] == ["lenalidomide"]
    assert {c.id for c in decision.candidate_branches} == {
        "first_relapse_len_refractory",
        "first_relapse_not_len_refractory",
    }
    assert decision.options == ()


@pytest.mark.parametrize(
    ("asct", "melflufen", "asks"),
    [
        pytest.param({}, False, True, id="transplant-history-untold"),
        pytest.param({"prior_asct": False}, True, False, id="never-transplanted"),
        pytest.param(
            {"prior_asct": True, "months_since_asct": 20}, False, False, id="early-relapse-after-asct"
        ),
        pytest.param({"prior_asct": True}, False, True, id="transplant-without-remission-length"),
    ],
)
def test_melflufen_waits_for_the_transplant_history(asct, melflufen, asks):
    decision = decide(PatientProfile(prior_lines=5, triple_class_refractory=True, **asct))
    assert decision.branch == "triple_class_refractory"
    assert ("Melflufen-d" in offered(decision)) is melflufen
    ask = [m for m in decision.missing_facts if m.fact == "prior_asct"]
    assert bool(ask) is asks
    assert all(m.affects == "options" and "36 months" in m.question for m in ask)


def test_drug_stopped_for_toxicity_is_flagged_not_excluded():
    decision = decide(
        PatientProfile(
            prior_lines=1,
            lenalidomide="exposed_not_refractory",
            anti_cd38="naive",
            stopped_for_toxicity=frozenset({"lenalidomide"}),
        )
    )
    assert decision.branch == "first_relapse_not_len_refractory"
    drd = next(o for o in decision.options if o.regimen == "DRd")
    assert "Stopped before for toxicity: lenalidomide" in drd.flags
    vocab = load_vocabulary()
    others = [o for o in decision.options if "lenalidomide" not in vocab.regimen_drugs(o.regimen)]
    assert others and not any("toxicity" in f for o in others for f in o.flags)
    modifier = next(m for m in decision.modifiers if m.id == "prior_toxicity")
    assert {s.doc for s in modifier.sources} == {"imwg-2021", "korean-2020"}


def test_anti_cd38_exposed_sensitive_keeps_options_with_conflict_flag():
    decision = decide(PatientProfile(**{**LEN_REF, "anti_cd38": "exposed_not_refractory"}))
    assert decision.sub_case == "first_relapse_len_refractory_anti_cd38_exposed_sensitive"
    isakd = next(o for o in decision.options if o.regimen == "Isa-Kd")
    assert any("conflict" in f for f in isakd.flags)


@pytest.mark.parametrize(
    ("extra", "overlay"),
    [
        pytest.param(
            dict(prior_asct=False, stem_cells_stored=True), True, id="never-transplanted-cells-stored"
        ),
        pytest.param(
            dict(prior_asct=True, months_since_asct=40, maintenance_after_asct=True), True, id="40mo-maint"
        ),
        pytest.param(
            dict(prior_asct=True, months_since_asct=26, maintenance_after_asct=False),
            True,
            id="26mo-no-maint",
        ),
        pytest.param(
            dict(prior_asct=True, months_since_asct=26, maintenance_after_asct=True), False, id="26mo-maint"
        ),
    ],
)
def test_salvage_asct_overlay_thresholds(extra, overlay):
    decision = decide(PatientProfile(**LEN_REF, transplant_eligible=True, **extra))
    assert ("salvage_asct" in decision.overlays) is overlay
    assert ("Salvage-ASCT" in offered(decision)) is overlay
    if not overlay:
        assert "Salvage-ASCT" in avoided(decision)


@pytest.mark.parametrize(
    ("extra", "gone"),
    [
        pytest.param(dict(cardiac_disease=True), {"DKd", "Isa-Kd", "Kd", "KPd"}, id="cardiac-carfilzomib"),
        pytest.param(
            dict(neuropathy_grade=2), {"PVd", "DVd", "Vd", "VCd", "SVd"}, id="neuropathy-bortezomib"
        ),
        pytest.param(dict(extramedullary=True), {"Vd", "Kd"}, id="aggressive-doublets"),
        pytest.param(dict(clinician_avoids=frozenset({"carfilzomib"})), {"DKd", "Kd"}, id="clinician-avoid"),
        pytest.param(
            dict(access="low_middle_income", unavailable_drugs=frozenset({"daratumumab"})),
            {"DKd", "DVd", "DPd"},
            id="unavailable",
        ),
    ],
)
def test_modifiers_set_options_aside(extra, gone):
    decision = decide(PatientProfile(**LEN_REF, **extra))
    assert not gone & offered(decision)
    assert gone <= avoided(decision)
    assert decision.modifiers


def test_t11_14_adds_venetoclax_and_its_absence_excludes_it():
    with_t = decide(PatientProfile(**LEN_REF, t11_14=True))
    without = decide(PatientProfile(**LEN_REF))
    assert "Ven-Vd" in offered(with_t)
    assert "Ven-Vd" in avoided(without)


def test_renal_flag_on_lenalidomide_and_ixazomib():
    decision = decide(PatientProfile(prior_lines=1, lenalidomide="naive", anti_cd38="naive", crcl_ml_min=30))
    drd = next(o for o in decision.options if o.regimen == "DRd")
    assert "Renal impairment" in drd.flags


def test_trace_records_fired_conditions():
    decision = decide(PatientProfile(**LEN_REF))
    assert any(t.fact == "lenalidomide" and t.actual == "refractory" and t.fired for t in decision.trace)


def test_every_branch_in_rule_data_is_canonical():
    assert set(load_rules().branches) == set(CANONICAL_BRANCHES)


def _copy_data(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(ruleset_module.DATA_DIR, target)
    return target


@pytest.mark.parametrize(
    "mutation",
    [
        pytest.param(
            lambda d: d["branches"]["first_relapse_len_refractory"]["options"][0].update(grade="1A"),
            id="unknown-key",
        ),
        pytest.param(
            lambda d: d["branches"]["first_relapse_len_refractory"]["options"][0].update(sources=[]),
            id="option-without-sources",
        ),
        pytest.param(
            lambda d: d["branches"]["first_relapse_len_refractory"]["options"][0].update(when=["nope"]),
            id="unknown-predicate",
        ),
        pytest.param(
            lambda d: d["branches"]["first_relapse_len_refractory"]["options"][0].update(
                wording="preferred primary option"
            ),
            id="wording-not-quoted",
        ),
        pytest.param(
            lambda d: d["branches"]["first_relapse_len_refractory"]["options"][0].update(regimen="PVD2"),
            id="unknown-regimen",
        ),
    ],
)
def test_loader_rejects_bad_rule_data(tmp_path, monkeypatch, mutation):
    target = _copy_data(tmp_path)
    branches = yaml.safe_load((target / "branches.yaml").read_text(encoding="utf-8"))
    mutation(branches)
    (target / "branches.yaml").write_text(yaml.safe_dump(branches, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(ruleset_module, "DATA_DIR", target)
    with pytest.raises(ValueError):
        ruleset_module.build_ruleset(load_vocabulary())


def test_option_offered_by_a_second_source_names_it_by_title_and_date():
    """SVd after daratumumab-lenalidomide: IMWG 2021 offers it, the 2025 update calls it one of "the most
    appropriate options". The note shown beside the option names that source as a reader knows it."""
    decision = decide(
        PatientProfile(prior_lines=1, lenalidomide="refractory", anti_cd38="refractory", bortezomib="naive")
    )
    svd = next(o for o in decision.options if o.regimen == "SVd")
    [note] = [f for f in svd.flags if "2025" in f]
    assert note.startswith("also Barilà et al. update, 2025: ")
    assert "barila-2025" not in note and "update_2025" not in note
