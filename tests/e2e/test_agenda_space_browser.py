"""The mediator's space in a real headless Chromium (tests/browser/space.mjs), against the
agenda app served on loopback: sign-in by the link read from the outbox, a booking viewed,
hours edited, the calendar page, axe-core's WCAG 2.1 AA rules on every page. Screenshots go
to reports/browser/. Needs what scripts/ensure_browser.sh installs (no trained model)."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.paths import ROOT
from tests.support.browser import ARTEFACTS, SCRIPTS, browser_requirements
from tests.support.agenda_fixtures import seeded_store, slot_ids
from tests.support.space_helpers import LINK, messages, space_app

SCRIPT = SCRIPTS / "space.mjs"
EMAIL = "paris@demo-mediation.example"


def _requirements() -> tuple[str, str]:
    return browser_requirements("playwright-core", "axe-core")


async def _deliver_link(store, link_file: Path, process) -> None:
    """The outbox's sign-in message, as the mediator's mailbox would get it."""
    while process.returncode is None:
        for message in messages(store, "mediator"):
            match = LINK.search(message.text)
            if match:
                link_file.write_text(match.group(1), encoding="utf-8")
                return
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_the_space_in_a_real_browser(tmp_path):
    chromium, node = _requirements()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    store = seeded_store(f"sqlite:///{tmp_path}/agenda.db")
    # The pages are checked against the real clock: the seeded slots are moved to tomorrow.
    from datetime import timedelta
    from bot.agenda.store import utcnow
    store.clock = utcnow
    slot = slot_ids(store, "paris")[0]
    with store.engine.begin() as connection:
        from bot.agenda.schema import slots
        connection.execute(slots.update().where(slots.c.id == slot).values(
            starts_at=utcnow() + timedelta(days=1), ends_at=utcnow() + timedelta(days=1, hours=1)))
    booking = store.confirm(store.hold(slot, "video")["hold_id"],
                            {"name": "Marie Dupont", "email": "marie@exemple.fr", "contact_consent": True},
                            {"domain": "family", "facts": {"other_party": "ex_partner", "departement": "75"},
                             "note": "Résumé automatique de l'accueil en ligne."})
    server = TestServer(space_app(store, public_url="http://127.0.0.1:0"), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    # The links in the e-mails must point to where the server really listens.
    from bot.agenda.space import web as space_web
    server.app[space_web.SPACE].update(space_web.settings_from(base, allow_private_feeds=True))
    link_file = tmp_path / "link.txt"
    process = await asyncio.create_subprocess_exec(
        node, str(SCRIPT), base, str(ARTEFACTS), str(link_file), EMAIL, booking["reference"], cwd=ROOT,
        env={**os.environ, "CHROMIUM": chromium}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        delivery = asyncio.create_task(_deliver_link(store, link_file, process))
        output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
        delivery.cancel()
    finally:
        if process.returncode is None:
            process.kill()
        await server.close()
    print(output.decode())
    assert process.returncode == 0, f"browser test failed (exit {process.returncode}):\n{output.decode()}"
    assert (ARTEFACTS / "space-appointments.png").exists() and (ARTEFACTS / "space-hours.png").exists()
