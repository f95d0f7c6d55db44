"""Reading evaluation sets: one JSON object per line, errors that name the file and the line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_jsonl(path: str | Path, kind: str) -> list[tuple[int, Any]]:
    """(line number, parsed value) for every non-blank line of `path`.

    `kind` names the set in messages ("QA", "vignette"). A missing file is FileNotFoundError; a line
    that is not JSON, or a file with no items, is ValueError naming the file (and line).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: {kind} file not found")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    if not rows:
        raise ValueError(f"{path}: no {kind} items")
    return rows
