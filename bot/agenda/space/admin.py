"""The operator's side of the mediators' directory, from the command line:

  python -m bot.agenda mediator add --external-id ID --name N --email E --specialities family|consumer
        --modes phone|video --address A --postal-code 75011 [--areas 75|92] [--languages fr|en]
  python -m bot.agenda mediator edit --external-id ID [any field above]
  python -m bot.agenda mediator deactivate --external-id ID   (signed out, no slot offered)
  python -m bot.agenda mediator activate --external-id ID
  python -m bot.agenda mediator list

The same validation as the CSV import (importers._mediator_values). Output: one JSON line.
"""
from __future__ import annotations

import argparse
import json
from datetime import datetime

import sqlalchemy as sa

from bot.agenda import importers
from bot.agenda.schema import mediators
from bot.agenda.space import auth, hours

FIELDS = ("name", "email", "specialities", "sub_specialities", "modes", "address", "postal_code", "areas_served",
          "languages")
_OPTIONS = {"name": "--name", "email": "--email", "specialities": "--specialities",
            "sub_specialities": "--sub-specialities", "modes": "--modes", "address": "--address",
            "postal_code": "--postal-code", "areas_served": "--areas", "languages": "--languages"}


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("mediator", help="add, edit, deactivate or list mediators")
    actions = parser.add_subparsers(dest="action", required=True)
    for action in ("add", "edit"):
        sub = actions.add_parser(action)
        sub.add_argument("--external-id", required=True)
        for field, option in _OPTIONS.items():
            sub.add_argument(option, dest=field, help="lists separated by |" if field not in
                             ("name", "email", "address", "postal_code") else None)
    for action in ("deactivate", "activate"):
        actions.add_parser(action).add_argument("--external-id", required=True)
    actions.add_parser("list")


def _as_csv_row(values: dict) -> dict[str, str]:
    return {key: "|".join(value) if isinstance(value, list) else str(value) for key, value in values.items()}


def run(engine: sa.engine.Engine, args: argparse.Namespace, now: datetime) -> tuple[int, dict]:
    """(exit code, JSON report)."""
    if args.action == "list":
        with engine.connect() as connection:
            rows = connection.execute(sa.select(mediators.c.external_id, mediators.c.name, mediators.c.email,
                                                mediators.c.active).order_by(mediators.c.external_id)).fetchall()
        return 0, {"mediators": [dict(row._mapping) for row in rows]}
    with engine.begin() as connection:
        existing = connection.execute(sa.select(mediators).where(mediators.c.external_id == args.external_id)).first()
        if args.action in ("deactivate", "activate"):
            if existing is None:
                return 1, {"error": f"unknown mediator {args.external_id!r}"}
            active = args.action == "activate"
            connection.execute(mediators.update().where(mediators.c.id == existing.id).values(active=active))
            if not active:
                auth.end_all_sessions(connection, existing.id)
            hours.regenerate(connection, existing.id, now)  # withdraws (or brings back) the generated slots
            return 0, {"external_id": args.external_id, "active": active}
        if args.action == "add" and existing is not None:
            return 1, {"error": f"mediator {args.external_id!r} already exists (use edit)"}
        if args.action == "edit" and existing is None:
            return 1, {"error": f"unknown mediator {args.external_id!r}"}
        row = _as_csv_row({field: getattr(existing, field) for field in FIELDS}) if existing is not None else {}
        row.update({field: getattr(args, field) for field in FIELDS if getattr(args, field) is not None})
        row["external_id"] = args.external_id
        try:
            values = importers._mediator_values(row)
        except ValueError as error:
            return 1, {"error": str(error)}
        if existing is None:
            connection.execute(mediators.insert().values(**values))
        else:
            values.pop("active")  # edit never reactivates: that is `activate`
            connection.execute(mediators.update().where(mediators.c.id == existing.id).values(**values))
        return 0, {"external_id": args.external_id, "action": args.action}


def print_report(report: dict) -> None:
    print(json.dumps(report, ensure_ascii=False, default=str))
