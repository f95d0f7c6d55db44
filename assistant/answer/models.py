"""Types at the answer boundary: what the composer returns and the UI, CLI and evals read.

Every clinical sentence carries citation numbers; every citation resolves to a passage as printed,
with the character span of the supporting sentence inside it, so a clinician can check each claim.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TurnKind = Literal["patient", "factual", "definition", "follow_up", "out_of_scope", "empty"]
AnswerStatus = Literal["answered", "abstained", "out_of_scope", "needs_information", "invalid_input"]


class Citation(BaseModel):
    """A numbered pointer from an answer sentence to a corpus passage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n: int = Field(ge=1, description="The [n] shown inline.")
    chunk_id: str
    doc: str
    title: str
    year: int
    year_label: str = Field(description='"2021", "about 2019", ...: shown beside every citation.')
    section: str
    line_start: int
    line_end: int
    kind: str
    text: str = Field(description="The passage as printed (source lines line_start..line_end).")
    span: tuple[int, int] | None = Field(
        None, description="Character span of the supporting sentence inside `text` (for highlighting)."
    )
    scope: Literal["in_branch", "outside_branch", "unconstrained", "rule"] = "unconstrained"
    label: str | None = Field(None, description='e.g. "not for this patient: lenalidomide-refractory".')


class AnswerSentence(BaseModel):
    """One sentence of the answer and the citations that support it (empty only for non-clinical glue)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    citations: tuple[int, ...] = ()
    role: Literal["lead", "point", "branch", "option", "avoid", "modifier", "missing", "update",
                  "conflict", "related", "notice"] = "point"


class Answer(BaseModel):
    """The full reply to one turn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question: str
    resolved_question: str = Field(description="The question after follow-up resolution and expansion.")
    turn_kind: TurnKind
    status: AnswerStatus
    text: str = Field(description="Plain-text rendering with inline [n] markers.")
    sentences: tuple[AnswerSentence, ...] = ()
    citations: tuple[Citation, ...] = ()
    abstained: bool = False
    branch: str | None = None
    support_score: float | None = Field(None, description="Best evidence score; compared to the threshold.")
    related: tuple[Citation, ...] = Field(
        (), description='Closest passages shown as "related, not an answer".'
    )
    latency_ms: float | None = None
