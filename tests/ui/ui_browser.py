"""Run the real app (`streamlit run app.py`) and drive it in Debian's headless Chromium.

Shared by tests/ui/test_browser.py and scripts/screenshots.py. Playwright only drives the browser
installed by `make browser`; it never downloads one.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright
from streamlit.testing.v1 import AppTest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP_FILE = PROJECT_ROOT / "app.py"
# AppTest: the first run in a process loads the embedding model and opens the index; later runs are warm.
APP_TIMEOUT_S = 180
CHROMIUM = Path("/usr/bin/chromium")
HOST = "127.0.0.1"  # the page holds patient data: never reachable from another machine
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def settings_env(settings: object) -> dict[str, str]:
    """RRMM_* variables that make a child process load exactly these settings."""
    dumped = settings.model_dump()  # type: ignore[attr-defined]
    return {f"RRMM_{name.upper()}": str(value) for name, value in dumped.items() if value is not None}


def streamlit_command(port: int) -> list[str]:
    """`streamlit run app.py` bound to localhost only, with usage statistics off."""
    return [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.address", HOST, "--server.port", str(port), "--server.headless", "true",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]


@contextlib.contextmanager
def serve_app(env: Mapping[str, str], log_path: Path, startup_timeout: float = 120.0) -> Iterator[str]:
    """Start `streamlit run app.py` on a free localhost port; yield its URL; stop it afterwards."""
    port = free_port()
    command = streamlit_command(port)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env},
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://{HOST}:{port}"
            _wait_healthy(url, process, startup_timeout, log_path)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            if r.read().strip() == b"ok":
                return
        time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout:.0f} s")


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Debian Chromium; never a Playwright-downloaded browser."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


# ---- page helpers (selectors follow Streamlit's data-testid attributes) --------------------------------

APP_READY_TIMEOUT_MS = 180_000  # first run may load the model and open the index


def open_app(page: Page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_test_id("stChatInput").wait_for(timeout=APP_READY_TIMEOUT_MS)
    wait_idle(page)


def wait_idle(page: Page, timeout_ms: int = 120_000) -> None:
    """Wait until the script run has finished (the app root reports its script state)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout_ms)


def send_message(page: Page, text: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def turn(page: Page, index: int) -> Locator:
    """The assistant's reply to the index-th message (0-based): a keyed container in the chat."""
    return page.locator(f".st-key-rrmm-turn-{index}")


def wait_for_reply(page: Page, index: int, timeout_ms: int = 120_000) -> Locator:
    """The reply, once its text is on screen and the run that drew it has finished."""
    reply = turn(page, index)
    reply.locator('[data-testid="stMarkdown"], [data-testid="stAlert"]').first.wait_for(timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    return reply


def open_app_session(env: dict[str, str]) -> Iterator[AppTest]:
    """A fresh browser session (empty session_state) with `env` set while it lives; any scope can use it."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        at = AppTest.from_file(str(APP_FILE), default_timeout=APP_TIMEOUT_S)
        at.run()
        assert not at.exception, at.exception
        yield at
