"""NLU component: a situation the model could not tell apart is not "not understood".

The FallbackClassifier answers `nlu_fallback` when the two best intents are close, e.g.
"ma tante ne me rend pas les 8 000 €" (family 0.45, consumer 0.53). When both leading
intents are `situation_*`, the message clearly describes a situation: the domain
classifier (bot/intake/classifier.py, cue lexicon with the legal tie-breakers) then decides,
instead of a "je n'ai pas compris".

A message that names a booking reference (MED-7K3Q9) is about that booking, not a new story: DIET
read « je veux annuler mon rendez-vous MED-4K7PQ, code zzzzzzzz » as a neighbourhood situation
(0.76, cancel_booking 0.22: the reference and the code are words it never saw), and the person got
the recap instead of the cancellation. The booking intent it ranked next is taken instead.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.agenda.references import find_reference
from bot.intake.classifier import INTENT_PREFIX, classify

FALLBACK_INTENT = "nlu_fallback"
_LEADERS = 2
BOOKING_INTENTS = ("cancel_booking", "reschedule_booking")


def about_a_booking(intent: Dict[Text, Any] | None, ranking: List[Dict[Text, Any]] | None,
                    text: str | None) -> Dict[Text, Any] | None:
    """The booking intent to use when a message naming a reference was read as a story, or None."""
    name = (intent or {}).get(INTENT_NAME_KEY) or ""
    if not (name.startswith(INTENT_PREFIX) or name == FALLBACK_INTENT) or find_reference(text) is None:
        return None
    return next((dict(entry) for entry in ranking or [] if entry.get(INTENT_NAME_KEY) in BOOKING_INTENTS), None)


def rescue(intent: Dict[Text, Any] | None, ranking: List[Dict[Text, Any]] | None, text: str | None) -> Dict[Text, Any] | None:
    """The situation intent to use instead of a fallback, or None to keep the fallback."""
    if (intent or {}).get(INTENT_NAME_KEY) != FALLBACK_INTENT:
        return None
    leaders = [entry for entry in ranking or [] if entry.get(INTENT_NAME_KEY) != FALLBACK_INTENT][:_LEADERS]
    if len(leaders) < _LEADERS or not all(entry[INTENT_NAME_KEY].startswith(INTENT_PREFIX) for entry in leaders):
        return None
    result = classify(text or "", ranking or [])
    if result is None or result.source == "nlu_weak":
        return None
    return {INTENT_NAME_KEY: f"{INTENT_PREFIX}{result.domain}", "confidence": round(float(result.confidence), 4)}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SituationRescue(GraphComponent):
    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SituationRescue":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            chosen = (about_a_booking(message.get(INTENT), message.get(INTENT_RANKING_KEY), message.get(TEXT))
                      or rescue(message.get(INTENT), message.get(INTENT_RANKING_KEY), message.get(TEXT)))
            if chosen is not None:
                message.set(INTENT, chosen, add_to_output=True)
        return messages
