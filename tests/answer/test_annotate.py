"""Regimen codes beside spelled-out regimens in quoted sentences."""

from __future__ import annotations

import pytest

from assistant.answer.annotate import annotate_regimens
from assistant.vocabulary import load_vocabulary


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "pomalidomide plus bortezomib plus dexamethasone or carfilzomib plus pomalidomide plus "
            "dexamethasone",
            "pomalidomide plus bortezomib plus dexamethasone [PVd] or carfilzomib plus pomalidomide plus "
            "dexamethasone [KPd]",
            id="two-regimens",
        ),
        pytest.param(
            "better with carfilzomib plus lenalidomide plus dexamethasone (n=184)",
            "better with carfilzomib plus lenalidomide plus dexamethasone [KRd] (n=184)",
            id="longest-name-wins",
        ),
        pytest.param(
            "Daratumumab plus lenalidomide plus dexamethasone (DRd) was superior",
            "Daratumumab plus lenalidomide plus dexamethasone (DRd) was superior",
            id="code-already-given",
        ),
        pytest.param(
            "HR 0·47 [0·29–0·78] with no regimen named",
            "HR 0·47 [0·29–0·78] with no regimen named",
            id="nothing-to-annotate",
        ),
    ],
)
def test_annotate_regimens_adds_codes_once(vocabulary, text: str, expected: str) -> None:
    assert annotate_regimens(text, vocabulary) == expected
