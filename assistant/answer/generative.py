"""Optional generative backend: a LangChain chat model rewrites the extractive draft into prose, and code
then verifies every generated sentence against the passages it cites.

Verification, not trust: citation keys that are not in the draft's citations are removed; a sentence
with no valid citation, with a number that does not appear verbatim in a cited passage, or whose
content tokens are mostly absent from its cited passages is dropped (or flagged, by configuration).
The rule layer outranks the model: only evidence sentences are rewritten, the branch card's lines are
kept verbatim, and a generated sentence that offers an excluded regimen (or a drug the patient is
refractory to) outside a "not for this patient" label, or restates the decision, is always dropped.
If nothing survives, the extractive draft is returned unchanged. Any chat model works
(``init_chat_model(settings.llm_provider)``); tests use LangChain's fake chat models.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.answer.models import Answer, AnswerSentence, Citation
from assistant.answer.sentences import split_sentences
from assistant.settings import Settings
from assistant.vocabulary import Vocabulary, load_vocabulary

DATA = Path(__file__).parent / "data" / "generative.yaml"
_MARKER = re.compile(r"\s*\[(\d+)\]")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.·,]\d+)*")
_WORD = re.compile(r"[a-z][a-z0-9\-]+")


class GenerativeConfig(BaseModel):
    """Prompts and fixed phrases, validated at load."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system_prompt: str = Field(min_length=20)
    user_template: str
    passage_template: str
    max_sentences: int = Field(ge=1, le=20)
    max_passage_chars: int = Field(ge=200)
    min_token_support: float = Field(ge=0, le=1)
    unsupported_policy: Literal["drop", "flag"]
    flag_prefix: str
    rewrite_roles: frozenset[str] = Field(min_length=1)
    excluded_label: str = Field(min_length=3)
    descriptive_after: re.Pattern[str]
    descriptive_before: re.Pattern[str]
    decision_claims: tuple[re.Pattern[str], ...]

    @field_validator("descriptive_after", "descriptive_before", mode="before")
    @classmethod
    def _ignore_case(cls, value: Any) -> Any:
        return re.compile(value, re.IGNORECASE) if isinstance(value, str) else value

    @field_validator("decision_claims", mode="before")
    @classmethod
    def _ignore_case_all(cls, value: Any) -> Any:
        return tuple(re.compile(v, re.IGNORECASE) if isinstance(v, str) else v for v in value)

    @property
    def label_pattern(self) -> re.Pattern[str]:
        """A whole "(not for this patient: ...)" label in generated text."""
        return re.compile(rf"\({re.escape(self.excluded_label)}[^)]*\)", re.IGNORECASE)

    def model_post_init(self, _: Any) -> None:
        for field in ("{question}", "{decision}", "{draft}", "{passages}", "{max_sentences}"):
            if field not in self.user_template:
                raise ValueError(f"generative.yaml: user_template lacks {field}")


@lru_cache(maxsize=1)
def load_generative_config(path: Path = DATA) -> GenerativeConfig:
    return GenerativeConfig(**yaml.safe_load(path.read_text(encoding="utf-8")))


def load_chat_model(settings: Settings) -> Any:
    """The configured chat model (``RRMM_LLM_PROVIDER``, e.g. "ollama:qwen2.5")."""
    if not settings.llm_provider:
        raise ValueError("the langchain answer backend needs RRMM_LLM_PROVIDER (e.g. 'ollama:qwen2.5')")
    from langchain.chat_models import init_chat_model

    return init_chat_model(settings.llm_provider)


def _normal_number(n: str) -> str:
    return n.replace("·", ".")


def _content_tokens(text: str) -> set[str]:
    from assistant.answer.select import load_selection_config

    stop = load_selection_config().stopwords
    return {w for w in _WORD.findall(text.lower()) if w not in stop and len(w) > 2}


