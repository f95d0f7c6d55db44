"""Fixtures for the page tests: the app pointed at the session's built test index (never rebuilt here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest
from ui_browser import APP_FILE, APP_TIMEOUT_S, settings_env


@pytest.fixture(scope="session")
def app_env(built_index) -> dict[str, str]:
    """RRMM_* variables pointing the app at the built test index."""
    return settings_env(built_index)


@pytest.fixture
def app(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """A fresh browser session (empty session_state) on the shared, already-loaded services."""
    for name, value in app_env.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(APP_FILE), default_timeout=APP_TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    yield at
