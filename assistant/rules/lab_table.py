"""Lab tables pasted from the record: "Date | Creat | CrCl (mL/min)" with one row per date.

A value in a table has no label beside it, so the extractor's label-then-number patterns miss it; this
reads the labelled column instead, on the latest row.
"""

from __future__ import annotations

import re

_CELL_SPLIT = re.compile(r"\||\t")
_RULE_CELL = re.compile(r":?-{2,}:?")
# "28", "~45", "28 mL/min", "2.1 mg/dL": the number, with its unit if the cell repeats it.
_NUMBER = re.compile(r"[<>~≈]?\s*(\d{1,4}(?:[.,]\d+)?)(?:\s*[a-zA-Zµ%][\w%µ²]*(?:/[\w.²]+)*)?")
# 12/2024, 03/06/2025, 2025-06, 2025-06-03: (year, month, day) to order the rows.
_DATE = re.compile(
    r"^(?:(?:(\d{1,2})[/.])?(\d{1,2})[/.]((?:19|20)\d\d)|((?:19|20)\d\d)-(\d{1,2})(?:-(\d{1,2}))?)$"
)


def _cells(line: str, start: int) -> list[tuple[str, int, int]]:
    """The cells of a table row with their spans in the text (outer pipes of a markdown row dropped)."""
    body = line.strip()
    offset = start + line.index(body) if body else start
    if body.startswith("|"):
        body, offset = body[1:], offset + 1
    body = body.removesuffix("|")
    cells, cursor = [], 0
    for piece in _CELL_SPLIT.split(body):
        lead = len(piece) - len(piece.lstrip())
        cells.append((piece.strip(), offset + cursor + lead, offset + cursor + lead + len(piece.strip())))
        cursor += len(piece) + 1
    return cells


def _date_key(cell: str) -> tuple[int, int, int] | None:
    m = _DATE.match(cell.strip())
    if not m:
        return None
    if m.group(3):
        first, second, year = m.group(1), m.group(2), int(m.group(3))
        # "03/06/2025" is day/month (the European order of the corpus' authors); "06/2025" is month/year.
        day, month = (int(first), int(second)) if first else (1, int(second))
        return year, month, day
    return int(m.group(4)), int(m.group(5)), int(m.group(6) or 1)


def latest_in_column(text: str, label: str) -> tuple[str, int, int] | None:
    """The number in the column whose header matches `label`, on the latest row: by the dates in the rows
    when every row has one (a record may list the newest first), else the last row. None without a table."""
    lines = [(m.group(0), m.start()) for m in re.finditer(r"[^\n]+", text)]
    for i, (line, start) in enumerate(lines):
        if "|" not in line and "\t" not in line:
            continue
        header = _cells(line, start)
        column = next(
            (j for j, (cell, _, _) in enumerate(header) if re.search(label, cell, re.IGNORECASE)), None
        )
        if column is None or len(header) < 2 or _NUMBER.fullmatch(header[column][0]):
            continue
        rows: list[list[tuple[str, int, int]]] = []
        for row_line, row_start in lines[i + 1 :]:
            cells = _cells(row_line, row_start)
            if all(_RULE_CELL.fullmatch(c) or not c for c, _, _ in cells):
                continue
            if len(cells) != len(header):
                break
            rows.append(cells)
        values = [(row, _NUMBER.fullmatch(row[column][0])) for row in rows]
        values = [(row, m) for row, m in values if m]
        if not values:
            continue
        dates = [next((k for k in (_date_key(c) for c, _, _ in row) if k), None) for row, _ in values]
        if all(dates):
            row, m = max(zip(values, dates, strict=True), key=lambda pair: pair[1])[0]
        else:
            row, m = values[-1]
        _, cell_start, cell_end = row[column]
        return m.group(1).replace(",", "."), cell_start, cell_end
    return None
