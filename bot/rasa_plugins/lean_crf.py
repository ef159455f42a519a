"""NLU component: Rasa's CRF entity extractor, stored without the word vectors it never reads.

Rasa 3.6 does not store a trained CRF: it stores the CRF's whole training set as JSON and
trains again from it at every load. Each token of that set carries its 300 spaCy dimensions as
strings, although the CRF reads them only when `text_dense_features` is one of its features
(not ours). For 4,142 sentences that was 324 MB on disk, 3.7 s to read and 2.4 GB of memory
at load, kept by the process for its whole life (docs/performance.md). Dropping the unread
vectors changes nothing the CRF learns: same sentences, same features, same tags.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFEntityExtractorOptions, CRFToken

_DENSE = CRFEntityExtractorOptions.TEXT_DENSE_FEATURES.value
_NO_VECTOR = np.zeros(0)


def reads_dense_features(config: Dict[Text, Any]) -> bool:
    """Whether any window of the CRF's features uses the word vectors."""
    return any(_DENSE in window for window in config["features"])


def without_vectors(token: CRFToken) -> CRFToken:
    return CRFToken(token.text, token.pos_tag, token.pattern, _NO_VECTOR,
                    token.entity_tag, token.entity_role_tag, token.entity_group_tag)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class LeanCRFEntityExtractor(CRFEntityExtractor):
    """The CRF of Rasa, whose stored training set leaves out unread vectors."""

    def persist(self, dataset: List[List[CRFToken]]) -> None:
        if not reads_dense_features(self.component_config):
            dataset = [[without_vectors(token) for token in sentence] for sentence in dataset]
        super().persist(dataset)
