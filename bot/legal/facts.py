"""The facts of a case for the triage engine: built from the intake, inferred from the
person's own words when they are unambiguous, or asked (one question at a time).

Codes are English and stable; the French questions live in bot/content.py.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Mapping

import dateparser

from bot.language.answers import DONT_KNOW, is_dont_know, normalise, parse_yes_no

# Questions the triage may ask, in the order it asks them (the first open one wins).
ASK_ORDER = (
    "customer",
    "claim_type",
    "employer_sector",
    "public_employer_kind",
    "decision_category",
    "cdg_convention",
    "france_travail_decision",
    "urgent_measure",
    "exemption",
    "written_complaint",
    "complaint_date",
)
# A fact the engine needs, and the question that provides it.
QUESTION_FOR_FACT = {fact: fact for fact in ASK_ORDER} | {"complaint_age_days": "complaint_date"}
# Safety categories that mean alleged violence (S1–S3, S5); suicidal words alone are not.
VIOLENCE_CATEGORIES = frozenset({"violence", "domestic", "child", "danger"})
YES_NO_FACTS = frozenset({"cdg_convention", "urgent_measure", "written_complaint"})

CLAIM_TYPES: dict[str, tuple[str, ...]] = {
    "family": ("parental", "divorce", "partition", "money", "other"),
    "neighbourhood": ("nuisance", "plantations", "boundary", "water_works", "money", "other"),
    "consumer": ("purchase", "credit", "debt_claimed", "other"),
    "territorial": ("rsa", "parking_fps", "project", "public_damage", "decision", "other"),
    "other": ("money", "b2b", "other"),
}
CHOICES: dict[str, tuple[str, ...]] = {
    # Who is the customer: the person (consumer), a private client of the person (a tradesman's
    # unpaid bill, consumer law seen from the other side), or a business (between professionals).
    "customer": ("me", "private_person", "business"),
    "employer_sector": ("private", "public", "france_travail"),
    "public_employer_kind": ("state_education", "territorial", "hospital", "other_state"),
    "decision_category": ("pay", "leave", "reinstatement", "classification", "training", "disability", "unfitness",
                          "other"),
    "france_travail_decision": ("radiation", "benefit_removal", "suspension", "warning", "overpayment",
                                "benefit_amount", "other_admin"),
    "exemption": ("homologation", "conciliator_delay", "ex_parte", "small_claims_failed", "prior_appeal",
                  "special_conciliation", "none"),
}

# Words people use, on normalised text (lower case, no accents). Order matters within a
# domain: the first family that matches names the claim, and a text that matches two
# families is ambiguous (the triage then asks).
_B2B_CUES = (r"\bentre (?:deux )?(?:entreprises|societes|professionnels)", r"\bmon client professionnel",
              r"\bclient(?:e)? professionnel", r"\b(?:societe|entreprise) cliente", r"\bfournisseur de mon entreprise",
              r"\bb2b\b", r"\bmon fournisseur\b")
_CLAIM_CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "family": {
        "partition": (r"\bsuccession", r"\bheritage", r"\bherit", r"\bindivision", r"\bpartage", r"\bnotaire",
                      r"\bmaison de (?:nos|mes) parents"),
        "divorce": (r"\bdivorc",),
        "parental": (r"\bgarde\b", r"\bresidence (?:des|de mes|de nos|de l'|alternee)", r"\bdroit de visite",
                     r"\bpension alimentaire", r"\benfants?\b", r"\bjaf\b", r"\bjuge aux affaires familiales",
                     r"\bhebergement", r"\bautorite parentale", r"\becole\b", r"\bvacances scolaires"),
        "money": (r"\bpret", r"\bprete", r"\brembours", r"\bdoit \d", r"\bme doit\b", r"\bdette", r"\bsomme\b",
                  r"\bargent\b", r"\bavance\b"),
    },
    "neighbourhood": {
        "boundary": (r"\bborn", r"\blimite (?:de|du|des|entre)", r"\bgeometre", r"\bcadastr"),
        "plantations": (r"\bhaie", r"\bthuya", r"\barbres?\b", r"\bbranches?", r"\bracines?", r"\belag",
                        r"\btaill", r"\bplantation", r"\bbambou", r"\bfeuilles\b", r"\bsapin", r"\bvegeta"),
        "water_works": (r"\becoulement", r"\beaux? de pluie", r"\beaux pluviales", r"\bfosse\b", r"\bfosses\b",
                        r"\bcanal\b", r"\bruissel", r"\bfosse septique", r"\bpuits\b", r"\binond"),
        "nuisance": (r"\bbruit", r"\bbruyant", r"\btapage", r"\baboi", r"\bchiens?\b", r"\bmusique", r"\bodeurs?",
                     r"\bfumee", r"\bbarbecue", r"\bnuisance", r"\btrouble", r"\bensoleillement", r"\bvis-a-vis",
                     r"\blumiere", r"\bpoulailler", r"\bcoq\b", r"\bfete", r"\bsoiree", r"\bnuit\b", r"\bcris\b",
                     r"\bvibration", r"\bpompe a chaleur", r"\bclimatis"),
        "money": (r"\brembours", r"\bme doit\b", r"\bdette", r"\bfacture", r"\bpaye[rz]? (?:sa|la) part",
                  r"\bsomme d'argent", r"\bdegats? des eaux", r"\bdegat", r"\bfuite d'eau", r"\bdommages"),
    },
    "consumer": {
        "credit": (r"\bcredit", r"\bpret (?:a la consommation|immobilier|personnel|auto)", r"\borganisme de credit",
                   r"\bmensualit", r"\bemprunt"),
        "debt_claimed": (r"\bme reclame", r"\bnous reclame", r"\brecouvrement", r"\bimpaye", r"\bfacture impayee",
                         r"\bme demande de payer", r"\bmise en demeure de payer"),
        "purchase": (r"\bachet", r"\bachat", r"\bcommande", r"\blivr", r"\bgarantie", r"\bsav\b", r"\bpanne",
                     r"\bdefectu", r"\brembours", r"\bartisan", r"\btravaux", r"\bdevis", r"\breparation",
                     r"\babonnement", r"\boperateur", r"\bvoyage", r"\bvol\b", r"\bbillet", r"\bfacture",
                     r"\bresili", r"\bassurance", r"\bvendeur", r"\bmagasin", r"\bgarage"),
    },
    "territorial": {
        "rsa": (r"\brsa\b", r"\brevenu de solidarite"),
        "parking_fps": (r"\bforfait post-?stationnement", r"\bfps\b", r"\bstationnement", r"\bamende de parking",
                        r"\bparcmetre"),
        "public_damage": (r"\barbres? (?:de la|du) (?:commune|mairie|ville|domaine public|place|square|parc)",
                          r"\bplatanes?\b", r"\bracines?", r"\btravaux (?:de la (?:commune|mairie|ville)|publics|de voirie)",
                          r"\bchantier (?:de la|du) (?:commune|mairie|ville|departement)", r"\bdommages? de travaux publics",
                          r"\bfissur", r"\bdegats?\b", r"\bindemnis"),
        "project": (r"\beolien", r"\bparc solaire", r"\bphotovolta", r"\bprojet (?:d'|de |du )(?:parc|eolien|zone|usine|route|rocade|amenagement|antenne|lotissement|carriere|centrale)", r"\bgrand projet", r"\bantenne", r"\bzone commerciale",
                    r"\benquete publique", r"\bcarriere\b", r"\busine", r"\bcontournement", r"\bautoroute",
                    r"\blotissement"),
        "decision": (r"\bpermis", r"\bplu\b", r"\bplan local", r"\bdecision", r"\brefus", r"\barrete",
                     r"\bsubvention", r"\bcantine", r"\bcreche", r"\bvoirie", r"\btaxe", r"\bdelib"),
    },
    "other": {
        "b2b": _B2B_CUES,
        "money": (r"\bpret", r"\bprete", r"\brembours", r"\bme doit\b", r"\bdette", r"\bsomme\b", r"\bargent\b"),
    },
}

_CHOICE_CUES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "customer": (
        ("private_person", (r"\bparticulier", r"\bje suis (?:le |la |l')?(?:professionnel|artisan|prestataire|vendeu)",
                            r"\bmon client\b", r"\bma cliente\b", r"\bl'autre partie")),
        ("business", (r"\bentreprise", r"\bsociete", r"\bprofessionnel", r"\bentre professionnels")),
        ("me", (r"\bmoi\b", r"\bc'est moi", r"\bj'ai (?:achete|commande|paye)", r"\bje suis (?:le |la )?client",
                r"\bconsommat")),
    ),
    "employer_sector": (
        ("france_travail", (r"\bfrance travail", r"\bpole emploi")),
        ("public", (r"\bpublic", r"\bfonction(?:naire| publique)", r"\bmairie", r"\bcommune", r"\bhopital",
                    r"\beducation nationale", r"\brectorat", r"\betat\b", r"\bcollectivite", r"\bagent\b",
                    r"\bcontractuel de la fonction")),
        ("private", (r"\bprive", r"\bentreprise", r"\bsociete", r"\bpatron", r"\bassociation", r"\bcommerce",
                     r"\bboite\b", r"\bparticulier employeur")),
    ),
    "public_employer_kind": (
        ("state_education", (r"\beducation", r"\brectorat", r"\bacademi", r"\becole", r"\bcollege", r"\blycee",
                             r"\benseign", r"\bprofesseur", r"\bprof\b")),
        ("hospital", (r"\bhopital", r"\bhospitali", r"\bchu\b", r"\bclinique", r"\behpad public")),
        ("territorial", (r"\bmairie", r"\bcommune", r"\bdepartement", r"\bregion", r"\bterritorial",
                         r"\bintercommun", r"\bcommunaute de communes", r"\bagglo", r"\bmetropole", r"\bcollectivite",
                         r"\bconseil (?:departemental|regional)", r"\bcentre de gestion")),
        ("other_state", (r"\bministere", r"\bprefecture", r"\betat\b", r"\bimpots", r"\bfinances publiques",
                         r"\bpolice", r"\bgendarmerie", r"\bjustice", r"\bdouane", r"\barmee")),
    ),
    "decision_category": (
        ("other", (r"\bsanction", r"\bdisciplin", r"\bblame\b", r"\bavertissement", r"\bmutation",
                   r"\bconges? annuels?", r"\bexclusion", r"\brevocation", r"\bnotation", r"\bevaluation")),
        ("pay", (r"\bremuneration", r"\bsalaire", r"\bprime", r"\btraitement", r"\bpaie", r"\bindemnit",
                 r"\bnbi\b", r"\brifseep", r"\bpaye\b")),
        ("leave", (r"\bdisponibilite", r"\bdetachement", r"\bconge (?:non remunere|sans solde)", r"\bsans solde")),
        ("reinstatement", (r"\breintegr", r"\bretour de conge parental", r"\breemploi")),
        ("classification", (r"\bclassement", r"\bpromotion", r"\bavancement de grade", r"\bechelon")),
        ("training", (r"\bformation",)),
        ("disability", (r"\bhandicap", r"\bamenagement (?:de|du) (?:mon )?poste", r"\bamenagement raisonnable",
                        r"\brqth")),
        ("unfitness", (r"\binaptitude", r"\binapte", r"\breclassement", r"\bamenagement des conditions de travail")),
    ),
    "france_travail_decision": (
        ("benefit_amount", (r"\bmontant", r"\bcalcul", r"\bare\b", r"\ballocation chomage (?:trop )?(?:basse|faible)",
                            r"\btaux")),
        ("radiation", (r"\bradi",)),
        ("warning", (r"\bavertissement",)),
        ("overpayment", (r"\btrop[- ]percu", r"\bindu", r"\brembourser", r"\brepetition")),
        ("suspension", (r"\bsuspen", r"\blever la suspension")),
        ("benefit_removal", (r"\bsuppression", r"\bsupprim", r"\bcoupe", r"\bplus d'allocation")),
        ("other_admin", (r"\bsanction", r"\bcategorie", r"\bcessation d'inscription", r"\baide\b", r"\bautre")),
    ),
    "exemption": (
        # Before "none": "non contradictoire" is not a "non".
        ("ex_parte", (r"\bnon contradictoire", r"\bsur requete", r"\bsans (?:prevenir|entendre|appeler) l'autre",
                      r"\bsans que l'autre (?:partie|personne) (?:soit|ne soit)", r"\bex_parte")),
        ("none", (r"\baucune?\b", r"\brien de tout", r"\bnon\b", r"\bpas du tout", r"\bnone\b", r"\bnon concerne")),
        ("homologation", (r"\bhomolog", r"\baccord (?:est )?(?:deja )?trouve", r"\bdeja d'accord", r"\baccord signe")),
        ("conciliator_delay", (r"\b3 mois", r"\btrois mois", r"\bconciliateur (?:ne|n'est|indisponible|pas dispo)",
                               r"\bpas de conciliateur", r"\bdelai du conciliateur", r"\bconciliator_delay")),
        ("small_claims_failed", (r"\bpetites? creances?", r"\bsmall_claims")),
        ("prior_appeal", (r"\brecours (?:administratif )?prealable",)),
        ("special_conciliation", (r"\bconciliation (?:obligatoire )?prevue", r"\bcommission de conciliation")),
    ),
}

# Broad families that give way to a specific one named in the same text.
_GENERIC_CLAIMS = frozenset({"money", "decision"})

_PROCEDURE_CUES = (
    ("injonction_de_payer", (r"\binjonction de payer",)),
    ("refere", (r"\brefere\b", r"\ben refere")),
)
_CROSS_BORDER = (r"\bsite (?:etranger|allemand|espagnol|italien|belge|neerlandais)", r"\bvendeur (?:etranger|allemand|"
                 r"espagnol|italien|belge)", r"\ben (?:allemagne|espagne|italie|belgique|irlande|pologne)",
                 r"\bunion europeenne", r"\bautre pays (?:de l'ue|europeen)")
# Harassment at work, moral or sexual, in the words people use (not only "harcèlement").
_HARASSMENT = (
    r"\bharcel", r"\bremarques? (?:a caractere )?(?:sexuel|sexiste|deplace|obscene|grivois|sur mon (?:physique|corps))",
    r"\bpropos (?:sexuel|sexiste|deplace|obscene|degradant|humiliant|grivois)", r"\b(?:gestes?|comportements?) deplace",
    r"\bm'a touche", r"\bme touche (?:les|la|le|sans)", r"\bm'a (?:pelote|caresse|embrasse)", r"\battouchement",
    r"\bmains? (?:aux|sur les) fesses", r"\bagression sexuelle", r"\bavances (?:sexuelles|insistantes|deplacees)",
    r"\bblagues? (?:sexuel|sexiste|graveleuse|salace)", r"\bsexiste", r"\bchantage sexuel", r"\bm'humilie",
    r"\bhumiliation", r"\bme rabaisse", r"\bdenigre", r"\bbrimade", r"\bmis(?:e)? au placard", r"\bm'isole",
)
# A contract clause that forces a mediation before the judge (the person asks whether it binds them).
_MEDIATION_CLAUSE = (
    r"\bclause\b.*\b(?:mediat|concilia)", r"\b(?:mediat|concilia)\w*\b.*\bclause\b",
    r"\b(?:contrat|conditions generales|cgv)\b.*\b(?:mediation|conciliation) (?:obligatoire|prealable)",
    r"\b(?:mediation|conciliation) (?:obligatoire|prealable)\b.*\b(?:contrat|conditions generales|cgv)\b",
)
# Roots or a tree cracking a wall, a slab, a terrace: a trouble anormal de voisinage, not a
# plantation-distance case (legal-rules.md V3 "damage from roots").
_ROOTS_OR_TREE = r"\b(?:racines?|arbres?|souches?)\b"
_CRACKS = r"\b(?:fissur|lezard|fend|souleve|soulev|craquel|deform|endommag|abime|casse)"
# The trees, land or works of the commune (public domain): the other party is a public body,
# whatever the intake button said (legal-rules.md V4).
_PUBLIC_OWNER = (
    r"\b(?:arbres?|platanes?|tilleuls?|racines?|branches?|terrain|parc|square)\b(?: [\w'-]+){0,3}"
    r" (?:de la|du|a la) (?:commune|mairie|ville|metropole|domaine public)\b",
    r"\b(?:travaux|chantier) (?:de la|du) (?:commune|mairie|ville|metropole)\b",
    r"\b(?:appartient|appartenant) a la (?:commune|mairie|ville|metropole)", r"\btravaux publics",
)
# The person acts for a public body against another one (a commune and its intercommunalité…).
_PUBLIC_BODY_CLAIMANT = (
    r"\bje suis (?:le |la )?(?:maire|adjoint|adjointe|elu|elue|president|presidente|dgs|secretaire de mairie)\b",
    r"\bnotre (?:commune|mairie|collectivite|intercommunalite|communaute de communes|syndicat intercommunal)",
    r"\bentre (?:la|notre|une) commune et (?:la|l'|le|une)", r"\bentre deux (?:communes|collectivites|mairies)",
    r"\bau nom de (?:la|ma) (?:commune|mairie|collectivite)", r"\bje represente (?:la|ma) (?:commune|mairie|collectivite)",
)
# The person is the professional (a tradesman, a small business) owed money by a client.
_PROFESSIONAL_SELF = (
    r"\bje suis (?:un |une )?(?:artisan|plombier|electricien|macon|menuisier|peintre|carreleur|couvreur|chauffagiste|"
    r"paysagiste|jardinier|garagiste|commercant|commercante|auto-?entrepreneur|auto-?entrepreneuse|micro-?entrepreneur|"
    r"entrepreneur|entrepreneuse|professionnel|professionnelle|independant|independante|freelance|photographe|traiteur|"
    r"coiffeur|coiffeuse|serrurier|plaquiste|charpentier|graphiste|consultant|consultante|prestataire)\b",
    r"\bje suis a mon compte", r"\bmon entreprise\b", r"\bma (?:petite )?(?:entreprise|societe|boutique|auto-?entreprise|"
    r"micro-?entreprise)\b", r"\bmon commerce\b", r"\bmon client\b", r"\bma cliente\b", r"\bmes clients?\b",
    r"\bun(?:e)? client(?:e)? (?:ne|refuse|n'a|me doit)",
    r"\bma facture (?:n'est (?:toujours )?pas (?:payee|reglee)|reste impayee|est restee impayee|impayee)",
    r"\bj'ai (?:fait|realise|effectue) des travaux chez", r"\bj'ai facture",
)
_PRIVATE_CLIENT = (r"\bparticulier", r"\bclient(?:e)? prive", r"\bchez (?:un|une) (?:client|cliente|particulier)",
                   r"\bchez (?:lui|elle)\b")
# The person is plainly the customer of a professional.
_CONSUMER_SELF = (
    r"\bj'ai (?:achete|commande|paye|verse|souscrit|reserve|loue)", r"\bje (?:suis|reste) client",
    r"\bmon (?:operateur|fournisseur d'(?:energie|electricite|acces)|garagiste|artisan|assureur|vendeur)\b",
    r"\bma (?:banque|mutuelle|box)\b", r"\bm'a (?:facture|vendu|livre)", r"\bme (?:reclame|facture)\b",
)

# Workplace other-party codes from the intake, mapped to the employer's sector.
_SECTOR_BY_OTHER_PARTY = {"employer_private": "private", "colleague": "private", "employer_public": "public",
                          "france_travail": "france_travail"}


def _first_matching(text: str, families: Mapping[str, tuple[str, ...]] | tuple) -> list[str]:
    items = families.items() if isinstance(families, Mapping) else families
    return [code for code, patterns in items if any(re.search(pattern, text) for pattern in patterns)]


def _has_any(text: str, patterns: tuple[str, ...]) -> bool:
    return any(re.search(pattern, text) for pattern in patterns)


def roots_crack_a_structure(text: str | None) -> bool:
    """"Les racines du chêne fissurent mon mur": damage, i.e. a trouble anormal de voisinage."""
    plain = normalise(text)
    return bool(re.search(_ROOTS_OR_TREE, plain) and re.search(_CRACKS, plain))


def infer_claim_type(text: str | None, domain: str | None) -> str | None:
    """The claim named by the person's words, only when one family of cues matches."""
    plain = normalise(text)
    cues = _CLAIM_CUES.get(domain or "")
    if not plain or not cues:
        return None
    if domain == "neighbourhood" and roots_crack_a_structure(plain):
        return "nuisance"
    found = _first_matching(plain, cues)
    specific = [claim for claim in found if claim not in _GENERIC_CLAIMS]
    if specific:
        # "il me doit les travaux de la haie", "la mairie me refuse le RSA": the specific claim decides.
        found = specific
    return found[0] if len(found) == 1 else None


