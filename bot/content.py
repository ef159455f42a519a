"""User-facing French text produced by code (the rest lives in domain.yml responses).

One place, so wording is reviewed together and never scattered in the logic.
"""
from __future__ import annotations

from typing import NamedTuple


class Prompt(NamedTuple):
    text: str
    buttons: tuple[tuple[str, str], ...] = ()

DOMAIN_LABELS = {
    "family": "conflit familial",
    "neighbourhood": "conflit de voisinage",
    "consumer": "litige de consommation",
    "workplace": "conflit lié au travail",
    "territorial": "différend avec une collectivité",
    "other": "autre type de conflit",
}

OTHER_PARTY_LABELS = {
    "ex_partner": "ex-conjoint(e) ou ex-partenaire",
    "relative": "un membre de la famille",
    "neighbour": "un voisin",
    "landlord": "un propriétaire ou bailleur",
    "co_owner": "la copropriété ou le syndic",
    "professional": "un professionnel (vendeur, artisan, entreprise)",
    "employer_private": "un employeur privé",
    "employer_public": "un employeur public",
    "colleague": "un(e) collègue",
    "france_travail": "France Travail",
    "local_authority": "une collectivité (mairie, département…)",
    "public_body": "une administration",
    "private_person": "un particulier",
    "other": "autre",
    "unknown": "non précisé",
}

RELATIONSHIP_LABELS = {"yes": "oui", "no": "non", "unknown": "ne sait pas"}
COURT_LABELS = {
    "none": "aucune procédure",
    "pending": "une procédure est en cours",
    "decision": "une décision a déjà été rendue",
    "unknown": "ne sait pas",
}
URGENCY_LABELS = {
    "urgent": "urgent (quelques jours)",
    "soon": "dans les semaines à venir",
    "not_urgent": "pas d'urgence",
    "unknown": "ne sait pas",
}
MODE_LABELS = {
    "phone": "téléphone",
    "video": "visio",
    "in_person": "en présentiel",
    "no_preference": "pas de préférence",
}

NOT_GIVEN = "non précisé"

RECAP_TITLE = "Voici ce que j'ai compris :"
RECAP_LINES = {
    "domain": "Type de situation : {value}",
    "other_party": "Autre partie : {value}",
    "relationship": "Relation qui continue : {value}",
    "amount": "Montant en jeu : {value}",
    "court": "Procédure en justice : {value}",
    "urgency": "Urgence : {value}",
    "postal_code": "Lieu : {value}",
    "mode": "Mode de rendez-vous souhaité : {value}",
}
RECAP_QUESTION = "Est-ce exact ?"
RECAP_BUTTON_OK = "C'est exact"
RECAP_BUTTON_EDIT = "Modifier une réponse"
NO_AMOUNT = "pas d'argent en jeu"

EDIT_QUESTION = "Que souhaitez-vous modifier ?"
EDIT_BUTTONS = {
    "domain": "Le type de situation",
    "other_party": "L'autre partie",
    "relationship": "La relation",
    "amount": "Le montant",
    "court": "La procédure",
    "urgency": "L'urgence",
    "postal_code": "Le code postal",
    "mode": "Le mode de rendez-vous",
}

# Channel-level guards (bot/text_guard.py).
EMPTY_MESSAGE = "Je n'ai reçu aucun texte. Écrivez-moi votre message, en quelques mots."
MESSAGE_TRUNCATED = (
    "Votre message est très long : j'en ai lu les {limit} premiers caractères. "
    "Vous pourrez donner tous les détails au médiateur."
)
SERVICE_UNAVAILABLE = (
    "Désolé, je rencontre un problème technique. Votre message n'est pas perdu : "
    "réessayez dans un instant."
)

ONLY_FRENCH_IN_FORM = (
    "Je ne comprends que le français pour le moment. Pouvez-vous répondre en français ?"
)
SKIPPED_AFTER_RETRIES = "Pas de souci, passons à la suite : le médiateur pourra vous le demander."


def euros(value: float) -> str:
    """4800.0 -> '4 800 €', 5000.01 -> '5 000,01 €' (French typography)."""
    whole, cents = divmod(round(value * 100), 100)
    text = f"{whole:,}".replace(",", "\u202f")
    return f"{text},{cents:02d} €" if cents else f"{text} €"


_YES_NO = (("Oui", "/affirm"), ("Non", "/deny"))
_YES_NO_UNKNOWN = (
    ("Oui", '/inform{"choice":"yes"}'),
    ("Non", '/inform{"choice":"no"}'),
    ("Je ne sais pas", '/inform{"choice":"unknown"}'),
)

