"""Privacy on the page: the server listens on localhost only, and a session leaves no patient text on disk."""

from __future__ import annotations

import os
import tempfile
import time
import tomllib
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_browser import APP_FILE, APP_TIMEOUT_S, HOST, PROJECT_ROOT, streamlit_command

CONFIG = PROJECT_ROOT / ".streamlit" / "config.toml"
_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__"}
_MAX_SCAN_BYTES = 20_000_000


def test_streamlit_config_binds_localhost_without_usage_stats() -> None:
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False


def test_browser_test_server_listens_on_localhost() -> None:
    command = streamlit_command(8501)
    assert HOST == "127.0.0.1"
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"


def files_written_since(roots: list[Path], since: float) -> list[Path]:
    found = []
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
            for name in files:
                path = Path(folder, name)
                try:
                    info = path.stat()
                except OSError:  # another test's temp file, gone already
                    continue
                if info.st_mtime >= since and info.st_size <= _MAX_SCAN_BYTES:
                    found.append(path)
    return found


def test_page_session_writes_no_patient_text_to_disk(app_env: dict[str, str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole session (case, question, hand edit, export built in memory) leaves no file holding the case."""
    marker = f"Patient-{uuid.uuid4().hex[:12]}"
    case = (f"{marker}: 66M, VRd then ASCT, PD on lenalidomide maintenance, daratumumab-naive, CrCl 70. "
            "Next line?")
    for name, value in app_env.items():
        monkeypatch.setenv(name, value)
    started = time.time() - 1
    at = AppTest.from_file(str(APP_FILE), default_timeout=APP_TIMEOUT_S).run()
    at.chat_input[0].set_value(case).run()
    at.chat_input[0].set_value(f"What did CANDOR show for {marker}?").run()
    at.number_input(key="rrmm_w_pf_age").set_value(66).run()
    assert not at.exception, at.exception
    assert marker in at.session_state["rrmm_chat"].patient_text  # the marker did reach the session
    assert at.sidebar.get("download_button"), "export is offered as a download, built only on click"

    roots = [PROJECT_ROOT, Path(app_env["RRMM_INDEX_DIR"]), Path(tempfile.gettempdir())]
    needle = marker.encode()
    leaked = [p for p in files_written_since(roots, started) if needle in _read(p)]
    assert not leaked, leaked


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
