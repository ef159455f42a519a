"""Load test (issue 6, resilience): N concurrent people on the REST channel for a bounded time.

    .venv/bin/python -m scripts.bench.load_test [--conversations 25] [--duration 180]
    .venv/bin/python -m scripts.bench.load_test --url http://127.0.0.1:5005 --token "$RASA_AUTH_TOKEN"

Without --url it starts its own servers (scripts/stack/servers.py: free loopback ports, private
SQLite stores, rate limits off, platform calls sent to a local fake). Each simulated person
goes through a French intake conversation, waits a short seeded random time between turns,
and starts a new conversation with a new sender id when one ends, until the duration is
over; conversations under way then stop where they are and are checked as far as they went.
Traffic only goes to a loopback address.

Checked, and the exit status is 1 if any is found:
- errors: non-200 status, timeout, exception, or the crash apology in a reply;
- lost messages: a message without any reply, or a message missing from (or out of order
  in) the conversation's tracker read back through Rasa's HTTP API after the run;
- mixed conversations: each conversation has its own postal code and amount (its marker);
  another conversation's marker must never appear in its replies, stored events or slots.
Writes reports/load.md and reports/load.json (latency p50/p95/p99/max, throughput,
concurrency reached, peak RSS of the Rasa server).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from bot.paths import ROOT
from bot import content
from bot.places.geo import GEO_DIR
from bot.channels.text_guard import guard_text
from scripts.stack.servers import rss_mb

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
FIRST_AMOUNT_EUR, AMOUNT_STEP_EUR = 20_000, 7  # same triage whatever the amount in both scripts
DETAILS_KEPT = 20  # problems listed in the report; the counts are always complete

# Two intake conversations whose path does not depend on the marker's postal code or amount.
# {amount} and {postal_code} are the conversation's marker. The person gives consent by
# answering "/affirm" to the consent question (turn CONSENT_TURN, after the greeting).
CONSENT_TURN = 1
SCRIPTS = {
    "hedge": [
        "Bonjour", "/affirm",
        "Mon voisin a planté une haie de thuyas qui dépasse chez moi et refuse de la tailler",
        "/affirm", "mon voisin d'à côté", "oui", "environ {amount}", "non, aucune procédure", "pas urgent",
        "{postal_code}", "en visio", "/affirm", '/inform{"choice":"none"}', "un aménagement",
        '/inform{"choice":"later"}',
    ],
    "inheritance": [
        "Bonjour", "/affirm",
        "Depuis le décès de notre mère, mon frère bloque la vente de la maison familiale et refuse tout "
        "partage de la succession.",
        "/affirm", "mon frère", "oui", "{amount} environ", "non, aucune procédure", "pas urgent",
        "code postal {postal_code}", "par téléphone", "/affirm", "je ne sais pas encore",
        '/inform{"choice":"later"}',
    ],
}
# A marker as it can appear in any text once spaces are normalised: a 5-digit postal code,
# or an amount written "20 013 €" (the recap's narrow spaces and the typed spaces alike).
_TOKEN = re.compile(r"(?<!\d)(?<!\d )(\d{1,3}(?: \d{3})+ €|\d{5})(?!\d)")
_SPACES = re.compile(r"[\u00a0\u202f ]+")


# ---- Markers ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Marker:
    postal_code: str
    amount_eur: int

    @property
    def amount_text(self) -> str:
        return f"{self.amount_eur:,} €".replace(",", " ")

    def tokens(self) -> tuple[str, str]:
        return self.postal_code, self.amount_text


def reserved_tokens() -> set[str]:
    """Postal codes and amounts the assistant's own texts contain (e.g. "par exemple 69003"):
    never a marker, or every conversation would show another's."""
    files = [path for path in (ROOT / "bot").rglob("*") if path.suffix in {".py", ".yml", ".csv", ".json", ".md"}]
    return set().union(*(tokens_in(path.read_text(encoding="utf-8", errors="replace"))
                         for path in files + [ROOT / "domain.yml"]))


def marker_pool(seed: int) -> list[Marker]:
    """One marker per conversation: real metropolitan postal codes (var/geo, built by setup)
    in a seeded order, and growing amounts; none that the assistant's texts contain."""
    index = json.loads((GEO_DIR / "postal_index.json").read_text(encoding="utf-8"))["postal_codes"]
    codes = sorted(code for code in index if not code.startswith(("97", "98")))
    random.Random(seed).shuffle(codes)
    reserved = reserved_tokens()
    markers = (Marker(code, FIRST_AMOUNT_EUR + AMOUNT_STEP_EUR * n) for n, code in enumerate(codes))
    return [marker for marker in markers if not set(marker.tokens()) & reserved]


