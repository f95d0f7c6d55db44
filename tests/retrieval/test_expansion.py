"""Query expansion: abbreviations <-> full names both ways, with the case and context rules."""

import re
from pathlib import Path

import pytest

from assistant.retrieval.expansion import QueryExpander, load_abbreviations
from assistant.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def expander() -> QueryExpander:
    return QueryExpander.default()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("KRd at relapse", "carfilzomib plus lenalidomide plus dexamethasone", id="regimen-code"),
        pytest.param("carfilzomib plus lenalidomide plus dexamethasone", "KRd", id="regimen-name"),
        pytest.param("dara after len", "daratumumab", id="drug-shorthand"),
        pytest.param("progressing on len", "lenalidomide", id="len"),
        pytest.param("PD on R maint", "lenalidomide", id="letter-in-regimen-context"),
        pytest.param("salvage auto at relapse", "ASCT", id="auto"),
        pytest.param("ASCT at relapse", "autologous stem cell transplantation", id="asct"),
        pytest.param("autologous stem cell transplantation", "ASCT", id="asct-reverse"),
        pytest.param("median PFS", "progression-free survival", id="pfs"),
        pytest.param("OS benefit", "overall survival", id="os"),
        pytest.param("daratumumab with lenalidomide and dexamethasone", "DRd", id="drug-list"),
        pytest.param("VTE prophylaxis on pom-dex", "thromboprophylaxis", id="vte-prophylaxis"),
        pytest.param("OPTIMISM trial", "OPTIMISMM", id="trial-spelling"),
        # Everyday words for the toxicities the sources name technically.
        pytest.param("eye problems with belantamab", "keratopathy", id="eye-is-ocular"),
        pytest.param("nerve damage on bortezomib", "peripheral neuropathy", id="nerve-damage"),
        pytest.param("low platelets on melflufen", "thrombocytopenia", id="low-platelets"),
        pytest.param("restart velcade", "retreatment", id="restart"),
        pytest.param("cytokine storm with teclistamab", "cytokine release syndrome", id="cytokine-storm"),
        pytest.param("Kd vs Vd - how long until it comes back?", "progression-free survival", id="lay-pfs"),
        pytest.param("how long do people live on teclistamab", "overall survival", id="lay-os"),
        pytest.param("which pills need a lower dose if the kidneys fail", "renal impairment", id="kidneys"),
    ],
)
def test_expand_adds_counterpart(expander, query, expected):
    assert expected in expander.expand(query).additions


@pytest.mark.parametrize(
    ("query", "absent"),
    [
        pytest.param("the os of the femur", "overall survival", id="lowercase-os-is-a-word"),
        pytest.param("Kd in len-refractory disease", "KRd", id="drugs-not-listed-together"),
        pytest.param("vitamin D levels", "daratumumab", id="letter-in-prose"),
    ],
)
def test_expand_does_not_overreach(expander, query, absent):
    assert absent not in expander.expand(query).additions


def test_expand_keeps_original_and_adds_nothing_already_present(expander):
    expanded = expander.expand("PFS (progression-free survival) with KRd")
    assert expanded.text.startswith("PFS (progression-free survival) with KRd")
    assert "progression-free survival" not in expanded.additions


def test_expand_plain_query_is_unchanged(expander):
    assert expander.expand("what matters at relapse").additions == ()


def test_abbreviation_sources_are_verbatim_in_the_corpus():
    for abbreviation in load_abbreviations():
        source = abbreviation.source
        if source is None:
            continue
        lines = (PROJECT_ROOT / "corpus" / f"{source.doc}.txt").read_text(encoding="utf-8").split("\n")
        window = re.sub(r"\s+", " ", " ".join(lines[source.line - 1 : source.line + 2]))
        assert source.quote in window, f"{abbreviation.id}: quote not at {source.doc}:{source.line}"


def test_load_abbreviations_bad_entry_names_it(tmp_path: Path):
    bad = tmp_path / "abbreviations.yaml"
    bad.write_text("abbreviations:\n  PFS:\n    forms: []\n    names: [progression-free survival]\n")
    with pytest.raises(ValueError, match="'PFS' is invalid"):
        load_abbreviations(bad)


def test_load_abbreviations_unreadable_file_is_clear(tmp_path: Path):
    with pytest.raises(ValueError, match="cannot read the abbreviations table"):
        load_abbreviations(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("short", "long"),
    [
        pytest.param("Kd", "carfilzomib plus dexamethasone", id="regimen"),
        pytest.param("PFS", "progression-free survival", id="abbreviation"),
        pytest.param("len", "lenalidomide", id="drug-shorthand"),
        pytest.param("OPTIMISM", "OPTIMISMM", id="trial-variant"),
    ],
)
def test_concepts_make_both_spellings_one_term(expander, short, long):
    assert expander.concepts(short) == expander.concepts(long) != []


def test_concepts_regimen_code_does_not_also_count_its_letters_as_drugs(expander):
    assert expander.concepts("KRd") == ["regimen:KRd"]


@pytest.mark.parametrize(
    ("query", "pair"),
    [
        pytest.param("median PFS with Kd", ("PFS", "progression-free survival"), id="abbreviation"),
        pytest.param("overall survival with Kd", ("overall survival", "OS"), id="full-name"),
        pytest.param("median PFS with Kd", ("Kd", "carfilzomib plus dexamethasone"), id="regimen-code"),
    ],
)
def test_equivalent_terms_pair_both_spellings_of_a_term(expander, query, pair):
    assert pair in expander.equivalent_terms(query)


def test_equivalent_terms_leave_out_everyday_words_and_synonyms(expander):
    """"nerve damage" and "toxicity" are forms of terms the sources print in other words, not the same
    term: a sentence on adverse events does not name what "toxicity" asks for."""
    assert expander.equivalent_terms("nerve damage and other toxicity in elderly patients") == []
