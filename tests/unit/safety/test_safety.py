"""Safety screen: the lexicon on the independent test set, negations, and the NLU override."""
from __future__ import annotations


import pytest
import yaml

from bot.rasa_plugins.nlu_safety import SAFETY_INTENT, override
from bot.safety.screen import CATEGORIES, screen
from bot.paths import ROOT

SET = yaml.safe_load((ROOT / "tests" / "safety" / "safety_sentences.yml").read_text(encoding="utf-8"))
HITS = SET["hits"]
NEAR_MISSES = SET["near_misses"]


def test_the_test_set_is_big_enough_and_covers_every_category():
    assert len(HITS) + len(NEAR_MISSES) >= 60
    assert len(NEAR_MISSES) >= 30
    for category in CATEGORIES:
        assert sum(1 for hit in HITS if hit["categories"][0] == category) >= 7, category


@pytest.mark.parametrize("hit", HITS, ids=[hit["text"][:40] for hit in HITS])
def test_every_hit_is_detected_with_its_main_category(hit):
    result = screen(hit["text"])
    assert result.hit
    assert hit["categories"][0] in result.categories


@pytest.mark.parametrize("text", NEAR_MISSES, ids=[text[:40] for text in NEAR_MISSES])
def test_near_misses_do_not_fire(text):
    assert not screen(text).hit


@pytest.mark.parametrize("text", [
    "mon voisin a tué l'ambiance",  # the issue's own examples
    "je vais tuer le temps",
    "il ne me frappe plus depuis qu'il est parti",
    "du coup je suis allé voir le syndic",
    "tout à coup la mairie a changé d'avis",
    "on s'est dit des choses blessantes",
])
def test_examples_from_the_issue_and_common_words_are_not_danger(text):
    assert not screen(text).hit


@pytest.mark.parametrize("text, category", [
    ("il est de plus en plus violent avec moi", "violence"),  # "plus" is not a negation here
    ("il ne me frappe plus mais il me menace", "violence"),  # the second clause is not negated
    ("il ma frapé", "violence"),
    ("jveux en finir avec la vie", "suicide"),
    ("on me harcèle sexuellement au bureau", "domestic"),
    ("mon fils est en danger chez son père", "child"),
])
def test_typos_and_clauses(text, category):
    assert category in screen(text).categories


@pytest.mark.parametrize("text", [
    "j'arrête tout, ce soir je prends toutes mes pilules",  # both missed by the model (2026-12-04)
    "arrêter de vivre",
    "je vais avaler tous mes cachets d'un coup",
])
def test_an_announced_overdose_and_stopping_living_are_suicide(text):
    assert "suicide" in screen(text).categories


@pytest.mark.parametrize("text", [
    "je prends toutes mes pilules le matin avec le café",
    "ma mère oublie de prendre ses médicaments le soir",
    "j'arrête tout, je démissionne ce soir",
    "il faut arrêter de vivre au-dessus de nos moyens",
])
def test_medicines_taken_as_prescribed_and_other_endings_are_not_danger(text):
    assert not screen(text).hit