class ExclusionGuard(BaseModel):
    """What generated text may not do to a patient answer: offer a regimen the rule layer excluded
    (code -> reason), a regimen holding a drug the patient is refractory to (unless the rule layer
    offers that regimen), or state a branch (the decided one is ``branch``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    excluded_regimens: dict[str, str] = Field(default_factory=dict)
    refractory_drugs: frozenset[str] = frozenset()
    offered_regimens: frozenset[str] = frozenset()
    branch: str | None = None


def guard_for(decision: Any, refractory_drugs: frozenset[str], vocabulary: Vocabulary) -> ExclusionGuard:
    """The guard from the rule layer's decision and the patient's refractory drugs (the same exclusions
    that label retrieved evidence "not for this patient" in compose.py)."""
    from assistant.answer.compose import phrases
    from assistant.answer.constrain import excluded_reasons

    return ExclusionGuard(
        excluded_regimens=excluded_reasons(
            decision, refractory_drugs, vocabulary, phrases()["refractory_reason"]
        ),
        refractory_drugs=refractory_drugs,
        offered_regimens=frozenset(o.regimen for o in decision.options),
        branch=decision.branch,
    )


def guard_from_answer(answer: Answer, vocabulary: Vocabulary) -> ExclusionGuard:
    """The guard as far as the answer itself shows it: regimens on its "not for this patient" lines and
    labels, offered regimens on its option lines. Refractory drugs are not carried by an Answer, so
    callers that know the patient should pass ``guard_for(...)`` instead."""
    first_regimen = lambda text: [m.id for m in vocabulary.find_regimens(text)][:1]  # noqa: E731
    excluded = {c: "excluded by the rule layer" for s in answer.sentences if s.role == "avoid"
                for c in first_regimen(s.text.split("—")[0])}
    for citation in answer.citations:
        for part in (citation.label or "").split(";"):
            if "—" in part:
                excluded.update({c: "not for this patient" for c in first_regimen(part.split("—")[0])})
    offered = {c for s in answer.sentences if s.role == "option" for c in first_regimen(s.text)}
    return ExclusionGuard(excluded_regimens=excluded, offered_regimens=frozenset(offered),
                          branch=answer.branch)


def excluded_offers(
    text: str, guard: ExclusionGuard, vocabulary: Vocabulary, config: GenerativeConfig
) -> list[str]:
    """Excluded regimens and refractory drugs that `text` names as something to give: not after the
    "not for this patient" label, and not as a description of the population ("lenalidomide-refractory")."""
    lowered = text.lower()
    # What each preceding "(not for this patient: ...)" label itself names: only those are excused.
    labels = [(m.start(), m.end(), {x.id for x in vocabulary.find_drugs(m.group(0), include_regimens=True)}
               | {x.id for x in vocabulary.find_regimens(m.group(0))})
              for m in config.label_pattern.finditer(text)]
    regimens = vocabulary.find_regimens(text)
    mentions = [(m.id, m.start, m.end, "regimen") for m in regimens]
    # Full names, longest first: "lenalidomide plus dexamethasone" inside the name of KRd is not Rd.
    named = sorted((vocabulary.regimens[c] for c in guard.excluded_regimens if c in vocabulary.regimens),
                   key=lambda r: -len(r.name))
    for regimen in named:
        at = lowered.find(regimen.name.lower())
        end = at + len(regimen.name)
        if at >= 0 and not any(a < end and at < b for _, a, b, _ in mentions):
            mentions.append((regimen.code, at, end, "regimen"))
    # A regimen the rule layer offers may hold a drug the patient is refractory to (constrain.py agrees).
    offered_spans = {(m.start, m.end) for m in regimens if m.id in guard.offered_regimens}
    mentions += [(m.id, m.start, m.end, "drug") for m in vocabulary.find_drugs(text, include_regimens=True)
                 if (m.start, m.end) not in offered_spans]
    found = []
    for name, start, end, kind in mentions:
        barred = name in guard.excluded_regimens if kind == "regimen" else name in guard.refractory_drugs
        inside_label = any(a <= start < b for a, b, _ in labels)
        if not barred or inside_label or any(b <= start and name in named for _, b, named in labels):
            continue
        if config.descriptive_after.search(text[end:end + 20]) or config.descriptive_before.search(
            text[max(0, start - 40):start]
        ):
            continue
        found.append(name)
    return list(dict.fromkeys(found))


def decision_claim(text: str, guard: ExclusionGuard, config: GenerativeConfig) -> str | None:
    """Why `text` would restate the rule layer's decision (a branch, or what this patient should get)."""
    from assistant.rules import load_rules

    # The label says what is excluded; it is not a decision of its own.
    text = config.label_pattern.sub(" ", text)
    for pattern in config.decision_claims:
        if match := pattern.search(text):
            return f"states the decision ({match.group(0)!r}); only the rule layer does"
    lowered = text.lower()
    for branch_id, branch in load_rules().branches.items():
        if branch_id != guard.branch and branch.label.lower() in lowered:
            return f"names another branch ({branch.label!r})"
    return None


class Verdict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    citations: tuple[int, ...]
    supported: bool
    reason: str = ""


def verify_sentence(
    sentence: str,
    citations: dict[int, Citation],
    tokens: Callable[[str], set[str]] = _content_tokens,
    min_support: float = 0.7,
) -> Verdict:
    """Check one generated sentence against the passages it cites."""
    keys = [int(k) for k in _MARKER.findall(sentence)]
    valid = tuple(dict.fromkeys(k for k in keys if k in citations))
    text = " ".join(_MARKER.sub("", sentence).split())
    if not valid:
        return Verdict(text=text, citations=(), supported=False, reason="no valid citation")
    passages = " ".join(citations[k].text for k in valid)
    # A cited passage's own "not for this patient" label is the composer's glue, not a claim to check.
    claim = text
    for k in valid:
        if citations[k].label:
            claim = claim.replace(f"({citations[k].label})", " ")
    printed_numbers = {_normal_number(n) for n in _NUMBER.findall(passages)}
    invented = [n for n in _NUMBER.findall(claim) if _normal_number(n) not in printed_numbers]
    if invented:
        return Verdict(
            text=text, citations=valid, supported=False, reason=f"numbers not in the passages: {invented}"
        )
    wanted = tokens(claim)
    if wanted:
        present = tokens(passages)
        share = len(wanted & present) / len(wanted)
        if share < min_support:
            return Verdict(
                text=text,
                citations=valid,
                supported=False,
                reason=f"only {share:.0%} of its words are in the cited passages",
            )
    return Verdict(text=text, citations=valid, supported=True)


