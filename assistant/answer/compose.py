"""The extractive, deterministic answer composer.

A patient question gets the rule layer's branch card (branch, why, options with tiers, exclusions
with reasons, modifiers, missing facts, 2021-vs-2025 updates), each line cited to the source quote
the rule rests on, then supporting evidence retrieved within the branch. A factual question gets a
short lead and cited points: sentences (or table rows) quoted from the passages, numbers as printed.
When the best evidence does not support the asked-for detail, the answer abstains and lists the
closest passages as related reading. No model writes text here; see ``generative.py`` for the
optional LangChain rewrite.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from assistant.answer import constrain
from assistant.answer.abstain import Support, asked_figure_patterns, asked_rate_object, support_score
from assistant.answer.annotate import annotate_regimens, cell_abbreviations, drop_reference_markers
from assistant.answer.classify import (
    NOT_CLINICAL,
    TurnClass,
    asks_definition,
    classify_turn,
    describes_patient,
    foreign_script,
    out_of_scope_reason,
)
from assistant.answer.conflicts import find_conflicts
from assistant.answer.followup import Conversation, resolve_follow_up
from assistant.answer.models import Answer, AnswerSentence, Citation, TurnKind
from assistant.answer.select import (
    QuestionTerms,
    ScoredUnit,
    demote_units,
    is_legend,
    labelled_row,
    pick_points,
    question_terms,
    score_units,
    table_header,
    table_title,
)
from assistant.answer.sentences import printed_span
from assistant.answer.services import Services
from assistant.answer.table_rows import with_outcome_rows
from assistant.retrieval.expansion import QueryExpander
from assistant.retrieval.models import Passage
from assistant.rules.profile import PatientProfile
from assistant.settings import MAX_INPUT_CHARS
from ingest.models import Chunk

PHRASES_FILE = Path(__file__).parent / "data" / "phrases.yaml"


@lru_cache(maxsize=1)
def phrases() -> dict[str, Any]:
    data = yaml.safe_load(PHRASES_FILE.read_text(encoding="utf-8"))
    return {k: v if isinstance(v, dict) else " ".join(str(v).split()) for k, v in data.items()}


# ---- citations ---------------------------------------------------------------------------------
class CitationBook:
    """Numbers citations in order of first use; the same chunk + span + label is cited once."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.citations: list[Citation] = []
        self._numbers: dict[tuple, int] = {}

    def cite(
        self,
        chunk: Chunk,
        quote: str | None,
        scope: str = "unconstrained",
        label: str | None = None,
        number: int | None = None,
    ) -> int:
        corpus = self._services.corpus
        printed = corpus.printed(chunk.doc_id, chunk.line_start, chunk.line_end)
        span = printed_span(quote, printed) if quote else None
        key = (chunk.id, span, label)
        if key in self._numbers:
            return self._numbers[key]
        meta = corpus.meta(chunk.doc_id)
        n = number or len(self.citations) + 1
        self.citations.append(
            Citation(
                n=n,
                chunk_id=chunk.id,
                doc=chunk.doc_id,
                title=meta.title,
                year=meta.year,
                year_label=meta.year_label,
                section=chunk.section,
                line_start=chunk.line_start,
                line_end=chunk.line_end,
                kind=chunk.kind,
                text=printed,
                span=span,
                scope=scope,
                label=label,
            )
        )
        self._numbers[key] = n
        return n


def locate_quote(services: Services, doc: str, line: int, quote: str) -> Chunk | None:
    """The chunk holding a rule's source quote (it starts on `line` of `doc`)."""
    candidates = [
        c for c in services.chunks_by_id.values() if c.doc_id == doc and c.line_start <= line <= c.line_end
    ]
    if not candidates:
        return None
    quote_tokens = services.bank.tokens(quote)
    return max(candidates, key=lambda c: (len(quote_tokens & services.bank.tokens(c.text)), -c.line_start))


# ---- rendering ---------------------------------------------------------------------------------
_BULLET_ROLES = {"point", "option", "avoid", "modifier", "missing", "update", "conflict", "related"}


def render(sentences: Iterable[AnswerSentence]) -> str:
    lines = []
    for s in sentences:
        marks = "".join(f"[{n}]" for n in s.citations if f"[{n}]" not in s.text)
        text = f"{s.text} {marks}".rstrip()
        lines.append(f"- {text}" if s.role in _BULLET_ROLES else text)
    return "\n".join(lines)


