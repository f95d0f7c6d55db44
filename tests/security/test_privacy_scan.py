"""Privacy: after a real browser session whose patient text and question carry a unique marker, the
marker is nowhere on disk: not in the server's log, the index, the project tree, ~/.streamlit or any file
created in the temp folder during the run. Telemetry is off in the project's own configuration.

The marker is drawn at run time, so it is not in this file's bytecode or in any earlier run's files.
"""

from __future__ import annotations

import secrets
import string
import tempfile
import time
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".git", ".venv", "node_modules"}
CHUNK = 1 << 20


def _marker() -> str:
    return "PT" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(10))


def _files(root: Path, since: float | None = None) -> Iterator[Path]:
    if not root.exists():
        return
    for path in root.rglob("*"):
        if any(part in SKIPPED_DIRS for part in path.relative_to(root).parts):
            continue
        try:
            if path.is_file() and not path.is_symlink() and (since is None or path.stat().st_mtime >= since):
                yield path
        except OSError:  # removed while we looked (other processes use the temp folder too)
            continue


def files_containing(marker: str, paths: Iterable[Path]) -> list[Path]:
    """Files whose bytes hold `marker` in any letter case (as UTF-8)."""
    needle = marker.lower().encode()
    hits = []
    for path in paths:
        try:
            with path.open("rb") as fh:
                tail = b""
                while chunk := fh.read(CHUNK):
                    if needle in (tail + chunk).lower():
                        hits.append(path)
                        break
                    tail = chunk[-len(needle):]
        except OSError:
            continue
    return hits


def _temp_files(since: float) -> Iterator[Path]:
    """Temp files written since `since`, less this workplace's job records (not the project) and the test
    browser's own profile (the clinician's browser, not the server)."""
    for top in Path(tempfile.gettempdir()).iterdir():
        if top.name.startswith(("bash_jobs", "bash_tool", "playwright_chromiumdev_profile")):
            continue
        try:
            if top.is_dir() and not top.is_symlink():
                yield from _files(top, since)
            elif top.is_file() and top.stat().st_mtime >= since:
                yield top
        except OSError:
            continue


def test_privacy_scan_finds_a_planted_marker(tmp_path: Path) -> None:
    """The scanner itself can fail: a marker split across a read boundary, in another case, is found."""
    marker = _marker()
    planted = tmp_path / "deep" / "planted.bin"
    planted.parent.mkdir()
    planted.write_bytes(b"x" * (CHUNK - 4) + marker.lower().encode() + b"y")
    (tmp_path / "clean.txt").write_text("nothing here", encoding="utf-8")
    assert files_containing(marker, _files(tmp_path)) == [planted]


def test_privacy_no_patient_text_on_disk_after_a_session(served_app) -> None:
    from playwright.sync_api import sync_playwright
    from ui_browser import launch_chromium, open_app, send_message, wait_for_reply

    marker = _marker()
    session_started = time.time()
    downloads = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.on("download", lambda download: downloads.append(download))
            open_app(page, served_app.url)
            send_message(page, f"Patient {marker}: 68M, VRd then R maintenance, progressing on R. "
                               "Dara naive. What next?")
            wait_for_reply(page, 0)
            send_message(page, f"For {marker}, what did the CANDOR trial show for progression-free survival?")
            wait_for_reply(page, 1)
            card = page.locator(".st-key-rrmm-branch-card").inner_text()
            sidebar = page.get_by_test_id("stSidebar").inner_text()
        finally:
            browser.close()
    # The marker went through the whole patient path: parsed into the facts, decided, answered.
    assert "First relapse, lenalidomide-refractory" in card, card
    assert marker in sidebar, "the patient panel does not quote the patient text"
    assert not downloads, "something was exported without the user clicking Download"

    log = served_app.log_path.read_text(encoding="utf-8", errors="replace")
    assert "You can now view your Streamlit app" in log  # the scan reads the real server log
    since = min(served_app.started_at, session_started) - 1
    scanned = {
        "server log": [served_app.log_path],
        "index folder": list(_files(served_app.index_dir)),
        "project tree": list(_files(PROJECT_ROOT)),
        "~/.streamlit": list(_files(Path.home() / ".streamlit")),
        "temp files written during the run": list(_temp_files(since)),
    }
    assert scanned["index folder"] and scanned["project tree"]
    hits = {where: [str(p) for p in files_containing(marker, paths)] for where, paths in scanned.items()}
    assert not any(hits.values()), f"patient text written to disk: {hits}"


def test_privacy_telemetry_off_in_project_configuration(tmp_path: Path) -> None:
    from ingest.index import client_for

    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert client_for(tmp_path / "chroma").get_settings().anonymized_telemetry is False
