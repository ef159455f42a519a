"""Closed-question answers typed in the person's own words, mapped to stable codes.

Each parser returns a code (English, stable, used in slots) or None when the
answer is not understood, so the form can ask again with an example.
"""
from __future__ import annotations

import re
import unicodedata

from bot.codes import UNKNOWN

DONT_KNOW = UNKNOWN


def normalise(text: str | None) -> str:
    """Lower case, no accents, straight apostrophes, single spaces."""
    if not text:
        return ""
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", stripped.lower()).strip(" .!")


_LETTERS = re.compile(r"[^\W\d_]+")


def word_count(text: str | None, min_letters: int = 1) -> int:
    """How many words of at least `min_letters` letters (digits, emoji and punctuation are no words)."""
    return sum(1 for word in _LETTERS.findall(text or "") if len(word) >= min_letters)


def _has(text: str, *patterns: str) -> bool:
    return any(re.search(pattern, text) for pattern in patterns)


_DONT_KNOW = (
    r"\b(?:je )?(?:ne )?(?:sais|sait|sai) ?(?:pas|po)\b",
    r"\bjsp\b",
    r"aucune idee",
    r"j'?en sais rien",
    r"\bpas sur\b",
    r"\bne sais\b",
    r"\bpasser\b",
    r"\bje prefere ne pas\b",
    r"\bje ne veux pas (?:le )?dire\b",
    r"\bdifficile a dire\b",
)


def is_dont_know(text: str | None) -> bool:
    return _has(normalise(text), *_DONT_KNOW)


def parse_yes_no(text: str | None) -> bool | None:
    plain = normalise(text)
    if not plain or is_dont_know(plain):
        return None
    no = _has(plain, r"^(?:non|nan|no|nop|pas du tout|absolument pas|jamais)\b", r"\bplus du tout\b",
              r"^(?:c'est )?(?:pas|faux)\b", r"\bpas (?:vraiment|ca)\b", r"\bne (?:\w+ ){0,2}(?:plus|pas)\b")
    yes = _has(plain, r"^(?:oui|ouais|ouai|yes|si|ok|okay|d'accord|dac|exact|exactement|tout a fait|bien sur|"
                      r"c'est (?:bien )?ca|c'est exact|c'est correct|correct|absolument|toujours|voila)\b")
    if yes and not no:
        return True
    if no and not yes:
        return False
    return None


def parse_urgency(text: str | None) -> str | None:
    plain = normalise(text)
    if is_dont_know(plain):
        return DONT_KNOW
    if _has(plain, r"\bpas (?:d'|de )?(?:urgen|presse)", r"\bpas urgent", r"\baucune urgence", r"\brien ne presse",
            r"^non\b", r"\bnot_urgent\b", r"\bprendre (?:mon|le) temps"):
        return "not_urgent"
    if _has(plain, r"\btres urgent", r"\burgen", r"\bvite\b", r"\bdemain\b", r"\bcette semaine\b",
            r"\bquelques jours\b", r"\bimmediat", r"^oui\b", r"\bau plus vite\b", r"\basap\b"):
        return "urgent"
    if _has(plain, r"\bsemaines?\b", r"\bmois\b", r"\bbientot\b", r"\bassez\b", r"\bsoon\b", r"\bprochainement\b"):
        return "soon"
    return None


def parse_court_status(text: str | None) -> str | None:
    plain = normalise(text)
    if is_dont_know(plain):
        return DONT_KNOW
    if _has(plain, r"\bdecision\b", r"\bjugement\b", r"\bjuge (?:a|avait) (?:deja )?(?:tranche|decide|statue)",
            r"\bordonnance\b", r"\barret\b", r"\bcondamn", r"\bdeja (?:ete )?juge"):
        return "decision"
    if _has(plain, r"^non\b", r"\baucune? (?:procedure|proces|plainte|tribunal)", r"\bpas (?:de|encore de) (?:procedure|proces|tribunal|juge)",
            r"\bpas encore\b", r"\brien\b", r"\bjamais\b", r"\bnone\b"):
        return "none"
    if _has(plain, r"\ben cours\b", r"\bsaisi", r"\bassign", r"\baudience\b", r"\bconvoqu", r"\bprocedure\b",
            r"\bproces\b", r"\btribunal\b", r"\bprud'?hom", r"\bavocat\b", r"\bpending\b", r"^oui\b"):
        return "pending"
    return None


def parse_mode(text: str | None) -> str | None:
    plain = normalise(text)
    if _has(plain, r"\bpeu importe\b", r"\bpas de preference\b", r"\bindifferent", r"\bcomme vous voulez\b",
            r"\bn'importe\b", r"\bno_preference\b", r"\btous?\b.*\bconvien"):
        return "no_preference"
    if _has(plain, r"\bvisio", r"\bvideo", r"\bzoom\b", r"\bteams\b", r"\bskype\b", r"\ben ligne\b", r"\bwebcam\b"):
        return "video"
    if _has(plain, r"\btel\b", r"\btelephon", r"\bphone\b", r"\bappel", r"\bportable\b"):
        return "phone"
    if _has(plain, r"\bpresentiel", r"\bin_person\b", r"\ben personne\b", r"\bsur place\b", r"\bface a face\b",
            r"\ben vrai\b", r"\brencontr", r"\bcabinet\b", r"\bbureau\b", r"\bse voir\b", r"\bdeplacer\b"):
        return "in_person"
    if is_dont_know(plain):
        return "no_preference"
    return None


