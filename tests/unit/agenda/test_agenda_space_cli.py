"""The operator's command line for the directory: add, edit, deactivate, activate, list."""
from __future__ import annotations

import json
from datetime import time

import sqlalchemy as sa

from bot.agenda import db
from bot.agenda.__main__ import main
from bot.agenda.schema import mediator_sessions, mediators, slots
from bot.agenda.space import auth, hours
from bot.agenda.store import utcnow

ADD = ["mediator", "add", "--external-id", "med-1", "--name", "Claire Martin", "--email", "Claire@Exemple.fr",
       "--specialities", "family|consumer", "--modes", "phone|video", "--address", "3 rue de la Paix",
       "--postal-code", "75011"]


def run(capsys, *argv) -> tuple[int, dict]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_add_edit_deactivate_activate_and_list(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path}/agenda.db"
    monkeypatch.setenv("AGENDA_DATABASE_URL", url)
    assert run(capsys, *ADD)[0] == 0
    assert run(capsys, *ADD) == (1, {"error": "mediator 'med-1' already exists (use edit)"})
    code, report = run(capsys, "mediator", "edit", "--external-id", "med-1", "--modes", "in_person|phone")
    assert code == 0
    engine = db.make_engine(url)
    with engine.connect() as connection:
        row = connection.execute(sa.select(mediators)).first()
    assert row.email == "claire@exemple.fr" and row.modes == ["in_person", "phone"] and row.commune == "Paris"
    assert row.specialities == ["family", "consumer"] and row.active
    code, report = run(capsys, "mediator", "edit", "--external-id", "med-1", "--postal-code", "00000")
    assert code == 1 and "postal code" in report["error"]
    assert run(capsys, "mediator", "edit", "--external-id", "nobody", "--name", "X")[0] == 1
    # Deactivation signs the mediator out and withdraws their generated slots.
    now = utcnow()
    hours.add_rule(engine, row.id, 2, time(9), time(12), ["phone"], now)
    with engine.begin() as connection:
        connection.execute(mediator_sessions.insert().values(id_hash="x" * 64, mediator_id=row.id, created_at=now,
                                                             expires_at=now.replace(year=now.year + 1)))
    assert run(capsys, "mediator", "deactivate", "--external-id", "med-1") == (0, {"external_id": "med-1", "active": False})
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(mediator_sessions)).scalar() == 0
        assert connection.execute(sa.select(sa.func.count()).select_from(slots).where(slots.c.status == "open")).scalar() == 0
    assert auth.session_mediator(engine, "x", now) is None
    assert run(capsys, "mediator", "activate", "--external-id", "med-1")[0] == 0
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(slots).where(slots.c.status == "open")).scalar() > 0
    code, listing = run(capsys, "mediator", "list")
    assert listing["mediators"] == [{"external_id": "med-1", "name": "Claire Martin", "email": "claire@exemple.fr",
                                     "active": True}]
