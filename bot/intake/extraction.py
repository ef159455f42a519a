"""What the person's description already says, so that it is not asked again.

Pure functions over the description (normalised: lower case, no accents, so that SMS spelling
and missing accents read the same). Each fact is taken only when the words are plain and point
one way; two readings, or a negation, leave it to the question. What is taken is shown in the
recap « d'après votre message » for the person to confirm or change (bot/intake/recap.py).

- `intake_facts`: the intake slots (other party, relationship, amount, court case, urgency, place);
- `triage_facts`: the triage answers (public employer, contested decision, written complaint and its date);
- `prefill`: both, for the slots still empty, as the intake form sets them once the domain is confirmed.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable, Mapping

from bot.places import geo
from bot.language.amounts import amount_in_text
from bot.language.answers import normalise
from bot.language.dates import find_past_dates
from bot.places.postal_codes import departement_of

# -- helpers ----------------------------------------------------------------------------------


_SMS = ((r"\bjai\b", "j'ai"), (r"\bjhabite", "j'habite"), (r"\bjabite", "j'habite"), (r"\bcest\b", "c'est"),
        (r"\bjsuis\b", "je suis"), (r"\bpr\b", "pour"), (r"\bds\b", "dans"), (r"\bmn\b", "mon"),
        (r"\bvoizin", "voisin"), (r"\bya\b", "il y a"),
        (r"\bg (?=(?:ete|envoye|ecrit|saisi|recu|fait|deja|pas|plus)\b)", "j'ai "))
# "j ai", "l an", "c est", "n ai" (apostrophe left out): put it back.
_ELIDED = re.compile(r"\b([jlcdmnst]) (?=[aeiouyh])")


def plain_text(text: str | None) -> str:
    """Normalised (bot.language.answers.normalise) with the usual SMS spellings and dropped apostrophes mended."""
    plain = normalise(text)
    for pattern, replacement in _SMS:
        plain = re.sub(pattern, replacement, plain)
    return _ELIDED.sub(r"\1'", plain)


def _has(text: str, patterns: Iterable[str]) -> bool:
    return any(re.search(pattern, text) for pattern in patterns)


def _only(text: str, families: Iterable[tuple[str, tuple[str, ...]]]) -> str | None:
    """The one code whose words appear in `text`; None when none or several do."""
    found = [code for code, patterns in families if _has(text, patterns)]
    return found[0] if len(found) == 1 else None


_MY = r"(?:mon|ma|mes|notre|nos|m'|mn|m)"  # "mn voisin" (SMS)

# -- the other party ------------------------------------------------------------------------

_PUBLIC_EMPLOYER = (r"\bmairie\b", r"\brectorat\b", r"\beducation nationale\b", r"\bhopital\b", r"\bchu\b",
                    r"\bcentre hospitalier\b", r"\bfonction(?:naire| publique)\b", r"\bagent (?:public|territorial)\b",
                    r"\bcollectivite\b", r"\bconseil (?:departemental|regional)\b", r"\bcentre de gestion\b",
                    r"\bacademie\b", r"\bministere\b", r"\bprefecture\b", r"\bcommunaute de communes\b",
                    r"\bmetropole\b", r"\bcontractuel(?:le)? de la fonction\b", r"\batsem\b",
                    r"\b(?:l'|une |mon |notre )?ecole (?:publique|primaire|maternelle)\b", r"\bcollege\b", r"\blycee\b")
_FRANCE_TRAVAIL = (r"\bfrance travail\b", r"\bpole emploi\b", r"\bpole-emploi\b", r"\bradie(?:e|s)?\b", r"\bradiation\b")

_PARTIES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "workplace": (
        ("france_travail", _FRANCE_TRAVAIL),
        ("employer_public", _PUBLIC_EMPLOYER),
        ("colleague", (r"\b(?:un|une|mon|ma|le|la|cette|ce|des|mes|les|deux|trois) collegues? (?:me|m'|nous|ne)",
                       r"\b(?:un|une|mon|ma) collegue\b")),
        ("employer_private", (r"\bpatron(?:ne)?\b", rf"\b{_MY} ?(?:boite|boss|societe|entreprise)\b",
                              r"\bemployeur (?:prive|particulier)\b", r"\bgerant(?:e)?\b")),
    ),
    "family": (
        ("ex_partner", (r"\bex\b", r"\bex-", rf"\b{_MY} ?(?:ancien(?:ne)? )?(?:mari|femme|conjoint|conjointe|epoux|"
                        r"epouse|compagnon|compagne|copain|copine|concubin|concubine)\b",
                        r"\b(?:le pere|la mere|le papa|la maman) de (?:mes|mon|ma|nos|notre)\b")),
        ("relative", (rf"\b{_MY} ?(?:frere|soeur|freres|soeurs|pere|mere|parents|oncle|tante|cousin|"
                      r"cousine|grand-?(?:pere|mere|parents)|beau-?(?:pere|frere)|belle-?(?:mere|soeur)|"
                      r"famille|neveu|niece)\b",)),
    ),
    "neighbourhood": (
        ("neighbour", (r"\bvoisin(?:e|s|es)?\b", r"\bdu dessus\b", r"\bdu dessous\b", r"\bd'a cote\b")),
        ("co_owner", (r"\bsyndic\b", r"\bcopropri")),
        ("landlord", (rf"\b{_MY} ?(?:proprio|proprietaire|bailleur)\b", r"\bbailleur social\b", r"\bhlm\b")),
        ("local_authority", (r"\bla mairie\b", r"\bla commune\b", r"\ble maire\b")),
    ),
    "consumer": (
        ("professional", (r"\bvendeu(?:r|se)\b", r"\bmagasin\b", r"\bboutique\b", r"\bartisan\b", r"\bplombier\b",
                          r"\belectricien\b", r"\bmacon\b", r"\bgaragiste\b", r"\bgarage\b", r"\bconcessionnaire\b",
                          r"\boperateur\b", r"\bbanque\b", r"\bassureur\b", r"\bassurance\b", r"\bsite\b",
                          r"\ble professionnel\b", r"\bprestataire\b", r"\bfournisseur\b", r"\bconstructeur\b",
                          r"\bcompagnie aerienne\b", r"\bagence de voyage", r"\bservice client\b", r"\bmutuelle\b",
                          r"\bl'entreprise\b", r"\bla societe\b", r"\bcuisiniste\b", r"\bcouvreur\b", r"\bpaysagiste\b")),
        ("private_person", (r"\bun particulier\b", r"\bune particuliere\b", r"\bleboncoin\b", r"\bbon coin\b",
                            r"\bvinted\b")),
        ("landlord", (rf"\b{_MY} ?(?:proprio|proprietaire|bailleur)\b",)),
    ),
    "territorial": (
        ("local_authority", (r"\bmairie\b", r"\bcommune\b", r"\bmaire\b", r"\bdepartement\b",
                             r"\bconseil (?:departemental|regional)\b", r"\bregion\b", r"\bcommunaute de communes\b",
                             r"\bagglo", r"\bmetropole\b", r"\bcollectivite\b", r"\bintercommun")),
        ("public_body", (r"\bcaf\b", r"\bimpots\b", r"\bcpam\b", r"\burssaf\b",
                         r"\bfinances publiques\b", r"\bsecurite sociale\b")),
    ),
    "other": (
        ("private_person", (rf"\b{_MY} ?(?:ami|amie|pote|copain|copine)\b", r"\bune connaissance\b")),
    ),
}
# Public-employer and France Travail words name the employer even next to « mon chef », « mon patron ».
_PARTY_PRIORITY = {"workplace": ("france_travail", "employer_public")}


def other_party(text: str, domain: str | None) -> str | None:
    plain = plain_text(text)
    families = _PARTIES.get(domain or "", ())
    found = [code for code, patterns in families if _has(plain, patterns)]
    for code in _PARTY_PRIORITY.get(domain or "", ()):
        if code in found:
            others = [other for other in found if other not in ("employer_private", code)]
            # « ma collègue à la mairie »: the other party is the colleague or the employer; ask.
            return code if not others or (code == "france_travail" and others == ["employer_public"]) else None
    return found[0] if len(found) == 1 else None


# -- relationship, court case, urgency ------------------------------------------------------

_RELATIONSHIP: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "workplace": (
        ("no", (r"\blicenci", r"\bdemission", r"\brupture conventionnelle\b", r"\bne (?:travaille|bosse) plus\b",
                r"\bfin de (?:mon |ma )?(?:contrat|cdd|mission)\b", r"\bancien(?:ne)? (?:employeur|patron|boite)\b",
                r"\bex[- ]employeur\b", r"\bj'ai quitte\b", r"\bje suis parti(?:e)? de\b")),
        ("yes", (r"\btoujours en poste\b", r"\bencore en poste\b", r"\bje (?:travaille|bosse) (?:toujours|encore)\b",
                 r"\bje suis (?:toujours|encore) (?:salarie|employe|agent)")),
    ),
    "neighbourhood": (
        ("no", (r"\b(?:j'ai|nous avons|on a|j'ai deja) demenage\b", r"\bancien(?:ne|s)? voisin")),
    ),
}

_COURT = (
    ("decision", (r"\b(?:le|la) (?:juge|jaf|tribunal|cour) (?:a|avait) (?:deja )?(?:rendu|tranche|decide|statue|fixe|"
                  r"condamne|juge)\b", r"\bjugement (?:a ete |a deja ete )?rendu\b", r"\bdecision de justice\b",
                  r"\b(?:le|un|du|mon|notre) jugement\b", r"\bordonnance du juge\b", r"\ba ete condamne")),
    ("pending", (r"\b(?:j'ai|jai|nous avons|on a|il a|elle a|ils ont|mon avocat a) (?:deja )?saisi (?:le|la|les|l')",
                 r"\bprocedure (?:est )?(?:en cours|engagee)\b", r"\baudience (?:est )?(?:prevue|fixee|le|dans)\b",
                 r"\bm'a assigne", r"\b(?:j'ai ete|je suis) assigne", r"\bj'ai recu une assignation\b",
                 r"\bconvoque(?:e|s)? (?:au|devant le|par le) (?:tribunal|juge)\b", r"\bproces (?:est )?en cours\b",
                 r"\baffaire (?:est )?en cours (?:au|devant)\b")),
    ("none", (r"\baucune procedure\b", r"\bpas (?:encore )?(?:de|d'une) (?:procedure|proces)\b",
              r"\b(?:je n'ai|on n'a|nous n'avons|j'ai) pas (?:encore )?saisi\b",
              r"\bsans (?:aller au|aller devant le|passer par le|passer par la) (?:tribunal|juge|justice)\b",
              r"\beviter (?:le|les|un) (?:tribunal|tribunaux|proces|juge)\b")),
)

_NOT_URGENT = (r"\b(?:ce n'est |c'est |c )?pas (?:tres |si )?urgent\b", r"\baucune urgence\b", r"\bpas d'urgence\b",
               r"\brien ne presse\b", r"\bpas presse(?:e|s)?\b", r"\bsans urgence\b")
_URGENT = (r"\burgent(?:e)?\b", r"\burgence\b", r"\bau plus vite\b", r"\ble plus vite possible\b", r"\basap\b",
           r"\bexpuls\w* (?:demain|cette semaine|dans (?:quelques|\d+|deux|trois) jours)\b",
           r"\bd'ici (?:demain|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|la fin de la semaine)\b")
_EMERGENCY_WARD = r"\b(?:aux|des|les) urgences\b"


def relationship(text: str, domain: str | None) -> str | None:
    return _only(plain_text(text), _RELATIONSHIP.get(domain or "", ()))


def court_status(text: str) -> str | None:
    return _only(plain_text(text), _COURT)


def urgency(text: str) -> str | None:
    plain = re.sub(_EMERGENCY_WARD, " ", plain_text(text))
    if _has(plain, _NOT_URGENT):
        stripped = plain
        for pattern in _NOT_URGENT:
            stripped = re.sub(pattern, " ", stripped)
        return None if _has(stripped, _URGENT) else "not_urgent"
    return "urgent" if _has(plain, _URGENT) else None


# -- place ----------------------------------------------------------------------------------

_LIVE = (r"(?:j'?habite|j'?abite|jhabite|j'?hab|habitant|habitante|nous habitons|on habite|je vis|nous vivons|on vit|"
         r"je reside|je demeure|domicilie|domiciliee|je suis domicilie|je suis domiciliee)")
_PLACE_AFTER_LIVE = re.compile(rf"\b{_LIVE}\s+(?:(?:a|au|aux|sur|dans|en|vers|pres de|a cote de)\s+)?"
                               r"(?:la (?:ville|commune) (?:de|d')\s*)?(?P<rest>[a-z0-9' -]+)")
_POSTAL_AFTER_CUE = re.compile(r"\b(?:code postal|cp|c\.p\.)\s*:?\s*(?P<code>\d{2}\s?\d{3})(?!\d)")
_POSTAL_WITH_WORDS = re.compile(r"(?<!\d)(?P<code>\d{2}\s?\d{3})(?!\d)\s+(?P<rest>[a-z' -]+)")
_NOT_A_PLACE = frozenset({"un", "une", "le", "la", "les", "chez", "avec", "seul", "seule", "ici", "pres", "loin",
                          "depuis", "toujours", "encore", "pas", "plus", "dans", "en", "face", "bas", "haut", "y",
                          "maison", "appartement", "immeuble", "rue", "quartier", "ville", "campagne", "mal", "bien",
                          "avec", "sous", "sur", "au", "a", "de", "du", "des", "et", "ou", "mon", "ma", "mes"})
_MAX_NAME_WORDS = 5


def _commune_in(words: list[str]) -> tuple[str, str] | None:
    """The longest run of first words that names a commune, e.g. ["la", "rochelle", "et"] → La Rochelle."""
    for size in range(min(_MAX_NAME_WORDS, len(words)), 0, -1):
        name = " ".join(words[:size])
        if size == 1 and name in _NOT_A_PLACE:
            continue
        found = geo.commune_postal_code(name)
        if found:
            return found
    return None


def _written_code_of(plain: str, commune: tuple[str, str]) -> tuple[str, None] | None:
    """« Saint-Étienne (42100) »: the code written next to the commune's name, when it is one of its codes."""
    for match in re.finditer(r"(?<!\d)(\d{5})(?!\d)", plain):
        known = geo.place(match.group(1))
        if known and geo.commune_key(known.commune_name) == geo.commune_key(commune[1]):
            return match.group(1), None
    return None