def infer_from_text(text: str | None, domain: str | None) -> dict[str, Any]:
    """Facts the person's description states plainly (never guessed from an ambiguous text)."""
    plain = normalise(text)
    facts: dict[str, Any] = {}
    claim = infer_claim_type(plain, domain)
    if claim:
        facts["claim_type"] = claim
    procedure = _first_matching(plain, _PROCEDURE_CUES)
    if procedure:
        facts["procedure"] = procedure[0]
    if any(re.search(pattern, plain) for pattern in _CROSS_BORDER):
        facts["cross_border"] = True
    if domain == "workplace" and _has_any(plain, _HARASSMENT):
        facts["harassment"] = True
    if domain == "neighbourhood" and _has_any(plain, _PUBLIC_OWNER):
        facts["other_party"] = "local_authority"
    if domain == "consumer" and _has_any(plain, _MEDIATION_CLAUSE):
        facts["mediation_clause"] = True
    if domain == "territorial" and _has_any(plain, _PUBLIC_BODY_CLAIMANT):
        facts["public_body_claimant"] = True
    return facts


def infer_customer(text: str | None, domain: str | None, other_party: str | None = None) -> str | None:
    """Who is the customer, from the description and the other party named in the intake.

    "me": the person bought from a professional (consumer law); "private_person": the person is
    the professional and a private client owes them money (consumer law seen from the other
    side); "business": a dispute between professionals; None: the words do not say.
    """
    if domain not in ("consumer", "other"):
        return None
    plain = normalise(text)
    if _has_any(plain, _B2B_CUES):
        return "business"
    if _has_any(plain, _PROFESSIONAL_SELF):
        if other_party == "private_person" or _has_any(plain, _PRIVATE_CLIENT):
            return "private_person"
        if other_party == "professional":
            return "business"
        return None
    if _has_any(plain, _CONSUMER_SELF) or other_party == "professional":
        return "me"
    return None


