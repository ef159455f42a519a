"""Two Rasa replicas and two action servers behind nginx, on PostgreSQL and Redis
(scripts/stack/cluster.py, `make run-cluster`): conversations whose turns alternate between the
replicas lose nothing and mix nothing, the widget works through the load balancer and
across replicas, the conversations are in PostgreSQL and the locks in Redis."""
import asyncio
import json
import secrets
import urllib.parse
import urllib.request
from pathlib import Path

import aiohttp
import pytest
import redis
import socketio
import sqlalchemy as sa

from bot.paths import ROOT
from scripts.bench import load_test

pytestmark = pytest.mark.model
ALTERNATING, THROUGH_NGINX = 6, 2


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, fake_platform):
    from scripts.stack.cluster import running_cluster
    from tests.support.fake_platform import channel_test_env

    if not any((ROOT / "models").glob("*.tar.gz")):
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    with running_cluster(tmp_path_factory.mktemp("cluster"), extra_env=channel_test_env(fake_platform)) as running:
        print(f"\ncluster start-up (s): {running.startup}\nresident memory (MB): {running.memory()}")
        yield running


def post_turn(url, sender, message):
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"sender": sender, "message": message}).encode())
    with urllib.request.urlopen(request, timeout=120) as reply:
        return json.loads(reply.read())


# ---- REST conversations alternating between the replicas ---------------------------------------

async def talk(session, runs, conversation, urls):
    """Turn n goes to urls[n % len(urls)]; a short pause lets the conversations interleave."""
    for number, text in enumerate(conversation.messages()):
        conversation.sent.append(text)
        conversation.replies.append(await load_test.post_message(session, runs[urls[number % len(urls)]],
                                                                 conversation.sender, text))
        await asyncio.sleep(0.1)
    conversation.complete = True


async def alternate(cluster):
    first, second = cluster.replica_urls
    settings = load_test.Settings(timeout=120)
    runs = {url: load_test.Run(url, settings, []) for url in (first, second, cluster.url)}
    markers = load_test.marker_pool(seed=7)
    run_id = secrets.token_hex(3)
    conversations, routes = [], []
    for number in range(ALTERNATING + THROUGH_NGINX):
        conversations.append(load_test.Conversation(f"cluster-{run_id}-{number}", sorted(load_test.SCRIPTS)[number % 2],
                                                    markers[number]))
        routes.append([cluster.url] if number >= ALTERNATING else [first, second] if number % 2 else [second, first])
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(talk(session, runs, c, urls) for c, urls in zip(conversations, routes)))
        senders = [c.sender for c in conversations]
        trackers = {url: await load_test.fetch_trackers(session, url, cluster.token, senders) for url in (first, second)}
    return conversations, trackers, [error for run in runs.values() for error in run.errors]


def test_turns_alternating_between_replicas_are_all_answered_stored_and_kept_apart(cluster):
    conversations, trackers, errors = asyncio.run(alternate(cluster))
    assert errors == []
    first, second = cluster.replica_urls
    for url in (first, second):  # each replica reads every conversation whole, whoever wrote it
        findings = load_test.check(conversations, trackers[url])
        assert findings.lost == [] and findings.mixed == {}, url
    for conversation in conversations:
        assert conversation.complete and all(conversation.replies)
        from_first, from_second = trackers[first][conversation.sender], trackers[second][conversation.sender]
        assert from_first["events"] == from_second["events"] and from_first["slots"] == from_second["slots"]
    access_log = (cluster.workdir / "nginx" / "access.log").read_text()
    assert access_log.count("POST /webhooks/rest/webhook 200") >= THROUGH_NGINX * 10
    assert "token=" not in access_log and "127.0.0.1 -" not in access_log  # no query string, no client address


# ---- Shared stores ------------------------------------------------------------------------------

