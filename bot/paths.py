"""Where the project lives on disk, computed once.

Every module that reads a file outside its own folder starts from here, so that moving a
module never silently changes what a `parents[N]` pointed to.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
