"""One ingest at a time per index: an OS file lock beside the index directory.

The lock file sits next to the index (``<index_dir>.lock``), not inside it, because the index directory
itself is swapped out by each build. It is a kernel ``flock`` (``filelock.FileLock``), so a killed
holder releases it at once and no stale lock ever needs manual removal. The holder writes its pid and
start time into the file so that a refused second ingest can say who is building.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ingest.errors import IngestBusy


def lock_path(index_dir: Path) -> Path:
    return index_dir.with_name(f"{index_dir.name}.lock")


def _record_holder(fd: int) -> None:
    """Called by filelock with the lock held: who holds it, for the message a contender prints."""
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(holder).encode())


def describe_holder(path: Path) -> str:
    """"pid 123 on host, since 23:41:05 UTC", or a plain phrase when the file says nothing usable."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        since = time.strftime("%H:%M:%S UTC", time.gmtime(float(holder["since"])))
        return f"pid {int(holder['pid'])} on {holder['host']}, since {since}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextmanager
def ingest_lock(index_dir: Path, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the ingest lock of ``index_dir`` for the block; wait at most ``wait_s`` seconds for it.

    Raises ``IngestBusy`` (naming the holder) when it is not free in time, and ``OSError`` when the
    lock file cannot be created (read-only or full disk): the caller turns that into a clear message.
    """
    path = lock_path(index_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    # preserve_lock_file: never fall back to a soft (unlink-on-release) lock, which could leave a stale
    # marker behind a killed process.
    lock = FileLock(path, timeout=wait_s, preserve_lock_file=True, on_acquired=_record_holder)
    try:
        lock.acquire()
    except Timeout:
        waited = f" after waiting {wait_s:.0f} s" if wait_s >= 1 else ""
        raise IngestBusy(
            f"another ingest is building {index_dir} ({describe_holder(path)}){waited}; "
            "wait for it to finish, then try again"
        ) from None
    try:
        yield
    finally:
        lock.release()


def try_lock(index_dir: Path) -> FileLock | None:
    """The lock if it is free right now (caller releases it), else None; None too on a read-only disk."""
    path = lock_path(index_dir)
    if not path.parent.is_dir():
        return None
    lock = FileLock(path, timeout=0, preserve_lock_file=True, on_acquired=_record_holder)
    try:
        lock.acquire()
    except (Timeout, OSError):
        return None
    return lock