# Form questions, one per slot, with a variation per domain where wording differs.
# Served by actions/ask.py; buttons send codes that the form validation re-checks.
QUESTIONS: dict[str, dict[str, Prompt]] = {
    "consent": {
        "default": Prompt(
            "Je suis un assistant automatique : je vous pose quelques questions pour vous orienter vers une médiation. Je ne remplace ni un médiateur ni un avocat, et je ne donne pas de conseil juridique.\nVos échanges sont confidentiels et ne sont jamais transmis à l'autre partie. Vos messages sont analysés par un programme pour classer votre situation.\nAcceptez-vous que je traite vos réponses pour préparer votre demande ?",
            (("J'accepte", "/affirm"), ("Je refuse", "/deny"), ("En savoir plus", "/ask_confidentiality")),
        ),
    },
    "situation_description": {
        "default": Prompt(
            "Décrivez votre situation en quelques phrases : avec qui êtes-vous en conflit, à quel sujet, depuis quand ?",
        ),
    },
    "domain_confirmed": {
        "family": Prompt(
            "Il s'agit plutôt d'un conflit familial, c'est bien ça ?",
            _YES_NO,
        ),
        "neighbourhood": Prompt(
            "Il s'agit plutôt d'un conflit de voisinage, c'est bien ça ?",
            _YES_NO,
        ),
        "consumer": Prompt(
            "Il s'agit plutôt d'un litige de consommation, avec un professionnel, c'est bien ça ?",
            _YES_NO,
        ),
        "workplace": Prompt(
            "Il s'agit plutôt d'un conflit lié au travail, c'est bien ça ?",
            _YES_NO,
        ),
        "territorial": Prompt(
            "Il s'agit plutôt d'un différend avec une collectivité (mairie, département…), c'est bien ça ?",
            _YES_NO,
        ),
        "default": Prompt(
            "Votre situation ne semble pas entrer dans les domaines que je connais le mieux : famille, voisinage, consommation, travail, collectivités. C'est bien ça ?",
            _YES_NO,
        ),
    },
    "domain_choice": {
        "default": Prompt(
            "De quel type de conflit s'agit-il ?",
            (("Famille", '/inform{"choice":"family"}'), ("Voisinage", '/inform{"choice":"neighbourhood"}'), ("Consommation", '/inform{"choice":"consumer"}'), ("Travail", '/inform{"choice":"workplace"}'), ("Collectivité, mairie", '/inform{"choice":"territorial"}'), ("Autre", '/inform{"choice":"other"}')),
        ),
    },
    "other_party": {
        "family": Prompt(
            "Avec qui êtes-vous en désaccord ?",
            (("Mon ex-conjoint(e)", '/inform{"choice":"ex_partner"}'), ("Un membre de ma famille", '/inform{"choice":"relative"}'), ("Autre", '/inform{"choice":"other"}')),
        ),
        "neighbourhood": Prompt(
            "Qui est l'autre partie ?",
            (("Un voisin", '/inform{"choice":"neighbour"}'), ("Le syndic, la copropriété", '/inform{"choice":"co_owner"}'), ("Mon propriétaire", '/inform{"choice":"landlord"}'), ("La commune", '/inform{"choice":"local_authority"}')),
        ),
        "consumer": Prompt(
            "Avec qui est le litige ?",
            (("Un professionnel", '/inform{"choice":"professional"}'), ("Mon propriétaire", '/inform{"choice":"landlord"}'), ("Un particulier", '/inform{"choice":"private_person"}')),
        ),
        "workplace": Prompt(
            "Avec qui est le conflit ?",
            (("Employeur privé", '/inform{"choice":"employer_private"}'), ("Employeur public", '/inform{"choice":"employer_public"}'), ("Un(e) collègue", '/inform{"choice":"colleague"}'), ("France Travail", '/inform{"choice":"france_travail"}')),
        ),
        "territorial": Prompt(
            "Quelle collectivité ou administration est concernée ?",
            (("La mairie, la commune", '/inform{"choice":"local_authority"}'), ("Une autre administration", '/inform{"choice":"public_body"}')),
        ),
        "default": Prompt(
            "Qui est l'autre partie ? Par exemple : « un ami », « mon associé », « une association ».",
            (("Un particulier", '/inform{"choice":"private_person"}'), ("Un professionnel", '/inform{"choice":"professional"}'), ("Je ne sais pas", '/inform{"choice":"unknown"}')),
        ),
    },
    "relationship_continues": {
        "family": Prompt(
            "Allez-vous continuer à avoir des liens avec cette personne (enfants en commun, famille) ?",
            _YES_NO_UNKNOWN,
        ),
        "neighbourhood": Prompt(
            "Êtes-vous toujours voisins ?",
            _YES_NO_UNKNOWN,
        ),
        "workplace": Prompt(
            "Travaillez-vous toujours avec cette personne ou pour cet employeur ?",
            _YES_NO_UNKNOWN,
        ),
        "default": Prompt(
            "Êtes-vous toujours en relation avec l'autre partie ?",
            _YES_NO_UNKNOWN,
        ),
    },
    "amount_eur": {
        "default": Prompt(
            "Quel montant est en jeu, environ ? Par exemple « 4 800 € » ou « environ 5k ».",
            (("Pas d'argent en jeu", '/inform{"choice":"none"}'), ("Je ne sais pas", '/inform{"choice":"unknown"}')),
        ),
    },
    "court_status": {
        "default": Prompt(
            "Un juge ou un tribunal est-il déjà saisi, ou une décision a-t-elle déjà été rendue ?",
            (("Non, rien", '/inform{"choice":"none"}'), ("Procédure en cours", '/inform{"choice":"pending"}'), ("Décision rendue", '/inform{"choice":"decision"}'), ("Je ne sais pas", '/inform{"choice":"unknown"}')),
        ),
    },
    "urgency": {
        "default": Prompt(
            "Votre situation est-elle urgente ?",
            (("Oui, très urgent", '/inform{"choice":"urgent"}'), ("Dans les semaines à venir", '/inform{"choice":"soon"}'), ("Pas d'urgence", '/inform{"choice":"not_urgent"}'), ("Je ne sais pas", '/inform{"choice":"unknown"}')),
        ),
    },
    "postal_code": {
        "default": Prompt(
            "Quel est votre code postal ? (5 chiffres, par exemple 69003)",
            (("Je préfère ne pas le dire", '/inform{"choice":"unknown"}'),),
        ),
    },
    "preferred_mode": {
        "default": Prompt(
            "Comment préférez-vous rencontrer le médiateur ?",
            (("Par téléphone", '/inform{"choice":"phone"}'), ("En visio", '/inform{"choice":"video"}'), ("En personne", '/inform{"choice":"in_person"}'), ("Peu importe", '/inform{"choice":"no_preference"}')),
        ),
    },
}

