"""The shared vocabulary: spelling variants, shorthand in context, and never in ordinary prose."""

from __future__ import annotations

import pytest

from assistant.vocabulary import load_vocabulary


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary()


@pytest.mark.parametrize(
    ("variant", "code"),
    [
        pytest.param("IsaKd", "Isa-Kd", id="isakd"),
        pytest.param("IsaKD", "Isa-Kd", id="isaKD"),
        pytest.param("KdD", "DKd", id="kdd"),
        pytest.param("D-Kd", "DKd", id="d-kd"),
        pytest.param("D-Pd", "DPd", id="d-pd"),
        pytest.param("P-Vd", "PVd", id="p-vd"),
        pytest.param("S-Vd", "SVd", id="s-vd"),
        pytest.param("ERd", "Elo-Rd", id="erd"),
        pytest.param("NRd", "IRd", id="nrd"),
        pytest.param("RVd", "VRd", id="rvd"),
        pytest.param("CyBorD", "VCd", id="cybord"),
        pytest.param("VDT-PACE", "VdT-PACE", id="vdt-pace"),
        pytest.param("salvage ASCT", "Salvage-ASCT", id="salvage-asct"),
    ],
)
def test_normalize_regimen_variants(vocab, variant, code):
    assert vocab.normalize_regimen(variant) == code


def test_normalize_regimen_unknown_is_none(vocab):
    assert vocab.normalize_regimen("XYZ-42") is None


def test_find_regimens_prefers_longest_and_keeps_spans(vocab):
    text = "L1 D-VMP + dara maint; now Isa-Kd vs KdD?"
    found = vocab.find_regimens(text)
    assert [(m.id, text[m.start : m.end]) for m in found] == [
        ("D-VMP", "D-VMP"),
        ("Isa-Kd", "Isa-Kd"),
        ("DKd", "KdD"),
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("then daratumumab plus Kd", [("DKd", "daratumumab plus Kd")], id="drug-plus-code"),
        pytest.param("Kd + dara at relapse", [("DKd", "Kd + dara")], id="code-plus-shorthand"),
        pytest.param("panobinostat-Vd?", [("Pano-Vd", "panobinostat-Vd")], id="drug-hyphen-code"),
        pytest.param("carfilzomib plus Rd (KRd)", [("KRd", "carfilzomib plus Rd"), ("KRd", "KRd")], id="kRd"),
        pytest.param("Kd and dara", [("Kd", "Kd")], id="and-lists-two"),
        pytest.param("then Kd with daratumumab", [("DKd", "Kd with daratumumab")], id="code-with-drug"),
        pytest.param("Kd with dara-naive disease", [("Kd", "Kd")], id="with-drug-status"),
        pytest.param("Kd with dara refractoriness", [("Kd", "Kd")], id="with-drug-refractoriness"),
        pytest.param("Kd plus aspirin", [("Kd", "Kd")], id="no-listed-combination"),
        pytest.param("Kd + dara-naive", [("Kd", "Kd")], id="drug-status-is-no-partner"),
        pytest.param("L2 Kd - dara stopped", [("Kd", "Kd")], id="spaced-dash-separates"),
    ],
)
def test_find_regimens_joins_a_drug_to_its_regimen(vocab, text, found):
    assert [(m.id, text[m.start : m.end]) for m in vocab.find_regimens(text)] == found


def test_find_regimens_does_not_read_pd_as_pomalidomide(vocab):
    assert vocab.find_regimens("PD on R maint") == []


@pytest.mark.parametrize(
    ("text", "drugs"),
    [
        pytest.param("Now clear PD on R maint", ["lenalidomide"], id="pd-on-r"),
        pytest.param("never had K. avoid K?", ["carfilzomib", "carfilzomib"], id="never-had-k"),
        pytest.param(
            "V, R front line; then K, P, D",
            ["bortezomib", "lenalidomide", "carfilzomib", "pomalidomide", "daratumumab"],
            id="letter-list",
        ),
        pytest.param("Revlimid maint, dara naive", ["lenalidomide", "daratumumab"], id="brand-and-shorthand"),
    ],
)
def test_find_drugs_in_clinician_shorthand(vocab, text, drugs):
    assert [m.id for m in vocab.find_drugs(text)] == drugs


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Vitamin D was low and R-ISS stage II.", id="vitamin-d-r-iss"),
        pytest.param("Relapsed DLBCL after R-CHOP then R-ICE.", id="r-chop"),
        pytest.param("Table D shows the P value for group K.", id="prose-letters"),
        pytest.param("IgG-K myeloma", id="kappa"),
    ],
)
def test_single_letters_never_match_in_prose(vocab, text):
    assert vocab.find_drugs(text) == []


def test_expand_and_glossary(vocab):
    assert vocab.expand("DKd") == ["daratumumab plus carfilzomib plus dexamethasone"]
    assert vocab.expand("CANDOR") == ["daratumumab plus carfilzomib plus dexamethasone"]
    assert vocab.expand("PD") == []
    assert vocab.glossary(["Isa-Kd", "nonsense"]) == {
        "Isa-Kd": "isatuximab plus carfilzomib plus dexamethasone"
    }


def test_regimen_drugs_and_unknown_code(vocab):
    assert vocab.regimen_drugs("IsaKD") == frozenset({"isatuximab", "carfilzomib", "dexamethasone"})
    with pytest.raises(KeyError):
        vocab.regimen_drugs("not-a-regimen")


def test_find_trials(vocab):
    assert [m.id for m in vocab.find_trials("OPTIMISMM and ICARIA-MM, then KarMMa-3")] == [
        "OPTIMISMM",
        "ICARIA-MM",
        "KarMMa-3",
    ]


@pytest.mark.parametrize(
    ("printed", "trial"),
    [
        pytest.param("the phase II SIRIUS study", "SIRIUS", id="sirius"),
        pytest.param("part 2 of the GEN501 and", "GEN501", id="gen501"),
        pytest.param("trials (MM-009, MM-010)", "MM-009", id="mm-009"),
        pytest.param("the KarMMA-2 cohorts 2a and 2c", "KarMMa-2", id="karmma-2"),
        pytest.param("(LEGEND-2, n=57)", "LEGEND-2", id="legend-2"),
        pytest.param("recent phase III OPTIMISSM trial", "OPTIMISMM", id="misspelt-optimismm"),
        pytest.param("explored in the MonumeTAL-1 study", "MonumenTAL-1", id="misspelt-monumental"),
    ],
)
def test_trials_as_the_sources_print_them_are_known(vocab, printed, trial):
    """A trial the sources name (even misspelt) is a trial: its sentences get entity credit and its name
    is never an unknown term."""
    assert trial in {m.id for m in vocab.find_trials(printed)}


@pytest.mark.parametrize(
    ("printed", "drug"),
    [
        pytest.param("daratumumab (DRd) or elotuzomab (ERd)", "elotuzumab", id="elotuzomab"),
        pytest.param("patients receiving idelcel after a prior", "idecabtagene_vicleucel", id="idelcel"),
    ],
)
def test_drugs_as_the_sources_misspell_them_are_known(vocab, printed, drug):
    assert drug in {m.id for m in vocab.find_drugs(printed)}
