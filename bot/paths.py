"""Where the project lives on disk, computed once.

Every module that reads a file outside its own folder starts from here, so that moving a
module never silently changes what a `parents[N]` pointed to.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def read_dotenv(path: Path = ROOT / ".env") -> None:
    """The operators' settings (.env, written by `make run`) for the command-line tools; the
    environment already set wins."""
    import os

    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip())
