import json

import pytest

from bot import booking
from bot.booking import (
    LATER,
    MORE,
    build_brief,
    masked_contact,
    offer_buttons,
    offer_label,
    parse_confirmation,
    parse_contact,
    parse_name,
    parse_slot_choice,
    when_label,
)

OFFERS = [
    {"slot_id": 11, "mediator_name": "Claire Fontanel (démo)", "starts_at": "2026-11-24T13:00:00Z",
     "mode": "in_person", "place": "Paris"},
    {"slot_id": 42, "mediator_name": "Mathieu Ravelot (démo)", "starts_at": "2026-11-25T09:00:00Z",
     "mode": "phone", "place": ""},
]


# ---- parse_contact ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    ["06 12 34 56 78", "06.12.34.56.78", "0612345678", "+33 6 12 34 56 78", "+33612345678",
     "mon numéro : 06 12 34 56 78"],
)
def test_contact_french_mobile(text):
    assert parse_contact(text) == {"phone": "+33612345678"}


def test_contact_reunion_mobile():
    assert parse_contact("+262 692 12 34 56") == {"phone": "+262692123456"}


def test_contact_email_domain_lowercased():
    result = parse_contact("Marie.Dupont@Exemple.FR")
    assert result is not None
    assert set(result) == {"email"}
    local, _, domain = result["email"].partition("@")
    assert domain == "exemple.fr"
    assert local.lower() == "marie.dupont"


def test_contact_email_in_sentence():
    assert parse_contact("vous pouvez m'écrire à marie@exemple.fr.") == {"email": "marie@exemple.fr"}


@pytest.mark.parametrize("text", ["a@b", "je voudrais un rendez-vous demain", "", "   ", None, "12 34"])
def test_contact_invalid(text):
    assert parse_contact(text) is None


# ---- parse_name -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, name",
    [
        ("Marie Dupont", "Marie Dupont"),
        ("je m'appelle Jean-Pierre O'Neil", "Jean-Pierre O'Neil"),
        ("Je suis Marie Dupont", "Marie Dupont"),
        ("je m’appelle Marie Dupont", "Marie Dupont"),  # typographic apostrophe, as phones type it
        ("Hélène Lefèvre", "Hélène Lefèvre"),
        ("Zoé", "Zoé"),
        ("  Marie   Dupont. ", "Marie Dupont"),
    ],
)
def test_name_accepted(text, name):
    assert parse_name(text) == name


@pytest.mark.parametrize(
    "text",
    ["Marie 2", "06 12 34 56 78", "<script>alert(1)</script>", "marie@exemple.fr", "A", "", None, "a" * 200],
)
def test_name_rejected(text):
    assert parse_name(text) is None


# ---- parse_slot_choice ------------------------------------------------------------------

def test_choice_button_of_shown_offer():
    assert parse_slot_choice("slot_42", None, OFFERS) is OFFERS[1]


def test_choice_button_of_offer_not_shown():
    assert parse_slot_choice("slot_99", None, OFFERS) is None


def test_choice_buttons_more_and_later():
    assert parse_slot_choice(MORE, None, OFFERS) == MORE
    assert parse_slot_choice(LATER, None, OFFERS) == LATER


@pytest.mark.parametrize(
    "text, index",
    [("le deuxième", 1), ("2", 1), ("Le premier", 0), ("1", 0), ("je prends le second svp", 1)],
)
def test_choice_typed_ordinal(text, index):
    assert parse_slot_choice(None, text, OFFERS) is OFFERS[index]


@pytest.mark.parametrize("text", ["autres créneaux", "changer", "aucun ne me va", "rien ne me convient"])
def test_choice_typed_more(text):
    assert parse_slot_choice(None, text, OFFERS) == MORE


@pytest.mark.parametrize("text", ["pas maintenant", "plus tard", "non merci", "une autre fois"])
def test_choice_typed_later(text):
    assert parse_slot_choice(None, text, OFFERS) == LATER


@pytest.mark.parametrize("text", ["3", "le troisième", "1 ou 2", "bonjour", "", None])
def test_choice_invalid_or_ambiguous(text):
    assert parse_slot_choice(None, text, OFFERS) is None


# ---- when_label / offer_label -----------------------------------------------------------

def test_when_label_paris_winter():
    assert when_label("2026-11-24T13:00:00Z", "Europe/Paris") == "mardi 24 novembre à 14 h 00"


def test_when_label_paris_summer():
    assert when_label("2026-07-01T12:00:00Z", "Europe/Paris") == "mercredi 1er juillet à 14 h 00"


def test_when_label_without_z():
    assert when_label("2026-11-24T13:30:00", "Europe/Paris") == "mardi 24 novembre à 14 h 30"


