"""bot/rasa_plugins/speedups.py: the action server's answer checked as Rasa checks it, and the
patch kept off on another Rasa version (the spaCy model and the trained model:
tests/e2e/test_rasa_speedups.py)."""
from __future__ import annotations

import copy
import importlib

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from bot.rasa_plugins import speedups

# The Rasa server loads our tracker store from endpoints.yml, and that installs the speed-ups.
importlib.import_module("bot.rasa_plugins.tracker_store")

ANSWER = {"events": [{"event": "slot", "timestamp": None, "name": "consent", "value": "given"},
                     {"event": "active_loop", "name": None}],
          "responses": [{"text": "Bien noté."}]}
BAD_ANSWERS = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot", "value": 1}], "responses": []},  # a slot event without its name
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [], "responses": ["not an object"]},
]


def test_another_rasa_version_keeps_rasa_s_own_code(monkeypatch, caplog):
    import rasa
    monkeypatch.setattr(RemoteAction, "_validate_action_result", "rasa's own")
    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    assert speedups.install() is False
    assert RemoteAction._validate_action_result == "rasa's own"
    assert "not installed" in caplog.text
    monkeypatch.setattr(rasa, "__version__", speedups.PATCHED_RASA_VERSION)
    assert speedups.install() is True
    assert RemoteAction._validate_action_result is speedups._validate_action_result


def test_a_valid_answer_passes():
    assert RemoteAction("action_x", None)._validate_action_result(copy.deepcopy(ANSWER)) is True


@pytest.mark.parametrize("answer", BAD_ANSWERS)
def test_an_invalid_answer_raises_the_error_jsonschema_validate_raises(answer):
    with pytest.raises(ValidationError) as expected:
        validate(answer, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as ours:
        RemoteAction("action_x", None)._validate_action_result(answer)
    assert ours.value.message.startswith(expected.value.message + ". Failed to validate Action server response")
    assert list(ours.value.path) == list(expected.value.path)
