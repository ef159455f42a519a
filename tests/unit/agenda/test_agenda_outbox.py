"""The outbox (bot/agenda/outbox.py): one message per key, written in the caller's
transaction, encrypted at rest."""
from __future__ import annotations

import sqlalchemy as sa

from bot.agenda import db, outbox
from bot.agenda.schema import outbox as outbox_table
from tests.support.agenda_fixtures import NOW


def _engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'agenda.db'}")
    db.migrate(engine)
    return engine


def _message(**overrides):
    return {"dedup_key": "booking:1:confirmed:person:email", "channel": "email", "recipient": "jeanne@example.org",
            "recipient_kind": "person", "subject": "Rendez-vous MED-23456", "text": "Bonjour Jeanne Martin",
            "html": "<p>Bonjour Jeanne Martin</p>", "attachments": [("MED-23456.ics", "text/calendar", b"BEGIN")],
            "now": NOW, **overrides}


def test_enqueue_writes_once_per_key_and_decodes_back(tmp_path):
    engine = _engine(tmp_path)
    with engine.begin() as connection:
        assert outbox.enqueue(connection, **_message()) is True
        assert outbox.enqueue(connection, **_message(text="autre")) is False  # same key: nothing written
        assert outbox.enqueue(connection, **_message(dedup_key="booking:1:confirmed:mediator:email",
                                                     recipient_kind="mediator")) is True
    with engine.connect() as connection:
        rows = connection.execute(sa.select(outbox_table).order_by(outbox_table.c.id)).all()
    assert [row.status for row in rows] == ["pending", "pending"]
    assert rows[0].next_attempt_at == rows[0].send_after == NOW and rows[0].attempts == 0
    message = outbox.decode(rows[0])
    assert (message.recipient, message.text, message.html) == ("jeanne@example.org", "Bonjour Jeanne Martin",
                                                               "<p>Bonjour Jeanne Martin</p>")
    assert message.attachments == [("MED-23456.ics", "text/calendar", b"BEGIN")]
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("agenda.db*"))
    assert b"jeanne@example.org" not in raw and b"Jeanne Martin" not in raw


def test_a_rolled_back_transaction_leaves_no_message(tmp_path):
    engine = _engine(tmp_path)
    try:
        with engine.begin() as connection:
            outbox.enqueue(connection, **_message())
            raise RuntimeError("the booking failed")
    except RuntimeError:
        pass
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar() == 0


def test_enqueue_refuses_an_unknown_channel_or_recipient_kind(tmp_path):
    import pytest

    engine = _engine(tmp_path)
    with engine.begin() as connection:
        with pytest.raises(ValueError):
            outbox.enqueue(connection, **_message(channel="fax"))
        with pytest.raises(ValueError):
            outbox.enqueue(connection, **_message(recipient_kind="neighbour"))
