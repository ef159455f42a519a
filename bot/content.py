"""User-facing French text produced by code (the rest lives in domain.yml responses).

One place, so wording is reviewed together and never scattered in the logic.
"""
from __future__ import annotations

from typing import Mapping, NamedTuple


class Prompt(NamedTuple):
    text: str
    buttons: tuple[tuple[str, str], ...] = ()


def variation(table: Mapping[str, Mapping[str, Prompt]], key: str, domain: str | None) -> Prompt:
    """The wording of `key` for this domain, or its default (QUESTIONS, TRIAGE_QUESTIONS)."""
    variations = table[key]
    return variations.get(domain or "default", variations["default"])

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
# Lines of facts the description gave (bot/intake/extraction.py): shown for confirmation, editable.
RECAP_TRIAGE_LINES = {
    "employer": "Employeur public : {value}",
    "decision": "Décision contestée : {value}",
    "complaint": "Réclamation écrite au professionnel : {value}",
}
FROM_MESSAGE = " (d'après votre message)"
FROM_MESSAGE_PLACE = " (d'après votre message : {commune})"
PUBLIC_EMPLOYER_LABELS = {
    "state_education": "Éducation nationale",
    "territorial": "collectivité territoriale (mairie, département, région)",
    "hospital": "hôpital public",
    "other_state": "administration de l'État",
}
DECISION_LABELS = {
    "pay": "rémunération", "leave": "disponibilité, détachement ou congé non rémunéré", "reinstatement": "réintégration",
    "classification": "classement, promotion", "training": "formation", "disability": "handicap",
    "unfitness": "inaptitude", "other": "une décision hors de la liste de la médiation préalable (congés annuels, sanction, mutation…)",
    "radiation": "radiation de France Travail", "benefit_removal": "suppression d'allocation", "overpayment": "trop-perçu",
    "benefit_amount": "montant de l'allocation", "other_admin": "autre décision de France Travail",
}
COMPLAINT_SENT = "oui"
COMPLAINT_SENT_ON = "oui, envoyée vers le {date}"
COMPLAINT_NOT_SENT = "pas encore"
EDIT_TRIAGE_LATER = "C'est noté : je vous poserai la question juste après le récapitulatif."
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
    "employer": "L'employeur public",
    "decision": "La décision contestée",
    "complaint": "La réclamation écrite",
}

# WhatsApp's list message: the button that opens the list (bot/channels/rendering.py).
LIST_BUTTON_LABEL = "Voir les choix"

# Channel-level guards (bot/channels/text_guard.py).
EMPTY_MESSAGE = "Je n'ai reçu aucun texte. Écrivez-moi votre message, en quelques mots."
MESSAGE_TRUNCATED = (
    "Votre message est très long : j'en ai lu les {limit} premiers caractères. "
    "Vous pourrez donner tous les détails au médiateur."
)
# REST channel (bot/channels/rest.py).
REST_SENDER_REQUIRED = "Le champ « sender » est obligatoire (texte, 128 caractères au plus)."
REST_SENDER_INVALID = (
    "Le champ « sender » contient des caractères non autorisés (caractères de contrôle, invisibles "
    "ou invalides). Utilisez des lettres, des chiffres et une ponctuation simple."
)
REST_TOO_LARGE = "Le contenu de la requête est trop volumineux (64 ko au plus)."
REST_SENDER_RESERVED = "Cet identifiant de conversation est réservé à un autre canal."

# Action server (bot/servers/action_server.py): answers to the Rasa server, never to a person.
ACTION_SERVER_REFUSED = "Requête refusée : l'en-tête X-Action-Token est absent ou ne correspond pas."
ACTION_SERVER_BAD_REQUEST = "Requête invalide : le corps doit être un appel d'action JSON bien formé."
ACTION_SERVER_FAILED = "Erreur interne du serveur d'actions."

# Conversation history read back by the widget and the app (bot/channels/conversations.py).
HISTORY_NOT_KEPT = "(message non conservé : envoyé avant votre accord)"
HISTORY_CHOICE = "(choix)"

# Platform webhooks (bot/channels/meta.py): answers to Meta's servers and to operators.
CHANNEL_NOT_CONFIGURED = "Ce canal n'est pas configuré sur ce serveur."
META_VERIFY_REFUSED = "Le jeton de vérification ou le mode ne correspond pas."
META_BAD_CHALLENGE = "Le paramètre hub.challenge est absent ou mal formé."
META_SIGNATURE_MISSING = "Requête refusée : l'en-tête X-Hub-Signature-256 est obligatoire."
META_SIGNATURE_INVALID = "Requête refusée : l'en-tête X-Hub-Signature-256 ne correspond pas au contenu."
WEBHOOK_TOO_LARGE = "Le contenu de la requête est trop volumineux."
API_UNREADABLE_TEXT = "Le texte contient des caractères illisibles (caractère nul ou substitut isolé)."
WEBHOOK_BAD_JSON = "Le contenu de la requête doit être un objet JSON valide."

# Website widget channel (bot/channels/widget.py).
WIDGET_NOT_INSTALLED = "Le module de discussion n'est pas installé sur ce serveur (lancez `make run` une fois)."
WIDGET_ORIGIN_REFUSED = "Ce site n'est pas autorisé à ouvrir une conversation avec l'assistant."
WIDGET_SESSION_EXPIRED = "Votre session a expiré. Rechargez la page pour reprendre la conversation."
# The widget's permanent emergency line: which numbers of the helplines table (bot/legal/rules.yml), in order.
WIDGET_EMERGENCY_LABEL = "En danger ?"
WIDGET_EMERGENCY_NUMBERS = ("17", "112", "114", "3919", "119")
WIDGET_SMS_SUFFIX = " (SMS)"
# The label of the « add to calendar » link in the widget, instead of its URL and code.
WIDGET_CALENDAR_LINK = "télécharger le rendez-vous (.ics)"

# Rate limiting (bot/channels/rate_limit.py): too many messages in a short time.
RATE_LIMITED = (
    "Vous m'envoyez beaucoup de messages en peu de temps. "
    "Patientez une minute, puis écrivez-moi de nouveau, s'il vous plaît."
)

SERVICE_UNAVAILABLE = (
    "Désolé, je rencontre un problème technique. Votre message n'est pas perdu : "
    "réessayez dans un instant."
)

SLOW_TURN = "Je mets un peu plus de temps que d'habitude à vous répondre. Merci de patienter un instant…"

# ---- Messenger and WhatsApp Cloud API (bot/channels/messenger.py, whatsapp.py) ---------
CHANNEL_TEXT_ONLY = (
    "Je ne peux lire que les messages écrits (pas les photos, fichiers, messages vocaux ni positions). "
    "Écrivez-moi votre message en quelques mots, s'il vous plaît."
)

ONLY_FRENCH_IN_FORM = (
    "Je ne comprends que le français pour le moment. Pouvez-vous répondre en français ?"
)
# « recommencer » (actions/restart.py), said once before the first question.
RESTARTED = "D'accord, on repart de zéro."

# A « stop » the NLU was not sure of (bot/rasa_plugins/nlu_stop.py, actions/form_validation.py): asked, not obeyed.
STOP_UNSURE = "Voulez-vous arrêter ici ? Vos réponses sont gardées. Sinon, répondez simplement à la question ci-dessous."
STOP_UNSURE_BUTTON = "Oui, arrêter"
SKIPPED_AFTER_RETRIES = "Pas de souci, passons à la suite : le médiateur pourra vous le demander."

# ---- Mobile app help tab (bot/channels/app.py): JSON error messages -------------------
APP_UNAUTHORIZED = "Votre session n'est pas valide ou a expiré. Reconnectez-vous dans l'application, s'il vous plaît."
APP_NOT_CONFIGURED = "L'aide en ligne n'est pas disponible pour le moment. Réessayez plus tard, s'il vous plaît."
APP_BAD_REQUEST = (
    "Envoyez un objet JSON avec soit « text » (ce que vous avez écrit), "
    "soit « payload » (le bouton touché), sous forme de texte."
)
APP_TOO_LARGE = "Votre message est trop volumineux. Raccourcissez-le, s'il vous plaît."
CONVERSATION_UNAVAILABLE = "Je ne peux pas accéder à votre conversation pour le moment. Réessayez dans un instant, s'il vous plaît."

# ---- Twilio (SMS / WhatsApp, bot/channels/twilio.py) -----------------------------------
TWILIO_TEXT_ONLY = (
    "Je ne peux lire que les messages écrits (pas les photos, fichiers, messages vocaux ni positions). "
    "Écrivez-moi votre message en quelques mots, s'il vous plaît."
)
TWILIO_CHOICE_LINE = "{number}. {title}"
TWILIO_CHOICES_HINT = "Répondez par le numéro ou le texte de votre choix."
TWILIO_SIGNATURE_INVALID = "Requête refusée : signature Twilio absente ou invalide."
TWILIO_BAD_REQUEST = "Requête incomplète : l'expéditeur (« From ») manque."
TWILIO_MEDIA_IGNORED = "Je ne peux pas lire les pièces jointes : je n'ai lu que votre texte."


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