def tokens_in(text: str | None) -> set[str]:
    return set(_TOKEN.findall(_SPACES.sub(" ", text or "")))


# ---- One conversation, as the simulated person saw it ----------------------------------------

@dataclass
class Conversation:
    sender: str
    script: str
    marker: Marker
    sent: list[str] = field(default_factory=list)
    replies: list[list[dict] | None] = field(default_factory=list)  # None: the request failed
    started: float = 0.0
    ended: float = 0.0
    complete: bool = False

    def messages(self) -> list[str]:
        # str.replace, not format: the button payloads contain braces.
        return [turn.replace("{amount}", self.marker.amount_text).replace("{postal_code}", self.marker.postal_code)
                for turn in SCRIPTS[self.script]]

    def reply_texts(self) -> list[str]:
        return [message.get("text") or "" for reply in self.replies if reply for message in reply]


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)  # one line per lost message
    mixed: dict[str, list[str]] = field(default_factory=dict)  # sender -> what is wrong


# ---- Checks on the trackers (pure functions: tests/unit/scripts/test_load_checks.py feeds them fakes) -------------

def expected_user_texts(conversation: Conversation) -> list[str | None]:
    """The user events the tracker must hold, in order.

    The tracker store redacts every event saved before consent (bot/rasa_plugins/tracker_store.py): the
    messages sent before the consent answer are stored with text None. The consent answer
    itself is stored in clear: the store writes a turn's events at the end of the turn, once
    the consent slot is "given". So: CONSENT_TURN redacted events, then every later message
    as the channel passed it on (bot/channels/text_guard.py; our messages pass unchanged)."""
    return [None if number < CONSENT_TURN else guard_text(message).text
            for number, message in enumerate(conversation.sent)]


def lost_messages(conversation: Conversation, tracker: dict | None) -> list[str]:
    """One line per message without a reply, or missing from the tracker, or out of order in it."""
    sender = conversation.sender
    lost = [f"{sender}: turn {n} got no reply" for n, reply in enumerate(conversation.replies)
            if reply is not None and not reply]
    if tracker is None:
        return lost + [f"{sender}: turn {n} not stored (no tracker)" for n in range(len(conversation.sent))]
    stored = [event.get("text") for event in tracker.get("events") or [] if event.get("event") == "user"]
    missing = _not_in_order(expected_user_texts(conversation), stored)
    lost += [f"{sender}: turn {n} missing from the tracker or out of order" for n in missing]
    if not missing and len(stored) != len(conversation.sent):
        lost.append(f"{sender}: tracker holds {len(stored)} user messages for {len(conversation.sent)} sent")
    return lost


def _not_in_order(expected: list, stored: list) -> list[int]:
    """Positions of `expected` that `stored` does not hold as an in-order subsequence."""
    missing, position = [], 0
    for number, text in enumerate(expected):
        try:
            position = stored.index(text, position) + 1
        except ValueError:
            missing.append(number)
    return missing


def _tracker_texts(tracker: dict) -> list[str]:
    """Everything of the tracker a marker can show up in: user and bot texts, the slots."""
    texts = [event.get("text") or "" for event in tracker.get("events") or []
             if event.get("event") in ("user", "bot")]
    slots = tracker.get("slots") or {}
    if slots.get("postal_code"):
        texts.append(str(slots["postal_code"]))
    if isinstance(slots.get("amount_eur"), (int, float)):
        texts.append(content.euros(float(slots["amount_eur"])))
    return texts


def mixed_markers(conversation: Conversation, tracker: dict | None, owners: dict[str, str]) -> list[str]:
    """Another conversation's marker seen here, or (conversation finished) its own missing."""
    sender, problems = conversation.sender, []
    texts = conversation.reply_texts() + (_tracker_texts(tracker) if tracker else [])
    for token in sorted(set().union(*map(tokens_in, texts))):
        if owners.get(token, sender) != sender:
            problems.append(f"shows {token!r} of {owners[token]}")
    if conversation.complete and tracker is not None:
        problems += _own_marker_missing(conversation, tracker)
    return problems


