"""``python -m assistant {search,decide,ask} ...``: the command line for lookups, decisions and answers."""

from assistant.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