# Other-party codes, with the words people use for them. The order matters:
# "ancien employeur public" must match before "employeur".
_OTHER_PARTY_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("france_travail", (r"\bfrance travail\b", r"\bpole emploi\b")),
    ("employer_public", (r"\bfonction publique\b", r"\bemployeur public\b", r"\bcentre de gestion\b", r"\brectorat\b",
                         r"\beducation nationale\b", r"\bhopital\b", r"\bmairie\b.*\b(?:employeur|travaille)",
                         r"\bemployer_public\b", r"\bcollectivite\b.*\bemployeur")),
    ("employer_private", (r"\bemployeur\b", r"\bpatron\b", r"\bchef\b", r"\bdirect(?:eur|rice)\b", r"\bentreprise\b",
                          r"\bsociete\b", r"\bemployer_private\b", r"\bboite\b", r"\bmanager\b", r"\brh\b")),
    ("colleague", (r"\bcollegue", r"\bcollaborat", r"\bcolleague\b")),
    ("ex_partner", (r"\bex\b", r"\bex-", r"\bancien(?:ne)? (?:conjoint|compagn|mari|femme|epou|partenaire|copain|copine)",
                    r"\bconjoint", r"\bmari\b", r"\bfemme\b", r"\bepou", r"\bcompagn", r"\bpere de mes\b",
                    r"\bmere de mes\b", r"\bex_partner\b", r"\bpartenaire\b")),
    ("relative", (r"\bfrere\b", r"\bsoeur\b", r"\bparents?\b", r"\bpere\b", r"\bmere\b", r"\bfils\b", r"\bfille\b",
                  r"\boncle\b", r"\btante\b", r"\bcousin", r"\bbeau-?", r"\bbelle-?", r"\bfamille\b", r"\bheritier",
                  r"\brelative\b", r"\bgrand-?(?:pere|mere|parent)", r"\benfants?\b")),
    ("landlord", (r"\bproprio", r"\bproprietaire\b", r"\bbailleur\b", r"\bagence immobili", r"\blandlord\b", r"\bhlm\b")),
    ("co_owner", (r"\bsyndic\b", r"\bcopropri", r"\bco_owner\b")),
    ("neighbour", (r"\bvoisin", r"\bneighbour\b", r"\bd'a cote\b", r"\bdu dessus\b", r"\bdu dessous\b", r"\bpalier\b")),
    ("local_authority", (r"\bmairie\b", r"\bcommune\b", r"\bmaire\b", r"\bdepartement\b", r"\bconseil departemental\b",
                         r"\bregion\b", r"\bcommunaute de communes\b", r"\bagglo", r"\bmetropole\b", r"\bprefecture\b",
                         r"\bcollectivite\b", r"\blocal_authority\b", r"\bintercommun")),
    ("public_body", (r"\badministration\b", r"\bcaf\b", r"\bimpots\b", r"\bservice public\b", r"\betat\b",
                     r"\bpublic_body\b", r"\bsecurite sociale\b", r"\bcpam\b")),
    ("professional", (r"\bvendeu", r"\bmagasin\b", r"\bboutique\b", r"\bcommer", r"\bartisan\b", r"\bplombier\b",
                      r"\bgaragiste\b", r"\bgarage\b", r"\boperateur\b", r"\bbanque\b", r"\bassuran", r"\bsite\b",
                      r"\bprofessionnel\b", r"\bprestataire\b", r"\bfournisseur\b", r"\bentreprise\b",
                      r"\bprofessional\b", r"\bconstructeur\b", r"\bagence\b", r"\bmutuelle\b", r"\bvendeur\b")),
    ("private_person", (r"\bparticulier\b", r"\bami\b", r"\bamie\b", r"\bconnaissance\b", r"\bprivate_person\b",
                        r"\bquelqu'un\b", r"\bune personne\b")),
    ("other", (r"\bautre\b", r"\bother\b")),
)

def parse_other_party(text: str | None) -> str | None:
    plain = normalise(text)
    if not plain:
        return None
    if is_dont_know(plain):
        return DONT_KNOW
    for code, patterns in _OTHER_PARTY_PATTERNS:
        if _has(plain, *patterns):
            return code
    return None


_DOMAIN_CHOICE_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("family", (r"\bfamil", r"\bfamily\b")),
    ("neighbourhood", (r"\bvoisin", r"\bneighbourhood\b")),
    ("consumer", (r"\bconsomm", r"\bconsumer\b", r"\bachat\b", r"\bprofessionnel\b")),
    ("workplace", (r"\btravail\b", r"\bemploi\b", r"\bworkplace\b", r"\bboulot\b")),
    ("territorial", (r"\bcollectivit", r"\bterritori", r"\bmairie\b", r"\badministration\b")),
    ("other", (r"\bautre\b", r"\baucun", r"\bother\b")),
)


def parse_domain_choice(text: str | None) -> str | None:
    plain = normalise(text)
    for code, patterns in _DOMAIN_CHOICE_PATTERNS:
        if _has(plain, *patterns):
            return code
    return None
