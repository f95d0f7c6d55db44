"""``python -m assistant ask "question" [--patient TEXT] [--json] [--batch FILE]``: a cited answer.

Human output: the answer (inline [n] markers), then the numbered sources with their year label,
section and line range. ``--json`` prints one object (``answer``, ``sentences``, ``citations``,
``abstained``, ``branch``, ...); ``--batch`` reads one question per line and prints one JSON line per
question, loading the model and index once.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.cli import UserError
from assistant.cli.text_input import check_text, read_batch, run_batch


def answer_json(answer: Any) -> dict[str, Any]:
    """The CLI / batch JSON shape of an Answer (a superset of the documented keys)."""

    def citation(c: Any) -> dict[str, Any]:
        return {
            "n": c.n,
            "doc": c.doc,
            "title": c.title,
            "year": c.year_label,
            "year_number": c.year,
            "section": c.section,
            "line_start": c.line_start,
            "line_end": c.line_end,
            "text": c.text,
            "span": list(c.span) if c.span else None,
            "scope": c.scope,
            "label": c.label,
            "chunk_id": c.chunk_id,
        }

    return {
        "question": answer.question,
        "resolved_question": answer.resolved_question,
        "turn_kind": answer.turn_kind,
        "status": answer.status,
        "answer": answer.text,
        "sentences": [
            {"text": s.text, "citations": list(s.citations), "role": s.role} for s in answer.sentences
        ],
        "citations": [citation(c) for c in answer.citations],
        "related": [citation(c) for c in answer.related],
        "abstained": answer.abstained,
        "branch": answer.branch,
        "support_score": answer.support_score,
        "latency_ms": answer.latency_ms,
    }


def render_human(answer: Any) -> str:
    lines = [answer.text]
    if answer.resolved_question != answer.question:
        lines.insert(0, f"(read as: {answer.resolved_question})\n")
    sources = list(answer.citations) + [c for c in answer.related if c not in answer.citations]
    if sources:
        lines.append("\nSources:")
        for c in sources:
            label = f" — {c.label}" if c.label else ""
            section = f", {c.section}" if c.section else ""
            lines.append(
                f"[{c.n}] {c.title} ({c.year_label}){section}, lines {c.line_start}-{c.line_end}{label}"
            )
    return "\n".join(lines)


def implausible_values(patient: str | None) -> list[str]:
    """Numbers in the patient text that no patient can have: the answer was made without them."""
    if not patient:
        return []
    from assistant.rules import extract_facts

    return [f.message for f in extract_facts(patient).implausible]


def register(subparsers: argparse._SubParsersAction, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("question", nargs="?", help="the question (quote it)")
    parser.add_argument("--patient", help="free-text patient description (history, refractoriness, ...)")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.add_argument("--batch", type=Path, help="file with one question per line -> one JSON line each")
    parser.set_defaults(func=run)


def _load_services() -> Any:
    from assistant.answer.services import Services
    from assistant.retrieval.hybrid import IndexNotReady

    try:
        return Services.load()
    except IndexNotReady as exc:
        raise UserError(str(exc)) from exc


def _answerer(services: Any) -> Any:
    """The answer pipeline as the Runnable builds it: extractive, or with RRMM_ANSWER_BACKEND=langchain
    the verified rewrite, guarded by the patient's exclusions from the rule layer (one code path)."""
    from assistant.answer.runnable import answer_runnable

    try:
        runnable = answer_runnable(services)
    except (ValueError, ImportError) as exc:
        raise UserError(f"cannot start the langchain answer backend: {exc}") from exc
    return lambda question, patient: runnable.invoke({"question": question, "patient_text": patient})


def run(args: argparse.Namespace) -> int:
    patient = check_text(args.patient, "patient text") if args.patient is not None else None
    checks = implausible_values(patient)
    if args.batch is not None:
        if args.question:
            raise UserError("give either a question or --batch FILE, not both")
        rows = read_batch(args.batch, "question")  # a bad file is reported before the model loads
        answer_for = _answerer(_load_services())
        return run_batch(
            args.batch,
            rows,
            lambda q: {**answer_json(answer_for(q.strip(), patient)), "implausible_values": checks},
        )
    question = args.question or ""
    if not question.strip() and patient is None:
        raise UserError('the question is empty: python -m assistant ask "your question" [--patient TEXT]')
    if question.strip():
        check_text(question, "question")
    answer = _answerer(_load_services())(question, patient)
    if answer.status == "invalid_input":
        raise UserError(answer.text)
    if args.json:
        print(json.dumps({**answer_json(answer), "implausible_values": checks}, ensure_ascii=False, indent=2))
    else:
        notes = [f"Please check (not used): {message}" for message in checks]
        print("\n".join([*notes, render_human(answer)]))
    return 0
