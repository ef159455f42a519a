"""What the browser tests need on this machine (installed by `scripts/ensure_browser.sh`, which
`make test` runs): Chromium, Node.js and the widget's node packages. A missing piece fails the
test with how to install it, never skips it."""
from __future__ import annotations

import os
import shutil

import pytest

from bot.paths import ROOT

SCRIPTS = ROOT / "tests" / "browser"
ARTEFACTS = ROOT / "reports" / "browser"
SETUP_HINT = "run `make test` or `scripts/ensure_browser.sh` to install it"


def browser_requirements(*packages: str) -> tuple[str, str]:
    """(chromium, node) paths, once every named package of widget/node_modules is there."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        pytest.fail(f"Chromium is missing ({chromium}): {SETUP_HINT}.")
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"Node.js is missing: {SETUP_HINT}.")
    for package in packages:
        if not (ROOT / "widget" / "node_modules" / package / "package.json").exists():
            pytest.fail(f"widget/node_modules/{package} is missing: {SETUP_HINT}.")
    return chromium, node
