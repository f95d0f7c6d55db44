"""``python -m assistant {search,decide,ask} ...``: the command line for lookups, decisions and answers."""

import os
import sys

from assistant.cli import main


def _run() -> int:
    # Output that the terminal's encoding cannot show is escaped instead of ending in a traceback.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        return main()
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as Unix tools do (Python docs, "SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(_run())
