"""`rasa` with the HTTP API token taken from the environment, never from the command line.

`python -m bot.servers.rasa_server run --enable-api …` is `rasa run --enable-api … --auth-token=…`
with the token read from RASA_AUTH_TOKEN: a command line is readable by every user of the
host (`ps`, /proc/*/cmdline), a process's environment only by its owner.

It also makes Rasa's own HTTP API answer 400, not 500, to a body that is not valid JSON or
that holds a lone surrogate or a NUL: `/model/parse` turned any error, its own 400 included,
into a 500 (found by a probe with the token).
"""
from __future__ import annotations

import json
import os
import re
import sys
from http import HTTPStatus
from typing import Any

_UNREADABLE = re.compile("[\ud800-\udfff\x00]")


def _unreadable(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_UNREADABLE.search(value))
    if isinstance(value, dict):
        return any(_unreadable(key) or _unreadable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unreadable(item) for item in value)
    return False


def harden_http_api() -> None:
    """Every route of Rasa's API that checks for a body (rasa.server.validate_request_body)
    also refuses, with a 400, a JSON body it could not read (YAML bodies are left to Rasa)."""
    import rasa.server as server

    from bot import content

    original = server.validate_request_body

    def validate_request_body(request: Any, error_message: str) -> None:
        original(request, error_message)
        if "yaml" in (request.content_type or ""):
            return
        try:
            body = json.loads(request.body)
        except (ValueError, RecursionError):
            raise server.ErrorResponse(HTTPStatus.BAD_REQUEST, "BadRequest", content.WEBHOOK_BAD_JSON) from None
        if _unreadable(body):
            raise server.ErrorResponse(HTTPStatus.BAD_REQUEST, "BadRequest", content.API_UNREADABLE_TEXT)

    server.validate_request_body = validate_request_body


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
    harden_http_api()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
