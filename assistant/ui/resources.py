"""Heavy, shared, read-only objects, built once per server process with ``st.cache_resource``.

The first start on a fresh machine has no index: it is built here with visible progress, then the
page continues. A damaged index (killed build, corrupted file) is rebuilt the same way, automatically;
an index built with another embedding model gets a plain message and a rebuild button. Never a
traceback. Nothing in here may hold patient data: these objects are shared by every browser session.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from assistant.settings import Settings, SettingsError, get_settings
from ingest.corpus import Corpus, CorpusError

if TYPE_CHECKING:
    from assistant.answer.services import Services

log = logging.getLogger(__name__)


def current_settings() -> Settings:
    """Settings from the environment (RRMM_*), read on each run so tests can point at their index. A bad
    value stops the page with the variable named, not a traceback."""
    try:
        return get_settings()
    except SettingsError as exc:
        st.error(
            f"The page cannot start: {exc}. Fix or unset the variable and reload.", icon=":material/error:"
        )
        st.stop()
        raise  # st.stop() raises; this line only tells type checkers the function never returns here


@st.cache_resource(show_spinner=False)
def _corpus(corpus_dir: str) -> Corpus:
    return Corpus(Path(corpus_dir))


@st.cache_resource(show_spinner="Loading the embedding model and opening the index…")
def _services(_settings: Settings, settings_key: str) -> Services:
    from assistant.answer.services import SENTENCE_CACHE, Services

    # The index was checked (and built if needed) just before, with visible progress. Embedding every
    # corpus sentence up front takes minutes on a laptop CPU, so it runs in the background: the page is
    # usable at once, early questions embed what they need themselves (the cache is a plain dict, and
    # at worst a sentence is embedded twice), and later questions find everything ready.
    services = Services.load(_settings, build_index=False, warm=False)
    _warm_in_background(services.bank, Path(_settings.index_dir) / SENTENCE_CACHE)
    return services


@dataclass
class WarmUp:
    """Progress of the background sentence embedding (shown in the sidebar; no patient data)."""

    total: int = 0
    done: int = 0
    seconds: float | None = None

    @property
    def ready(self) -> bool:
        return self.seconds is not None


warm_up = WarmUp()


def _warm_in_background(bank: Any, cache_path: Path, batch: int = 64) -> None:
    """Ready the corpus-wide sentence search on a background thread that stops cleanly when the process
    exits (a thread killed inside torch at interpreter exit aborts the process).

    With the vectors cached beside the index this takes a second or two. Otherwise ``SentenceBank.warm``
    embeds them in batches, reporting each to the sidebar, and saves them for the next start.
    """
    stop = threading.Event()
    warm_up.total, warm_up.done, warm_up.seconds = 0, 0, None

    def warm() -> None:
        started = time.perf_counter()
        warm_up.total = sum(len(bank.units(chunk)) for chunk in bank.chunks.values())

        def progress(done: int, total: int) -> bool:
            warm_up.done = done
            return not stop.is_set()

        if bank.warm(cache_path=cache_path, batch=batch, on_batch=progress):
            warm_up.done = warm_up.total
            warm_up.seconds = time.perf_counter() - started
            log.info("sentence embeddings ready: %d sentences in %.0f s", warm_up.total, warm_up.seconds)

    thread = threading.Thread(target=warm, name="rrmm-warm-sentences", daemon=True)
    thread.start()

    def finish() -> None:
        stop.set()
        thread.join(timeout=60)

    atexit.register(finish)


# Settings (as JSON) whose index this process has already checked: later runs skip the check. Shared by
# all sessions, and holds no patient data.
_checked: set[str] = set()


def load_corpus(settings: Settings) -> Corpus:
    """The five documents' metadata and printed lines; a changed corpus file stops the page clearly."""
    try:
        return _corpus(str(settings.corpus_dir))
    except CorpusError as exc:
        st.error(f"The corpus cannot be used: {exc}", icon=":material/error:")
        st.stop()


