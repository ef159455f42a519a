"""NLU component: the safety screen decides the intent `safety_alert` on every message.

The deterministic lexicon (bot/safety.py) is the authority: when it fires, the intent
becomes `safety_alert` whatever DIET thought, and the rest of the ranking is kept (the
situation classifier still reads the `situation_*` scores). DIET helps where the lexicon
has no pattern yet: a `safety_alert` of very high confidence stands. DIET is never trusted
alone for a lower score, so near misses ("je vais tuer le temps") stay ordinary messages.
The categories found go to the message as `safety` (names only, never text).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.safety import screen

SAFETY_INTENT = "safety_alert"
NLU_ONLY_THRESHOLD = 0.95


def override(parse: Dict[Text, Any], text: str | None, nlu_only_threshold: float = NLU_ONLY_THRESHOLD) -> Dict[Text, Any]:
    """The intent and ranking after the safety screen (pure function, unit-tested)."""
    intent = parse.get(INTENT) or {}
    ranking = [entry for entry in parse.get(INTENT_RANKING_KEY) or [] if entry.get(INTENT_NAME_KEY) != SAFETY_INTENT]
    result = screen(text)
    nlu_says_danger = intent.get(INTENT_NAME_KEY) == SAFETY_INTENT and (intent.get("confidence") or 0) >= nlu_only_threshold
    if result.hit or nlu_says_danger:
        top = {INTENT_NAME_KEY: SAFETY_INTENT, "confidence": 1.0}
        categories = list(result.categories) or ["danger"]
        return {INTENT: top, INTENT_RANKING_KEY: [top] + ranking, "safety": categories}
    if intent.get(INTENT_NAME_KEY) == SAFETY_INTENT:
        # DIET alone, not sure enough: fall back on its next best guess.
        top = ranking[0] if ranking else {INTENT_NAME_KEY: "nlu_fallback", "confidence": 0.0}
        return {INTENT: top, INTENT_RANKING_KEY: ranking, "safety": []}
    return {INTENT: intent, INTENT_RANKING_KEY: parse.get(INTENT_RANKING_KEY) or [], "safety": []}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyScreen(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"nlu_only_threshold": NLU_ONLY_THRESHOLD}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._threshold = float(config.get("nlu_only_threshold", NLU_ONLY_THRESHOLD))

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyScreen":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            parse = {INTENT: message.get(INTENT), INTENT_RANKING_KEY: message.get(INTENT_RANKING_KEY)}
            updated = override(parse, message.get(TEXT), self._threshold)
            message.set(INTENT, updated[INTENT], add_to_output=True)
            message.set(INTENT_RANKING_KEY, updated[INTENT_RANKING_KEY], add_to_output=True)
            message.set("safety", updated["safety"], add_to_output=True)
        return messages
