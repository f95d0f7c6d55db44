"""``python -m evals {retrieval,qa,vignettes,all} ...``."""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "retrieval": ("evals.retrieval", "recall@k / MRR of the pipeline vs dense, BM25 and naive LangChain"),
    "qa": ("evals.qa", "key-fact recall, citation precision, abstention of grounded answers"),
    "vignettes": ("evals.vignettes", "branch / overlay / fact accuracy of the rule layer"),
    "all": ("evals.suite", "every evaluation and benchmark in one run, with a report"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m evals")
    sub = parser.add_subparsers(dest="command")
    chosen = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    for name, (module, help_text) in SUBCOMMANDS.items():
        if chosen in (None, name):
            importlib.import_module(module).register(sub, name, help_text)
        else:
            sub.add_parser(name, help=help_text)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
