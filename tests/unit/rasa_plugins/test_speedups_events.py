"""Event classes found by type name once (bot/rasa_plugins/speedups.py): the same class as
Rasa's own search for every name, the same default and error for an unknown one."""
from __future__ import annotations

import pytest
from rasa.shared.core.events import Event, UserUttered, deserialise_events
from rasa.shared.utils.common import all_subclasses

from bot.rasa_plugins import speedups

RASA = speedups._rasa_resolve_event


def test_installed_by_the_server_modules():
    import bot.rasa_plugins.tracker_store  # noqa: F401 (what the Rasa server loads)
    assert Event.resolve_by_type is speedups.resolve_event_by_type


def test_every_event_type_resolves_to_rasa_s_class_twice():
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert len(names) > 20
    for _ in range(2):  # the second time from the cache
        for name in names:
            assert speedups.resolve_event_by_type(name) is RASA(name)


def test_unknown_names_get_rasa_s_default_or_error_and_are_not_remembered():
    assert speedups.resolve_event_by_type("no_such_event", UserUttered) is UserUttered
    with pytest.raises(ValueError) as ours:
        speedups.resolve_event_by_type("no_such_event")
    with pytest.raises(ValueError) as rasa:
        RASA("no_such_event")
    assert str(ours.value) == str(rasa.value)
    assert speedups.resolve_event_by_type("topic") is RASA("topic") is None
    assert "no_such_event" not in speedups._event_classes


def test_an_event_class_defined_later_is_found():
    speedups.resolve_event_by_type("user")

    class LateEvent(UserUttered):
        type_name = "late_event_for_test"

    assert speedups.resolve_event_by_type("late_event_for_test") is LateEvent


def test_a_stored_conversation_deserialises_to_the_same_events():
    stored = [{"event": "action", "name": "action_listen", "timestamp": 1.0},
              {"event": "user", "text": "bonjour", "parse_data": {"intent": {"name": "greet", "confidence": 1.0}},
               "timestamp": 2.0},
              {"event": "slot", "name": "consent", "value": "given", "timestamp": 3.0},
              {"event": "active_loop", "name": "intake_form", "timestamp": 4.0},
              {"event": "bot", "text": "Bonjour", "timestamp": 5.0}]
    ours = deserialise_events(stored)
    assert [type(e) for e in ours] == [RASA(e["event"]) for e in stored]
    assert [e.as_dict() for e in ours] == [RASA(e["event"]).from_parameters(e).as_dict() for e in stored]