# Figurative uses found among the training look-alikes (2026-12-04): a money or legal step
# threatened, a blow to morale, a sport, a noise. Written here in other words than the training file.
@pytest.mark.parametrize("text", [
    "l'opérateur menace de clôturer ma ligne si je ne paie pas",
    "mon ancien associé nous menace d'un procès pour la marque",
    "l'agence menace de garder tout le dépôt pour une tache sur la moquette",
    "le collège menace d'exclure ma fille de la cantine",
    "le bailleur menace de ne pas renouveler le bail de la boutique",
    "mon voisin menace de m'envoyer un huissier pour l'arbre",
    "la commune nous menace d'une amende pour les poubelles",
    "mon ex menace de m'emmener devant le juge pour les vacances",
    "la grange du voisin menace ruine au-dessus de notre jardin",
    "j'ai reçu un courrier menaçant de la société de recouvrement",
    "mon responsable m'a mis un coup de pression pour le planning",
    "ce licenciement m'a mis un coup au moral",
    "j'ai pris une claque en lisant le devis",
    "la nouvelle taxe est une vraie claque pour les retraités",
    "je me tape la tête contre les murs avec cette administration",
    "j'ai failli m'étrangler en voyant la facture",
    "cette histoire de parking a mis le feu aux poudres dans la copropriété",
    "je suis enfermé dans un abonnement de deux ans",
    "je me suis retrouvée enfermée dehors et le syndic ne répond pas",
    "son père trouve le judo trop violent pour une fille",
    "les battues aux sangliers passent derrière nos maisons",
    "mon fils a pris un coup de coude au basket et le club ne rembourse rien",
    "les coups de marteau du voisin réveillent le bébé",
    "ce concurrent veut me tuer commercialement",
    "je suis fatiguée de me battre avec la CAF",
    "je veux que tout s'arrête entre nous, je propose une médiation à mon associé",
    "le fournisseur menace de nous couper l'électricité",
    "l'employeur menace de retenir la prime sur mon salaire",
    "la banque menace de bloquer ma carte",
    "la préfecture menace de me retirer mon agrément",
    # Twelfth pass: found among new training situations; written here in other words.
    "le client menace de nous faire un procès pour un mur de travers",
    "ma cheffe menace de me mettre sous plan d'amélioration",
    "un acheteur menace de laisser un mauvais avis sur ma boutique",
    "les parents d'élèves menacent de tous partir du conseil d'école",
    "l'agence d'intérim menace de plus me rappeler si je refuse",
    "j'en ai marre de me battre avec le service urbanisme",
    "je suis trésorière au Secours catholique et la subvention a été coupée",
    "mon ancien mari menace de demander le divorce pour faute",
    "ses remarques sur mon fils m'ont profondément blessée",
    "ça nous a beaucoup blessés qu'elle vende la maison sans nous",
    "la gardienne m'agresse verbalement devant les autres locataires",
    "ma fille a abandonné la fac en mars et l'école privée garde les frais",
])
def test_figurative_threats_and_blows_are_not_danger(text):
    assert not screen(text).hit, screen(text).triggers


@pytest.mark.parametrize("text", [
    "il m'enferme dehors la nuit en plein hiver",
    "il menace de me tuer si je pars",
    "il m'a mis un coup de poing",
    "il m'a donné une claque devant les enfants",
    "mon voisin me menace avec un fusil",
    "je veux que tout s'arrête, pour de bon",
    "il me tape la tête contre le mur quand il a bu",
    "il m'a étranglée en voyant mes messages",
    "il m'a mis une gifle en voyant mes notes",
    "il m'a envoyé une lettre menaçante",
    "il menace de me réduire en miettes",
    "mon beau-père lui a collé des baffes devant moi",
    # The threats of a money step are one idiom; its verbs that also say violence need their object.
    "il menace de me couper la gorge",
    "il menace de lui couper les doigts",
    "il menace de retenir les enfants chez lui",
    "il menace de tous nous tuer",
    "au secours, il est devant la porte",
    "elle menace de pas me laisser repartir vivante",
    "il m'agresse verbalement et physiquement devant les petits",
    "il m'a blessée au bras avec un couteau",
    "le bébé a été abandonné seul dans l'appartement tout le week-end",
    # « menace de demander » is a legal step only with its object (la garde, le divorce…).
    "il menace de demander à son frère de venir me régler mon compte",
    # Hurt feelings are an idiom, a wound is not.
    "il a jeté la chaise et ça m'a blessé à la jambe",
    "il m'a lancé une assiette, ce qui m'a blessée au front",
])
def test_the_same_words_still_fire_when_they_are_danger(text):
    assert screen(text).hit


def test_a_partner_or_a_child_named_adds_the_matching_category():
    result = screen("mon ex m'a giflée devant les enfants")
    assert {"violence", "domestic", "child"} <= set(result.categories)


def test_the_result_names_categories_and_trigger_ids_never_the_text():
    result = screen("il m'a frappée")
    assert all(t in {"physical_violence", "threats", "weapons", "kill_threat_danger", "sexual_violence",
                     "conjugal_control", "partner_control", "child_at_risk", "suicide", "immediate_danger"} for t in result.triggers)


