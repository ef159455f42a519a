"""One cap on the size of every request the Rasa server reads, whatever the route.

Sanic reads a whole body before any handler runs and accepts 100 MB by default: one client
could make the server buffer that much per request. The channels install this cap on the
application (REQUEST_MAX_SIZE, read by every new connection) and answer a larger body with
413 and a French JSON error, on every route, Rasa's own HTTP API included. Routes that take
small bodies (the REST channel, the app API) check a smaller limit themselves.
"""
from __future__ import annotations

from typing import Any

from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge

from bot import content

MAX_REQUEST_BYTES = 1024 * 1024  # a Meta webhook batch (bot/channels/meta.py) is below


async def _too_large(_request: Any, _error: Exception) -> Any:
    return response.json({"error": content.WEBHOOK_TOO_LARGE}, status=413)


def install(blueprint: Blueprint) -> None:
    """Cap the application's request bodies when it starts (idempotent: several channels call it)."""

    @blueprint.listener("before_server_start")
    async def cap_bodies(app: Any, _loop: Any) -> None:
        app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, MAX_REQUEST_BYTES)
        app.error_handler.add(PayloadTooLarge, _too_large)
