"""Query expansion: abbreviations <-> full names, both ways, so a query finds passages written either way.

The sources mix "KRd" and "carfilzomib plus lenalidomide plus dexamethasone", "Len" and "lenalidomide",
"ASCT" and "autologous stem cell transplantation"; a clinician types any of them. Regimens, drugs and
trials come from the shared vocabulary (assistant/vocabulary/*.yaml); other abbreviations (PFS, MRD,
CAR-T, ...) from abbreviations.yaml. Expansion only *adds* terms: the original query is always kept.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from assistant.vocabulary import SourceQuote, Vocabulary, load_vocabulary

ABBREVIATIONS_FILE = Path(__file__).resolve().parent.parent / "vocabulary" / "abbreviations.yaml"


class Abbreviation(BaseModel):
    """One non-regimen abbreviation: the short forms people type and the names the sources print."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    forms: tuple[str, ...] = Field(min_length=1)
    names: tuple[str, ...] = Field(min_length=1)
    source: SourceQuote | None = None


class ExpandedQuery(BaseModel):
    """The query as typed plus the terms expansion added (no duplicates, in discovery order)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    original: str
    additions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return " ".join((self.original, *self.additions))


def load_abbreviations(path: Path = ABBREVIATIONS_FILE) -> tuple[Abbreviation, ...]:
    """Read and validate abbreviations.yaml; a malformed entry fails with its key in the message."""
    try:
        with path.open(encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)["abbreviations"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the abbreviations table ({exc})") from exc
    entries = []
    for key, value in raw.items():
        try:
            entries.append(Abbreviation(id=str(key), **value))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: entry {key!r} is invalid: {exc}") from exc
    return tuple(entries)


def _is_case_sensitive(form: str) -> bool:
    # "OS", "PR", "HR", "PI" are ordinary words or units in lower case ("os", "pr", "hr", "pi").
    return len(form) <= 2 and form.isupper()


def _is_abbreviation(form: str) -> bool:
    # Typed as an abbreviation ("PFS", "autoSCT"), not as everyday words ("nerve damage", "toxicity").
    return sum(c.isupper() for c in form) >= 2


def _word_pattern(terms: list[str], flags: int = 0) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternation = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", flags)


class QueryExpander:
    """Adds full names for abbreviations and abbreviations for full names found in a query."""

    def __init__(
        self,
        abbreviations: tuple[Abbreviation, ...],
        vocabulary: Vocabulary,
        expand_trials: bool = True,
    ) -> None:
        self._abbreviations = abbreviations
        self._vocabulary = vocabulary
        self._expand_trials = expand_trials

    @classmethod
    def default(cls) -> QueryExpander:
        return _default_expander()

    # ---- compiled lookups --------------------------------------------------------------------------
    @cached_property
    def _form_owner(self) -> dict[str, Abbreviation]:
        return {form.casefold(): a for a in self._abbreviations for form in a.forms}

    @cached_property
    def _name_owner(self) -> dict[str, Abbreviation]:
        return {name.casefold(): a for a in self._abbreviations for name in a.names}

    @cached_property
    def _form_patterns(self) -> tuple[re.Pattern[str], ...]:
        forms = [f for a in self._abbreviations for f in a.forms]
        exact = _word_pattern([f for f in forms if _is_case_sensitive(f)])
        loose = _word_pattern([f for f in forms if not _is_case_sensitive(f)], re.IGNORECASE)
        return tuple(p for p in (exact, loose) if p)

    @cached_property
    def _name_pattern(self) -> re.Pattern[str] | None:
        return _word_pattern([n for a in self._abbreviations for n in a.names], re.IGNORECASE)

    @cached_property
    def _regimen_name_pattern(self) -> re.Pattern[str] | None:
        return _word_pattern([r.name for r in self._vocabulary.regimens.values()], re.IGNORECASE)

    @cached_property
    def _regimen_by_name(self) -> dict[str, str]:
        return {r.name.casefold(): code for code, r in self._vocabulary.regimens.items()}

    # ---- expansion ------------------------------------------------------------------------------------
    def expand(self, query: str) -> ExpandedQuery:
        added: dict[str, None] = {}

        def add(term: str) -> None:
            if term.casefold() not in query.casefold():
                added.setdefault(term, None)

        self._abbreviation_terms(query, add)
        self._regimen_terms(query, add)
        self._drug_terms(query, add)
        if self._expand_trials:
            self._trial_terms(query, add)
        return ExpandedQuery(original=query, additions=tuple(added))

    def concepts(self, text: str) -> list[str]:
        """One canonical id per vocabulary mention in ``text`` (regimen code, trial, abbreviation, drug).

        Indexed beside the words of every chunk and query, these make "Kd" and "carfilzomib plus
        dexamethasone", or "PFS" and "progression-free survival", the same search term on both sides,
        at full weight and without lengthening the query.
        """
        found: list[str] = []
        vocabulary = self._vocabulary
        regimen_spans: list[tuple[int, int]] = []
        for mention in vocabulary.find_regimens(text):
            if mention.id in vocabulary.regimens:
                found.append(f"regimen:{mention.id}")
                regimen_spans.append((mention.start, mention.end))
        if self._regimen_name_pattern:
            for match in self._regimen_name_pattern.finditer(text):
                found.append(f"regimen:{self._regimen_by_name[match.group(0).casefold()]}")
                regimen_spans.append(match.span())
        for drug_list, start, end in _drug_lists(text, vocabulary):
            code = self._vocabulary.regimen_by_drugs.get(drug_list)
            if code and not any(s <= start and end <= e for s, e in regimen_spans):
                found.append(f"regimen:{code}")
        for mention in vocabulary.find_trials(text):
            found.append(f"trial:{mention.id}")
        for pattern in self._form_patterns:
            found += [f"abbr:{self._form_owner[m.group(0).casefold()].id}" for m in pattern.finditer(text)]
        if self._name_pattern:
            names = self._name_pattern.finditer(text)
            found += [f"abbr:{self._name_owner[m.group(0).casefold()].id}" for m in names]
        for mention in vocabulary.find_drugs(text):
            # Drug names are already words; only shorthand inside no regimen code ("len", "dara", "R")
            # needs a concept so that it meets the full name.
            if not any(start <= mention.start < end for start, end in regimen_spans):
                found.append(f"drug:{mention.id}")
        return found

    def typed_abbreviations(self, query: str) -> list[tuple[str, Abbreviation]]:
        """Each abbreviation form typed in ``query`` ("VTE prophylaxis"), with its entry (the names the
        sources print)."""
        return [
            (match.group(0), self._form_owner[match.group(0).casefold()])
            for pattern in self._form_patterns
            for match in pattern.finditer(query)
        ]

    def equivalent_terms(self, query: str) -> list[tuple[str, str]]:
        """(typed, printed) pairs of one term in two spellings: an abbreviation typed as one ("PFS", "ASCT":
        two capitals or more) and the names the sources print for it, a full name typed and its
        abbreviations, a regimen code and the regimen spelled out ("Vd", "bortezomib plus dexamethasone").

        A sentence printing either spelling names the term (select.lexical_coverage). Everyday forms
        ("nerve damage") and drug shorthand ("len") are handled where the question's terms are read.
        """
        pairs = [
            (form, name)
            for form, abbreviation in self.typed_abbreviations(query)
            if _is_abbreviation(form)
            for name in abbreviation.names
        ]
        if self._name_pattern:
            for match in self._name_pattern.finditer(query):
                owner = self._name_owner[match.group(0).casefold()]
                pairs += [(match.group(0), form) for form in owner.forms if _is_abbreviation(form)]
        vocabulary = self._vocabulary
        for mention in vocabulary.find_regimens(query):
            if regimen := vocabulary.regimens.get(mention.id):
                pairs.append((query[mention.start : mention.end], regimen.name))
        return pairs

    def _abbreviation_terms(self, query: str, add) -> None:
        for _, abbreviation in self.typed_abbreviations(query):
            for name in abbreviation.names:
                add(name)
            add(abbreviation.id)
        if self._name_pattern:
            for match in self._name_pattern.finditer(query):
                add(self._name_owner[match.group(0).casefold()].id)

    def _regimen_terms(self, query: str, add) -> None:
        vocabulary = self._vocabulary
        for mention in vocabulary.find_regimens(query):
            regimen = vocabulary.regimens.get(mention.id)
            if regimen is None:
                continue
            add(regimen.code)
            add(regimen.name)
        if self._regimen_name_pattern:
            for match in self._regimen_name_pattern.finditer(query):
                add(self._regimen_by_name[match.group(0).casefold()])
        # "daratumumab with lenalidomide and dexamethasone" names DRd without the word "plus"; only drugs
        # listed together count ("Kd in len-refractory disease" is not KRd).
        for drug_list, _, _ in _drug_lists(query, vocabulary):
            code = self._vocabulary.regimen_by_drugs.get(drug_list)
            if code:
                add(code)

    def _drug_terms(self, query: str, add) -> None:
        for mention in self._vocabulary.find_drugs(query):
            add(self._vocabulary.drugs[mention.id].name)

    def _trial_terms(self, query: str, add) -> None:
        vocabulary = self._vocabulary
        for mention in vocabulary.find_trials(query):
            add(mention.id)  # the canonical spelling: OPTIMISM -> OPTIMISMM


_LIST_GLUE = re.compile(r"\s*(?:,|\+|/|-|plus|with|and|, and)?\s*", re.IGNORECASE)


def _drug_lists(query: str, vocabulary: Vocabulary) -> list[tuple[frozenset[str], int, int]]:
    """Drugs named one after another ("X, Y and Z", "X plus Y", "X-Y-Z"), with the span they cover."""
    lists: list[tuple[set[str], int, int]] = []
    for mention in vocabulary.find_drugs(query):
        if lists and _LIST_GLUE.fullmatch(query[lists[-1][2] : mention.start]):
            drugs, start, _ = lists[-1]
            drugs.add(mention.id)
            lists[-1] = (drugs, start, mention.end)
        else:
            lists.append(({mention.id}, mention.start, mention.end))
    return [(frozenset(drugs), start, end) for drugs, start, end in lists if len(drugs) >= 2]


@lru_cache(maxsize=1)
def _default_expander() -> QueryExpander:
    return QueryExpander(load_abbreviations(), load_vocabulary())
