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


# ---------------------------------------------------------------- links and emergency numbers

from bot.safety.messages import safety_message
from bot import content
from bot.legal.engine import default_table

ICS = "http://127.0.0.1:8000/public/bookings/MED-7K2Q.ics?code=PLUME-4821"


def links(text):
    return [(part["text"], part["href"], part["kind"]) for part in rendering.message_parts(text) if "href" in part]


def test_the_helplines_numbers_become_tel_links_and_114_an_sms_link():
    text = safety_message(["domestic", "child", "violence"], "family", repeat=False)
    found = {label: href for label, href, _ in links(text)}
    for line in default_table().helplines:
        if set(line.categories) & {"domestic", "child", "violence"}:
            assert found[line.number] == ("sms:" if line.number == "114" else "tel:") + line.number
    assert found["arretonslesviolences.gouv.fr"] == "https://arretonslesviolences.gouv.fr"
    assert found["allo119.gouv.fr"] == "https://allo119.gouv.fr"  # in the 119 line's label
    # Joined again, the parts are the message: nothing lost, nothing added.
    assert "".join(part["text"] for part in rendering.message_parts(text)) == text
    assert links(content.NEXT_STEPS_SAFETY) == [("17", "tel:17", "tel"), ("112", "tel:112", "tel"), ("114", "sms:114", "sms")]


def test_only_numbers_of_the_table_are_linked_and_only_where_the_text_says_to_call_them():
    assert links("Pour parler à une personne : le 3039 (accès au droit).") == []  # not in the helplines table
    for text in ("lundi 17 novembre à 9 h 00", "le 17 novembre", "le 112 €", "le 15 h", "art. 373-2-10 et 255",
                 "75017 Paris", "Référence : MED-17 — code : X", "06 12 34 56 78", "depuis 15 ans", "au 119,5"):
        assert links(text) == [], text


def test_bare_domains_become_links_but_not_an_email_address():
    assert links("sur conciliateurs.fr, ou simulateur sur justice.fr.") == [
        ("conciliateurs.fr", "https://conciliateurs.fr", "web"), ("justice.fr", "https://justice.fr", "web")]
    assert links("(conciliateurs.fr ou votre mairie)")[0][1] == "https://conciliateurs.fr"
    assert links(content.BOOKING_CONTACT_INVALID) == []  # marie.dupont@exemple.fr stays text
    assert links("Voir https://www.justice.fr/simulateurs/aide-juridictionnelle.") == [
        ("https://www.justice.fr/simulateurs/aide-juridictionnelle", "https://www.justice.fr/simulateurs/aide-juridictionnelle", "web")]


def test_the_calendar_link_shows_a_label_instead_of_its_url_and_code():
    text = content.BOOKING_DONE.format(label="lundi 23 novembre à 9 h 00", reference="MED-7K2Q", secret="PLUME-4821",
                                       ics_url=ICS)
    parts = rendering.message_parts(text)
    (calendar,) = [part for part in parts if part.get("kind") == "calendar"]
    assert calendar == {"text": content.WIDGET_CALENDAR_LINK, "href": ICS, "kind": "calendar"}
    shown = "".join(part["text"] for part in parts)
    assert ICS not in shown and "?code=" not in shown and "MED-7K2Q" in shown
    assert "Ajouter à votre agenda : " + content.WIDGET_CALENDAR_LINK in shown


def test_a_widget_message_carries_text_parts_and_buttons():
    message = rendering.widget_message("Appelez le 17.", YES_NO)
    assert message["text"] == "Appelez le 17." and message["buttons"] == YES_NO
    assert message["parts"] == [{"text": "Appelez le "}, {"text": "17", "href": "tel:17", "kind": "tel"}, {"text": "."}]
    assert "buttons" not in rendering.widget_message("Bonjour")


def test_the_permanent_emergency_line_comes_from_the_helplines_table():
    line = rendering.emergency_line()
    table = {h.number: h for h in default_table().helplines}
    assert line["label"] == "En danger ?"
    assert [n["number"] for n in line["numbers"]] == ["17", "112", "114", "3919", "119"]
    for entry in line["numbers"]:
        assert entry["label"] == table[entry["number"]].label  # never a number or a label of our own
    shown = " · ".join(n["number"] + n["suffix"] for n in line["numbers"])
    assert shown == "17 · 112 · 114 (SMS) · 3919 · 119"
    assert [n["href"] for n in line["numbers"]] == ["tel:17", "tel:112", "sms:114", "tel:3919", "tel:119"]


def test_whatsapp_and_messenger_text_write_domains_as_https_urls_and_numbers_as_plain_digits():
    text = "Un conciliateur (conciliateurs.fr) ; appelez le 39 19 ou le 17 ; écrivez à marie@exemple.fr ; https://justice.fr."
    expected = ("Un conciliateur (https://conciliateurs.fr) ; appelez le 3919 ou le 17 ; écrivez à marie@exemple.fr ; "
                "https://justice.fr.")
    assert rendering.for_messaging_apps(text) == expected
    (whatsapp,) = rendering.whatsapp_messages(text, None)
    assert whatsapp["text"]["body"] == expected
    (messenger,) = rendering.messenger_messages(text, YES_NO)
    assert messenger["attachment"]["payload"]["text"] == expected
    # The safety message's numbers reach both apps as plain digits, never with "tel:" or a +33 prefix.
    safety = safety_message(["domestic"], None, repeat=False)
    body = rendering.whatsapp_messages(safety, None)[0]["text"]["body"]
    assert "• 3919 – " in body and "• 114 – " in body and "tel:" not in body and "+33" not in body
