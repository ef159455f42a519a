"""Maintenance of the stored conversations (the tracker store of endpoints.yml).

    python -m bot.privacy purge [--days N] [--dry-run]   # retention (RETENTION_DAYS, default 30)
    python -m bot.privacy rotate                         # re-encrypt with the newest key
    python -m bot.privacy erase CONVERSATION_ID          # a person's erasure request, by hand

Reads .env like scripts/stack/servers.py (a variable already set in the environment wins).
Prints counts only.
"""
from __future__ import annotations

import argparse
import os
import sys

from bot.paths import ROOT, read_dotenv


def open_store(endpoints: str, domain=None):
    from rasa.utils.endpoints import read_endpoint_config

    from bot.rasa_plugins.tracker_store import ConsentAwareSQLTrackerStore

    os.environ["TRACKER_DB"] = str(ROOT / os.environ.get("TRACKER_DB", "var/tracker.db"))  # as scripts/stack/servers.py
    os.environ.setdefault("ACTION_SERVER_TOKEN", "")  # endpoints.yml names it; unused here
    config = read_endpoint_config(endpoints, "tracker_store")
    if config is None:
        sys.exit(f"No tracker_store in {endpoints}")
    settings = dict(config.kwargs)
    settings.pop("type", None)
    return ConsentAwareSQLTrackerStore(domain=domain, host=config.url, **settings)


def erase(store, conversation_id: str) -> str:
    """The operator's erasure: same steps as the widget's and app's routes (bot/privacy/erasure.py).
    The lock is this process's own: run it when the person is not writing at that moment."""
    import asyncio
    from types import SimpleNamespace

    from rasa.core.lock_store import InMemoryLockStore

    from bot.privacy.erasure import erase_person

    agent = SimpleNamespace(tracker_store=store, lock_store=InMemoryLockStore())
    report = asyncio.run(erase_person(agent, conversation_id))
    booking = f"; personal data removed from booking {report.booking_reference}" if report.booking_reference else ""
    return f"Erased {report.events} events{booking}."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.privacy", description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", default=str(ROOT / "endpoints.yml"))
    commands = parser.add_subparsers(dest="command", required=True)
    purge_parser = commands.add_parser("purge", help="delete idle conversations that led to no booking")
    purge_parser.add_argument("--days", type=int, help="retention in days (default: RETENTION_DAYS or 30)")
    purge_parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    commands.add_parser("rotate", help="re-encrypt every stored event with the newest key")
    erase_parser = commands.add_parser("erase", help="erase one conversation and the person's data in its booking")
    erase_parser.add_argument("conversation_id")
    args = parser.parse_args(argv)

    read_dotenv(ROOT / ".env")
    from bot.agenda.client import AgendaUnavailable
    from bot.privacy import crypto, retention

    try:
        if args.command == "erase":
            from rasa.shared.core.domain import Domain
            print(erase(open_store(args.endpoints, Domain.load(str(ROOT / "domain.yml"))), args.conversation_id))
            return 0
        store = open_store(args.endpoints)
        if args.command == "purge":
            days = args.days if args.days is not None else retention.retention_days()
            if days < 1:
                parser.error("--days must be at least 1")
            result = retention.purge(store, days, dry_run=args.dry_run)
            verb = "would delete" if args.dry_run else "deleted"
            print(f"Retention {days} days: {verb} {result.conversations} conversations ({result.events} events); "
                  f"{result.kept_with_booking} idle conversations kept because they led to a booking.")
        else:
            print(f"Re-encrypted {retention.rotate(store)} events with the newest key.")
    except (crypto.TrackerKeyError, ValueError) as error:  # a key, or RETENTION_DAYS that is no number
        print(f"error: {error}", file=sys.stderr)
        return 2
    except AgendaUnavailable:
        print("error: the agenda cannot be reached; nothing was erased, try again", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
