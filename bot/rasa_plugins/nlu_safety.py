"""NLU component: the safety screen decides the intent `safety_alert` on every message.

Three witnesses, any one of which is enough:
- the deterministic lexicon (bot/safety/screen.py), the authority for certainty: when it fires, the
  intent becomes `safety_alert` whatever DIET thought;
- the danger classifier (bot/rasa_plugins/nlu_danger.py), for danger said without a keyword: it fires above
  the recall-oriented threshold chosen when it was trained, on messages of three words or more;
- DIET's own `safety_alert` at very high confidence (short cries for help).
The rest of the ranking is kept (the situation classifier still reads the `situation_*` scores).
DIET is never trusted alone for a lower score, so near misses ("je vais tuer le temps") stay
ordinary messages. The categories found go to the message as `safety` (names only, never text).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_plugins.nlu_danger import DANGER_KEY
from bot.language.answers import word_count
from bot.safety.screen import CATEGORIES, screen
from bot.codes import SAFETY_INTENT, UNSURE_STOP_KEY

NLU_ONLY_THRESHOLD = 0.95
# The danger model alone does not decide on a message of one or two words: it read imperatives and fillers
# as danger (« attendez » 0.9998, « recommencez », « dites-moi », « laissez tomber »: 23 of 134 short
# everyday messages probed, 12 of 379 of a writer's), which took the mediation away. Of 112 short dangers of
# that writer, none of one or two words rested on the model alone; the lexicon and DIET still decide there.
# Teaching the model those messages instead cost 10 to 11 dangers on two older writers' batches
# (writer-level cross-validation, 2026-12-05).
MODEL_MIN_WORDS = 3


def override(parse: Dict[Text, Any], text: str | None, nlu_only_threshold: float = NLU_ONLY_THRESHOLD,
             danger: Dict[Text, Any] | None = None) -> Dict[Text, Any]:
    """The intent and ranking after the safety screen (pure function, unit-tested).

    `danger` is the classifier's verdict on the message: its categories are empty unless it
    passed its threshold.
    """
    intent = parse.get(INTENT) or {}
    ranking = [entry for entry in parse.get(INTENT_RANKING_KEY) or [] if entry.get(INTENT_NAME_KEY) != SAFETY_INTENT]
    result = screen(text)
    nlu_says_danger = intent.get(INTENT_NAME_KEY) == SAFETY_INTENT and (intent.get("confidence") or 0) >= nlu_only_threshold
    model_categories = list((danger or {}).get("categories") or [])
    if model_categories and word_count(text) < MODEL_MIN_WORDS:
        model_categories = []  # counted only when the model fired: not on every message
    if result.hit or nlu_says_danger or model_categories:
        top = {INTENT_NAME_KEY: SAFETY_INTENT, "confidence": 1.0}
        found = set(result.categories) | set(model_categories)
        categories = [category for category in CATEGORIES if category in found] or ["danger"]
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
            updated = override(parse, message.get(TEXT), self._threshold, message.get(DANGER_KEY))
            message.set(INTENT, updated[INTENT], add_to_output=True)
            message.set(INTENT_RANKING_KEY, updated[INTENT_RANKING_KEY], add_to_output=True)
            message.set("safety", updated["safety"], add_to_output=True)
            if updated["safety"] and message.get(UNSURE_STOP_KEY):
                # « je veux que tout s'arrête » read as an unsure stop: the danger wins, no « Voulez-vous arrêter ? ».
                message.set(UNSURE_STOP_KEY, False, add_to_output=True)
        return messages
