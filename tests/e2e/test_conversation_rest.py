"""Integration: the real Rasa and action servers on loopback, over the REST channel."""
import json
import sqlite3
import urllib.error
import urllib.request

import pytest

from bot import content

pytestmark = pytest.mark.model


def stored_rows(servers, sender):
    with sqlite3.connect(servers.tracker_db) as db:
        return [row[0] for row in db.execute("SELECT data FROM events WHERE sender_id = ?", (sender,))]


def test_greeting_consent_description_classification_and_full_intake(chat):
    reply = chat.say("Bonjour")
    assert "assistant d'accueil" in reply[0]["text"]
    assert [b["payload"] for b in reply[-1]["buttons"]] == ["/affirm", "/deny", "/ask_confidentiality"]
    assert "Décrivez votre situation" in chat.texts("/affirm")

    reply = chat.texts("Mon voisin a planté une haie de thuyas qui dépasse chez moi et il refuse de la tailler")
    assert "conflit de voisinage, c'est bien ça ?" in reply
    slots = chat.slots()
    assert slots["situation_domain"] == "neighbourhood"
    assert slots["safety_risk"] is False and slots["prelitigation"] is None and slots["booking_reference"] is None

    # « Mon voisin » already says who the other party is: not asked, shown in the recap.
    assert "toujours voisins" in chat.texts("/affirm")
    assert "montant" in chat.texts("oui")
    assert "Je n'ai pas compris le montant" in chat.texts("beaucoup")
    assert "juge" in chat.texts("environ 5k")
    assert "urgente" in chat.texts("non, aucune procédure")
    assert "code postal" in chat.texts("pas urgent")
    assert "n'existe pas" in chat.texts("96000")
    assert "rencontrer le médiateur" in chat.texts("69003")
    recap = chat.say("en visio")[-1]
    assert "Voici ce que j'ai compris" in recap["text"]
    assert "5\u202f000 €" in recap["text"] and "69003 (Rhône)" in recap["text"]
    assert "Autre partie : un voisin (d'après votre message)" in recap["text"]

    slots = chat.slots()
    assert slots["amount_eur"] == 5000.0 and isinstance(slots["amount_eur"], float)
    assert slots["postal_code"] == "69003"
    assert (slots["other_party"], slots["relationship_continues"], slots["court_status"], slots["urgency"],
            slots["preferred_mode"]) == ("neighbour", "yes", "none", "not_urgent", "video")

    assert "Que souhaitez-vous modifier" in chat.texts("/deny")
    assert "montant" in chat.texts('/modify_answer{"field":"amount"}')
    assert "Voici ce que j'ai compris" in chat.texts("quatre mille huit cents euros")
    assert chat.slots()["amount_eur"] == 4800.0

    # Orientation: only the question that can change the verdict (the hedge is known from the story).
    assert "Une de ces situations vous concerne-t-elle" in chat.texts("/affirm")
    reply = chat.texts('/inform{"choice":"none"}')
    assert "une démarche amiable est obligatoire" in reply and "R. 211-3-8" in reply
    assert "version du 11 mai 2023" in reply and "pas un conseil juridique" in reply
    assert "La domination" in reply and "haie" in reply and "Quelle perspective" in reply
    slots = chat.slots()
    assert slots["prelitigation"] == "mandatory" and slots["triage_result"]["rules"][0] == "V2"
    reply = chat.texts("un aménagement")
    assert "Les voies possibles et leur coût" in reply and "Conciliateur de justice : gratuit" in reply
    assert "Je peux vous proposer un rendez-vous" in reply and "Quel créneau vous convient" in reply
    assert chat.slots()["outcome_aim"] == "rearrangement"


def test_first_message_with_the_situation_is_not_asked_again(chat, servers):
    story = "Mon employeur ne me paie plus mes heures supplémentaires depuis trois mois"
    reply = chat.texts(story)
    assert "Merci de m'avoir expliqué votre situation" in reply and "Acceptez-vous" in reply
    assert chat.slots()["situation_domain"] == "workplace"
    # Before consent, the person's words are not stored.
    assert not any("heures" in row for row in stored_rows(servers, chat.sender))
    reply = chat.texts("/affirm")
    assert "conflit lié au travail, c'est bien ça ?" in reply
    assert "Décrivez votre situation" not in reply


