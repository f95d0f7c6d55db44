"""Abstention: does any retrieved sentence support the *detail the question asks for*?

Retrieval almost always finds the topic (a drug the corpus names); the near misses ask for a detail
the corpus never gives (a dose, a response rate, a toxicity it does not discuss, a drug it never
names). So the support score looks at the best sentences' coverage of the question's own content
tokens, idf-weighted so the asked-for specifics (drug names, "zoster", "step-up") count most and a
term the corpus never uses counts in full against support, and whether the asked figure is present.
The threshold is calibrated on the dev QA set (``python -m evals qa --calibrate``) and stored with
its calibration in ``data/abstention.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from assistant.answer.conflicts import load_config as load_conflict_config
from assistant.answer.select import (
    QuestionTerms,
    RateObject,
    ScoredUnit,
    SentenceBank,
    gives_figures,
    lexical_coverage,
)
from assistant.answer.table_rows import named_endpoints
from assistant.retrieval.expansion import QueryExpander

DATA = Path(__file__).parent / "data" / "abstention.yaml"


class AbstentionConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    threshold: float = Field(description="Abstain when the support score is below this.")
    candidates: int = Field(12, description="How many of the best-scored sentences are examined.")
    sentence_weight: float = Field(0.6, description="Share of support from the sentence (rest: its passage).")
    missing_figure_factor: float = Field(
        0.75, description="Support multiplier when a figure is asked but absent."
    )
    missing_detail_factor: float = Field(
        1.0, description="Support multiplier when the asked subgroup / toxicity is not named in the sentence."
    )
    figure_kinds: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="kind -> {asks: question pattern, gives: sentence pattern}: a question asking for a "
        "response rate needs a sentence with a percentage, a dose one with a dose unit, ...",
    )
    dense_weight: float = Field(0.0, description="Share of support from the sentence's dense similarity.")
    unnamed_agent_factor: float = Field(
        1.0,
        description="Support multiplier for a sentence whose passage names none of the drugs and trials the "
        "question names: a passage about lenalidomide does not say what mezigdomide achieved.",
    )
    asked_details: dict[str, str] = Field(
        default_factory=dict,
        description="name -> pattern of a subgroup or toxicity a figure question may ask about; a sentence "
        "that names none of those asked does not give the figure asked for.",
    )
    backbone_drugs: tuple[str, ...] = Field(
        (), description="Drugs too common to identify what a question is about (dexamethasone)."
    )
    unknown_agent_pattern: str = Field(
        "",
        description="Word endings of drug names; a question naming such a word the corpus never uses asks "
        "about an agent the sources do not cover.",
    )
    unknown_agent_names: tuple[str, ...] = Field(
        (),
        description="Agents named without a drug-name ending (aspirin, LMWH); one the corpus never uses "
        "makes the question one about an agent the sources do not cover.",
    )
    rate_object_patterns: tuple[str, ...] = Field(
        (),
        description="Where a question names what it asks the rate of (group `object`): 'the alopecia rate', "
        "'rate of hepatitis B reactivation', 'how common is insomnia'.",
    )
    rate_object_generic: str = Field(
        "",
        description="Words of a rate's object that every trial reports (response, PFS, grade, adverse "
        "events): such a rate needs no named detail.",
    )
    rate_object_min_unknown: int = Field(
        4, description="Shorter unknown words of a rate's object are shorthand ('MRD-neg'), not a detail."
    )
    code_name_pattern: str = Field(
        "",
        description="A trial or compound code; one whose letters the corpus never uses names a study the "
        "sources do not cover.",
    )


@lru_cache(maxsize=1)
def load_abstention_config(path: Path = DATA) -> AbstentionConfig:
    return AbstentionConfig(**yaml.safe_load(path.read_text(encoding="utf-8")))


class Support(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    score: float
    abstain: bool
    unknown_terms: tuple[str, ...] = ()
    best_chunk: str | None = None


def asked_figure_kinds(question: str, config: AbstentionConfig | None = None) -> list[str]:
    """The kinds of figure the question asks for ("rate", "dose", ...): a sentence must give each one."""
    config = config or load_abstention_config()
    return [
        name for name, kind in config.figure_kinds.items() if re.search(kind["asks"], question, re.IGNORECASE)
    ]


def asked_figure_patterns(question: str, config: AbstentionConfig | None = None) -> tuple[str, ...]:
    """What a sentence must contain to give each kind of figure the question asks for."""
    config = config or load_abstention_config()
    return tuple(config.figure_kinds[name]["gives"] for name in asked_figure_kinds(question, config))


def asked_details(question: str, config: AbstentionConfig | None = None) -> dict[str, str]:
    """The subgroups and toxicities the question asks about: pattern -> the words the question uses for it
    ("CRS" for a sentence's "cytokine release syndrome")."""
    config = config or load_abstention_config()
    found = {p: re.search(p, question, re.IGNORECASE) for p in config.asked_details.values()}
    return {p: m.group(0) for p, m in found.items() if m}


def asked_rate_object(
    question: str, bank: SentenceBank, config: AbstentionConfig | None = None
) -> RateObject:
    """The thing whose rate the question asks ("the hair-loss rate with teclistamab": hair loss), unless it
    is an outcome every trial reports or one of the `asked_details` (which carry their own synonyms). A term
    of the abbreviation vocabulary ("nerve damage", "heart failure") stands for the names the sources print
    ("peripheral neuropathy", "cardiac failure")."""
    config = config or load_abstention_config()
    generic = bank.tokens(config.rate_object_generic)
    details = config.asked_details.values()
    for pattern in config.rate_object_patterns:
        for match in re.finditer(pattern, question, re.IGNORECASE):
            words = match.group("object").strip()
            # "response rate of D-Pd" asks a regimen's response rate; CRS has its synonyms in asked_details.
            if bank.agents(words) or any(re.search(p, words, re.IGNORECASE) for p in details):
                continue
            rest, alternatives = words, []
            for form, abbreviation in QueryExpander.default().typed_abbreviations(words):
                forms = [bank.tokens(name) - generic for name in (form, *abbreviation.names)]
                printed = tuple(dict.fromkeys(a for a in forms if a and all(bank.known(t) for t in a)))
                if not forms[0]:  # "MRD" (negativity) is an outcome every trial reports
                    rest = rest.replace(form, " ")
                elif printed:
                    alternatives.append(printed)
                    rest = rest.replace(form, " ")
            tokens = bank.tokens(rest) - generic
            known = frozenset(t for t in tokens if bank.known(t))
            unknown = frozenset(
                t for t in tokens - known if t.isalpha() and len(t) >= config.rate_object_min_unknown
            )
            if known or unknown or alternatives:
                return RateObject(words=words, known=known, alternatives=tuple(alternatives), unknown=unknown)
    return RateObject()


def named_agents(terms: QuestionTerms, bank: SentenceBank, config: AbstentionConfig) -> frozenset[str]:
    """The drugs and trials the question asks about, by vocabulary id. A source's name is not one: the
    "frontline-len review" is not a question about lenalidomide (question_terms blanks it in `content`)."""
    return terms.agents - set(config.backbone_drugs)


def dosed_drugs(question: str, bank: SentenceBank, config: AbstentionConfig) -> set[str]:
    """The drugs a dose question asks the dose of: named by themselves, not as part of a regimen ("what
    panobinostat dose with Vd" asks panobinostat's, not bortezomib's)."""
    vocabulary = bank.vocabulary
    regimens = vocabulary.find_regimens(question)
    drugs = [d for d in vocabulary.find_drugs(question) if d.id not in config.backbone_drugs]
    return {d.id for d in drugs if not any(r.start <= d.start and d.end <= r.end for r in regimens)}


def support_score(
    terms: QuestionTerms,
    scored: Sequence[ScoredUnit],
    bank: SentenceBank,
    config: AbstentionConfig | None = None,
) -> Support:
    """The best support any candidate sentence gives the question, and whether to abstain."""
    config = config or load_abstention_config()
    unknown = tuple(sorted(t for t in terms.tokens if not bank.known(t)))
    agent = re.compile(config.unknown_agent_pattern) if config.unknown_agent_pattern else None
    names = {t for name in config.unknown_agent_names for t in bank.tokens(name)}

    def drug_like(token: str) -> bool:  # a drug name by its ending ("-mab", "-cel", "-mide", ...) or by name
        return token in names or bool(agent and token.isalpha() and len(token) > 5 and agent.search(token))

    unknown_agents = tuple(t for t in unknown if drug_like(t))
    if config.code_name_pattern:
        codes = [bank.tokens(m.group(0)) for m in re.finditer(config.code_name_pattern, terms.text)]
        unknown_agents += tuple(
            t for code in codes for t in sorted(code) if not (bank.known(t) or t.isdigit())
        )
    # A rate of something the sources never name ("the alopecia rate with belantamab") is not given by a
    # sentence on the drug's response rate, however well the rest of the question matches.
    rate_object = terms.rate_object
    if unknown_agents or rate_object.unknown:
        # Every term the sources never use is named, not only the agents ("IgG" beside "IVIG").
        return Support(score=0.0, abstain=True, unknown_terms=unknown, best_chunk=None)
    named = named_agents(terms, bank, config)
    # A drug-like name the vocabulary does not know but the corpus uses ("pembrolizumab", named once as
    # being examined): a passage that does not name it does not say what it achieved.
    unlisted = frozenset(t for t in terms.tokens if drug_like(t) and not bank.agents(t))
    asks_dose = "dose" in asked_figure_kinds(terms.text, config)
    dosed = dosed_drugs(terms.text, bank, config) if asks_dose else set()
    details = asked_details(terms.text, config) if terms.asks_number else {}

    def other_agents_only(text: str) -> bool:
        agents = bank.agents(text) - set(config.backbone_drugs)
        return bool(named and agents) and not agents & named

    # A sentence naming the asked detail in other words ("cytokine release syndrome" for "CRS") covers the
    # question's words for it.
    detail_tokens = frozenset().union(*(bank.tokens(words) for words in details.values()))
    any_figure = (bank.config.gives_figure,)
    asks_outcome = bool(named_endpoints(terms.text, load_conflict_config()))
    best, best_chunk = 0.0, None
    for candidate in scored[: config.candidates]:
        unit = candidate.unit
        sentence_tokens = bank.tokens(unit.scoring_text)
        names_detail = any(re.search(d, unit.scoring_text, re.IGNORECASE) for d in details)
        if names_detail:
            sentence_tokens |= detail_tokens
        on_asked_trial = not terms.trials or bool(terms.trials & bank.entities(candidate.passage.chunk.text))
        passage_tokens = bank.tokens(candidate.passage.chunk.text)
        coverage = config.sentence_weight * lexical_coverage(terms, sentence_tokens, bank) + (
            1 - config.sentence_weight
        ) * lexical_coverage(terms, passage_tokens, bank)
        coverage = (1 - config.dense_weight) * coverage + config.dense_weight * max(candidate.dense, 0.0)
        # The asked-for figure (a rate, a dose, a duration, a level) must be in the sentence itself; a dose
        # must be given with the drug asked about ("carfilzomib at 56 mg/m2" is no panobinostat dose).
        if (
            not gives_figures(unit.scoring_text, terms.figures)
            or (dosed and not dosed & bank.agents(unit.scoring_text))
            # A toxicity's rate with another drug the sentence names ("cardiac failure" with carfilzomib, for
            # daratumumab) is no answer.
            or ((rate_object.words or details) and other_agents_only(unit.scoring_text))
            # "ICARIA PFS in del(17p)": another trial's del(17p) result is no answer either, nor is another
            # trial's figure of the asked kind ("DREAMM-8 belantamab dose": DREAMM-2's 2.5 mg/kg).
            or ((details or terms.figures) and not on_asked_trial)
            # "OPTIMISMM: PFS in del(17p)?": a sentence saying del(17p) patients benefited, with no figure,
            # does not give the subgroup's PFS.
            or (details and asks_outcome and not gives_figures(unit.scoring_text, any_figure))
        ):
            coverage *= config.missing_figure_factor
        # The asked subgroup or toxicity is the crux: a sentence that does not name it ("response rate of
        # about 31%" for "keratopathy rate") supports less still, on top of any missing figure.
        if (details and not names_detail) or not rate_object.named_by(sentence_tokens):
            coverage *= config.missing_detail_factor
        if (named and not named & bank.agents(candidate.passage.chunk.text)) or (
            unlisted and not unlisted & passage_tokens
        ):
            coverage *= config.unnamed_agent_factor
        # A figure for the asked detail, in a passage on the asked trial ("Cytokine release syndrome occurred
        # in 27 (93%) of 29 patients" under "the phase 1b/2 CARTITUDE1 trial") answers, however few of the
        # question's words it shares.
        if (
            names_detail
            and terms.trials
            and on_asked_trial
            and not other_agents_only(unit.scoring_text)
            and gives_figures(unit.scoring_text, terms.figures or any_figure)
        ):
            coverage = max(coverage, config.threshold)
        if coverage > best:
            best, best_chunk = coverage, unit.chunk_id
    return Support(
        score=round(best, 4), abstain=best < config.threshold, unknown_terms=unknown, best_chunk=best_chunk
    )
