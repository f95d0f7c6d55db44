"""``python -m ingest [--index-dir DIR] [--force] [--wait S] [--quiet]``: build or refresh the index."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from assistant.settings import SettingsError, get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, help="Chroma directory (default: settings.index_dir)")
    parser.add_argument("--force", action="store_true", help="rebuild from scratch even if up to date")
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to SECONDS for another ingest of this index to finish (default: refuse at once)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no report")
    args = parser.parse_args(argv)
    if args.wait < 0:
        parser.error("--wait must be 0 or more seconds")
    # Recovery and damage notes ("rebuilding it from scratch") are warnings: show them, one line each.
    logging.basicConfig(level=logging.WARNING, format="ingest: %(message)s")

    from ingest.corpus import CorpusError
    from ingest.errors import IndexIncompatible, IndexWriteError, IngestBusy
    from ingest.pipeline import build_index

    overrides = {"index_dir": args.index_dir} if args.index_dir else {}
    try:
        report = build_index(
            get_settings(**overrides), force=args.force, progress=not args.quiet, wait_s=args.wait
        )
    except (CorpusError, IndexIncompatible, IngestBusy, IndexWriteError, SettingsError) as exc:
        print(f"ingest: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ingest: interrupted; the existing index is unchanged", file=sys.stderr)
        return 130
    if not args.quiet:
        print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
