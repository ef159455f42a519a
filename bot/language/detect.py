"""Is a message written in French? A stop-word vote, robust to typos and missing accents.

The NLU also has an `other_language` intent; this check backs it up for free-text
answers inside forms, where the NLU intent is not used.
"""
from __future__ import annotations

import re

from bot.language.answers import normalise

_STOPWORDS = {
    "fr": {"le", "la", "les", "un", "une", "des", "du", "de", "et", "est", "je", "j", "il", "elle", "nous", "vous",
           "mon", "ma", "mes", "ne", "pas", "que", "qui", "avec", "pour", "sur", "dans", "au", "aux", "ce", "cette",
           "c", "a", "ai", "suis", "moi", "on", "son", "sa", "ses", "mais", "ou", "donc", "depuis", "plus", "tres",
           "bonjour", "merci", "oui", "non", "voisin", "mari", "femme", "quoi", "comment", "pourquoi", "l", "d", "qu",
           "m", "n", "s", "t", "leur", "notre", "votre", "y", "en", "chez", "ca", "cela", "fait", "veut", "aide"},
    "en": {"the", "and", "is", "are", "my", "i", "you", "he", "she", "we", "they", "with", "for", "of", "to", "in",
           "it", "this", "that", "have", "has", "was", "not", "do", "does", "hello", "hi", "please", "help", "what",
           "how", "can", "neighbor", "neighbour", "husband", "wife", "want", "need", "speak", "english", "from", "me"},
    "es": {"el", "los", "las", "y", "es", "mi", "yo", "tu", "con", "por", "para", "del", "que", "hola", "gracias",
           "vecino", "esposo", "tengo", "quiero", "ayuda", "habla", "espanol", "una", "muy", "pero", "como"},
    "de": {"der", "die", "das", "und", "ist", "ich", "du", "mein", "meine", "mit", "fur", "nicht", "ein", "eine",
           "hallo", "danke", "nachbar", "hilfe", "bitte", "sprechen", "deutsch", "wir", "sie", "auf", "zu"},
    "it": {"il", "lo", "gli", "e", "sono", "io", "con", "per", "che", "ciao", "grazie", "vicino", "aiuto", "parla",
           "italiano", "una", "molto", "questo", "della"},
    "pt": {"o", "os", "as", "e", "eu", "meu", "minha", "com", "para", "nao", "obrigado", "ola", "vizinho", "ajuda",
           "fala", "portugues", "uma", "muito", "voce"},
}
_WORD = re.compile(r"[a-z]+")
_NON_LATIN = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u0590-\u05ff\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af\u0900-\u097f]")


def guess_language(text: str | None) -> str | None:
    """'fr', another code, 'other' for a non-Latin script, or None when there is not enough to tell."""
    if not text:
        return None
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(bool(_NON_LATIN.match(ch)) for ch in letters) / len(letters) > 0.5:
        return "other"
    words = _WORD.findall(normalise(text))
    if len(words) < 3:
        return None
    scores = {lang: sum(word in vocab for word in words) for lang, vocab in _STOPWORDS.items()}
    best = max(scores, key=scores.get)
    if scores[best] == 0:
        return None
    # French wins ties: short French sentences share words with Spanish and Italian.
    if scores["fr"] >= scores[best] or scores[best] < 2:
        return "fr"
    return best


def is_clearly_not_french(text: str | None) -> bool:
    language = guess_language(text)
    return language is not None and language != "fr"