def test_when_label_crosses_midnight():
    assert when_label("2026-11-24T23:15:00Z", "Europe/Paris") == "mercredi 25 novembre à 0 h 15"


def test_when_label_reunion():
    assert when_label("2026-11-24T13:00:00Z", "Indian/Reunion") == "mardi 24 novembre à 17 h 00 (heure de La Réunion)"


def test_when_label_reunion_no_dst():
    assert when_label("2026-07-01T12:00:00Z", "Indian/Reunion") == "mercredi 1er juillet à 16 h 00 (heure de La Réunion)"


def test_offer_label_in_person():
    assert offer_label(OFFERS[0], "Europe/Paris") == \
        "Claire Fontanel (démo), mardi 24 novembre à 14 h 00, en personne à Paris"


def test_offer_label_phone():
    assert offer_label(OFFERS[1], "Europe/Paris") == \
        "Mathieu Ravelot (démo), mercredi 25 novembre à 10 h 00, par téléphone"


def test_offer_label_reunion():
    assert offer_label(OFFERS[1], "Indian/Reunion").endswith("à 13 h 00 (heure de La Réunion), par téléphone")


def test_person_timezone():
    assert booking.person_timezone("97400") == "Indian/Reunion"
    assert booking.person_timezone("75011") == "Europe/Paris"
    assert booking.person_timezone(None) == "Europe/Paris"
    assert booking.person_timezone("99999") == "Europe/Paris"


# ---- offer_buttons ----------------------------------------------------------------------

def test_offer_buttons():
    buttons = offer_buttons(OFFERS, "Europe/Paris")
    assert [b["payload"] for b in buttons] == [
        '/inform{"choice":"slot_11"}',
        '/inform{"choice":"slot_42"}',
        '/inform{"choice":"more"}',
        '/inform{"choice":"later"}',
    ]
    assert buttons[0]["title"] == offer_label(OFFERS[0], "Europe/Paris")
    assert buttons[2]["title"] == "Autres créneaux"
    assert buttons[3]["title"] == "Pas maintenant"


def test_offer_buttons_payload_is_json():
    for button in offer_buttons(OFFERS, "Europe/Paris"):
        assert button["payload"].startswith("/inform")
        json.loads(button["payload"][len("/inform"):])


def test_offer_buttons_payload_round_trip():
    payload = offer_buttons(OFFERS, "Europe/Paris")[1]["payload"]
    choice = json.loads(payload[len("/inform"):])["choice"]
    assert parse_slot_choice(choice, None, OFFERS) is OFFERS[1]


def test_offer_buttons_without_more():
    titles = [b["title"] for b in offer_buttons(OFFERS, "Europe/Paris", more=False)]
    assert "Autres créneaux" not in titles
    assert titles[-1] == "Pas maintenant"
    assert len(titles) == 3


# ---- masked_contact ---------------------------------------------------------------------

def test_masked_email():
    assert masked_contact({"email": "marie.dupont@exemple.fr"}) == "m•••@exemple.fr"


def test_masked_phone():
    masked = masked_contact({"phone": "+33612345678"})
    assert masked.startswith("+33")
    assert masked.endswith("78")
    assert "12345" not in masked and "3456" not in masked
    assert "•" in masked


def test_masked_empty():
    assert masked_contact({}) == "•••"


# ---- parse_confirmation -----------------------------------------------------------------

@pytest.mark.parametrize("choice", ["confirm", "change", "abandon"])
def test_confirmation_buttons(choice):
    assert parse_confirmation(choice, None, None) == choice


@pytest.mark.parametrize(
    "intent, expected",
    [("affirm", "confirm"), ("reschedule_booking", "change"), ("cancel_booking", "abandon"), ("greet", None)],
)
def test_confirmation_intents(intent, expected):
    assert parse_confirmation(None, intent, "") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("oui", "confirm"),
        ("Je confirme", "confirm"),
        ("d'accord", "confirm"),
        ("ok", "confirm"),
        ("c'est bon", "confirm"),
        ("je voudrais changer", "change"),
        ("un autre créneau", "change"),
        ("modifier", "change"),
        ("annuler", "abandon"),
        ("j'abandonne", "abandon"),
        ("bonjour", None),
        ("", None),
    ],
)
def test_confirmation_typed(text, expected):
    assert parse_confirmation(None, None, text) == expected


# ---- build_brief ------------------------------------------------------------------------

SLOTS = {
    "situation_domain": "neighbourhood",
    "situation_description": "mon voisin fait du bruit la nuit",
    "postal_code": "75011",
    "booking_name": "Marie",
    "booking_contact": "m@x.fr",
    "other_party": "neighbour",
    "relationship_continues": True,
    "amount_eur": 1200,
    "court_status": "none",
    "urgency": "low",
    "safety_risk": True,
    "safety_categories": ["threats"],
    "outcome_aim": "restore_dialogue",
    "triage_result": {
        "verdict": "mandatory",
        "basis": [{"id": "cpc-750-1", "basis": "Code de procédure civile, art. 750-1",
                   "version_date": "2023-10-01", "text": "ignored"}],
        "exemptions": ["urgency"],
    },
}


