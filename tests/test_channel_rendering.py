"""Channel rendering and webhook signatures (plain Python, no server)."""
from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from bot.channels import rendering
from bot.channels.signatures import meta_signature, meta_signature_valid, twilio_signature_valid

SLOT_BUTTONS = [
    {"title": "Samira Ouarzadi (démo), lundi 23 novembre à 9 h 00, en visio", "payload": '/inform{"choice":"slot_1429"}'},
    {"title": "Fanny Phocéenne (démo), lundi 23 novembre à 9 h 00, en visio", "payload": '/inform{"choice":"slot_1732"}'},
    {"title": "Maëlle Kerbrinec (démo), lundi 23 novembre à 10 h 00, en visio", "payload": '/inform{"choice":"slot_301"}'},
    {"title": "Autres créneaux", "payload": '/inform{"choice":"more"}'},
    {"title": "Pas maintenant", "payload": '/inform{"choice":"later"}'},
]
YES_NO = [{"title": "J'accepte", "payload": "/affirm"}, {"title": "Je refuse", "payload": "/deny"}]


def test_meta_signature_is_checked_on_the_raw_body_in_constant_time():
    body = b'{"object":"page","entry":[]}'
    good = meta_signature("s3cret", body)
    assert meta_signature_valid("s3cret", body, good)
    assert not meta_signature_valid("s3cret", body + b" ", good)
    assert not meta_signature_valid("other", body, good)
    for header in (None, "", "sha1=abc", good.replace("sha256=", "")):
        assert not meta_signature_valid("s3cret", body, header)
    assert not meta_signature_valid(None, body, good)  # no secret configured: refuse, never accept


def test_twilio_signature_uses_twilios_validator():
    url, params = "https://example.org/webhooks/twilio/webhook", {"From": "+33612345678", "Body": "Bonjour"}
    header = RequestValidator("tok").compute_signature(url, params)
    assert twilio_signature_valid("tok", url, params, header)
    assert not twilio_signature_valid("tok", url, {**params, "Body": "forgé"}, header)
    assert not twilio_signature_valid("tok", url, params, None) and not twilio_signature_valid(None, url, params, header)


def test_split_text_keeps_every_word_and_respects_the_limit():
    text = ("Première phrase assez longue. " * 80).strip() + "\n\nDeuxième paragraphe."
    parts = rendering.split_text(text, 200)
    assert all(len(part) <= 200 for part in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())
    assert rendering.split_text("x" * 450, 200) == ["x" * 200, "x" * 200, "x" * 50]
    assert rendering.split_text("   ", 10) == []


def test_shorten_cuts_at_a_word_and_never_exceeds():
    assert rendering.shorten("Autres créneaux", 20) == "Autres créneaux"
    short = rendering.shorten("Samira Ouarzadi (démo), lundi 23 novembre", 20)
    assert len(short) <= 20 and short.endswith("…") and short.startswith("Samira")


def test_messenger_two_short_buttons_become_a_button_template():
    (message,) = rendering.messenger_messages("Acceptez-vous ?", YES_NO)
    payload = message["attachment"]["payload"]
    assert payload["template_type"] == "button" and [b["payload"] for b in payload["buttons"]] == ["/affirm", "/deny"]


def test_messenger_long_labels_become_numbered_quick_replies_with_the_full_labels_in_the_text():
    (message,) = rendering.messenger_messages("Quel créneau vous convient ?", SLOT_BUTTONS)
    replies = message["quick_replies"]
    assert len(replies) == 5 and all(len(reply["title"]) <= 20 for reply in replies)
    assert replies[0]["title"].startswith("1. ") and replies[0]["payload"] == SLOT_BUTTONS[0]["payload"]
    assert SLOT_BUTTONS[2]["title"] in message["text"] and "3. Maëlle" in message["text"]


def test_messenger_caps_quick_replies_at_13_and_splits_long_text():
    many = [{"title": f"Choix {i}", "payload": f'/inform{{"choice":"c{i}"}}'} for i in range(20)]
    messages = rendering.messenger_messages("a" * 4500, many)
    assert len(messages[-1]["quick_replies"]) == 13
    assert all(len(m["text"]) <= 2000 for m in messages) and len(messages) == 3


def test_whatsapp_up_to_three_short_buttons_are_reply_buttons():
    (message,) = rendering.whatsapp_messages("Acceptez-vous ?", YES_NO)
    action = message["interactive"]["action"]
    assert message["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in action["buttons"]] == ["/affirm", "/deny"]


def test_whatsapp_slots_become_a_list_within_its_limits():
    (message,) = rendering.whatsapp_messages("Quel créneau vous convient ?", SLOT_BUTTONS)
    interactive = message["interactive"]
    rows = interactive["action"]["sections"][0]["rows"]
    assert interactive["type"] == "list" and len(rows) == 5 and len(interactive["action"]["button"]) <= 20
    assert all(len(row["title"]) <= 24 and len(row.get("description", "")) <= 72 for row in rows)
    assert rows[0]["id"] == SLOT_BUTTONS[0]["payload"] and "lundi 23 novembre" in rows[0]["description"]
    eleven = [{"title": f"Choix {i}", "payload": f"/x{i}"} for i in range(11)]
    assert len(rendering.whatsapp_messages("?", eleven)[-1]["interactive"]["action"]["sections"][0]["rows"]) == 10


def test_whatsapp_long_text_is_split_at_4096_and_a_long_body_before_buttons_at_1024():
    assert [len(m["text"]["body"]) <= 4096 for m in rendering.whatsapp_messages("b " * 5000, None)] == [True] * 3
    messages = rendering.whatsapp_messages("c " * 800, YES_NO)
    assert messages[0]["type"] == "text" and len(messages[-1]["interactive"]["body"]["text"]) <= 1024


@pytest.mark.parametrize("typed, expected", [
    ('/inform{"choice":"slot_1"}', 'inform{"choice":"slot_1"}'), ("  //stop", "stop"), ("bonjour /x", "bonjour /x"),
    (None, ""),
])
def test_a_leading_slash_typed_by_a_person_is_never_an_intent(typed, expected):
    assert rendering.typed_text(typed) == expected
