"""Build aside, then swap: a crash at any moment leaves a complete index in place, or none.

A build works in a sibling directory (``<index_dir>.building-<pid>-<random>``) and, once complete
(its state file written last), replaces the index with two renames: index -> ``<index_dir>.old-...``,
build -> index. Between the renames there is briefly no index but a complete build directory;
``recover`` (run under the ingest lock, so no live build is touched) finishes such a swap and removes
every other leftover, so a killed ingest never needs manual cleanup.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from ingest.errors import IndexWriteError
from ingest.health import SQLITE_FILE, STATE_FILE, check_index

# Chroma's own files; everything else at the top of the index directory is derived data other
# components keep beside the index (e.g. the answer layer's sentence vectors, keyed by content
# hashes), carried over into a from-scratch rebuild instead of being recomputed.
_CHROMA_FILES = (SQLITE_FILE, f"{SQLITE_FILE}-journal", f"{SQLITE_FILE}-wal", f"{SQLITE_FILE}-shm")


# What a read-only, unwritable or full disk raises. Other OSErrors (a missing model file, say) are not
# about where the index lives and propagate unchanged.
STORAGE_ERRNOS = frozenset(
    {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG}
)


def is_storage_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


@contextmanager
def storage_errors(index_dir: Path) -> Iterator[None]:
    """Turn a read-only / full disk ``OSError`` raised in the block into an ``IndexWriteError``."""
    try:
        yield
    except OSError as exc:
        if not is_storage_error(exc):
            raise
        raise write_error(index_dir, exc) from exc


def write_error(index_dir: Path, exc: OSError) -> IndexWriteError:
    """A one-line message naming the directory and the cause (with its errno name, e.g. ENOSPC)."""
    code = errno.errorcode.get(exc.errno or 0, "")
    cause = f"{exc.strerror or exc}" + (f" ({code})" if code else "")
    where = f" [{exc.filename}]" if exc.filename else ""
    return IndexWriteError(
        f"cannot write the index in {index_dir.parent}: {cause}{where}; the existing index is unchanged"
    )


def new_build_dir(index_dir: Path) -> Path:
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    prefix = f"{index_dir.name}.building-{os.getpid()}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=index_dir.parent))


def leftovers(index_dir: Path) -> list[Path]:
    """Build and old directories of this index left by interrupted ingests (newest first)."""
    if not index_dir.parent.is_dir():
        return []
    prefixes = (f"{index_dir.name}.building-", f"{index_dir.name}.old-")
    found = [p for p in index_dir.parent.iterdir() if p.name.startswith(prefixes) and p.is_dir()]
    return sorted(found, key=_mtime, reverse=True)


def _mtime(path: Path) -> float:
    """0 for a directory removed meanwhile: a reader lists these without the lock."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def recover(index_dir: Path, collection: str) -> list[str]:
    """Finish a swap cut between its two renames, then remove leftovers. Call only under the ingest lock.

    Returns what was done, one note per action, for the log.
    """
    notes: list[str] = []
    remaining = leftovers(index_dir)
    if not index_dir.exists():
        # A build directory is newer than an old one; either is good if complete.
        candidates = sorted(remaining, key=lambda p: ".building-" not in p.name)
        for candidate in candidates:
            if check_index(candidate, collection).status == "ok":
                os.rename(candidate, index_dir)
                remaining.remove(candidate)
                notes.append(f"restored the complete index left in {candidate.name}")
                break
    for path in remaining:
        shutil.rmtree(path, ignore_errors=True)
        notes.append(f"removed {path.name}, left by an interrupted ingest")
    return notes


def copy_index(source: Path, target: Path) -> None:
    """The current index as the starting point of an incremental build.

    Not ``shutil.copytree``: it gathers per-file failures into one ``shutil.Error`` without an errno,
    and the message a full disk gets needs it (ENOSPC). The database goes through SQLite's backup API,
    because Chroma writes to it even when only opened for reading (measured: a query changes the
    file), and a plain file copy taken meanwhile could be torn.
    """
    for folder, _, files in os.walk(source):
        destination = target / Path(folder).relative_to(source)
        destination.mkdir(parents=True, exist_ok=True)
        for name in files:
            if Path(folder) == source and name in _CHROMA_FILES:
                continue
            shutil.copy2(Path(folder) / name, destination / name)
    if (source / SQLITE_FILE).is_file():
        _copy_database(source / SQLITE_FILE, target / SQLITE_FILE)


def _copy_database(source: Path, target: Path) -> None:
    try:
        with (
            closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as origin,
            closing(sqlite3.connect(target)) as copy,
        ):
            origin.backup(copy)
    except sqlite3.Error as exc:  # SQLite reports a full or read-only disk in words, not errno
        text = str(exc).lower()
        code = errno.ENOSPC if "full" in text else errno.EROFS if "readonly" in text else errno.EIO
        raise OSError(code, f"{os.strerror(code)} ({exc})", str(target)) from exc


def carry_over(source: Path, target: Path) -> list[str]:
    """Copy the derived files kept beside the index (not Chroma's, not the state) into a new build."""
    if not source.is_dir():
        return []
    carried = []
    for path in source.iterdir():
        if path.is_file() and path.name not in (*_CHROMA_FILES, STATE_FILE):
            shutil.copy2(path, target / path.name)
            carried.append(path.name)
    return carried


def write_state(build_dir: Path, text: str) -> None:
    """The completeness marker, written last and flushed to disk before the swap."""
    path = build_dir / STATE_FILE
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def swap(build_dir: Path, index_dir: Path) -> None:
    """Put the complete build in place of the index, then delete the old one."""
    old = None
    if index_dir.exists():
        old = index_dir.with_name(f"{index_dir.name}.old-{os.getpid()}-{time.time_ns()}")
        os.rename(index_dir, old)
    os.rename(build_dir, index_dir)
    _fsync_dir(index_dir.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
