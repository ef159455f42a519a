"""Helpers for the mediator's space tests: an app on loopback, sign-in through the outbox."""
from __future__ import annotations

import re

import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from bot.agenda.outbox import decode
from bot.agenda.schema import outbox
from bot.agenda.service import create_app
from bot.agenda.space import auth, web as space_web

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"(https?://\S+/espace/connexion/[A-Za-z0-9_-]+)")


def space_app(store, public_url: str = "http://127.0.0.1:5056", limits: auth.SigninLimits = auth.SigninLimits()):
    return create_app(store, token="service-token", admin_token="admin-token",
                      space=space_web.settings_from(public_url, allow_private_feeds=True, limits=limits))


async def start(store, **kwargs) -> TestClient:
    client = TestClient(TestServer(space_app(store, **kwargs)))
    await client.start_server()
    client.store = store
    return client


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, html[:500]
    return match.group(1)


def messages(store, kind: str | None = None) -> list:
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(outbox).order_by(outbox.c.id)).fetchall()
    found = [decode(row) for row in rows]
    return [message for message in found if kind is None or message.recipient_kind == kind]


def last_link(store) -> str:
    for message in reversed(messages(store, "mediator")):
        match = LINK.search(message.text)
        if match:
            return match.group(1)
    raise AssertionError("no sign-in link in the outbox")


async def request_link(client: TestClient, email: str):
    page = await client.get("/espace/connexion")
    return await client.post("/espace/connexion", data={"csrf": csrf_of(await page.text()), "email": email})


async def sign_in(client: TestClient, email: str) -> None:
    reply = await request_link(client, email)
    assert reply.status == 200, await reply.text()
    path = "/espace/connexion/" + last_link(client.store).rsplit("/", 1)[1]
    page = await client.get(path)
    assert page.status == 200
    done = await client.post(path, data={"csrf": csrf_of(await page.text())}, allow_redirects=False)
    assert done.status == 303, await done.text()