def test_empty_text_is_not_danger():
    assert not screen("").hit and not screen(None).hit


# -- the NLU component (pure function) -------------------------------------------------------

def _parse(name, confidence, *others):
    ranking = [{"name": name, "confidence": confidence}] + [{"name": n, "confidence": c} for n, c in others]
    return {"intent": ranking[0], "intent_ranking": ranking}


def test_a_lexicon_hit_overrides_the_intent_and_keeps_the_situation_scores():
    result = override(_parse("situation_family", 0.8, ("affirm", 0.1)), "mon mari me bat")
    assert result["intent"]["name"] == SAFETY_INTENT
    assert [entry["name"] for entry in result["intent_ranking"]] == [SAFETY_INTENT, "situation_family", "affirm"]
    assert "domestic" in result["safety"]


def test_the_lexicon_wins_over_the_fallback():
    result = override(_parse("nlu_fallback", 0.4), "au secours il essaie d'entrer")
    assert result["intent"]["name"] == SAFETY_INTENT


def test_a_very_sure_nlu_alone_fires_with_the_generic_danger_category():
    result = override(_parse(SAFETY_INTENT, 0.99, ("situation_family", 0.01)), "il a dit qu'il me ferait payer")
    assert result["intent"]["name"] == SAFETY_INTENT and result["safety"] == ["danger"]


def test_a_hesitant_nlu_alone_is_overruled_by_the_next_guess():
    result = override(_parse(SAFETY_INTENT, 0.7, ("situation_neighbourhood", 0.2)), "mon voisin a tué l'ambiance")
    assert result["intent"]["name"] == "situation_neighbourhood"
    assert all(entry["name"] != SAFETY_INTENT for entry in result["intent_ranking"])
    assert result["safety"] == []


def test_an_ordinary_message_is_untouched():
    parse = _parse("situation_consumer", 0.9)
    assert override(parse, "mon colis n'est jamais arrivé")["intent"] == parse["intent"]


# -- the situation rescue component (pure function) ------------------------------------------

def test_a_fallback_between_two_situations_is_decided_by_the_classifier():
    from bot.rasa_plugins.nlu_situation import rescue
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "situation_consumer", "confidence": 0.42},
               {"name": "situation_workplace", "confidence": 0.38}]
    chosen = rescue(ranking[0], ranking, "France Travail m'a radié pour deux mois")
    assert chosen["name"] == "situation_workplace"


def test_a_real_fallback_stays_a_fallback():
    from bot.rasa_plugins.nlu_situation import rescue
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "greet", "confidence": 0.3},
               {"name": "situation_family", "confidence": 0.2}]
    assert rescue(ranking[0], ranking, "blabla") is None
    assert rescue({"name": "greet", "confidence": 0.9}, ranking, "bonjour") is None


def test_a_message_naming_a_booking_reference_is_about_that_booking_not_a_new_story():
    from bot.rasa_plugins.nlu_situation import about_a_booking

    text = "je veux annuler mon rendez-vous MED-4K7PQ, code zzzzzzzz"
    ranking = [{"name": "cancel_booking", "confidence": 0.215}, {"name": "situation_consumer", "confidence": 0.159}]
    story = {"name": "situation_consumer", "confidence": 0.159}
    assert about_a_booking(story, ranking, text)["name"] == "cancel_booking"
    assert about_a_booking(story, ranking, text.lower())["name"] == "cancel_booking"  # typed in lower case
    assert about_a_booking({"name": "nlu_fallback", "confidence": 0.4}, ranking, text)["name"] == "cancel_booking"
    # Without a reference, or without a booking intent ranked, or when DIET chose another intent: untouched.
    assert about_a_booking(story, ranking, "je veux annuler la vente de la maison de ma mère") is None
    assert about_a_booking(story, ranking[1:], text) is None
    assert about_a_booking({"name": "stop", "confidence": 0.9}, ranking, text) is None