def load_services(settings: Settings) -> Services:
    """Services for these settings. Builds a missing, damaged or stale index first, with visible progress.

    Only a decision the clinician must make (an index built with another embedding model) gets a
    button; everything else is repaired automatically or explained in one line, never a traceback.
    """
    from ingest.errors import IndexIncompatible, IndexMissing, IndexWriteError, IngestBusy
    from ingest.pipeline import index_health

    key = settings.model_dump_json()
    try:
        if key not in _checked:
            health = index_health(settings)
            if not health.ok:
                _build_index(settings, force=False, reason=_BUILD_REASONS[health.status])
            _checked.add(key)
        return _services(settings, key)
    except IngestBusy as exc:
        st.info(f"The search index is not ready: {exc}.", icon=":material/hourglass_top:")
        st.stop()
    except IndexWriteError as exc:
        st.error(f"The search index cannot be built: {exc}.", icon=":material/database:")
        st.stop()
    except (IndexMissing, IndexIncompatible) as exc:
        _offer_rebuild(settings, f"The search index cannot be used: {exc}")
    except Exception as exc:  # a damaged index fails in many ways; the clinician needs one way out
        log.error("opening the index failed: %s: %s", type(exc).__name__, exc)
        if key not in _auto_rebuilt:  # it passed the health check yet fails to open: rebuild it once
            _auto_rebuilt.add(key)
            _rebuild(settings, reason="The search index could not be opened: rebuilding it")
        _offer_rebuild(settings, f"The search index could not be opened ({type(exc).__name__}: {exc}).")
    raise AssertionError("unreachable: st.stop / st.rerun end the script run")


# What the status box says while the index is built, by what the health check found.
_BUILD_REASONS = {
    "missing": "First start: building the search index",
    "stale": "The corpus changed: updating the index",
    "damaged": "The search index was damaged (an interrupted build?): rebuilding it",
}
# Settings whose index was rebuilt automatically after failing to open; a second failure asks instead.
_auto_rebuilt: set[str] = set()


def render_status(services: Services) -> None:
    """One quiet line at the foot of the sidebar: what is loaded, and whether answers are at full speed."""
    passages = len(services.retriever.chunks)
    if warm_up.ready:
        note = f"{passages} passages indexed; sentence search ready."
    else:
        share = f" ({warm_up.done * 100 // warm_up.total}%)" if warm_up.total else ""
        note = f"{passages} passages indexed; preparing sentence search{share}, so first answers are slower."
    st.sidebar.caption(f":material/memory: {note}")


def _build_index(settings: Settings, *, force: bool, reason: str) -> None:
    from ingest.pipeline import ENSURE_WAIT_S, build_index

    started = time.perf_counter()
    with st.status(f"{reason}…", expanded=True) as status:
        st.write(
            "Reading, cleaning and chunking the corpus, then embedding every passage on this "
            "computer. This happens once and takes about a minute."
        )
        # Another process (a second app, `python -m ingest`) may be building it: wait for that build.
        report = build_index(settings, force=force, progress=False, wait_s=ENSURE_WAIT_S)
        elapsed = time.perf_counter() - started
        status.update(label=f"Search index ready in {elapsed:.0f} s", state="complete", expanded=False)
    log.info("index built: %s", report.summary())
    _services.clear()
    _checked.discard(settings.model_dump_json())


def _offer_rebuild(settings: Settings, message: str) -> None:
    st.error(message, icon=":material/database:")
    if st.button("Rebuild index", type="primary", icon=":material/build:", key="rrmm_rebuild_index"):
        _rebuild(settings, reason="Rebuilding the search index")
    st.stop()


def _rebuild(settings: Settings, *, reason: str) -> None:
    """Rebuild from scratch and rerun the page; if even that fails, say why in one line and stop."""
    try:
        _build_index(settings, force=True, reason=reason)
    except Exception as exc:  # read-only or full disk, another build, a corpus error: all one-liners
        log.error("rebuilding the index failed: %s: %s", type(exc).__name__, exc)
        st.error(f"The search index could not be rebuilt: {exc}", icon=":material/database:")
        st.stop()
    st.rerun()
