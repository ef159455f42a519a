"""The action server: rasa_sdk's own, behind a shared secret.

`python -m bot.servers.action_server --port 5055 --actions actions` (same arguments as
`python -m rasa_sdk`). On top of rasa_sdk:
- every route needs the header X-Action-Token with ACTION_SERVER_TOKEN (from the
  environment or .env, scripts/make_env.sh); Rasa sends it (endpoints.yml,
  action_endpoint.headers). Without it: 401 and a JSON error, nothing executed. The
  actions call the agenda with its token, so an open action server would lend that
  token to anybody on the host;
- a malformed action call gets 400 without any echo; rasa_sdk answered 500 with the
  body and the exception text. Any other error is a bare 500: the trace goes to the log;
- bodies are capped (Rasa sends the domain and the tracker: a few hundred kB at most).
"""
from __future__ import annotations

import hmac
import json
import logging
import os
import sys
import zlib
from typing import Any

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser, create_ssl_context
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import content
from bot.paths import ROOT

logger = logging.getLogger(__name__)
TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"
HEADER = "X-Action-Token"
MAX_BODY_BYTES = 8 * 1024 * 1024


def _json(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def read_action_call(request: Request) -> dict[str, Any] | None:
    """The action call in the body when it has the shape Rasa sends, else None."""
    raw = request.body or b""
    try:
        if request.headers.get("Content-Encoding") == "deflate":
            inflater = zlib.decompressobj()
            raw = inflater.decompress(raw, MAX_BODY_BYTES)
            if inflater.unconsumed_tail:  # a "zip bomb": more than the cap once inflated
                return None
        call = json.loads(raw)
    except (ValueError, RecursionError, zlib.error):  # JSON and Unicode errors are ValueErrors; too deep nesting
        return None
    if not isinstance(call, dict):
        return None
    tracker = call.get("tracker")
    if not (isinstance(call.get("next_action"), str) and call["next_action"]
            and isinstance(call.get("version", ""), (str, type(None)))
            and isinstance(call.get("domain", {}), dict) and isinstance(tracker, dict)
            and isinstance(tracker.get("sender_id"), str)
            and isinstance(tracker.get("slots", {}), dict)
            and isinstance(tracker.get("latest_message", {}), (dict, type(None)))
            and isinstance(tracker.get("events", []), list)
            and all(isinstance(event, dict) for event in tracker.get("events", []))
            and isinstance(tracker.get("active_loop", {}), (dict, type(None)))
            and isinstance(tracker.get("followup_action"), (str, type(None)))
            and isinstance(tracker.get("latest_action_name"), (str, type(None)))):
        return None
    return call


def protect(app: Sanic, token: str) -> Sanic:
    """Add the shared secret, the body checks and the quiet error handler to rasa_sdk's app."""
    expected = token.encode()
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES

    @app.middleware("request")
    async def guard(request: Request) -> HTTPResponse | None:
        given = (request.headers.get(HEADER) or "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            return _json(401, content.ACTION_SERVER_REFUSED)
        if request.path == "/webhook" and request.method == "POST" and read_action_call(request) is None:
            return _json(400, content.ACTION_SERVER_BAD_REQUEST)
        return None

    async def internal_error(request: Request, error: Exception) -> HTTPResponse:
        if isinstance(error, PayloadTooLarge):
            return _json(413, content.WEBHOOK_TOO_LARGE)
        status = getattr(error, "status_code", 500)
        if isinstance(status, int) and 400 <= status < 500:  # Sanic's own (404, 405…)
            return _json(status, content.ACTION_SERVER_BAD_REQUEST)
        logger.error("action server error on %s: %s", request.path, type(error).__name__, exc_info=error)
        return _json(500, content.ACTION_SERVER_FAILED)

    app.error_handler.add(Exception, internal_error)  # replaces rasa_sdk's, which echoes the body
    return app


def load_token() -> str:
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        dotenv = ROOT / ".env"
        if dotenv.exists():
            for line in dotenv.read_text(encoding="utf-8").splitlines():
                key, sep, value = line.strip().partition("=")
                if sep and key.strip() == TOKEN_VARIABLE:
                    token = value.strip()
    if len(token) < 16:
        raise SystemExit(f"{TOKEN_VARIABLE} is missing or shorter than 16 characters "
                         "(scripts/make_env.sh writes one into .env): the action server does not start open.")
    return token


def main() -> None:
    args = create_argument_parser().parse_args()
    token = load_token()
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()
    app = protect(create_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload), token)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = os.environ.get("SANIC_HOST", "0.0.0.0")
    logger.info("Action server on %s:%s (shared secret required)", host, args.port)
    app.run(host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    sys.exit(main())