def place(text: str) -> tuple[str, str | None] | None:
    """(postal code, commune name as found or None) for where the person says they live."""
    plain = plain_text(text)
    try:
        for match in _POSTAL_AFTER_CUE.finditer(plain):
            code = match.group("code").replace(" ", "")
            if departement_of(code) and geo.place(code):
                return code, None
        for match in _PLACE_AFTER_LIVE.finditer(plain):
            words = re.split(r"[ ']+", match.group("rest").strip())
            if words and re.fullmatch(r"\d{5}", words[0]) and departement_of(words[0]) and geo.place(words[0]):
                return words[0], None
            if words and words[0] in ("au", "aux"):  # « j'habite au Mans »
                words = ["le" if words[0] == "au" else "les"] + words[1:]
            found = _commune_in(words) or (_commune_in(["le"] + words) if words and words[0] not in ("le", "la") else None)
            if found:
                return _written_code_of(plain, found) or found
        for match in _POSTAL_WITH_WORDS.finditer(plain):  # « 44000 Nantes »
            code = match.group("code").replace(" ", "")
            found = _commune_in(re.split(r"[ ']+", match.group("rest").strip()))
            known = geo.place(code)
            if found and known and known.commune_name and geo.commune_key(known.commune_name) == geo.commune_key(found[1]):
                return code, None
    except geo.GeoDataMissing:
        return None
    return None


