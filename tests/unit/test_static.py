"""Static checks on every Python file: an undefined name (a constant lost in a move) or an unused
import fails here, before any model is trained. Pyflakes' rules, run by ruff (pinned in the lock)."""
import subprocess
import sys

from bot.paths import ROOT


def test_no_undefined_name_and_no_unused_import():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "F", "--no-cache",
                             "--output-format", "concise", "bot", "actions", "tests", "scripts"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