def test_brief_keeps_structured_facts():
    brief = build_brief(SLOTS, "video")
    assert brief["domain"] == "neighbourhood"
    assert brief["mode"] == "video"
    assert brief["facts"] == {
        "other_party": "neighbour",
        "relationship_continues": True,
        "amount_eur": 1200,
        "court_status": "none",
        "urgency": "low",
        "departement": "75",
    }
    assert brief["safety"] == {"risk": True, "categories": ["threats"]}
    assert brief["outcome_aim"] == "restore_dialogue"
    assert brief["prelitigation"]["verdict"] == "mandatory"
    assert brief["prelitigation"]["basis"] == [
        {"id": "cpc-750-1", "basis": "Code de procédure civile, art. 750-1", "version_date": "2023-10-01"}]
    assert brief["prelitigation"]["exemptions"] == ["urgency"]
    assert brief["note"]


def test_brief_leaves_out_personal_data():
    dumped = json.dumps(build_brief(SLOTS, "in_person"), ensure_ascii=False)
    for secret in ("mon voisin fait du bruit la nuit", "75011", "Marie", "m@x.fr"):
        assert secret not in dumped


def test_brief_is_json_serialisable():
    json.dumps(build_brief(SLOTS, "phone"))


def test_brief_without_postal_code_or_triage():
    brief = build_brief({"situation_domain": "family", "prelitigation": "not_required"}, "phone")
    assert brief["facts"]["departement"] is None
    assert brief["prelitigation"] == {"verdict": "not_required", "basis": [], "exemptions": []}
    assert brief["safety"] == {"risk": False, "categories": []}


def test_brief_unknown_postal_code():
    assert build_brief({"postal_code": "99999"}, "phone")["facts"]["departement"] is None


def test_brief_overseas_departement():
    assert build_brief({"postal_code": "97400"}, "phone")["facts"]["departement"] == "974"


def test_overseas_numbers_typed_the_national_way_are_accepted():
    assert booking.parse_contact("0692 12 34 56") == {"phone": "+262692123456"}
    assert booking.parse_contact("06 90 12 34 56") == {"phone": "+590690123456"}


@pytest.mark.parametrize("choice, intent, text, expected", [
    ("consent", "affirm", '/affirm{"choice":"consent"}', "given"),
    ("refuse", "deny", '/deny{"choice":"refuse"}', "refused"),
    (None, "affirm", "oui", "given"),
    (None, "inform", "j'accepte", "given"),
    (None, "inform", "je refuse", "refused"),
    (None, "affirm", "j'accepte pas, je refuse", "refused"),
    (None, "deny", "non", "refused"),
    (None, "inform", "hmm", None),
])
def test_consent_to_pass_on_the_contact_is_read_from_buttons_intents_and_words(choice, intent, text, expected):
    assert booking.parse_consent(choice, intent, text) == expected


def test_a_reminder_is_promised_only_when_one_is_queued():
    sent = {"channel": "email", "delivered": True, "to": "m•••@exemple.fr"}
    said, _ = booking.messages_said({"person": {**sent, "reminder": True}, "mediator": {"delivered": True}})
    assert "rappel" in said
    said, _ = booking.messages_said({"person": {**sent, "reminder": False}, "mediator": {"delivered": True}})
    assert "rappel" not in said and "m•••@exemple.fr" in said


def test_the_search_mode_is_the_persons_mode_or_any():
    assert booking.search_mode("video") == "video"
    assert booking.search_mode("no_preference") == "no_preference"
    assert booking.search_mode("/inform") is None and booking.search_mode(None) is None


def test_the_intro_names_the_nearest_in_person_offer_only():
    offers = [{"mode": "in_person", "proximity": 2}, {"mode": "in_person", "proximity": 1},
              {"mode": "phone", "proximity": 0}]
    assert booking.where_phrase(offers) == " (en personne dans votre département)"
    assert booking.where_phrase([{"mode": "video", "proximity": 0}]) == ""


def test_the_confirmation_reads_back_the_slot_the_name_and_a_masked_contact():
    text = booking.confirm_details("lundi 1er mars à 9 h 00", "Alex Martin", "alex.martin@example.org")
    assert text.startswith("lundi 1er mars à 9 h 00, au nom de Alex Martin, contact ")
    assert "alex.martin@example.org" not in text
    assert "0612345678" not in booking.confirm_details("x", "A", "0612345678")