# -- the whole intake ------------------------------------------------------------------------


def intake_facts(text: str | None, domain: str | None) -> dict[str, Any]:
    """Intake slot -> value, for what the description states plainly."""
    if not text:
        return {}
    facts: dict[str, Any] = {}
    for slot, value in (("other_party", other_party(text, domain)), ("relationship_continues", relationship(text, domain)),
                        ("amount_eur", amount_in_text(text)), ("court_status", court_status(text)),
                        ("urgency", urgency(text))):
        if value is not None:
            facts[slot] = value
    found = place(text)
    if found:
        facts["postal_code"] = found[0]
    return facts


def commune_named(text: str | None, postal_code: str | None) -> str | None:
    """The commune the description named for this postal code (« Nantes »), for the recap."""
    found = place(text or "")
    return found[1] if found and found[0] == postal_code else None


# -- triage ------------------------------------------------------------------------------------

_PUBLIC_EMPLOYER_KIND = (
    ("state_education", (r"\brectorat\b", r"\beducation nationale\b", r"\bacademie\b", r"\bcollege\b", r"\blycee\b",
                         r"\benseignant(?:e)?\b", r"\bprofesseur(?:e)?\b", r"\bprof\b", r"\binstit", r"\baesh\b",
                         r"\bdirect(?:eur|rice) d'ecole\b")),
    ("hospital", (r"\bhopital\b", r"\bchu\b", r"\bcentre hospitalier\b", r"\bhospitali", r"\behpad public\b")),
    ("territorial", (r"\bmairie\b", r"\bconseil (?:departemental|regional)\b", r"\bcommunaute de communes\b",
                     r"\bagglo", r"\bmetropole\b", r"\bcentre de gestion\b", r"\batsem\b", r"\bagent territorial\b",
                     r"\bfonction publique territoriale\b", r"\bcollectivite\b")),
    ("other_state", (r"\bministere\b", r"\bprefecture\b", r"\bpolice\b", r"\bgendarmerie\b", r"\bfinances publiques\b",
                     r"\bdouane", r"\barmee\b")),
)
# Decisions of a public employer (décret 2022-433 list, plus « other »). « Refus de congés » is not
# in the list: it is « other », like a sanction or a transfer.
DECISION_WORDS = (
    ("other", (r"\bconges?(?: payes?)? annuels?\b", r"\b(?:mes|mon|nos|des|les) conges?\b(?! (?:parental|maladie|"
               r"sans solde|non remunere|de formation|longue))", r"\bvacances\b", r"\brtt\b", r"\bsanction",
               r"\bdisciplin", r"\bblame\b", r"\bavertissement\b", r"\bmutation\b", r"\bexclusion temporaire\b",
               r"\brevocation\b", r"\bnotation\b", r"\bentretien professionnel\b", r"\bteletravail\b",
               r"\bplanning\b", r"\bhoraires?\b")),
    ("pay", (r"\bremuneration\b", r"\bsalaire\b", r"\bprimes?\b", r"\bmon traitement\b", r"\bpaie\b", r"\bnbi\b",
             r"\brifseep\b", r"\bheures sup", r"\bindemnite")),
    ("leave", (r"\bdisponibilite\b", r"\bdetachement\b", r"\bconges? (?:sans solde|non remunere)\b",
               r"\bconge parental\b(?! .*\bretour)")),
    ("reinstatement", (r"\breintegr", r"\bretour de conge parental\b", r"\breemploi\b")),
    ("classification", (r"\bpromotion\b", r"\bavancement\b", r"\bechelon\b", r"\bclassement\b")),
    ("training", (r"\bformation\b",)),
    ("disability", (r"\bhandicap", r"\brqth\b", r"\bamenagement (?:de|du) (?:mon )?poste\b")),
    ("unfitness", (r"\binaptitude\b", r"\binapte\b", r"\breclassement\b")),
)
_FRANCE_TRAVAIL_DECISION = (
    ("radiation", (r"\bradie(?:e|s)?\b", r"\bradiation\b")),
    ("overpayment", (r"\btrop[- ]?percu", r"\bindu\b", r"\b(?:me|de) (?:faire )?rembourser\b")),
    ("benefit_removal", (r"\b(?:suppression|supprime|suspension|suspendu|coupe|coupure|arret)\w* (?:de |des |d'|mes |mon |ma )?"
                         r"(?:mes |mon |ma |les )?(?:allocations?|indemnites|droits|are|chomage)\b",
                         r"\bplus (?:d'allocations?|de chomage|rien touche)\b")),
    ("benefit_amount", (r"\bmontant (?:de |du |des )?(?:mon |mes |ma )?(?:allocation|are|chomage|indemnisation)",
                        r"\bcalcul (?:de |du |des )?(?:mon |mes |ma )?(?:allocation|are|chomage|droits)")),
)
# A written complaint to the professional: sent (with the sentence's date), or not yet.
_WRITTEN = (r"\b(?:j'ai|jai|nous avons|on a) (?:deja |bien )?(?:envoye|ecrit|adresse|fait|redige|poste)\b"
            r"(?: \w+){0,4}? (?:reclamation|courrier|lettre|mail|e-?mail|courriel|recommande|mise en demeure)",
            r"\b(?:reclamation|courrier|lettre|mail|e-?mail|courriel|recommande|mise en demeure) "
            r"(?:ecrite |recommandee? )?(?:envoye|adresse|reste|restee|sans reponse)",
            r"\bje (?:leur|lui) ai (?:deja )?ecrit\b", r"\bj'ai (?:deja )?ecrit (?:au|a la|a l'|aux)\b",
            r"\blettre recommandee\b", r"\bmise en demeure\b", r"\blrar\b")
