"""One real `streamlit run app.py` for the security tests, on the session's built test index.

The concurrency test and the privacy scan share it (package scope): starting the server loads the
embedding model, which is the slowest step. Its stdout and stderr go to one log file that the privacy
scan reads afterwards.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# The server and browser helpers live beside the browser test (tests/ui/ui_browser.py); test folders are
# not packages, so the folder is put on the path to share them rather than copy them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))

from ui_browser import CHROMIUM, launch_chromium, open_app, serve_app, settings_env

WARM_TIMEOUT_S = 240


@dataclass(frozen=True)
class ServedApp:
    """A running app: where it answers, where it logs, and what it may have written to."""

    url: str
    log_path: Path
    index_dir: Path
    started_at: float  # time.time() just before the server started: files newer than this are its own
    warm: bool  # the background sentence embedding had finished before the tests drove sessions


@pytest.fixture(scope="package")
def served_app(built_index, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed: run `make browser` (Debian package chromium)")
    log_path = tmp_path_factory.mktemp("security-server") / "streamlit.log"
    started_at = time.time()
    with serve_app(settings_env(built_index), log_path) as url:
        yield ServedApp(url=url, log_path=log_path, index_dir=Path(built_index.index_dir),
                        started_at=started_at, warm=wait_until_warm(url))


def wait_until_warm(url: str, timeout_s: float = WARM_TIMEOUT_S) -> bool:
    """Open the page until its sidebar reports the sentence search ready (the server embeds every corpus
    sentence in the background after start; answers meanwhile compete with it for the CPU). False when
    still warming after `timeout_s`: the tests then run anyway, and latencies are pessimistic."""
    from playwright.sync_api import sync_playwright

    deadline = time.monotonic() + timeout_s
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            while True:
                open_app(page, url)
                if "sentence search ready" in page.get_by_test_id("stSidebar").inner_text():
                    return True
                if time.monotonic() > deadline:
                    return False
                page.wait_for_timeout(3000)
        finally:
            browser.close()


@pytest.fixture(scope="package")
def temp_root() -> Path:
    return Path(tempfile.gettempdir())
