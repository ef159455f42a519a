"""Agenda service command line.

  python -m bot.agenda serve [--host 127.0.0.1] [--port 5056]
  python -m bot.agenda migrate
  python -m bot.agenda import-csv directory.csv
  python -m bot.agenda import-ics <external_id> <file.ics | https://…> [--session-minutes 60]
  python -m bot.agenda load-demo
  python -m bot.agenda mediator add|edit|deactivate|activate|list …   (bot/agenda/space/admin.py)
  python -m bot.agenda failed-messages     # messages given up on after their retries (no personal data)
  python -m bot.agenda rotate-keys         # re-encrypt the personal data with the newest key (make rotate)

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

import sqlalchemy as sa

from bot.agenda import db, demo, importers, outbox, sealed
from bot.agenda.schema import bookings, outbox as outbox_table
from bot.agenda.space import admin as space_admin
from bot.agenda.store import utcnow


def _read(source: str) -> str:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as reply:  # a mediator's published feed
            return reply.read().decode("utf-8")
    return Path(source).read_text(encoding="utf-8")


def rotate_keys(engine: sa.engine.Engine) -> int:
    """Every encrypted value of the agenda re-encrypted with the newest key of
    TRACKER_ENCRYPTION_KEYS, and the values written in clear before (bookings made before
    migration 0003) encrypted. The number of rows rewritten."""
    count = 0
    for table, columns in ((bookings, ("person_name", "person_email", "person_phone", "brief")),
                           (outbox_table, ("recipient", "body_text", "body_html", "attachments"))):
        with engine.begin() as connection:
            for row in connection.execute(sa.select(table.c.id, *(table.c[name] for name in columns))).all():
                values = {name: sealed.rotate(getattr(row, name)) for name in columns
                          if getattr(row, name) not in (None, "")}
                if values:
                    connection.execute(table.update().where(table.c.id == row.id).values(**values))
                    count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.agenda")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5056)
    commands.add_parser("migrate")
    commands.add_parser("load-demo")
    commands.add_parser("failed-messages")
    commands.add_parser("rotate-keys")
    csv_command = commands.add_parser("import-csv")
    csv_command.add_argument("file")
    ics_command = commands.add_parser("import-ics")
    ics_command.add_argument("external_id")
    ics_command.add_argument("source")
    ics_command.add_argument("--session-minutes", type=int, default=60)
    space_admin.add_parser(commands)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s agenda %(levelname)s %(message)s")

    if args.command == "serve":
        from bot.agenda.service import build_from_environment
        app, _store = build_from_environment()
        web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)
        return 0
    if args.command in ("failed-messages", "rotate-keys"):  # `make rotate` and the operator: keys from .env
        from bot.paths import read_dotenv
        read_dotenv()
    engine = db.make_engine()
    db.migrate(engine)
    if args.command == "failed-messages":
        with engine.connect() as connection:
            failed = outbox.failed(connection)
        for row in failed:
            print(json.dumps(row, ensure_ascii=False))
        print(f"{len(failed)} failed message(s).", file=sys.stderr)
        return 1 if failed else 0
    if args.command == "mediator":
        code, result = space_admin.run(engine, args, utcnow())
        space_admin.print_report(result)
        return code
    if args.command == "rotate-keys":
        print(f"Re-encrypted {rotate_keys(engine)} agenda rows with the newest key.")
        return 0
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
