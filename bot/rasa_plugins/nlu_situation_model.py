"""NLU component: which situation, decided by a model that generalises to unseen phrasing.

DIET tells well whether a message is a situation at all (against « oui », « bonjour »…), but
between the five domains it over-fits: on the held-out set it was certain (≥ 0.99) and wrong on
« j'ai été licencié pour faute grave » (consumer) or a washing machine's after-sales (workplace).
A logistic regression on TF-IDF word and character n-grams of the same examples generalised
better (old held-out set: 93 % against DIET's 88 %, with the cue lexicon of bot/intake/classifier.py on
top). So, when DIET's best guess is a situation (or a fallback, or danger, whose situation scores
the classifier still reads), the mass DIET gives to the situation intents is shared among them
as this model says. Other intents are untouched. Stored as plain arrays (no pickle).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

from bot.language.answers import normalise
from bot.rasa_plugins.nlu_arrays import read_arrays, write_arrays

PREFIX = "situation_"
_N_FEATURES = 2 ** 18
_WORDS = HashingVectorizer(n_features=_N_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm=None)
_CHARS = HashingVectorizer(n_features=_N_FEATURES, analyzer="char_wb", ngram_range=(2, 5), alternate_sign=False,
                           norm=None)
_ARRAYS = "situation_model.npz"
# DIET's own best guess after which the situation scores are re-shared.
_READ_WHEN_TOP = ("nlu_fallback", "safety_alert")


def _counts(texts: list[str]) -> csr_matrix:
    plain = [normalise(text) or "" for text in texts]
    return hstack([_WORDS.transform(plain), _CHARS.transform(plain)]).tocsr()


def _tf_idf(counts: csr_matrix, idf: np.ndarray) -> csr_matrix:
    weighted = counts.copy()
    weighted.data = 1.0 + np.log(weighted.data)  # sublinear term frequency
    weighted = weighted.multiply(idf).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return csr_matrix(weighted.multiply(1.0 / norms[:, None]))


class SituationModel:
    def __init__(self, classes: list[str], idf: np.ndarray, coef: csr_matrix, intercept: np.ndarray) -> None:
        self.classes, self.idf, self.coef, self.intercept = classes, idf, coef, intercept

    @classmethod
    def fit(cls, texts: list[str], labels: list[str]) -> "SituationModel":
        counts = _counts(texts)
        documents = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = np.log((1 + len(texts)) / (1 + documents)) + 1.0
        model = LogisticRegression(C=30.0, max_iter=3000, class_weight="balanced", random_state=42)
        model.fit(_tf_idf(counts, idf), labels)
        return cls(list(model.classes_), idf, csr_matrix(model.coef_), model.intercept_)

    def probabilities(self, text: str) -> dict[str, float]:
        scores = (_tf_idf(_counts([text]), self.idf) @ self.coef.T).toarray().ravel() + self.intercept
        scores = np.exp(scores - scores.max())
        return dict(zip(self.classes, (scores / scores.sum()).tolist()))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"classes": np.array(self.classes), "idf": self.idf, "data": self.coef.data,
                "indices": self.coef.indices, "indptr": self.coef.indptr, "shape": np.array(self.coef.shape),
                "intercept": self.intercept}

    @classmethod
    def from_arrays(cls, arrays) -> "SituationModel":
        coef = csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"]))
        return cls([str(c) for c in arrays["classes"]], np.asarray(arrays["idf"]), coef, np.asarray(arrays["intercept"]))


def reshare(intent: Dict[Text, Any] | None, ranking: List[Dict[Text, Any]], probabilities: dict[str, float]
            ) -> tuple[Dict[Text, Any] | None, List[Dict[Text, Any]]]:
    """The intent and ranking once the situation mass is shared as the model says (pure)."""
    top = (intent or {}).get(INTENT_NAME_KEY) or ""
    if not (top.startswith(PREFIX) or top in _READ_WHEN_TOP) or not probabilities:
        return intent, ranking
    mass = sum(entry.get("confidence") or 0.0 for entry in ranking if entry[INTENT_NAME_KEY].startswith(PREFIX))
    if top.startswith(PREFIX):
        mass = max(mass, intent.get("confidence") or 0.0)
    others = [entry for entry in ranking if not entry[INTENT_NAME_KEY].startswith(PREFIX)]
    situations = [{INTENT_NAME_KEY: name, "confidence": mass * p} for name, p in probabilities.items()]
    new_ranking = sorted(others + situations, key=lambda entry: -entry["confidence"])[:len(ranking) or None]
    if top.startswith(PREFIX):
        intent = max(situations, key=lambda entry: entry["confidence"])
    return intent, new_ranking


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SituationClassifier(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self, model_storage: ModelStorage, resource: Resource, model: SituationModel | None = None) -> None:
        self._storage, self._resource, self._model = model_storage, resource, model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SituationClassifier":
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [(e.get(TEXT), e.get(INTENT)) for e in training_data.intent_examples
                    if (e.get(INTENT) or "").startswith(PREFIX) and e.get(TEXT)]
        if len({label for _, label in examples}) >= 2:
            self._model = SituationModel.fit([t for t, _ in examples], [label for _, label in examples])
            write_arrays(self._storage, self._resource, _ARRAYS, self._model.to_arrays())
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "SituationClassifier":
        arrays = read_arrays(model_storage, resource, _ARRAYS)
        return cls(model_storage, resource, SituationModel.from_arrays(arrays) if arrays else None)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if self._model is None or not message.get(TEXT):
                continue
            intent, ranking = reshare(message.get(INTENT), list(message.get(INTENT_RANKING_KEY) or []),
                                      self._model.probabilities(message.get(TEXT)))
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
