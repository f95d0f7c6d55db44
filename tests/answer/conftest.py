"""Answer-layer fixtures: one ``Services`` (real model, real index built by the session fixture), warmed
once so every corpus sentence is embedded a single time for the whole session."""

from __future__ import annotations

import pytest

from assistant.settings import Settings


@pytest.fixture(scope="session")
def services(built_index: Settings):
    from assistant.answer.services import Services

    return Services.load(built_index, build_index=False, warm=True)