def unit_text(scored: ScoredUnit, show_frame: bool = True) -> str:
    """How a selected unit reads in the answer (the source's bibliography numbers dropped)."""
    return drop_reference_markers(_unit_text(scored, show_frame))


def _unit_text(scored: ScoredUnit, show_frame: bool) -> str:
    """A sentence as is; a table row (cells as printed) after its table's title, its column headers and,
    for an arm's row, the trial row above it; a table whose grid was lost, whole."""
    unit = scored.unit
    if unit.kind == "sentence":
        return unit.text
    if unit.kind == "table":  # a lost-grid table (or one trial's record of it): its lines in printed order
        lines = " · ".join(line.strip() for line in unit.text.splitlines() if line.strip())
        return f"{unit.frame.rstrip('.')}: {lines}" if unit.frame and show_frame else lines
    chunk = scored.passage.chunk
    context = f"{unit.context} / " if unit.context else ""
    # Each cell after its column's name when the row lines up with the columns; else the row as printed,
    # after the columns (shown once per table).
    labelled = labelled_row(unit.text, chunk.text)
    if not show_frame:  # the table's title (and columns) were shown with an earlier row
        return f"{context}{labelled or unit.text}"
    where = (table_title(chunk.text) or chunk.section or "Table")[:160]
    if labelled:
        return f"{where.rstrip('.')}: {context}{labelled}"
    header = table_header(chunk.text)
    columns = f" (columns: {header})" if header and header != unit.text else ""
    return f"{where}{columns}: {context}{unit.text}"


