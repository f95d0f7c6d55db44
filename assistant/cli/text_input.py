"""Checks on text from the command line or a ``--batch`` file: bad input becomes one clear message.

Arguments that were not valid UTF-8 reach Python as lone surrogates (``surrogateescape``); they are
reported with the offending byte and its position instead of failing later when printed. Control
characters (NUL, escape sequences) are refused rather than echoed to a terminal or a JSON consumer.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.cli import UserError
from assistant.settings import MAX_INPUT_CHARS

# How much of a batch file is looked at to tell a binary file from text (git uses the same idea).
BINARY_SNIFF_BYTES = 8192
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _utf8_problem(text: str) -> str | None:
    """Where `text` (an argv string decoded with surrogateescape) was not valid UTF-8."""
    if not _SURROGATE.search(text):
        return None
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:  # a surrogate that no byte string decodes to
        return f"is not valid text (unpaired surrogate U+{ord(text[exc.start]):04X} at position {exc.start})"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start})"
    return None


def _control_problem(text: str) -> str | None:
    m = _CONTROL.search(text)
    if m is None:
        return None
    char = m.group(0)
    name = unicodedata.name(char, "") or {0: "NUL", 0x1B: "ESCAPE"}.get(ord(char), "control")
    return f"contains a control character (U+{ord(char):04X} {name}) at position {m.start()}"


def argument_problem(text: str) -> str | None:
    """Why a raw command-line argument cannot be used, or None."""
    return _utf8_problem(text) or _control_problem(text)


def text_problem(text: str, what: str) -> str | None:
    """Why `text` (named `what` in the message) cannot be used as input, or None when it can."""
    problem = argument_problem(text)
    if problem:
        return f"the {what} {problem}"
    if not text.strip():
        return f"the {what} is empty"
    if len(text) > MAX_INPUT_CHARS:
        return f"the {what} is {len(text)} characters long; the limit is {MAX_INPUT_CHARS}"
    return None


def check_text(text: str, what: str) -> str:
    problem = text_problem(text, what)
    if problem:
        raise UserError(problem)
    return text


def check_arguments(argv: list[str]) -> None:
    """Refuse arguments that are not valid UTF-8 or hold control characters, before anything runs."""
    for number, arg in enumerate(argv, start=1):
        problem = argument_problem(arg)
        if problem:
            raise UserError(f"command-line argument {number} {problem}")


# (line number, text, problem): a usable line has text and no problem, a bad one a problem and no text.
Rows = list[tuple[int, str | None, str | None]]


def read_batch(path: Path, item: str) -> Rows:
    """(line number, text, problem) for every non-blank line; a file that is not a text file is an error.

    A line that is not valid UTF-8, holds control characters or is too long gets a problem (and no
    text), so the caller can report it and go on with the other lines.
    """
    if path.is_dir():
        raise UserError(f"{path} is a directory; give a text file with one {item} per line")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: batch file not found (cannot read the batch file)") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read the batch file ({exc.strerror or exc})") from None
    nul = data.find(b"\x00", 0, BINARY_SNIFF_BYTES)
    if nul >= 0:
        raise UserError(
            f"{path} looks like a binary file (NUL byte at offset {nul}); give a text file with one {item} "
            "per line"
        )
    rows: Rows = []
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = f"byte 0x{raw[exc.start]:02x} at position {exc.start}"
            rows.append((number, None, f"line {number} of {path} is not valid UTF-8 ({byte})"))
            continue
        if not line.strip():
            continue
        problem = text_problem(line, item)
        if problem:
            rows.append((number, None, f"line {number} of {path}: {problem}"))
        else:
            rows.append((number, line, None))
    if not rows:
        raise UserError(f"{path}: the batch file holds no {item} (one per line)")
    return rows


def run_batch(path: Path, rows: Rows, handle: Callable[[str], dict[str, Any]]) -> int:
    """One JSON line per non-blank line of ``read_batch(path, ...)`` (with its line number); a bad line
    gets an "error" line, and the others are still answered. Exit code 2 (with one summary line) when
    any line failed."""
    failed = 0
    for number, text, problem in rows:
        if text is not None:
            try:
                record = {"line": number, **handle(text)}
            except UserError as exc:
                problem = f"line {number} of {path}: {exc}"
        if problem:
            failed += 1
            record = {"line": number, "error": problem}
        print(json.dumps(record, ensure_ascii=False), flush=True)
    if failed:
        raise UserError(
            f'{failed} of {len(rows)} lines of {path} were not processed (see their "error" lines)'
        )
    return 0
