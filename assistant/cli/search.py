"""``python -m assistant search "query" [--k 5] [--doc ID] [--kind table] [--section S] [--json]``.

Ad-hoc literature lookup: ranked passages with document title, year, section, line range and the
passage as printed in the source. ``--batch FILE`` runs one query per line (JSON lines out) with the
model loaded once. The index is not built implicitly: a missing index is reported with the command
that builds it (``python -m ingest``), so a lookup never starts a minute-long job by surprise.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, get_args

from assistant.cli import UserError
from assistant.cli.text_input import check_text, read_batch, run_batch
from assistant.settings import get_settings
from ingest.models import ChunkKind


def register(subparsers: argparse._SubParsersAction, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    add = parser.add_argument
    add("query", nargs="?", help='what to look up, e.g. "IKEMA PFS lenalidomide-refractory"')
    add("--k", type=int, default=5, help="number of passages (default 5)")
    add("--doc", action="append", default=[], metavar="ID", help="only this document (repeatable)")
    add("--kind", action="append", default=[], help="only this chunk kind: text, table, caption (repeatable)")
    add("--section", help="only sections whose title contains this text")
    add("--json", action="store_true", help="print a JSON list of passages")
    add("--batch", type=Path, metavar="FILE", help="one query per line -> one JSON line per query")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if (args.query is None) == (args.batch is None):
        raise UserError("give either a query or --batch FILE (not both)")
    if args.k < 1:
        raise UserError(f"--k must be at least 1, got {args.k}")
    if args.batch:
        rows = read_batch(args.batch, "query")  # a bad file is reported before the model loads
    else:
        check_text(args.query, "query")

    settings = get_settings()
    corpus = _open_corpus(settings)
    filters = _filters(args, corpus.docs)
    retriever = _open_retriever(settings, corpus)

    from assistant.retrieval.hybrid import InvalidFilter

    def records_for(query: str) -> list[dict[str, Any]]:
        try:
            passages = retriever.search(query.strip(), k=args.k, filters=filters)
        except InvalidFilter as exc:
            raise UserError(str(exc)) from None
        return [passage_record(p, retriever) for p in passages]

    if args.batch:
        return run_batch(args.batch, rows, lambda q: {"query": q.strip(), "results": records_for(q)})
    records = records_for(args.query)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        print(format_passages(args.query, records))
    return 0


def passage_record(passage, retriever) -> dict[str, Any]:
    """The JSON shape of one hit: citation fields plus the passage as printed."""
    chunk = passage.chunk
    return {
        "rank": passage.rank,
        **retriever.citation_fields(passage),
        "dense_rank": passage.dense_rank,
        "lexical_rank": passage.lexical_rank,
        "text": retriever.corpus.printed(chunk.doc_id, chunk.line_start, chunk.line_end),
    }


def format_passages(query: str, records: list[dict[str, Any]]) -> str:
    if not records:
        return f"No passage matches {query!r}."
    blocks = []
    for r in records:
        lines = f"lines {r['line_start']}-{r['line_end']}"
        section = f" | {r['section']}" if r["section"] else ""
        kind = f" | {r['kind']}" if r["kind"] != "text" else ""
        header = f"{r['rank']}. {r['title']} ({r['year_label']}) [{r['doc']}]{section} | {lines}{kind}"
        body = "\n".join(f"   {line}" for line in r["text"].splitlines())
        blocks.append(f"{header}\n{body}")
    return "\n\n".join(blocks)


def _open_corpus(settings):
    from ingest.corpus import Corpus, CorpusError

    try:
        return Corpus(settings.corpus_dir)
    except CorpusError as exc:
        raise UserError(str(exc)) from None


def _filters(args: argparse.Namespace, docs: dict):
    """Validate --doc/--kind before the model loads, so a typo costs no waiting."""
    from assistant.retrieval.models import SearchFilters

    unknown_docs = [d for d in args.doc if d not in docs]
    if unknown_docs:
        raise UserError(f"unknown --doc {', '.join(unknown_docs)}; valid: {', '.join(docs)}")
    kinds = get_args(ChunkKind)
    unknown_kinds = [k for k in args.kind if k not in kinds]
    if unknown_kinds:
        raise UserError(f"unknown --kind {', '.join(unknown_kinds)}; valid: {', '.join(kinds)}")
    if args.section is not None and not args.section.strip():
        raise UserError("--section is empty")
    return SearchFilters(doc_ids=tuple(args.doc), kinds=tuple(args.kind), section=args.section)


def _open_retriever(settings, corpus):
    from assistant.retrieval.hybrid import HybridRetriever, IndexNotReady

    try:
        return HybridRetriever.from_settings(settings, corpus=corpus)
    except IndexNotReady as exc:
        raise UserError(str(exc)) from None

