"""Heavy, shared, read-only objects, built once per server process with ``st.cache_resource``.

The first start on a fresh machine has no index: it is built here with visible progress, then the
page continues. A broken or incompatible index gets a plain message and a rebuild button, never a
traceback. Nothing in here may hold patient data: these objects are shared by every browser session.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st

from assistant.settings import Settings, get_settings
from ingest.corpus import Corpus, CorpusError

if TYPE_CHECKING:
    from assistant.answer.services import Services

log = logging.getLogger(__name__)


def current_settings() -> Settings:
    """Settings from the environment (RRMM_*), read on each run so tests can point at their index."""
    return get_settings()


@st.cache_resource(show_spinner=False)
def _corpus(corpus_dir: str) -> Corpus:
    from pathlib import Path

    return Corpus(Path(corpus_dir))


@st.cache_resource(show_spinner="Loading the embedding model and opening the index…")
def _services(_settings: Settings, settings_key: str) -> Services:
    from assistant.answer.services import Services

    # The index was checked (and built if needed) just before, with visible progress. Embedding every
    # corpus sentence up front takes minutes on a laptop CPU, so it runs in the background: the page is
    # usable at once, early questions embed what they need themselves (the cache is a plain dict, and
    # at worst a sentence is embedded twice), and later questions find everything ready.
    services = Services.load(_settings, build_index=False, warm=False)
    _warm_in_background(services.bank)
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


def _warm_in_background(bank: Any, batch: int = 64) -> None:
    """Embed every corpus sentence on a background thread that stops cleanly when the process exits
    (a thread killed inside torch at interpreter exit aborts the process)."""
    stop = threading.Event()
    warm_up.total, warm_up.done, warm_up.seconds = 0, 0, None

    def warm() -> None:
        started = time.perf_counter()
        units = [u for chunk in bank.chunks.values() for u in bank.units(chunk)]
        warm_up.total = len(units)
        for start in range(0, len(units), batch):
            if stop.is_set():
                return
            bank.vectors(units[start:start + batch])
            warm_up.done = min(start + batch, len(units))
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
    """Services for these settings. Builds a missing or stale index first, with visible progress."""
    from ingest.index import IndexIncompatible, IndexMissing, index_exists
    from ingest.pipeline import is_up_to_date

    key = settings.model_dump_json()
    try:
        if key not in _checked:
            if not index_exists(settings):
                _build_index(settings, force=False, reason="First start: building the search index")
            elif not is_up_to_date(settings):
                _build_index(settings, force=False, reason="The corpus changed: updating the index")
            _checked.add(key)
        return _services(settings, key)
    except (IndexMissing, IndexIncompatible) as exc:
        _offer_rebuild(settings, f"The search index cannot be used: {exc}")
    except Exception as exc:  # a damaged index fails in many ways; the clinician needs one way out
        log.error("opening the index failed: %s: %s", type(exc).__name__, exc)
        _offer_rebuild(settings, f"The search index could not be opened ({type(exc).__name__}: {exc}).")
    raise AssertionError("unreachable: _offer_rebuild stops the script")


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
    from ingest.pipeline import build_index

    started = time.perf_counter()
    with st.status(f"{reason}…", expanded=True) as status:
        st.write("Reading, cleaning and chunking the corpus, then embedding every passage on this "
                 "computer. This happens once and takes about a minute.")
        report = build_index(settings, force=force, progress=False)
        elapsed = time.perf_counter() - started
        status.update(label=f"Search index ready in {elapsed:.0f} s", state="complete", expanded=False)
    log.info("index built: %s", report.summary())
    _services.clear()
    _checked.discard(settings.model_dump_json())


def _offer_rebuild(settings: Settings, message: str) -> None:
    st.error(message, icon=":material/database:")
    if st.button("Rebuild index", type="primary", icon=":material/build:", key="rrmm_rebuild_index"):
        _build_index(settings, force=True, reason="Rebuilding the search index")
        st.rerun()
    st.stop()
