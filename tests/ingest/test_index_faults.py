"""Index faults, injected one at a time on real indexes (real model, real Chroma, real subprocesses).

A one-document index is built once for the module and copied for each fault, so a rebuild costs
seconds; the killed-ingest test uses a copy of the session's full index (its build takes long enough
to be killed mid-way). Each test injects one fault and checks the outcome a clinician would see: the
index is rebuilt or refused with a one-line reason, and the old index is never left broken.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from assistant.settings import PROJECT_ROOT, Settings, get_settings
from ingest.__main__ import main as ingest_main
from ingest.atomic import leftovers
from ingest.embedding import Embedder
from ingest.errors import IngestBusy
from ingest.health import SQLITE_FILE, STATE_FILE, check_index, read_state
from ingest.index import open_for_writing, open_index
from ingest.lock import ingest_lock, lock_path
from ingest.pipeline import build_index, ensure_index, is_up_to_date

SMALL_DOC = "belgian-review"
SENTENCE_CACHE = "answer_sentence_vectors.npz"  # what the answer layer keeps beside the index
SUBPROCESS_TIMEOUT_S = 120


def small_corpus(target: Path) -> Path:
    """The corpus reduced to one short document (manifest hashes unchanged: the text is the original)."""
    manifest = yaml.safe_load((PROJECT_ROOT / "corpus" / "metadata.yaml").read_text(encoding="utf-8"))
    entries = [entry for entry in manifest["documents"] if entry["id"] == SMALL_DOC]
    target.mkdir(parents=True)
    shutil.copy2(PROJECT_ROOT / "corpus" / entries[0]["file"], target / entries[0]["file"])
    (target / "metadata.yaml").write_text(yaml.safe_dump({"documents": entries}), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """A complete one-document index, built once; tests work on copies (``index_copy``)."""
    root = tmp_path_factory.mktemp("small")
    settings = get_settings(corpus_dir=small_corpus(root / "corpus"), index_dir=root / "index")
    build_index(settings, progress=False)
    (settings.index_dir / SENTENCE_CACHE).write_bytes(b"sentence vectors stand-in")
    return settings


@pytest.fixture
def index_copy(small_index: Settings, tmp_path: Path) -> Settings:
    target = tmp_path / "index"
    shutil.copytree(small_index.index_dir, target)
    return small_index.model_copy(update={"index_dir": target})


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[Settings], list[str]]:
    """Point `python -m ingest` (run in-process) at these settings' corpus; returns its index argument."""

    def point(settings: Settings) -> list[str]:
        monkeypatch.setenv("RRMM_CORPUS_DIR", str(settings.corpus_dir))
        return ["--index-dir", str(settings.index_dir), "--quiet"]

    return point