# Said when an answer is not understood; the question is then asked again.
INVALID_ANSWER: dict[str, str] = {
    "situation_description": "Je n'ai pas compris de quelle situation il s'agit. Par exemple : « Mon voisin a planté une haie qui déborde chez moi et refuse de la tailler. »",
    "domain_confirmed": "Répondez « oui » si c'est bien cela, ou « non » pour choisir vous-même.",
    "domain_choice": "Choisissez l'un des boutons, ou écrivez par exemple « voisinage » ou « travail ».",
    "other_party": "Je n'ai pas compris qui est l'autre partie. Par exemple : « mon voisin », « mon employeur », « le vendeur », « la mairie ». Vous pouvez aussi répondre « je ne sais pas ».",
    "relationship_continues": "Répondez par exemple « oui », « non » ou « je ne sais pas ».",
    "amount_eur": "Je n'ai pas compris le montant. Exemples : « 4 800 € », « quatre mille euros », « environ 5k ». Répondez « aucun » s'il n'y a pas d'argent en jeu, ou « je ne sais pas ».",
    "court_status": "Je n'ai pas compris. Répondez par exemple « non, aucune procédure », « une procédure est en cours » ou « le juge a déjà rendu une décision ».",
    "urgency": "Je n'ai pas compris. Répondez par exemple « très urgent », « dans quelques semaines » ou « pas d'urgence ».",
    "postal_code": "Ce code postal n'existe pas. Il faut 5 chiffres, par exemple « 69003 » ou « 13001 ».",
    "preferred_mode": "Je n'ai pas compris. Répondez par exemple « téléphone », « visio », « en personne » ou « peu importe ».",
}

OTHER_DOMAIN = "Votre situation ne fait pas partie des cinq domaines que je connais le mieux. Je vous pose tout de même quelques questions : un médiateur ou un conciliateur de justice pourra vous aider."
