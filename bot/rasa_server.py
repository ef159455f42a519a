"""`rasa` with the HTTP API token taken from the environment, never from the command line.

`python -m bot.rasa_server run --enable-api …` is `rasa run --enable-api … --auth-token=…`
with the token read from RASA_AUTH_TOKEN: a command line is readable by every user of the
host (`ps`, /proc/*/cmdline), a process's environment only by its owner.
"""
from __future__ import annotations

import os
import sys


def rasa_argv(args: list[str], token: str) -> list[str]:
    """Rasa's argv: `rasa run …` gets the token; "--auth-token=…" in one argument, as a
    token_urlsafe token can start with "-" (then "--auth-token -abc" would stop `rasa run`)."""
    if args[:1] != ["run"]:
        return ["rasa", *args]
    if not token:
        raise SystemExit("RASA_AUTH_TOKEN is missing (scripts/make_env.sh writes one into .env).")
    return ["rasa", *args, f"--auth-token={token}"]


def main() -> None:
    # Rasa's parser reads sys.argv; /proc/<pid>/cmdline keeps the command as started.
    sys.argv = rasa_argv(sys.argv[1:], os.environ.get("RASA_AUTH_TOKEN", ""))
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
