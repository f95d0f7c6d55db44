"""Removal of the extraction noise that hurts retrieval and citation, keeping a map to source lines.

Two jobs: ``noise_lines`` says which printed lines are not evidence (page furniture, author
affiliations spliced into the text, declarations, reference lists), and ``normalise`` rewrites a
block of text for search (joins hyphenated words, drops citation marks, unifies ``·`` and ``.``).
The rules' patterns live in ``data/noise.yaml``; the ambiguous calls (is "treat-ment" one word?
is "ASCT5" a citation?) are settled from the document's own vocabulary, so no dictionary is needed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from ingest.mapped import MappedText

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP = f"[{SUPERSCRIPT_DIGITS}]+"
# "ENDEAVOR¹⁷", "trial,^{17,18}": reference marks, never data.
SUPERSCRIPT_CITATION = re.compile(rf"{_SUP}(?:[,\-–⁻]{_SUP})*⁻?|⁻|\^\{{\d+(?:\s*[,\-–]\s*\d+)*\}}")
# Glued numeric marks in the hard-wrapped reviews. Each needs context that a real number never has:
# after a sentence-final period of a word ("sites.1 For"), right after a closing parenthesis
# ("(KRd)12,"), or after a lowercase word ("ixazomib14,"). "18.7", "HR 0.61", "mg/m2" are untouched.
_MARKS = r"\d{1,3}(?:[,–-]\d{1,3})*"
CITATION_AFTER_PERIOD = re.compile(rf"(?<=[A-Za-z)\]]\.){_MARKS}(?=\s|$)")
CITATION_AFTER_PAREN = re.compile(rf"(?<=\)){_MARKS}(?=[\s.,;:)]|$)")
CITATION_AFTER_WORD = re.compile(rf"(?<=[a-z]{{3}}){_MARKS}(?=[\s.,;:)]|$)")
# "NDMM7", "MM1,2", "ASCT9–12": an upper-case abbreviation with a glued mark; decided per document.
UPPER_WITH_DIGITS = re.compile(rf"\b([A-Z][A-Za-z]*[A-Z])({_MARKS})(?=[\s.,;:)]|$)")

CHAR_MAP = {
    "·": ".",  # Lancet mid-dot decimals: "18·7" must match "18.7"
    "＞": ">",
    "＜": "<",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\ufffd": "fi",  # lost "fi" ligature in belgian-review ("insuf\ufffdcient", "\ufffdrst")
}
CHAR_PATTERN = re.compile("[" + "".join(CHAR_MAP) + "]")
LATEX = [
    (re.compile(r"\$([^$\n]{1,80})\$"), r"\1"),
    (re.compile(r"\\text\{--\}"), "–"),
    (re.compile(r"\\cdot\s*"), "."),
    (re.compile(r"\s*\\times\s*"), " × "),
    (re.compile(r"\\geq\s*"), "≥"),
    (re.compile(r"\\leq\s*"), "≤"),
]
MARKDOWN_EMPHASIS = re.compile(r"\*\*?([^*\n]*?\S)\*\*?")
SOFT_JOIN = "\x00"  # left where inline furniture was cut out of a word
LINE_BREAK_HYPHEN = re.compile(r"([A-Za-z]+)-[ \t]*\n[ \t]*([A-Za-z0-9]+)")
SOFT_JOIN_WORDS = re.compile(rf"([A-Za-z]+){SOFT_JOIN}[ \t\n]*([a-z]+)")
WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
PARTICLES = {"of", "and", "de", "del", "di", "da", "la", "le", "van", "von", "der", "den", "for", "the", "y"}


@dataclass(frozen=True)
class NoiseRules:
    furniture_lines: tuple[re.Pattern[str], ...]
    inline_furniture: tuple[re.Pattern[str], ...]
    affiliation_credit: re.Pattern[str]
    affiliation_institution: re.Pattern[str]
    affiliation_max_chars: int
    boilerplate_headings: tuple[re.Pattern[str], ...]
    reference_headings: tuple[re.Pattern[str], ...]
    real_identifiers: frozenset[str] = frozenset()


@cache
def load_noise_rules() -> NoiseRules:
    raw = yaml.safe_load(resources.files("ingest.data").joinpath("noise.yaml").read_text(encoding="utf-8"))

    def many(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in raw.get(key, []))

    return NoiseRules(
        furniture_lines=many("furniture_lines"),
        inline_furniture=many("inline_furniture"),
        affiliation_credit=re.compile(raw["affiliation_credit"]),
        affiliation_institution=re.compile(raw["affiliation_institution"]),
        affiliation_max_chars=int(raw["affiliation_max_chars"]),
        boilerplate_headings=many("boilerplate_headings"),
        reference_headings=many("reference_headings"),
        real_identifiers=frozenset(raw.get("real_identifiers", [])),
    )


@dataclass
class Lexicon:
    """Word statistics of one document: settles hyphenation and glued-citation questions."""

    words: Counter[str] = field(default_factory=Counter)  # lower-case words, hyphen-free
    compounds: set[str] = field(default_factory=set)  # lower-case hyphenated words ("progression-free")
    tokens: Counter[str] = field(default_factory=Counter)  # case-kept alphanumeric tokens

    @classmethod
    def of_lines(cls, lines: list[str]) -> Lexicon:
        lex = cls()
        previous_broken = False
        for raw_line in lines:
            line = raw_line.strip()
            words = WORD.findall(line)
            broken = line.endswith("-")
            # Fragments at a line-break hyphen ("treat-" / "ment") are not words of the document.
            if broken and words:
                words = words[:-1]
            if previous_broken and words:
                words = words[1:]
            for word in words:
                if "-" in word:
                    lex.compounds.add(word.lower())
                    lex.words.update(part.lower() for part in word.split("-"))
                else:
                    lex.words[word.lower()] += 1
            lex.tokens.update(re.findall(r"[A-Za-z0-9]+", line))
            previous_broken = broken
        return lex

    def is_word(self, word: str) -> bool:
        return self.words[word.lower()] > 0


def noise_lines(lines: list[str], rules: NoiseRules | None = None) -> dict[int, str]:
    """Printed lines that are not evidence, as {1-based line: reason}."""
    rules = rules or load_noise_rules()
    noise: dict[int, str] = {}
    n = len(lines)
    stripped = [line.strip() for line in lines]

    def standalone(i: int) -> bool:  # 0-based: a block of its own between blank lines
        return (i == 0 or not stripped[i - 1]) and (i == n - 1 or not stripped[i + 1])

    in_boilerplate = False
    for i, text in enumerate(stripped):
        if not text:
            continue
        if any(p.search(text) for p in rules.reference_headings):
            noise.update({j + 1: "references" for j in range(i, n) if stripped[j]})
            break
        if any(p.search(text) for p in rules.boilerplate_headings):
            in_boilerplate = True
            noise[i + 1] = "declarations"
            continue
        if in_boilerplate:
            if _looks_like_heading(text) and standalone(i):
                in_boilerplate = False
            else:
                noise[i + 1] = "declarations"
                continue
        if any(p.search(text) for p in rules.furniture_lines):
            noise[i + 1] = "page furniture"
        elif rules.affiliation_credit.search(text) or (standalone(i) and _is_institution_line(text, rules)):
            noise[i + 1] = "author affiliation"
        elif standalone(i) and _is_author_list(text):
            noise[i + 1] = "author list"
    return noise


def _looks_like_heading(text: str) -> bool:
    return len(text.split()) <= 12 and not re.search(r"[.;,:]$", text)


def _is_institution_line(text: str, rules: NoiseRules) -> bool:
    if len(text) > rules.affiliation_max_chars or not rules.affiliation_institution.search(text):
        return False
    words = re.findall(r"[^\W\d_][\w'-]*", text)
    lower = [w for w in words if w[0].islower() and w not in PARTICLES]
    return len(lower) <= max(1, len(words) // 6)


def _is_author_list(text: str) -> bool:
    clean = SUPERSCRIPT_CITATION.sub("", text).rstrip(".")
    parts = [p.strip() for p in re.split(r",|\band\b", clean) if p.strip()]
    if len(parts) < 4:
        return False
    for part in parts:
        words = part.split()
        if not 1 <= len(words) <= 5:
            return False
        if any(not (w[0].isupper() or w in PARTICLES) for w in words):
            return False
    return True


def cut_inline_furniture(line: str, rules: NoiseRules | None = None) -> str:
    """Replace running headers spliced into a line by a soft-join mark (same length is not needed:
    lines are mapped whole before normalisation)."""
    rules = rules or load_noise_rules()
    for pattern in rules.inline_furniture:
        line = pattern.sub(SOFT_JOIN, line)
    return line


def normalise(text: MappedText, lexicon: Lexicon, *, prose: bool = True) -> MappedText:
    """Search-ready text: characters unified, citation marks dropped, line-break hyphens resolved.

    ``prose`` joins the lines into one paragraph; tables keep their line structure (one row a line).
    """
    out = text.sub(CHAR_PATTERN, lambda m: CHAR_MAP[m.group()])
    for pattern, repl in LATEX:
        out = out.sub(pattern, repl)
    out = out.sub(SUPERSCRIPT_CITATION, "")
    out = out.sub(CITATION_AFTER_PERIOD, "")
    out = out.sub(CITATION_AFTER_PAREN, "")
    out = out.sub(CITATION_AFTER_WORD, "")
    out = out.sub(UPPER_WITH_DIGITS, lambda m: _upper_citation(m, lexicon))
    out = out.sub(SOFT_JOIN_WORDS, lambda m: _soft_join(m, lexicon))
    out = out.sub(SOFT_JOIN, " ")
    if prose:
        out = out.sub(LINE_BREAK_HYPHEN, lambda m: _dehyphenate(m, lexicon))
        out = out.sub(MARKDOWN_EMPHASIS, r"\1")
        out = out.sub(r"\s+", " ")
        out = out.sub(r" (?=[,;.:)\]](?:\s|$))", "")
        out = out.sub(r"(?<=[(\[]) ", "")
    else:
        out = out.sub(r"\t+$|[ \t]+$", "", flags=re.M)
        out = out.sub(r"\t", " | ")
        out = out.sub(r"[ ]{2,}", " ")
        out = out.sub(r"\n{2,}", "\n")
    return out.strip()


def _upper_citation(match: re.Match[str], lexicon: Lexicon) -> str:
    """Keep "CD38", "PFS2", "MM014"; drop the mark from "NDMM7" or "MM1,2".

    A mark is assumed when the abbreviation is common on its own in this document and the glued form
    occurs only here, or when the digits are a list ("MM1,2") -- identifiers never carry commas.
    """
    stem, digits = match.group(1), match.group(2)
    token = stem + digits
    rules = load_noise_rules()
    if token in rules.real_identifiers:
        return token
    is_list = bool(re.search(r"[,–-]", digits))
    common_alone = lexicon.tokens[stem] >= 3 and lexicon.tokens[token.split(",")[0]] <= 1
    return stem if is_list or common_alone else token


def _soft_join(match: re.Match[str], lexicon: Lexicon) -> str:
    left, right = match.group(1), match.group(2)
    return left + right if lexicon.is_word(left + right) else f"{left} {right}"


def _dehyphenate(match: re.Match[str], lexicon: Lexicon) -> str:
    """ "treat-\\nment" -> "treatment", "lenalidomide-\\nrefractory" keeps its hyphen."""
    left, right = match.group(1), match.group(2)
    joined, hyphenated = (left + right).lower(), f"{left}-{right}".lower()
    if left.isupper() and right.isupper() and lexicon.is_word(joined):
        return left + right  # "ENDEA-\nVOR"
    if right[0].isupper() or right[0].isdigit():
        return f"{left}-{right}"
    if hyphenated in lexicon.compounds and not lexicon.is_word(joined):
        return f"{left}-{right}"
    if lexicon.is_word(joined):
        return left + right
    if hyphenated in lexicon.compounds:
        return f"{left}-{right}"
    if len(left) >= 3 and len(right) >= 3 and lexicon.is_word(left) and lexicon.is_word(right):
        return f"{left}-{right}"
    return left + right