def _own_marker_missing(conversation: Conversation, tracker: dict) -> list[str]:
    marker, slots = conversation.marker, tracker.get("slots") or {}
    problems = []
    if slots.get("postal_code") != marker.postal_code or slots.get("amount_eur") != float(marker.amount_eur):
        problems.append(f"slots hold {slots.get('postal_code')!r}, {slots.get('amount_eur')!r} "
                        f"instead of its marker {marker.tokens()}")
    recaps = [text for text in conversation.reply_texts() if text.startswith(content.RECAP_TITLE)]
    if not recaps or not set(marker.tokens()) <= tokens_in(recaps[-1]):
        problems.append(f"its recap does not show its marker {marker.tokens()}")
    return problems


def check(conversations: list[Conversation], trackers: dict[str, dict | None]) -> Findings:
    owners = {token: c.sender for c in conversations for token in c.marker.tokens()}
    findings = Findings()
    for conversation in conversations:
        tracker = trackers.get(conversation.sender)
        findings.lost += lost_messages(conversation, tracker)
        mixed = mixed_markers(conversation, tracker, owners)
        if mixed:
            findings.mixed[conversation.sender] = mixed
    return findings


# ---- The load ---------------------------------------------------------------------------------

@dataclass
class Settings:
    conversations: int = 25
    duration: float = 180.0
    seed: int = 6
    think: tuple[float, float] = (0.2, 0.5)
    ramp_up: float = 2.0  # people arrive within this many seconds, not all in the same instant
    timeout: float = 60.0


@dataclass
class Run:
    """Shared by the simulated people during a run."""
    url: str
    settings: Settings
    markers: list[Marker]
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    conversations: list[Conversation] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    deadline: float = 0.0
    trackers_read: int = 0

    def new_conversation(self, person: int, rng: random.Random) -> Conversation:
        number = len(self.conversations)
        if number >= len(self.markers):
            raise RuntimeError(f"more than {len(self.markers)} conversations: no unique marker left")
        conversation = Conversation(f"load-{self.run_id}-{person:02d}-{number:04d}", rng.choice(sorted(SCRIPTS)),
                                    self.markers[number], started=time.monotonic())
        self.conversations.append(conversation)
        return conversation


def reply_error(status: int | None, body: object, failure: str | None) -> str | None:
    if failure:
        return failure
    if status != 200:
        return f"HTTP {status}"
    if not isinstance(body, list):
        return "reply is not a list of messages"
    if any(content.SERVICE_UNAVAILABLE in (message.get("text") or "") for message in body):
        return "crash apology"
    return None