def verify_generated(
    text: str,
    answer: Answer,
    config: GenerativeConfig | None = None,
    guard: ExclusionGuard | None = None,
    vocabulary: Vocabulary | None = None,
) -> list[AnswerSentence]:
    """Generated text -> verified evidence sentences. Unsupported ones are dropped or flagged; ones that
    offer an excluded option or restate a patient's decision are always dropped (never flagged)."""
    config = config or load_generative_config()
    vocabulary = vocabulary or load_vocabulary()
    guard = guard or guard_from_answer(answer, vocabulary)
    by_n = {c.n: c for c in answer.citations}
    out = []
    for sentence in _sentences(text, config):
        verdict = verify_sentence(sentence, by_n, min_support=config.min_token_support)
        if rule_breach(verdict.text, answer, guard, vocabulary, config):
            continue
        if verdict.supported:
            out.append(AnswerSentence(text=verdict.text, citations=verdict.citations, role="point"))
        elif config.unsupported_policy == "flag" and verdict.text:
            out.append(
                AnswerSentence(
                    text=config.flag_prefix + verdict.text, citations=verdict.citations, role="notice"
                )
            )
    return out


def _sentences(text: str, config: GenerativeConfig) -> list[str]:
    """Generated sentences, with a leading "(not for this patient: ...)" label kept on its sentence (the
    splitter ends a sentence at the label's closing parenthesis)."""
    out: list[str] = []
    label = f"({config.excluded_label.lower()}"
    pending = ""
    for span in split_sentences(text):
        piece = span.text.strip()
        if piece.lower().startswith(label) and piece.endswith(")"):
            pending = f"{pending} {piece}".strip()
            continue
        out.append(f"{pending} {piece}".strip())
        pending = ""
    return [*out, pending] if pending else out


def rule_breach(
    text: str, answer: Answer, guard: ExclusionGuard, vocabulary: Vocabulary, config: GenerativeConfig
) -> str | None:
    """Why a generated sentence contradicts the rule layer, or None."""
    offered = excluded_offers(text, guard, vocabulary, config)
    if offered:
        return f"offers what the rule layer excluded for this patient: {offered}"
    return decision_claim(text, guard, config) if answer.branch else None


def _split_draft(
    answer: Answer, config: GenerativeConfig
) -> tuple[list[AnswerSentence], list[AnswerSentence]]:
    """(lines kept verbatim, evidence sentences the model may rewrite)."""
    fixed = [s for s in answer.sentences if s.role not in config.rewrite_roles]
    return fixed, [s for s in answer.sentences if s.role in config.rewrite_roles]


def build_messages(answer: Answer, config: GenerativeConfig | None = None) -> list[tuple[str, str]]:
    from assistant.answer.compose import render

    config = config or load_generative_config()
    fixed, evidence = _split_draft(answer, config)
    passages = "\n".join(
        config.passage_template.format(
            n=c.n,
            title=c.title,
            year=c.year_label,
            section=c.section or "-",
            text=" ".join(c.text.split())[: config.max_passage_chars],
        )
        for c in answer.citations
    )
    user = config.user_template.format(
        question=answer.resolved_question,
        decision=render(fixed) if answer.branch else "(none: a question about the sources)",
        draft=render(evidence),
        passages=passages,
        max_sentences=config.max_sentences,
    )
    return [("system", config.system_prompt), ("human", user)]


def rewrite(
    answer: Answer,
    chat_model: Any,
    config: GenerativeConfig | None = None,
    guard: ExclusionGuard | None = None,
) -> Answer:
    """The answer with its evidence rewritten by `chat_model` and verified, and every other line (the
    rule layer's branch card, notices) kept verbatim and in place. The extractive draft when nothing
    survives, when there is no evidence to rewrite, or when the answer is not a cited answer
    (abstention, scope message, invalid input). `guard`: the patient's exclusions (``guard_for``);
    without it, those the answer shows (``guard_from_answer``)."""
    if answer.status not in ("answered", "needs_information") or not answer.citations:
        return answer
    from assistant.answer.compose import render

    config = config or load_generative_config()
    fixed, evidence = _split_draft(answer, config)
    if not evidence:
        return answer
    reply = chat_model.invoke(build_messages(answer, config))
    content = (
        reply.content
        if isinstance(reply.content, str)
        else " ".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in reply.content)
    )
    generated = verify_generated(content, answer, config, guard)
    if not any(s.citations for s in generated):
        return answer
    first = answer.sentences.index(evidence[0])
    before = answer.sentences[:first]  # all kept lines: the first rewritable sentence is at `first`
    sentences = (*before, *generated, *fixed[len(before):])
    return answer.model_copy(update={"sentences": sentences, "text": render(sentences)})
