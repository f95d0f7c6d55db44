"""``python -m evals vignettes --file PATH [--json]``: how well the rule layer places clinical vignettes.

Metrics over any file in the vignette format (one JSON object per line with `id`, `text`, `facts`,
`expected.{branch, overlays, preferred, avoid}`):
- branch accuracy and overlay accuracy (exact set match);
- fact-extraction accuracy per field and overall, against `facts`, ignoring nulls;
- avoid violations: an expected-avoid regimen among the offered options (codes compared through the
  vocabulary, so "IsaKd" == "Isa-Kd"; free-text labels such as "thalidomide-based regimens" that name
  no regimen are skipped);
- preferred-regimen recall: share of expected preferred regimens found among the offered options.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.rules import PatientProfile, decide, extract_facts, load_rules
from assistant.vocabulary import Vocabulary, load_vocabulary
from evals.jsonl import read_jsonl

FACT_KEYS = (
    "prior_lines",
    "lenalidomide",
    "pi",
    "anti_cd38",
    "pomalidomide",
    "prior_asct",
    "months_since_asct",
    "transplant_eligible",
    "crcl_ml_min",
    "neuropathy_grade",
    "cardiac_disease",
    "t11_14",
    "high_risk_cytogenetics",
    "extramedullary",
    "frail",
    "access",
    "relapse_type",
)
STATUS_NAMES = {"exposed_not_refractory": "exposed", "unknown": None}


def profile_facts(profile: PatientProfile) -> dict[str, Any]:
    """The profile in the vignette `facts` vocabulary (statuses: naive / exposed / refractory)."""

    def status(value: str) -> str | None:
        return STATUS_NAMES.get(value, value)

    return {
        "prior_lines": profile.prior_lines,
        "lenalidomide": status(profile.lenalidomide),
        "pi": status(profile.pi_status()),
        "anti_cd38": status(profile.anti_cd38),
        "pomalidomide": status(profile.pomalidomide),
        "prior_asct": profile.prior_asct,
        "months_since_asct": profile.months_since_asct,
        "transplant_eligible": profile.transplant_eligible,
        "crcl_ml_min": profile.crcl_ml_min,
        "neuropathy_grade": profile.neuropathy_grade,
        "cardiac_disease": profile.cardiac_disease,
        "t11_14": profile.t11_14,
        "high_risk_cytogenetics": profile.high_risk_cytogenetics,
        "extramedullary": profile.extramedullary,
        "frail": profile.frail,
        "access": profile.access,
        "relapse_type": profile.relapse_type,
    }


def normalize_label(label: str, vocab: Vocabulary) -> str | None:
    """Regimen code for an expected-list label ("Ven-Vd (off-label)" -> "Ven-Vd"), or None."""
    candidates = [label, re.sub(r"\s*\(.*?\)", "", label), re.split(r"[:(]", label)[0]]
    candidates += [part for part in re.split(r"\s+/\s+", candidates[1])]
    for candidate in candidates:
        code = vocab.normalize_regimen(candidate.strip())
        if code:
            return code
    lowered = candidates[1].strip().lower()
    variants = sorted(
        (
            (v, code)
            for code, r in vocab.regimens.items()
            for v in (code, *r.variants, *r.ambiguous_variants)
            if len(v) >= 3
        ),
        key=lambda x: len(x[0]),
        reverse=True,
    )
    for variant, code in variants:
        if lowered.startswith(variant.lower() + " ") or lowered == variant.lower():
            return code
    return None


def _read(path: Path) -> list[dict[str, Any]]:
    items = []
    for number, item in read_jsonl(path, "vignette"):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("text"), str)
            or not isinstance(item.get("expected"), dict)
            or "branch" not in item["expected"]
        ):
            raise ValueError(f"{path}:{number}: expected an object with `text` and `expected.branch`")
        items.append(item)
    return items


def evaluate_vignettes(path: str | Path) -> dict[str, Any]:
    """Run extraction + engine on every vignette in `path` and score it."""
    path = Path(path)
    items = _read(path)
    rules, vocab = load_rules(), load_vocabulary()
    branch_hits = overlay_hits = violations = preferred_total = preferred_found = 0
    fact_hits: dict[str, int] = defaultdict(int)
    fact_totals: dict[str, int] = defaultdict(int)
    misses = []
    for item in items:
        extraction = extract_facts(item["text"], vocab=vocab)
        decision = decide(extraction.profile, rules, vocab)
        expected = item["expected"]
        offered = {o.regimen for o in decision.options}
        miss: dict[str, Any] = {}
        if decision.branch == expected["branch"]:
            branch_hits += 1
        else:
            miss["branch"] = {"expected": expected["branch"], "actual": decision.branch}
        if set(decision.overlays) == set(expected.get("overlays") or []):
            overlay_hits += 1
        else:
            miss["overlays"] = {"expected": expected.get("overlays") or [], "actual": list(decision.overlays)}
        got = profile_facts(extraction.profile)
        wrong = {}
        for key, want in (item.get("facts") or {}).items():
            if want is None or key not in got:
                continue
            fact_totals[key] += 1
            actual = got[key]
            if actual == want or (
                isinstance(want, (int, float))
                and isinstance(actual, (int, float))
                and not isinstance(want, bool)
                and float(actual) == float(want)
            ):
                fact_hits[key] += 1
            else:
                wrong[key] = {"expected": want, "actual": actual}
        if wrong:
            miss["facts"] = wrong
        bad = sorted(
            {c for c in (normalize_label(x, vocab) for x in expected.get("avoid") or []) if c in offered}
        )
        if bad:
            violations += len(bad)
            miss["avoid_violations"] = bad
        wanted = [normalize_label(x, vocab) or x for x in expected.get("preferred") or []]
        preferred_total += len(wanted)
        missing = [w for w in wanted if w not in offered]
        preferred_found += len(wanted) - len(missing)
        if missing:
            miss["preferred_missing"] = missing
        if miss:
            misses.append({"id": item.get("id"), **miss})
    n = len(items)
    total_facts = sum(fact_totals.values())
    return {
        "n_items": n,
        "branch_accuracy": branch_hits / n,
        "overlay_accuracy": overlay_hits / n,
        "fact_accuracy": sum(fact_hits.values()) / total_facts if total_facts else 1.0,
        "fact_accuracy_by_field": {k: fact_hits[k] / fact_totals[k] for k in sorted(fact_totals)},
        "avoid_violations": violations,
        "preferred_recall": preferred_found / preferred_total if preferred_total else 1.0,
        "misses": misses,
    }


def _print_table(result: dict[str, Any]) -> None:
    print(f"vignettes: {result['n_items']}")
    for key in ("branch_accuracy", "overlay_accuracy", "fact_accuracy", "preferred_recall"):
        print(f"  {key:<22} {result[key]:.3f}")
    print(f"  {'avoid_violations':<22} {result['avoid_violations']}")
    print("  fact accuracy by field:")
    for key, value in result["fact_accuracy_by_field"].items():
        print(f"    {key:<24} {value:.3f}")
    if result["misses"]:
        print("  misses:")
        for miss in result["misses"]:
            print(f"    {json.dumps(miss, ensure_ascii=False)}")


def _run(args: argparse.Namespace) -> int:
    result = evaluate_vignettes(args.file)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_table(result)
    return 0


def register(subparsers: argparse._SubParsersAction, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("--file", required=True, type=Path, help="vignette JSONL file")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=_run)
