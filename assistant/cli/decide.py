"""``python -m assistant decide "free text" [--json]`` / ``--batch FILE``: patient text -> decision.

Human output lists the extracted facts with their spans, the branch, options, exclusions, modifiers,
missing facts and the sources with their year. ``--json`` prints one object; ``--batch`` reads one case
per line and prints one JSON line per case, loading the rule data once. Numbers no patient can have
("CrCl -5", "age 300") are not used: the output asks the clinician to check them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.cli import UserError
from assistant.cli.text_input import check_text, read_batch, run_batch
from assistant.rules import Decision, Extraction, decide, extract_facts, load_rules
from assistant.vocabulary import load_vocabulary


def decision_json(extraction: Extraction, decision: Decision) -> dict[str, Any]:
    """The JSON contract: decision fields plus the extracted facts (with spans)."""
    out = decision.model_dump(mode="json")
    out["facts"] = [f.model_dump(mode="json") for f in extraction.facts]
    out["profile"] = extraction.profile.model_dump(mode="json")
    out["implausible_values"] = [f.model_dump(mode="json") for f in extraction.implausible]
    return out


def run_case(text: str) -> tuple[Extraction, Decision]:
    check_text(text, "patient description")
    vocab = load_vocabulary()
    extraction = extract_facts(text, vocab=vocab)
    return extraction, decide(extraction.profile, load_rules(), vocab)


def _cite(sources) -> str:
    return "; ".join(f"{s.doc} ({s.year_label}) line {s.line}" for s in sources)


def render(extraction: Extraction, decision: Decision) -> str:
    lines = []
    if extraction.implausible:
        lines.append("Please check these values (not used for the decision):")
        lines += [f"  - {f.message}" for f in extraction.implausible]
        lines.append("")
    lines.append("Extracted facts:")
    for f in extraction.facts:
        lines.append(f'  {f.field} = {f.value}   [{f.start}:{f.end}] "{f.surface}" ({f.rule})')
    lines += ["", f"Branch: {decision.branch} - {decision.branch_label}", f"  {decision.explanation}"]
    if decision.sub_case:
        lines.append(f"  sub-case: {decision.sub_case}")
    if decision.candidate_branches:
        lines.append("  candidate branches: " + ", ".join(c.id for c in decision.candidate_branches))
    if decision.overlays:
        lines.append("Overlays: " + ", ".join(decision.overlays))
    if decision.missing_facts:
        lines.append("Missing facts (please tell me):")
        lines += [f"  - {m.question} [{m.fact}; changes the {m.affects}]" for m in decision.missing_facts]
    if decision.options:
        lines.append("Options:")
        for o in decision.options:
            flags = f" | flags: {'; '.join(o.flags)}" if o.flags else ""
            lines.append(f'  - {o.regimen} ({o.name}) - tier {o.tier}; "{o.wording}"{flags}')
            lines.append(f"      sources: {_cite(o.sources)}")
    if decision.avoid:
        lines.append("Avoid:")
        lines += [f"  - {a.regimen}: {a.reason} [{_cite(a.sources)}]" for a in decision.avoid]
    if decision.modifiers:
        lines.append("Modifiers:")
        lines += [f"  - {m.label}: {m.effect} [{_cite(m.sources)}]" for m in decision.modifiers]
    if decision.updates:
        lines.append("Updates and conflicts between sources:")
        for u in decision.updates:
            lines.append(f"  - {u.topic} ({u.kind})")
            lines += [f"      {p.doc} ({p.year_label}): {p.position}" for p in u.positions]
    lines.append(f"Branch sources: {_cite(decision.branch_sources)}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    if args.batch is not None:
        if args.text:
            raise UserError("give either a text or --batch FILE, not both")
        path = Path(args.batch)
        rows = read_batch(path, "patient description")
        return run_batch(path, rows, lambda line: decision_json(*run_case(line)))
    if not args.text:
        raise UserError('describe the patient, e.g. decide "67M, VRd -> ASCT -> R maint, PD on R"')
    extraction, decision = run_case(" ".join(args.text))
    if args.json:
        print(json.dumps(decision_json(extraction, decision), ensure_ascii=False, indent=2))
    else:
        print(render(extraction, decision))
    return 0


def register(subparsers: argparse._SubParsersAction, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("text", nargs="*", help="free-text patient description")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")
    parser.add_argument("--batch", metavar="FILE", help="one case per line; prints one JSON line per case")
    parser.set_defaults(func=_run)
