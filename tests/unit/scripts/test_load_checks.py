"""The load test of issue 6 (scripts/bench/load_test.py): its checks on fakes (the real load:
tests/e2e/test_load.py)."""
from __future__ import annotations

import pytest

from scripts.bench import load_test
from bot import content
from scripts.bench.load_test import Conversation, Marker

OURS, THEIRS = Marker("38100", 20_007), Marker("29000", 20_014)


def finished(sender: str = "load-a", marker: Marker = OURS, script: str = "hedge") -> Conversation:
    """A completed conversation: every message answered, the recap showing the marker."""
    conversation = Conversation(sender, script, marker, complete=True)
    conversation.sent = conversation.messages()
    recap = content.RECAP_TITLE + f"\n• Montant en jeu : {content.euros(marker.amount_eur)}\n• Lieu : {marker.postal_code} (Isère)"
    recap_turn = next(n for n, text in enumerate(conversation.sent) if marker.postal_code in text) + 1
    conversation.replies = [[{"text": recap if n == recap_turn else "Bien noté."}] for n in range(len(conversation.sent))]
    return conversation


def tracker_of(conversation: Conversation) -> dict:
    """What Rasa's HTTP API returns when everything went right."""
    events = [{"event": "user", "text": text} for text in load_test.expected_user_texts(conversation)]
    events += [{"event": "bot", "text": text} for text in conversation.reply_texts()]
    return {"events": events, "slots": {"postal_code": conversation.marker.postal_code,
                                        "amount_eur": float(conversation.marker.amount_eur)}}


def findings_for(conversation: Conversation, tracker: dict | None, *others: Conversation):
    return load_test.check([conversation, *others], {conversation.sender: tracker,
                                                     **{other.sender: tracker_of(other) for other in others}})


def test_a_clean_conversation_passes():
    conversation, other = finished(), finished("load-b", THEIRS, "inheritance")
    findings = findings_for(conversation, tracker_of(conversation), other)
    assert findings.lost == [] and findings.mixed == {}


def test_before_consent_the_tracker_holds_redacted_messages():
    conversation = finished()
    expected = load_test.expected_user_texts(conversation)
    assert expected[:load_test.CONSENT_TURN] == [None] and expected[1] == "/affirm"
    assert expected[1:] == conversation.sent[1:]


def test_a_message_missing_from_the_tracker_is_lost():
    conversation = finished()
    tracker = tracker_of(conversation)
    del tracker["events"][5]
    findings = findings_for(conversation, tracker)
    assert findings.lost == ["load-a: turn 5 missing from the tracker or out of order"]


def test_messages_out_of_order_or_in_clear_before_consent_are_caught():
    conversation = finished()
    swapped = tracker_of(conversation)
    swapped["events"][3], swapped["events"][4] = swapped["events"][4], swapped["events"][3]
    assert findings_for(conversation, swapped).lost
    unredacted = tracker_of(conversation)
    unredacted["events"][0]["text"] = "Bonjour"
    assert findings_for(conversation, unredacted).lost


def test_a_turn_without_reply_or_a_missing_tracker_is_lost():
    conversation = finished()
    conversation.replies[2] = []
    assert findings_for(conversation, tracker_of(conversation)).lost == ["load-a: turn 2 got no reply"]
    assert len(findings_for(finished(), None).lost) == len(conversation.sent)


@pytest.mark.parametrize("where", ["bot event", "user event", "slot", "reply"])
def test_another_conversations_marker_is_caught(where):
    conversation, other = finished(), finished("load-b", THEIRS)
    tracker = tracker_of(conversation)
    foreign = f"Lieu : {THEIRS.postal_code} (Finistère)"
    if where == "bot event":
        tracker["events"].append({"event": "bot", "text": foreign})
    elif where == "user event":
        tracker["events"].append({"event": "user", "text": "environ 20 014 €"})  # their amount, typed
    elif where == "slot":
        tracker["slots"]["amount_eur"] = float(THEIRS.amount_eur)
    else:
        conversation.replies[-1].append({"text": foreign})
    findings = findings_for(conversation, tracker, other)
    assert "load-a" in findings.mixed and "load-b" not in findings.mixed


def test_a_finished_conversation_must_show_its_own_marker():
    conversation = finished()
    tracker = tracker_of(conversation)
    tracker["slots"]["postal_code"] = None
    assert findings_for(conversation, tracker).mixed["load-a"][0].startswith("slots hold None")
    conversation.replies = [[{"text": "Bien noté."}] for _ in conversation.sent]
    assert "its recap does not show its marker" in findings_for(conversation, tracker_of(conversation)).mixed["load-a"][0]


def test_errors_are_non_200_exceptions_and_the_crash_apology():
    assert load_test.reply_error(200, [{"text": "Bonjour"}], None) is None
    assert load_test.reply_error(200, [], None) is None  # no reply: counted as lost, not as an error
    assert load_test.reply_error(500, None, None) == "HTTP 500"
    assert load_test.reply_error(None, None, "TimeoutError") == "TimeoutError"
    assert load_test.reply_error(200, [{"text": content.SERVICE_UNAVAILABLE}], None) == "crash apology"


def test_markers_are_unique_and_never_in_the_assistants_own_texts():
    pool = load_test.marker_pool(seed=6)
    tokens = [token for marker in pool for token in marker.tokens()]
    assert len(pool) > 1000 and len(tokens) == len(set(tokens))
    assert "69003" not in tokens  # "par exemple 69003" in the postal code question
    assert load_test.tokens_in(content.euros(20_007.0)) == {"20 007 €"}


def test_concurrency_is_measured_from_the_conversations_times():
    conversations = [Conversation(f"c{n}", "hedge", OURS, started=start, ended=end)
                     for n, (start, end) in enumerate([(0, 10), (1, 5), (2, 3), (6, 9), (11, 12)])]
    assert load_test.max_open_conversations(conversations) == 3


def test_only_loopback_addresses():
    assert load_test.require_loopback("http://127.0.0.1:5005/") == "http://127.0.0.1:5005"
    with pytest.raises(SystemExit):
        load_test.require_loopback("http://example.org:5005")