def _customer(domain: str | None, inferred: str | None, other_party: str | None, description: str | None) -> str | None:
    """The customer fact before the triage answers: asked only when it is really unclear."""
    if inferred or domain not in ("consumer", "other"):
        return inferred
    if domain == "other":
        # A loan to a friend, a sale between private persons: no professional, no question,
        # unless the person speaks as a professional without saying who the client is.
        return None if _has_any(normalise(description), _PROFESSIONAL_SELF) else "not_applicable"
    # Consumer domain: the consumer is the natural reading unless the other party is a private
    # person or nobody is named (then either side could be the customer).
    return None if other_party in ("private_person", DONT_KNOW, "other", None) else "me"


def parse_answer(fact: str, text: str | None, domain: str | None = None, today: dt.date | None = None) -> Any:
    """The code for an answer typed or clicked; DONT_KNOW; or None when not understood."""
    plain = normalise(text)
    if not plain:
        return None
    if fact == "complaint_date":
        if is_dont_know(plain):
            return DONT_KNOW
        day = parse_past_date(text, today)
        return day.isoformat() if day else None
    if fact in YES_NO_FACTS or fact == "complaint_draft":
        if is_dont_know(plain):
            return DONT_KNOW
        answer = parse_yes_no(plain)
        return None if answer is None else answer
    allowed = CLAIM_TYPES.get(domain or "", ()) if fact == "claim_type" else CHOICES.get(fact, ())
    if plain in allowed:  # a button payload code
        return plain
    if is_dont_know(plain):
        return DONT_KNOW
    if fact == "claim_type":
        if domain == "neighbourhood" and roots_crack_a_structure(plain):
            return "nuisance"
        found = _first_matching(plain, _CLAIM_CUES.get(domain or "", {}))
        if not found and re.search(r"\bautre", plain):
            return "other"
        return found[0] if found else None
    found = _first_matching(plain, _CHOICE_CUES.get(fact, ()))
    return found[0] if found else None