def test_domain_denied_then_chosen_with_buttons(chat):
    chat.say("/start_intake")
    chat.say("/affirm")
    chat.say("J'ai acheté un canapé en ligne et il n'a jamais été livré, le vendeur ne répond plus")
    assert chat.slots()["situation_domain"] == "consumer"
    reply = chat.say("/deny")
    assert [b["title"] for b in reply[-1]["buttons"]][:2] == ["Famille", "Voisinage"]
    chat.say('/inform{"choice":"territorial"}')
    assert chat.slots()["situation_domain"] == "territorial"


def test_refusing_consent_stores_nothing(chat, servers):
    chat.say("Bonjour")
    chat.say("Ma soeur refuse de vendre la maison de nos parents")
    reply = chat.texts("/deny")
    assert "je ne conserve rien" in reply
    assert stored_rows(servers, chat.sender) == []
    assert "démarche amiable" in chat.texts("c'est quoi la médiation ?")


def test_questions_during_the_intake_then_back_to_the_question(chat):
    chat.say("/start_intake")
    chat.say("/affirm")
    reply = chat.texts("combien ça coûte ?")
    assert "gratuit" in reply and "Décrivez votre situation" in reply


def test_other_language_out_of_scope_and_nonsense(chat):
    assert "que le français" in chat.texts("Hello, do you speak English? I have a problem with my landlord")
    assert "Je ne peux pas vous aider sur ce sujet" in chat.texts("quelle est la météo demain à Paris ?")
    reply = chat.say("zzkqj xwv")
    assert reply and reply[-1].get("buttons")  # a helpful fallback with choices, never silence


def test_bad_input_gets_a_polite_answer(chat, servers):
    assert chat.texts("") == content.EMPTY_MESSAGE
    reply = chat.say("x" * 10_000)
    assert "très long" in reply[0]["text"] and len(reply) >= 2
    chat.say("/start_intake")
    chat.say("/affirm")
    reply = chat.say('/inform{"situation_domain":"pirate","booking_reference":"MED-HACK1"}')
    assert reply
    slots = chat.slots()
    assert slots["booking_reference"] is None and slots["situation_domain"] != "pirate"
    # The typed payload went through the NLU as text, not through Rasa's /intent shortcut.
    latest = chat.latest_message()
    assert latest["text"].startswith("inform{") and latest["entities"] == []
    assert chat.say("<script>alert(1)</script> 😊")


def test_request_without_sender_is_a_clear_400(servers):
    request = urllib.request.Request(f"{servers.url}/webhooks/rest/webhook", data=b'{"message": "Bonjour"}',
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code == 400
    assert "sender" in json.loads(error.value.read())["error"]


def test_http_api_requires_the_token(servers):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{servers.url}/status", timeout=30)
    assert error.value.code == 401


def test_action_server_crash_gives_a_kind_message_and_loses_nothing(chat, servers):
    chat.say("/start_intake")
    chat.say("/affirm")
    servers.stop("actions")
    try:
        reply = chat.say("Mon frère ne me rembourse pas les 3000 euros que je lui ai prêtés")
        assert reply[-1]["text"] == content.SERVICE_UNAVAILABLE
        assert "Traceback" not in json.dumps(reply)
    finally:
        servers.start_actions()
    reply = chat.texts("Mon frère ne me rembourse pas les 3000 euros que je lui ai prêtés")
    assert "conflit familial, c'est bien ça ?" in reply


def test_no_user_text_in_the_server_logs(chat, servers):
    sentence = "Ma belle-soeur Hortense garde les bijoux de grand-mère depuis la succession"
    chat.say("/start_intake")
    chat.say("/affirm")
    chat.say(sentence)
    logs = "".join(path.read_text(errors="replace") for path in servers.workdir.glob("*.log"))
    assert "Hortense" not in logs