# The consent record keeps the version of the notice that was accepted. Change it with
# the notice text (QUESTIONS["consent"]): tests/e2e/test_privacy_conversation.py pins the text's hash.
CONSENT_NOTICE_VERSION = "2026-11-23"

# Form questions, one per slot, with a variation per domain where wording differs.
# Served by actions/ask.py; buttons send codes that the form validation re-checks.
QUESTIONS: dict[str, dict[str, Prompt]] = {
    "consent": {
        "default": Prompt(
            "Je suis un assistant automatique : je vous pose quelques questions pour vous orienter vers une médiation. Je ne remplace ni un médiateur ni un avocat, et je ne donne pas de conseil juridique.\nVos échanges sont confidentiels et ne sont jamais transmis à l'autre partie. Vos messages sont analysés par un programme pour classer votre situation.\nVous pourrez retirer votre accord à tout moment en écrivant « effacer mes données ».\nAcceptez-vous que je traite vos réponses pour préparer votre demande ?",
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


# ---------------------------------------------------------------------------------------
# Safety screen (numbers and their sources: bot/legal/rules.yml `helplines`)
# ---------------------------------------------------------------------------------------
SAFETY_OPENING = "Votre sécurité passe avant tout. Si vous êtes en danger, appelez tout de suite :"
SAFETY_OPENING_SUICIDE = "Merci de me l'avoir écrit. Vous n'êtes pas seul(e) : des personnes sont là pour vous écouter, maintenant."
SAFETY_HELPLINE_LINE = "• {number} – {label} ({hours})"
SAFETY_ONLINE = "Vous pouvez aussi signaler des violences en ligne, 24 h/24 : arretonslesviolences.gouv.fr"
SAFETY_FAMILY = (
    "En cas de violences, même seulement alléguées, la loi exclut la médiation familiale : "
    "le juge aux affaires familiales ne peut ni la proposer ni l'imposer (art. 373-2-10 et 255 du code civil). "
    "Vous pouvez demander une ordonnance de protection au juge aux affaires familiales, et déposer plainte."
)
SAFETY_OTHER = (
    "Dans votre situation, aucune médiation ni aucun contact avec l'autre personne ne vous sera proposé. "
    "Porter plainte ou faire une main courante reste possible."
)
SAFETY_CONTINUE = (
    "Si vous le souhaitez, et si vous êtes en sécurité, nous pouvons continuer pour vous informer seulement. "
    "Vous pouvez aussi écrire « stop » à tout moment."
)
SAFETY_REPEAT = "Je vous redonne les numéros utiles :"

# ---------------------------------------------------------------------------------------
# Pre-litigation triage: questions (asked only when the answer changes the verdict)
# ---------------------------------------------------------------------------------------
def _choices(*pairs: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((title, f'/inform{{"choice":"{code}"}}') for title, code in pairs)


_UNKNOWN_BUTTON = ("Je ne sais pas", "unknown")
TRIAGE_QUESTIONS: dict[str, dict[str, Prompt]] = {
    "customer": {"default": Prompt("Dans ce litige, qui est le client ?", _choices(
        ("Moi : j'ai acheté ou commandé", "me"), ("Un particulier : je suis le professionnel", "private_person"),
        ("Une entreprise : litige entre professionnels", "business"), _UNKNOWN_BUTTON))},
    "claim_type": {
        "family": Prompt("Sur quoi porte surtout le désaccord ?", _choices(
            ("Les enfants", "parental"), ("Le divorce", "divorce"), ("Succession, partage", "partition"),
            ("Une somme d'argent", "money"), ("Autre chose", "other"))),
        "neighbourhood": Prompt("Sur quoi porte surtout le désaccord avec votre voisin ?", _choices(
            ("Bruit, odeurs, nuisances", "nuisance"), ("Haie, arbres, branches", "plantations"),
            ("Limite, bornage", "boundary"), ("Eaux, fossé, puits", "water_works"),
            ("Une somme d'argent", "money"), ("Autre chose", "other"))),
        "consumer": Prompt("De quel type de litige s'agit-il ?", _choices(
            ("Un achat ou un service", "purchase"), ("Un crédit", "credit"),
            ("On me réclame une facture", "debt_claimed"), ("Autre chose", "other"))),
        "territorial": Prompt("De quoi s'agit-il ?", _choices(
            ("RSA", "rsa"), ("Forfait de stationnement", "parking_fps"), ("Un projet (éolien, aménagement…)", "project"),
            ("Dégâts d'arbres ou de travaux publics", "public_damage"),
            ("Une décision de la collectivité", "decision"), ("Autre chose", "other"))),
        "default": Prompt("De quoi s'agit-il surtout ?", _choices(
            ("Une somme d'argent", "money"), ("Un litige entre professionnels", "b2b"), ("Autre chose", "other"))),
    },
    "employer_sector": {"default": Prompt("Votre employeur est-il public ou privé ?", _choices(
        ("Privé", "private"), ("Public", "public"), ("France Travail", "france_travail"), _UNKNOWN_BUTTON))},
    "public_employer_kind": {"default": Prompt("Qui est votre employeur public ?", _choices(
        ("Éducation nationale", "state_education"), ("Mairie, département, région", "territorial"),
        ("Hôpital", "hospital"), ("Autre administration de l'État", "other_state")))},
    "decision_category": {"default": Prompt(
        "Quelle décision contestez-vous ? Si elle n'est pas dans la liste (par exemple un refus de congés annuels), "
        "choisissez le dernier bouton ou décrivez-la en quelques mots.", _choices(
        ("Rémunération", "pay"), ("Disponibilité, détachement", "leave"), ("Réintégration", "reinstatement"),
        ("Classement, promotion", "classification"), ("Formation", "training"), ("Handicap", "disability"),
        ("Inaptitude", "unfitness"), ("Congés, sanction, autre", "other")))},
    "cdg_convention": {"default": Prompt(
        "Votre employeur a-t-il signé une convention de médiation avec son centre de gestion ? "
        "Les voies de recours indiquées sur la décision le mentionnent souvent.", _YES_NO_UNKNOWN)},
    "france_travail_decision": {"default": Prompt("Quelle décision de France Travail contestez-vous ?", _choices(
        ("Radiation", "radiation"), ("Suppression d'allocation", "benefit_removal"),
        ("Suspension d'allocation", "suspension"), ("Avertissement", "warning"), ("Trop-perçu", "overpayment"),
        ("Montant de l'allocation", "benefit_amount"), ("Autre décision", "other_admin")))},
    "urgent_measure": {"default": Prompt(
        "Vous faut-il une décision rapide du juge (par exemple en référé), parce que la situation ne peut pas attendre ?",
        _YES_NO_UNKNOWN)},
    "exemption": {"default": Prompt(
        "Une de ces situations vous concerne-t-elle ?", _choices(
            ("Accord à faire homologuer", "homologation"), ("Conciliateur : pas de RDV sous 3 mois", "conciliator_delay"),
            ("Décision à rendre sans l'autre partie", "ex_parte"),
            ("Petites créances : échec", "small_claims_failed"), ("Aucune", "none")))},
    "written_complaint": {"default": Prompt(
        "Avez-vous déjà adressé une réclamation écrite au professionnel (courrier ou courriel) ?", _YES_NO_UNKNOWN)},
    "complaint_date": {"default": Prompt(
        "À quelle date avez-vous envoyé cette réclamation ? Par exemple : « le 3 mars 2026 » ou « il y a deux mois ».",
        (("Je ne sais pas", '/inform{"choice":"unknown"}'),))},
    "complaint_draft": {"default": Prompt(
        "Voulez-vous un modèle de réclamation prêt à envoyer, rempli avec ce que vous m'avez dit ?", _YES_NO_UNKNOWN)},
}
TRIAGE_INVALID = "Je n'ai pas bien compris. Choisissez une réponse ci-dessous, ou répondez « je ne sais pas »."
TRIAGE_INVALID_DATE = "Je n'ai pas compris la date. Écrivez par exemple « le 3 mars 2026 » ou « il y a deux mois »."

# ---------------------------------------------------------------------------------------
# Triage verdict
# ---------------------------------------------------------------------------------------
VERDICT_HEADLINES = {
    "mandatory": "D'après vos réponses, une démarche amiable est obligatoire avant d'aller en justice.",
    "exempt": "D'après vos réponses, vous êtes dispensé(e) de la démarche amiable préalable.",
    "not_mandatory": "D'après vos réponses, aucune démarche amiable n'est obligatoire avant d'aller en justice. Elle reste possible.",
    "unknown": "Je ne peux pas encore dire si une démarche amiable est obligatoire : cela dépend d'une information qui manque.",
}
# A prior administrative appeal (RAPO, legal-rules.md R3) is required, but it is not an amicable step.
VERDICT_HEADLINE_RAPO = "D'après vos réponses, un recours administratif préalable est obligatoire avant d'aller en justice."
MISSING_FACTS = {
    "amount_eur": "Le montant demandé : jusqu'à 5 000 €, une tentative de conciliation ou de médiation est obligatoire avant le tribunal judiciaire ; au-delà, elle ne l'est pas (art. 750-1 du code de procédure civile).",
    "claim_type": "L'objet exact du désaccord : certaines demandes imposent une tentative amiable, d'autres non.",
    "cdg_convention": "Si votre employeur a signé une convention de médiation avec son centre de gestion : lisez les voies de recours indiquées sur la décision.",
    "customer": "Qui est le client dans ce litige : vous, ou l'autre partie (vous êtes alors le professionnel) ; les règles ne sont pas les mêmes.",
    "employer_sector": "Si votre employeur est public ou privé.",
    "public_employer_kind": "Qui est votre employeur public.",
    "decision_category": "Le type de décision contestée.",
    "france_travail_decision": "Le type de décision de France Travail contestée.",
}
MODE_NAMES = {
    "conciliateur_justice": "un conciliateur de justice (gratuit)",
    "mediation": "une médiation",
    "procedure_participative": "une procédure participative (avec un avocat pour chaque partie)",
    "consumer_mediator": "le médiateur de la consommation du professionnel (gratuit pour vous)",
    "cdg_mediator": "le médiateur du centre de gestion",
    "academic_mediator": "le médiateur académique",
    "france_travail_mediator": "le médiateur régional de France Travail",
    "family_mediation": "une médiation familiale (service agréé par la CAF)",
    "territorial_mediator": "le médiateur territorial de votre collectivité, s'il existe",
    "administrative_mediation": "une médiation administrative",
    "rapo": "le recours administratif préalable obligatoire",
    "bco_conciliation": "la conciliation devant le bureau de conciliation et d'orientation des prud'hommes",
    "amicable_partition": "un partage amiable (notaire, courriers, médiation)",
    "defenseur_des_droits": "le Défenseur des droits",
}
VERDICT_MODES = "Démarches possibles : {modes}."
VERDICT_BASIS_TITLE = "Base légale :"
# The text itself (article, code, decree) and its date; never an internal file, row or source list.
VERDICT_BASIS_LINE = "• {basis} – version du {date}{to_verify}."
VERDICT_BASIS_LINE_UNDATED = "• {basis}{to_verify}. Date de version non précisée."
VERDICT_BASIS_TO_VERIFY = " (information à vérifier)"
VERDICT_BASIS_LINK = "  Texte officiel : {link}"
VERDICT_TO_KNOW = "À savoir :"
VERDICT_CAVEATS = {
    "low": "Attention : cette règle repose sur une source peu sûre, c'est une information à vérifier. Demandez l'avis d'un professionnel (avocat, point-justice gratuit) avant d'agir.",
    "medium": "Cette règle est à vérifier sur Légifrance pour votre cas : demandez l'avis d'un professionnel (avocat, point-justice gratuit) avant d'agir.",
}
VERDICT_DISCLAIMER = "Ceci est une information générale, pas un conseil juridique (règles à jour au {reviewed})."
VERDICT_ASSUMED_NO_CASE = "Je suppose qu'aucune procédure n'est en cours, car vous ne l'avez pas précisé."

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def french_date(day) -> str:
    """date(2023, 5, 11) -> '11 mai 2023'; the 1st is '1er'."""
    first = FIRST_OF_MONTH if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


# ---------------------------------------------------------------------------------------
# Consumer written complaint (C2): a draft filled with what the person said
# ---------------------------------------------------------------------------------------
COMPLAINT_INTRO = "Voici un modèle à compléter (les parties entre crochets) et à envoyer par lettre recommandée avec accusé de réception ou par courriel. Gardez-en une copie : sa date compte."
COMPLAINT_TEMPLATE = (
    "[Vos nom et prénom]\n[Votre adresse]\n\n[Nom du professionnel]\n[Adresse du service client]\n\n"
    "Le {today}\n\n"
    "Objet : réclamation{reference}\n\n"
    "Madame, Monsieur,\n\n"
    "{facts}\n\n"
    "{request}\n\n"
    "À défaut de réponse satisfaisante, je saisirai le médiateur de la consommation dont vous relevez, "
    "comme le permet l'article L. 612-1 du code de la consommation.\n\n"
    "Je vous prie d'agréer, Madame, Monsieur, mes salutations distinguées.\n\n[Signature]"
)
COMPLAINT_REFERENCE = " – [numéro de commande, de contrat ou de facture]"
COMPLAINT_FACTS = "Je vous écris au sujet du litige suivant : « {description} »."
COMPLAINT_FACTS_EMPTY = "Je vous écris au sujet du litige suivant : [décrivez les faits, avec les dates]."
COMPLAINT_REQUEST_AMOUNT = "Je vous demande de me rembourser la somme de {amount}, ou de me proposer une solution, dans un délai raisonnable."
COMPLAINT_REQUEST = "Je vous demande de me proposer une solution : [réparation, remplacement, remboursement…]."
COMPLAINT_AFTER = "Ensuite, vous aurez un an, à partir de cette réclamation, pour saisir le médiateur de la consommation (indiqué sur le contrat, les conditions générales ou le site du professionnel)."

# ---------------------------------------------------------------------------------------
# Outcomes (médiation professionnelle: adversity against otherness)
# ---------------------------------------------------------------------------------------
OUTCOME_NAMES = {
    "resumption": "la reprise",
    "rearrangement": "l'aménagement",
    "consensual_breakup": "la rupture consensuelle",
    "abandonment": "l'abandon",
    "domination": "la domination",
    "resignation": "la résignation",
    "undecided": "pas encore décidé",
}
OUTCOMES_ADVERSITY = "Quand chacun campe sur ses positions, un conflit finit souvent par l'une de ces issues :"
OUTCOMES_OTHERNESS = "Quand on cherche à se comprendre, par exemple en médiation, d'autres issues sont possibles :"
OUTCOME_LINE = "• {name} : {example}"
OUTCOME_EXAMPLES: dict[str, dict[str, str]] = {
    "family": {
        "abandonment": "l'un des deux s'éloigne et renonce, parfois au détriment du lien avec les enfants",
        "domination": "une solution imposée par l'un, vécue comme une défaite par l'autre",
        "resignation": "accepter, faute de mieux, une organisation qui ne vous convient pas",
        "resumption": "retrouver une coparentalité apaisée autour des enfants",
        "rearrangement": "un nouveau calendrier de garde et un partage clair des frais",
        "consensual_breakup": "se séparer d'un commun accord, avec des règles claires pour la suite",
    },
    "neighbourhood": {
        "abandonment": "renoncer, se replier, voire déménager",
        "domination": "l'un obtient tout, l'autre garde de la rancœur",
        "resignation": "supporter la gêne sans plus rien dire",
        "resumption": "retrouver des relations de bon voisinage",
        "rearrangement": "un accord sur la hauteur de la haie et un calendrier de taille, ou sur des horaires",
        "consensual_breakup": "chacun chez soi, avec des règles claires et sans contact inutile",
    },
    "consumer": {
        "abandonment": "renoncer à votre demande",
        "domination": "un bras de fer, jusqu'au tribunal",
        "resignation": "garder un produit ou payer un service qui ne vous satisfait pas",
        "resumption": "continuer avec ce professionnel, en confiance retrouvée",
        "rearrangement": "une réparation, un geste commercial ou un échéancier",
        "consensual_breakup": "mettre fin au contrat proprement, avec un remboursement convenu",
    },
    "workplace": {
        "abandonment": "partir ou renoncer à votre réclamation",
        "domination": "une décision imposée, qui laisse des traces dans l'équipe",
        "resignation": "rester en subissant la situation",
        "resumption": "retravailler ensemble sereinement",
        "rearrangement": "une nouvelle organisation : missions, horaires, poste adapté",
        "consensual_breakup": "un départ négocié, dans de bonnes conditions pour chacun",
    },
    "territorial": {
        "abandonment": "renoncer à faire entendre votre point de vue",
        "domination": "un bras de fer, recours contre décision",
        "resignation": "subir la décision sans avoir été entendu(e)",
        "resumption": "renouer un dialogue de confiance avec la collectivité",
        "rearrangement": "une adaptation du projet ou de la décision, un calendrier",
        "consensual_breakup": "clore le différend par un accord écrit, chacun de son côté",
    },
    "other": {
        "abandonment": "renoncer et tourner la page sans rien régler",
        "domination": "l'un impose sa solution à l'autre",
        "resignation": "subir une situation qui ne vous convient pas",
        "resumption": "reprendre la relation sur de meilleures bases",
        "rearrangement": "de nouvelles règles acceptées par chacun",
        "consensual_breakup": "se séparer d'un commun accord, en réglant ce qui doit l'être",
    },
}
OUTCOME_QUESTION = Prompt(
    "Quelle perspective aimeriez-vous explorer avec un médiateur ? Il n'y a pas de bonne réponse, et vous pourrez en changer.",
    _choices(("La reprise", "resumption"), ("Un aménagement", "rearrangement"),
             ("Une rupture consensuelle", "consensual_breakup"), ("Je ne sais pas encore", "undecided")),
)
OUTCOME_ACK = "C'est noté : {name}. Le médiateur en tiendra compte, sans rien vous imposer."
OUTCOME_ACK_ADVERSITY = "C'est noté : {name}. Le médiateur pourra en parler avec vous, sans rien vous imposer."
OUTCOME_INVALID = "Je n'ai pas bien compris. Choisissez une perspective ci-dessous, ou répondez « je ne sais pas encore »."

# ---------------------------------------------------------------------------------------
# Routes and their cost, then the next step
# ---------------------------------------------------------------------------------------
ROUTES_TITLE = "Les voies possibles et leur coût :"
ROUTES = {
    "conciliateur_justice": "• Conciliateur de justice : gratuit ; sur conciliateurs.fr, en mairie ou dans un point-justice.",
    "consumer_mediator": "• Médiateur de la consommation : gratuit pour vous ; son nom figure sur le contrat, les conditions générales ou le site du professionnel.",
    "family_mediation": "• Médiation familiale (service agréé par la CAF ou la MSA) : tarif selon vos revenus ; la première réunion d'information est gratuite.",
    "cdg_mediator": "• Médiateur du centre de gestion : c'est l'étape obligatoire pour votre décision.",
    "academic_mediator": "• Médiateur académique : c'est l'étape obligatoire pour votre décision.",
    "france_travail_mediator": "• Médiateur régional de France Travail : à saisir avant le tribunal administratif.",
    "territorial_mediator": "• Médiateur territorial : gratuit, si votre collectivité en a créé un ; le Défenseur des droits est aussi possible.",
    "administrative_mediation": "• Médiation administrative (art. L. 213-5 du code de justice administrative) : à l'initiative des parties, elle interrompt les délais de recours ; honoraires éventuels à demander au médiateur avant de commencer.",
    "professional_mediator": "• Médiateur professionnel : honoraires fixés par le médiateur, à demander avant de commencer.",
    "legal_protection": "• Protection juridique : votre assurance (habitation, carte bancaire…) peut prendre en charge les frais de médiation ou d'avocat ; vérifiez votre contrat.",
    "legal_aid": "• Aide juridictionnelle : selon vos revenus, l'État peut prendre en charge les frais d'avocat ou de médiation ; simulateur sur justice.fr.",
}
ROUTES_SAFETY = (
    "Pour la suite, sans médiation :\n"
    "• Porter plainte ou faire une main courante, au commissariat ou à la gendarmerie.\n"
    "• Un point-justice ou une maison de justice vous informe gratuitement sur vos droits.\n"
    "• Aide juridictionnelle : selon vos revenus, l'État peut prendre en charge les frais d'avocat ; simulateur sur justice.fr."
)
NEXT_STEPS_SAFETY = (
    "Je reste disponible pour toute autre information. Pensez d'abord à votre sécurité : "
    "en cas de danger, appelez le 17 ou le 112, ou envoyez un SMS au 114."
)

# ---- Booking (bot/agenda, actions/booking.py) -------------------------------------------
ICS_SUMMARY = "Médiation avec {name} ({reference})"
ICS_DESCRIPTION = (
    "Rendez-vous de médiation, référence {reference}, {mode}.\n"
    "Pour annuler ou changer de créneau, écrivez « annuler mon rendez-vous » ou « changer de créneau » "
    "à l'assistant Médiation Accueil, avec votre référence et votre code."
)
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
TIMEZONE_LABELS = {"Europe/Paris": "", "America/Guadeloupe": " (heure de Guadeloupe)",
                   "America/Martinique": " (heure de Martinique)", "America/Cayenne": " (heure de Guyane)",
                   "Indian/Reunion": " (heure de La Réunion)", "Indian/Mayotte": " (heure de Mayotte)"}
BOOKING_MODE_LABELS = {"phone": "par téléphone", "video": "en visio", "in_person": "en personne"}
PROXIMITY_LABELS = {0: "dans votre commune", 1: "dans votre département", 2: "dans votre région"}
# One offer (bot/booking.py: offer_label) and its date (bot/language/dates.py: when_label).
BOOKING_OFFER_LINE = "{mediator}, {when}, {how}"
BOOKING_MODE_AT_PLACE = "{mode} à {place}"
WHEN_LABEL = "{weekday} {day} {month} à {hour} h {minute:02d}{zone}"
FIRST_OF_MONTH = "1er"
# After BOOKING_INTRO's « votre situation », when some offers are in person: the nearest one.
BOOKING_WHERE_IN_PERSON = " (en personne {proximity})"
# The held slot, the name and the contact, read back before the booking is confirmed.
BOOKING_CONFIRM_DETAILS = "{label}, au nom de {name}, contact {contact}"
# The note at the foot of the brief the mediator receives (bot/booking.py: build_brief).
BRIEF_NOTE = "Résumé automatique de l'accueil en ligne, à vérifier avec la personne. Ne vaut pas avis juridique."

BOOKING_INTRO = (
    "Je peux vous proposer un rendez-vous avec un médiateur. Voici les premiers créneaux qui "
    "correspondent à votre situation{where}."
)
BOOKING_INTRO_RESCHEDULE = "Voici d'autres créneaux pour votre rendez-vous {reference}."
BOOKING_MORE_INTRO = "Voici d'autres créneaux :"
BOOKING_NO_MORE = "Je n'ai pas d'autres créneaux dans les quatre prochaines semaines. Vous pouvez choisir parmi ceux-ci :"
BOOKING_REMOTE_INSTEAD = (
    "Aucun médiateur de cette spécialité ne reçoit en personne près de chez vous dans les quatre "
    "prochaines semaines. Je vous propose des rendez-vous par téléphone ou en visio."
)
BOOKING_BUTTON_MORE = "Autres créneaux"
BOOKING_BUTTON_LATER = "Pas maintenant"
BOOKING_CHOICE_INVALID = "Je n'ai pas compris votre choix. Touchez un créneau, ou répondez « 1 », « 2 », « 3 » ou « autres créneaux »."
BOOKING_HELD = "C'est noté : je vous réserve ce créneau pendant {minutes} minutes, le temps de finir."
BOOKING_TAKEN = "Désolé, ce créneau vient d'être pris par quelqu'un d'autre. Voici les créneaux encore libres :"
BOOKING_UNAVAILABLE = (
    "Je ne peux pas accéder à l'agenda des médiateurs pour le moment. Vos réponses sont gardées : "
    "écrivez « prendre rendez-vous » un peu plus tard pour réessayer. En attendant, un conciliateur de "
    "justice peut vous recevoir gratuitement : conciliateurs.fr ou votre mairie."
)
BOOKING_NO_SLOT = (
    "Je n'ai pas de créneau libre qui corresponde à votre situation dans les quatre prochaines semaines. "
    "Un conciliateur de justice peut vous recevoir gratuitement (conciliateurs.fr ou votre mairie), "
    "et vous pouvez réessayer plus tard en écrivant « prendre rendez-vous »."
)
BOOKING_LATER = (
    "Très bien. Vos réponses sont gardées : écrivez « prendre rendez-vous » quand vous le souhaitez. "
    "Un conciliateur de justice peut aussi vous recevoir gratuitement : conciliateurs.fr ou votre mairie."
)
BOOKING_NEEDS_INTAKE = (
    "Pour vous proposer un médiateur qui correspond à votre situation, j'ai d'abord besoin de "
    "quelques informations. Décrivez-moi en quelques mots ce qui se passe."
)
BOOKING_NOT_WITH_DANGER = (
    "Dans une situation de danger ou de violence, je ne vous propose pas de médiation. "
    "Appelez le 17 ou le 112, ou envoyez un SMS au 114. Je reste disponible pour toute information."
)
BOOKING_ALREADY = "Vous avez déjà un rendez-vous : {label} (référence {reference}). Pour le changer, écrivez « changer de créneau »."

BOOKING_ASK_NAME = "Pour que le médiateur puisse vous accueillir, quel est votre nom (et prénom) ?"
BOOKING_NAME_INVALID = "Je n'ai pas reconnu un nom. Écrivez par exemple « Marie Dupont »."
BOOKING_ASK_CONTACT = (
    "À quelle adresse e-mail ou à quel numéro de téléphone le médiateur peut-il vous joindre "
    "(pour confirmer ou déplacer le rendez-vous) ?"
)
BOOKING_CONTACT_INVALID = "Je n'ai pas reconnu une adresse e-mail ou un numéro de téléphone valable. Par exemple : marie.dupont@exemple.fr ou 06 12 34 56 78."
BOOKING_ASK_CONSENT = (
    "Acceptez-vous que votre nom, vos coordonnées et un résumé de votre demande (domaine, faits "
    "principaux, orientation juridique, objectif) soient transmis à {mediator}, uniquement pour ce "
    "rendez-vous ? Votre récit écrit n'est pas transmis."
)
BOOKING_CONSENT_BUTTONS = (("J'accepte", '/affirm{"choice":"consent"}'), ("Je refuse", '/deny{"choice":"refuse"}'))
BOOKING_CONSENT_INVALID = "Répondez « j'accepte » ou « je refuse », s'il vous plaît."
BOOKING_CONSENT_REFUSED = (
    "C'est votre choix, je n'ai rien transmis et j'ai libéré le créneau. Sans vos coordonnées, le "
    "médiateur ne peut pas confirmer un rendez-vous. Vous pouvez le contacter vous-même, ou vous adresser "
    "gratuitement à un conciliateur de justice : conciliateurs.fr ou votre mairie."
)
BOOKING_ASK_CONFIRM = "Je récapitule : {label}. Je confirme ce rendez-vous ?"
BOOKING_ASK_CONFIRM_RESCHEDULE = "Je déplace votre rendez-vous {reference} : {label}. Je confirme ?"
BOOKING_CONFIRM_BUTTONS = (("Confirmer", '/affirm{"choice":"confirm"}'),
                           ("Changer de créneau", '/reschedule_booking{"choice":"change"}'),
                           ("Annuler", '/cancel_booking{"choice":"abandon"}'))
BOOKING_CONFIRM_INVALID = "Répondez « confirmer », « changer de créneau » ou « annuler », s'il vous plaît."
BOOKING_DONE = (
    "C'est confirmé. Votre rendez-vous : {label}.\n"
    "Référence : {reference} — code : {secret}\n"
    "Gardez-les : ils servent à annuler ou changer le rendez-vous, ici (« annuler mon rendez-vous », "
    "« changer de créneau ») ou dans une autre conversation en donnant la référence et le code.\n"
    "Ajouter à votre agenda : {ics_url}"
)  # followed by what the messages will be (BOOKING_MESSAGES_*, BOOKING_MEDIATOR_*)
BOOKING_RESCHEDULED = "C'est fait, votre rendez-vous {reference} est déplacé : {label}. Votre ancien créneau est libéré. Agenda : {ics_url}"
BOOKING_CONFIRM_FAILED = "Désolé, le créneau n'est plus libre : la réservation a expiré et quelqu'un l'a pris. Voici les créneaux encore libres :"
BOOKING_ABANDONED = "D'accord, je n'ai rien réservé et le créneau est libéré. Écrivez « prendre rendez-vous » si vous changez d'avis."
BOOKING_STOPPED_SAFETY = "Je mets la prise de rendez-vous de côté : votre sécurité passe d'abord."

# What the mediator sees of a booking after the person erased their data (bot/agenda/store.py).
BOOKING_ANONYMISED_NAME = "Personne anonymisée"
BOOKING_ANONYMISED_NOTE = (
    "La personne a demandé l'effacement de ses données : seuls le créneau, le mode et le domaine sont "
    "conservés. Elle se présentera avec sa référence de rendez-vous."
)

CANCEL_ASK = "Voulez-vous vraiment annuler votre rendez-vous : {label} (référence {reference}) ?"
CANCEL_BUTTONS = (("Oui, annuler", '/cancel_booking{"choice":"confirm"}'), ("Non, le garder", '/cancel_booking{"choice":"keep"}'))
CANCEL_DONE = "Votre rendez-vous {reference} est annulé et le créneau est libéré. Écrivez « prendre rendez-vous » si vous voulez un autre créneau."
CANCEL_KEPT = "Très bien, votre rendez-vous {reference} est maintenu."
CANCEL_ALREADY = "Ce rendez-vous ({reference}) est déjà annulé."
BOOKING_NOT_FOUND = (
    "Je ne trouve pas de rendez-vous dans cette conversation. Si vous l'avez pris ailleurs, écrivez votre "
    "référence et votre code, par exemple : « annuler MED-7K3Q9 code abcd2345 » ou « changer de créneau "
    "MED-7K3Q9 code abcd2345 »."
)
BOOKING_WRONG_SECRET = "Cette référence et ce code ne correspondent à aucun rendez-vous. Vérifiez-les dans votre confirmation."
BOOKING_WHICH = "Quel créneau vous convient ?"
BOOKING_THE_MEDIATOR = "le médiateur choisi"
BOOKING_ANYTHING_ELSE = "Je reste disponible si vous avez une question."
CANCEL_UNAVAILABLE = "Je ne peux pas accéder à l'agenda pour le moment : votre rendez-vous n'est pas modifié. Réessayez un peu plus tard, s'il vous plaît."


# Erasure asked in the conversation (« effacer mes données », « je retire mon consentement »),
# actions/privacy.py. The person is told what goes and what stays.
# Wrong booking codes (bot/agenda/store.py): the agenda's JSON error, then the conversation's words.
AGENDA_BOOKING_LOCKED = ("Trop de codes erronés pour ce rendez-vous : il est verrouillé pendant {minutes} minutes, "
                         "même avec le bon code. Réessayez plus tard.")
AGENDA_TOO_MANY_ATTEMPTS = "Trop de codes erronés. Réessayez dans {minutes} minutes."
BOOKING_CODE_LOCKED = ("Trop de codes erronés ont été essayés pour ce rendez-vous : par sécurité, il est verrouillé "
                       "quelques minutes. Réessayez un peu plus tard ; votre rendez-vous n'a pas changé.")
ERASE_ASK = (
    "Voulez-vous retirer votre accord et effacer vos données ? J'effacerai tous vos messages, vos réponses et "
    "le résumé de votre situation{booking}. C'est définitif."
)
ERASE_ASK_BOOKING = (
    ", ainsi que vos nom, coordonnées et résumé dans le rendez-vous {reference} : le créneau reste réservé "
    "auprès du médiateur, sans eux"
)
ERASE_BUTTONS = (("Oui, tout effacer", '/erase_data{"choice":"confirm"}'),
                 ("Non, ne rien effacer", '/erase_data{"choice":"keep"}'))
ERASE_DONE = (
    "C'est fait : j'ai effacé vos {messages} messages, vos réponses et le résumé de votre situation.{booking}\n"
    "Je ne traite plus cette conversation. Si vous m'écrivez de nouveau, une nouvelle conversation commencera "
    "et je vous redemanderai votre accord."
)
ERASE_DONE_BOOKING = (
    "\nDans le rendez-vous {reference}, vos nom, coordonnées et résumé sont retirés ; le créneau reste réservé. "
    "Pour l'annuler, écrivez « annuler {reference} » avec le code reçu à la réservation."
)
ERASE_DONE_BOOKINGS = (
    "\nDans vos rendez-vous {references}, vos nom, coordonnées et résumés sont retirés ; les créneaux restent "
    "réservés. Pour en annuler un, écrivez « annuler » suivi de sa référence et du code reçu à la réservation."
)
ERASE_DONE_BOOKING_CANCELLED = "\nDans le rendez-vous annulé {reference}, vos nom, coordonnées et résumé sont retirés."
ERASE_NOTHING_STORED = (
    "Vous n'avez pas donné votre accord : rien de ce que vous avez écrit n'a été conservé, il n'y a rien à "
    "effacer. Si vous m'écrivez de nouveau, je vous redemanderai votre accord."
)
ERASE_KEPT = "Très bien, je n'efface rien."
ERASE_UNAVAILABLE_NO_REFERENCE = (
    "Je ne peux pas joindre l'agenda pour retirer vos coordonnées de vos rendez-vous éventuels : je n'ai rien "
    "effacé pour l'instant. Réessayez dans quelques minutes en écrivant « effacer mes données »."
)
ERASE_UNAVAILABLE = (
    "Je ne peux pas joindre l'agenda pour retirer vos coordonnées du rendez-vous {reference} : je n'ai rien "
    "effacé pour l'instant. Réessayez dans quelques minutes en écrivant « effacer mes données »."
)

# ---------------------------------------------------------------------------------------
# Booking: a held slot whose expiry the agenda did not say (bot/booking.py: minutes_left)
# ---------------------------------------------------------------------------------------
BOOKING_HELD_A_FEW_MINUTES = "C'est noté : je vous réserve ce créneau quelques minutes, le temps de finir."


# ---- Messages of the agenda: e-mails and SMS (bot/agenda/messages.py, issue 18) -------------------
# Short, plain, no personal data beyond what the recipient needs; the subjects carry none (they
# stay in clear in the outbox). {manage_url} leads to a page that asks for the booking's code.
MAIL_SIGNATURE = "Médiation Accueil — assistant d'orientation vers la médiation.\nMessage automatique : merci de ne pas y répondre."
MAIL_HOW = {
    "phone": "Par téléphone : le médiateur vous appellera au numéro que vous avez donné.",
    "video": "En visio : le médiateur vous enverra le lien de la visioconférence avant le rendez-vous.",
    "in_person": "En personne, à l'adresse : {address}.",
}
MAIL_MANAGE = ("Pour annuler ou déplacer ce rendez-vous : {manage_url} (votre code vous sera demandé), "
               "ou écrivez « annuler mon rendez-vous » ou « changer de créneau » à l'assistant.")
MAIL_PERSON_CONFIRMED_SUBJECT = "Votre rendez-vous de médiation {reference} est confirmé"
MAIL_PERSON_CONFIRMED = (
    "Bonjour,\n\nVotre rendez-vous de médiation est confirmé.\n\n"
    "Médiateur : {mediator}\nDate : {date}\nMode : {mode}\n{how}\nRéférence : {reference}\n\n"
    "Le rendez-vous est joint à ce message (fichier .ics) pour l'ajouter à votre agenda.\n{manage}{reminder}"
)
MAIL_PERSON_REMINDER_SUBJECT = "Rappel : votre rendez-vous de médiation {reference}"
MAIL_PERSON_REMINDER = (
    "Bonjour,\n\nPour rappel, votre rendez-vous de médiation approche.\n\n"
    "Médiateur : {mediator}\nDate : {date}\nMode : {mode}\n{how}\nRéférence : {reference}\n\n{manage}"
)
MAIL_PERSON_CANCELLED_SUBJECT = "Votre rendez-vous de médiation {reference} est annulé"
MAIL_PERSON_CANCELLED = (
    "Bonjour,\n\nVotre rendez-vous de médiation {reference} du {date} avec {mediator} est annulé.\n\n"
    "Si vous souhaitez un autre rendez-vous, écrivez « prendre rendez-vous » à l'assistant."
)
MAIL_PERSON_MOVED_SUBJECT = "Votre rendez-vous de médiation {reference} est déplacé"
MAIL_PERSON_MOVED = (
    "Bonjour,\n\nVotre rendez-vous de médiation {reference} est déplacé.\n\n"
    "Médiateur : {mediator}\nNouvelle date : {date}\nMode : {mode}\n{how}\n\n"
    "Le nouveau rendez-vous est joint à ce message (fichier .ics).\n{manage}"
)
MAIL_MEDIATOR_NEW_SUBJECT = "Nouveau rendez-vous {reference}"
MAIL_MEDIATOR_NEW = (
    "Bonjour,\n\nUn rendez-vous de médiation a été pris avec vous par l'accueil en ligne.\n\n"
    "Date : {date}\nMode : {mode}\nRéférence : {reference}\n\n"
    "Personne : {name}\nContact : {contact}\n(La personne a accepté que ces coordonnées vous soient transmises.)\n\n"
    "Résumé neutre de la demande (établi automatiquement, sans les mots de la personne) :\n{brief}\n\n"
    "Le rendez-vous est joint à ce message (fichier .ics)."
)
MAIL_MEDIATOR_CANCELLED_SUBJECT = "Rendez-vous {reference} annulé"
MAIL_MEDIATOR_CANCELLED = ("Bonjour,\n\nLe rendez-vous {reference} du {date} ({mode}) est annulé par la personne. "
                           "Le créneau est de nouveau libre.")
MAIL_MEDIATOR_MOVED_SUBJECT = "Rendez-vous {reference} déplacé"
MAIL_MEDIATOR_MOVED = ("Bonjour,\n\nLe rendez-vous {reference} est déplacé par la personne.\n\n"
                       "Ancienne date : {old_date}\nNouvelle date : {date}\nMode : {mode}\n\n"
                       "Le nouveau rendez-vous est joint à ce message (fichier .ics).")
MAIL_MEDIATOR_MOVED_AWAY = ("Bonjour,\n\nLe rendez-vous {reference} du {old_date} a été déplacé vers un autre "
                            "médiateur. Votre créneau est de nouveau libre.")
SMS_PERSON_CONFIRMED = ("Médiation Accueil : RDV {reference} confirmé avec {mediator}, {date}, {mode}. "
                        "Annuler ou déplacer : {manage_url} (code demandé).")
SMS_PERSON_REMINDER = "Médiation Accueil : rappel, RDV {reference} avec {mediator}, {date}, {mode}."
SMS_PERSON_CANCELLED = "Médiation Accueil : votre RDV {reference} du {date} est annulé."
SMS_PERSON_MOVED = "Médiation Accueil : votre RDV {reference} est déplacé au {date}, {mode}, avec {mediator}."
BRIEF_LABELS = {
    "domain": "Domaine", "other_party": "Autre partie", "relationship_continues": "Relation qui se poursuit",
    "amount_eur": "Montant en jeu (euros)", "court_status": "Procédure en cours", "urgency": "Urgence",
    "departement": "Département", "verdict": "Tentative amiable obligatoire", "basis": "Textes",
    "exemptions": "Dispenses", "risk": "Risque signalé", "categories": "Catégories de risque",
    "outcome_aim": "Attente", "mode": "Mode", "note": "Note", "anonymised": "Anonymisé",
}
BRIEF_YES, BRIEF_NO = "oui", "non"

# What the confirmation in the conversation says about the messages that will follow.
BOOKING_MESSAGES_EMAIL = ("Vous allez recevoir un e-mail de confirmation à {contact}, avec le rendez-vous à ajouter "
                          "à votre agenda{reminder}.")
BOOKING_MESSAGES_SMS = "Vous allez recevoir un SMS de confirmation au {contact}{reminder}."
# Said only when a reminder is queued (a booking sooner than REMINDER_HOURS gets none).
BOOKING_MESSAGES_REMINDER = ", puis un rappel avant le rendez-vous"
MAIL_REMINDER_COMING = "\n\nVous recevrez un rappel avant le rendez-vous."
BOOKING_MESSAGES_NONE_PHONE = ("Aucun message ne vous sera envoyé : ce service n'envoie pas de SMS. Notez bien la "
                               "référence et le code ci-dessus.")
BOOKING_MESSAGES_NONE_DEMO = ("Aucun message ne vous sera envoyé : ce service de démonstration n'envoie pas "
                              "d'e-mail. Notez bien la référence et le code ci-dessus.")
BOOKING_MESSAGES_UNKNOWN = "Notez bien la référence et le code ci-dessus."
BOOKING_MEDIATOR_INFORMED = ("Le médiateur reçoit un résumé neutre de votre demande et vos coordonnées. Il vous "
                             "contactera si besoin avant le rendez-vous.")
BOOKING_MEDIATOR_IN_AGENDA = ("Le médiateur retrouvera un résumé neutre de votre demande et vos coordonnées avec le "
                              "rendez-vous. Il vous contactera si besoin avant le rendez-vous.")

# The page the messages' link opens (/public/booking/{reference}, bot/agenda/service.py).
MANAGE_TITLE = "Votre rendez-vous de médiation {reference}"
MANAGE_CODE_LABEL = "Votre code (8 caractères)"
MANAGE_CANCEL_BUTTON = "Annuler ce rendez-vous"
MANAGE_CANCELLED = "Votre rendez-vous {reference} est annulé et le créneau est libéré. Vous recevrez une confirmation."
MANAGE_ALREADY_CANCELLED = "Ce rendez-vous est déjà annulé."
MANAGE_WRONG_CODE = "Cette référence et ce code ne correspondent à aucun rendez-vous. Vérifiez le code et réessayez."


# ---- The mediator's space (bot/agenda/space/, issue 18 §2) -----------------------------------
# Pages, e-mails and errors seen by mediators; the templates take their words from SPACE_PAGES.
SPACE_PAGES = {
    "site": "Médiation Accueil – espace médiateur",
    "skip": "Aller au contenu",
    "nav_label": "Espace médiateur",
    "nav_appointments": "Mes rendez-vous",
    "nav_hours": "Mes disponibilités",
    "nav_calendar": "Mon agenda",
    "signed_in_as": "Connecté(e) :",
    "signout": "Se déconnecter",
    "back_home": "Retour à l'espace médiateur",
    "signin_title": "Connexion à l'espace médiateur",
    "signin_intro": ("Indiquez l'adresse e-mail sous laquelle vous figurez dans l'annuaire des médiateurs. "
                     "Vous recevrez un lien de connexion, valable 15 minutes et utilisable une seule fois. "
                     "Aucun mot de passe n'est nécessaire."),
    "signin_email_label": "Adresse e-mail",
    "signin_email_hint": "Exemple : prenom.nom@exemple.fr",
    "signin_submit": "Recevoir un lien de connexion",
    "signin_sent_title": "Vérifiez votre messagerie",
    "signin_sent": ("Si cette adresse est celle d'un médiateur de l'annuaire, un lien de connexion vient de lui "
                    "être envoyé. Il est valable 15 minutes et ne sert qu'une fois. Pensez à regarder dans les "
                    "indésirables."),
    "signin_again": "Demander un nouveau lien",
    "signin_link_title": "Se connecter",
    "signin_link_intro": "Vous y êtes presque : confirmez la connexion à votre espace médiateur.",
    "signin_link_submit": "Me connecter",
    "appointments_title": "Mes rendez-vous",
    "upcoming": "À venir",
    "upcoming_caption": "Rendez-vous à venir, du plus proche au plus lointain",
    "no_upcoming": "Aucun rendez-vous à venir pour l'instant.",
    "past": "Passés",
    "past_caption": "Rendez-vous passés, du plus récent au plus ancien",
    "no_past": "Aucun rendez-vous passé.",
    "col_when": "Date et heure",
    "col_reference": "Référence",
    "col_person": "Personne",
    "col_mode": "Modalité",
    "col_status": "État",
    "open_booking": "voir le rendez-vous",
    "appointment_title": "Rendez-vous",
    "contact_title": "Coordonnées",
    "contact_name": "Nom",
    "contact_email": "E-mail",
    "contact_phone": "Téléphone",
    "brief_title": "Résumé de la demande",
    "brief_empty": "Aucun résumé n'accompagne ce rendez-vous.",
    "cancel_title": "Annuler ce rendez-vous",
    "cancel_intro": ("La personne recevra un message l'informant de l'annulation et l'invitant à reprendre "
                     "rendez-vous. Le créneau ne sera plus proposé."),
    "cancel_confirm": "Je confirme l'annulation de ce rendez-vous",
    "cancel_submit": "Annuler le rendez-vous",
    "mark_title": "Suite du rendez-vous",
    "mark_legend": "Le rendez-vous a-t-il eu lieu ?",
    "mark_done": "Oui, il a eu lieu",
    "mark_missed": "Non, la personne n'est pas venue",
    "mark_submit": "Enregistrer",
    "back_list": "Retour à mes rendez-vous",
    "hours_title": "Mes disponibilités",
    "hours_intro": ("Vos horaires de chaque semaine, par modalité. L'agenda en tire vos créneaux pour les quatre "
                    "semaines à venir. Un créneau déjà réservé n'est jamais supprimé par une modification. "
                    "Heures locales"),
    "hours_open_slots": "Créneaux libres proposés actuellement : {count}.",
    "rules_title": "Horaires de la semaine",
    "rules_caption": "Vos horaires hebdomadaires",
    "no_rules": "Vous n'avez pas encore indiqué d'horaires.",
    "col_day": "Jour",
    "col_hours": "Horaires",
    "col_action": "Action",
    "delete": "Supprimer",
    "add_rule_title": "Ajouter des horaires",
    "rule_from": "De",
    "rule_to": "à",
    "rule_modes": "Modalités proposées sur ces horaires",
    "add_rule_submit": "Ajouter ces horaires",
    "duration_title": "Durée d'un rendez-vous",
    "duration_label": "Durée",
    "duration_submit": "Enregistrer la durée",
    "minutes": "{minutes} minutes",
    "exceptions_title": "Fermetures et absences",
    "exceptions_intro": "Congés, demi-journée fermée… aucun créneau n'est proposé pendant ces périodes.",
    "exceptions_caption": "Vos fermetures à venir",
    "no_exceptions": "Aucune fermeture à venir.",
    "col_label": "Motif",
    "col_from": "Du",
    "col_to": "Au",
    "add_exception_title": "Ajouter une fermeture",
    "exception_placeholder": "Congés",
    "exception_from_date": "Premier jour",
    "exception_from_time": "à partir de (facultatif)",
    "exception_to_date": "Dernier jour (facultatif)",
    "exception_to_time": "jusqu'à (facultatif)",
    "exception_hint": ("Sans heure, la fermeture couvre les journées entières. Pour un après-midi fermé, indiquez "
                       "le même jour, de 12:00 à 18:00 par exemple."),
    "add_exception_submit": "Ajouter la fermeture",
    "calendar_title": "Mon agenda",
    "feed_title": "Abonnement à vos rendez-vous",
    "feed_intro": ("Une adresse privée que Google Agenda, Outlook ou Apple Calendrier peuvent suivre : vos "
                   "rendez-vous y apparaissent et s'y mettent à jour. Elle ne contient ni le résumé ni les "
                   "coordonnées, qui restent dans cet espace. Ne la partagez pas."),
    "feed_created": ("Voici votre adresse d'abonnement. Copiez-la maintenant : pour votre sécurité, elle ne sera "
                     "plus affichée. Vous pourrez en créer une nouvelle à tout moment."),
    "feed_url_label": "Adresse d'abonnement (webcal)",
    "feed_subscribe": "S'abonner avec mon application d'agenda",
    "feed_https_label": "Même adresse en https (pour « Ajouter depuis une URL » dans Google Agenda)",
    "feed_active": "Un abonnement est actif. Si vous avez perdu son adresse, créez-en une nouvelle : l'ancienne cessera de fonctionner.",
    "feed_none": "Aucun abonnement n'est actif.",
    "feed_create": "Créer mon adresse d'abonnement",
    "feed_regenerate": "Remplacer par une nouvelle adresse",
    "feed_revoke": "Désactiver l'abonnement",
    "busy_title": "Mes autres engagements",
    "busy_intro": ("Importez votre agenda habituel (fichier .ics ou adresse de publication) : aucun créneau ne "
                   "sera proposé pendant vos autres engagements. Seules les heures de début et de fin sont "
                   "conservées, jamais les titres."),
    "busy_state": "{count} période(s) occupée(s) importée(s), dernière mise à jour : {when}.",
    "busy_from_url": "L'adresse est relue toutes les heures.",
    "busy_file": "Fichier .ics",
    "busy_url": "ou adresse https de l'agenda",
    "busy_hint": "Un fichier remplace l'import précédent ; une adresse est relue automatiquement toutes les heures.",
    "busy_submit": "Importer",
}
SPACE_NOTICES = {
    "hours": "Vos horaires sont enregistrés et vos créneaux mis à jour.",
    "exception": "La fermeture est enregistrée : aucun créneau libre n'est proposé pendant cette période.",
    "deleted": "C'est supprimé, et vos créneaux sont mis à jour.",
    "duration": "La durée est enregistrée et vos créneaux mis à jour.",
    "cancelled": "Le rendez-vous est annulé. La personne va recevoir un message.",
    "marked": "C'est enregistré.",
    "revoked": "L'abonnement est désactivé : l'ancienne adresse ne fonctionne plus.",
    "busy": "Vos engagements sont importés : aucun créneau n'est proposé pendant ces périodes.",
}
SPACE_STATUS_LABELS = {"confirmed": "confirmé", "cancelled": "annulé", "done": "a eu lieu", "missed": "personne absente"}
SPACE_BRIEF_LABELS = {
    "domain": "Type de situation", "other_party": "Autre partie", "relationship_continues": "Relation qui se poursuit",
    "amount_eur": "Montant en jeu", "court_status": "Procédure en justice", "urgency": "Urgence",
    "departement": "Département", "prelitigation": "Démarche amiable préalable", "safety": "Signal de sécurité",
    "outcome_aim": "Issue souhaitée", "note": "Note",
}
SPACE_VERDICT_LABELS = {
    "mandatory": "obligatoire avant une action en justice", "exempt": "dispense possible",
    "not_mandatory": "non obligatoire", "unknown": "à déterminer avec la personne",
}
SPACE_SAFETY_YES = "oui : la personne a évoqué un risque pour sa sécurité, à aborder avec prudence"
SPACE_SAFETY_NO = "non"
SPACE_ERROR_TITLES = {
    400: "Demande incorrecte", 403: "Action refusée", 404: "Page introuvable", 405: "Action impossible",
    409: "Action impossible", 410: "Lien expiré", 413: "Envoi trop volumineux", 429: "Trop de demandes",
    500: "Erreur du service",
}
SPACE_ERROR_MESSAGES = {
    400: "Cette demande n'a pas pu être comprise. Revenez à la page précédente et réessayez.",
    403: "Cette action n'est pas autorisée.",
    404: "Cette page n'existe pas ou n'est pas accessible depuis votre espace.",
    405: "Cette action n'est pas possible sur cette page.",
    409: "Cette action n'est plus possible pour ce rendez-vous (il est peut-être déjà annulé ou passé).",
    413: "L'envoi est trop volumineux.",
    500: "Le service a rencontré un problème. Réessayez dans quelques minutes ; rien n'a été perdu.",
}
SPACE_RATE_LIMITED = "Trop de demandes de connexion. Réessayez dans {minutes} minute(s)."
SPACE_SESSION_EXPIRED = "Votre session a expiré. Reconnectez-vous pour continuer ; rien n'a été modifié."
SPACE_CSRF_REFUSED = ("Ce formulaire a expiré ou ne vient pas de votre espace. Rechargez la page et réessayez ; "
                      "rien n'a été modifié.")
SPACE_SIGNIN_BAD_EMAIL = "Cette adresse e-mail ne semble pas valide. Vérifiez-la et réessayez."
SPACE_LINK_INVALID = ("Ce lien de connexion n'est plus valable : il a déjà servi ou a expiré (15 minutes). "
                      "Demandez-en un nouveau depuis la page de connexion.")
SPACE_CANCEL_UNCONFIRMED = "Cochez la case de confirmation pour annuler le rendez-vous ; rien n'a été modifié."
SPACE_FEED_UNKNOWN = "Cet agenda n'existe pas ou son abonnement a été désactivé."
SPACE_FEED_NAME = "Médiation Accueil – mes rendez-vous"
SPACE_FEED_SUMMARY = "Médiation {reference} – {name} ({mode})"
SPACE_FEED_DESCRIPTION = "Résumé et coordonnées dans votre espace médiateur : {url}"
SPACE_BUSY_UNREADABLE = "Ce fichier n'est pas un agenda au format iCalendar (.ics) lisible."
SPACE_BUSY_BAD_URL = "Indiquez une adresse publique en https:// (ou webcal://) de votre agenda."
SPACE_BUSY_UNREACHABLE = "Cette adresse ne répond pas pour l'instant. Vérifiez-la ou réessayez plus tard."
SPACE_BUSY_TOO_LARGE = "Cet agenda dépasse 2 Mo : exportez une période plus courte."
SPACE_BUSY_TOO_COMPLEX = ("Cet agenda compte trop d'événements ou des répétitions trop fréquentes pour être lu : "
                          "exportez seulement les trois prochains mois.")
SPACE_BUSY_NOTHING = "Choisissez un fichier .ics ou indiquez l'adresse de votre agenda."
SPACE_HOURS_INVALID = ("Ces horaires ne sont pas valables : choisissez un jour, une heure de fin après l'heure de "
                       "début et au moins une modalité.")
SPACE_HOURS_TOO_MANY = "Vous avez atteint le nombre maximal d'horaires ; supprimez-en avant d'en ajouter."
SPACE_EXCEPTION_INVALID = ("Cette fermeture n'est pas valable : le dernier jour doit suivre le premier, dans les "
                           "deux ans à venir, et les heures s'écrivent 14:00.")
SPACE_EXCEPTION_TOO_MANY = "Vous avez atteint le nombre maximal de fermetures ; supprimez-en avant d'en ajouter."
SPACE_EXCEPTION_DEFAULT_LABEL = "Fermeture"
SPACE_SIGNIN_SUBJECT = "Votre lien de connexion à l'espace médiateur"
SPACE_SIGNIN_TEXT = (
    "Bonjour,\n\n"
    "Pour vous connecter à votre espace médiateur Médiation Accueil, ouvrez ce lien :\n{link}\n\n"
    "Il est valable {minutes} minutes et ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce message : "
    "personne ne peut se connecter sans ce lien.\n\n"
    "Médiation Accueil"
)
SPACE_CANCEL_SUBJECT = "Votre rendez-vous de médiation {reference} est annulé"
SPACE_CANCEL_TEXT = (
    "Bonjour,\n\n"
    "Le médiateur {name} a dû annuler votre rendez-vous {reference} prévu le {when} ({mode}). "
    "Nous en sommes désolés.\n\n"
    "Vous pouvez prendre un autre rendez-vous en revenant sur l'assistant d'accueil : il vous proposera "
    "d'autres créneaux.\n\n"
    "Médiation Accueil"
)
SPACE_CANCEL_SMS = ("Médiation Accueil : votre rendez-vous {reference} du {when} est annulé par le médiateur. "
                    "Revenez sur l'assistant d'accueil pour en prendre un autre.")


# ---------------------------------------------------------------------------------------
# Agenda API errors (bot/agenda/service.py, store.py): the "message" of its JSON errors, for
# the action server and operators; the person never sees them (actions map the codes).
# ---------------------------------------------------------------------------------------
AGENDA_ERRORS = {
    "body_too_large": "Le corps de la requête dépasse {kb} ko.",
    "internal_error": "Erreur interne du service d'agenda.",
    "unauthorized": "Jeton d'accès absent ou incorrect.",
    "invalid_json": "Le corps de la requête doit être un objet JSON.",
    "hold_not_found": "Cette réservation provisoire n'existe pas.",
    "booking_not_found_or_wrong_secret": "Référence inconnue ou code incorrect.",
    "calendar_not_found": "Ce calendrier n'existe pas.",
    "invalid_date": "Date invalide : utilisez le format ISO 8601 (2026-01-31T09:00:00Z).",
    "date_out_of_bounds": "Date hors limites : un an avant aujourd'hui au plus tôt, deux ans après au plus tard.",
    "missing_field": "Le champ « {key} » est obligatoire.",
    "invalid_field": "Le champ « {key} » doit être un texte de {limit} caractères au plus, sans caractère de contrôle.",
    "invalid_domain": "« domain » doit valoir {values} ou other.",
    "invalid_mode": "« mode » doit valoir {values} ou {none}.",
    "invalid_postal_code": "« postal_code » doit compter 5 chiffres.",
    "invalid_query": ("« limit » doit être un entier positif ; « exclude », {max_excluded} identifiants entiers au "
                      "plus, séparés par des virgules."),
    "invalid_body": "« person » (objet) est obligatoire ; « brief » doit être un objet.",
    "invalid_brief": "« brief » est trop volumineux ou contient des caractères non autorisés.",
    "invalid_email": "« email » n'est pas une adresse e-mail valide.",
    "invalid_phone": "« phone » n'est pas un numéro de téléphone valide.",
    # Refusals before any handler (service.errors_middleware), instead of aiohttp's English reasons.
    "http_400": "Requête illisible : vérifiez l'en-tête Content-Type et le contenu envoyé.",
    "http_404": "Cette adresse n'existe pas.",
    "http_405": "Cette méthode n'est pas acceptée à cette adresse.",
    "http_error": "Requête refusée.",
}


# ---- Moving a booking from the messages' link (/public/booking/{reference}/move, service.py) ----
MANAGE_CHOOSE_INTRO = ("Pour annuler ou déplacer ce rendez-vous, saisissez le code qui vous a été donné avec la "
                       "référence dans la conversation.")
MANAGE_MOVE_BUTTON = "Déplacer ce rendez-vous (voir les créneaux libres)"
MANAGE_MOVE_CURRENT = "Votre rendez-vous actuel : {label}."
MANAGE_MOVE_LEGEND = "Choisissez un nouveau créneau"
MANAGE_MOVE_SAME = "Avec le même médiateur"
MANAGE_MOVE_OTHERS = "Avec un autre médiateur"
MANAGE_MOVE_CONFIRM_BUTTON = "Déplacer mon rendez-vous sur ce créneau"
MANAGE_MOVE_KEEP = "Garder mon rendez-vous actuel"
MANAGE_MOVE_NONE = ("Aucun autre créneau n'est libre dans les quatre prochaines semaines pour ce rendez-vous. "
                    "Votre rendez-vous actuel est maintenu. Vous pouvez réessayer plus tard ou écrire "
                    "« changer de créneau » à l'assistant Médiation Accueil.")
MANAGE_MOVE_TAKEN = ("Ce créneau vient d'être réservé par quelqu'un d'autre ou n'est plus disponible. Votre rendez-vous "
                     "actuel est maintenu. Choisissez un autre créneau ci-dessous.")
MANAGE_MOVE_PICK = "Choisissez l'un des créneaux proposés ci-dessous. Votre rendez-vous actuel est maintenu."
MANAGE_MOVE_EXPIRED = ("Ce formulaire a expiré ou n'est plus valable. Votre rendez-vous n'a pas changé : saisissez "
                       "à nouveau votre code pour voir les créneaux libres.")
MANAGE_MOVE_NOT_MOVABLE = "Ce rendez-vous ne peut plus être déplacé."
MANAGE_MOVED = "Votre rendez-vous {reference} est déplacé : {label}. L'ancien créneau est libéré."
MANAGE_MOVED_MESSAGE = "Vous recevrez une confirmation, et le médiateur est prévenu."
MANAGE_MOVED_NO_MESSAGE = "Le médiateur est prévenu. Notez bien la nouvelle date : aucun message ne vous sera envoyé."
MANAGE_MOVED_CALENDAR = "Ajouter le nouveau rendez-vous à mon agenda (fichier .ics)"
MANAGE_TOO_LARGE = "L'envoi est trop volumineux. Revenez à la page du rendez-vous et réessayez."
MANAGE_UNREADABLE = "Ce formulaire n'a pas pu être lu. Saisissez à nouveau votre code ; rien n'a été modifié."
# Any other refusal on these pages (service.errors_middleware): a French page, never JSON.
MANAGE_PAGE_ERRORS = {
    400: MANAGE_UNREADABLE,
    404: "Cette page n'existe pas. Vérifiez l'adresse reçue dans votre message de confirmation.",
    405: "Cette page ne s'ouvre pas ainsi. Saisissez votre code ci-dessous ; rien n'a été modifié.",
    413: MANAGE_TOO_LARGE,
    500: "Une erreur est survenue de notre côté. Réessayez dans un instant.",
}
MANAGE_PAGE_REFUSED = "Cette demande n'a pas pu aboutir. Saisissez à nouveau votre code ; rien n'a été modifié."