def test_the_conversations_are_in_postgresql_not_in_a_sqlite_file(cluster):
    sender = f"cluster-pg-{secrets.token_hex(3)}"
    post_turn(cluster.replica_urls[0], sender, "Bonjour")
    engine = sa.create_engine(cluster.database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
        connections = connection.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")).scalar()
    engine.dispose()
    assert rows > 0
    assert not Path(cluster.env()["TRACKER_DB"]).exists()  # endpoints.yml's SQLite file, unused
    assert connections <= 2 * 10 + 1  # two replicas' pools (5 + 5 overflow each) and this one


def test_a_conversation_locked_in_redis_waits_on_every_replica(cluster, monkeypatch):
    """Another process holds the conversation's lock in Redis: a turn sent to either replica
    waits for it, then runs. With per-process locks the turns would not wait."""
    from bot.rasa_plugins.lock_store import redis_lock_store

    store, sender = redis_lock_store(cluster.redis_url), f"cluster-lock-{secrets.token_hex(3)}"

    async def scenario():
        loop = asyncio.get_running_loop()
        async with store.lock(sender):
            assert redis.Redis.from_url(cluster.redis_url).exists(f"lock:{sender}")
            turns = []
            for url in cluster.replica_urls:
                turns.append(loop.run_in_executor(None, post_turn, url, sender, "Bonjour"))
                await asyncio.sleep(0.5)  # one after the other: their order is then known
            await asyncio.sleep(4)
            assert not any(turn.done() for turn in turns)
        return await asyncio.wait_for(asyncio.gather(*turns), 120)

    replies = asyncio.run(scenario())
    assert all(replies)
    tracker = json.loads(urllib.request.urlopen(
        f"{cluster.url}/conversations/{sender}/tracker?token={cluster.token}", timeout=30).read())
    assert len([e for e in tracker["events"] if e["event"] == "user"]) == 2


# ---- The widget through nginx and across replicas ------------------------------------------------

def widget_session(url):
    request = urllib.request.Request(f"{url}/webhooks/widget/session", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json", "Origin": url})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


class Tab:
    """One browser tab on `url` (nginx or a replica), as tests/e2e/test_channel_widget.py drives it."""

    def __init__(self, url, token):
        self.url, self.token, self.events = url, token, []
        self.client = socketio.AsyncClient(reconnection=False)
        self.client.on("bot_uttered", lambda m: self.events.append(("bot", m)))
        self.client.on("bot_typing", lambda m: self.events.append(("typing", m["typing"])))
        self.client.on("conversation_erased", lambda m: self.events.append(("erased", m)))

    async def open(self):
        # Polling: every request of the session must reach the replica that opened it (sticky).
        await self.client.connect(self.url, socketio_path="/socket.io", auth={"token": self.token},
                                  transports=["polling"], headers={"Origin": self.url})

    async def wait_for(self, kind, start=0, seconds=120):
        for _ in range(int(seconds / 0.05)):
            if any(k == kind for k, _ in self.events[start:]):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {kind}; events: {self.events[start:]}")

    async def turn(self, **data):
        start = len(self.events)
        await self.client.emit("user_uttered", data)
        for _ in range(2400):  # the turn ends with typing false
            if ("typing", False) in self.events[start:]:
                return [m for kind, m in self.events[start:] if kind == "bot"]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no end of turn; events: {self.events[start:]}")


def test_widget_sessions_through_nginx_stay_on_their_replica(cluster):
    """Several long-polling sessions through the load balancer: without sticky /socket.io/
    their requests would be spread over both replicas, which do not know each other's sids."""
    async def scenario():
        tabs = [Tab(cluster.url, widget_session(cluster.url)["token"]) for _ in range(3)]
        for tab in tabs:
            await tab.open()
        replies = [await tab.turn(message="Bonjour") for tab in tabs]
        replies.append(await tabs[0].turn(payload="/affirm", title="J'accepte"))
        for tab in tabs:
            await tab.client.disconnect()
        return replies

    replies = asyncio.run(scenario())
    assert all("assistant d'accueil" in turn[0]["text"] for turn in replies[:3])
    assert "Décrivez votre situation" in replies[3][0]["text"]


def test_a_reply_and_the_erasure_reach_a_tab_open_on_the_other_replica(cluster):
    """One conversation, a tab on each replica: the replica that handles a turn or the erasure
    reaches the other's tab through Redis (the sealed socket.io bus)."""
    first, second = cluster.replica_urls
    session = widget_session(cluster.url)

    async def scenario():
        here, there = Tab(first, session["token"]), Tab(second, session["token"])
        await here.open()
        await there.open()
        await here.turn(message="Bonjour")
        await there.wait_for("bot")
        start = len(there.events)
        request = urllib.request.Request(f"{first}/webhooks/widget/conversation", method="DELETE",
                                         headers={"Authorization": f"Bearer {session['token']}"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            assert json.loads(reply.read())["erased"] is True
        await there.wait_for("erased", start, seconds=10)
        await here.client.disconnect()
        await there.client.disconnect()
        return there.events

    events = asyncio.run(scenario())
    assert any(kind == "bot" and "assistant d'accueil" in m["text"] for kind, m in events)


def test_memory_and_start_up_are_measured(cluster):
    memory = cluster.memory()
    assert set(memory) >= {"rasa-1", "rasa-2", "actions-1", "actions-2", "agenda", "nginx", "redis", "postgres"}
    assert all(mb > 0 for mb in memory.values())
    assert cluster.startup["total"] >= max(cluster.startup["rasa-1"], cluster.startup["rasa-2"])


def test_the_run_cluster_banner_says_where_everything_is(cluster):
    """`make run-cluster` prints this once the cluster is up (scripts/stack/cluster.py main)."""
    from scripts.stack.cluster import _banner
    banner = _banner(cluster, ROOT / "var" / "cluster", ROOT / "var" / "cluster" / "log")
    for where in (cluster.url, *cluster.replica_urls, cluster.agenda_url, "var/cluster/secrets.json"):
        assert where in banner
    assert "postgres" in banner and "redis" in banner
    redis_password = urllib.parse.urlsplit(cluster.redis_url).password
    assert redis_password and redis_password not in banner
