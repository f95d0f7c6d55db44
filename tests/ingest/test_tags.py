from __future__ import annotations

from pathlib import Path

import pytest

import assistant.vocabulary as vocabulary_package
from ingest.models import Chunk
from ingest.tags import Tagger, tagger_version


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


@pytest.mark.parametrize(
    ("text", "branch"),
    [
        pytest.param(
            "First relapse in patients with lenalidomide-refractory disease",
            "first_relapse_len_refractory",
            id="len-refractory-first-relapse",
        ),
        pytest.param(
            "patients with triple-class refractory disease", "triple_class_refractory", id="triple-class"
        ),
        pytest.param(
            "In the MAIA trial, front-line daratumumab", "first_relapse_after_frontline_dara_len", id="maia"
        ),
        pytest.param("the ALCYONE trial", "first_relapse_after_frontline_dvmp", id="alcyone"),
        pytest.param("salvage ASCT should be considered", "salvage_asct", id="salvage-asct"),
        pytest.param(
            "patients who have received two or more previous lines of therapy",
            "later_relapse_anti_cd38_naive",
            id="later-relapse",
        ),
    ],
)
def test_tagger_branch_from_mentions(tagger: Tagger, text: str, branch: str) -> None:
    assert branch in tagger.branches(text)


def test_tagger_no_branch_for_unrelated_text(tagger: Tagger) -> None:
    assert tagger.branches("Relapsed disease is defined as progressive disease after a response.") == []


def test_tagger_len_refractory_needs_first_relapse_context(tagger: Tagger) -> None:
    assert "first_relapse_len_refractory" not in tagger.branches(
        "lenalidomide-refractory disease in later lines"
    )


def test_tagger_regimens_from_spelled_out_names(tagger: Tagger) -> None:
    text = "daratumumab plus lenalidomide plus dexamethasone versus lenalidomide plus dexamethasone; KRd"
    assert tagger.regimens(text) == ["DRd", "KRd", "Rd"]


def test_tagger_trials_case_sensitive_for_common_words(tagger: Tagger) -> None:
    assert tagger.trials("First relapse in the POLLUX trial") == ["POLLUX"]


def test_tagged_chunks_carry_section_branch(chunks: list[Chunk]) -> None:
    in_section = [
        c for c in chunks if c.section == "First relapse in patients with lenalidomide-refractory disease"
    ]
    assert in_section and all("first_relapse_len_refractory" in c.branches for c in in_section)
    castor = [c for c in chunks if "In the CASTOR trial, bortezomib plus dexamethasone" in c.text]
    assert castor and "CASTOR" in castor[0].trials and "DVd" in castor[0].regimens


def test_tagger_version_follows_the_vocabulary_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Editing how mentions are read (not only the vocabulary's data) re-tags the index on the next ingest."""
    source = Path(vocabulary_package.__file__)
    for path in source.parent.glob("*.yaml"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    copy = tmp_path / "__init__.py"
    copy.write_bytes(source.read_bytes())
    monkeypatch.setattr(vocabulary_package, "__file__", str(copy))
    before = tagger_version()
    copy.write_bytes(source.read_bytes() + b"\n# a change to how regimens are found\n")
    assert tagger_version() != before
