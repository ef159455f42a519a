"""The setup finds Python 3.10 by itself, or stops with a clear message saying how to get one."""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "find_python310.sh"


def run(env):
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)


def test_finds_a_python_310_on_this_machine():
    import os

    result = run(dict(os.environ))
    assert result.returncode == 0
    version = subprocess.run([result.stdout.strip(), "--version"], capture_output=True, text=True).stdout
    assert version.startswith("Python 3.10")


def test_clear_error_when_there_is_none(tmp_path):
    if any(Path(d, "python3.10").exists() for d in ("/usr/bin", "/bin")):
        import pytest

        pytest.skip("this machine has a system python3.10 on /usr/bin")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHON310_SEARCH_ROOTS": str(tmp_path)}
    result = subprocess.run(["/bin/bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "Python 3.10 was not found" in result.stderr
    assert "pyenv install 3.10" in result.stderr


def test_a_wrong_version_in_python310_is_not_accepted(tmp_path):
    fake = tmp_path / "python3.10"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHON310": str(fake),
           "PYTHON310_SEARCH_ROOTS": str(tmp_path)}
    result = subprocess.run(["/bin/bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1


def test_environment_wins_over_dotenv(tmp_path):
    from servers import read_dotenv

    dotenv = tmp_path / ".env"
    dotenv.write_text("# Local secrets\nRASA_AUTH_TOKEN=from-file\nRASA_PORT=6000\n")
    environ = {"RASA_AUTH_TOKEN": "from-env"}
    read_dotenv(dotenv, environ)
    assert environ == {"RASA_AUTH_TOKEN": "from-env", "RASA_PORT": "6000"}
    read_dotenv(tmp_path / "missing", environ)  # no .env: nothing changes, no error


def test_rasa_accepts_a_token_that_starts_with_a_dash(tmp_path):
    """secrets.token_urlsafe gives such a token about once in 64 starts."""
    from rasa.__main__ import create_argument_parser

    from servers import Servers

    command = Servers(tmp_path, token="-Ab3_x").rasa_command()
    assert create_argument_parser().parse_args(command[1:]).auth_token == "-Ab3_x"
