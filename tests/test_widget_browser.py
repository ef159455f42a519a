"""The website widget in a real headless Chromium, against the real servers on loopback.

The scenarios live in tests/browser/widget.mjs (Node + playwright-core driving Debian's
/usr/bin/chromium): a conversation to the classification with clicks, the history after
a reload, a keyboard-only run, typed HTML shown as text, a 360-px phone and 200 % zoom,
erasing the conversation, and axe-core's WCAG 2.1 AA rules. Screenshots go to
reports/browser/.
"""
import os
import shutil
import subprocess

import pytest

from conftest import ROOT

pytestmark = pytest.mark.model

SCRIPT = ROOT / "tests" / "browser" / "widget.mjs"
ARTEFACTS = ROOT / "reports" / "browser"
SETUP_HINT = "run `make test` or `scripts/ensure_browser.sh` to install it"


def _requirements() -> tuple[str, str]:
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        pytest.fail(f"Chromium is missing ({chromium}): {SETUP_HINT}.")
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"Node.js is missing: {SETUP_HINT}.")
    for package in ("playwright-core", "socket.io-client", "axe-core"):
        if not (ROOT / "widget" / "node_modules" / package / "package.json").exists():
            pytest.fail(f"widget/node_modules/{package} is missing: {SETUP_HINT}.")
    return chromium, node


def test_widget_in_a_real_browser(servers):
    chromium, node = _requirements()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    try:
        run = subprocess.run([node, str(SCRIPT), f"{servers.url}/webhooks/widget/demo", str(ARTEFACTS)],
                             cwd=ROOT, env={**os.environ, "CHROMIUM": chromium},
                             capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the browser test did not finish in {error.timeout} s; output so far:\n{error.stdout or ''}\n{error.stderr or ''}")
    print(run.stdout)
    assert run.returncode == 0, f"browser test failed (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    assert (ARTEFACTS / "widget-desktop.png").exists() and (ARTEFACTS / "widget-mobile.png").exists()