async def post_message(session: aiohttp.ClientSession, run: Run, sender: str, text: str) -> list[dict] | None:
    """One turn: the replies, or None after recording the error. Latency of answered turns only."""
    status = body = failure = None
    run.in_flight += 1
    run.max_in_flight = max(run.max_in_flight, run.in_flight)
    started = time.perf_counter()
    try:
        async with session.post(f"{run.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                timeout=aiohttp.ClientTimeout(total=run.settings.timeout)) as response:
            status = response.status
            body = await response.json(content_type=None) if status == 200 else None
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        failure = type(error).__name__
    finally:
        run.in_flight -= 1
    error = reply_error(status, body, failure)
    if error:
        run.errors.append(f"{sender} turn {text!r}: {error}")
        return None
    run.latencies_ms.append((time.perf_counter() - started) * 1000)
    return body


async def talk(session: aiohttp.ClientSession, run: Run, conversation: Conversation, rng: random.Random) -> None:
    for text in conversation.messages():
        if time.monotonic() >= run.deadline:
            break  # the run is bounded: an unfinished conversation is still checked as far as it went
        conversation.sent.append(text)
        conversation.replies.append(await post_message(session, run, conversation.sender, text))
        await asyncio.sleep(rng.uniform(*run.settings.think))
    else:
        conversation.complete = True
    conversation.ended = time.monotonic()


async def person(session: aiohttp.ClientSession, run: Run, number: int) -> None:
    rng = random.Random(f"{run.settings.seed}-{number}")
    await asyncio.sleep(rng.uniform(0, run.settings.ramp_up))
    while time.monotonic() < run.deadline:
        await talk(session, run, run.new_conversation(number, rng), rng)


async def fetch_trackers(session: aiohttp.ClientSession, url: str, token: str,
                         senders: list[str]) -> dict[str, dict | None]:
    """Each conversation as stored, read back (decrypted) through Rasa's HTTP API."""
    limit = asyncio.Semaphore(4)

    async def fetch(sender: str) -> dict | None:
        async with limit, session.get(f"{url}/conversations/{sender}/tracker",
                                      params={"token": token, "include_events": "ALL"},
                                      timeout=aiohttp.ClientTimeout(total=120)) as response:
            return await response.json() if response.status == 200 else None

    return dict(zip(senders, await asyncio.gather(*map(fetch, senders))))


def max_open_conversations(conversations: list[Conversation]) -> int:
    """How many conversations were open at the same instant (from their start and end times)."""
    edges = sorted([(c.started, 1) for c in conversations] + [(c.ended, -1) for c in conversations],
                   key=lambda edge: (edge[0], edge[1]))
    open_now = peak = 0
    for _, step in edges:
        open_now += step
        peak = max(peak, open_now)
    return peak


# ---- Memory of the Rasa server ------------------------------------------------------------------

async def sample_rss(pid: int | None, samples: list[float]) -> None:
    while pid:
        samples.append(rss_mb(pid)["rss_mb"])
        await asyncio.sleep(1)


# ---- Run and report -----------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1) if ordered else 0.0


def require_loopback(url: str) -> str:
    host = urlsplit(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise SystemExit(f"The load test only talks to a loopback address, not {host!r}.")
    return url.rstrip("/")


async def load(url: str, token: str, settings: Settings, rasa_pid: int | None = None) -> dict:
    run = Run(require_loopback(url), settings, marker_pool(settings.seed))
    rss_before = rss_mb(rasa_pid) if rasa_pid else None
    samples: list[float] = []
    connector = aiohttp.TCPConnector(limit=settings.conversations * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        sampler = asyncio.create_task(sample_rss(rasa_pid, samples))
        started = time.monotonic()
        run.deadline = started + settings.duration
        await asyncio.gather(*(person(session, run, n) for n in range(settings.conversations)))
        wall = time.monotonic() - started
        sampler.cancel()
        trackers = await fetch_trackers(session, run.url, token, [c.sender for c in run.conversations])
    findings = check(run.conversations, trackers)
    run.trackers_read = sum(tracker is not None for tracker in trackers.values())
    memory = {"before": rss_before, "after": rss_mb(rasa_pid), "max_sampled_mb": max(samples, default=None)} \
        if rasa_pid else None
    return summary(run, findings, wall, memory)


def summary(run: Run, findings: Findings, wall: float, memory: dict | None) -> dict:
    latencies, conversations = run.latencies_ms, run.conversations
    turns = sum(len(c.sent) for c in conversations)
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {subprocess.getoutput('nproc')} cores, Python {platform.python_version()}",
        "settings": {**asdict(run.settings), "scripts": {name: len(turns) for name, turns in SCRIPTS.items()}},
        "wall_s": round(wall, 1),
        "people": run.settings.conversations,
        "turns_sent": turns, "turns_answered": len(latencies),
        "turns_per_s": round(len(latencies) / wall, 2) if wall else 0.0,
        "conversations_started": len(conversations),
        "conversations_completed": sum(c.complete for c in conversations),
        "max_open_conversations": max_open_conversations(conversations),
        "max_in_flight_requests": run.max_in_flight,
        "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                       "p99": percentile(latencies, 0.99), "max": round(max(latencies, default=0.0), 1),
                       "mean": round(statistics.fmean(latencies), 1) if latencies else 0.0},
        "trackers_read": run.trackers_read,
        "errors": len(run.errors), "lost_messages": len(findings.lost),
        "mixed_conversations": len(findings.mixed),
        "error_details": run.errors[:DETAILS_KEPT], "lost_details": findings.lost[:DETAILS_KEPT],
        "mixed_details": [f"{sender}: {'; '.join(problems)}"
                          for sender, problems in list(findings.mixed.items())[:DETAILS_KEPT]],
        "rasa_memory": memory,
        "server_log_errors": [],
    }


def passed(result: dict) -> bool:
    return not (result["errors"] or result["lost_messages"] or result["mixed_conversations"]
                or result["server_log_errors"])


def server_log_errors(workdir: Path) -> list[str]:
    """ERROR lines and tracebacks the servers logged during the run (never the messages)."""
    found = []
    for log in sorted(workdir.glob("*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if " ERROR " in line or line.startswith("Traceback"):
                found.append(f"{log.name}: {line[:300]}")
    return found


def run_load_test(settings: Settings | None = None, url: str | None = None, token: str | None = None,
                  rasa_pid: int | None = None, reports: Path | None = ROOT / "reports") -> dict:
    """Run the load test (own servers unless `url` is given), write the reports, return the result."""
    settings = settings or Settings()
    if url:
        if not token:
            raise SystemExit("--token (the Rasa server's auth token) is needed to read the trackers back.")
        result = asyncio.run(load(url, token, settings, rasa_pid))
        result["passed"] = passed(result)
    else:
        result = _with_own_servers(settings)
    if reports:
        write_reports(result, reports)
    return result


def measure(servers, settings: Settings) -> dict:
    """The load test on servers started by scripts/stack/servers.py (here, or by scripts/bench/run.py),
    including the errors they logged."""
    result = asyncio.run(load(servers.url, servers.token, settings, servers.processes["rasa"].pid))
    result["server_log_errors"] = server_log_errors(servers.workdir)[:DETAILS_KEPT]
    result["passed"] = passed(result)
    return result


def _with_own_servers(settings: Settings) -> dict:
    from tests.support.fake_platform import FakePlatform, channel_test_env
    from scripts.stack.servers import running_servers

    fake = FakePlatform().start()  # platform calls stay on the machine
    with tempfile.TemporaryDirectory(prefix="load-") as workdir, \
            running_servers(Path(workdir), extra_env=channel_test_env(fake)) as servers:
        return {**measure(servers, settings), "startup_s": round(servers.startup_seconds, 1)}


def markdown(result: dict) -> str:
    latency, memory = result["latency_ms"], result["rasa_memory"]
    settings = result["settings"]
    rows = [
        ("Result", "PASSED" if result["passed"] else "FAILED"),
        ("Load", f"{result['people']} people at once for {settings['duration']:g} s "
                 f"(think time {settings['think'][0]}–{settings['think'][1]} s), {result['wall_s']} s wall"),
        ("Turns", f"{result['turns_answered']} answered of {result['turns_sent']} sent, "
                  f"{result['turns_per_s']} turns/s"),
        ("Conversations", f"{result['conversations_started']} started, {result['conversations_completed']} completed; "
                          f"at most {result['max_open_conversations']} open and "
                          f"{result['max_in_flight_requests']} requests in flight at once"),
        ("Turn latency", f"p50 {latency['p50']} ms, p95 {latency['p95']} ms, p99 {latency['p99']} ms, "
                         f"max {latency['max']} ms"),
        ("Errors", str(result["errors"])),
        ("Lost messages", f"{result['lost_messages']} (trackers of {result['trackers_read']} of "
                          f"{result['conversations_started']} conversations read back and checked)"),
        ("Mixed conversations", str(result["mixed_conversations"])),
        ("Server log errors", str(len(result["server_log_errors"]))),
    ]
    if memory:
        rows.append(("Rasa server RSS", f"{memory['before']['rss_mb']} MB before, {memory['after']['rss_mb']} MB "
                                        f"after, {memory['max_sampled_mb']} MB max sampled during the run; "
                                        f"peak since start {memory['after']['peak_rss_mb']} MB"))
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    details = "".join(f"\n## {title}\n\n" + "\n".join(f"- {line}" for line in result[key]) + "\n"
                      for title, key in (("Errors", "error_details"), ("Lost messages", "lost_details"),
                                         ("Mixed conversations", "mixed_details"),
                                         ("Server log errors", "server_log_errors")) if result[key])
    return (f"# Load test ({result['date']}, {result['machine']})\n\n"
            f"REST channel on loopback; each person goes through a French intake conversation "
            f"({', '.join(f'{n}: {t} turns' for n, t in settings['scripts'].items())}) and starts a new one "
            f"when it ends. Trackers read back through the HTTP API after the run.\n\n"
            f"| metric | value |\n|---|---|\n{table}\n{details}")


def write_reports(result: dict, reports: Path) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "load.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    (reports / "load.md").write_text(markdown(result), encoding="utf-8")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=25, help="simulated people talking at once")
    parser.add_argument("--duration", type=float, default=180, help="seconds during which conversations start")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a turn counts as an error")
    parser.add_argument("--url", help="an already running Rasa server (loopback only); default: start our own")
    parser.add_argument("--token", help="its auth token (RASA_AUTH_TOKEN), to read the trackers back")
    parser.add_argument("--rasa-pid", type=int, help="its process id, to report its memory")
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the servers we started, like Ctrl-C
    settings = Settings(conversations=args.conversations, duration=args.duration, seed=args.seed,
                        timeout=args.timeout)
    result = run_load_test(settings, args.url, args.token, args.rasa_pid, args.reports)
    print((args.reports / "load.md").read_text(encoding="utf-8"))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
