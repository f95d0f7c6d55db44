"""Fixtures for the page tests: the app pointed at the session's built test index (never rebuilt here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest
from ui_browser import open_app_session, settings_env


@pytest.fixture(scope="session")
def app_env(built_index) -> dict[str, str]:
    """RRMM_* variables pointing the app at the built test index."""
    return settings_env(built_index)


@pytest.fixture
def app(app_env: dict[str, str]) -> Iterator[AppTest]:
    """A fresh browser session on the shared, already-loaded services."""
    yield from open_app_session(app_env)
