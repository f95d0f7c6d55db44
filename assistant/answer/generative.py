"""Optional generative backend: a LangChain chat model rewrites the extractive draft into prose, and code
then verifies every generated sentence against the passages it cites.

Verification, not trust: citation keys that are not in the draft's citations are removed; a sentence
with no valid citation, with a number that does not appear verbatim in a cited passage, or whose
content tokens are mostly absent from its cited passages is dropped (or flagged, by configuration).
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
from pydantic import BaseModel, ConfigDict, Field

from assistant.answer.models import Answer, AnswerSentence, Citation
from assistant.answer.sentences import split_sentences
from assistant.settings import Settings

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

    def model_post_init(self, _: Any) -> None:
        for field in ("{question}", "{draft}", "{passages}", "{max_sentences}"):
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
    printed_numbers = {_normal_number(n) for n in _NUMBER.findall(passages)}
    invented = [n for n in _NUMBER.findall(text) if _normal_number(n) not in printed_numbers]
    if invented:
        return Verdict(
            text=text, citations=valid, supported=False, reason=f"numbers not in the passages: {invented}"
        )
    wanted = tokens(text)
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
    text: str, answer: Answer, config: GenerativeConfig | None = None
) -> list[AnswerSentence]:
    """Generated text -> verified answer sentences (unsupported ones dropped or flagged)."""
    config = config or load_generative_config()
    by_n = {c.n: c for c in answer.citations}
    out = []
    for span in split_sentences(text):
        verdict = verify_sentence(span.text, by_n, min_support=config.min_token_support)
        if verdict.supported:
            out.append(AnswerSentence(text=verdict.text, citations=verdict.citations, role="point"))
        elif config.unsupported_policy == "flag" and verdict.text:
            out.append(
                AnswerSentence(
                    text=config.flag_prefix + verdict.text, citations=verdict.citations, role="notice"
                )
            )
    return out


def build_messages(answer: Answer, config: GenerativeConfig | None = None) -> list[tuple[str, str]]:
    config = config or load_generative_config()
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
        draft=answer.text,
        passages=passages,
        max_sentences=config.max_sentences,
    )
    return [("system", config.system_prompt), ("human", user)]


def rewrite(answer: Answer, chat_model: Any, config: GenerativeConfig | None = None) -> Answer:
    """The answer rewritten by `chat_model` and verified; the extractive draft if nothing survives or the
    answer is not a cited answer (abstention, scope message, invalid input)."""
    if answer.status not in ("answered", "needs_information") or not answer.citations:
        return answer
    from assistant.answer.compose import render

    config = config or load_generative_config()
    reply = chat_model.invoke(build_messages(answer, config))
    content = (
        reply.content
        if isinstance(reply.content, str)
        else " ".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in reply.content)
    )
    sentences = verify_generated(content, answer, config)
    if not any(s.citations for s in sentences):
        return answer
    return answer.model_copy(update={"sentences": tuple(sentences), "text": render(sentences)})
