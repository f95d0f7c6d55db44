"""What a quoted sentence or table row needs to be read: regimen codes, cell abbreviations, no stray
bibliography numbers.

Regimen codes: the IMWG review writes regimens out ("pomalidomide plus bortezomib plus dexamethasone")
while clinicians, the other reviews and the branch card use codes (PVd). A quoted sentence therefore gets
the code in square brackets after each spelled-out regimen, so both forms can be read and searched;
square brackets are the convention for an editor's insertion into a quotation, so a reader checking the
passage sees at once what was added. The code is no new claim: every regimen code comes from the
vocabulary, whose entries quote the source's own abbreviation legend ("PVd=pomalidomide plus bortezomib
plus dexamethasone"). Only the shown text changes; citation spans are computed on the sentence as
printed.
"""

from __future__ import annotations

import re

from assistant.vocabulary import Vocabulary

# The vocabulary (a pydantic model holding dicts) is not hashable: its compiled names are kept beside it.
_compiled: list[tuple[Vocabulary, re.Pattern[str], dict[str, str]]] = []


def _names(vocabulary: Vocabulary) -> tuple[re.Pattern[str], dict[str, str]]:
    for known, pattern, by_name in _compiled:
        if known is vocabulary:
            return pattern, by_name
    by_name = {
        r.name.lower(): code for code, r in vocabulary.regimens.items() if r.sources and " plus " in r.name
    }
    # Longest names first, so "carfilzomib plus lenalidomide plus dexamethasone" is read as KRd, not as
    # carfilzomib plus Rd.
    alternatives = "|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True))
    pattern = re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)
    _compiled[:] = [*_compiled[-3:], (vocabulary, pattern, by_name)]
    return pattern, by_name


def annotate_regimens(text: str, vocabulary: Vocabulary) -> str:
    """`text` with " [CODE]" after each spelled-out regimen, unless the code already follows it."""
    pattern, by_name = _names(vocabulary)

    def add_code(match: re.Match[str]) -> str:
        code = by_name[match.group(0).lower()]
        following = text[match.end() : match.end() + len(code) + 4]
        variants = (code, *vocabulary.regimens[code].variants)
        if any(re.match(rf"\s*[(\[]?{re.escape(v)}\b", following) for v in variants):
            return match.group(0)
        return f"{match.group(0)} [{code}]"

    return pattern.sub(add_code, text)


# A source's own reference to its bibliography: "[17]", "[20, 59]", "[16-18]" (integers only, so a figure
# such as "[95% CI 0.44-0.67]" or "[0.53]" is never touched).
_REFERENCE = re.compile(r"\s?\[\d{1,3}(?:\s*[,\u2013-]\s*\d{1,3})*\]")


def drop_reference_markers(text: str) -> str:
    """A quoted sentence without the source's bibliography numbers ("... (CASTOR) [20], have ...").

    The corpus holds the reviews' text, not their reference lists, so "[20]" points nowhere a reader can
    follow, and in an answer it reads as one of our citation numbers: a clinician checking "[2]" would open
    the wrong passage. Dropping a reference marker is the usual editing of a quotation and changes no
    claim; citation spans are computed on the sentence as printed, where the markers stay.
    """
    return _REFERENCE.sub("", text)


# A legend definition as tables print them: "NR=not reached." / "NE = not estimable."
_DEFINITION = re.compile(r"\b([A-Z][\w\-]*)\s?=\s?[^=.\n]+\.")
_CELL_ABBREVIATION = re.compile(r"\b[A-Z]{2,3}\b")


def cell_abbreviations(chunk_text: str, rows: list[str]) -> str:
    """The stretch of a table's own legend defining the abbreviations its quoted rows print as cell values
    ("NR (NE)", "8.6, NA"), verbatim from the first needed definition to the last; "" when none is used.

    "NA" may be "not available" or "not applicable", and "NR" "not reached" or "not reported": the reader
    gets the table's own meaning, cited to the legend, instead of guessing. Row labels (first cells, where
    regimen codes stand) are not glossed.
    """
    used = {
        abbr
        for row in rows
        for part in row.split(" / ")
        for cell in part.split("|")[1:]
        for abbr in _CELL_ABBREVIATION.findall(cell)
    }
    defined = [m for m in _DEFINITION.finditer(chunk_text) if m.group(1) in used]
    if not defined:
        return ""
    return chunk_text[defined[0].start() : defined[-1].end()]