# ---- entry point -------------------------------------------------------------------------------
def _finish(answer: dict[str, Any], started: float) -> Answer:
    answer["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    sentences = tuple(answer.get("sentences", ()))
    answer["sentences"] = sentences
    answer.setdefault("text", render(sentences))
    return Answer(**answer)


def _notice(
    question: str,
    kind: TurnKind,
    status: str,
    message: str,
    started: float,
    resolved: str | None = None,
    branch: str | None = None,
) -> Answer:
    return _finish(
        {
            "question": question,
            "resolved_question": resolved if resolved is not None else question,
            "turn_kind": kind,
            "branch": branch,
            "status": status,
            "sentences": (AnswerSentence(text=message, role="notice"),),
        },
        started,
    )


def answer_question(
    question: str,
    *,
    conversation: Conversation | None = None,
    patient_text: str | None = None,
    services: Services,
    constrained: bool = True,
    profile: PatientProfile | None = None,
) -> Answer:
    """Answer one turn. Never raises for bad input: empty or oversized input gives ``invalid_input``.

    `constrained=False` turns off branch-constrained retrieval (used by the evaluation's ablation).
    `profile` (the clinician's hand-edited facts) replaces the profile read from `patient_text`, so the
    answer and the page's branch card always come from the same facts.
    """
    started = time.perf_counter()
    p = phrases()
    question = question if isinstance(question, str) else ""
    patient_text = patient_text if isinstance(patient_text, str) and patient_text.strip() else None
    for text in (question, patient_text or ""):
        if len(text) > MAX_INPUT_CHARS:
            message = p["invalid_too_long"].format(length=len(text), limit=MAX_INPUT_CHARS)
            return _notice(question[:200], "empty", "invalid_input", message, started)
    if not question.strip() and not patient_text:
        return _notice(question, "empty", "invalid_input", p["invalid_empty"], started)
    typed = question.strip()  # a case typed line by line keeps its lines ("2019-2021: Dara-Vd -> PD")
    question = " ".join(question.split())

    known_patient = patient_text or (conversation.patient_text if conversation else None)
    previous = conversation.last if conversation else None
    asked = question or "What are the treatment options for this patient?"
    turn = classify_turn(asked, has_patient=known_patient is not None, has_history=previous is not None)
    if patient_text and turn.kind != "out_of_scope":
        reason = out_of_scope_reason(patient_text)
        if reason:
            turn = turn.model_copy(update={"kind": "out_of_scope", "reason": reason})
    if turn.kind == "out_of_scope":
        # A clinical question or case outside RRMM ("63M, newly diagnosed, ...") is the rule layer's
        # out-of-scope branch; chit-chat is no branch at all.
        clinical = turn.reason != NOT_CLINICAL
        return _notice(
            question,
            "out_of_scope",
            "out_of_scope",
            p["out_of_scope"].format(reason=turn.reason),
            started,
            branch="out_of_scope" if clinical else None,
        )
    if turn.kind == "empty":
        return _notice(question, "empty", "invalid_input", p["invalid_empty"], started)

    # Out-of-scope and empty turns have returned above; a follow-up leans on the previous turn.
    if known_patient is None and turn.kind != "follow_up" and describes_patient(asked):
        # The case is in the question itself ("72yo, VRd -> auto, progressing on len maintenance, what now?"):
        # it is the patient text, as the chat page treats a case typed into the message box.
        known_patient = typed
        turn = TurnClass(kind="patient", reason="describes a patient and asks what to do")
    resolved, kind, answer_as = asked, turn.kind, turn.kind
    if turn.kind == "follow_up" and previous is not None:
        resolved = resolve_follow_up(asked, previous, services.vocabulary)
        answer_as = "patient" if previous.kind == "patient" and known_patient else "factual"
    if answer_as == "patient" and known_patient:
        body = patient_answer(
            asked, resolved, known_patient, services, constrained=constrained, profile=profile
        )
    elif known_patient:
        body = lookup_for_patient(resolved, known_patient, services, profile=profile)
    else:
        body = factual_answer(resolved, services)
    if script := foreign_script(asked):
        terms = list(dict.fromkeys(re.findall(r"[A-Za-z][A-Za-z0-9\-]+", asked)))
        read = p["not_english_read"].format(terms=", ".join(terms)) if terms else p["not_english_none"]
        notice = AnswerSentence(text=p["not_english"].format(script=script, read=read), role="notice")
        body["sentences"] = (notice, *body["sentences"])
    return _finish(
        {"question": question or asked, "resolved_question": resolved, "turn_kind": kind, **body}, started
    )


# ---- factual -----------------------------------------------------------------------------------
def _evidence(
    query: str, passages: Sequence[Passage], services: Services, allowed: set[str] | None = None
) -> tuple[QuestionTerms, list[ScoredUnit]]:
    expansion = QueryExpander.default().expand(query).text
    bank = services.bank
    terms = question_terms(
        query,
        expansion,
        bank,
        figures=asked_figure_patterns(query),
        rate_object=asked_rate_object(query, bank),
    )
    vector = np.asarray(services.embedder.embed_query(query), dtype=np.float32)
    vector /= max(float(np.linalg.norm(vector)), 1e-12)
    scored = score_units(terms, vector, passages, bank, allowed=allowed)
    # "How common were low platelet counts with melflufen?" is answered by the sentence naming
    # thrombocytopenia, not by melflufen's response rate.
    rate_object = terms.rate_object
    if rate_object.known or rate_object.alternatives:
        scored = demote_units(
            scored,
            lambda s: rate_object.named_by(bank.tokens(s.unit.scoring_text)),
            bank.config.unnamed_object_factor,
        )
    return terms, scored


def _related(passages: Sequence[Passage], book: CitationBook, limit: int = 3) -> list[AnswerSentence]:
    label = phrases()["related_label"]
    out = []
    for passage in passages[:limit]:
        n = book.cite(passage.chunk, None, scope=passage.scope, label=label)
        meta = book.citations[n - 1]
        out.append(
            AnswerSentence(
                text=f"{meta.title} ({meta.year_label}), {meta.section or 'passage'}",
                citations=(n,),
                role="related",
            )
        )
    return out


def factual_answer(
    query: str,
    services: Services,
    passages: Sequence[Passage] | None = None,
    book: CitationBook | None = None,
    label_for: Callable[[str], str | None] | None = None,
) -> dict[str, Any]:
    """The cited sentences that answer `query`, or an abstention with related passages. `label_for` (for a
    patient's question) gives a point naming a regimen the patient cannot have its "not for this patient"
    label. An abbreviation legend answers only a question asking what a term means."""
    p = phrases()
    book = book or CitationBook(services)
    config = services.bank.config
    if passages is None:
        passages = services.retriever.search(query, k=config.passages)
    terms, scored = _evidence(query, passages, services)
    support: Support = support_score(terms, scored, services.bank)
    if support.abstain or not scored:
        unknown = set(support.unknown_terms)
        # Only clinical-looking terms are named: "simply" or "thing" is not why the sources do not answer.
        common = getattr(services.embedder, "common_words", frozenset())
        words = [
            w
            for w in re.findall(r"[A-Za-z][\w\-]+", query)
            if services.bank.tokens(w) & unknown and w.lower() not in common
        ]
        named = ", ".join(f'"{w}"' for w in dict.fromkeys(words))
        detail = " " + p["abstain_unknown_terms"].format(terms=named) if named else ""
        notice = AnswerSentence(text=p["abstain"].format(detail=detail), role="notice")
        related = _related(passages, book)
        return {
            "status": "abstained",
            "abstained": True,
            "sentences": (notice, *related),
            "citations": (),
            "related": tuple(book.citations),
            "support_score": support.score,
        }
    if not asks_definition(query):
        scored = [s for s in scored if not is_legend(s.unit)]
    points = pick_points(
        scored,
        services.bank,
        wants_figure=terms.asks_number,
        entities=terms.trials | terms.regimens,
        documents=terms.documents,
    )
    points = with_outcome_rows(query, terms.trials, points, scored, services.bank)
    # A trial's row already shown above its arms' rows is not repeated as a point of its own.
    contexts = {p_.unit.context for p_ in points if p_.unit.context}
    points = [p_ for p_ in points if p_.unit.kind != "row" or p_.unit.text not in contexts]
    sentences = []
    framed: set[str] = set()
    for i, point in enumerate(points):
        label = label_for(point.unit.text) if label_for else None
        n = book.cite(point.passage.chunk, point.unit.text, scope=point.passage.scope, label=label)
        text = unit_text(point, show_frame=point.unit.chunk_id not in framed)
        if point.unit.kind == "sentence":
            text = annotate_regimens(text, services.vocabulary)
        if label:
            text = f"({label}) {text}"
        framed.add(point.unit.chunk_id)
        sentences.append(AnswerSentence(text=text, citations=(n,), role="lead" if i == 0 else "point"))
    sentences += _cell_glossary(points, book)
    for conflict in find_conflicts(points, scored, services.bank, services.vocabulary, terms.trials):
        parts = []
        for side in conflict.sides:
            n = book.cite(side.passage.chunk, side.unit.text, scope=side.passage.scope)
            meta = book.citations[n - 1]
            if side not in points:
                sentences.append(AnswerSentence(text=unit_text(side), citations=(n,), role="point"))
            parts.append(p["conflict_side"].format(title=meta.title, year=meta.year_label, n=n))
        numbers = tuple(int(m) for m in re.findall(r"\[(\d+)\]", " ".join(parts)))
        sentences.append(
            AnswerSentence(
                text=p["conflict"].format(topic=conflict.topic, sides="; ".join(parts)),
                citations=numbers,
                role="conflict",
            )
        )
    return {
        "status": "answered",
        "sentences": tuple(sentences),
        "citations": tuple(book.citations),
        "support_score": support.score,
    }


def _cell_glossary(points: Sequence[ScoredUnit], book: CitationBook) -> list[AnswerSentence]:
    """One line giving the quoted table rows' cell abbreviations ("NR=not reached.") from the tables' own
    legends, cited to each table whose legend defines them."""
    rows: dict[str, list[ScoredUnit]] = {}
    for point in points:
        if point.unit.kind == "row":
            rows.setdefault(point.unit.chunk_id, []).append(point)
    glossaries: dict[str, list[int]] = {}
    for chunk_rows in rows.values():
        chunk = chunk_rows[0].passage.chunk
        shown = [" / ".join(filter(None, (p.unit.context, p.unit.text))) for p in chunk_rows]
        stretch = cell_abbreviations(chunk.text, shown)
        if stretch:
            n = book.cite(chunk, stretch, scope=chunk_rows[0].passage.scope)
            glossaries.setdefault(stretch, []).append(n)
    return [
        AnswerSentence(
            text=phrases()["cell_abbreviations"].format(definitions=stretch),
            citations=tuple(ns),
            role="point",
        )
        for stretch, ns in glossaries.items()
    ]


# ---- patient -----------------------------------------------------------------------------------
def _cite_sources(sources: Sequence[Any], book: CitationBook, services: Services) -> tuple[int, ...]:
    """Rule source quotes -> citations of the chunks holding them, highlighting the quote (scope "rule")."""
    numbers = []
    for source in sources:
        chunk = locate_quote(services, source.doc, source.line, source.quote)
        if chunk is not None:
            numbers.append(book.cite(chunk, source.quote, scope="rule"))
    return tuple(dict.fromkeys(numbers))


def _is_generic(question: str) -> bool:
    """A bare "what now?" carries no topic of its own: evidence is then sought for the branch."""
    return len(question.split()) <= 12 and not re.search(
        r"\b(?:PFS|OS|ORR|HR|trial|dose|toxicit)", question, re.IGNORECASE
    )


def branch_card(decision: Any, book: CitationBook, services: Services) -> list[AnswerSentence]:
    """The rule layer's decision as cited lines: branch, why, missing facts, options, exclusions,
    modifiers, 2021-vs-2025 updates. Every clinical line cites the source quote its rule rests on."""
    p = phrases()
    cite = lambda sources: _cite_sources(sources, book, services)  # noqa: E731
    branch_cites = cite(decision.branch_sources)
    lines = [
        AnswerSentence(
            text=p["patient_branch"].format(label=decision.branch_label),
            citations=branch_cites,
            role="branch",
        ),
        AnswerSentence(
            text=p["patient_why"].format(explanation=" ".join(decision.explanation.split())),
            citations=branch_cites,
            role="branch",
        ),
    ]
    if decision.missing_facts:
        intros = p["patient_missing_intro"]
        affects = {m.affects for m in decision.missing_facts}
        intro = next((intros[a] for a in intros if a in affects), intros["branch"])
        lines.append(AnswerSentence(text=intro, role="notice"))
        lines += [
            AnswerSentence(text=p["patient_missing"].format(question=m.question), role="missing")
            for m in decision.missing_facts
        ]
    tiers = p["tiers"]
    excluded = {a.regimen for a in decision.avoid}
    for option in decision.options:
        # A quoted wording that names an excluded regimen ("treated with Kd or Vd") would put that
        # regimen on an option line: the line then shows the option alone, still cited.
        named = {m.id for m in services.vocabulary.find_regimens(option.wording or "")}
        quoted = option.wording and not (named & excluded)
        wording = f" — “{option.wording.rstrip('.')}”" if quoted else ""
        flags = f" ({'; '.join(option.flags)})" if option.flags else ""
        lines.append(
            AnswerSentence(
                text=p["patient_option"].format(
                    tier=tiers.get(option.tier, option.tier),
                    name=f"{option.name} ({option.regimen})",
                    wording=wording,
                )
                + flags,
                citations=cite(option.sources),
                role="option",
            )
        )
    for avoid in decision.avoid:
        lines.append(
            AnswerSentence(
                text=p["patient_avoid"].format(
                    name=f"{avoid.name} ({avoid.regimen})", reason=avoid.reason.rstrip(".")
                ),
                citations=cite(avoid.sources),
                role="avoid",
            )
        )
    for modifier in decision.modifiers:
        lines.append(
            AnswerSentence(
                text=p["patient_modifier"].format(text=f"{modifier.label}: {modifier.effect}"),
                citations=cite(modifier.sources),
                role="modifier",
            )
        )
    for update in decision.updates:
        sides = "; ".join(
            f"{services.corpus.meta(pos.doc).short_title} ({pos.year_label}): {pos.position.rstrip('.')}"
            for pos in update.positions
        )
        lines.append(
            AnswerSentence(
                text=p["patient_update"].format(text=f"{update.topic} — {sides}"),
                citations=cite([s for pos in update.positions for s in pos.sources]),
                role="update",
            )
        )
    return lines


def patient_answer(
    question: str,
    resolved: str,
    patient_text: str,
    services: Services,
    constrained: bool = True,
    profile: PatientProfile | None = None,
) -> dict[str, Any]:
    """Branch card from the rule layer, then evidence retrieved within the branch, with any sentence that
    names an excluded regimen labelled "not for this patient"."""
    from assistant.rules import decide, extract_facts

    p = phrases()
    profile = profile or extract_facts(patient_text).profile
    decision = decide(profile, services.rules, services.vocabulary)
    if decision.branch == "out_of_scope":
        # The rule layer's explanation covers every out-of-scope kind; the reply names this patient's.
        reasons = p["patient_out_of_scope"]
        message = p["out_of_scope"].format(reason=reasons.get(profile.scope, reasons["untreated"]))
        return {
            "status": "out_of_scope",
            "branch": decision.branch,
            "sentences": (AnswerSentence(text=message, role="notice"),),
        }
    book = CitationBook(services)
    sentences = branch_card(decision, book, services)
    label = patient_labeller(decision, profile, services)
    if decision.branch == "needs_more_information":
        return {
            "status": "needs_information",
            "branch": decision.branch,
            **pending_evidence(resolved, sentences, book, services, label),
        }
    query = resolved
    if _is_generic(resolved):
        query = f"{decision.branch_label}. {' '.join(decision.explanation.split())}"
    k = services.bank.config.passages
    passages = (
        constrain.constrained_search(query, decision, services, k)
        if constrained
        else constrain.unconstrained_search(query, services, k)
    )
    terms, scored = _evidence(query, passages, services, allowed={p_.chunk.id for p_ in passages})
    scored = [s for s in scored if not is_legend(s.unit)]  # a legend line is no evidence for a patient
    points = pick_points(scored, services.bank, max_points=3)
    if points:
        sentences.append(AnswerSentence(text=p["patient_evidence"], role="notice"))
    for point in points:
        why_not = label(point.unit.text)
        n = book.cite(point.passage.chunk, point.unit.text, scope=point.passage.scope, label=why_not)
        text = unit_text(point)
        if why_not:
            text = f"({why_not}) {text}"
        elif point.passage.scope == "outside_branch":
            text = f"{p['outside_branch_note']} {text}"
        sentences.append(AnswerSentence(text=text, citations=(n,), role="point"))
    return {
        "status": "answered",
        "branch": decision.branch,
        "sentences": tuple(sentences),
        "citations": tuple(book.citations),
        "support_score": support_score(terms, scored, services.bank).score if scored else None,
    }


def patient_labeller(
    decision: Any, profile: PatientProfile, services: Services
) -> Callable[[str], str | None]:
    """Text -> its "not for this patient: <reason>" label when it names a regimen the rule layer excludes
    or one holding a drug the patient is refractory to; None otherwise."""
    p = phrases()
    reasons = constrain.excluded_reasons(
        decision, profile.refractory_drugs(), services.vocabulary, p["refractory_reason"]
    )

    def label(text: str) -> str | None:
        codes = constrain.not_for_patient(text, reasons, services.vocabulary)
        return constrain.label_for(codes, reasons, p["not_for_patient"])

    return label


def lookup_for_patient(
    question: str, patient_text: str, services: Services, profile: PatientProfile | None = None
) -> dict[str, Any]:
    """A lookup asked with a patient in play ("What did POLLUX show?"): the sources' answer, with every point
    naming an option excluded for this patient labelled as such, and a closing line naming the patient's
    branch, so a trial result is never read as an option the rule layer ruled out."""
    from assistant.rules import decide, extract_facts

    profile = profile or extract_facts(patient_text).profile
    decision = decide(profile, services.rules, services.vocabulary)
    if decision.branch == "out_of_scope":
        return factual_answer(question, services)
    book = CitationBook(services)
    label = patient_labeller(decision, profile, services)
    body = factual_answer(question, services, book=book, label_for=label)
    if body["status"] == "answered":
        note = AnswerSentence(
            text=phrases()["patient_lookup_note"].format(label=decision.branch_label),
            citations=_cite_sources(decision.branch_sources, book, services),
            role="notice",
        )
        body = {**body, "sentences": (*body["sentences"], note), "citations": tuple(book.citations)}
    return {**body, "branch": decision.branch}


def pending_evidence(
    question: str,
    card: list[AnswerSentence],
    book: CitationBook,
    services: Services,
    label_for: Callable[[str], str | None],
) -> dict[str, Any]:
    """A case still missing branch-deciding facts gets its card (which asks for them) and, when the turn asks
    something of its own ("what did CANDOR show?"), the cited answer to it, marked as not yet matched to a
    branch. A bare "what now?" gets the card alone: without a branch there is nothing to look up for it."""
    body: dict[str, Any] = {"sentences": tuple(card), "citations": tuple(book.citations)}
    # A case typed with its question ("68M, relapsed ... What did CANDOR show?"): the history is no topic.
    asked = [s.strip() for s in re.findall(r"[^.?!\n]+\?", question)]
    own_question = asked[-1] if asked else question
    if not _names_topic(own_question, services) and _is_generic(own_question):
        return body
    found = factual_answer(own_question, services, book=book, label_for=label_for)
    if found["status"] != "answered":
        return body
    points = [s.model_copy(update={"role": "point"}) if s.role == "lead" else s for s in found["sentences"]]
    notice = AnswerSentence(text=phrases()["patient_pending_evidence"], role="notice")
    return {
        "sentences": (*card, notice, *points),
        "citations": tuple(book.citations),
        "support_score": found["support_score"],
    }


def _names_topic(question: str, services: Services) -> bool:
    """A short question naming a trial or a regimen ("what did CANDOR show?") has a topic of its own."""
    vocabulary = services.vocabulary
    return bool(vocabulary.find_trials(question) or vocabulary.find_regimens(question))
