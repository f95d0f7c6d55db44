"""``python -m ingest [--index-dir DIR] [--force] [--quiet]``: build or refresh the search index."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, help="Chroma directory (default: settings.index_dir)")
    parser.add_argument("--force", action="store_true", help="rebuild from scratch even if up to date")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no report")
    args = parser.parse_args(argv)

    from ingest.corpus import CorpusError
    from ingest.index import IndexIncompatible
    from ingest.pipeline import build_index

    overrides = {"index_dir": args.index_dir} if args.index_dir else {}
    try:
        report = build_index(get_settings(**overrides), force=args.force, progress=not args.quiet)
    except (CorpusError, IndexIncompatible) as exc:
        print(f"ingest: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
