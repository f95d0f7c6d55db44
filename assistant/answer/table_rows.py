"""A trial's outcome in a subgroup, from the review table that gives it in a row per trial.

"APOLLO: median PFS in the len-refractory patients and median OS?" is answered by a row of the 2025
review's regimen table ("Apollo | D-PD vs PD | ... | 9.9 | 34.4"), not by the prose, which gives the
whole population's PFS and no OS. The question never says "table", so table rows keep their low prior
(prose states a trial's results better when it gives them); instead, for each outcome the question asks of
a trial that no chosen point gives *for the asked subgroup*, the best row of that trial in a table with a
column for that outcome is added. Outcomes and subgroups are those of the conflict check
(data/conflicts.yaml), so "gives PFS in len-refractory patients" means one thing in both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.conflicts import ConflictConfig, endpoint_figures, load_config, names_pattern
from assistant.answer.select import ScoredUnit, SentenceBank

# Subgroup words that say a figure is a subgroup's without saying whose; they decide nothing here.
_UNNAMED_SUBGROUP = "subgroup"


def named_endpoints(text: str, config: ConflictConfig) -> frozenset[str]:
    """Outcomes a text names; a column header may write "median PFS" as "mPFS"."""
    return frozenset(
        endpoint
        for endpoint, names in config.endpoints.items()
        if re.search(rf"\bm?(?:{names_pattern(names)})\b", text, re.IGNORECASE)
    )


def populations(text: str, config: ConflictConfig) -> frozenset[str]:
    """Subgroups a text names (len-refractory, one previous line, ...), as the conflict check reads them."""
    return frozenset(
        name
        for name, pattern in config.population.items()
        if name != _UNNAMED_SUBGROUP and re.search(pattern, text, re.IGNORECASE)
    )


def with_outcome_rows(
    question: str,
    trials: frozenset[str],
    points: Sequence[ScoredUnit],
    scored: Sequence[ScoredUnit],
    bank: SentenceBank,
) -> list[ScoredUnit]:
    """`points` with rows added: for each outcome the question asks of one of `trials` that no point
    gives in the asked subgroups, the best-scoring row of that trial (scoring at least `outcome_row_floor`
    of the best candidate, selection.yaml) in a table with a column for it. A point gives an outcome when it
    names it with a figure (an endpoint's figure, as the conflict check reads it), names the trial (or its
    passage does) and names the asked subgroups. A row of one arm, added or chosen, is shown with the rows
    of the trial's other arms."""
    config = load_config()
    wanted = named_endpoints(question, config)
    if not trials or not wanted or not scored:
        return list(points)
    asked = populations(question, config)
    floor = bank.config.outcome_row_floor * scored[0].score

    def gives(point: ScoredUnit) -> frozenset[str]:
        unit = point.unit
        if unit.kind == "row":
            if not trials & bank.entities(f"{unit.context} {unit.text}"):
                return frozenset()
            if not asked <= populations(f"{unit.frame} {unit.context} {unit.text}", config):
                return frozenset()
            return named_endpoints(unit.frame, config) & wanted
        if not trials & (bank.entities(unit.text) | bank.entities(point.passage.chunk.text)):
            return frozenset()
        if not asked <= populations(unit.text, config):
            return frozenset()
        return frozenset(endpoint_figures(unit.text, config)) & wanted

    given = [gives(p) for p in points]
    covered = frozenset().union(*given)
    taken = {(p.unit.chunk_id, p.unit.start) for p in points}
    found = [p for p, outcomes in zip(points, given, strict=True) if p.unit.kind == "row" and outcomes]
    # The chosen points' own reviews' tables first: their subgroup is the one the prose describes.
    cited_docs = {p.passage.chunk.doc_id for p in points}
    eligible = [c for c in scored if c.score >= floor]
    for candidate in sorted(eligible, key=lambda c: c.passage.chunk.doc_id not in cited_docs):
        if covered >= wanted:
            break
        if candidate.unit.kind != "row" or (candidate.unit.chunk_id, candidate.unit.start) in taken:
            continue
        new = gives(candidate) - covered
        if new:
            found.append(candidate)
            covered |= new
    # An arm's row ("Vd group | 97 | 11.5 ...") comes with the trial's other arms, beside it: the outcome
    # is a comparison, and the other arm's figure is in its own row.
    out = list(points)
    for row in found:
        arms = sorted(
            (
                s
                for s in scored
                if row.unit.context
                and s.unit.kind == "row"
                and s.unit.chunk_id == row.unit.chunk_id
                and s.unit.context == row.unit.context
            ),
            key=lambda s: s.unit.start,
        ) or [row]
        at = out.index(row) + 1 if row in out else len(out)
        for arm in arms:
            if (arm.unit.chunk_id, arm.unit.start) not in taken:
                out.insert(at, arm)
                taken.add((arm.unit.chunk_id, arm.unit.start))
                at += 1
            elif arm in out:
                at = out.index(arm) + 1
    return out
