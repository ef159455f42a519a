"""NLU component: a « stop » the model is not sure of is not obeyed, it is asked.

« 😡😡😡 » was read as `stop` with 0.41 and ended the conversation, the form lost. Below
`min_confidence`, or when the message has no letter at all, the intent becomes `nlu_fallback`
and the message carries `unsure_stop`: a form then asks « Voulez-vous arrêter ? » and keeps
every answer (actions/form_validation.py); outside forms the person is told they were not
understood. A sure « stop » still stops, in every state.

« Recommencer » clears the screen and every answer, so an unsure `start_over` is not obeyed
either: `<img src=x onerror=alert(1)>` was read as `start_over` with 0.64 (fourth session of
2026-12-03). It becomes `nlu_fallback` (« not understood »), and nothing is lost.

A message without any letter is never one of the intents that are never a slot value (erasure,
a person, a question…): the postal code « 21340 » was read as `erase_data` with 0.81, so the form
did not take it and the erasure's confirmation came instead (the load test, 2026-12-04). It becomes
`nlu_fallback` too, which a form takes as the answer it asked for. Danger is left alone: the safety
screen, later in the pipeline, decides it.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.codes import NEVER_A_SLOT_VALUE, SAFETY_INTENT, UNSURE_STOP_KEY

STOP_INTENT = "stop"
START_OVER_INTENT = "start_over"
MIN_CONFIDENCE = 0.7
_A_LETTER = re.compile(r"[^\W\d_]")


# Intents whose guess would lose the person's answers: obeyed only when sure.
GUARDED_INTENTS = (STOP_INTENT, START_OVER_INTENT)


# Intents a message without any letter (a number, a code, emoji) cannot mean: the guarded ones are
# among them (tests/unit/rasa_plugins/test_unsure_stop.py checks it).
NEVER_WITHOUT_LETTERS = tuple(name for name in NEVER_A_SLOT_VALUE if name != SAFETY_INTENT)


def is_unsure(intent: Dict[Text, Any] | None, text: str | None, min_confidence: float = MIN_CONFIDENCE) -> bool:
    """A guarded intent the model is not sure of, or one of those intents said with no letter at all."""
    name = (intent or {}).get(INTENT_NAME_KEY)
    if name not in NEVER_WITHOUT_LETTERS or (text or "").startswith("/"):
        return False  # a button's payload is sure by construction
    if not _A_LETTER.search(text or ""):
        return True
    return name in GUARDED_INTENTS and (intent.get("confidence") or 0.0) < min_confidence


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class UnsureStop(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_confidence": MIN_CONFIDENCE}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._min_confidence = float(config.get("min_confidence", MIN_CONFIDENCE))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "UnsureStop":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT)
            if not is_unsure(intent, message.get(TEXT), self._min_confidence):
                continue
            message.set(INTENT, {INTENT_NAME_KEY: "nlu_fallback", "confidence": intent.get("confidence") or 0.0},
                        add_to_output=True)
            if intent[INTENT_NAME_KEY] == STOP_INTENT:  # a form asks « Voulez-vous arrêter ? »
                message.set(UNSURE_STOP_KEY, True, add_to_output=True)
        return messages
