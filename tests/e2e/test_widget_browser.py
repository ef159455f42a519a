"""The website widget in a real headless Chromium, against the real servers on loopback.

The scenarios live in tests/browser/widget.mjs (Node + playwright-core driving Debian's
/usr/bin/chromium): a conversation to the classification with clicks, the history after
a reload, a keyboard-only run, typed HTML shown as text, a 360-px phone and 200 % zoom,
erasing the conversation, and axe-core's WCAG 2.1 AA rules; then issue 15 §5 at 390×844
(phone) and 1280×800: the permanent emergency line and the numbers as tel:/sms: links, the
first of several new messages brought into view, « Nouveaux messages » when scrolled up, the
typing indicator for the whole wait, a 5,000-character paste (counter and notice), the
phone keyboard, bare domains and the labelled calendar link. Screenshots go to
reports/browser/.
"""
import json
import os
import subprocess

import pytest

from bot import content
from bot.channels import rendering
from bot.paths import ROOT
from tests.support.browser import ARTEFACTS, SCRIPTS, browser_requirements

pytestmark = pytest.mark.model

SCRIPT = SCRIPTS / "widget.mjs"


def _requirements() -> tuple[str, str]:
    return browser_requirements("playwright-core", "socket.io-client", "axe-core")


def _fixtures(path) -> str:
    """Messages a scenario cannot reach quickly in a real conversation (a booking
    confirmation), rendered by the server's own code for the browser test to inject."""
    calendar_url = "http://127.0.0.1:8000/public/bookings/MED-7K2Q.ics?code=PLUME-4821"
    booking = content.BOOKING_DONE.format(label="lundi 23 novembre à 9 h 00, en visio", reference="MED-7K2Q",
                                          secret="PLUME-4821", ics_url=calendar_url)
    path.write_text(json.dumps({
        "booking": [rendering.widget_message(booking), rendering.widget_message(content.ROUTES_SAFETY),
                    rendering.widget_message(content.NEXT_STEPS_SAFETY)],
        "calendarUrl": calendar_url, "calendarLabel": content.WIDGET_CALENDAR_LINK}), encoding="utf-8")
    return str(path)


def test_widget_in_a_real_browser(servers, tmp_path):
    chromium, node = _requirements()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    fixtures = _fixtures(tmp_path / "fixtures.json")
    try:
        run = subprocess.run([node, str(SCRIPT), f"{servers.url}/webhooks/widget/demo", str(ARTEFACTS), fixtures],
                             cwd=ROOT, env={**os.environ, "CHROMIUM": chromium},
                             capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the browser test did not finish in {error.timeout} s; output so far:\n{error.stdout or ''}\n{error.stderr or ''}")
    print(run.stdout)
    assert run.returncode == 0, f"browser test failed (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    assert (ARTEFACTS / "widget-desktop.png").exists() and (ARTEFACTS / "widget-mobile.png").exists()
