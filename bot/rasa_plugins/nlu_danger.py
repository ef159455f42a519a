"""NLU component: the danger classifier (bot/safety/danger_model.py), trained with the model.

Its danger sentences live beside it, in bot/safety/training.yml, and NOT in data/nlu: long
danger stories taught DIET to confuse the situation intents (see data/nlu/safety.yml). Its
ordinary messages are every NLU example of another intent, the idioms of that file, and the
situation model's own stories (bot/intake/situation_training.yml, not its long tail) that the
lexicon does not call danger. It writes `danger` (probability and categories) on each message; bot/rasa_plugins/nlu_safety.py decides.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.safety.danger_model import MAX_FALSE_ALARM_RATE, VECTOR_WEIGHT, DangerModel
from bot.rasa_plugins.nlu_arrays import read_arrays, write_arrays
from bot.rasa_plugins.nlu_situation_model import TRAINING_FILE as SITUATION_FILE, own_sentences
from bot.safety.screen import LEXICON_FILE, screen, without_idioms
from bot.codes import SAFETY_INTENT
from bot.paths import ROOT

TRAINING_FILE = ROOT / "bot" / "safety" / "training.yml"
DANGER_KEY = "danger"
_ARRAYS = "danger_model.npz"


def training_sentences(path: Path = TRAINING_FILE) -> tuple[list[tuple[str, tuple[str, ...]]], list[str]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    dangers = [(entry["text"], tuple(entry["categories"])) for entry in raw["dangers"]]
    return dangers, list(raw["not_dangers"])


def ordinary_stories() -> list[str]:
    """The situation model's own sentences, as ordinary messages, less any the lexicon calls danger.

    Without them the model read about 1 % of a new writer's mediation stories as danger (a weekend
    not taken, a tense team, a friend's broken secret), which took their mediation away. The lexicon is the
    authority for certainty: a story it flags is never taught as ordinary."""
    return [text for text, _ in own_sentences((SITUATION_FILE,)) if text and not screen(text).hit]


def nlu_sentences(examples: List[Message]) -> tuple[list[tuple[str, tuple[str, ...]]], list[str]]:
    """What it learns from data/nlu: the safety intent's short cries as dangers, every other example as ordinary."""
    cries = [(e.get(TEXT), ("danger",)) for e in examples if e.get(INTENT) == SAFETY_INTENT and e.get(TEXT)]
    ordinary = [e.get(TEXT) for e in examples if e.get(INTENT) != SAFETY_INTENT and e.get(TEXT)]
    return cries, ordinary


# model_from: Rasa hands over the spaCy model that SpacyNLP loaded, for its word vectors.
@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True, model_from="SpacyNLP")
class DangerClassifier(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # The sentences are read from files (the lexicon picks the stories), and the threshold's rule
        # is code: retrain on any of them.
        return hashlib.sha256(TRAINING_FILE.read_bytes() + SITUATION_FILE.read_bytes() + LEXICON_FILE.read_bytes()
                              + repr((MAX_FALSE_ALARM_RATE, VECTOR_WEIGHT)).encode()).hexdigest()

    def __init__(self, model_storage: ModelStorage, resource: Resource, model: DangerModel | None = None) -> None:
        self._storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "DangerClassifier":
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData, model: SpacyModel) -> Resource:
        dangers, idioms = training_sentences()
        short_cries, ordinary = nlu_sentences(training_data.intent_examples)
        self._model = DangerModel.fit(dangers + short_cries, ordinary + idioms + ordinary_stories(), model.model.vocab)
        write_arrays(self._storage, self._resource, _ARRAYS, self._model.to_arrays())
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "DangerClassifier":
        arrays = read_arrays(model_storage, resource, _ARRAYS)  # None untrained: the lexicon still screens
        return cls(model_storage, resource, DangerModel.from_arrays(arrays) if arrays else None)

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        for message in messages:
            if self._model is None or not message.get(TEXT):
                continue
            # The lexicon's idioms are figurative for every witness: blanked before the model reads.
            probability, categories = self._model.assess(without_idioms(message.get(TEXT)), model.model.vocab)
            message.set(DANGER_KEY, {"probability": round(probability, 4), "categories": list(categories)},
                        add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