def snapshot(index_dir: Path) -> dict[str, str]:
    """Content hash of every file in the index: 'intact' means byte for byte."""
    return {
        str(path.relative_to(index_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(index_dir.rglob("*"))
        if path.is_file()
    }


def assert_sound(settings: Settings, embedder: Embedder) -> None:
    """Healthy by the check, no leftovers beside it, and Chroma opens it and answers a query."""
    health = check_index(Path(settings.index_dir), settings.collection)
    assert health.ok, health.reason
    assert leftovers(Path(settings.index_dir)) == []
    index = open_index(settings, embedder)
    assert index.count() == read_state(Path(settings.index_dir))["report"]["chunks"] > 5
    assert len(index.query(embedder.embed_query("daratumumab at relapse"), 3)) == 3


def _make_stale(settings: Settings) -> None:
    """As if built from another corpus version: the next ingest updates a copy of it incrementally."""
    state = Path(settings.index_dir) / STATE_FILE
    state.write_text(state.read_text(encoding="utf-8").replace('"fingerprint": "', '"fingerprint": "x'),
                     encoding="utf-8")


# ---- health check ------------------------------------------------------------------------------------


def test_check_index_fresh_full_build_is_ok(built_index: Settings) -> None:
    """Guards the SQL against Chroma's internal schema: a real full build must pass."""
    assert check_index(Path(built_index.index_dir), built_index.collection).status == "ok"


def test_check_index_other_fingerprint_is_stale(index_copy: Settings) -> None:
    health = check_index(Path(index_copy.index_dir), index_copy.collection, fingerprint="0" * 16)
    assert health.status == "stale"


# ---- faults: missing, damaged, leftovers --------------------------------------------------------------


def _garbage(index_dir: Path) -> None:
    (index_dir / SQLITE_FILE).write_bytes(os.urandom(64 * 1024))


def _truncated(index_dir: Path) -> None:
    data = (index_dir / SQLITE_FILE).read_bytes()
    (index_dir / SQLITE_FILE).write_bytes(data[: len(data) // 2])


def _no_state(index_dir: Path) -> None:
    (index_dir / STATE_FILE).unlink()


def _no_database(index_dir: Path) -> None:
    (index_dir / SQLITE_FILE).unlink()


def _fewer_chunks(index_dir: Path) -> None:
    """A collection missing chunks its state file records (as an interrupted in-place upsert leaves)."""
    with sqlite3.connect(index_dir / SQLITE_FILE) as db:
        db.execute("DELETE FROM embeddings WHERE id IN (SELECT id FROM embeddings LIMIT 3)")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        pytest.param(_garbage, "cannot be read", id="garbage-bytes"),
        pytest.param(_truncated, "cannot be read|integrity", id="truncated"),
        pytest.param(_no_state, "state file", id="state-file-missing"),
        pytest.param(_no_database, "chroma.sqlite3 is missing", id="database-missing"),
        pytest.param(_fewer_chunks, "holds .* chunks, but", id="chunk-count-mismatch"),
    ],
)
def test_check_index_damage_detected_with_reason(
    index_copy: Settings, damage: Callable[[Path], None], reason: str
) -> None:
    index_dir = Path(index_copy.index_dir)
    damage(index_dir)
    health = check_index(index_dir, index_copy.collection)
    assert health.status == "damaged" and re.search(reason, health.reason), health
    assert not is_up_to_date(index_copy)


def test_ensure_index_damaged_rebuilds_from_scratch(
    index_copy: Settings, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    """Every damaged verdict takes one path (from scratch, aside, swap); shown on a collection that lost
    chunks, damaged through Chroma itself so that this process holds a cached client for the path: after
    the swap, opening the index again must read the new files, not the cached old ones."""
    index_dir = Path(index_copy.index_dir)
    writer = open_for_writing(index_copy, embedder)
    chunks = writer.count()
    writer.delete(sorted(writer.ids())[:4])
    assert check_index(index_dir, index_copy.collection).status == "damaged"
    report = ensure_index(index_copy)
    assert not report.skipped and report.embedded == report.chunks == chunks  # nothing reused
    assert any("damaged" in r.getMessage() and "from scratch" in r.getMessage() for r in caplog.records)
    assert open_index(index_copy, embedder).count() == chunks
    assert_sound(index_copy, embedder)
    assert (index_dir / SENTENCE_CACHE).read_bytes() == b"sentence vectors stand-in"  # carried over


def test_ensure_index_leftover_build_dir_removed_without_rebuild(
    index_copy: Settings, embedder: Embedder
) -> None:
    index_dir = Path(index_copy.index_dir)
    half = index_dir.with_name(f"{index_dir.name}.building-99999-x")
    shutil.copytree(index_dir, half)
    (half / STATE_FILE).unlink()  # a build killed before its completeness marker
    old = index_dir.with_name(f"{index_dir.name}.old-99999-1")
    old.mkdir()
    before = snapshot(index_dir)
    report = ensure_index(index_copy)
    assert report.skipped and not half.exists() and not old.exists()
    assert snapshot(index_dir) == before
    assert_sound(index_copy, embedder)


def test_ensure_index_missing_is_built_over_killed_first_build(
    tmp_path: Path, index_copy: Settings, embedder: Embedder
) -> None:
    """No index yet (in a folder that does not exist either) and the half-written build directory of a
    killed first ingest: the next start builds the index, and no manual cleanup is needed."""
    settings = index_copy.model_copy(update={"index_dir": tmp_path / "nested" / "index"})
    index_dir = Path(settings.index_dir)
    index_dir.parent.mkdir()
    half = index_dir.with_name(f"{index_dir.name}.building-99999-y")
    shutil.copytree(index_copy.index_dir, half)
    (half / STATE_FILE).unlink()
    report = ensure_index(settings)
    assert not report.skipped and report.embedded == report.chunks and not half.exists()
    assert_sound(settings, embedder)


def test_ensure_index_swap_cut_between_renames_is_finished(index_copy: Settings, embedder: Embedder) -> None:
    """Killed after `index -> old`, before `build -> index`: the complete build is put in place as is."""
    index_dir = Path(index_copy.index_dir)
    build = index_dir.with_name(f"{index_dir.name}.building-99999-z")
    shutil.copytree(index_dir, build)
    index_dir.rename(index_dir.with_name(f"{index_dir.name}.old-99999-2"))
    expected = snapshot(build)
    report = ensure_index(index_copy)
    assert report.skipped and report.embedded == 0  # nothing re-embedded
    assert snapshot(index_dir) == expected
    assert_sound(index_copy, embedder)


# ---- faults: other model, read-only / full disk -------------------------------------------------------


def test_ingest_other_model_index_refused_then_forced(
    index_copy: Settings, embedder: Embedder, cli_env, capsys: pytest.CaptureFixture[str]
) -> None:
    writer = open_for_writing(index_copy, embedder)
    writer.set_metadata({**writer.metadata, "embedding_model": "other-model", "embedding_dimension": 768})
    writer.close()
    index_dir = Path(index_copy.index_dir)
    _make_stale(index_copy)  # so that ingest tries to update it
    before = snapshot(index_dir)
    assert ingest_main(cli_env(index_copy)) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "other-model" in error and "--force" in error
    assert snapshot(index_dir) == before and leftovers(index_dir) == []
    assert ingest_main([*cli_env(index_copy), "--force"]) == 0
    assert_sound(index_copy, embedder)


@pytest.mark.parametrize(
    ("target", "code", "stale"),
    [
        pytest.param("ingest.pipeline.ingest_lock", errno.EACCES, False, id="EACCES-lock"),
        pytest.param("ingest.pipeline.new_build_dir", errno.EROFS, False, id="EROFS-build-dir"),
        pytest.param("shutil.copy2", errno.ENOSPC, True, id="ENOSPC-incremental-copy"),
        pytest.param("shutil.copy2", errno.ENOSPC, False, id="ENOSPC-carry-over"),
        pytest.param("ingest.pipeline.write_state", errno.ENOSPC, False, id="ENOSPC-state"),
    ],
)
def test_ingest_unwritable_disk_clear_error_old_index_intact(
    index_copy: Settings, embedder: Embedder, cli_env, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, target: str, code: int, stale: bool,
) -> None:
    """We run as root (chmod cannot make a folder read-only) and cannot fill a disk here, so the OSError
    the kernel would give is raised at each write step instead: taking the lock, making the build
    directory, copying the index into it, and writing the state file after Chroma wrote everything."""

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(args[0]) if args else None)

    if stale:
        _make_stale(index_copy)
    index_dir = Path(index_copy.index_dir)
    before = snapshot(index_dir)
    monkeypatch.setattr(target, fail)
    assert ingest_main([*cli_env(index_copy), *([] if stale else ["--force"])]) == 2
    monkeypatch.undo()
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "Traceback" not in error
    assert os.strerror(code) in error and errno.errorcode[code] in error and str(index_dir.parent) in error
    assert snapshot(index_dir) == before and leftovers(index_dir) == []
    assert check_index(index_dir, index_copy.collection).ok  # complete, still usable as it was


def test_is_storage_failure_sqlite_full_or_readonly_from_chroma() -> None:
    """Inside Chroma, SQLite's own SQLITE_FULL / SQLITE_READONLY arrive as InternalError text."""
    from chromadb.errors import InternalError

    from ingest.index import is_storage_failure

    prefix = "error returned from database: "
    assert is_storage_failure(InternalError(prefix + "(code: 13) database or disk is full"))
    assert is_storage_failure(InternalError(prefix + "(code: 8) attempt to write a readonly database"))
    assert not is_storage_failure(InternalError(prefix + "(code: 26) file is not a database"))
    assert not is_storage_failure(ValueError("database or disk is full"))


def test_build_index_up_to_date_imports_neither_chromadb_nor_torch(index_copy: Settings) -> None:
    """The every-start path stays cheap: the health check reads SQLite with the standard library."""
    code = (
        "import sys; from assistant.settings import get_settings; from ingest.pipeline import build_index; "
        f"report = build_index(get_settings(index_dir={str(index_copy.index_dir)!r}, "
        f"corpus_dir={str(index_copy.corpus_dir)!r})); "
        "print(report.skipped, 'chromadb' in sys.modules, 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=SUBPROCESS_TIMEOUT_S)
    assert result.stdout.split() == ["True", "False", "False"], result.stderr


# ---- faults: two ingests at once, killed ingest -------------------------------------------------------


def run_ingest(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RRMM_CORPUS_DIR": str(settings.corpus_dir)}
    return subprocess.run(
        [sys.executable, "-m", "ingest", "--index-dir", str(settings.index_dir), "--quiet", *args],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S,
    )


def test_ingest_second_at_once_refused_naming_holder(index_copy: Settings, embedder: Embedder) -> None:
    index_dir = Path(index_copy.index_dir)
    before = snapshot(index_dir)
    with ingest_lock(index_dir):
        second = run_ingest(index_copy, "--force")
    assert second.returncode == 2
    message = second.stderr.strip()
    assert "\n" not in message and "another ingest is building" in message
    assert f"pid {os.getpid()}" in message and "since" in message
    assert snapshot(index_dir) == before and leftovers(index_dir) == []


def test_ensure_index_waits_for_running_build_then_reports_busy(index_copy: Settings) -> None:
    """A reader does not start a second build: it waits (bounded), then says who is building."""
    _no_state(Path(index_copy.index_dir))  # needs a build
    held, release = threading.Event(), threading.Event()

    def hold() -> None:  # another "process": flock excludes a second open file, even in one process
        with ingest_lock(Path(index_copy.index_dir)):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        with pytest.raises(IngestBusy, match=rf"pid {os.getpid()} .*after waiting"):
            ensure_index(index_copy, wait_s=1.0)
    finally:
        release.set()
        holder.join(30)
    assert lock_path(Path(index_copy.index_dir)).is_file()


@pytest.fixture
def full_copy(built_index: Settings, tmp_path: Path) -> Settings:
    target = tmp_path / "full"
    shutil.copytree(built_index.index_dir, target)
    return built_index.model_copy(update={"index_dir": target})


def wait_for(condition: Callable[[], bool], timeout_s: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert process.poll() is None, f"ingest ended early: {process.communicate()}"
        assert time.monotonic() < deadline, "ingest never reached the point to kill it"
        time.sleep(0.05)


@pytest.fixture
def ingest_process(full_copy: Settings) -> Iterator[subprocess.Popen]:
    env = {**os.environ, "RRMM_CORPUS_DIR": str(full_copy.corpus_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest", "--index-dir", str(full_copy.index_dir), "--force", "--quiet"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=SUBPROCESS_TIMEOUT_S)


def test_ingest_killed_mid_embedding_old_index_intact(
    full_copy: Settings, embedder: Embedder, ingest_process: subprocess.Popen
) -> None:
    """SIGKILL once the build directory holds Chroma's database (embedding under way)."""
    index_dir = Path(full_copy.index_dir)
    before = snapshot(index_dir)

    def embedding() -> bool:
        return any((path / SQLITE_FILE).is_file() for path in leftovers(index_dir))

    wait_for(embedding, SUBPROCESS_TIMEOUT_S, ingest_process)
    ingest_process.send_signal(signal.SIGKILL)
    ingest_process.wait(timeout=30)
    assert ingest_process.returncode == -signal.SIGKILL
    assert snapshot(index_dir) == before and leftovers(index_dir)  # old index untouched; build left over
    report = ensure_index(full_copy)
    assert report.skipped  # the old index is current: nothing rebuilt, the leftover just removed
    assert_sound(full_copy, embedder)


# ---- the app -----------------------------------------------------------------------------------------


def test_page_damaged_index_rebuilt_automatically(
    index_copy: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A damaged index is rebuilt with a visible status, no button to press and no traceback."""
    from streamlit.testing.v1 import AppTest

    _truncated(Path(index_copy.index_dir))
    for name, value in index_copy.model_dump().items():
        if value is not None:
            monkeypatch.setenv(f"RRMM_{name.upper()}", str(value))
    page = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=SUBPROCESS_TIMEOUT_S).run()
    assert not page.exception, page.exception
    assert not page.error  # and no "Rebuild index" decision asked of the clinician:
    assert "rrmm_rebuild_index" not in [button.key for button in page.button]
    assert [status.label.startswith("Search index ready") for status in page.status] == [True]
    assert page.chat_input  # the page went on to the chat
    assert_sound(index_copy, embedder)
