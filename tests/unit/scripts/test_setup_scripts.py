"""The setup finds Python 3.10 by itself, or stops with a clear message saying how to get one."""
import subprocess
from pathlib import Path

from bot.paths import ROOT
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
    from scripts.stack.servers import read_dotenv

    dotenv = tmp_path / ".env"
    dotenv.write_text("# Local secrets\nRASA_AUTH_TOKEN=from-file\nRASA_PORT=6000\n")
    environ = {"RASA_AUTH_TOKEN": "from-env"}
    read_dotenv(dotenv, environ)
    assert environ == {"RASA_AUTH_TOKEN": "from-env", "RASA_PORT": "6000"}
    read_dotenv(tmp_path / "missing", environ)  # no .env: nothing changes, no error


MAKE_ENV = ROOT / "scripts" / "make_env.sh"
GENERATED = ["RASA_AUTH_TOKEN", "AGENDA_TOKEN", "AGENDA_ADMIN_TOKEN", "WIDGET_SECRET", "APP_JWT_SECRET",
             "TRACKER_ENCRYPTION_KEYS", "CONVERSATION_ID_KEY", "AGENDA_SECRET_KEY", "ACTION_SERVER_TOKEN"]


def make_env(path):
    result = subprocess.run(["bash", str(MAKE_ENV), str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_make_env_generates_every_secret_once_private_and_usable(tmp_path, monkeypatch):
    import base64

    from bot.privacy import crypto, pseudonyms

    env_file = tmp_path / ".env"
    values = make_env(env_file)
    assert sorted(values) == sorted(GENERATED) and all(len(v) >= 32 for v in values.values())
    assert env_file.stat().st_mode & 0o777 == 0o600
    key = values["CONVERSATION_ID_KEY"]
    assert len(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))) == 64
    monkeypatch.setenv(pseudonyms.KEY_VARIABLE, key)
    assert pseudonyms.configured()
    crypto.load_keys(values["TRACKER_ENCRYPTION_KEYS"])
    assert make_env(env_file) == values  # a second run changes nothing


def test_make_env_adds_what_is_missing_and_never_overwrites(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# mine\nRASA_AUTH_TOKEN=kept-token\nCONVERSATION_ID_KEY=kept-key\n")
    values = make_env(env_file)
    assert values["RASA_AUTH_TOKEN"] == "kept-token" and values["CONVERSATION_ID_KEY"] == "kept-key"
    assert sorted(values) == sorted(GENERATED)
    assert env_file.read_text().count("CONVERSATION_ID_KEY=") == 1


def test_rasa_accepts_a_token_that_starts_with_a_dash(tmp_path):
    """secrets.token_urlsafe gives such a token about once in 64 starts."""
    from rasa.__main__ import create_argument_parser

    from bot.servers.rasa_server import rasa_argv
    from scripts.stack.servers import Servers

    servers = Servers(tmp_path, token="-Ab3_x")
    command = servers.rasa_command()
    assert command[1:3] == ["-m", "bot.servers.rasa_server"] and "-Ab3_x" not in " ".join(command)  # not in `ps`
    argv = rasa_argv(command[3:], servers.env()["RASA_AUTH_TOKEN"])
    assert create_argument_parser().parse_args(argv[1:]).auth_token == "-Ab3_x"