_NOT_WRITTEN = (r"\b(?:je n'ai|j'ai|on n'a|nous n'avons) (?:pas|jamais) (?:encore )?(?:envoye|ecrit|fait)\b",
                r"\bpas (?:encore )?(?:de|fait de) reclamation\b", r"\baucun(?:e)? (?:courrier|reclamation)\b")


def _complaint_date(text: str, today: dt.date) -> dt.date | None:
    """The date in the same clause as the words of a written complaint."""
    for clause in re.split(r"[.;!?\n,]| mais | puis ", plain_text(text)):
        if _has(clause, _WRITTEN):
            dates = find_past_dates(clause, today)
            if len({found.day for found in dates}) == 1:
                return dates[0].day
    return None


def decision_category(text: str | None) -> str | None:
    return _only(plain_text(text), DECISION_WORDS)


def triage_facts(text: str | None, domain: str | None, today: dt.date | None = None) -> dict[str, Any]:
    """Triage question -> answer, for what the description states plainly."""
    if not text:
        return {}
    plain = plain_text(text)
    facts: dict[str, Any] = {}
    if domain == "workplace":
        kind = _only(plain, _PUBLIC_EMPLOYER_KIND)
        if kind:
            facts["public_employer_kind"] = kind
        if _has(plain, _FRANCE_TRAVAIL):
            decision = _only(plain, _FRANCE_TRAVAIL_DECISION)
            if decision:
                facts["france_travail_decision"] = decision
        else:
            decision = decision_category(plain)
            if decision:
                facts["decision_category"] = decision
    if domain == "consumer":
        if _has(plain, _NOT_WRITTEN):
            facts["written_complaint"] = False
        elif _has(plain, _WRITTEN):
            facts["written_complaint"] = True
            day = _complaint_date(text, today or dt.date.today())
            if day:
                facts["complaint_date"] = day.isoformat()
    return facts


