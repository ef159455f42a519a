"""The CRF is stored without the word vectors it never reads, and learns the same (bot/rasa_plugins/lean_crf.py)."""
from __future__ import annotations

import json

import numpy as np
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFToken

from bot.rasa_plugins.lean_crf import LeanCRFEntityExtractor, reads_dense_features


def _sentence(words, tags):
    return [CRFToken(word, "", {}, np.full(300, 0.25), tag, "O", "O") for word, tag in zip(words, tags)]


DATASET = [
    _sentence(["changer", "le", "montant"], ["O", "O", "U-field"]),
    _sentence(["modifier", "mon", "code", "postal"], ["O", "O", "B-field", "L-field"]),
    _sentence(["mon", "voisin", "fait", "du", "bruit"], ["O"] * 5),
]


def _persisted(tmp_path, config):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("crf")
    extractor = LeanCRFEntityExtractor({**CRFEntityExtractor.get_default_config(), **config}, storage, resource)
    extractor.persist(DATASET)
    with storage.read_from(resource) as directory:
        return json.loads((directory / "crf_dataset.json").read_text())


def test_the_stored_training_set_keeps_every_token_and_tag_but_no_unread_vector(tmp_path):
    stored = _persisted(tmp_path, {})
    assert [[token["text"] for token in sentence] for sentence in stored] == [
        [token.text for token in sentence] for sentence in DATASET]
    assert [[token["entity_tag"] for token in sentence] for sentence in stored] == [
        [token.entity_tag for token in sentence] for sentence in DATASET]
    assert all(token["dense_features"] == [] for sentence in stored for token in sentence)


def test_vectors_are_kept_when_the_features_read_them(tmp_path):
    config = {"features": [["low"], ["low", "text_dense_features"], ["low"]]}
    assert reads_dense_features(config)
    stored = _persisted(tmp_path, config)
    assert len(stored[0][0]["dense_features"]) == 300


def test_the_crf_trained_from_the_lean_set_tags_as_the_one_trained_from_the_full_set(tmp_path):
    config = CRFEntityExtractor.get_default_config()
    lean = [[CRFToken.create_from_dict(token) for token in sentence] for sentence in _persisted(tmp_path, {})]
    full_tagger = CRFEntityExtractor.train_model(DATASET, config, ["entity"])["entity"]
    lean_tagger = LeanCRFEntityExtractor.train_model(lean, config, ["entity"])["entity"]
    features = [CRFEntityExtractor._crf_tokens_to_features(sentence, config) for sentence in DATASET]
    assert lean_tagger.predict(features) == full_tagger.predict(features)
    assert lean_tagger.predict(features)[1] == ["O", "O", "B-field", "L-field"]
