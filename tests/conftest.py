import json
import secrets
import urllib.request

import pytest

from bot.paths import ROOT


def pytest_configure(config):
    config.addinivalue_line("markers", "model: needs the trained model and the real servers on loopback")
    # Kept in tests/e2e although no trained model is needed: a real browser, or the spaCy model.
    config.addinivalue_line("markers", "slow: no trained model, but a real browser or the spaCy model (tests/e2e)")


_FAILURES: list[str] = []


def pytest_runtest_logreport(report):
    if report.failed:
        message = str(report.longrepr.reprcrash.message) if hasattr(report.longrepr, "reprcrash") else ""
        _FAILURES.append(f"{report.nodeid} ({report.when}): {message.splitlines()[0][:300] if message else ''}")


def pytest_unconfigure(config):
    # Repeated after pytest's own summary so the last lines of a CI log name what failed.
    for failure in _FAILURES:
        print(f"pytest failed: {failure}", flush=True)


@pytest.fixture(scope="session")
def fake_platform():
    """Meta's Graph API and Twilio's API, faked on loopback (tests/support/fake_platform.py)."""
    from tests.support.fake_platform import FakePlatform

    return FakePlatform().start()


@pytest.fixture
def conversation_id_key(monkeypatch):
    """The test servers' CONVERSATION_ID_KEY in this process too, so a test computes the
    pseudonymous conversation ids of Messenger, WhatsApp and Twilio the servers use."""
    from tests.support.fake_platform import CHANNEL_TEST_SECRETS

    monkeypatch.setenv("CONVERSATION_ID_KEY", CHANNEL_TEST_SECRETS["CONVERSATION_ID_KEY"])
    monkeypatch.delenv("CONVERSATION_ID_OLD_KEYS", raising=False)


@pytest.fixture(scope="session")
def shared_redis():
    """A throwaway Redis on loopback (scripts/stack/redis_server.py; TEST_REDIS_URL to use another)."""
    from scripts.stack.redis_server import redis_url

    with redis_url() as url:
        yield url


def shared_state_env(redis_url: str, name: str) -> dict[str, str]:
    """Channel state in Redis (bot/channels/shared_store.py), as on replicas, under a key
    prefix of this set of servers' own."""
    return {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": f"ma:{name}{secrets.token_hex(3)}:"}


@pytest.fixture(scope="session")
def servers(tmp_path_factory, fake_platform, shared_redis):
    """The real action server and Rasa server on 127.0.0.1, with a private SQLite tracker
    store; every channel is configured with test secrets and talks to the fake platform,
    and keeps its state in Redis (the in-memory state is what the unit tests and `make run` use)."""
    from tests.support.fake_platform import channel_test_env
    from scripts.stack.servers import running_servers

    if not any((ROOT / "models").glob("*.tar.gz")):
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    extra_env = {**channel_test_env(fake_platform), **shared_state_env(shared_redis, "e2e")}
    with running_servers(tmp_path_factory.mktemp("servers"), extra_env=extra_env) as running:
        yield running


class Chat:
    """One person talking to the REST channel."""

    def __init__(self, servers, sender):
        self.servers = servers
        self.sender = sender

    def say(self, message):
        request = urllib.request.Request(
            f"{self.servers.url}/webhooks/rest/webhook",
            data=json.dumps({"sender": self.sender, "message": message}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as reply:
            return json.loads(reply.read())

    def texts(self, message):
        return "\n".join(m.get("text", "") for m in self.say(message))

    def tracker(self):
        url = f"{self.servers.url}/conversations/{self.sender}/tracker?token={self.servers.token}"
        with urllib.request.urlopen(url, timeout=30) as reply:
            return json.loads(reply.read())

    def slots(self):
        return self.tracker()["slots"]

    def latest_message(self):
        return self.tracker()["latest_message"]


@pytest.fixture
def chat(servers, request):
    return Chat(servers, f"test-{request.node.name}")


@pytest.fixture(scope="session")
def model_parse(servers):
    """The trained NLU pipeline through the HTTP API (`/model/parse`)."""
    def parse(text):
        request = urllib.request.Request(f"{servers.url}/model/parse?token={servers.token}",
                                         data=json.dumps({"text": text}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            return json.loads(reply.read())
    return parse