def parse_past_date(text: str | None, today: dt.date | None = None) -> dt.date | None:
    """A date in the past written in French ("le 3 mars 2026", "il y a deux mois")."""
    if not text or not text.strip():
        return None
    today = today or dt.date.today()
    base = dt.datetime.combine(today, dt.time())
    parsed = dateparser.parse(
        text, languages=["fr"],
        settings={"PREFER_DATES_FROM": "past", "RELATIVE_BASE": base, "DATE_ORDER": "DMY",
                  "PREFER_DAY_OF_MONTH": "first"},
    )
    if parsed is None or parsed.date() > today:
        return None
    return parsed.date()


def build_facts(
    slots: Mapping[str, Any],
    answers: Mapping[str, Any],
    description: str | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """All the facts the engine reads, from the intake slots and the triage answers.

    An answer "je ne sais pas" leaves its fact missing (the verdict may then be unknown)
    but marks it as answered, so it is never asked twice.
    """
    today = today or dt.date.today()
    domain = slots.get("situation_domain")
    other_party = slots.get("other_party") or DONT_KNOW
    facts: dict[str, Any] = {
        "domain": domain,
        "other_party": other_party,
        "amount_eur": slots.get("amount_eur"),
        # Not asked again in the triage: an unanswered court question means no case is pending.
        "court_status": slots.get("court_status") if slots.get("court_status") not in (None, DONT_KNOW) else "none",
        "urgency": slots.get("urgency") or DONT_KNOW,
        "violence": bool(set(slots.get("safety_categories") or ()) & VIOLENCE_CATEGORIES),
        "procedure": "ordinary",
        "cross_border": False,
        "harassment": False,
        "mediation_clause": False,
        "public_body_claimant": False,
    }
    if domain == "workplace" and other_party in _SECTOR_BY_OTHER_PARTY:
        facts["employer_sector"] = _SECTOR_BY_OTHER_PARTY[other_party]
    facts.update(infer_from_text(description, domain))
    facts["customer"] = _customer(domain, infer_customer(description, domain, other_party), other_party, description)
    for fact, value in answers.items():
        if value is None or value == DONT_KNOW or fact == "complaint_draft":
            continue
        facts[fact] = value
    # The customer decides the claim: a private client's unpaid bill, or a dispute between businesses.
    if domain in ("consumer", "other") and facts.get("customer") == "private_person":
        facts["claim_type"] = "professional_claim"
    elif domain in ("consumer", "other") and facts.get("customer") == "business":
        facts["claim_type"] = "b2b"
    if isinstance(facts.get("complaint_date"), str):
        complaint = dt.date.fromisoformat(facts["complaint_date"])
        facts["complaint_age_days"] = (today - complaint).days
        facts["complaint_deadline"] = _one_year_after(complaint).isoformat()
    return facts


def _one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)
