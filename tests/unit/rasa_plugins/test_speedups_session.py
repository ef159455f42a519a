"""One lasting HTTP session per endpoint (bot/rasa_plugins/speedups.py): the action server
receives what Rasa's own EndpointConfig.request sends, answers the same way, and the
connection is reused."""
from __future__ import annotations

import asyncio

from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.rasa_plugins import speedups

BODY = {"next_action": "action_x", "tracker": {"sender_id": "s", "events": [{"event": "user", "text": "é"}]}}


async def _server(seen: list) -> tuple[web.AppRunner, int]:
    async def record(request: web.Request) -> web.Response:
        seen.append({"method": request.method, "path": request.path, "query": dict(request.query),
                     "headers": {k: v for k, v in request.headers.items() if k not in ("Host",)},
                     "body": await request.read(), "peer": request.transport.get_extra_info("peername")[1]})
        kind = request.match_info["kind"]
        if kind == "slow":
            await asyncio.sleep(1)
        if kind == "error":
            return web.Response(status=500, text="broken")
        if kind == "text":
            return web.Response(text="not json")
        response = web.json_response({"events": [], "responses": [{"text": "Bien noté."}]})
        response.set_cookie("session", "abc")
        return response

    app = web.Application()
    app.router.add_route("*", "/webhook/{kind}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


def _endpoint(port: int) -> EndpointConfig:
    return EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Action-Token": "secret"},
                          params={"a": "1"}, token="tok", basic_auth={"username": "u", "password": "p"})


async def _calls(request, port: int) -> list:
    endpoint = _endpoint(port)
    results = []
    for kind, kwargs in (("ok", {}), ("ok", {"params": {"b": "2"}}), ("text", {"method": "get"}),
                         ("error", {}), ("slow", {"timeout": 0.2}), ("ok", {"compress": True})):
        try:
            results.append(await request(endpoint, subpath=kind, json=BODY, **kwargs))
        except ClientResponseError as error:
            results.append(("ClientResponseError", error.status, error.message, error.text))
        except asyncio.TimeoutError:
            results.append("timeout")
    return results


def test_the_same_requests_and_answers_as_rasa_s_own_with_the_connection_reused():
    async def run() -> tuple:
        rasa_seen: list = []
        ours_seen: list = []
        runner, port = await _server(rasa_seen)
        rasa_results = await _calls(speedups._rasa_endpoint_request, port)
        await runner.cleanup()
        runner, port = await _server(ours_seen)
        ours_results = await _calls(speedups.endpoint_request, port)
        await runner.cleanup()
        return rasa_results, rasa_seen, ours_results, ours_seen

    rasa_results, rasa_seen, ours_results, ours_seen = asyncio.run(run())
    assert ours_results == rasa_results
    assert rasa_results[0] == {"events": [], "responses": [{"text": "Bien noté."}]}
    assert rasa_results[2] is None and rasa_results[3][:2] == ("ClientResponseError", 500)
    assert rasa_results[4] == "timeout"
    assert [{k: v for k, v in r.items() if k != "peer"} for r in ours_seen] == \
           [{k: v for k, v in r.items() if k != "peer"} for r in rasa_seen]
    assert "Cookie" not in str([r["headers"] for r in ours_seen])  # a cookie is not sent back
    assert ours_seen[0]["headers"]["X-Action-Token"] == "secret" and ours_seen[1]["query"] == {"a": "1", "b": "2", "token": "tok"}
    assert len({r["peer"] for r in rasa_seen}) == len(rasa_seen)  # Rasa: a new connection per call
    assert ours_seen[0]["peer"] == ours_seen[1]["peer"] == ours_seen[2]["peer"]  # ours: kept


def test_the_session_is_kept_per_endpoint_and_event_loop():
    endpoint = _endpoint(1)

    async def session():
        return speedups.endpoint_session(endpoint)

    async def twice():
        first, second = speedups.endpoint_session(endpoint), speedups.endpoint_session(endpoint)
        await first.close()
        return first, second, speedups.endpoint_session(endpoint)

    first, second, after_close = asyncio.run(twice())
    assert first is second and after_close is not first
    assert asyncio.run(session()) is not first  # another event loop, another session


def test_the_server_modules_install_it():
    import bot.rasa_plugins.tracker_store  # noqa: F401 (what the Rasa server loads)
    assert EndpointConfig.request is speedups.endpoint_request
