"""Agenda service command line.

  python -m bot.agenda serve [--host 127.0.0.1] [--port 5056]
  python -m bot.agenda migrate
  python -m bot.agenda import-csv directory.csv
  python -m bot.agenda import-ics <external_id> <file.ics | https://…> [--session-minutes 60]
  python -m bot.agenda load-demo

The database is AGENDA_DATABASE_URL, else DATABASE_URL, else SQLite var/agenda.db.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import urllib.request
from pathlib import Path

from aiohttp import web

from bot.agenda import db, demo, importers
from bot.agenda.store import utcnow


def _read(source: str) -> str:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as reply:  # a mediator's published feed
            return reply.read().decode("utf-8")
    return Path(source).read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.agenda")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5056)
    commands.add_parser("migrate")
    commands.add_parser("load-demo")
    csv_command = commands.add_parser("import-csv")
    csv_command.add_argument("file")
    ics_command = commands.add_parser("import-ics")
    ics_command.add_argument("external_id")
    ics_command.add_argument("source")
    ics_command.add_argument("--session-minutes", type=int, default=60)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s agenda %(levelname)s %(message)s")

    if args.command == "serve":
        from bot.agenda.service import build_from_environment
        app, _store = build_from_environment()
        web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)
        return 0
    engine = db.make_engine()
    db.migrate(engine)
    if args.command == "migrate":
        report = importers.ImportReport()
    elif args.command == "load-demo":
        report = demo.load_demo(engine, utcnow())
    elif args.command == "import-csv":
        report = importers.import_directory_csv(engine, _read(args.file))
    else:
        report = importers.import_availability_ics(engine, args.external_id, _read(args.source), utcnow(),
                                                   session_minutes=args.session_minutes)
    print(json.dumps(report.as_json(), ensure_ascii=False))
    return 1 if report.errors and not (report.created or report.updated) else 0


if __name__ == "__main__":
    sys.exit(main())
