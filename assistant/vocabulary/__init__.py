"""Shared drug / regimen / trial vocabulary: one place that knows "DKd", "KdD" and "D-Kd" are the same.

Used by the rule layer (what a patient received, which drugs an option contains), retrieval query
expansion, chunk tagging and the UI glossary. The data lives in the YAML files beside this module;
this module only loads it and matches it against text.

Matching rules (why they look the way they do):
- Regimen codes match case-sensitively when short ("PD" is progressive disease, "Pd" is
  pomalidomide-dexamethasone); longer or hyphenated variants ("isa-pd", "Dara-Kd") match in any case.
- Drug names and shorthand ("len", "dara", "Kypro") match case-insensitively on word boundaries.
- One-letter codes (R, V, K, P, D) only match where clinicians use them as drug names: "PD on R",
  "R maint", "never had K", "then K, P, D". In ordinary prose ("vitamin D", "R-ISS", "R-CHOP") they
  never match.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

DATA_DIR = Path(__file__).parent

# What joins a drug to a regimen into one combination: "daratumumab plus Kd", "Kd + dara", "Kd with dara",
# "panobinostat-Vd". Not "and" or "/" ("Kd and dara", "Kd/DKd" list two options), nor a spaced dash ("L2 Kd -
# dara stopped for IRRs").
_JOINER = re.compile(r"\s*(?:\+|plus)\s*|[-\u2013]|\s+with\s+", re.IGNORECASE)
# A drug followed by its status is a fact about the patient, not a partner drug: "Kd with dara-naive disease".
_STATUS_AFTER = re.compile(r"[\s\-]*(?:na[iï]ve|refractor|expos|sensitiv|resistan|intoleran)", re.IGNORECASE)

__all__ = ["Drug", "Mention", "Regimen", "SourceQuote", "Trial", "Vocabulary", "load_vocabulary"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceQuote(_Frozen):
    """A verbatim quote from corpus/<doc>.txt that begins on `line` (1-based)."""

    doc: str
    line: int = Field(ge=1)
    quote: str = Field(min_length=1)


class Drug(_Frozen):
    id: str
    name: str
    drug_class: str = Field(alias="class")
    synonyms: tuple[str, ...] = ()
    letters: tuple[str, ...] = ()

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Regimen(_Frozen):
    code: str
    name: str
    kind: str = "regimen"
    drugs: tuple[str, ...]
    variants: tuple[str, ...] = ()
    ambiguous_variants: tuple[str, ...] = ()
    sources: tuple[SourceQuote, ...] = ()


class Trial(_Frozen):
    name: str
    regimens: tuple[str, ...]
    comparator: tuple[str, ...] = ()
    phase: str
    variants: tuple[str, ...] = ()
    sources: tuple[SourceQuote, ...] = ()


class Mention(_Frozen):
    """A vocabulary term found in text: canonical `id` and the character span of what was written."""

    id: str
    start: int
    end: int
    surface: str


# One-letter codes clinicians write on their own as a drug name; the others (I, d, C, M, S, E, N, T)
# only ever appear inside regimen codes.
_PROSE_LETTERS = {"R", "V", "K", "P", "D"}
_LETTER_BEFORE = {
    "on",
    "had",
    "to",
    "of",
    "with",
    "avoid",
    "then",
    "after",
    "post",
    "and",
    "or",
    "plus",
    "no",
    "never",
    "prior",
    "+",
    "->",
    "→",
    "/",
    "-",
    ",",
    "&",
    "incl",
    "including",
    "w",
    "w/",
    "from",
}
# "R femur", "R 6th rib", "R knee arthroscopy": R is right, not lenalidomide, before a part of the body.
_BODY_AFTER_LETTER = re.compile(
    r"(?:\d+(?:st|nd|rd|th)\s+)?(?:femur|femoral|knee|hip|rib|ribs|shoulder|arm|leg|humerus|humeral|tibia|"
    r"fibula|pelvis|pelvic|iliac|ilium|scapula|clavicle|acetabul\w*|ankle|wrist|hand|foot|elbow|breast|lung|"
    r"kidney|renal|eye|orbit\w*|side|sided|upper|lower|chest|flank|thigh|groin|axilla\w*|neck|sacr\w*|"
    r"sternum|mandible|skull|parietal|frontal|temporal|occipital|vertebra\w*|pedicle|paraspinal|psoas|"
    r"pleural|lobe|hemithorax|arthroplasty|arthroscopy|THR|TKR|ORIF)\b",
    re.IGNORECASE,
)
_LETTER_AFTER = {
    "maint",
    "maintenance",
    "mainten",
    "refractory",
    "ref",
    "naive",
    "naïve",
    "exposed",
    "sensitive",
    "based",
    "containing",
    "alone",
    "mono",
    "monotherapy",
    "continuous",
    "cont",
    "dose",
    "10mg",
    "5mg",
    "15mg",
    "25mg",
    "10",
    "5",
    "15",
    "25",
    "->",
    "→",
    "/",
    "+",
    ",",
    "and",
    "or",
    "x",
    "until",
}
_TOKEN = re.compile(r"->|→|\w+(?:\.\d+)?|[^\w\s]")


def _is_case_insensitive(variant: str) -> bool:
    """Short all-letter codes keep their case (PD vs Pd); hyphenated or long variants do not."""
    return any(ch in variant for ch in "-/ +(") or len(variant) >= 4


def _boundary(pattern: str) -> str:
    return rf"(?<![\w]){pattern}(?![\w])"


def _alternation(terms: list[str]) -> str:
    return "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True))


def _code_key(code: str) -> str:
    return re.sub(r"[\s\-/()+.]", "", code).lower()


class Vocabulary(_Frozen):
    drugs: dict[str, Drug]
    regimens: dict[str, Regimen]
    trials: dict[str, Trial]

    # ---- lookups -------------------------------------------------------------------------------
    @cached_property
    def _regimen_by_variant(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for code, regimen in self.regimens.items():
            for v in (code, *regimen.variants, *regimen.ambiguous_variants):
                table.setdefault(v, code)
        return table

    @cached_property
    def _regimen_by_key(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for variant, code in self._regimen_by_variant.items():
            table.setdefault(_code_key(variant), code)
        return table

    @cached_property
    def regimen_by_drugs(self) -> dict[frozenset[str], str]:
        """Combination regimen code by its set of drugs ("carfilzomib, dexamethasone" -> Kd): the first
        regimen listed wins; single agents and cell therapies are not combinations."""
        table: dict[frozenset[str], str] = {}
        for code, regimen in self.regimens.items():
            if regimen.kind == "regimen" and len(regimen.drugs) >= 2:
                table.setdefault(frozenset(regimen.drugs), code)
        return table

    @cached_property
    def _drug_by_synonym(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for drug_id, drug in self.drugs.items():
            for s in (drug_id, drug.name, *drug.synonyms):
                table.setdefault(s.lower(), drug_id)
        return table

    @cached_property
    def _drug_by_letter(self) -> dict[str, str]:
        return {letter: d.id for d in self.drugs.values() for letter in d.letters}

    @cached_property
    def _trial_by_variant(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for name, trial in self.trials.items():
            for v in (name, *trial.variants):
                table.setdefault(v.lower(), name)
        return table

    @cached_property
    def case_sensitive_codes(self) -> dict[str, str]:
        """Lower-case spelling -> the regimen code as written, for the short codes matched case-sensitively
        (a regimen's own code first, so "dvd" reads "DVd", not its variant "Dvd")."""
        table: dict[str, str] = {}
        for code, regimen in self.regimens.items():
            for v in (code, *regimen.variants):
                if not _is_case_insensitive(v) and v.isalpha():
                    table.setdefault(v.lower(), v)
        return table

    # ---- compiled patterns ---------------------------------------------------------------------
    @cached_property
    def _regimen_pattern(self) -> re.Pattern[str]:
        exact, loose = [], []
        for code, regimen in self.regimens.items():
            for v in (code, *regimen.variants):
                (loose if _is_case_insensitive(v) else exact).append(v)
        # Case-sensitive alternation with an inline case-insensitive group for the loose variants;
        # longest first so "D-VMP" wins over "VMP" and "Isa-Kd" over "Kd".
        parts = [f"(?i:{_alternation(loose)})", _alternation(exact)]
        return re.compile(_boundary(f"(?:{'|'.join(p for p in parts if p)})"))

    @cached_property
    def _drug_pattern(self) -> re.Pattern[str]:
        return re.compile(_boundary(f"(?:{_alternation(list(self._drug_by_synonym))})"), re.IGNORECASE)

    @cached_property
    def _trial_pattern(self) -> re.Pattern[str]:
        # Many trial names are ordinary words (FIRST, ReLApsE, STORM, OCEAN, BOSTON): those match only
        # as printed, so "first relapse" is never the FIRST trial; names with digits, hyphens or spaces
        # ("MM-003", "Myeloma X") are distinctive and match in any case.
        exact, loose = [], []
        for name, trial in self.trials.items():
            for v in (name, *trial.variants):
                (exact if v.isalpha() else loose).append(v)
        parts = [f"(?i:{_alternation(loose)})" if loose else "", _alternation(exact)]
        return re.compile(_boundary(f"(?:{'|'.join(p for p in parts if p)})"))

    # ---- public API ----------------------------------------------------------------------------
    def normalize_regimen(self, code: str) -> str | None:
        """Canonical regimen code for any spelling ("IsaKD" -> "Isa-Kd"), or None if unknown."""
        code = code.strip()
        return self._regimen_by_variant.get(code) or self._regimen_by_key.get(_code_key(code))

    def normalize_drug(self, term: str) -> str | None:
        term = term.strip()
        return self._drug_by_synonym.get(term.lower()) or self._drug_by_letter.get(term)

    def normalize_trial(self, term: str) -> str | None:
        return self._trial_by_variant.get(term.strip().lower())

    def regimen_drugs(self, code: str) -> frozenset[str]:
        """Drug ids in a regimen. Raises KeyError for an unknown code: a safety check must not pass
        silently because a regimen was misspelt."""
        canonical = self.normalize_regimen(code)
        if canonical is None:
            raise KeyError(f"unknown regimen code: {code!r}")
        return frozenset(self.regimens[canonical].drugs)

    def expand(self, term: str) -> list[str]:
        """Full names for an abbreviation (regimen, drug shorthand or trial); [] when unknown."""
        names: list[str] = []
        term = term.strip()
        regimen = self._regimen_by_variant.get(term)
        if regimen is None and _is_case_insensitive(term):
            regimen = self._regimen_by_key.get(_code_key(term))
        if regimen and term not in self.regimens[regimen].ambiguous_variants:
            names.append(self.regimens[regimen].name)
        drug = self._drug_by_synonym.get(term.lower())
        if drug:
            names.append(self.drugs[drug].name)
        trial = self.normalize_trial(term)
        if trial:
            names.extend(self.regimens[r].name for r in self.trials[trial].regimens if r in self.regimens)
        return list(dict.fromkeys(n for n in names if n.lower() != term.lower()))

    def glossary(self, codes: list[str] | tuple[str, ...] | set[str]) -> dict[str, str]:
        """Code -> plain full name for display beside an answer; unknown codes are left out."""
        out: dict[str, str] = {}
        for code in codes:
            names = self.expand(code)
            if names:
                out[code] = "; ".join(names)
        return out

    def find_regimens(self, text: str) -> list[Mention]:
        """Regimen mentions. A drug joined to a regimen ("daratumumab plus Kd", "Kd + dara",
        "panobinostat-Vd") is the regimen holding both (DKd, Pano-Vd) when the vocabulary lists one, so
        "progressing on daratumumab plus Kd" makes the disease refractory to daratumumab as well as to
        carfilzomib."""
        mentions = [
            Mention(
                id=self.normalize_regimen(m.group(0)) or m.group(0),
                start=m.start(),
                end=m.end(),
                surface=m.group(0),
            )
            for m in self._regimen_pattern.finditer(text)
        ]
        if not mentions:
            return mentions
        drugs = [d for d in self.find_drugs(text) if not any(m.start <= d.start < m.end for m in mentions)]
        return [self._joined_drugs(text, mention, drugs) for mention in mentions]

    def _joined_drugs(self, text: str, mention: Mention, drugs: list[Mention]) -> Mention:
        """`mention` grown by each drug joined to it that makes a listed regimen ("bortezomib plus
        dexamethasone" -> Vd, then "daratumumab plus" that -> DVd)."""
        grown = True
        while grown:
            grown = False
            regimen = self.regimens.get(mention.id)
            if regimen is None:
                return mention
            for drug in drugs:
                if drug.end <= mention.start:
                    gap = text[drug.end : mention.start]
                elif drug.start >= mention.end:
                    gap = text[mention.end : drug.start]
                else:
                    continue
                code = self.regimen_by_drugs.get(frozenset(regimen.drugs) | {drug.id})
                joined = _JOINER.fullmatch(gap) and not _STATUS_AFTER.match(text, drug.end)
                if code and code != mention.id and joined:
                    start, end = min(drug.start, mention.start), max(drug.end, mention.end)
                    mention = Mention(id=code, start=start, end=end, surface=text[start:end])
                    grown = True
                    break
        return mention

    def find_trials(self, text: str) -> list[Mention]:
        return [
            Mention(
                id=self._trial_by_variant[m.group(0).lower()],
                start=m.start(),
                end=m.end(),
                surface=m.group(0),
            )
            for m in self._trial_pattern.finditer(text)
        ]

    def find_drugs(self, text: str, include_regimens: bool = False) -> list[Mention]:
        """Drug mentions by name or shorthand, plus one-letter codes used as drug names.

        With include_regimens, each regimen mention also yields its component drugs (span = the
        regimen code), which is what chunk tagging wants.
        """
        mentions = [
            Mention(
                id=self._drug_by_synonym[m.group(0).lower()], start=m.start(), end=m.end(), surface=m.group(0)
            )
            for m in self._drug_pattern.finditer(text)
        ]
        mentions += self._letter_mentions(text)
        if include_regimens:
            for r in self.find_regimens(text):
                mentions += [
                    Mention(id=d, start=r.start, end=r.end, surface=r.surface)
                    for d in self.regimens[r.id].drugs
                ]
        unique = {(m.id, m.start, m.end): m for m in mentions}
        return sorted(unique.values(), key=lambda m: (m.start, m.end, m.id))

    def _letter_mentions(self, text: str) -> list[Mention]:
        tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        found: list[Mention] = []
        for i, (tok, start, end) in enumerate(tokens):
            if tok not in _PROSE_LETTERS or tok not in self._drug_by_letter:
                continue
            if end < len(text) - 1 and text[end] == "-" and text[end + 1].isalnum():
                continue  # R-ISS, R-CHOP, D-VMP: part of another term
            if tok == "R" and _BODY_AFTER_LETTER.match(text[end:].lstrip()):
                continue
            prev = tokens[i - 1][0].lower() if i else ""
            nxt = tokens[i + 1][0].lower() if i + 1 < len(tokens) else ""
            if prev == "-" and i >= 2 and re.fullmatch(r"ig[gamde]", tokens[i - 2][0].lower()):
                continue  # IgG-K: kappa light chain, not carfilzomib
            listed = any(
                0 <= j < len(tokens) and tokens[j][0] in _PROSE_LETTERS for j in (i - 2, i + 2)
            ) and (prev in {",", "/", "and", "&"} or nxt in {",", "/", "and", "&"})
            if prev in _LETTER_BEFORE or nxt in _LETTER_AFTER or listed:
                found.append(Mention(id=self._drug_by_letter[tok], start=start, end=end, surface=tok))
        return found


def _read_yaml(name: str) -> dict:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """Load and validate the three YAML files once; a bad key or an unknown drug id fails here."""
    drugs = {k: Drug(id=k, **v) for k, v in _read_yaml("drugs.yaml")["drugs"].items()}
    regimens = {k: Regimen(code=k, **v) for k, v in _read_yaml("regimens.yaml")["regimens"].items()}
    trials = {str(k): Trial(name=str(k), **v) for k, v in _read_yaml("trials.yaml")["trials"].items()}
    for regimen in regimens.values():
        unknown = set(regimen.drugs) - drugs.keys()
        if unknown:
            raise ValueError(f"regimens.yaml: {regimen.code} lists unknown drug ids {sorted(unknown)}")
    for trial in trials.values():
        unknown = set(trial.regimens + trial.comparator) - regimens.keys()
        if unknown:
            raise ValueError(f"trials.yaml: {trial.name} lists unknown regimen codes {sorted(unknown)}")
    return Vocabulary(drugs=drugs, regimens=regimens, trials=trials)
