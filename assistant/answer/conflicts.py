"""Figures that differ between sources for the same trial, endpoint and population.

"When two sources disagree, both are shown with their years." Reviews quote a trial's whole-population
result, its subgroups (lenalidomide-refractory, one previous line) and later data cuts, so different
numbers for one trial are usually answers to different questions: CASTOR's len-refractory subgroup does
not contradict CASTOR's whole population, and a sentence about two trials cannot be matched figure by
figure. A pair is flagged only when both sides name the same single trial (the one the question asks
about, when it names one), describe the same population and give different figures for the same
endpoint: typically a later data cut, which the reader should see with its year. Patterns live in
data/conflicts.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from assistant.answer.select import ScoredUnit, SentenceBank
from assistant.vocabulary import Vocabulary

DATA = Path(__file__).parent / "data" / "conflicts.yaml"
_FIGURE = re.compile(r"(?<![\w.])(by )?(\d+(?:[.·]\d+)?)")


class ConflictConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    endpoints: dict[str, tuple[str, ...]]  # endpoint -> the ways the sources write it
    figure_window: int
    population: dict[str, str]  # subpopulation -> pattern
    ignored_figures: frozenset[str]
    pool_size: int
    pool_floor: float


class Conflict(BaseModel):
    """Two sources' different figures for one trial's endpoint(s), in the same population."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trial: str
    endpoints: tuple[str, ...]
    sides: tuple[ScoredUnit, ScoredUnit]

    @property
    def topic(self) -> str:
        return f"{self.trial} ({', '.join(self.endpoints)})"


@lru_cache(maxsize=1)
def load_config(path: Path = DATA) -> ConflictConfig:
    try:
        return ConflictConfig(**yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from error


class Finding(BaseModel):
    """What a quoted sentence reports: its trials, population and each endpoint's figures."""

    model_config = ConfigDict(frozen=True)

    trials: frozenset[str]
    population: frozenset[str]
    figures: dict[str, frozenset[str]]  # endpoint -> the figures given for it


def names_pattern(names: Sequence[str]) -> str:
    """An endpoint's names as one alternation, longest first ("overall response rate" before "ORR")."""
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def endpoint_figures(text: str, config: ConflictConfig) -> dict[str, frozenset[str]]:
    """Each endpoint's figures: the first figure starting within `figure_window` characters after each
    mention, read whole, unless another endpoint is named before it ("superior in terms of progression-free
    survival ... (HR 0.53": 0.53 is the hazard ratio, no median)."""
    found: dict[str, set[str]] = {}
    mentions = {
        endpoint: list(re.finditer(rf"\b(?:{names_pattern(names)})\b", text, re.IGNORECASE))
        for endpoint, names in config.endpoints.items()
    }
    for endpoint, own in mentions.items():
        others = [m.start() for e, ms in mentions.items() if e != endpoint for m in ms]
        for mention in own:
            end = mention.end() + config.figure_window
            figures = [
                f
                for f in _FIGURE.finditer(text, mention.end())
                if f.start() < end and f.group(2) not in config.ignored_figures
            ]
            if not figures or any(mention.end() <= o < figures[0].start() for o in others):
                continue
            if not figures[0].group(1):  # "improved PFS by 4 months" is a difference, not a result
                found.setdefault(endpoint, set()).add(figures[0].group(2).replace("·", "."))
    return {endpoint: frozenset(values) for endpoint, values in found.items()}


def read_findings(
    point: ScoredUnit, bank: SentenceBank, vocabulary: Vocabulary, config: ConflictConfig
) -> list[Finding]:
    """One finding per sentence of the quote (a quote joined from several sentences can span two trials).
    Trial and population are read on the sentence and the one before it: reviews name a trial and who
    was studied, then give the results."""
    unit = point.unit
    chunk = bank.chunks.get(unit.chunk_id)
    if chunk is None:
        return []
    units = [u for u in bank.units(chunk) if u.kind == "sentence"]
    findings = []
    for i, sentence in enumerate(units):
        if sentence.start < unit.start or sentence.end > unit.end:
            continue
        described = " ".join(u.text for u in units[max(i - 1, 0) : i + 1])
        findings.append(
            Finding(
                trials=frozenset(m.id for m in vocabulary.find_trials(described)),
                population=frozenset(
                    name
                    for name, pattern in config.population.items()
                    if re.search(pattern, described, re.IGNORECASE)
                ),
                figures=endpoint_figures(sentence.text, config),
            )
        )
    return findings


def _differ(mine: Finding, theirs: Finding) -> list[str]:
    """Endpoints both report with no figure in common, for the same single trial and population."""
    if len(mine.trials) != 1 or theirs.trials != mine.trials or theirs.population != mine.population:
        return []
    shared = mine.figures.keys() & theirs.figures.keys()
    return sorted(
        e for e in shared if not any(_same(a, b) for a in mine.figures[e] for b in theirs.figures[e])
    )


def _same(a: str, b: str) -> bool:
    """One figure printed at two precisions ("HR 0.3123", "HR 0.31") is the same figure."""
    places = min(len(x.partition(".")[2]) for x in (a, b))
    return round(float(a), places) == round(float(b), places)


def find_conflicts(
    points: Sequence[ScoredUnit],
    scored: Sequence[ScoredUnit],
    bank: SentenceBank,
    vocabulary: Vocabulary,
    asked_trials: frozenset[str] = frozenset(),
) -> list[Conflict]:
    """The first chosen point whose figures another source's well-scored sentence contradicts (at most one
    conflict, so the answer stays short)."""
    if not scored:
        return []
    config = load_config()
    pool = [
        (other, read_findings(other, bank, vocabulary, config))  # read once, not once per point
        for other in scored[: config.pool_size]
        if other.score >= scored[0].score * config.pool_floor and other.unit.kind == "sentence"
    ]
    for point in points:
        if point.unit.kind != "sentence":  # a table names many trials: not one finding to weigh
            continue
        mine = [
            f
            for f in read_findings(point, bank, vocabulary, config)
            if f.figures and (not asked_trials or f.trials <= asked_trials)
        ]
        for other, findings in pool if mine else ():
            if other.passage.chunk.doc_id == point.passage.chunk.doc_id:
                continue
            for theirs in findings:
                for finding in mine:
                    if differ := _differ(finding, theirs):
                        (trial,) = finding.trials
                        return [Conflict(trial=trial, endpoints=tuple(differ[:2]), sides=(point, other))]
    return []