# -- filling the slots -------------------------------------------------------------------------


def prefill(slots: Mapping[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """Slot events for what the description answers: only empty, not skipped intake slots, and
    only triage answers not given yet. Called once the domain is confirmed."""
    text = slots.get("situation_description")
    domain = slots.get("situation_domain")
    skipped = set(slots.get("skipped_questions") or ())
    events: dict[str, Any] = {slot: value for slot, value in intake_facts(text, domain).items()
                              if slots.get(slot) is None and slot not in skipped}
    answers = dict(slots.get("triage_answers") or {})
    new = {question: value for question, value in triage_facts(text, domain, today).items() if question not in answers}
    if new:
        events["triage_answers"] = answers | new
    return events


# When the situation is the first message, before consent, its words are not kept: only codes
# are taken from it then (no amount, no place, no date), and what was taken is noted, as codes,
# under this key of `triage_answers` for the recap's « d'après votre message ».
_CODE_SLOTS = ("other_party", "relationship_continues", "court_status", "urgency")
_CODE_ANSWERS = ("public_employer_kind", "decision_category", "france_travail_decision", "written_complaint")
FROM_MESSAGE = "from_message"


def prefill_codes(text: str | None, slots: Mapping[str, Any]) -> dict[str, Any]:
    """Slot events for the codes a first message gives, before consent (bot/rasa_plugins/tracker_store.py keeps codes)."""
    domain = slots.get("situation_domain")
    skipped = set(slots.get("skipped_questions") or ())
    answers = dict(slots.get("triage_answers") or {})
    found = {slot: value for slot, value in intake_facts(text, domain).items()
             if slot in _CODE_SLOTS and slots.get(slot) is None and slot not in skipped}
    new = {question: value for question, value in triage_facts(text, domain).items()
           if question in _CODE_ANSWERS and question not in answers}
    if not found and not new:
        return {}
    noted = dict(answers.get(FROM_MESSAGE) or {}) | found | new
    return found | {"triage_answers": answers | new | {FROM_MESSAGE: noted}}


def from_message(slots: Mapping[str, Any], today: dt.date | None = None) -> set[str]:
    """The slots and triage answers whose current value is what the description said."""
    text = slots.get("situation_description")
    domain = slots.get("situation_domain")
    same = {slot for slot, value in intake_facts(text, domain).items() if slots.get(slot) == value}
    answers = slots.get("triage_answers") or {}
    same |= {question for question, value in triage_facts(text, domain, today).items() if answers.get(question) == value}
    noted = answers.get(FROM_MESSAGE) or {}
    same |= {name for name, value in noted.items() if value in (slots.get(name), answers.get(name))}
    return same
